#pragma once

#include <openxr/openxr.h>

#include <cstdint>
#include <vector>

namespace constellate::xr {

/// One OpenXR swapchain of OpenGL textures: an eye's colour images, or its depth images.
/// Use on the XR thread with its GL context current (the runtime makes the textures in it).
class Swapchain {
public:
    Swapchain() = default;
    ~Swapchain();
    Swapchain(const Swapchain&) = delete;
    Swapchain& operator=(const Swapchain&) = delete;

    /// A single-sampled 2D swapchain; `depth` asks for depth-attachment use.
    XrResult create(XrSession session, std::int64_t format, std::uint32_t width, std::uint32_t height, bool depth);
    void destroy();

    /// Acquires the next image and waits until it may be drawn; `texture` is its GL name.
    XrResult acquire(std::uint32_t* texture);
    /// Hands the acquired image back to the runtime (nothing when none is held).
    XrResult release();

    XrSwapchain handle() const { return m_handle; }
    std::int64_t format() const { return m_format; }
    std::uint32_t width() const { return m_width; }
    std::uint32_t height() const { return m_height; }

private:
    XrSwapchain m_handle = XR_NULL_HANDLE;
    std::int64_t m_format = 0;
    std::uint32_t m_width = 0;
    std::uint32_t m_height = 0;
    std::vector<std::uint32_t> m_textures;
    bool m_held = false;
};

} // namespace constellate::xr
