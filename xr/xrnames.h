#pragma once

// Names of OpenXR enum values for messages, logs and --xr-info, without an instance
// (xrResultToString needs one, and the reason there is none is what users must read).

#include <openxr/openxr.h>

#include <string>

namespace constellate::xr {

/// "XR_ERROR_RUNTIME_UNAVAILABLE"; an unknown value as "XrResult(-1234)".
std::string resultName(XrResult result);
/// "XR_SESSION_STATE_FOCUSED" and so on.
std::string sessionStateName(XrSessionState state);
std::string viewConfigurationName(XrViewConfigurationType type);
std::string blendModeName(XrEnvironmentBlendMode mode);
std::string referenceSpaceName(XrReferenceSpaceType type);
/// "1.0.20"
std::string versionText(XrVersion version);

} // namespace constellate::xr
