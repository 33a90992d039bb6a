// Instance, system and path functions of the test runtime, and xrPollEvent.

#include "testruntime.h"

#include <openxr/openxr_reflection.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

namespace constellate::xrtest {

namespace {

using Lock = std::lock_guard<std::recursive_mutex>;

constexpr XrSystemId SystemId = 1;

struct OfferedExtension {
    const char* name;
    uint32_t version;
};

std::vector<OfferedExtension> offered()
{
    const Config& c = runtime().config;
    std::vector<OfferedExtension> list;
    if (c.opengl)
        list.push_back({"XR_KHR_opengl_enable", 10});
    if (c.depth)
        list.push_back({"XR_KHR_composition_layer_depth", 6});
    if (c.handTracking)
        list.push_back({"XR_EXT_hand_tracking", 4});
    return list;
}

RtInstance* instanceOf(XrInstance handle)
{
    auto* i = reinterpret_cast<RtInstance*>(handle);
    return runtime().instances.count(i) ? i : nullptr;
}

/// The two-call idiom: the count, then the items when there is room.
template<typename T>
XrResult fill(uint32_t capacity, uint32_t* count, T* out, const std::vector<T>& items)
{
    if (!count)
        return XR_ERROR_VALIDATION_FAILURE;
    *count = uint32_t(items.size());
    if (capacity == 0)
        return XR_SUCCESS;
    if (capacity < items.size())
        return XR_ERROR_SIZE_INSUFFICIENT;
    std::copy(items.begin(), items.end(), out);
    return XR_SUCCESS;
}

XrResult XRAPI_CALL enumerateInstanceExtensionProperties(const char* layerName, uint32_t capacity, uint32_t* count,
                                                         XrExtensionProperties* properties)
{
    Lock lock(runtime().mutex);
    if (runtime().instances.empty())
        runtime().config = Config::fromEnvironment();
    if (layerName)
        return XR_ERROR_API_LAYER_NOT_PRESENT;
    std::vector<XrExtensionProperties> items;
    for (const OfferedExtension& e : offered()) {
        XrExtensionProperties p {XR_TYPE_EXTENSION_PROPERTIES};
        std::strncpy(p.extensionName, e.name, sizeof p.extensionName - 1);
        p.extensionVersion = e.version;
        items.push_back(p);
    }
    if (capacity && properties) {
        for (uint32_t i = 0; i < std::min<uint32_t>(capacity, uint32_t(items.size())); ++i)
            if (properties[i].type != XR_TYPE_EXTENSION_PROPERTIES)
                return XR_ERROR_VALIDATION_FAILURE;
    }
    return fill(capacity, count, properties, items);
}

XrResult XRAPI_CALL createInstance(const XrInstanceCreateInfo* info, XrInstance* out)
{
    Lock lock(runtime().mutex);
    if (!info || !out || info->type != XR_TYPE_INSTANCE_CREATE_INFO)
        return XR_ERROR_VALIDATION_FAILURE;
    if (XR_VERSION_MAJOR(info->applicationInfo.apiVersion) != 1)
        return XR_ERROR_API_VERSION_UNSUPPORTED;
    if (runtime().instances.empty())
        runtime().restart();
    auto instance = std::make_unique<RtInstance>();
    std::string names;
    const std::vector<OfferedExtension> list = offered();
    for (uint32_t i = 0; i < info->enabledExtensionCount; ++i) {
        const std::string name = info->enabledExtensionNames[i];
        // The loader answers XR_EXT_debug_utils itself; it may pass the name down.
        const bool known = name == "XR_EXT_debug_utils"
            || std::any_of(list.begin(), list.end(), [&](const OfferedExtension& e) { return name == e.name; });
        if (!known) {
            record("createInstance error=extension-not-present name=" + name);
            return XR_ERROR_EXTENSION_NOT_PRESENT;
        }
        instance->extensions.insert(name);
        names += (names.empty() ? "" : ",") + name;
    }
    record(std::string("createInstance application=") + info->applicationInfo.applicationName + " extensions=" + names);
    *out = reinterpret_cast<XrInstance>(instance.get());
    runtime().instances.insert(instance.release());
    return XR_SUCCESS;
}

XrResult XRAPI_CALL destroyInstance(XrInstance handle)
{
    Lock lock(runtime().mutex);
    RtInstance* instance = instanceOf(handle);
    if (!instance)
        return XR_ERROR_HANDLE_INVALID;
    if (instance->session)
        record("destroyInstance error=session-alive");
    Runtime& rt = runtime();
    for (auto it = rt.actionSets.begin(); it != rt.actionSets.end();) {
        RtActionSet* set = *it++;
        if (set->instance != instance)
            continue;
        record("destroyInstance error=action-set-alive name=" + set->name);
        for (auto a = rt.actions.begin(); a != rt.actions.end();) {
            RtAction* action = *a++;
            if (action->set == set) {
                rt.actions.erase(action);
                delete action;
            }
        }
        rt.actionSets.erase(set);
        delete set;
    }
    runtime().instances.erase(instance);
    delete instance;
    record("destroyInstance");
    return XR_SUCCESS;
}

XrResult XRAPI_CALL getInstanceProperties(XrInstance handle, XrInstanceProperties* properties)
{
    Lock lock(runtime().mutex);
    if (!instanceOf(handle))
        return XR_ERROR_HANDLE_INVALID;
    if (!properties || properties->type != XR_TYPE_INSTANCE_PROPERTIES)
        return XR_ERROR_VALIDATION_FAILURE;
    properties->runtimeVersion = XR_MAKE_VERSION(0, 1, 0);
    std::strncpy(properties->runtimeName, "Constellate test runtime", sizeof properties->runtimeName - 1);
    return XR_SUCCESS;
}

XrResult XRAPI_CALL pollEvent(XrInstance handle, XrEventDataBuffer* buffer)
{
    Lock lock(runtime().mutex);
    RtInstance* instance = instanceOf(handle);
    if (!instance)
        return XR_ERROR_HANDLE_INVALID;
    if (!buffer || buffer->type != XR_TYPE_EVENT_DATA_BUFFER)
        return XR_ERROR_VALIDATION_FAILURE;
    pumpScript();
    if (instance->events.empty())
        return XR_EVENT_UNAVAILABLE;
    *buffer = instance->events.front();
    instance->events.pop_front();
    return XR_SUCCESS;
}

#define CONSTELLATE_XRTEST_NAME_CASE(name, value) \
    case name: std::snprintf(out, XR_MAX_RESULT_STRING_SIZE, "%s", #name); return XR_SUCCESS;

XrResult XRAPI_CALL resultToString(XrInstance handle, XrResult value, char out[XR_MAX_RESULT_STRING_SIZE])
{
    Lock lock(runtime().mutex);
    if (!instanceOf(handle))
        return XR_ERROR_HANDLE_INVALID;
    std::memset(out, 0, XR_MAX_RESULT_STRING_SIZE);
    switch (value) {
        XR_LIST_ENUM_XrResult(CONSTELLATE_XRTEST_NAME_CASE)
    default:
        std::snprintf(out, XR_MAX_RESULT_STRING_SIZE, "XR_UNKNOWN_%s_%d", value < 0 ? "FAILURE" : "SUCCESS", int(value));
        return XR_SUCCESS;
    }
}

XrResult XRAPI_CALL structureTypeToString(XrInstance handle, XrStructureType value,
                                          char out[XR_MAX_STRUCTURE_NAME_SIZE])
{
    Lock lock(runtime().mutex);
    if (!instanceOf(handle))
        return XR_ERROR_HANDLE_INVALID;
    std::memset(out, 0, XR_MAX_STRUCTURE_NAME_SIZE);
    switch (value) {
        XR_LIST_ENUM_XrStructureType(CONSTELLATE_XRTEST_NAME_CASE)
    default:
        std::snprintf(out, XR_MAX_STRUCTURE_NAME_SIZE, "XR_UNKNOWN_STRUCTURE_TYPE_%d", int(value));
        return XR_SUCCESS;
    }
}

#undef CONSTELLATE_XRTEST_NAME_CASE

XrResult XRAPI_CALL getSystem(XrInstance handle, const XrSystemGetInfo* info, XrSystemId* system)
{
    Lock lock(runtime().mutex);
    if (!instanceOf(handle))
        return XR_ERROR_HANDLE_INVALID;
    if (!info || !system || info->type != XR_TYPE_SYSTEM_GET_INFO)
        return XR_ERROR_VALIDATION_FAILURE;
    if (info->formFactor != XR_FORM_FACTOR_HEAD_MOUNTED_DISPLAY)
        return XR_ERROR_FORM_FACTOR_UNSUPPORTED;
    if (!runtime().config.hmd) {
        record("getSystem error=form-factor-unavailable");
        return XR_ERROR_FORM_FACTOR_UNAVAILABLE;
    }
    *system = SystemId;
    record("getSystem");
    return XR_SUCCESS;
}

XrResult XRAPI_CALL getSystemProperties(XrInstance handle, XrSystemId system, XrSystemProperties* properties)
{
    Lock lock(runtime().mutex);
    RtInstance* instance = instanceOf(handle);
    if (!instance)
        return XR_ERROR_HANDLE_INVALID;
    if (system != SystemId)
        return XR_ERROR_SYSTEM_INVALID;
    if (!properties || properties->type != XR_TYPE_SYSTEM_PROPERTIES)
        return XR_ERROR_VALIDATION_FAILURE;
    properties->systemId = SystemId;
    properties->vendorId = 0xc0de;
    std::strncpy(properties->systemName, "Constellate Test HMD", sizeof properties->systemName - 1);
    properties->graphicsProperties.maxSwapchainImageWidth = 4096;
    properties->graphicsProperties.maxSwapchainImageHeight = 4096;
    properties->graphicsProperties.maxLayerCount = 16;
    properties->trackingProperties.orientationTracking = XR_TRUE;
    properties->trackingProperties.positionTracking = XR_TRUE;
    for (auto* next = static_cast<XrBaseOutStructure*>(properties->next); next; next = next->next) {
        if (next->type == XR_TYPE_SYSTEM_HAND_TRACKING_PROPERTIES_EXT)
            reinterpret_cast<XrSystemHandTrackingPropertiesEXT*>(next)->supportsHandTracking =
                instance->extensions.count("XR_EXT_hand_tracking") ? XR_TRUE : XR_FALSE;
    }
    return XR_SUCCESS;
}

XrResult XRAPI_CALL enumerateViewConfigurations(XrInstance handle, XrSystemId system, uint32_t capacity, uint32_t* count,
                                                XrViewConfigurationType* types)
{
    Lock lock(runtime().mutex);
    if (!instanceOf(handle))
        return XR_ERROR_HANDLE_INVALID;
    if (system != SystemId)
        return XR_ERROR_SYSTEM_INVALID;
    return fill(capacity, count, types, std::vector<XrViewConfigurationType> {XR_VIEW_CONFIGURATION_TYPE_PRIMARY_STEREO});
}

XrResult XRAPI_CALL getViewConfigurationProperties(XrInstance handle, XrSystemId system, XrViewConfigurationType type,
                                                   XrViewConfigurationProperties* properties)
{
    Lock lock(runtime().mutex);
    if (!instanceOf(handle))
        return XR_ERROR_HANDLE_INVALID;
    if (system != SystemId)
        return XR_ERROR_SYSTEM_INVALID;
    if (type != XR_VIEW_CONFIGURATION_TYPE_PRIMARY_STEREO)
        return XR_ERROR_VIEW_CONFIGURATION_TYPE_UNSUPPORTED;
    if (!properties || properties->type != XR_TYPE_VIEW_CONFIGURATION_PROPERTIES)
        return XR_ERROR_VALIDATION_FAILURE;
    properties->viewConfigurationType = type;
    properties->fovMutable = XR_FALSE;
    return XR_SUCCESS;
}

XrResult XRAPI_CALL enumerateViewConfigurationViews(XrInstance handle, XrSystemId system, XrViewConfigurationType type,
                                                    uint32_t capacity, uint32_t* count, XrViewConfigurationView* views)
{
    Lock lock(runtime().mutex);
    if (!instanceOf(handle))
        return XR_ERROR_HANDLE_INVALID;
    if (system != SystemId)
        return XR_ERROR_SYSTEM_INVALID;
    if (type != XR_VIEW_CONFIGURATION_TYPE_PRIMARY_STEREO)
        return XR_ERROR_VIEW_CONFIGURATION_TYPE_UNSUPPORTED;
    XrViewConfigurationView v {XR_TYPE_VIEW_CONFIGURATION_VIEW};
    v.recommendedImageRectWidth = runtime().config.width;
    v.recommendedImageRectHeight = runtime().config.height;
    v.maxImageRectWidth = 4096;
    v.maxImageRectHeight = 4096;
    v.recommendedSwapchainSampleCount = 1;
    v.maxSwapchainSampleCount = 4;
    return fill(capacity, count, views, std::vector<XrViewConfigurationView> {v, v});
}

XrResult XRAPI_CALL enumerateEnvironmentBlendModes(XrInstance handle, XrSystemId system, XrViewConfigurationType type,
                                                   uint32_t capacity, uint32_t* count, XrEnvironmentBlendMode* modes)
{
    Lock lock(runtime().mutex);
    if (!instanceOf(handle))
        return XR_ERROR_HANDLE_INVALID;
    if (system != SystemId)
        return XR_ERROR_SYSTEM_INVALID;
    if (type != XR_VIEW_CONFIGURATION_TYPE_PRIMARY_STEREO)
        return XR_ERROR_VIEW_CONFIGURATION_TYPE_UNSUPPORTED;
    return fill(capacity, count, modes, std::vector<XrEnvironmentBlendMode> {XR_ENVIRONMENT_BLEND_MODE_OPAQUE});
}

bool validPath(const char* text)
{
    const std::size_t n = std::strlen(text);
    if (n < 2 || text[0] != '/' || text[n - 1] == '/' || n >= XR_MAX_PATH_LENGTH)
        return false;
    for (std::size_t i = 0; i < n; ++i) {
        const char c = text[i];
        const bool allowed = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' || c == '/';
        if (!allowed || (c == '/' && text[i + 1] == '/'))
            return false;
    }
    return true;
}

XrResult XRAPI_CALL stringToPath(XrInstance handle, const char* text, XrPath* path)
{
    Lock lock(runtime().mutex);
    if (!instanceOf(handle))
        return XR_ERROR_HANDLE_INVALID;
    if (!text || !path)
        return XR_ERROR_VALIDATION_FAILURE;
    if (!validPath(text))
        return XR_ERROR_PATH_FORMAT_INVALID;
    *path = pathOf(text);
    return XR_SUCCESS;
}

XrResult XRAPI_CALL pathToString(XrInstance handle, XrPath path, uint32_t capacity, uint32_t* count, char* buffer)
{
    Lock lock(runtime().mutex);
    if (!instanceOf(handle))
        return XR_ERROR_HANDLE_INVALID;
    const std::string text = pathString(path);
    if (text.empty())
        return XR_ERROR_PATH_INVALID;
    std::vector<char> chars(text.begin(), text.end());
    chars.push_back('\0');
    return fill(capacity, count, buffer, chars);
}

} // namespace

PFN_xrVoidFunction instanceFunction(const char* name)
{
    struct Entry {
        const char* name;
        PFN_xrVoidFunction function;
    };
#define CONSTELLATE_XRTEST_ENTRY(xrName, function) {xrName, reinterpret_cast<PFN_xrVoidFunction>(&function)}
    static const Entry table[] = {
        CONSTELLATE_XRTEST_ENTRY("xrEnumerateInstanceExtensionProperties", enumerateInstanceExtensionProperties),
        CONSTELLATE_XRTEST_ENTRY("xrCreateInstance", createInstance),
        CONSTELLATE_XRTEST_ENTRY("xrDestroyInstance", destroyInstance),
        CONSTELLATE_XRTEST_ENTRY("xrGetInstanceProperties", getInstanceProperties),
        CONSTELLATE_XRTEST_ENTRY("xrPollEvent", pollEvent),
        CONSTELLATE_XRTEST_ENTRY("xrResultToString", resultToString),
        CONSTELLATE_XRTEST_ENTRY("xrStructureTypeToString", structureTypeToString),
        CONSTELLATE_XRTEST_ENTRY("xrGetSystem", getSystem),
        CONSTELLATE_XRTEST_ENTRY("xrGetSystemProperties", getSystemProperties),
        CONSTELLATE_XRTEST_ENTRY("xrEnumerateViewConfigurations", enumerateViewConfigurations),
        CONSTELLATE_XRTEST_ENTRY("xrGetViewConfigurationProperties", getViewConfigurationProperties),
        CONSTELLATE_XRTEST_ENTRY("xrEnumerateViewConfigurationViews", enumerateViewConfigurationViews),
        CONSTELLATE_XRTEST_ENTRY("xrEnumerateEnvironmentBlendModes", enumerateEnvironmentBlendModes),
        CONSTELLATE_XRTEST_ENTRY("xrStringToPath", stringToPath),
        CONSTELLATE_XRTEST_ENTRY("xrPathToString", pathToString),
    };
#undef CONSTELLATE_XRTEST_ENTRY
    for (const Entry& e : table)
        if (std::strcmp(e.name, name) == 0)
            return e.function;
    return nullptr;
}

} // namespace constellate::xrtest
