#include "instance.h"

#include "xrnames.h"

#include <QtGlobal>

#include <algorithm>
#include <cstring>

namespace constellate::xr {

namespace {

constexpr const char* OpenGlExtension = "XR_KHR_opengl_enable";
/// Enabled when offered: the rest works without them.
constexpr const char* OptionalExtensions[] = {
    "XR_KHR_composition_layer_depth", // the compositor reprojects with depth
    "XR_EXT_hand_tracking",           // pinch to grab without controllers
    "XR_EXT_debug_utils",             // API layers' messages
};

void copyName(char* out, std::size_t size, const std::string& name)
{
    std::strncpy(out, name.c_str(), size - 1);
    out[size - 1] = '\0';
}

} // namespace

std::string Failure::text() const
{
    if (call.empty())
        return message;
    return message + " (" + call + ": " + resultName(result) + ")";
}

Failure Failure::fromResult(XrResult result, const char* call)
{
    Failure f;
    f.result = result;
    f.call = call;
    switch (result) {
    case XR_ERROR_RUNTIME_UNAVAILABLE:
        f.message = "No OpenXR runtime is installed or active: start your headset's runtime (SteamVR, the Meta Quest "
                    "Link app, Monado, WiVRn or ALVR) and make it the active OpenXR runtime, or point XR_RUNTIME_JSON "
                    "at its manifest";
        break;
    case XR_ERROR_RUNTIME_FAILURE:
        f.message = "The OpenXR runtime failed";
        break;
    case XR_ERROR_FORM_FACTOR_UNAVAILABLE:
        f.message = "No headset is connected: connect it and switch it on (a Quest: start Quest Link or Air Link), "
                    "then try again";
        break;
    case XR_ERROR_FORM_FACTOR_UNSUPPORTED:
        f.message = "The OpenXR runtime does not drive head-mounted displays";
        break;
    case XR_ERROR_API_VERSION_UNSUPPORTED:
        f.message = "The OpenXR runtime does not support OpenXR 1.0";
        break;
    case XR_ERROR_INSTANCE_LOST:
        f.message = "The OpenXR runtime went away (it was stopped or it crashed)";
        break;
    case XR_ERROR_SESSION_LOST:
        f.message = "The headset session was lost (the headset was disconnected or its runtime stopped)";
        break;
    case XR_ERROR_GRAPHICS_DEVICE_INVALID:
        f.message = "The OpenXR runtime cannot draw with this OpenGL context (the headset may be on another GPU)";
        break;
    case XR_ERROR_GRAPHICS_REQUIREMENTS_CALL_MISSING:
        f.message = "Internal error: the OpenGL requirements were not asked before the session";
        break;
    default:
        f.message = std::string("OpenXR call ") + call + " failed";
        break;
    }
    return f;
}

std::unique_ptr<Instance> Instance::create(const Options& options, Failure* failure)
{
    std::unique_ptr<Instance> self(new Instance);
    *failure = {};

    uint32_t count = 0;
    XrResult r = xrEnumerateInstanceExtensionProperties(nullptr, 0, &count, nullptr);
    if (XR_SUCCEEDED(r)) {
        self->m_offered.assign(count, XrExtensionProperties {XR_TYPE_EXTENSION_PROPERTIES});
        r = xrEnumerateInstanceExtensionProperties(nullptr, count, &count, self->m_offered.data());
        self->m_offered.resize(count);
    }
    if (XR_FAILED(r)) {
        *failure = Failure::fromResult(r, "xrEnumerateInstanceExtensionProperties");
        return nullptr;
    }

    std::vector<const char*> names;
    if (self->offers(OpenGlExtension))
        names.push_back(OpenGlExtension);
    for (const char* name : OptionalExtensions)
        if (self->offers(name))
            names.push_back(name);

    XrInstanceCreateInfo info {XR_TYPE_INSTANCE_CREATE_INFO};
    copyName(info.applicationInfo.applicationName, sizeof info.applicationInfo.applicationName, options.applicationName);
    copyName(info.applicationInfo.engineName, sizeof info.applicationInfo.engineName, "Constellate");
    info.applicationInfo.applicationVersion = 1;
    info.applicationInfo.engineVersion = 1;
    info.applicationInfo.apiVersion = XR_CURRENT_API_VERSION;
    info.enabledExtensionCount = uint32_t(names.size());
    info.enabledExtensionNames = names.data();
    r = xrCreateInstance(&info, &self->m_instance);
    if (XR_FAILED(r)) {
        self->m_instance = XR_NULL_HANDLE;
        *failure = Failure::fromResult(r, "xrCreateInstance");
        return nullptr;
    }
    for (const char* name : names)
        self->m_enabled.emplace_back(name);

    r = xrGetInstanceProperties(self->m_instance, &self->m_properties);
    if (XR_FAILED(r)) {
        *failure = Failure::fromResult(r, "xrGetInstanceProperties");
        return nullptr;
    }

    if (options.collectMessages && self->enabled("XR_EXT_debug_utils")) {
        auto createMessenger = self->function<PFN_xrCreateDebugUtilsMessengerEXT>("xrCreateDebugUtilsMessengerEXT");
        XrDebugUtilsMessengerCreateInfoEXT m {XR_TYPE_DEBUG_UTILS_MESSENGER_CREATE_INFO_EXT};
        m.messageSeverities = XR_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT | XR_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT;
        m.messageTypes = XR_DEBUG_UTILS_MESSAGE_TYPE_GENERAL_BIT_EXT | XR_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT
            | XR_DEBUG_UTILS_MESSAGE_TYPE_PERFORMANCE_BIT_EXT | XR_DEBUG_UTILS_MESSAGE_TYPE_CONFORMANCE_BIT_EXT;
        m.userCallback = &Instance::onMessage;
        m.userData = self.get();
        if (!createMessenger || XR_FAILED(createMessenger(self->m_instance, &m, &self->m_messenger)))
            self->m_messenger = XR_NULL_HANDLE; // only the messages are missing
    }

    if (options.requireOpenGl && !self->enabled(OpenGlExtension)) {
        failure->result = XR_ERROR_EXTENSION_NOT_PRESENT;
        failure->message = "The OpenXR runtime '" + self->runtimeName() + "' does not offer " + OpenGlExtension
            + ", which Constellate draws with (it may support only Vulkan or Direct3D)";
        return nullptr;
    }
    return self;
}

Instance::~Instance()
{
    if (m_messenger) {
        if (auto destroy = function<PFN_xrDestroyDebugUtilsMessengerEXT>("xrDestroyDebugUtilsMessengerEXT"))
            destroy(m_messenger);
    }
    if (m_instance)
        xrDestroyInstance(m_instance);
}

bool Instance::offers(const char* extension) const
{
    return std::any_of(m_offered.begin(), m_offered.end(),
                       [&](const XrExtensionProperties& e) { return std::strcmp(e.extensionName, extension) == 0; });
}

bool Instance::enabled(const char* extension) const
{
    return std::find(m_enabled.begin(), m_enabled.end(), extension) != m_enabled.end();
}

bool Instance::findSystem(Failure* failure)
{
    XrSystemGetInfo info {XR_TYPE_SYSTEM_GET_INFO};
    info.formFactor = XR_FORM_FACTOR_HEAD_MOUNTED_DISPLAY;
    XrResult r = xrGetSystem(m_instance, &info, &m_system);
    if (XR_FAILED(r)) {
        m_system = XR_NULL_SYSTEM_ID;
        *failure = Failure::fromResult(r, "xrGetSystem");
        return false;
    }
    XrSystemHandTrackingPropertiesEXT hands {XR_TYPE_SYSTEM_HAND_TRACKING_PROPERTIES_EXT};
    m_systemProperties = {XR_TYPE_SYSTEM_PROPERTIES};
    if (enabled("XR_EXT_hand_tracking"))
        m_systemProperties.next = &hands;
    r = xrGetSystemProperties(m_instance, m_system, &m_systemProperties);
    m_systemProperties.next = nullptr;
    if (XR_FAILED(r)) {
        *failure = Failure::fromResult(r, "xrGetSystemProperties");
        return false;
    }
    m_handTracking = enabled("XR_EXT_hand_tracking") && hands.supportsHandTracking;
    return true;
}

PFN_xrVoidFunction Instance::function(const char* name) const
{
    PFN_xrVoidFunction f = nullptr;
    if (!m_instance || XR_FAILED(xrGetInstanceProcAddr(m_instance, name, &f)))
        return nullptr;
    return f;
}

std::vector<std::string> Instance::takeMessages()
{
    std::lock_guard lock(m_messagesMutex);
    return std::exchange(m_messages, {});
}

XrBool32 XRAPI_PTR Instance::onMessage(XrDebugUtilsMessageSeverityFlagsEXT severity, XrDebugUtilsMessageTypeFlagsEXT,
                                       const XrDebugUtilsMessengerCallbackDataEXT* data, void* self)
{
    auto* instance = static_cast<Instance*>(self);
    std::string text = (severity & XR_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT) ? "error: " : "warning: ";
    if (data && data->functionName)
        text += std::string(data->functionName) + ": ";
    if (data && data->message)
        text += data->message;
    qWarning("OpenXR %s", text.c_str());
    std::lock_guard lock(instance->m_messagesMutex);
    if (instance->m_messages.size() < 1000) // a layer complaining every frame must not grow without bound
        instance->m_messages.push_back(std::move(text));
    return XR_FALSE;
}

} // namespace constellate::xr
