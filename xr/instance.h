#pragma once

#include <openxr/openxr.h>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace constellate::xr {

/// Why VR cannot start, or why it stopped: the OpenXR call and its result, and a sentence
/// that tells the user what is missing and what to do about it.
struct Failure {
    XrResult result = XR_SUCCESS;
    std::string call;    ///< "xrCreateInstance"; empty when no OpenXR call failed
    std::string message; ///< for the user

    bool failed() const { return !message.empty(); }
    /// The message with the call and result in brackets, as logs and dialogs show it.
    std::string text() const;

    /// A failed call described for the user: the well-known results (no runtime, no
    /// headset, a lost session) get their own sentence, the rest name the call.
    static Failure fromResult(XrResult result, const char* call);
};

/// One OpenXR instance made through the Khronos loader (the active runtime: XR_RUNTIME_JSON,
/// else active_runtime.json), with the extensions Constellate uses enabled where the runtime
/// offers them, and the head-mounted system. Owns the handle; use it from one thread at a
/// time (OpenXR instances are thread-safe, but the messages kept here are not read under
/// the loader's lock).
class Instance {
public:
    struct Options {
        std::string applicationName = "Constellate";
        /// Fail (naming the extension) when the runtime lacks XR_KHR_opengl_enable.
        bool requireOpenGl = true;
        /// Collect the messages of API layers (Khronos' core validation) and the loader
        /// through an XR_EXT_debug_utils messenger: takeMessages().
        bool collectMessages = true;
    };

    /// Nullptr with `failure` set when there is no runtime, it fails to start, or it lacks
    /// a required extension.
    static std::unique_ptr<Instance> create(const Options& options, Failure* failure);
    ~Instance();
    Instance(const Instance&) = delete;
    Instance& operator=(const Instance&) = delete;

    XrInstance handle() const { return m_instance; }
    const XrInstanceProperties& properties() const { return m_properties; }
    std::string runtimeName() const { return m_properties.runtimeName; }

    /// Everything the runtime (and the loader, and enabled layers) offers.
    const std::vector<XrExtensionProperties>& offeredExtensions() const { return m_offered; }
    bool offers(const char* extension) const;
    /// Enabled on this instance: XR_KHR_opengl_enable, and XR_KHR_composition_layer_depth,
    /// XR_EXT_hand_tracking and XR_EXT_debug_utils when offered.
    bool enabled(const char* extension) const;

    /// Finds the head-mounted display. False with `failure` set: no headset connected
    /// (XR_ERROR_FORM_FACTOR_UNAVAILABLE), or none supported.
    bool findSystem(Failure* failure);
    XrSystemId system() const { return m_system; }
    const XrSystemProperties& systemProperties() const { return m_systemProperties; }
    /// XR_EXT_hand_tracking is enabled and the system tracks hands.
    bool handTracking() const { return m_handTracking; }

    /// An instance function (an extension's): nullptr when the runtime has none.
    PFN_xrVoidFunction function(const char* name) const;
    template<typename Pfn>
    Pfn function(const char* name) const
    {
        return reinterpret_cast<Pfn>(function(name));
    }

    /// Warnings and errors reported by API layers and the loader since the last call.
    std::vector<std::string> takeMessages();

private:
    Instance() = default;
    static XrBool32 XRAPI_PTR onMessage(XrDebugUtilsMessageSeverityFlagsEXT severity, XrDebugUtilsMessageTypeFlagsEXT types,
                                        const XrDebugUtilsMessengerCallbackDataEXT* data, void* self);

    XrInstance m_instance = XR_NULL_HANDLE;
    XrInstanceProperties m_properties {XR_TYPE_INSTANCE_PROPERTIES};
    std::vector<XrExtensionProperties> m_offered;
    std::vector<std::string> m_enabled;
    XrSystemId m_system = XR_NULL_SYSTEM_ID;
    XrSystemProperties m_systemProperties {XR_TYPE_SYSTEM_PROPERTIES};
    bool m_handTracking = false;
    XrDebugUtilsMessengerEXT m_messenger = XR_NULL_HANDLE;
    std::mutex m_messagesMutex;
    std::vector<std::string> m_messages;
};

} // namespace constellate::xr
