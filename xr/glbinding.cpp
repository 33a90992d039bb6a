#include "glbinding.h"

#include <QGuiApplication>
#include <QOpenGLContext>
#include <QtGui/qguiapplication_platform.h>
#include <QtGui/qopenglcontext_platform.h>

// Platform headers last: Xlib's macros (None, Bool, Status...) must not meet Qt's headers.
#if defined(_WIN32)
#define XR_USE_PLATFORM_WIN32
#define XR_USE_GRAPHICS_API_OPENGL
#include <windows.h>
#include <openxr/openxr.h>
#include <openxr/openxr_platform.h>
#else
#define XR_USE_PLATFORM_XLIB
#define XR_USE_GRAPHICS_API_OPENGL
#include <GL/glx.h>
#include <openxr/openxr.h>
#include <openxr/openxr_platform.h>
#endif

namespace constellate::xr {

#if defined(_WIN32)

struct GlBinding::Native {
    XrGraphicsBindingOpenGLWin32KHR binding {XR_TYPE_GRAPHICS_BINDING_OPENGL_WIN32_KHR};
};

bool GlBinding::init(QOpenGLContext& context, std::string* error)
{
    auto* wgl = context.nativeInterface<QNativeInterface::QWGLContext>();
    if (!wgl) {
        *error = "Qt does not draw with WGL here: OpenXR's OpenGL binding on Windows needs a WGL context";
        return false;
    }
    m_native = std::make_unique<Native>();
    m_native->binding.hGLRC = wgl->nativeContext();
    m_native->binding.hDC = wglGetCurrentDC();
    if (wglGetCurrentContext() != m_native->binding.hGLRC || !m_native->binding.hDC) {
        *error = "the XR thread's OpenGL context is not current";
        return false;
    }
    return true;
}

bool GlBinding::isCurrent() const
{
    return m_native && wglGetCurrentContext() == m_native->binding.hGLRC && wglGetCurrentDC() == m_native->binding.hDC;
}

#else

struct GlBinding::Native {
    XrGraphicsBindingOpenGLXlibKHR binding {XR_TYPE_GRAPHICS_BINDING_OPENGL_XLIB_KHR};
};

bool GlBinding::init(QOpenGLContext& context, std::string* error)
{
    auto* glx = context.nativeInterface<QNativeInterface::QGLXContext>();
    auto* x11 = qGuiApp ? qGuiApp->nativeInterface<QNativeInterface::QX11Application>() : nullptr;
    if (!glx || !x11) {
        *error = "Qt does not draw with GLX on X11 here (Wayland, or EGL on X11): OpenXR's OpenGL binding needs GLX; "
                 "run the editor on X11 (QT_QPA_PLATFORM=xcb, QT_XCB_GL_INTEGRATION=xcb_glx)";
        return false;
    }
    Display* display = x11->display();
    const GLXContext native = glx->nativeContext();
    if (glXGetCurrentContext() != native) {
        *error = "the XR thread's OpenGL context is not current";
        return false;
    }
    // The context's frame buffer configuration, and its visual where it has one (a pbuffer's
    // configuration may have none).
    int configId = 0;
    int screen = 0;
    glXQueryContext(display, native, GLX_FBCONFIG_ID, &configId);
    glXQueryContext(display, native, GLX_SCREEN, &screen);
    const int attributes[] = {GLX_FBCONFIG_ID, configId, None};
    int count = 0;
    GLXFBConfig* configs = glXChooseFBConfig(display, screen, attributes, &count);
    if (!configs || count < 1) {
        if (configs)
            XFree(configs);
        *error = "cannot find the GLX frame buffer configuration of the XR thread's context";
        return false;
    }
    m_native = std::make_unique<Native>();
    XrGraphicsBindingOpenGLXlibKHR& b = m_native->binding;
    b.xDisplay = display;
    b.glxFBConfig = configs[0];
    XFree(configs);
    if (XVisualInfo* visual = glXGetVisualFromFBConfig(display, b.glxFBConfig)) {
        b.visualid = uint32_t(visual->visualid);
        XFree(visual);
    }
    b.glxDrawable = glXGetCurrentDrawable();
    b.glxContext = native;
    return true;
}

bool GlBinding::isCurrent() const
{
    return m_native && glXGetCurrentContext() == m_native->binding.glxContext
        && glXGetCurrentDrawable() == m_native->binding.glxDrawable;
}

#endif

GlBinding::GlBinding() = default;
GlBinding::~GlBinding() = default;

const void* GlBinding::sessionBinding() const
{
    return m_native ? &m_native->binding : nullptr;
}

} // namespace constellate::xr
