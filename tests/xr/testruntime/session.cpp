// Sessions, spaces, swapchains and the frame loop of the test runtime. Swapchain images are
// real textures made in the application's GL context (the one in its graphics binding,
// which must be current on the calling thread, as real runtimes that share the app's
// context require). Unless the config says keep-context, xrWaitFrame and xrEndFrame leave
// no context current, as some runtimes do: the application must make its own current again.

#include "testruntime.h"

#define XR_USE_PLATFORM_XLIB
#define XR_USE_GRAPHICS_API_OPENGL
#include <GL/glx.h>
#include <openxr/openxr_platform.h>

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <thread>

namespace constellate::xrtest {

namespace {

using Lock = std::unique_lock<std::recursive_mutex>;

constexpr XrSystemId SystemId = 1;
constexpr XrDuration DisplayPeriod = 1'000'000'000 / 90; // a 90 Hz headset
constexpr float HalfIpd = 0.032f;
/// The LOCAL space's origin in STAGE: where a standing user's eyes start.
const XrVector3f LocalOrigin {0.0f, 1.6f, 0.0f};

RtInstance* instanceOf(XrInstance handle)
{
    auto* i = reinterpret_cast<RtInstance*>(handle);
    return runtime().instances.count(i) ? i : nullptr;
}

RtSession* sessionOf(XrSession handle)
{
    auto* s = reinterpret_cast<RtSession*>(handle);
    return runtime().sessions.count(s) ? s : nullptr;
}

RtSpace* spaceOf(XrSpace handle)
{
    auto* s = reinterpret_cast<RtSpace*>(handle);
    return runtime().spaces.count(s) ? s : nullptr;
}

RtSwapchain* swapchainOf(XrSwapchain handle)
{
    auto* s = reinterpret_cast<RtSwapchain*>(handle);
    return runtime().swapchains.count(s) ? s : nullptr;
}

std::string hex(std::int64_t value)
{
    char text[24];
    std::snprintf(text, sizeof text, "0x%" PRIx64, std::uint64_t(value));
    return text;
}

std::string spaceName(const RtSpace& space)
{
    if (space.action)
        return "ACTION";
    switch (space.reference) {
    case XR_REFERENCE_SPACE_TYPE_VIEW: return "VIEW";
    case XR_REFERENCE_SPACE_TYPE_LOCAL: return "LOCAL";
    case XR_REFERENCE_SPACE_TYPE_STAGE: return "STAGE";
    default: return "?";
    }
}

bool contextIsCurrent(const RtSession& session)
{
    return session.context && glXGetCurrentContext() == static_cast<GLXContext>(session.context);
}

/// What some runtimes do behind the application's back.
void releaseContext(const RtSession& session)
{
    if (!runtime().config.keepContext && session.display && glXGetCurrentContext())
        glXMakeCurrent(static_cast<Display*>(session.display), None, nullptr);
}

bool isDepthFormat(std::int64_t format)
{
    return format == GL_DEPTH_COMPONENT24 || format == GL_DEPTH_COMPONENT32F;
}

void destroySwapchain(RtSwapchain* swapchain)
{
    Runtime& rt = runtime();
    if (contextIsCurrent(*swapchain->session))
        glDeleteTextures(GLsizei(swapchain->textures.size()), swapchain->textures.data());
    else
        record("destroySwapchain error=context-not-current id=" + std::to_string(swapchain->id));
    record("destroySwapchain id=" + std::to_string(swapchain->id));
    rt.swapchains.erase(swapchain);
    delete swapchain;
}

// ---- instance-level -------------------------------------------------------------------------

XrResult XRAPI_CALL getOpenGLGraphicsRequirements(XrInstance handle, XrSystemId system,
                                                  XrGraphicsRequirementsOpenGLKHR* requirements)
{
    Lock lock(runtime().mutex);
    RtInstance* instance = instanceOf(handle);
    if (!instance)
        return XR_ERROR_HANDLE_INVALID;
    if (!instance->extensions.count("XR_KHR_opengl_enable"))
        return XR_ERROR_FUNCTION_UNSUPPORTED;
    if (system != SystemId)
        return XR_ERROR_SYSTEM_INVALID;
    if (!requirements || requirements->type != XR_TYPE_GRAPHICS_REQUIREMENTS_OPENGL_KHR)
        return XR_ERROR_VALIDATION_FAILURE;
    requirements->minApiVersionSupported = XR_MAKE_VERSION(3, 3, 0);
    requirements->maxApiVersionSupported = XR_MAKE_VERSION(4, 6, 0);
    instance->requirementsQueried = true;
    record("graphicsRequirements");
    return XR_SUCCESS;
}

// ---- sessions -------------------------------------------------------------------------------

XrResult XRAPI_CALL createSession(XrInstance handle, const XrSessionCreateInfo* info, XrSession* out)
{
    Lock lock(runtime().mutex);
    RtInstance* instance = instanceOf(handle);
    if (!instance)
        return XR_ERROR_HANDLE_INVALID;
    if (!info || !out || info->type != XR_TYPE_SESSION_CREATE_INFO)
        return XR_ERROR_VALIDATION_FAILURE;
    if (info->systemId != SystemId)
        return XR_ERROR_SYSTEM_INVALID;
    if (!instance->requirementsQueried) {
        record("createSession error=graphics-requirements-call-missing");
        return XR_ERROR_GRAPHICS_REQUIREMENTS_CALL_MISSING;
    }
    const XrGraphicsBindingOpenGLXlibKHR* binding = nullptr;
    for (auto* next = static_cast<const XrBaseInStructure*>(info->next); next; next = next->next)
        if (next->type == XR_TYPE_GRAPHICS_BINDING_OPENGL_XLIB_KHR)
            binding = reinterpret_cast<const XrGraphicsBindingOpenGLXlibKHR*>(next);
    if (!binding || !binding->xDisplay || !binding->glxContext || !binding->glxDrawable || !binding->glxFBConfig) {
        record("createSession error=no-xlib-binding");
        return XR_ERROR_GRAPHICS_DEVICE_INVALID;
    }
    if (instance->session)
        return XR_ERROR_LIMIT_REACHED;
    auto session = std::make_unique<RtSession>();
    session->instance = instance;
    session->display = binding->xDisplay;
    session->context = binding->glxContext;
    const bool current = contextIsCurrent(*session);
    record(std::string("createSession contextCurrent=") + (current ? "1" : "0")
           + " drawableCurrent=" + (glXGetCurrentDrawable() == binding->glxDrawable ? "1" : "0"));
    instance->session = session.get();
    RtSession* s = session.release();
    runtime().sessions.insert(s);
    *out = reinterpret_cast<XrSession>(s);
    setState(*s, XR_SESSION_STATE_IDLE);
    setState(*s, XR_SESSION_STATE_READY);
    return XR_SUCCESS;
}

XrResult XRAPI_CALL destroySession(XrSession handle)
{
    Lock lock(runtime().mutex);
    Runtime& rt = runtime();
    RtSession* session = sessionOf(handle);
    if (!session)
        return XR_ERROR_HANDLE_INVALID;
    for (auto it = rt.swapchains.begin(); it != rt.swapchains.end();) {
        RtSwapchain* s = *it++;
        if (s->session == session)
            destroySwapchain(s);
    }
    for (auto it = rt.spaces.begin(); it != rt.spaces.end();) {
        RtSpace* s = *it++;
        if (s->session == session) {
            rt.spaces.erase(s);
            delete s;
        }
    }
    for (auto it = rt.handTrackers.begin(); it != rt.handTrackers.end();) {
        RtHandTracker* t = *it++;
        if (t->session == session) {
            rt.handTrackers.erase(t);
            delete t;
        }
    }
    // Events still queued for it name a dead handle: drop them.
    auto& events = session->instance->events;
    events.erase(std::remove_if(events.begin(), events.end(),
                                [&](const XrEventDataBuffer& e) {
                                    return e.type == XR_TYPE_EVENT_DATA_SESSION_STATE_CHANGED
                                        && reinterpret_cast<const XrEventDataSessionStateChanged&>(e).session == handle;
                                }),
                 events.end());
    record(std::string("destroySession running=") + (session->running ? "1" : "0"));
    session->instance->session = nullptr;
    rt.sessions.erase(session);
    delete session;
    return XR_SUCCESS;
}

XrResult XRAPI_CALL beginSession(XrSession handle, const XrSessionBeginInfo* info)
{
    Lock lock(runtime().mutex);
    RtSession* session = sessionOf(handle);
    if (!session)
        return XR_ERROR_HANDLE_INVALID;
    if (!info || info->type != XR_TYPE_SESSION_BEGIN_INFO)
        return XR_ERROR_VALIDATION_FAILURE;
    if (session->lost)
        return XR_ERROR_SESSION_LOST;
    if (info->primaryViewConfigurationType != XR_VIEW_CONFIGURATION_TYPE_PRIMARY_STEREO)
        return XR_ERROR_VIEW_CONFIGURATION_TYPE_UNSUPPORTED;
    if (session->running)
        return XR_ERROR_SESSION_RUNNING;
    if (session->state != XR_SESSION_STATE_READY)
        return XR_ERROR_SESSION_NOT_READY;
    session->running = true;
    session->exitAfterStop = false;
    session->sessionFrames = 0;
    record("beginSession");
    return XR_SUCCESS;
}

XrResult XRAPI_CALL endSession(XrSession handle)
{
    Lock lock(runtime().mutex);
    RtSession* session = sessionOf(handle);
    if (!session)
        return XR_ERROR_HANDLE_INVALID;
    if (session->lost)
        return XR_ERROR_SESSION_LOST;
    if (!session->running)
        return XR_ERROR_SESSION_NOT_RUNNING;
    if (session->state != XR_SESSION_STATE_STOPPING)
        return XR_ERROR_SESSION_NOT_STOPPING;
    session->running = false;
    session->frameBegun = false;
    session->waitedFrame = false;
    session->predicted.clear();
    record("endSession");
    setState(*session, XR_SESSION_STATE_IDLE);
    if (session->exitAfterStop)
        setState(*session, XR_SESSION_STATE_EXITING);
    return XR_SUCCESS;
}

XrResult XRAPI_CALL requestExitSession(XrSession handle)
{
    Lock lock(runtime().mutex);
    RtSession* session = sessionOf(handle);
    if (!session)
        return XR_ERROR_HANDLE_INVALID;
    if (session->lost)
        return XR_ERROR_SESSION_LOST;
    if (!session->running)
        return XR_ERROR_SESSION_NOT_RUNNING;
    record("requestExitSession");
    stopSession(*session, true);
    return XR_SUCCESS;
}

// ---- spaces ---------------------------------------------------------------------------------

std::vector<XrReferenceSpaceType> referenceSpaces()
{
    std::vector<XrReferenceSpaceType> list {XR_REFERENCE_SPACE_TYPE_VIEW, XR_REFERENCE_SPACE_TYPE_LOCAL};
    if (runtime().config.stage)
        list.push_back(XR_REFERENCE_SPACE_TYPE_STAGE);
    return list;
}

XrResult XRAPI_CALL enumerateReferenceSpaces(XrSession handle, uint32_t capacity, uint32_t* count,
                                             XrReferenceSpaceType* spaces)
{
    Lock lock(runtime().mutex);
    if (!sessionOf(handle))
        return XR_ERROR_HANDLE_INVALID;
    const std::vector<XrReferenceSpaceType> list = referenceSpaces();
    if (!count)
        return XR_ERROR_VALIDATION_FAILURE;
    *count = uint32_t(list.size());
    if (capacity == 0)
        return XR_SUCCESS;
    if (capacity < list.size())
        return XR_ERROR_SIZE_INSUFFICIENT;
    std::copy(list.begin(), list.end(), spaces);
    return XR_SUCCESS;
}

XrResult XRAPI_CALL createReferenceSpace(XrSession handle, const XrReferenceSpaceCreateInfo* info, XrSpace* out)
{
    Lock lock(runtime().mutex);
    RtSession* session = sessionOf(handle);
    if (!session)
        return XR_ERROR_HANDLE_INVALID;
    if (!info || !out || info->type != XR_TYPE_REFERENCE_SPACE_CREATE_INFO)
        return XR_ERROR_VALIDATION_FAILURE;
    if (session->lost)
        return XR_ERROR_SESSION_LOST;
    const std::vector<XrReferenceSpaceType> list = referenceSpaces();
    if (std::find(list.begin(), list.end(), info->referenceSpaceType) == list.end())
        return XR_ERROR_REFERENCE_SPACE_UNSUPPORTED;
    auto* space = new RtSpace;
    space->session = session;
    space->reference = info->referenceSpaceType;
    space->offset = info->poseInReferenceSpace;
    runtime().spaces.insert(space);
    *out = reinterpret_cast<XrSpace>(space);
    record("createReferenceSpace type=" + spaceName(*space));
    return XR_SUCCESS;
}

XrResult XRAPI_CALL getReferenceSpaceBoundsRect(XrSession handle, XrReferenceSpaceType type, XrExtent2Df* bounds)
{
    Lock lock(runtime().mutex);
    if (!sessionOf(handle))
        return XR_ERROR_HANDLE_INVALID;
    if (!bounds)
        return XR_ERROR_VALIDATION_FAILURE;
    if (type == XR_REFERENCE_SPACE_TYPE_STAGE && runtime().config.stage) {
        *bounds = {3.0f, 3.0f};
        return XR_SUCCESS;
    }
    *bounds = {0.0f, 0.0f};
    return XR_SPACE_BOUNDS_UNAVAILABLE;
}

XrResult XRAPI_CALL locateSpace(XrSpace handle, XrSpace baseHandle, XrTime time, XrSpaceLocation* location)
{
    Lock lock(runtime().mutex);
    RtSpace* space = spaceOf(handle);
    RtSpace* base = spaceOf(baseHandle);
    if (!space || !base)
        return XR_ERROR_HANDLE_INVALID;
    if (!location || location->type != XR_TYPE_SPACE_LOCATION)
        return XR_ERROR_VALIDATION_FAILURE;
    if (time <= 0)
        return XR_ERROR_TIME_INVALID;
    if (space->session->lost)
        return XR_ERROR_SESSION_LOST;
    const std::optional<XrPosef> s = spaceInStage(*space, time);
    const std::optional<XrPosef> b = spaceInStage(*base, time);
    if (s && b) {
        location->pose = compose(inverse(*b), *s);
        location->locationFlags = XR_SPACE_LOCATION_ORIENTATION_VALID_BIT | XR_SPACE_LOCATION_POSITION_VALID_BIT
            | XR_SPACE_LOCATION_ORIENTATION_TRACKED_BIT | XR_SPACE_LOCATION_POSITION_TRACKED_BIT;
    } else {
        location->pose = identityPose();
        location->locationFlags = 0;
    }
    for (auto* next = static_cast<XrBaseOutStructure*>(location->next); next; next = next->next)
        if (next->type == XR_TYPE_SPACE_VELOCITY)
            reinterpret_cast<XrSpaceVelocity*>(next)->velocityFlags = 0;
    return XR_SUCCESS;
}

XrResult XRAPI_CALL destroySpace(XrSpace handle)
{
    Lock lock(runtime().mutex);
    RtSpace* space = spaceOf(handle);
    if (!space)
        return XR_ERROR_HANDLE_INVALID;
    runtime().spaces.erase(space);
    delete space;
    return XR_SUCCESS;
}

// ---- swapchains -----------------------------------------------------------------------------

const std::vector<std::int64_t>& swapchainFormats()
{
    // The runtime's preference first: sRGB, so that colours look as on a desktop monitor.
    static const std::vector<std::int64_t> formats {GL_SRGB8_ALPHA8, GL_RGBA8, GL_DEPTH_COMPONENT24, GL_DEPTH_COMPONENT32F};
    return formats;
}

XrResult XRAPI_CALL enumerateSwapchainFormats(XrSession handle, uint32_t capacity, uint32_t* count, int64_t* formats)
{
    Lock lock(runtime().mutex);
    if (!sessionOf(handle))
        return XR_ERROR_HANDLE_INVALID;
    if (!count)
        return XR_ERROR_VALIDATION_FAILURE;
    const auto& list = swapchainFormats();
    *count = uint32_t(list.size());
    if (capacity == 0)
        return XR_SUCCESS;
    if (capacity < list.size())
        return XR_ERROR_SIZE_INSUFFICIENT;
    std::copy(list.begin(), list.end(), formats);
    return XR_SUCCESS;
}

XrResult XRAPI_CALL createSwapchain(XrSession handle, const XrSwapchainCreateInfo* info, XrSwapchain* out)
{
    Lock lock(runtime().mutex);
    Runtime& rt = runtime();
    RtSession* session = sessionOf(handle);
    if (!session)
        return XR_ERROR_HANDLE_INVALID;
    if (!info || !out || info->type != XR_TYPE_SWAPCHAIN_CREATE_INFO)
        return XR_ERROR_VALIDATION_FAILURE;
    if (session->lost)
        return XR_ERROR_SESSION_LOST;
    const auto& formats = swapchainFormats();
    if (std::find(formats.begin(), formats.end(), info->format) == formats.end())
        return XR_ERROR_SWAPCHAIN_FORMAT_UNSUPPORTED;
    const bool depth = isDepthFormat(info->format);
    const XrSwapchainUsageFlags needed =
        depth ? XR_SWAPCHAIN_USAGE_DEPTH_STENCIL_ATTACHMENT_BIT : XR_SWAPCHAIN_USAGE_COLOR_ATTACHMENT_BIT;
    if (!(info->usageFlags & needed) || info->sampleCount != 1 || info->faceCount != 1 || info->arraySize != 1
        || info->mipCount != 1 || info->width == 0 || info->height == 0 || info->width > 4096 || info->height > 4096) {
        record("createSwapchain error=bad-create-info");
        return XR_ERROR_VALIDATION_FAILURE;
    }
    if (!contextIsCurrent(*session)) {
        record("createSwapchain error=context-not-current");
        return XR_ERROR_RUNTIME_FAILURE;
    }
    auto swapchain = std::make_unique<RtSwapchain>();
    swapchain->session = session;
    swapchain->id = rt.nextSwapchainId++;
    swapchain->format = info->format;
    swapchain->width = info->width;
    swapchain->height = info->height;
    swapchain->depth = depth;
    swapchain->textures.resize(3);
    GLint previous = 0;
    glGetIntegerv(GL_TEXTURE_BINDING_2D, &previous);
    glGenTextures(3, swapchain->textures.data());
    for (const GLuint texture : swapchain->textures) {
        glBindTexture(GL_TEXTURE_2D, texture);
        glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_LINEAR);
        glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_LINEAR);
        glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAX_LEVEL, 0);
        if (depth)
            glTexImage2D(GL_TEXTURE_2D, 0, GLint(info->format), GLsizei(info->width), GLsizei(info->height), 0,
                         GL_DEPTH_COMPONENT, info->format == GL_DEPTH_COMPONENT32F ? GL_FLOAT : GL_UNSIGNED_INT, nullptr);
        else
            glTexImage2D(GL_TEXTURE_2D, 0, GLint(info->format), GLsizei(info->width), GLsizei(info->height), 0, GL_RGBA,
                         GL_UNSIGNED_BYTE, nullptr);
    }
    glBindTexture(GL_TEXTURE_2D, GLuint(previous));
    if (const GLenum error = glGetError(); error != GL_NO_ERROR) {
        record("createSwapchain error=gl-" + hex(error));
        glDeleteTextures(3, swapchain->textures.data());
        return XR_ERROR_RUNTIME_FAILURE;
    }
    record("createSwapchain id=" + std::to_string(swapchain->id) + " format=" + hex(info->format) + " width="
           + std::to_string(info->width) + " height=" + std::to_string(info->height));
    RtSwapchain* s = swapchain.release();
    rt.swapchains.insert(s);
    *out = reinterpret_cast<XrSwapchain>(s);
    return XR_SUCCESS;
}

XrResult XRAPI_CALL destroySwapchainEntry(XrSwapchain handle)
{
    Lock lock(runtime().mutex);
    RtSwapchain* swapchain = swapchainOf(handle);
    if (!swapchain)
        return XR_ERROR_HANDLE_INVALID;
    destroySwapchain(swapchain);
    return XR_SUCCESS;
}

XrResult XRAPI_CALL enumerateSwapchainImages(XrSwapchain handle, uint32_t capacity, uint32_t* count,
                                             XrSwapchainImageBaseHeader* images)
{
    Lock lock(runtime().mutex);
    RtSwapchain* swapchain = swapchainOf(handle);
    if (!swapchain)
        return XR_ERROR_HANDLE_INVALID;
    if (!count)
        return XR_ERROR_VALIDATION_FAILURE;
    *count = uint32_t(swapchain->textures.size());
    if (capacity == 0)
        return XR_SUCCESS;
    if (capacity < swapchain->textures.size())
        return XR_ERROR_SIZE_INSUFFICIENT;
    auto* gl = reinterpret_cast<XrSwapchainImageOpenGLKHR*>(images);
    for (std::size_t i = 0; i < swapchain->textures.size(); ++i) {
        if (gl[i].type != XR_TYPE_SWAPCHAIN_IMAGE_OPENGL_KHR)
            return XR_ERROR_VALIDATION_FAILURE;
        gl[i].image = swapchain->textures[i];
    }
    return XR_SUCCESS;
}

XrResult XRAPI_CALL acquireSwapchainImage(XrSwapchain handle, const XrSwapchainImageAcquireInfo* info, uint32_t* index)
{
    Lock lock(runtime().mutex);
    RtSwapchain* swapchain = swapchainOf(handle);
    if (!swapchain)
        return XR_ERROR_HANDLE_INVALID;
    if ((info && info->type != XR_TYPE_SWAPCHAIN_IMAGE_ACQUIRE_INFO) || !index)
        return XR_ERROR_VALIDATION_FAILURE;
    if (swapchain->session->lost)
        return XR_ERROR_SESSION_LOST;
    if (swapchain->acquired.size() == swapchain->textures.size())
        return XR_ERROR_CALL_ORDER_INVALID;
    std::uint32_t next = 0;
    if (!swapchain->acquired.empty())
        next = (swapchain->acquired.back() + 1) % std::uint32_t(swapchain->textures.size());
    else if (swapchain->lastReleased)
        next = (*swapchain->lastReleased + 1) % std::uint32_t(swapchain->textures.size());
    swapchain->acquired.push_back(next);
    *index = next;
    return XR_SUCCESS;
}

XrResult XRAPI_CALL waitSwapchainImage(XrSwapchain handle, const XrSwapchainImageWaitInfo* info)
{
    Lock lock(runtime().mutex);
    RtSwapchain* swapchain = swapchainOf(handle);
    if (!swapchain)
        return XR_ERROR_HANDLE_INVALID;
    if (!info || info->type != XR_TYPE_SWAPCHAIN_IMAGE_WAIT_INFO)
        return XR_ERROR_VALIDATION_FAILURE;
    if (swapchain->session->lost)
        return XR_ERROR_SESSION_LOST;
    if (swapchain->acquired.empty() || swapchain->waited)
        return XR_ERROR_CALL_ORDER_INVALID;
    swapchain->waited = swapchain->acquired.front();
    return XR_SUCCESS;
}

XrResult XRAPI_CALL releaseSwapchainImage(XrSwapchain handle, const XrSwapchainImageReleaseInfo* info)
{
    Lock lock(runtime().mutex);
    RtSwapchain* swapchain = swapchainOf(handle);
    if (!swapchain)
        return XR_ERROR_HANDLE_INVALID;
    if (info && info->type != XR_TYPE_SWAPCHAIN_IMAGE_RELEASE_INFO)
        return XR_ERROR_VALIDATION_FAILURE;
    if (swapchain->session->lost)
        return XR_ERROR_SESSION_LOST;
    if (!swapchain->waited)
        return XR_ERROR_CALL_ORDER_INVALID;
    swapchain->lastReleased = *swapchain->waited;
    swapchain->acquired.pop_front();
    swapchain->waited.reset();
    return XR_SUCCESS;
}

// ---- frames ---------------------------------------------------------------------------------

XrResult XRAPI_CALL waitFrame(XrSession handle, const XrFrameWaitInfo* info, XrFrameState* state)
{
    Lock lock(runtime().mutex);
    Runtime& rt = runtime();
    RtSession* session = sessionOf(handle);
    if (!session)
        return XR_ERROR_HANDLE_INVALID;
    if ((info && info->type != XR_TYPE_FRAME_WAIT_INFO) || !state || state->type != XR_TYPE_FRAME_STATE)
        return XR_ERROR_VALIDATION_FAILURE;
    if (session->lost)
        return XR_ERROR_SESSION_LOST;
    if (!session->running)
        return XR_ERROR_SESSION_NOT_RUNNING;
    ++rt.frames;
    ++session->sessionFrames;
    const std::uint64_t frame = rt.frames;
    pumpScript();
    // Display times on a 90 Hz grid; the call returns one period before its display time,
    // so the application has one period to draw (a slow frame makes later ones skip ahead).
    const XrTime start = now();
    XrTime predicted = rt.lastPredicted ? rt.lastPredicted + DisplayPeriod : start + DisplayPeriod;
    while (predicted < start + DisplayPeriod / 2)
        predicted += DisplayPeriod;
    rt.lastPredicted = predicted;
    session->predicted.insert(predicted);
    const XrTime wake = predicted - DisplayPeriod;
    lock.unlock();
    if (wake > start)
        std::this_thread::sleep_for(std::chrono::nanoseconds(wake - start));
    lock.lock();
    if (!sessionOf(handle))
        return XR_ERROR_HANDLE_INVALID;
    state->predictedDisplayTime = predicted;
    state->predictedDisplayPeriod = DisplayPeriod;
    state->shouldRender =
        session->state == XR_SESSION_STATE_VISIBLE || session->state == XR_SESSION_STATE_FOCUSED ? XR_TRUE : XR_FALSE;
    session->waitedFrame = true;
    record("waitFrame frame=" + std::to_string(frame) + " predicted=" + std::to_string(predicted)
           + " shouldRender=" + (state->shouldRender ? "1" : "0"));
    releaseContext(*session);
    return XR_SUCCESS;
}

XrResult XRAPI_CALL beginFrame(XrSession handle, const XrFrameBeginInfo* info)
{
    Lock lock(runtime().mutex);
    RtSession* session = sessionOf(handle);
    if (!session)
        return XR_ERROR_HANDLE_INVALID;
    if (info && info->type != XR_TYPE_FRAME_BEGIN_INFO)
        return XR_ERROR_VALIDATION_FAILURE;
    if (session->lost)
        return XR_ERROR_SESSION_LOST;
    if (!session->running)
        return XR_ERROR_SESSION_NOT_RUNNING;
    if (!session->waitedFrame)
        return XR_ERROR_CALL_ORDER_INVALID;
    session->waitedFrame = false;
    const bool discarded = session->frameBegun;
    session->frameBegun = true;
    record(std::string("beginFrame") + (discarded ? " discarded=1" : ""));
    return discarded ? XR_FRAME_DISCARDED : XR_SUCCESS;
}

/// Reads the texture back: how many pixels differ from the corner's and a hash of all.
std::string readback(const RtSwapchain& swapchain, std::uint32_t image, const XrRect2Di& rect)
{
    GLint packBuffer = 0;
    glGetIntegerv(GL_PIXEL_PACK_BUFFER_BINDING, &packBuffer);
    if (packBuffer != 0)
        return "error=pack-buffer-bound";
    std::vector<std::uint32_t> pixels(std::size_t(swapchain.width) * swapchain.height);
    GLint previous = 0;
    glGetIntegerv(GL_TEXTURE_BINDING_2D, &previous);
    glBindTexture(GL_TEXTURE_2D, swapchain.textures[image]);
    glPixelStorei(GL_PACK_ALIGNMENT, 4);
    glGetTexImage(GL_TEXTURE_2D, 0, GL_RGBA, GL_UNSIGNED_BYTE, pixels.data());
    glBindTexture(GL_TEXTURE_2D, GLuint(previous));
    std::uint64_t hash = 1469598103934665603ull;
    std::size_t differing = 0;
    const std::uint32_t corner = pixels[std::size_t(rect.offset.y) * swapchain.width + std::size_t(rect.offset.x)];
    for (int y = rect.offset.y; y < rect.offset.y + rect.extent.height; ++y) {
        for (int x = rect.offset.x; x < rect.offset.x + rect.extent.width; ++x) {
            const std::uint32_t p = pixels[std::size_t(y) * swapchain.width + std::size_t(x)];
            differing += p != corner;
            hash = (hash ^ p) * 1099511628211ull;
        }
    }
    return "pixels=" + std::to_string(differing) + " hash=" + hex(std::int64_t(hash));
}

XrResult XRAPI_CALL endFrame(XrSession handle, const XrFrameEndInfo* info)
{
    Lock lock(runtime().mutex);
    Runtime& rt = runtime();
    RtSession* session = sessionOf(handle);
    if (!session)
        return XR_ERROR_HANDLE_INVALID;
    if (!info || info->type != XR_TYPE_FRAME_END_INFO)
        return XR_ERROR_VALIDATION_FAILURE;
    if (session->lost)
        return XR_ERROR_SESSION_LOST;
    if (!session->running)
        return XR_ERROR_SESSION_NOT_RUNNING;
    if (!session->frameBegun)
        return XR_ERROR_CALL_ORDER_INVALID;
    auto fail = [&](XrResult result, const std::string& why) {
        record("endFrame error=" + why);
        return result;
    };
    if (!session->predicted.count(info->displayTime))
        return fail(XR_ERROR_TIME_INVALID, "display-time-not-predicted time=" + std::to_string(info->displayTime));
    if (info->environmentBlendMode != XR_ENVIRONMENT_BLEND_MODE_OPAQUE)
        return fail(XR_ERROR_ENVIRONMENT_BLEND_MODE_UNSUPPORTED, "blend-mode");
    if (info->layerCount > 16)
        return fail(XR_ERROR_LAYER_LIMIT_EXCEEDED, "too-many-layers");

    std::string line = "endFrame time=" + std::to_string(info->displayTime) + " layers=" + std::to_string(info->layerCount)
        + " contextCurrent=" + (contextIsCurrent(*session) ? "1" : "0");
    for (uint32_t l = 0; l < info->layerCount; ++l) {
        const XrCompositionLayerBaseHeader* layer = info->layers[l];
        if (!layer || layer->type != XR_TYPE_COMPOSITION_LAYER_PROJECTION)
            return fail(XR_ERROR_LAYER_INVALID, "not-a-projection-layer");
        const auto* projection = reinterpret_cast<const XrCompositionLayerProjection*>(layer);
        const RtSpace* space = spaceOf(projection->space);
        if (!space || projection->viewCount != 2 || !projection->views)
            return fail(XR_ERROR_LAYER_INVALID, "projection");
        line += " space=" + spaceName(*space) + " views=" + std::to_string(projection->viewCount);
        for (uint32_t v = 0; v < projection->viewCount; ++v) {
            const XrCompositionLayerProjectionView& view = projection->views[v];
            if (view.type != XR_TYPE_COMPOSITION_LAYER_PROJECTION_VIEW)
                return fail(XR_ERROR_VALIDATION_FAILURE, "view-type");
            const RtSwapchain* swapchain = swapchainOf(view.subImage.swapchain);
            if (!swapchain || swapchain->depth || !swapchain->lastReleased)
                return fail(XR_ERROR_LAYER_INVALID, "view-swapchain-not-released");
            const XrRect2Di& r = view.subImage.imageRect;
            if (r.offset.x < 0 || r.offset.y < 0 || r.extent.width <= 0 || r.extent.height <= 0
                || std::uint32_t(r.offset.x + r.extent.width) > swapchain->width
                || std::uint32_t(r.offset.y + r.extent.height) > swapchain->height || view.subImage.imageArrayIndex != 0)
                return fail(XR_ERROR_SWAPCHAIN_RECT_INVALID, "rect");
            const std::string n = std::to_string(v);
            char fov[96];
            std::snprintf(fov, sizeof fov, "%.4f,%.4f,%.4f,%.4f", double(view.fov.angleLeft), double(view.fov.angleRight),
                          double(view.fov.angleUp), double(view.fov.angleDown));
            line += " pose" + n + "=" + poseText(view.pose) + " fov" + n + "=" + fov + " swapchain" + n + "="
                + std::to_string(swapchain->id) + " image" + n + "=" + std::to_string(*swapchain->lastReleased)
                + " format" + n + "=" + hex(swapchain->format) + " rect" + n + "=" + std::to_string(r.offset.x) + ","
                + std::to_string(r.offset.y) + "," + std::to_string(r.extent.width) + "," + std::to_string(r.extent.height);
            for (auto* next = static_cast<const XrBaseInStructure*>(view.next); next; next = next->next) {
                if (next->type != XR_TYPE_COMPOSITION_LAYER_DEPTH_INFO_KHR)
                    continue;
                if (!session->instance->extensions.count("XR_KHR_composition_layer_depth"))
                    return fail(XR_ERROR_VALIDATION_FAILURE, "depth-info-without-extension");
                const auto* depth = reinterpret_cast<const XrCompositionLayerDepthInfoKHR*>(next);
                const RtSwapchain* d = swapchainOf(depth->subImage.swapchain);
                if (!d || !d->depth || !d->lastReleased || !(depth->nearZ > 0) || !(depth->farZ > depth->nearZ)
                    || depth->minDepth != 0.0f || depth->maxDepth != 1.0f)
                    return fail(XR_ERROR_LAYER_INVALID, "depth-info");
                char text[96];
                std::snprintf(text, sizeof text, "%" PRIu64 ",%.4f,%.4f", d->id, double(depth->nearZ), double(depth->farZ));
                line += " depth" + n + "=" + text;
            }
            if (rt.config.readback) {
                if (!contextIsCurrent(*session))
                    return fail(XR_ERROR_RUNTIME_FAILURE, "readback-context-not-current");
                const std::string pixels = readback(*swapchain, *swapchain->lastReleased, r);
                line += " pixels" + n + "=" + pixels.substr(pixels.find('=') + 1, pixels.find(' ') - pixels.find('=') - 1)
                    + " hash" + n + "=" + pixels.substr(pixels.rfind('=') + 1);
            }
        }
    }
    record(line);
    // Everything up to this display time has been shown (or was skipped).
    session->predicted.erase(session->predicted.begin(), session->predicted.upper_bound(info->displayTime));
    session->frameBegun = false;
    // The compositor shows the application's frames: on to visible and focused.
    if (session->state == XR_SESSION_STATE_READY)
        setState(*session, XR_SESSION_STATE_SYNCHRONIZED);
    else if (session->state == XR_SESSION_STATE_SYNCHRONIZED)
        setState(*session, XR_SESSION_STATE_VISIBLE);
    else if (session->state == XR_SESSION_STATE_VISIBLE && session->wantFocus)
        setState(*session, XR_SESSION_STATE_FOCUSED);
    releaseContext(*session);
    return XR_SUCCESS;
}

XrResult XRAPI_CALL locateViews(XrSession handle, const XrViewLocateInfo* info, XrViewState* viewState, uint32_t capacity,
                                uint32_t* count, XrView* views)
{
    Lock lock(runtime().mutex);
    RtSession* session = sessionOf(handle);
    if (!session)
        return XR_ERROR_HANDLE_INVALID;
    if (!info || info->type != XR_TYPE_VIEW_LOCATE_INFO || !viewState || viewState->type != XR_TYPE_VIEW_STATE || !count)
        return XR_ERROR_VALIDATION_FAILURE;
    if (session->lost)
        return XR_ERROR_SESSION_LOST;
    if (info->viewConfigurationType != XR_VIEW_CONFIGURATION_TYPE_PRIMARY_STEREO)
        return XR_ERROR_VIEW_CONFIGURATION_TYPE_UNSUPPORTED;
    if (info->displayTime <= 0)
        return XR_ERROR_TIME_INVALID;
    const RtSpace* base = spaceOf(info->space);
    if (!base)
        return XR_ERROR_HANDLE_INVALID;
    *count = 2;
    if (capacity == 0)
        return XR_SUCCESS;
    if (capacity < 2)
        return XR_ERROR_SIZE_INSUFFICIENT;
    const std::optional<XrPosef> baseInStage = spaceInStage(*base, info->displayTime);
    const XrPosef head = runtime().world.head.at(info->displayTime);
    std::string line = "locateViews time=" + std::to_string(info->displayTime) + " space=" + spaceName(*base);
    for (int v = 0; v < 2; ++v) {
        if (views[v].type != XR_TYPE_VIEW)
            return XR_ERROR_VALIDATION_FAILURE;
        XrPosef eye = identityPose();
        eye.position.x = v == 0 ? -HalfIpd : HalfIpd;
        views[v].pose = baseInStage ? compose(inverse(*baseInStage), compose(head, eye)) : identityPose();
        // Each eye sees further to its own side, as real lenses do.
        views[v].fov = v == 0 ? XrFovf {-0.87f, 0.75f, 0.80f, -0.85f} : XrFovf {-0.75f, 0.87f, 0.80f, -0.85f};
        line += " pose" + std::to_string(v) + "=" + poseText(views[v].pose);
    }
    viewState->viewStateFlags = baseInStage ? XR_VIEW_STATE_ORIENTATION_VALID_BIT | XR_VIEW_STATE_POSITION_VALID_BIT
            | XR_VIEW_STATE_ORIENTATION_TRACKED_BIT | XR_VIEW_STATE_POSITION_TRACKED_BIT
                                            : 0;
    record(line);
    return XR_SUCCESS;
}

} // namespace

std::optional<XrPosef> spaceInStage(const RtSpace& space, XrTime time)
{
    if (space.action)
        return actionSpaceInStage(space, time);
    switch (space.reference) {
    case XR_REFERENCE_SPACE_TYPE_STAGE: return space.offset;
    case XR_REFERENCE_SPACE_TYPE_LOCAL: {
        XrPosef origin = identityPose();
        origin.position = LocalOrigin;
        return compose(origin, space.offset);
    }
    case XR_REFERENCE_SPACE_TYPE_VIEW: return compose(runtime().world.head.at(time), space.offset);
    default: return std::nullopt;
    }
}

PFN_xrVoidFunction sessionFunction(const char* name)
{
    struct Entry {
        const char* name;
        PFN_xrVoidFunction function;
    };
#define CONSTELLATE_XRTEST_ENTRY(xrName, function) {xrName, reinterpret_cast<PFN_xrVoidFunction>(&function)}
    static const Entry table[] = {
        CONSTELLATE_XRTEST_ENTRY("xrGetOpenGLGraphicsRequirementsKHR", getOpenGLGraphicsRequirements),
        CONSTELLATE_XRTEST_ENTRY("xrCreateSession", createSession),
        CONSTELLATE_XRTEST_ENTRY("xrDestroySession", destroySession),
        CONSTELLATE_XRTEST_ENTRY("xrBeginSession", beginSession),
        CONSTELLATE_XRTEST_ENTRY("xrEndSession", endSession),
        CONSTELLATE_XRTEST_ENTRY("xrRequestExitSession", requestExitSession),
        CONSTELLATE_XRTEST_ENTRY("xrEnumerateReferenceSpaces", enumerateReferenceSpaces),
        CONSTELLATE_XRTEST_ENTRY("xrCreateReferenceSpace", createReferenceSpace),
        CONSTELLATE_XRTEST_ENTRY("xrGetReferenceSpaceBoundsRect", getReferenceSpaceBoundsRect),
        CONSTELLATE_XRTEST_ENTRY("xrLocateSpace", locateSpace),
        CONSTELLATE_XRTEST_ENTRY("xrDestroySpace", destroySpace),
        CONSTELLATE_XRTEST_ENTRY("xrEnumerateSwapchainFormats", enumerateSwapchainFormats),
        CONSTELLATE_XRTEST_ENTRY("xrCreateSwapchain", createSwapchain),
        CONSTELLATE_XRTEST_ENTRY("xrDestroySwapchain", destroySwapchainEntry),
        CONSTELLATE_XRTEST_ENTRY("xrEnumerateSwapchainImages", enumerateSwapchainImages),
        CONSTELLATE_XRTEST_ENTRY("xrAcquireSwapchainImage", acquireSwapchainImage),
        CONSTELLATE_XRTEST_ENTRY("xrWaitSwapchainImage", waitSwapchainImage),
        CONSTELLATE_XRTEST_ENTRY("xrReleaseSwapchainImage", releaseSwapchainImage),
        CONSTELLATE_XRTEST_ENTRY("xrWaitFrame", waitFrame),
        CONSTELLATE_XRTEST_ENTRY("xrBeginFrame", beginFrame),
        CONSTELLATE_XRTEST_ENTRY("xrEndFrame", endFrame),
        CONSTELLATE_XRTEST_ENTRY("xrLocateViews", locateViews),
    };
#undef CONSTELLATE_XRTEST_ENTRY
    for (const Entry& e : table)
        if (std::strcmp(e.name, name) == 0)
            return e.function;
    return nullptr;
}

} // namespace constellate::xrtest
