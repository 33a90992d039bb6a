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
#include <dlfcn.h>
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

namespace {

/// The GLX and Xlib functions, from the libraries Qt's xcb_glx integration has loaded: the
/// editor does not link them itself, so the process keeps the one set of GL libraries Qt
/// chose, loaded and unloaded as Qt does it.
struct GlxFunctions {
    void* glx = nullptr;
    void* x11 = nullptr;
    decltype(&glXGetCurrentContext) getCurrentContext = nullptr;
    decltype(&glXGetCurrentDrawable) getCurrentDrawable = nullptr;
    decltype(&glXQueryContext) queryContext = nullptr;
    decltype(&glXChooseFBConfig) chooseFBConfig = nullptr;
    decltype(&glXGetVisualFromFBConfig) getVisualFromFBConfig = nullptr;
    decltype(&XFree) xFree = nullptr;

    bool load()
    {
        for (const char* name : {"libGLX.so.0", "libGL.so.1"})
            if (!glx)
                glx = dlopen(name, RTLD_NOW | RTLD_NOLOAD);
        x11 = dlopen("libX11.so.6", RTLD_NOW | RTLD_NOLOAD);
        if (!glx || !x11)
            return false;
        getCurrentContext = reinterpret_cast<decltype(getCurrentContext)>(dlsym(glx, "glXGetCurrentContext"));
        getCurrentDrawable = reinterpret_cast<decltype(getCurrentDrawable)>(dlsym(glx, "glXGetCurrentDrawable"));
        queryContext = reinterpret_cast<decltype(queryContext)>(dlsym(glx, "glXQueryContext"));
        chooseFBConfig = reinterpret_cast<decltype(chooseFBConfig)>(dlsym(glx, "glXChooseFBConfig"));
        getVisualFromFBConfig = reinterpret_cast<decltype(getVisualFromFBConfig)>(dlsym(glx, "glXGetVisualFromFBConfig"));
        xFree = reinterpret_cast<decltype(xFree)>(dlsym(x11, "XFree"));
        return getCurrentContext && getCurrentDrawable && queryContext && chooseFBConfig && getVisualFromFBConfig
            && xFree;
    }
    ~GlxFunctions()
    {
        if (glx)
            dlclose(glx);
        if (x11)
            dlclose(x11);
    }
};

} // namespace

struct GlBinding::Native {
    XrGraphicsBindingOpenGLXlibKHR binding {XR_TYPE_GRAPHICS_BINDING_OPENGL_XLIB_KHR};
    GlxFunctions glx;
};

bool GlBinding::init(QOpenGLContext& context, std::string* error)
{
    auto* glxContext = context.nativeInterface<QNativeInterface::QGLXContext>();
    auto* x11 = qGuiApp ? qGuiApp->nativeInterface<QNativeInterface::QX11Application>() : nullptr;
    auto native = std::make_unique<Native>();
    if (!glxContext || !x11 || !native->glx.load()) {
        *error = "Qt does not draw with GLX on X11 here (Wayland, or EGL on X11): OpenXR's OpenGL binding needs GLX; "
                 "run the editor on X11 (QT_QPA_PLATFORM=xcb, QT_XCB_GL_INTEGRATION=xcb_glx)";
        return false;
    }
    const GlxFunctions& f = native->glx;
    Display* display = x11->display();
    const GLXContext handle = glxContext->nativeContext();
    if (f.getCurrentContext() != handle) {
        *error = "the XR thread's OpenGL context is not current";
        return false;
    }
    // The context's frame buffer configuration, and its visual where it has one (a pbuffer's
    // configuration may have none).
    int configId = 0;
    int screen = 0;
    f.queryContext(display, handle, GLX_FBCONFIG_ID, &configId);
    f.queryContext(display, handle, GLX_SCREEN, &screen);
    const int attributes[] = {GLX_FBCONFIG_ID, configId, None};
    int count = 0;
    GLXFBConfig* configs = f.chooseFBConfig(display, screen, attributes, &count);
    if (!configs || count < 1) {
        if (configs)
            f.xFree(configs);
        *error = "cannot find the GLX frame buffer configuration of the XR thread's context";
        return false;
    }
    XrGraphicsBindingOpenGLXlibKHR& b = native->binding;
    b.xDisplay = display;
    b.glxFBConfig = configs[0];
    f.xFree(configs);
    if (XVisualInfo* visual = f.getVisualFromFBConfig(display, b.glxFBConfig)) {
        b.visualid = uint32_t(visual->visualid);
        f.xFree(visual);
    }
    b.glxDrawable = f.getCurrentDrawable();
    b.glxContext = handle;
    m_native = std::move(native);
    return true;
}

bool GlBinding::isCurrent() const
{
    return m_native && m_native->glx.getCurrentContext() == m_native->binding.glxContext
        && m_native->glx.getCurrentDrawable() == m_native->binding.glxDrawable;
}

#endif

GlBinding::GlBinding() = default;
GlBinding::~GlBinding() = default;

const void* GlBinding::sessionBinding() const
{
    return m_native ? &m_native->binding : nullptr;
}

} // namespace constellate::xr
