#pragma once

#include "instance.h"

#include <cstdint>
#include <string>
#include <vector>

namespace constellate::xr {

/// What the active OpenXR runtime offers, or the exact reason VR cannot start: what
/// `constellate --xr-info` prints and what Enter VR checks first. Needs no display and no
/// GL context (it makes an instance, asks, and destroys it).
struct RuntimeInfo {
    /// VR can start: a runtime, a headset, XR_KHR_opengl_enable and a stereo view configuration.
    bool ready = false;
    Failure failure; ///< why not (the first thing missing)

    bool hasRuntime = false;
    std::string runtimeName;
    XrVersion runtimeVersion = 0;
    struct Extension {
        std::string name;
        std::uint32_t version = 0;
        bool used = false; ///< enabled by Constellate when it runs
    };
    std::vector<Extension> extensions;

    bool hasSystem = false;
    std::string systemName;
    std::uint32_t vendorId = 0;
    bool orientationTracking = false;
    bool positionTracking = false;
    std::uint32_t maxSwapchainWidth = 0;
    std::uint32_t maxSwapchainHeight = 0;
    std::uint32_t maxLayerCount = 0;
    bool handTracking = false;

    struct ViewConfiguration {
        XrViewConfigurationType type = XR_VIEW_CONFIGURATION_TYPE_PRIMARY_STEREO;
        bool fovMutable = false;
        std::vector<XrViewConfigurationView> views;
        std::vector<XrEnvironmentBlendMode> blendModes;
    };
    std::vector<ViewConfiguration> viewConfigurations;

    /// Asks the active runtime (XR_RUNTIME_JSON, else the system's active_runtime.json).
    static RuntimeInfo probe(const std::string& applicationName = "Constellate");
    /// The report, several lines, ending with "VR: ready" or "VR: not available: <reason>".
    std::string text() const;
};

} // namespace constellate::xr
