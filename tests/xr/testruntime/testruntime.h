#pragma once

// The OpenXR test runtime's insides (tests/xr/README.md describes it from the outside).
// One process-wide Runtime guarded by one mutex: every entry point locks it, except while
// xrWaitFrame sleeps. Handles are pointers to the objects below, checked against the live
// sets before use, so a stale or foreign handle is XR_ERROR_HANDLE_INVALID, never a crash.

#define XR_NO_PROTOTYPES
#include <openxr/openxr.h>

#include <array>
#include <cstdio>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace constellate::xrtest {

// ---- poses ---------------------------------------------------------------------------------

XrPosef identityPose();
XrQuaternionf multiply(const XrQuaternionf& a, const XrQuaternionf& b);
XrVector3f rotate(const XrQuaternionf& q, const XrVector3f& v);
XrPosef compose(const XrPosef& a, const XrPosef& b); ///< a * b: b given in a's frame
XrPosef inverse(const XrPosef& p);
std::string poseText(const XrPosef& p); ///< "x,y,z,qx,qy,qz,qw"

/// A pose that may move at a constant velocity from the moment it was set.
struct Motion {
    XrPosef pose = identityPose();
    XrVector3f velocity {0, 0, 0}; ///< metres per second
    XrTime since = 0;
    XrPosef at(XrTime time) const;
};

// ---- the simulated user --------------------------------------------------------------------

struct Controller {
    bool tracked = true;
    Motion grip;
    std::optional<Motion> aim; ///< the grip's pose when not set
    float trigger = 0, squeeze = 0;
    XrVector2f thumbstick {0, 0};
    std::map<std::string, bool> buttons; ///< "a", "b", "x", "y", "menu", "thumbstick", "system"
};

struct TrackedHand {
    bool tracked = false;
    Motion palm;
    bool pinch = false;
};

struct World {
    Motion head;
    std::array<Controller, 2> controllers; ///< 0 left, 1 right
    std::array<TrackedHand, 2> hands;
};

// ---- configuration (CONSTELLATE_XR_TEST_CONFIG, comma-separated) ------------------------------

struct Config {
    bool hmd = true;            ///< no-hmd: xrGetSystem says XR_ERROR_FORM_FACTOR_UNAVAILABLE
    bool opengl = true;         ///< no-opengl: XR_KHR_opengl_enable not offered
    bool depth = true;          ///< no-depth: XR_KHR_composition_layer_depth not offered
    bool handTracking = true;   ///< no-hand-tracking
    bool stage = true;          ///< no-stage: only VIEW and LOCAL reference spaces
    bool keepContext = false;   ///< keep-context: leave the app's GL context current in xrWaitFrame/xrEndFrame
    bool readback = false;      ///< readback: read submitted images back, record pixel counts and hashes
    std::string profile = "oculus"; ///< profile=oculus|simple|index: the controllers this runtime has
    std::uint32_t width = 160, height = 144; ///< size=WxH: recommended image size per eye
    static Config fromEnvironment();
};

// ---- objects behind the handles -------------------------------------------------------------

struct RtSession;

struct RtInstance {
    std::set<std::string> extensions;
    std::deque<XrEventDataBuffer> events;
    bool requirementsQueried = false;
    RtSession* session = nullptr;
    /// Suggested bindings per interaction profile path: (action, binding path).
    std::map<XrPath, std::vector<std::pair<XrAction, XrPath>>> suggested;
};

struct RtSwapchain {
    RtSession* session = nullptr;
    std::uint64_t id = 0;
    std::int64_t format = 0;
    std::uint32_t width = 0, height = 0;
    bool depth = false;
    std::vector<std::uint32_t> textures;
    std::deque<std::uint32_t> acquired; ///< in acquisition order
    std::optional<std::uint32_t> waited;
    std::optional<std::uint32_t> lastReleased;
};

struct RtSpace {
    RtSession* session = nullptr;
    XrReferenceSpaceType reference = XR_REFERENCE_SPACE_TYPE_STAGE;
    XrAction action = XR_NULL_HANDLE; ///< an action space when set
    XrPath subaction = XR_NULL_PATH;
    XrPosef offset = identityPose();
};

struct RtActionSet {
    RtInstance* instance = nullptr;
    std::string name;
    bool attached = false;
};

struct RtAction {
    RtActionSet* set = nullptr;
    std::string name;
    XrActionType type = XR_ACTION_TYPE_BOOLEAN_INPUT;
    std::vector<XrPath> subactions;
    /// The synced state per subaction path (XR_NULL_PATH: all of them together).
    struct State {
        float value = 0; ///< booleans 0/1; floats; vector2 x
        float y = 0;     ///< vector2 y
        bool active = false;
        bool changed = false;
        XrTime changedAt = 0;
    };
    std::map<XrPath, State> states;
};

struct RtHandTracker {
    RtSession* session = nullptr;
    int hand = 0;
};

struct RtSession {
    RtInstance* instance = nullptr;
    void* display = nullptr; ///< Display* of the application's binding
    void* context = nullptr; ///< its GLXContext
    XrSessionState state = XR_SESSION_STATE_UNKNOWN;
    bool running = false;
    bool exitAfterStop = false; ///< xrRequestExitSession or a scripted exit: EXITING after xrEndSession
    bool wantFocus = true;
    bool lost = false;
    bool frameBegun = false;
    bool waitedFrame = false;
    std::uint64_t sessionFrames = 0;
    std::set<XrTime> predicted; ///< display times xrWaitFrame returned, not yet submitted
    std::set<XrActionSet> attached;
    std::string profile; ///< the interaction profile bound at attach time (empty: none)
};

/// The whole runtime: one per process (per load of this library), created when the loader
/// negotiates. Configuration, script and record are taken from the environment again
/// whenever an instance is created while none exists, so one test process can run
/// several scripted sessions one after another.
struct Runtime {
    ~Runtime();
    /// A new instance and none before it: a fresh world, config, script and record.
    void restart();

    std::recursive_mutex mutex;
    std::FILE* recordFile = nullptr;
    Config config;
    World world;
    std::set<RtInstance*> instances;
    std::set<RtSession*> sessions;
    std::set<RtSpace*> spaces;
    std::set<RtSwapchain*> swapchains;
    std::set<RtActionSet*> actionSets;
    std::set<RtAction*> actions;
    std::set<RtHandTracker*> handTrackers;
    std::vector<std::string> paths; ///< XrPath n is paths[n - 1]
    std::uint64_t frames = 0;       ///< xrWaitFrame calls since the process started
    std::uint64_t nextSwapchainId = 1;
    XrTime lastPredicted = 0;

    // the script: CONSTELLATE_XR_TEST_SCRIPT, read as it grows
    std::string scriptPath;
    std::uint64_t scriptOffset = 0;
    std::string scriptPartial; ///< a line not yet ended by '\n'
    std::deque<std::string> scriptPending; ///< lines waiting for their frame
};

Runtime& runtime();
XrTime now();

/// Appends one line to CONSTELLATE_XR_TEST_RECORD (flushed at once).
void record(const std::string& line);
/// Reads what was appended to the script and applies what is due at this frame.
void pumpScript();

/// Queues XrEventDataSessionStateChanged.
void setState(RtSession& session, XrSessionState state);
/// Walks FOCUSED -> VISIBLE -> SYNCHRONIZED -> STOPPING (the spec's order).
void stopSession(RtSession& session, bool exitAfter);

/// "XR_SESSION_STATE_FOCUSED" and so on.
std::string stateName(XrSessionState state);
std::string pathString(XrPath path);
XrPath pathOf(const std::string& text); ///< interns it

/// The pose of a space in STAGE at `time`; nullopt when untracked.
std::optional<XrPosef> spaceInStage(const RtSpace& space, XrTime time);
/// An action space's pose in STAGE: the pose its action is bound to (input.cpp).
std::optional<XrPosef> actionSpaceInStage(const RtSpace& space, XrTime time);

// entry points, by group (instance.cpp, session.cpp, input.cpp)
PFN_xrVoidFunction instanceFunction(const char* name);
PFN_xrVoidFunction sessionFunction(const char* name);
PFN_xrVoidFunction inputFunction(const char* name);

} // namespace constellate::xrtest
