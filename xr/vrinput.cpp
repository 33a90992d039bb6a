#include "vrinput.h"

#include <QtGlobal>

#include <cstring>
#include <string>
#include <utility>
#include <vector>

namespace constellate::xr {

namespace {

const char* const HandPath[2] = {"/user/hand/left", "/user/hand/right"};

Pose toPose(const XrPosef& p)
{
    return {{p.position.x, p.position.y, p.position.z},
            glm::normalize(glm::quat(p.orientation.w, p.orientation.x, p.orientation.y, p.orientation.z))};
}

void copyName(char* out, std::size_t size, const char* name)
{
    std::strncpy(out, name, size - 1);
    out[size - 1] = '\0';
}

} // namespace

VrInput::~VrInput()
{
    destroy();
}

XrAction VrInput::makeAction(const char* name, const char* localized, XrActionType type, Failure* failure)
{
    XrActionCreateInfo info {XR_TYPE_ACTION_CREATE_INFO};
    copyName(info.actionName, sizeof info.actionName, name);
    copyName(info.localizedActionName, sizeof info.localizedActionName, localized);
    info.actionType = type;
    info.countSubactionPaths = uint32_t(m_handPaths.size());
    info.subactionPaths = m_handPaths.data();
    XrAction action = XR_NULL_HANDLE;
    const XrResult r = xrCreateAction(m_set, &info, &action);
    if (XR_FAILED(r)) {
        *failure = Failure::fromResult(r, "xrCreateAction");
        return XR_NULL_HANDLE;
    }
    return action;
}

bool VrInput::suggest(const char* profile, const std::vector<std::pair<XrAction, std::string>>& bindings)
{
    XrPath profilePath = XR_NULL_PATH;
    if (XR_FAILED(xrStringToPath(m_instance, profile, &profilePath)))
        return false;
    std::vector<XrActionSuggestedBinding> suggested;
    for (const auto& [action, path] : bindings) {
        XrPath p = XR_NULL_PATH;
        if (XR_FAILED(xrStringToPath(m_instance, path.c_str(), &p)))
            return false;
        suggested.push_back({action, p});
    }
    XrInteractionProfileSuggestedBinding info {XR_TYPE_INTERACTION_PROFILE_SUGGESTED_BINDING};
    info.interactionProfile = profilePath;
    info.countSuggestedBindings = uint32_t(suggested.size());
    info.suggestedBindings = suggested.data();
    const XrResult r = xrSuggestInteractionProfileBindings(m_instance, &info);
    if (XR_FAILED(r)) {
        // A runtime that does not know a profile says so; the others still work.
        qWarning("VR: the runtime refused the bindings for %s (%d)", profile, int(r));
        return false;
    }
    return true;
}

bool VrInput::create(Instance& instance, XrSession session, Failure* failure)
{
    m_instance = instance.handle();
    m_session = session;
    for (std::size_t h = 0; h < 2; ++h)
        xrStringToPath(m_instance, HandPath[h], &m_handPaths[h]);

    XrActionSetCreateInfo setInfo {XR_TYPE_ACTION_SET_CREATE_INFO};
    copyName(setInfo.actionSetName, sizeof setInfo.actionSetName, "constellate");
    copyName(setInfo.localizedActionSetName, sizeof setInfo.localizedActionSetName, "Constellate");
    XrResult r = xrCreateActionSet(m_instance, &setInfo, &m_set);
    if (XR_FAILED(r)) {
        m_set = XR_NULL_HANDLE;
        *failure = Failure::fromResult(r, "xrCreateActionSet");
        return false;
    }
    m_gripPose = makeAction("grip_pose", "Hand pose", XR_ACTION_TYPE_POSE_INPUT, failure);
    m_aimPose = makeAction("aim_pose", "Pointing pose", XR_ACTION_TYPE_POSE_INPUT, failure);
    m_squeeze = makeAction("grab", "Grab", XR_ACTION_TYPE_FLOAT_INPUT, failure);
    m_trigger = makeAction("select", "Select", XR_ACTION_TYPE_FLOAT_INPUT, failure);
    m_thumbstick = makeAction("move", "Fly, turn and scale", XR_ACTION_TYPE_VECTOR2F_INPUT, failure);
    m_primary = makeAction("primary", "Add to selection (A), labels (X)", XR_ACTION_TYPE_BOOLEAN_INPUT, failure);
    m_secondary = makeAction("secondary", "Undo (B), redo (Y)", XR_ACTION_TYPE_BOOLEAN_INPUT, failure);
    if (failure->failed())
        return false;

    auto hand = [](std::size_t h, const char* component) { return std::string(HandPath[h]) + "/input/" + component; };
    std::vector<std::pair<XrAction, std::string>> touch, index, simple;
    for (std::size_t h = 0; h < 2; ++h) {
        for (auto* list : {&touch, &index}) {
            list->emplace_back(m_gripPose, hand(h, "grip/pose"));
            list->emplace_back(m_aimPose, hand(h, "aim/pose"));
            list->emplace_back(m_squeeze, hand(h, "squeeze/value"));
            list->emplace_back(m_trigger, hand(h, "trigger/value"));
            list->emplace_back(m_thumbstick, hand(h, "thumbstick"));
        }
        touch.emplace_back(m_primary, hand(h, h == 0 ? "x/click" : "a/click"));
        touch.emplace_back(m_secondary, hand(h, h == 0 ? "y/click" : "b/click"));
        index.emplace_back(m_primary, hand(h, "a/click"));
        index.emplace_back(m_secondary, hand(h, "b/click"));
        // The simple controller has one button: it grabs what the hand holds and selects what
        // the ray points at.
        simple.emplace_back(m_gripPose, hand(h, "grip/pose"));
        simple.emplace_back(m_aimPose, hand(h, "aim/pose"));
        simple.emplace_back(m_squeeze, hand(h, "select/click"));
        simple.emplace_back(m_trigger, hand(h, "select/click"));
    }
    const bool touchTaken = suggest("/interaction_profiles/oculus/touch_controller", touch);
    const bool indexTaken = suggest("/interaction_profiles/valve/index_controller", index);
    const bool simpleTaken = suggest("/interaction_profiles/khr/simple_controller", simple);
    if (!touchTaken && !indexTaken && !simpleTaken) {
        failure->result = XR_ERROR_PATH_UNSUPPORTED;
        failure->message = "The OpenXR runtime accepts none of the controllers Constellate knows (Oculus Touch, Valve "
                           "Index, KHR simple controller)";
        return false;
    }

    for (std::size_t h = 0; h < 2; ++h) {
        XrActionSpaceCreateInfo spaceInfo {XR_TYPE_ACTION_SPACE_CREATE_INFO};
        spaceInfo.subactionPath = m_handPaths[h];
        spaceInfo.poseInActionSpace.orientation.w = 1.0f;
        spaceInfo.action = m_gripPose;
        r = xrCreateActionSpace(m_session, &spaceInfo, &m_gripSpaces[h]);
        if (XR_SUCCEEDED(r)) {
            spaceInfo.action = m_aimPose;
            r = xrCreateActionSpace(m_session, &spaceInfo, &m_aimSpaces[h]);
        }
        if (XR_FAILED(r)) {
            *failure = Failure::fromResult(r, "xrCreateActionSpace");
            return false;
        }
    }
    XrSessionActionSetsAttachInfo attach {XR_TYPE_SESSION_ACTION_SETS_ATTACH_INFO};
    attach.countActionSets = 1;
    attach.actionSets = &m_set;
    r = xrAttachSessionActionSets(m_session, &attach);
    if (XR_FAILED(r)) {
        *failure = Failure::fromResult(r, "xrAttachSessionActionSets");
        return false;
    }

    if (instance.handTracking()) {
        auto createTracker = instance.function<PFN_xrCreateHandTrackerEXT>("xrCreateHandTrackerEXT");
        m_locateJoints = instance.function<PFN_xrLocateHandJointsEXT>("xrLocateHandJointsEXT");
        m_destroyTracker = instance.function<PFN_xrDestroyHandTrackerEXT>("xrDestroyHandTrackerEXT");
        for (std::size_t h = 0; createTracker && m_locateJoints && m_destroyTracker && h < 2; ++h) {
            XrHandTrackerCreateInfoEXT info {XR_TYPE_HAND_TRACKER_CREATE_INFO_EXT};
            info.hand = h == 0 ? XR_HAND_LEFT_EXT : XR_HAND_RIGHT_EXT;
            info.handJointSet = XR_HAND_JOINT_SET_DEFAULT_EXT;
            if (XR_FAILED(createTracker(m_session, &info, &m_trackers[h])))
                m_trackers[h] = XR_NULL_HANDLE; // controllers still work
        }
    }
    return true;
}

void VrInput::destroy()
{
    for (std::size_t h = 0; h < 2; ++h) {
        if (m_trackers[h] && m_destroyTracker)
            m_destroyTracker(m_trackers[h]);
        m_trackers[h] = XR_NULL_HANDLE;
        for (XrSpace* space : {&m_gripSpaces[h], &m_aimSpaces[h]}) {
            if (*space)
                xrDestroySpace(*space);
            *space = XR_NULL_HANDLE;
        }
    }
    if (m_set)
        xrDestroyActionSet(m_set); // its actions go with it
    m_set = XR_NULL_HANDLE;
    m_gripPose = m_aimPose = m_squeeze = m_trigger = m_thumbstick = m_primary = m_secondary = XR_NULL_HANDLE;
    m_profiles = {};
}

void VrInput::refreshProfiles()
{
    for (std::size_t h = 0; h < 2; ++h) {
        XrInteractionProfileState state {XR_TYPE_INTERACTION_PROFILE_STATE};
        m_profiles[h].clear();
        if (XR_FAILED(xrGetCurrentInteractionProfile(m_session, m_handPaths[h], &state))
            || state.interactionProfile == XR_NULL_PATH)
            continue;
        char text[XR_MAX_PATH_LENGTH];
        uint32_t length = 0;
        if (XR_SUCCEEDED(xrPathToString(m_instance, state.interactionProfile, sizeof text, &length, text)))
            m_profiles[h] = text;
    }
}

std::optional<Pose> VrInput::locate(XrSpace space, XrSpace base, XrTime time) const
{
    XrSpaceLocation location {XR_TYPE_SPACE_LOCATION};
    if (XR_FAILED(xrLocateSpace(space, base, time, &location)))
        return std::nullopt;
    const XrSpaceLocationFlags needed = XR_SPACE_LOCATION_POSITION_VALID_BIT | XR_SPACE_LOCATION_ORIENTATION_VALID_BIT;
    if ((location.locationFlags & needed) != needed)
        return std::nullopt;
    return toPose(location.pose);
}

std::array<HandInput, 2> VrInput::read(XrTime time, XrSpace base, bool focused)
{
    std::array<HandInput, 2> hands;
    if (!m_set || !focused)
        return hands;
    const XrActiveActionSet active {m_set, XR_NULL_PATH};
    XrActionsSyncInfo sync {XR_TYPE_ACTIONS_SYNC_INFO};
    sync.countActiveActionSets = 1;
    sync.activeActionSets = &active;
    if (xrSyncActions(m_session, &sync) != XR_SUCCESS) // XR_SESSION_NOT_FOCUSED: nothing is ours
        return hands;
    for (std::size_t h = 0; h < 2; ++h)
        readHand(h, time, base, hands[h]);
    return hands;
}

void VrInput::readHand(std::size_t h, XrTime time, XrSpace base, HandInput& out)
{
    XrActionStateGetInfo get {XR_TYPE_ACTION_STATE_GET_INFO};
    get.subactionPath = m_handPaths[h];

    XrActionStatePose pose {XR_TYPE_ACTION_STATE_POSE};
    get.action = m_gripPose;
    if (XR_SUCCEEDED(xrGetActionStatePose(m_session, &get, &pose)) && pose.isActive)
        out.grip = locate(m_gripSpaces[h], base, time);
    pose = {XR_TYPE_ACTION_STATE_POSE};
    get.action = m_aimPose;
    if (XR_SUCCEEDED(xrGetActionStatePose(m_session, &get, &pose)) && pose.isActive)
        out.aim = locate(m_aimSpaces[h], base, time);

    auto value = [&](XrAction action) {
        XrActionStateFloat state {XR_TYPE_ACTION_STATE_FLOAT};
        get.action = action;
        return XR_SUCCEEDED(xrGetActionStateFloat(m_session, &get, &state)) && state.isActive ? state.currentState : 0.0f;
    };
    auto pressed = [&](XrAction action) {
        XrActionStateBoolean state {XR_TYPE_ACTION_STATE_BOOLEAN};
        get.action = action;
        return XR_SUCCEEDED(xrGetActionStateBoolean(m_session, &get, &state)) && state.isActive && state.currentState;
    };
    out.squeeze = value(m_squeeze);
    out.trigger = value(m_trigger);
    XrActionStateVector2f stick {XR_TYPE_ACTION_STATE_VECTOR2F};
    get.action = m_thumbstick;
    if (XR_SUCCEEDED(xrGetActionStateVector2f(m_session, &get, &stick)) && stick.isActive)
        out.thumbstick = {stick.currentState.x, stick.currentState.y};
    out.primary = pressed(m_primary);
    out.secondary = pressed(m_secondary);

    // Controllers first; a tracked hand where its controller is not (put down, or none).
    if (out.grip || !m_trackers[h]) {
        m_pinching[h] = false;
        return;
    }
    std::array<XrHandJointLocationEXT, XR_HAND_JOINT_COUNT_EXT> joints {};
    XrHandJointLocationsEXT locations {XR_TYPE_HAND_JOINT_LOCATIONS_EXT};
    locations.jointCount = XR_HAND_JOINT_COUNT_EXT;
    locations.jointLocations = joints.data();
    XrHandJointsLocateInfoEXT info {XR_TYPE_HAND_JOINTS_LOCATE_INFO_EXT};
    info.baseSpace = base;
    info.time = time;
    if (XR_FAILED(m_locateJoints(m_trackers[h], &info, &locations)) || !locations.isActive) {
        m_pinching[h] = false;
        return;
    }
    const XrSpaceLocationFlags valid = XR_SPACE_LOCATION_POSITION_VALID_BIT | XR_SPACE_LOCATION_ORIENTATION_VALID_BIT;
    const XrHandJointLocationEXT& palm = joints[XR_HAND_JOINT_PALM_EXT];
    const XrHandJointLocationEXT& thumb = joints[XR_HAND_JOINT_THUMB_TIP_EXT];
    const XrHandJointLocationEXT& index = joints[XR_HAND_JOINT_INDEX_TIP_EXT];
    if ((palm.locationFlags & valid) != valid || (thumb.locationFlags & valid) != valid
        || (index.locationFlags & valid) != valid) {
        m_pinching[h] = false;
        return;
    }
    const Pose palmPose = toPose(palm.pose);
    const glm::vec3 a = toPose(thumb.pose).position;
    const glm::vec3 b = toPose(index.pose).position;
    const float gap = glm::distance(a, b);
    m_pinching[h] = m_pinching[h] ? gap < PinchReleaseMetres : gap < PinchMetres;
    // The hand holds between the pinching fingertips, and points where the palm faces.
    out.grip = Pose {(a + b) * 0.5f, palmPose.orientation};
    out.aim = out.grip;
    out.squeeze = m_pinching[h] ? 1.0f : 0.0f;
    out.trackedHand = true;
}

} // namespace constellate::xr
