#pragma once

#include "scenerenderer.h"

#include <QImage>
#include <QSize>
#include <QSurfaceFormat>

#include <memory>
#include <string>

class QOffscreenSurface;
class QOpenGLContext;
class QOpenGLFramebufferObject;

namespace constellate::render {

/// A window-less place to draw: an OpenGL 3.3 core context on an offscreen surface and
/// a framebuffer object with a depth buffer. For pixel tests, benchmarks and
/// screenshots. Needs a QGuiApplication; lives on the thread that created it.
class OffscreenTarget {
public:
    OffscreenTarget();
    ~OffscreenTarget();
    OffscreenTarget(const OffscreenTarget&) = delete;
    OffscreenTarget& operator=(const OffscreenTarget&) = delete;

    /// Creates the context and the framebuffer and makes the context current. On
    /// failure returns false and error() says why (no display, no 3.3 core, ...).
    bool create(QSize size, int samples = 0);
    const std::string& error() const { return m_error; }
    bool makeCurrent();

    QSize size() const { return m_size; }
    /// The framebuffer as SceneRenderer::render() takes it.
    RenderTarget target() const;
    /// What was drawn, top row first (waits for the GPU).
    QImage image() const;

private:
    std::unique_ptr<QOffscreenSurface> m_surface;
    std::unique_ptr<QOpenGLContext> m_context;
    std::unique_ptr<QOpenGLFramebufferObject> m_framebuffer;
    QSize m_size;
    std::string m_error;
};

/// GL_RENDERER of a 3.3 core context made for the asking ("llvmpipe (LLVM 15.0.6, 256
/// bits)", "AMD Radeon ..."), or empty when there is none. Needs a QGuiApplication; call on
/// its thread. Costs a context's creation: ask once.
std::string openGlRendererName();
/// The surface format of every context the renderer draws with: OpenGL 3.3, core profile.
QSurfaceFormat coreProfileFormat();
/// True for a renderer that runs on the CPU (Mesa's llvmpipe, softpipe, swrast; Microsoft's
/// GDI Generic; SwiftShader): multisampling costs it about as much as the frame itself.
bool isSoftwareRenderer(const std::string& rendererName);

} // namespace constellate::render
