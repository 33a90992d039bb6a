#pragma once

#include "instance.h"
#include "vrtypes.h"

#include <openxr/openxr.h>

#include <array>
#include <string>

namespace constellate::xr {

/// The actions Constellate reads, per hand: grip and aim poses, squeeze, trigger, thumbstick,
/// and the face buttons (A/B on the right controller, X/Y on the left), with suggested
/// bindings for Oculus Touch (Quest), Valve Index and the KHR simple controller; and, where
/// the instance tracks hands (XR_EXT_hand_tracking), a pinch as the squeeze of a hand whose
/// controller is not tracked. Use on the XR thread.
class VrInput {
public:
    VrInput() = default;
    ~VrInput();
    VrInput(const VrInput&) = delete;
    VrInput& operator=(const VrInput&) = delete;

    /// Makes the action set, its actions and spaces, suggests the bindings and attaches the
    /// set to the session (once: OpenXR allows no second attach), and the hand trackers.
    bool create(Instance& instance, XrSession session, Failure* failure);
    void destroy();

    /// Syncs the actions and reads both hands at `time` in `base` (0 left, 1 right). While
    /// the session is not focused nothing is active and both hands come back empty.
    std::array<HandInput, 2> read(XrTime time, XrSpace base, bool focused);

    /// The interaction profile bound to a hand ("/interaction_profiles/oculus/touch_controller"),
    /// empty while none; read again on XR_TYPE_EVENT_DATA_INTERACTION_PROFILE_CHANGED.
    const std::string& profile(Hand hand) const { return m_profiles[std::size_t(hand)]; }
    void refreshProfiles();

    /// A pinch starts below this distance between thumb and index tips, and ends above Release.
    static constexpr float PinchMetres = 0.015f;
    static constexpr float PinchReleaseMetres = 0.03f;

private:
    XrAction makeAction(const char* name, const char* localized, XrActionType type, Failure* failure);
    bool suggest(const char* profile, const std::vector<std::pair<XrAction, std::string>>& bindings);
    std::optional<Pose> locate(XrSpace space, XrSpace base, XrTime time) const;
    void readHand(std::size_t hand, XrTime time, XrSpace base, HandInput& out);

    XrInstance m_instance = XR_NULL_HANDLE;
    XrSession m_session = XR_NULL_HANDLE;
    XrActionSet m_set = XR_NULL_HANDLE;
    XrAction m_gripPose = XR_NULL_HANDLE;
    XrAction m_aimPose = XR_NULL_HANDLE;
    XrAction m_squeeze = XR_NULL_HANDLE;
    XrAction m_trigger = XR_NULL_HANDLE;
    XrAction m_thumbstick = XR_NULL_HANDLE;
    XrAction m_primary = XR_NULL_HANDLE;
    XrAction m_secondary = XR_NULL_HANDLE;
    std::array<XrPath, 2> m_handPaths {XR_NULL_PATH, XR_NULL_PATH};
    std::array<XrSpace, 2> m_gripSpaces {XR_NULL_HANDLE, XR_NULL_HANDLE};
    std::array<XrSpace, 2> m_aimSpaces {XR_NULL_HANDLE, XR_NULL_HANDLE};
    std::array<XrHandTrackerEXT, 2> m_trackers {XR_NULL_HANDLE, XR_NULL_HANDLE};
    PFN_xrLocateHandJointsEXT m_locateJoints = nullptr;
    PFN_xrDestroyHandTrackerEXT m_destroyTracker = nullptr;
    std::array<bool, 2> m_pinching {false, false};
    std::array<std::string, 2> m_profiles;
};

} // namespace constellate::xr
