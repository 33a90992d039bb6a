#include "offscreentarget.h"

#include <QOffscreenSurface>
#include <QOpenGLContext>
#include <QOpenGLFramebufferObject>
#include <QOpenGLFunctions>
#include <QSurfaceFormat>

#include <cctype>

namespace constellate::render {

QSurfaceFormat coreProfileFormat()
{
    QSurfaceFormat format;
    format.setRenderableType(QSurfaceFormat::OpenGL);
    format.setVersion(3, 3);
    format.setProfile(QSurfaceFormat::CoreProfile);
    return format;
}

std::string openGlRendererName()
{
    // Whatever context the caller had current is current again on return.
    QOpenGLContext* const previous = QOpenGLContext::currentContext();
    QSurface* const previousSurface = previous ? previous->surface() : nullptr;
    struct Restore {
        QOpenGLContext* context;
        QSurface* surface;
        ~Restore()
        {
            if (context && surface)
                context->makeCurrent(surface);
        }
    } restore {previous, previousSurface};
    QSurfaceFormat format = coreProfileFormat();
    QOpenGLContext context;
    context.setFormat(format);
    if (!context.create())
        return {};
    QOffscreenSurface surface;
    surface.setFormat(context.format());
    surface.create();
    if (!surface.isValid() || !context.makeCurrent(&surface))
        return {};
    const auto* name = reinterpret_cast<const char*>(context.functions()->glGetString(GL_RENDERER));
    std::string result = name ? name : "";
    context.doneCurrent();
    return result;
}

bool isSoftwareRenderer(const std::string& rendererName)
{
    std::string lower = rendererName;
    for (char& c : lower)
        c = char(std::tolower(static_cast<unsigned char>(c)));
    for (const char* soft : {"llvmpipe", "softpipe", "swrast", "software", "gdi generic", "swiftshader"})
        if (lower.find(soft) != std::string::npos)
            return true;
    return false;
}

OffscreenTarget::OffscreenTarget() = default;

OffscreenTarget::~OffscreenTarget()
{
    // The framebuffer must go while its context is current.
    if (m_context && m_surface && m_framebuffer)
        m_context->makeCurrent(m_surface.get());
    m_framebuffer.reset();
    if (m_context)
        m_context->doneCurrent();
}

bool OffscreenTarget::create(QSize size, int samples)
{
    QSurfaceFormat format = coreProfileFormat();
    format.setDepthBufferSize(24);

    m_context = std::make_unique<QOpenGLContext>();
    m_context->setFormat(format);
    if (!m_context->create()) {
        m_error = "cannot create an OpenGL context (is there a display, or QT_QPA_PLATFORM=offscreen with GLX?)";
        return false;
    }
    const QSurfaceFormat got = m_context->format();
    if (got.version() < qMakePair(3, 3) || got.renderableType() != QSurfaceFormat::OpenGL) {
        m_error = "the OpenGL context is " + std::to_string(got.majorVersion()) + "." +
                  std::to_string(got.minorVersion()) + ", not 3.3 or later";
        return false;
    }
    m_surface = std::make_unique<QOffscreenSurface>();
    m_surface->setFormat(got);
    m_surface->create();
    if (!m_surface->isValid() || !m_context->makeCurrent(m_surface.get())) {
        m_error = "cannot make the OpenGL context current on an offscreen surface";
        return false;
    }
    QOpenGLFramebufferObjectFormat fboFormat;
    fboFormat.setAttachment(QOpenGLFramebufferObject::Depth);
    fboFormat.setSamples(samples);
    m_framebuffer = std::make_unique<QOpenGLFramebufferObject>(size, fboFormat);
    if (!m_framebuffer->isValid()) {
        m_error = "cannot create a framebuffer object";
        return false;
    }
    m_size = size;
    return true;
}

bool OffscreenTarget::makeCurrent()
{
    return m_context && m_surface && m_context->makeCurrent(m_surface.get());
}

RenderTarget OffscreenTarget::target() const
{
    if (!m_framebuffer)
        return {};
    return {m_framebuffer->handle(), 0, 0, m_size.width(), m_size.height()};
}

QImage OffscreenTarget::image() const
{
    return m_framebuffer ? m_framebuffer->toImage() : QImage();
}

} // namespace constellate::render
