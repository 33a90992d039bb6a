#include "xrnames.h"

#include <openxr/openxr_reflection.h>

namespace constellate::xr {

namespace {

#define CONSTELLATE_XR_NAME_CASE(name, value) \
    case name: return #name;

template<typename Enum>
std::string unknown(const char* type, Enum value)
{
    return std::string(type) + "(" + std::to_string(static_cast<long long>(value)) + ")";
}

} // namespace

std::string resultName(XrResult result)
{
    switch (result) {
        XR_LIST_ENUM_XrResult(CONSTELLATE_XR_NAME_CASE)
    default: return unknown("XrResult", result);
    }
}

std::string sessionStateName(XrSessionState state)
{
    switch (state) {
        XR_LIST_ENUM_XrSessionState(CONSTELLATE_XR_NAME_CASE)
    default: return unknown("XrSessionState", state);
    }
}

std::string viewConfigurationName(XrViewConfigurationType type)
{
    switch (type) {
        XR_LIST_ENUM_XrViewConfigurationType(CONSTELLATE_XR_NAME_CASE)
    default: return unknown("XrViewConfigurationType", type);
    }
}

std::string blendModeName(XrEnvironmentBlendMode mode)
{
    switch (mode) {
        XR_LIST_ENUM_XrEnvironmentBlendMode(CONSTELLATE_XR_NAME_CASE)
    default: return unknown("XrEnvironmentBlendMode", mode);
    }
}

std::string referenceSpaceName(XrReferenceSpaceType type)
{
    switch (type) {
        XR_LIST_ENUM_XrReferenceSpaceType(CONSTELLATE_XR_NAME_CASE)
    default: return unknown("XrReferenceSpaceType", type);
    }
}

std::string versionText(XrVersion version)
{
    return std::to_string(XR_VERSION_MAJOR(version)) + "." + std::to_string(XR_VERSION_MINOR(version)) + "."
        + std::to_string(XR_VERSION_PATCH(version));
}

} // namespace constellate::xr
