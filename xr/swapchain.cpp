#include "swapchain.h"

#define XR_USE_GRAPHICS_API_OPENGL
#include <openxr/openxr_platform.h>

namespace constellate::xr {

Swapchain::~Swapchain()
{
    destroy();
}

XrResult Swapchain::create(XrSession session, std::int64_t format, std::uint32_t width, std::uint32_t height, bool depth)
{
    destroy();
    XrSwapchainCreateInfo info {XR_TYPE_SWAPCHAIN_CREATE_INFO};
    info.usageFlags = XR_SWAPCHAIN_USAGE_SAMPLED_BIT
        | (depth ? XR_SWAPCHAIN_USAGE_DEPTH_STENCIL_ATTACHMENT_BIT : XR_SWAPCHAIN_USAGE_COLOR_ATTACHMENT_BIT);
    info.format = format;
    info.sampleCount = 1;
    info.width = width;
    info.height = height;
    info.faceCount = 1;
    info.arraySize = 1;
    info.mipCount = 1;
    XrResult r = xrCreateSwapchain(session, &info, &m_handle);
    if (XR_FAILED(r)) {
        m_handle = XR_NULL_HANDLE;
        return r;
    }
    m_format = format;
    m_width = width;
    m_height = height;
    uint32_t count = 0;
    r = xrEnumerateSwapchainImages(m_handle, 0, &count, nullptr);
    if (XR_FAILED(r))
        return r;
    std::vector<XrSwapchainImageOpenGLKHR> images(count, {XR_TYPE_SWAPCHAIN_IMAGE_OPENGL_KHR});
    r = xrEnumerateSwapchainImages(m_handle, count, &count,
                                   reinterpret_cast<XrSwapchainImageBaseHeader*>(images.data()));
    if (XR_FAILED(r))
        return r;
    m_textures.clear();
    for (uint32_t i = 0; i < count; ++i)
        m_textures.push_back(images[i].image);
    return XR_SUCCESS;
}

void Swapchain::destroy()
{
    if (m_handle)
        xrDestroySwapchain(m_handle);
    m_handle = XR_NULL_HANDLE;
    m_textures.clear();
    m_held = false;
}

XrResult Swapchain::acquire(std::uint32_t* texture)
{
    uint32_t index = 0;
    XrSwapchainImageAcquireInfo acquireInfo {XR_TYPE_SWAPCHAIN_IMAGE_ACQUIRE_INFO};
    XrResult r = xrAcquireSwapchainImage(m_handle, &acquireInfo, &index);
    if (XR_FAILED(r))
        return r;
    XrSwapchainImageWaitInfo waitInfo {XR_TYPE_SWAPCHAIN_IMAGE_WAIT_INFO};
    waitInfo.timeout = XR_INFINITE_DURATION;
    r = xrWaitSwapchainImage(m_handle, &waitInfo);
    if (r != XR_SUCCESS) // a timeout is a success code, but there is no image to draw
        return XR_FAILED(r) ? r : XR_ERROR_RUNTIME_FAILURE;
    if (index >= m_textures.size())
        return XR_ERROR_RUNTIME_FAILURE;
    m_held = true;
    *texture = m_textures[index];
    return XR_SUCCESS;
}

XrResult Swapchain::release()
{
    if (!m_held)
        return XR_SUCCESS;
    m_held = false;
    XrSwapchainImageReleaseInfo info {XR_TYPE_SWAPCHAIN_IMAGE_RELEASE_INFO};
    return xrReleaseSwapchainImage(m_handle, &info);
}

} // namespace constellate::xr
