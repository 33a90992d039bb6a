#pragma once

#include <memory>
#include <string>

class QOpenGLContext;

namespace constellate::xr {

/// The XR thread's OpenGL context as XR_KHR_opengl_enable takes it: the native handles of
/// a QOpenGLContext through Qt's native interfaces (GLX and Xlib on Linux, WGL on Windows,
/// each compiled only where it exists). The platform headers stay inside glbinding.cpp.
class GlBinding {
public:
    GlBinding();
    ~GlBinding();
    GlBinding(const GlBinding&) = delete;
    GlBinding& operator=(const GlBinding&) = delete;

    /// Reads the handles of `context`, which must be current on this thread. False with
    /// `error` when Qt does not draw through a binding OpenXR has (Wayland's EGL, say).
    bool init(QOpenGLContext& context, std::string* error);
    /// The XrGraphicsBindingOpenGL*KHR to chain into XrSessionCreateInfo::next.
    const void* sessionBinding() const;
    /// The context (and its drawable) is current on this thread: runtimes may change the
    /// current context inside XR calls, and then it must be made current again.
    bool isCurrent() const;

private:
    struct Native;
    std::unique_ptr<Native> m_native;
};

} // namespace constellate::xr
