#include "runtimeinfo.h"

#include "xrnames.h"

#include <cstdio>
#include <cstring>
#include <sstream>

namespace constellate::xr {

namespace {

bool isUsed(const char* name)
{
    for (const char* used : {"XR_KHR_opengl_enable", "XR_KHR_composition_layer_depth", "XR_EXT_hand_tracking",
                             "XR_EXT_debug_utils"})
        if (std::strcmp(name, used) == 0)
            return true;
    return false;
}

std::string hex(std::uint32_t value)
{
    char text[16];
    std::snprintf(text, sizeof text, "0x%04x", value);
    return text;
}

} // namespace

RuntimeInfo RuntimeInfo::probe(const std::string& applicationName)
{
    RuntimeInfo info;
    Instance::Options options;
    options.applicationName = applicationName;
    options.requireOpenGl = false; // reported below, with everything else the runtime offers
    options.collectMessages = false;
    std::unique_ptr<Instance> instance = Instance::create(options, &info.failure);
    if (!instance)
        return info;

    info.hasRuntime = true;
    info.runtimeName = instance->runtimeName();
    info.runtimeVersion = instance->properties().runtimeVersion;
    for (const XrExtensionProperties& e : instance->offeredExtensions())
        info.extensions.push_back({e.extensionName, e.extensionVersion, isUsed(e.extensionName)});

    if (!instance->findSystem(&info.failure))
        return info;
    const XrSystemProperties& system = instance->systemProperties();
    info.hasSystem = true;
    info.systemName = system.systemName;
    info.vendorId = system.vendorId;
    info.orientationTracking = system.trackingProperties.orientationTracking;
    info.positionTracking = system.trackingProperties.positionTracking;
    info.maxSwapchainWidth = system.graphicsProperties.maxSwapchainImageWidth;
    info.maxSwapchainHeight = system.graphicsProperties.maxSwapchainImageHeight;
    info.maxLayerCount = system.graphicsProperties.maxLayerCount;
    info.handTracking = instance->handTracking();

    const XrInstance xr = instance->handle();
    uint32_t count = 0;
    XrResult r = xrEnumerateViewConfigurations(xr, instance->system(), 0, &count, nullptr);
    std::vector<XrViewConfigurationType> types(count);
    if (XR_SUCCEEDED(r))
        r = xrEnumerateViewConfigurations(xr, instance->system(), count, &count, types.data());
    if (XR_FAILED(r)) {
        info.failure = Failure::fromResult(r, "xrEnumerateViewConfigurations");
        return info;
    }
    types.resize(count);
    for (const XrViewConfigurationType type : types) {
        ViewConfiguration config;
        config.type = type;
        XrViewConfigurationProperties properties {XR_TYPE_VIEW_CONFIGURATION_PROPERTIES};
        if (XR_SUCCEEDED(xrGetViewConfigurationProperties(xr, instance->system(), type, &properties)))
            config.fovMutable = properties.fovMutable;
        uint32_t views = 0;
        if (XR_SUCCEEDED(xrEnumerateViewConfigurationViews(xr, instance->system(), type, 0, &views, nullptr))) {
            config.views.assign(views, XrViewConfigurationView {XR_TYPE_VIEW_CONFIGURATION_VIEW});
            if (XR_FAILED(xrEnumerateViewConfigurationViews(xr, instance->system(), type, views, &views, config.views.data())))
                views = 0;
            config.views.resize(views);
        }
        uint32_t modes = 0;
        if (XR_SUCCEEDED(xrEnumerateEnvironmentBlendModes(xr, instance->system(), type, 0, &modes, nullptr))) {
            config.blendModes.resize(modes);
            if (XR_FAILED(xrEnumerateEnvironmentBlendModes(xr, instance->system(), type, modes, &modes, config.blendModes.data())))
                modes = 0;
            config.blendModes.resize(modes);
        }
        info.viewConfigurations.push_back(std::move(config));
    }

    if (!instance->offers("XR_KHR_opengl_enable")) {
        info.failure.result = XR_ERROR_EXTENSION_NOT_PRESENT;
        info.failure.message = "The OpenXR runtime '" + info.runtimeName
            + "' does not offer XR_KHR_opengl_enable, which Constellate draws with (it may support only Vulkan or "
              "Direct3D)";
        return info;
    }
    bool stereo = false;
    for (const ViewConfiguration& c : info.viewConfigurations)
        stereo = stereo || (c.type == XR_VIEW_CONFIGURATION_TYPE_PRIMARY_STEREO && c.views.size() == 2);
    if (!stereo) {
        info.failure.result = XR_ERROR_VIEW_CONFIGURATION_TYPE_UNSUPPORTED;
        info.failure.message = "The headset has no stereo view configuration (XR_VIEW_CONFIGURATION_TYPE_PRIMARY_STEREO)";
        return info;
    }
    info.ready = true;
    return info;
}

std::string RuntimeInfo::text() const
{
    std::ostringstream out;
    if (hasRuntime) {
        out << "Runtime: " << runtimeName << " " << versionText(runtimeVersion) << "\n";
        out << "Extensions (" << extensions.size() << ", * = used by Constellate):\n";
        for (const Extension& e : extensions)
            out << "  " << (e.used ? "* " : "  ") << e.name << " v" << e.version << "\n";
    } else {
        out << "Runtime: none\n";
    }
    if (hasSystem) {
        out << "System: " << systemName << " (vendor " << hex(vendorId) << ")\n";
        out << "  tracking: orientation " << (orientationTracking ? "yes" : "no") << ", position "
            << (positionTracking ? "yes" : "no") << ", hands " << (handTracking ? "yes" : "no") << "\n";
        out << "  swapchain images up to " << maxSwapchainWidth << "x" << maxSwapchainHeight << ", " << maxLayerCount
            << " layers\n";
        for (const ViewConfiguration& c : viewConfigurations) {
            out << "View configuration: " << viewConfigurationName(c.type) << ", " << c.views.size() << " views"
                << (c.fovMutable ? ", mutable field of view" : "") << "\n";
            for (std::size_t i = 0; i < c.views.size(); ++i) {
                const XrViewConfigurationView& v = c.views[i];
                out << "  view " << i << ": " << v.recommendedImageRectWidth << "x" << v.recommendedImageRectHeight
                    << " recommended (up to " << v.maxImageRectWidth << "x" << v.maxImageRectHeight << "), "
                    << v.recommendedSwapchainSampleCount << " sample(s)\n";
            }
            out << "  blend modes:";
            for (const XrEnvironmentBlendMode m : c.blendModes)
                out << " " << blendModeName(m);
            out << "\n";
        }
    } else if (hasRuntime) {
        out << "System: none\n";
    }
    if (ready)
        out << "VR: ready\n";
    else
        out << "VR: not available: " << failure.text() << "\n";
    return out.str();
}

} // namespace constellate::xr
