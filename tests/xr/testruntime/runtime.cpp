// The loader's entry point, the function table, and what every part of the test runtime
// shares: the clock, the record, the script, poses and paths.

#include "testruntime.h"

#include <openxr/openxr_reflection.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <sstream>

namespace constellate::xrtest {

// ---- the loader's negotiation (the OpenXR loader specification, "Runtime Interface
// Negotiation"). Debian's loader 1.0.20 installs no loader_interfaces.h, so the structures
// are declared here as the specification lays them out. ----------------------------------------

enum LoaderInterfaceStruct : int {
    LoaderInterfaceStructUninitialized = 0,
    LoaderInterfaceStructLoaderInfo = 1,
    LoaderInterfaceStructApiLayerRequest = 2,
    LoaderInterfaceStructRuntimeRequest = 3,
    LoaderInterfaceStructApiLayerCreateInfo = 4,
    LoaderInterfaceStructApiLayerNextInfo = 5,
};

constexpr std::uint32_t LoaderInfoStructVersion = 1;
constexpr std::uint32_t RuntimeInfoStructVersion = 1;
constexpr std::uint32_t CurrentLoaderRuntimeVersion = 1;

struct NegotiateLoaderInfo {
    LoaderInterfaceStruct structType; // LoaderInterfaceStructLoaderInfo
    std::uint32_t structVersion;      // LoaderInfoStructVersion
    std::size_t structSize;           // sizeof(NegotiateLoaderInfo)
    std::uint32_t minInterfaceVersion;
    std::uint32_t maxInterfaceVersion;
    XrVersion minApiVersion;
    XrVersion maxApiVersion;
};

struct NegotiateRuntimeRequest {
    LoaderInterfaceStruct structType; // LoaderInterfaceStructRuntimeRequest
    std::uint32_t structVersion;      // RuntimeInfoStructVersion
    std::size_t structSize;           // sizeof(NegotiateRuntimeRequest)
    std::uint32_t runtimeInterfaceVersion;
    XrVersion runtimeApiVersion;
    PFN_xrGetInstanceProcAddr getInstanceProcAddr;
};

namespace {

XrResult XRAPI_CALL getInstanceProcAddr(XrInstance instance, const char* name, PFN_xrVoidFunction* function)
{
    if (!name || !function)
        return XR_ERROR_VALIDATION_FAILURE;
    *function = nullptr;
    // Without an instance only these three may be asked for (the specification's rule).
    const bool global = std::strcmp(name, "xrEnumerateInstanceExtensionProperties") == 0
        || std::strcmp(name, "xrEnumerateApiLayerProperties") == 0 || std::strcmp(name, "xrCreateInstance") == 0;
    if (instance == XR_NULL_HANDLE && !global)
        return XR_ERROR_HANDLE_INVALID;
    if (std::strcmp(name, "xrGetInstanceProcAddr") == 0) {
        *function = reinterpret_cast<PFN_xrVoidFunction>(&getInstanceProcAddr);
        return XR_SUCCESS;
    }
    for (auto group : {instanceFunction, sessionFunction, inputFunction}) {
        if ((*function = group(name)))
            return XR_SUCCESS;
    }
    return XR_ERROR_FUNCTION_UNSUPPORTED;
}

} // namespace

} // namespace constellate::xrtest

using namespace constellate::xrtest;

/// The only symbol this library exports (everything else is hidden: -fvisibility=hidden).
extern "C" __attribute__((visibility("default"))) XrResult XRAPI_CALL
xrNegotiateLoaderRuntimeInterface(const NegotiateLoaderInfo* loaderInfo, NegotiateRuntimeRequest* request)
{
    if (!loaderInfo || !request || loaderInfo->structType != LoaderInterfaceStructLoaderInfo
        || loaderInfo->structVersion != LoaderInfoStructVersion || loaderInfo->structSize != sizeof(NegotiateLoaderInfo)
        || request->structType != LoaderInterfaceStructRuntimeRequest
        || request->structVersion != RuntimeInfoStructVersion || request->structSize != sizeof(NegotiateRuntimeRequest)
        || loaderInfo->minInterfaceVersion > CurrentLoaderRuntimeVersion
        || loaderInfo->maxInterfaceVersion < CurrentLoaderRuntimeVersion
        || XR_VERSION_MAJOR(loaderInfo->maxApiVersion) < 1 || XR_VERSION_MAJOR(loaderInfo->minApiVersion) > 1) {
        record("negotiate error=bad-request");
        return XR_ERROR_INITIALIZATION_FAILED;
    }
    request->runtimeInterfaceVersion = CurrentLoaderRuntimeVersion;
    request->runtimeApiVersion = XR_CURRENT_API_VERSION;
    request->getInstanceProcAddr = &getInstanceProcAddr;
    record("negotiate interface=" + std::to_string(CurrentLoaderRuntimeVersion) + " loaderApi="
           + std::to_string(XR_VERSION_MAJOR(loaderInfo->maxApiVersion)) + "."
           + std::to_string(XR_VERSION_MINOR(loaderInfo->maxApiVersion)));
    return XR_SUCCESS;
}

namespace constellate::xrtest {

Runtime& runtime()
{
    // Destroyed when the loader unloads this library (dlclose), so nothing leaks across loads.
    static Runtime instance;
    return instance;
}

Runtime::~Runtime()
{
    if (recordFile)
        std::fclose(recordFile);
}

void Runtime::restart()
{
    config = Config::fromEnvironment();
    world = World {};
    frames = 0;
    lastPredicted = 0;
    scriptPath.clear(); // read again, from where the last instance left it (see pumpScript)
    scriptOffset = 0;
    scriptPartial.clear();
    scriptPending.clear();
    if (recordFile)
        std::fclose(recordFile);
    const char* path = std::getenv("CONSTELLATE_XR_TEST_RECORD");
    recordFile = path && *path ? std::fopen(path, "a") : nullptr;
    // A standing user: eyes 1.6 m over the floor, at the stage's origin, looking along -z.
    world.head.pose.position = {0.0f, 1.6f, 0.0f};
    world.controllers[0].grip.pose.position = {-0.2f, 1.2f, -0.3f};
    world.controllers[1].grip.pose.position = {0.2f, 1.2f, -0.3f};
}

XrTime now()
{
    timespec ts {};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return XrTime(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

Config Config::fromEnvironment()
{
    Config c;
    const char* text = std::getenv("CONSTELLATE_XR_TEST_CONFIG");
    std::stringstream in(text ? text : "");
    std::string item;
    while (std::getline(in, item, ',')) {
        if (item == "no-hmd")
            c.hmd = false;
        else if (item == "no-opengl")
            c.opengl = false;
        else if (item == "no-depth")
            c.depth = false;
        else if (item == "no-hand-tracking")
            c.handTracking = false;
        else if (item == "no-stage")
            c.stage = false;
        else if (item == "keep-context")
            c.keepContext = true;
        else if (item == "readback")
            c.readback = true;
        else if (item.rfind("profile=", 0) == 0)
            c.profile = item.substr(8);
        else if (item.rfind("size=", 0) == 0)
            std::sscanf(item.c_str() + 5, "%ux%u", &c.width, &c.height);
    }
    return c;
}

void record(const std::string& line)
{
    Runtime& rt = runtime();
    if (!rt.recordFile) {
        const char* path = std::getenv("CONSTELLATE_XR_TEST_RECORD");
        rt.recordFile = path && *path ? std::fopen(path, "a") : nullptr;
    }
    std::FILE* file = rt.recordFile;
    if (!file)
        return;
    std::fputs(line.c_str(), file);
    std::fputc('\n', file);
    std::fflush(file);
}

// ---- poses --------------------------------------------------------------------------------

XrPosef identityPose()
{
    XrPosef p {};
    p.orientation.w = 1;
    return p;
}

XrQuaternionf multiply(const XrQuaternionf& a, const XrQuaternionf& b)
{
    return {a.w * b.x + a.x * b.w + a.y * b.z - a.z * b.y, a.w * b.y - a.x * b.z + a.y * b.w + a.z * b.x,
            a.w * b.z + a.x * b.y - a.y * b.x + a.z * b.w, a.w * b.w - a.x * b.x - a.y * b.y - a.z * b.z};
}

XrVector3f rotate(const XrQuaternionf& q, const XrVector3f& v)
{
    const XrQuaternionf p {v.x, v.y, v.z, 0};
    const XrQuaternionf c {-q.x, -q.y, -q.z, q.w};
    const XrQuaternionf r = multiply(multiply(q, p), c);
    return {r.x, r.y, r.z};
}

XrPosef compose(const XrPosef& a, const XrPosef& b)
{
    XrPosef out;
    out.orientation = multiply(a.orientation, b.orientation);
    const XrVector3f moved = rotate(a.orientation, b.position);
    out.position = {a.position.x + moved.x, a.position.y + moved.y, a.position.z + moved.z};
    return out;
}

XrPosef inverse(const XrPosef& p)
{
    XrPosef out;
    out.orientation = {-p.orientation.x, -p.orientation.y, -p.orientation.z, p.orientation.w};
    const XrVector3f back = rotate(out.orientation, p.position);
    out.position = {-back.x, -back.y, -back.z};
    return out;
}

std::string poseText(const XrPosef& p)
{
    char text[160];
    std::snprintf(text, sizeof text, "%.6f,%.6f,%.6f,%.6f,%.6f,%.6f,%.6f", double(p.position.x), double(p.position.y),
                  double(p.position.z), double(p.orientation.x), double(p.orientation.y), double(p.orientation.z),
                  double(p.orientation.w));
    return text;
}

XrPosef Motion::at(XrTime time) const
{
    XrPosef p = pose;
    const float seconds = float(double(time - since) / 1e9);
    p.position.x += velocity.x * seconds;
    p.position.y += velocity.y * seconds;
    p.position.z += velocity.z * seconds;
    return p;
}

std::string stateName(XrSessionState state)
{
#define CONSTELLATE_XRTEST_CASE(name, value) \
    case name: return #name;
    switch (state) {
        XR_LIST_ENUM_XrSessionState(CONSTELLATE_XRTEST_CASE)
    default: return std::to_string(int(state));
    }
#undef CONSTELLATE_XRTEST_CASE
}

// ---- paths --------------------------------------------------------------------------------

std::string pathString(XrPath path)
{
    Runtime& rt = runtime();
    if (path == XR_NULL_PATH || path > rt.paths.size())
        return {};
    return rt.paths[path - 1];
}

XrPath pathOf(const std::string& text)
{
    Runtime& rt = runtime();
    for (std::size_t i = 0; i < rt.paths.size(); ++i)
        if (rt.paths[i] == text)
            return XrPath(i + 1);
    rt.paths.push_back(text);
    return XrPath(rt.paths.size());
}

// ---- the script -----------------------------------------------------------------------------

namespace {

/// The words of a script line, read front to back.
struct Words {
    std::vector<std::string> words;
    std::size_t next = 0;
    bool ok = true;

    explicit Words(const std::string& line)
    {
        std::istringstream in(line);
        for (std::string w; in >> w;)
            words.push_back(w);
    }
    bool more() const { return next < words.size(); }
    const std::string& peek() const { return words[next]; }
    std::string word()
    {
        if (!more()) {
            ok = false;
            return {};
        }
        return words[next++];
    }
    float number()
    {
        const std::string w = word();
        char* end = nullptr;
        const float v = std::strtof(w.c_str(), &end);
        if (w.empty() || *end)
            ok = false;
        return v;
    }
    bool isNumber() const
    {
        if (!more())
            return false;
        char* end = nullptr;
        std::strtof(peek().c_str(), &end);
        return end != peek().c_str() && !*end;
    }
    int hand()
    {
        const std::string w = word();
        if (w == "left")
            return 0;
        if (w == "right")
            return 1;
        ok = false;
        return 0;
    }
    /// "X Y Z [QX QY QZ QW] [velocity VX VY VZ]": a Motion starting at the latest display time.
    Motion motion()
    {
        Motion m;
        m.pose.position = {number(), number(), number()};
        m.since = runtime().lastPredicted ? runtime().lastPredicted : now();
        if (isNumber()) {
            float q[4] = {number(), number(), number(), number()};
            const float n = std::sqrt(q[0] * q[0] + q[1] * q[1] + q[2] * q[2] + q[3] * q[3]);
            if (n < 1e-6f)
                ok = false;
            else
                m.pose.orientation = {q[0] / n, q[1] / n, q[2] / n, q[3] / n};
        }
        if (more() && peek() == "velocity") {
            word();
            m.velocity = {number(), number(), number()};
        }
        return m;
    }
};

void apply(const std::string& line)
{
    Runtime& rt = runtime();
    Words in(line);
    const std::string command = in.word();
    RtSession* session = rt.sessions.empty() ? nullptr : *rt.sessions.begin();
    if (command == "head") {
        const Motion m = in.motion();
        if (in.ok)
            rt.world.head = m;
    } else if (command == "grip" || command == "aim") {
        const int h = in.hand();
        const Motion m = in.motion();
        Controller& c = rt.world.controllers[std::size_t(h)];
        if (in.ok && command == "grip")
            c.grip = m;
        else if (in.ok)
            c.aim = m;
    } else if (command == "tracked") {
        const int h = in.hand();
        const std::string on = in.word();
        in.ok = in.ok && (on == "on" || on == "off");
        if (in.ok)
            rt.world.controllers[std::size_t(h)].tracked = on == "on";
    } else if (command == "trigger" || command == "squeeze") {
        const int h = in.hand();
        const float value = in.number();
        Controller& c = rt.world.controllers[std::size_t(h)];
        if (in.ok)
            (command == "trigger" ? c.trigger : c.squeeze) = value;
    } else if (command == "thumbstick") {
        const int h = in.hand();
        const XrVector2f xy {in.number(), in.number()};
        if (in.ok)
            rt.world.controllers[std::size_t(h)].thumbstick = xy;
    } else if (command == "button") {
        const int h = in.hand();
        const std::string name = in.word();
        const float down = in.number();
        if (in.ok)
            rt.world.controllers[std::size_t(h)].buttons[name] = down != 0;
    } else if (command == "hand") {
        const int h = in.hand();
        TrackedHand& th = rt.world.hands[std::size_t(h)];
        if (in.more() && in.peek() == "off") {
            in.word();
            if (in.ok)
                th.tracked = false;
        } else {
            const Motion m = in.motion();
            bool pinch = false;
            if (in.more() && in.peek() == "pinch") {
                in.word();
                pinch = in.number() != 0;
            }
            if (in.ok)
                th = TrackedHand {true, m, pinch};
        }
    } else if (command == "focus" || command == "unfocus") {
        if (session) {
            session->wantFocus = command == "focus";
            if (!session->wantFocus && session->state == XR_SESSION_STATE_FOCUSED)
                setState(*session, XR_SESSION_STATE_VISIBLE);
        }
    } else if (command == "stop" || command == "exit") {
        if (session && session->running)
            stopSession(*session, command == "exit");
    } else if (command == "ready") {
        if (session && session->state == XR_SESSION_STATE_IDLE && !session->exitAfterStop)
            setState(*session, XR_SESSION_STATE_READY);
    } else if (command == "lose") {
        if (session && !session->lost) {
            session->lost = true;
            setState(*session, XR_SESSION_STATE_LOSS_PENDING);
        }
    } else {
        in.ok = false;
    }
    if (in.more())
        in.ok = false;
    record(std::string(in.ok ? "script " : "script error=bad-line ") + line);
}

} // namespace

void pumpScript()
{
    Runtime& rt = runtime();
    if (rt.scriptPath.empty()) {
        const char* path = std::getenv("CONSTELLATE_XR_TEST_SCRIPT");
        if (!path || !*path)
            return;
        rt.scriptPath = path;
        // How far earlier instances read it: the loader may unload this library between
        // instances, so it is kept beside the script, not in memory. A second session in
        // one test goes on where the first stopped.
        std::ifstream offset(rt.scriptPath + ".offset");
        offset >> rt.scriptOffset;
    }
    std::ifstream in(rt.scriptPath, std::ios::binary);
    if (in) {
        in.seekg(std::streamoff(rt.scriptOffset));
        std::string chunk((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        rt.scriptOffset += chunk.size();
        rt.scriptPartial += chunk;
        if (!chunk.empty())
            std::ofstream(rt.scriptPath + ".offset", std::ios::trunc) << rt.scriptOffset;
        std::size_t end;
        while ((end = rt.scriptPartial.find('\n')) != std::string::npos) {
            std::string line = rt.scriptPartial.substr(0, end);
            rt.scriptPartial.erase(0, end + 1);
            if (!line.empty() && line.back() == '\r')
                line.pop_back();
            if (line.empty() || line[0] == '#')
                continue;
            rt.scriptPending.push_back(std::move(line));
        }
    }
    // In order; a line "@N command" waits for frame N, and the lines after it wait with it.
    while (!rt.scriptPending.empty()) {
        std::string& line = rt.scriptPending.front();
        if (line[0] == '@') {
            const std::uint64_t frame = std::strtoull(line.c_str() + 1, nullptr, 10);
            if (rt.frames < frame)
                return;
            const std::size_t space = line.find(' ');
            line = space == std::string::npos ? std::string() : line.substr(space + 1);
        }
        const std::string command = std::move(line);
        rt.scriptPending.pop_front();
        if (!command.empty())
            apply(command);
    }
}

void setState(RtSession& session, XrSessionState state)
{
    if (session.state == state)
        return;
    session.state = state;
    XrEventDataBuffer buffer {};
    auto* e = reinterpret_cast<XrEventDataSessionStateChanged*>(&buffer);
    e->type = XR_TYPE_EVENT_DATA_SESSION_STATE_CHANGED;
    e->session = reinterpret_cast<XrSession>(&session);
    e->state = state;
    e->time = now();
    session.instance->events.push_back(buffer);
    record("state " + stateName(state));
}

void stopSession(RtSession& session, bool exitAfter)
{
    session.exitAfterStop = session.exitAfterStop || exitAfter;
    if (session.state == XR_SESSION_STATE_FOCUSED)
        setState(session, XR_SESSION_STATE_VISIBLE);
    if (session.state == XR_SESSION_STATE_VISIBLE)
        setState(session, XR_SESSION_STATE_SYNCHRONIZED);
    if (session.state == XR_SESSION_STATE_READY && session.running)
        setState(session, XR_SESSION_STATE_SYNCHRONIZED);
    if (session.state == XR_SESSION_STATE_SYNCHRONIZED)
        setState(session, XR_SESSION_STATE_STOPPING);
}

} // namespace constellate::xrtest
