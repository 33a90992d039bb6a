// Actions, interaction profiles and hand tracking of the test runtime. It has one pair of
// controllers (config profile=oculus|simple|index) and binds the application's actions to
// them when the application suggested bindings for that profile; every suggested binding
// path is checked against the profile's real input paths, so a wrong one fails as it would
// on a headset (XR_ERROR_PATH_UNSUPPORTED).

#include "testruntime.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace constellate::xrtest {

namespace {

using Lock = std::lock_guard<std::recursive_mutex>;

const char* const HandPaths[2] = {"/user/hand/left", "/user/hand/right"};

struct Profile {
    const char* name;   ///< config name
    const char* path;   ///< interaction profile path
    std::vector<std::string> left, right; ///< component paths under .../input/ (and output/)
};

const std::vector<Profile>& profiles()
{
    static const std::vector<Profile> list = [] {
        const std::vector<std::string> touchCommon {
            "squeeze/value", "squeeze", "trigger/value", "trigger", "trigger/touch", "thumbstick", "thumbstick/x",
            "thumbstick/y", "thumbstick/click", "thumbstick/touch", "thumbrest/touch", "grip/pose", "aim/pose"};
        std::vector<std::string> touchLeft = touchCommon, touchRight = touchCommon;
        for (const char* c : {"x/click", "x/touch", "y/click", "y/touch", "menu/click", "x", "y", "menu"})
            touchLeft.emplace_back(c);
        for (const char* c : {"a/click", "a/touch", "b/click", "b/touch", "system/click", "a", "b", "system"})
            touchRight.emplace_back(c);
        const std::vector<std::string> simple {"select/click", "select", "menu/click", "menu", "grip/pose", "aim/pose"};
        const std::vector<std::string> index {
            "system/click", "system/touch", "a/click", "a/touch", "b/click", "b/touch", "squeeze/value", "squeeze/force",
            "squeeze", "trigger/click", "trigger/value", "trigger/touch", "trigger", "thumbstick", "thumbstick/x",
            "thumbstick/y", "thumbstick/click", "thumbstick/touch", "trackpad", "trackpad/x", "trackpad/y",
            "trackpad/force", "trackpad/touch", "grip/pose", "aim/pose", "a", "b", "system"};
        return std::vector<Profile> {{"oculus", "/interaction_profiles/oculus/touch_controller", touchLeft, touchRight},
                                     {"simple", "/interaction_profiles/khr/simple_controller", simple, simple},
                                     {"index", "/interaction_profiles/valve/index_controller", index, index}};
    }();
    return list;
}

const Profile* profileByPath(const std::string& path)
{
    for (const Profile& p : profiles())
        if (path == p.path)
            return &p;
    return nullptr;
}

/// "/user/hand/right/input/squeeze/value" -> hand 1, component "squeeze/value" (or output/haptic).
bool splitBinding(const std::string& path, int* hand, std::string* component)
{
    for (int h = 0; h < 2; ++h) {
        const std::string prefix = std::string(HandPaths[h]) + "/";
        if (path.rfind(prefix, 0) != 0)
            continue;
        const std::string rest = path.substr(prefix.size());
        if (rest == "output/haptic") {
            *hand = h;
            *component = rest;
            return true;
        }
        if (rest.rfind("input/", 0) != 0)
            return false;
        *hand = h;
        *component = rest.substr(6);
        return true;
    }
    return false;
}

bool validBinding(const Profile& profile, const std::string& path)
{
    int hand = 0;
    std::string component;
    if (!splitBinding(path, &hand, &component))
        return false;
    if (component == "output/haptic")
        return true;
    const auto& list = hand == 0 ? profile.left : profile.right;
    return std::find(list.begin(), list.end(), component) != list.end();
}

/// What a bound input reads now: x (and y for a thumbstick).
struct Reading {
    float x = 0, y = 0;
};

Reading read(int hand, const std::string& component)
{
    const Controller& c = runtime().world.controllers[std::size_t(hand)];
    auto button = [&](const char* name) {
        const auto it = c.buttons.find(name);
        return it != c.buttons.end() && it->second ? 1.0f : 0.0f;
    };
    const std::string head = component.substr(0, component.find('/'));
    const std::string tail = component.find('/') == std::string::npos ? "" : component.substr(component.find('/') + 1);
    if (head == "squeeze")
        return {c.squeeze};
    if (head == "trigger")
        return {tail == "click" ? (c.trigger > 0.5f ? 1.0f : 0.0f) : tail == "touch" ? (c.trigger > 0 ? 1.0f : 0.0f) : c.trigger};
    if (head == "select")
        return {c.trigger > 0.5f ? 1.0f : 0.0f};
    if (head == "thumbstick") {
        if (tail == "x")
            return {c.thumbstick.x};
        if (tail == "y")
            return {c.thumbstick.y};
        if (tail == "click")
            return {button("thumbstick")};
        if (tail == "touch")
            return {0};
        return {c.thumbstick.x, c.thumbstick.y};
    }
    if (tail == "touch")
        return {0};
    return {button(head.c_str())};
}

RtActionSet* actionSetOf(XrActionSet handle)
{
    auto* s = reinterpret_cast<RtActionSet*>(handle);
    return runtime().actionSets.count(s) ? s : nullptr;
}

RtAction* actionOf(XrAction handle)
{
    auto* a = reinterpret_cast<RtAction*>(handle);
    return runtime().actions.count(a) ? a : nullptr;
}

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

bool validName(const char* name)
{
    const std::size_t n = std::strlen(name);
    if (n == 0)
        return false;
    for (std::size_t i = 0; i < n; ++i) {
        const char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.'))
            return false;
    }
    return true;
}

/// The bindings of `action` under the session's bound profile.
std::vector<std::string> bindingsOf(const RtSession& session, const RtAction& action)
{
    std::vector<std::string> out;
    if (session.profile.empty())
        return out;
    const auto it = session.instance->suggested.find(pathOf(session.profile));
    if (it == session.instance->suggested.end())
        return out;
    for (const auto& [a, path] : it->second)
        if (a == reinterpret_cast<XrAction>(const_cast<RtAction*>(&action)))
            out.push_back(pathString(path));
    return out;
}

/// The action's value for one hand (or both: XR_NULL_PATH), and whether anything is bound.
bool evaluate(const RtSession& session, const RtAction& action, XrPath subaction, Reading* value)
{
    bool bound = false;
    Reading best;
    for (const std::string& binding : bindingsOf(session, action)) {
        int hand = 0;
        std::string component;
        if (!splitBinding(binding, &hand, &component) || component == "output/haptic")
            continue;
        if (subaction != XR_NULL_PATH && pathString(subaction) != HandPaths[hand])
            continue;
        if (!runtime().world.controllers[std::size_t(hand)].tracked)
            continue;
        bound = true;
        const Reading r = read(hand, component);
        // Several sources: the largest (booleans: any pressed).
        if (std::abs(r.x) + std::abs(r.y) > std::abs(best.x) + std::abs(best.y))
            best = r;
    }
    *value = best;
    return bound;
}

// ---- actions --------------------------------------------------------------------------------

XrResult XRAPI_CALL createActionSet(XrInstance handle, const XrActionSetCreateInfo* info, XrActionSet* out)
{
    Lock lock(runtime().mutex);
    RtInstance* instance = instanceOf(handle);
    if (!instance)
        return XR_ERROR_HANDLE_INVALID;
    if (!info || !out || info->type != XR_TYPE_ACTION_SET_CREATE_INFO)
        return XR_ERROR_VALIDATION_FAILURE;
    if (!validName(info->actionSetName))
        return XR_ERROR_PATH_FORMAT_INVALID;
    if (!*info->localizedActionSetName)
        return XR_ERROR_LOCALIZED_NAME_INVALID;
    auto* set = new RtActionSet;
    set->instance = instance;
    set->name = info->actionSetName;
    runtime().actionSets.insert(set);
    *out = reinterpret_cast<XrActionSet>(set);
    record(std::string("createActionSet name=") + info->actionSetName);
    return XR_SUCCESS;
}

XrResult XRAPI_CALL destroyActionSet(XrActionSet handle)
{
    Lock lock(runtime().mutex);
    RtActionSet* set = actionSetOf(handle);
    if (!set)
        return XR_ERROR_HANDLE_INVALID;
    for (auto it = runtime().actions.begin(); it != runtime().actions.end();) {
        RtAction* a = *it++;
        if (a->set == set) {
            runtime().actions.erase(a);
            delete a;
        }
    }
    runtime().actionSets.erase(set);
    delete set;
    return XR_SUCCESS;
}

XrResult XRAPI_CALL createAction(XrActionSet handle, const XrActionCreateInfo* info, XrAction* out)
{
    Lock lock(runtime().mutex);
    RtActionSet* set = actionSetOf(handle);
    if (!set)
        return XR_ERROR_HANDLE_INVALID;
    if (!info || !out || info->type != XR_TYPE_ACTION_CREATE_INFO)
        return XR_ERROR_VALIDATION_FAILURE;
    if (set->attached)
        return XR_ERROR_ACTIONSETS_ALREADY_ATTACHED;
    if (!validName(info->actionName))
        return XR_ERROR_PATH_FORMAT_INVALID;
    auto action = std::make_unique<RtAction>();
    action->set = set;
    action->name = info->actionName;
    action->type = info->actionType;
    for (uint32_t i = 0; i < info->countSubactionPaths; ++i) {
        const std::string p = pathString(info->subactionPaths[i]);
        if (p != HandPaths[0] && p != HandPaths[1])
            return XR_ERROR_PATH_UNSUPPORTED;
        action->subactions.push_back(info->subactionPaths[i]);
    }
    record("createAction name=" + action->name + " type=" + std::to_string(int(action->type)));
    RtAction* a = action.release();
    runtime().actions.insert(a);
    *out = reinterpret_cast<XrAction>(a);
    return XR_SUCCESS;
}

XrResult XRAPI_CALL destroyAction(XrAction handle)
{
    Lock lock(runtime().mutex);
    RtAction* action = actionOf(handle);
    if (!action)
        return XR_ERROR_HANDLE_INVALID;
    runtime().actions.erase(action);
    delete action;
    return XR_SUCCESS;
}

XrResult XRAPI_CALL suggestInteractionProfileBindings(XrInstance handle,
                                                      const XrInteractionProfileSuggestedBinding* suggested)
{
    Lock lock(runtime().mutex);
    RtInstance* instance = instanceOf(handle);
    if (!instance)
        return XR_ERROR_HANDLE_INVALID;
    if (!suggested || suggested->type != XR_TYPE_INTERACTION_PROFILE_SUGGESTED_BINDING
        || suggested->countSuggestedBindings == 0)
        return XR_ERROR_VALIDATION_FAILURE;
    const std::string profilePath = pathString(suggested->interactionProfile);
    const Profile* profile = profileByPath(profilePath);
    if (!profile) {
        record("suggestBindings error=unknown-profile profile=" + profilePath);
        return XR_ERROR_PATH_UNSUPPORTED;
    }
    std::vector<std::pair<XrAction, XrPath>> bindings;
    for (uint32_t i = 0; i < suggested->countSuggestedBindings; ++i) {
        const XrActionSuggestedBinding& b = suggested->suggestedBindings[i];
        RtAction* action = actionOf(b.action);
        if (!action)
            return XR_ERROR_HANDLE_INVALID;
        if (action->set->attached)
            return XR_ERROR_ACTIONSETS_ALREADY_ATTACHED;
        const std::string path = pathString(b.binding);
        if (!validBinding(*profile, path)) {
            record("suggestBindings error=path-unsupported profile=" + profilePath + " binding=" + path);
            return XR_ERROR_PATH_UNSUPPORTED;
        }
        bindings.emplace_back(b.action, b.binding);
    }
    instance->suggested[suggested->interactionProfile] = std::move(bindings);
    record("suggestBindings profile=" + profilePath + " count=" + std::to_string(suggested->countSuggestedBindings));
    return XR_SUCCESS;
}

XrResult XRAPI_CALL attachSessionActionSets(XrSession handle, const XrSessionActionSetsAttachInfo* info)
{
    Lock lock(runtime().mutex);
    RtSession* session = sessionOf(handle);
    if (!session)
        return XR_ERROR_HANDLE_INVALID;
    if (!info || info->type != XR_TYPE_SESSION_ACTION_SETS_ATTACH_INFO || info->countActionSets == 0)
        return XR_ERROR_VALIDATION_FAILURE;
    if (!session->attached.empty())
        return XR_ERROR_ACTIONSETS_ALREADY_ATTACHED;
    for (uint32_t i = 0; i < info->countActionSets; ++i) {
        RtActionSet* set = actionSetOf(info->actionSets[i]);
        if (!set)
            return XR_ERROR_HANDLE_INVALID;
        set->attached = true;
        session->attached.insert(info->actionSets[i]);
    }
    // The controllers this runtime has, if the application suggested bindings for them.
    for (const Profile& p : profiles())
        if (p.name == runtime().config.profile && session->instance->suggested.count(pathOf(p.path)))
            session->profile = p.path;
    record("attachActionSets profile=" + (session->profile.empty() ? std::string("none") : session->profile));
    XrEventDataBuffer buffer {};
    auto* e = reinterpret_cast<XrEventDataInteractionProfileChanged*>(&buffer);
    e->type = XR_TYPE_EVENT_DATA_INTERACTION_PROFILE_CHANGED;
    e->session = handle;
    session->instance->events.push_back(buffer);
    return XR_SUCCESS;
}

XrResult XRAPI_CALL getCurrentInteractionProfile(XrSession handle, XrPath topLevelUserPath,
                                                 XrInteractionProfileState* state)
{
    Lock lock(runtime().mutex);
    RtSession* session = sessionOf(handle);
    if (!session)
        return XR_ERROR_HANDLE_INVALID;
    if (!state || state->type != XR_TYPE_INTERACTION_PROFILE_STATE)
        return XR_ERROR_VALIDATION_FAILURE;
    if (session->attached.empty())
        return XR_ERROR_ACTIONSET_NOT_ATTACHED;
    const std::string user = pathString(topLevelUserPath);
    if (user != HandPaths[0] && user != HandPaths[1] && user != "/user/head" && user != "/user/gamepad")
        return XR_ERROR_PATH_UNSUPPORTED;
    state->interactionProfile =
        session->profile.empty() || user == "/user/head" || user == "/user/gamepad" ? XR_NULL_PATH : pathOf(session->profile);
    return XR_SUCCESS;
}

XrResult XRAPI_CALL syncActions(XrSession handle, const XrActionsSyncInfo* info)
{
    Lock lock(runtime().mutex);
    RtSession* session = sessionOf(handle);
    if (!session)
        return XR_ERROR_HANDLE_INVALID;
    if (!info || info->type != XR_TYPE_ACTIONS_SYNC_INFO)
        return XR_ERROR_VALIDATION_FAILURE;
    if (session->lost)
        return XR_ERROR_SESSION_LOST;
    for (uint32_t i = 0; i < info->countActiveActionSets; ++i)
        if (!session->attached.count(info->activeActionSets[i].actionSet))
            return XR_ERROR_ACTIONSET_NOT_ATTACHED;
    pumpScript();
    const bool focused = session->state == XR_SESSION_STATE_FOCUSED;
    const XrTime t = now();
    for (RtAction* action : runtime().actions) {
        const bool active = std::any_of(info->activeActionSets, info->activeActionSets + info->countActiveActionSets,
                                        [&](const XrActiveActionSet& s) {
                                            return s.actionSet == reinterpret_cast<XrActionSet>(action->set);
                                        });
        std::vector<XrPath> subactions = action->subactions;
        subactions.push_back(XR_NULL_PATH);
        for (const XrPath sub : subactions) {
            RtAction::State& state = action->states[sub];
            Reading r;
            const bool bound = focused && active && evaluate(*session, *action, sub, &r);
            float x = bound ? r.x : 0.0f;
            float y = bound ? r.y : 0.0f;
            if (action->type == XR_ACTION_TYPE_BOOLEAN_INPUT)
                x = x > 0.5f ? 1.0f : 0.0f;
            state.changed = bound && state.active && (x != state.value || y != state.y);
            if (state.changed || bound != state.active)
                state.changedAt = t;
            state.value = x;
            state.y = y;
            state.active = bound;
        }
    }
    return focused ? XR_SUCCESS : XR_SESSION_NOT_FOCUSED;
}

/// The state of `info->action` for its subaction path, checked as the specification asks.
XrResult actionState(XrSession handle, const XrActionStateGetInfo* info, XrActionType type, const RtAction::State** out)
{
    RtSession* session = sessionOf(handle);
    if (!session)
        return XR_ERROR_HANDLE_INVALID;
    if (!info || info->type != XR_TYPE_ACTION_STATE_GET_INFO)
        return XR_ERROR_VALIDATION_FAILURE;
    RtAction* action = actionOf(info->action);
    if (!action)
        return XR_ERROR_HANDLE_INVALID;
    if (!session->attached.count(reinterpret_cast<XrActionSet>(action->set)))
        return XR_ERROR_ACTIONSET_NOT_ATTACHED;
    if (action->type != type)
        return XR_ERROR_ACTION_TYPE_MISMATCH;
    if (info->subactionPath != XR_NULL_PATH
        && std::find(action->subactions.begin(), action->subactions.end(), info->subactionPath) == action->subactions.end())
        return XR_ERROR_PATH_UNSUPPORTED;
    *out = &action->states[info->subactionPath];
    return XR_SUCCESS;
}

XrResult XRAPI_CALL getActionStateBoolean(XrSession handle, const XrActionStateGetInfo* info, XrActionStateBoolean* state)
{
    Lock lock(runtime().mutex);
    const RtAction::State* s = nullptr;
    if (const XrResult r = actionState(handle, info, XR_ACTION_TYPE_BOOLEAN_INPUT, &s); XR_FAILED(r))
        return r;
    if (!state || state->type != XR_TYPE_ACTION_STATE_BOOLEAN)
        return XR_ERROR_VALIDATION_FAILURE;
    state->currentState = s->value > 0.5f;
    state->changedSinceLastSync = s->changed;
    state->lastChangeTime = s->changedAt;
    state->isActive = s->active;
    return XR_SUCCESS;
}

XrResult XRAPI_CALL getActionStateFloat(XrSession handle, const XrActionStateGetInfo* info, XrActionStateFloat* state)
{
    Lock lock(runtime().mutex);
    const RtAction::State* s = nullptr;
    if (const XrResult r = actionState(handle, info, XR_ACTION_TYPE_FLOAT_INPUT, &s); XR_FAILED(r))
        return r;
    if (!state || state->type != XR_TYPE_ACTION_STATE_FLOAT)
        return XR_ERROR_VALIDATION_FAILURE;
    state->currentState = s->value;
    state->changedSinceLastSync = s->changed;
    state->lastChangeTime = s->changedAt;
    state->isActive = s->active;
    return XR_SUCCESS;
}

XrResult XRAPI_CALL getActionStateVector2f(XrSession handle, const XrActionStateGetInfo* info,
                                           XrActionStateVector2f* state)
{
    Lock lock(runtime().mutex);
    const RtAction::State* s = nullptr;
    if (const XrResult r = actionState(handle, info, XR_ACTION_TYPE_VECTOR2F_INPUT, &s); XR_FAILED(r))
        return r;
    if (!state || state->type != XR_TYPE_ACTION_STATE_VECTOR2F)
        return XR_ERROR_VALIDATION_FAILURE;
    state->currentState = {s->value, s->y};
    state->changedSinceLastSync = s->changed;
    state->lastChangeTime = s->changedAt;
    state->isActive = s->active;
    return XR_SUCCESS;
}

XrResult XRAPI_CALL getActionStatePose(XrSession handle, const XrActionStateGetInfo* info, XrActionStatePose* state)
{
    Lock lock(runtime().mutex);
    const RtAction::State* s = nullptr;
    if (const XrResult r = actionState(handle, info, XR_ACTION_TYPE_POSE_INPUT, &s); XR_FAILED(r))
        return r;
    if (!state || state->type != XR_TYPE_ACTION_STATE_POSE)
        return XR_ERROR_VALIDATION_FAILURE;
    state->isActive = s->active;
    return XR_SUCCESS;
}

XrResult XRAPI_CALL createActionSpace(XrSession handle, const XrActionSpaceCreateInfo* info, XrSpace* out)
{
    Lock lock(runtime().mutex);
    RtSession* session = sessionOf(handle);
    if (!session)
        return XR_ERROR_HANDLE_INVALID;
    if (!info || !out || info->type != XR_TYPE_ACTION_SPACE_CREATE_INFO)
        return XR_ERROR_VALIDATION_FAILURE;
    RtAction* action = actionOf(info->action);
    if (!action)
        return XR_ERROR_HANDLE_INVALID;
    if (action->type != XR_ACTION_TYPE_POSE_INPUT)
        return XR_ERROR_ACTION_TYPE_MISMATCH;
    if (info->subactionPath != XR_NULL_PATH
        && std::find(action->subactions.begin(), action->subactions.end(), info->subactionPath) == action->subactions.end())
        return XR_ERROR_PATH_UNSUPPORTED;
    auto* space = new RtSpace;
    space->session = session;
    space->action = info->action;
    space->subaction = info->subactionPath;
    space->offset = info->poseInActionSpace;
    runtime().spaces.insert(space);
    *out = reinterpret_cast<XrSpace>(space);
    record("createActionSpace action=" + action->name + " subaction=" + pathString(info->subactionPath));
    return XR_SUCCESS;
}

XrResult XRAPI_CALL enumerateBoundSourcesForAction(XrSession handle, const XrBoundSourcesForActionEnumerateInfo* info,
                                                   uint32_t capacity, uint32_t* count, XrPath* sources)
{
    Lock lock(runtime().mutex);
    RtSession* session = sessionOf(handle);
    if (!session)
        return XR_ERROR_HANDLE_INVALID;
    if (!info || info->type != XR_TYPE_BOUND_SOURCES_FOR_ACTION_ENUMERATE_INFO || !count)
        return XR_ERROR_VALIDATION_FAILURE;
    RtAction* action = actionOf(info->action);
    if (!action)
        return XR_ERROR_HANDLE_INVALID;
    std::vector<XrPath> paths;
    for (const std::string& b : bindingsOf(*session, *action))
        paths.push_back(pathOf(b));
    *count = uint32_t(paths.size());
    if (capacity == 0)
        return XR_SUCCESS;
    if (capacity < paths.size())
        return XR_ERROR_SIZE_INSUFFICIENT;
    std::copy(paths.begin(), paths.end(), sources);
    return XR_SUCCESS;
}

// ---- hand tracking --------------------------------------------------------------------------

XrResult XRAPI_CALL createHandTracker(XrSession handle, const XrHandTrackerCreateInfoEXT* info, XrHandTrackerEXT* out)
{
    Lock lock(runtime().mutex);
    RtSession* session = sessionOf(handle);
    if (!session)
        return XR_ERROR_HANDLE_INVALID;
    if (!session->instance->extensions.count("XR_EXT_hand_tracking"))
        return XR_ERROR_FUNCTION_UNSUPPORTED;
    if (!info || !out || info->type != XR_TYPE_HAND_TRACKER_CREATE_INFO_EXT
        || (info->hand != XR_HAND_LEFT_EXT && info->hand != XR_HAND_RIGHT_EXT)
        || info->handJointSet != XR_HAND_JOINT_SET_DEFAULT_EXT)
        return XR_ERROR_VALIDATION_FAILURE;
    auto* tracker = new RtHandTracker;
    tracker->session = session;
    tracker->hand = info->hand == XR_HAND_LEFT_EXT ? 0 : 1;
    runtime().handTrackers.insert(tracker);
    *out = reinterpret_cast<XrHandTrackerEXT>(tracker);
    record(std::string("createHandTracker hand=") + (tracker->hand ? "right" : "left"));
    return XR_SUCCESS;
}

XrResult XRAPI_CALL destroyHandTracker(XrHandTrackerEXT handle)
{
    Lock lock(runtime().mutex);
    auto* tracker = reinterpret_cast<RtHandTracker*>(handle);
    if (!runtime().handTrackers.count(tracker))
        return XR_ERROR_HANDLE_INVALID;
    runtime().handTrackers.erase(tracker);
    delete tracker;
    return XR_SUCCESS;
}

XrResult XRAPI_CALL locateHandJoints(XrHandTrackerEXT handle, const XrHandJointsLocateInfoEXT* info,
                                     XrHandJointLocationsEXT* locations)
{
    Lock lock(runtime().mutex);
    auto* tracker = reinterpret_cast<RtHandTracker*>(handle);
    if (!runtime().handTrackers.count(tracker))
        return XR_ERROR_HANDLE_INVALID;
    if (!info || info->type != XR_TYPE_HAND_JOINTS_LOCATE_INFO_EXT || !locations
        || locations->type != XR_TYPE_HAND_JOINT_LOCATIONS_EXT || locations->jointCount != XR_HAND_JOINT_COUNT_EXT
        || !locations->jointLocations)
        return XR_ERROR_VALIDATION_FAILURE;
    if (info->time <= 0)
        return XR_ERROR_TIME_INVALID;
    auto* base = reinterpret_cast<RtSpace*>(info->baseSpace);
    if (!runtime().spaces.count(base))
        return XR_ERROR_HANDLE_INVALID;
    const TrackedHand& hand = runtime().world.hands[std::size_t(tracker->hand)];
    const std::optional<XrPosef> baseInStage = spaceInStage(*base, info->time);
    locations->isActive = hand.tracked && baseInStage ? XR_TRUE : XR_FALSE;
    const XrPosef palm = hand.palm.at(info->time);
    for (uint32_t j = 0; j < XR_HAND_JOINT_COUNT_EXT; ++j) {
        XrHandJointLocationEXT& out = locations->jointLocations[j];
        out.radius = 0.01f;
        if (!locations->isActive) {
            out.locationFlags = 0;
            out.pose = identityPose();
            continue;
        }
        // The palm's pose for every joint, but for the tips of thumb and index finger: 5 cm
        // ahead of the palm, together when pinching, 4 cm apart when not.
        XrPosef local = identityPose();
        if (j == XR_HAND_JOINT_THUMB_TIP_EXT)
            local.position = {hand.pinch ? 0.0f : 0.02f, 0.0f, -0.05f};
        else if (j == XR_HAND_JOINT_INDEX_TIP_EXT)
            local.position = {hand.pinch ? 0.005f : -0.02f, 0.0f, -0.05f};
        out.pose = compose(inverse(*baseInStage), compose(palm, local));
        out.locationFlags = XR_SPACE_LOCATION_ORIENTATION_VALID_BIT | XR_SPACE_LOCATION_POSITION_VALID_BIT
            | XR_SPACE_LOCATION_ORIENTATION_TRACKED_BIT | XR_SPACE_LOCATION_POSITION_TRACKED_BIT;
    }
    return XR_SUCCESS;
}

} // namespace

std::optional<XrPosef> actionSpaceInStage(const RtSpace& space, XrTime time)
{
    const RtAction* action = actionOf(space.action);
    if (!action || !space.session || space.session->state != XR_SESSION_STATE_FOCUSED)
        return std::nullopt;
    for (const std::string& binding : bindingsOf(*space.session, *action)) {
        int hand = 0;
        std::string component;
        if (!splitBinding(binding, &hand, &component) || (component != "grip/pose" && component != "aim/pose"))
            continue;
        if (space.subaction != XR_NULL_PATH && pathString(space.subaction) != HandPaths[hand])
            continue;
        const Controller& c = runtime().world.controllers[std::size_t(hand)];
        if (!c.tracked)
            return std::nullopt;
        const Motion& m = component == "aim/pose" && c.aim ? *c.aim : c.grip;
        return compose(m.at(time), space.offset);
    }
    return std::nullopt;
}

PFN_xrVoidFunction inputFunction(const char* name)
{
    struct Entry {
        const char* name;
        PFN_xrVoidFunction function;
    };
#define CONSTELLATE_XRTEST_ENTRY(xrName, function) {xrName, reinterpret_cast<PFN_xrVoidFunction>(&function)}
    static const Entry table[] = {
        CONSTELLATE_XRTEST_ENTRY("xrCreateActionSet", createActionSet),
        CONSTELLATE_XRTEST_ENTRY("xrDestroyActionSet", destroyActionSet),
        CONSTELLATE_XRTEST_ENTRY("xrCreateAction", createAction),
        CONSTELLATE_XRTEST_ENTRY("xrDestroyAction", destroyAction),
        CONSTELLATE_XRTEST_ENTRY("xrSuggestInteractionProfileBindings", suggestInteractionProfileBindings),
        CONSTELLATE_XRTEST_ENTRY("xrAttachSessionActionSets", attachSessionActionSets),
        CONSTELLATE_XRTEST_ENTRY("xrGetCurrentInteractionProfile", getCurrentInteractionProfile),
        CONSTELLATE_XRTEST_ENTRY("xrSyncActions", syncActions),
        CONSTELLATE_XRTEST_ENTRY("xrGetActionStateBoolean", getActionStateBoolean),
        CONSTELLATE_XRTEST_ENTRY("xrGetActionStateFloat", getActionStateFloat),
        CONSTELLATE_XRTEST_ENTRY("xrGetActionStateVector2f", getActionStateVector2f),
        CONSTELLATE_XRTEST_ENTRY("xrGetActionStatePose", getActionStatePose),
        CONSTELLATE_XRTEST_ENTRY("xrCreateActionSpace", createActionSpace),
        CONSTELLATE_XRTEST_ENTRY("xrEnumerateBoundSourcesForAction", enumerateBoundSourcesForAction),
        CONSTELLATE_XRTEST_ENTRY("xrCreateHandTrackerEXT", createHandTracker),
        CONSTELLATE_XRTEST_ENTRY("xrDestroyHandTrackerEXT", destroyHandTracker),
        CONSTELLATE_XRTEST_ENTRY("xrLocateHandJointsEXT", locateHandJoints),
    };
#undef CONSTELLATE_XRTEST_ENTRY
    for (const Entry& e : table)
        if (std::strcmp(e.name, name) == 0)
            return e.function;
    return nullptr;
}

} // namespace constellate::xrtest
