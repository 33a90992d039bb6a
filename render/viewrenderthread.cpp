#include "viewrenderthread.h"

#include "offscreentarget.h"
#include "renderscene.h"

#include <QOffscreenSurface>
#include <QOpenGLContext>
#include <QOpenGLExtraFunctions>
#include <QOpenGLFunctions_3_3_Core>
#include <QThread>

#include <chrono>
#include <future>

#ifdef Q_OS_LINUX
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

namespace constellate::render {

namespace {

constexpr int TextureCount = 3;
[[maybe_unused]] constexpr int ViewThreadNice = 5;

double msBetween(std::chrono::steady_clock::time_point a, std::chrono::steady_clock::time_point b)
{
    return std::chrono::duration<double, std::milli>(b - a).count();
}

} // namespace

/// The view thread's GL objects: its context, the renderer, and per texture a framebuffer.
struct ViewRenderThread::Gl {
    std::unique_ptr<QOpenGLContext> context;
    QOpenGLFunctions_3_3_Core f;
    std::unique_ptr<SceneRenderer> renderer = std::make_unique<SceneRenderer>();
    GLuint textures[TextureCount] = {};
    GLuint framebuffers[TextureCount] = {};
    QSize sizes[TextureCount];
    GLuint depth = 0; // shared by the single-sampled framebuffers
    QSize depthSize;
    // Multisampling: drawn here, then resolved into the texture.
    GLuint msFramebuffer = 0;
    GLuint msColor = 0;
    GLuint msDepth = 0;
    QSize msSize;
    int msSamples = 0;
};

ViewRenderThread::ViewRenderThread(RenderScene& scene, std::mutex& sceneMutex)
    : m_scene(scene), m_sceneMutex(sceneMutex)
{
}

namespace {

/// Puts back the context (and surface) that was current when it was made.
class KeepCurrentContext {
public:
    KeepCurrentContext() : m_context(QOpenGLContext::currentContext()), m_surface(m_context ? m_context->surface() : nullptr) {}
    ~KeepCurrentContext()
    {
        if (m_context && m_surface)
            m_context->makeCurrent(m_surface);
        else if (QOpenGLContext* now = QOpenGLContext::currentContext())
            now->doneCurrent();
    }
    KeepCurrentContext(const KeepCurrentContext&) = delete;
    KeepCurrentContext& operator=(const KeepCurrentContext&) = delete;

private:
    QOpenGLContext* m_context;
    QSurface* m_surface;
};

} // namespace

ViewRenderThread::~ViewRenderThread()
{
    if (!m_threaded) {
        if (m_gl && m_gl->context) {
            const KeepCurrentContext keep;
            m_gl->context->makeCurrent(m_surface.get());
            tearDown();
        }
        return;
    }
    {
        std::lock_guard lock(m_mutex);
        m_quit = true;
    }
    m_wake.notify_all();
    if (m_thread.joinable())
        m_thread.join();
}

bool ViewRenderThread::start(QOpenGLContext* share, std::function<void()> frameDone,
                             std::function<void()> labelsReady, QString* error, bool threaded)
{
    m_threaded = threaded;
    // Made here: an offscreen surface may be backed by a window, which only the UI thread
    // may create; the view thread makes its own context current on it.
    const QSurfaceFormat format = coreProfileFormat();
    m_surface = std::make_unique<QOffscreenSurface>();
    m_surface->setFormat(format);
    m_surface->create();
    if (!m_surface->isValid()) {
        *error = QStringLiteral("Cannot make an OpenGL surface to draw the graph on");
        return false;
    }
    m_frameDone = std::move(frameDone);
    m_labelsReady = std::move(labelsReady);
    if (!m_threaded) {
        const KeepCurrentContext keep;
        QString why;
        if (!setUp(share, &why)) {
            tearDown();
            *error = why;
            return false;
        }
        return true;
    }
    std::promise<QString> ready;
    std::future<QString> result = ready.get_future();
    m_thread = std::thread([this, share, &ready] {
#ifdef Q_OS_LINUX
        // Below the UI thread: a software renderer (llvmpipe) starts its rasterizer threads
        // from here, and they inherit this, so the window's own composition goes first
        // when both want the cores.
        setpriority(PRIO_PROCESS, pid_t(syscall(SYS_gettid)), ViewThreadNice);
#endif
        QString why;
        const bool ok = setUp(share, &why);
        ready.set_value(ok ? QString() : why);
        if (ok)
            run(share);
        tearDown();
    });
    const QString why = result.get();
    if (!why.isEmpty()) {
        m_thread.join();
        *error = why;
        return false;
    }
    return true;
}

bool ViewRenderThread::setUp(QOpenGLContext* share, QString* error)
{
    m_gl = std::make_unique<Gl>();
    const QSurfaceFormat format = coreProfileFormat();
    m_gl->context = std::make_unique<QOpenGLContext>();
    m_gl->context->setFormat(format);
    m_gl->context->setShareContext(share);
    if (!m_gl->context->create() || !m_gl->context->makeCurrent(m_surface.get())) {
        *error = QStringLiteral("Cannot make an OpenGL context to draw the graph");
        return false;
    }
    if (m_gl->context->shareContext() != share) {
        *error = QStringLiteral("The view's OpenGL context cannot share objects with a second context");
        return false;
    }
    if (m_gl->context->format().version() < qMakePair(3, 3) || !m_gl->f.initializeOpenGLFunctions()) {
        *error = QStringLiteral("OpenGL 3.3 core is needed to draw the graph; this context is %1.%2")
                     .arg(m_gl->context->format().majorVersion())
                     .arg(m_gl->context->format().minorVersion());
        return false;
    }
    m_gl->renderer->setLabelAtlasReadyCallback([this] {
        if (m_labelsReady)
            m_labelsReady();
    });
    if (!m_gl->renderer->initialize()) {
        *error = QStringLiteral("OpenGL 3.3 is needed to draw the graph: %1")
                     .arg(QString::fromStdString(m_gl->renderer->error()));
        return false;
    }
    QOpenGLFunctions_3_3_Core& f = m_gl->f;
    f.glGenTextures(TextureCount, m_gl->textures);
    f.glGenFramebuffers(TextureCount, m_gl->framebuffers);
    f.glGenRenderbuffers(1, &m_gl->depth);
    return true;
}

void ViewRenderThread::tearDown()
{
    if (!m_gl)
        return;
    if (m_gl->context && QOpenGLContext::currentContext() == m_gl->context.get()) {
        QOpenGLFunctions_3_3_Core& f = m_gl->f;
        {
            std::lock_guard lock(m_mutex);
            for (void*& fence : m_fences) {
                if (fence)
                    f.glDeleteSync(static_cast<GLsync>(fence));
                fence = nullptr;
            }
        }
        if (m_gl->textures[0]) {
            f.glDeleteFramebuffers(TextureCount, m_gl->framebuffers);
            f.glDeleteTextures(TextureCount, m_gl->textures);
            f.glDeleteRenderbuffers(1, &m_gl->depth);
        }
        if (m_gl->msFramebuffer) {
            f.glDeleteFramebuffers(1, &m_gl->msFramebuffer);
            f.glDeleteRenderbuffers(1, &m_gl->msColor);
            f.glDeleteRenderbuffers(1, &m_gl->msDepth);
        }
        // The renderer frees its objects while its context is current.
        m_gl->renderer.reset();
        m_gl->context->doneCurrent();
    }
    m_gl.reset();
}

void ViewRenderThread::run(QOpenGLContext*)
{
    for (;;) {
        ViewFrameInput input;
        std::function<void()> before;
        {
            std::unique_lock lock(m_mutex);
            m_wake.wait(lock, [this] { return m_quit || m_pending; });
            if (m_quit)
                return;
            input = std::move(*m_pending);
            m_pending.reset();
            m_drawing = true;
            before = m_beforeFrame;
        }
        if (before)
            before();
        draw(std::move(input));
        if (m_frameDone)
            m_frameDone();
    }
}

bool ViewRenderThread::busy() const
{
    std::lock_guard lock(m_mutex);
    return m_drawing || m_pending;
}

void ViewRenderThread::request(ViewFrameInput input)
{
    if (!m_threaded) {
        if (!m_gl || !m_gl->context)
            return;
        std::function<void()> before;
        {
            std::lock_guard lock(m_mutex);
            m_drawing = true;
            before = m_beforeFrame;
        }
        if (before)
            before();
        {
            const KeepCurrentContext keep;
            m_gl->context->makeCurrent(m_surface.get());
            draw(std::move(input));
        }
        if (m_frameDone)
            m_frameDone();
        return;
    }
    {
        std::lock_guard lock(m_mutex);
        if (m_pending && !input.highlights)
            input.highlights = std::move(m_pending->highlights);
        m_pending = std::move(input);
    }
    m_wake.notify_one();
}

std::optional<ViewFrame> ViewRenderThread::latest() const
{
    std::lock_guard lock(m_mutex);
    return m_latest;
}

std::optional<ViewFrame> ViewRenderThread::present(std::uint32_t framebuffer, QSize pixels)
{
    QOpenGLContext* const context = QOpenGLContext::currentContext();
    if (!context)
        return std::nullopt;
    QOpenGLExtraFunctions* f = context->extraFunctions();
    std::optional<ViewFrame> frame = latest();
    f->glBindFramebuffer(GL_FRAMEBUFFER, framebuffer);
    if (!frame) {
        const Rgba bg = SceneRenderer::DefaultBackground;
        f->glClearColor(float((bg >> 24) & 0xff) / 255.0f, float((bg >> 16) & 0xff) / 255.0f,
                        float((bg >> 8) & 0xff) / 255.0f, 1.0f);
        f->glClear(GL_COLOR_BUFFER_BIT);
        return frame;
    }
    if (!m_presentFramebuffer)
        f->glGenFramebuffers(1, &m_presentFramebuffer);
    f->glBindFramebuffer(GL_READ_FRAMEBUFFER, m_presentFramebuffer);
    f->glFramebufferTexture2D(GL_READ_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_TEXTURE_2D, frame->texture, 0);
    f->glBindFramebuffer(GL_DRAW_FRAMEBUFFER, framebuffer);
    f->glBlitFramebuffer(0, 0, frame->pixels.width(), frame->pixels.height(), 0, 0, pixels.width(), pixels.height(),
                         GL_COLOR_BUFFER_BIT, frame->pixels == pixels ? GL_NEAREST : GL_LINEAR);
    f->glBindFramebuffer(GL_READ_FRAMEBUFFER, 0);
    f->glBindFramebuffer(GL_FRAMEBUFFER, framebuffer);
    // The view thread may draw into this texture again once this copy is done. An older
    // fence on it is older than this one, which covers both; the view thread never takes
    // the fence of the texture on screen, so the old one is free to delete here.
    void* fence = f->glFenceSync(GL_SYNC_GPU_COMMANDS_COMPLETE, 0);
    f->glFlush();
    {
        std::lock_guard lock(m_mutex);
        m_shownIndex = frame->index;
        std::swap(m_fences[frame->index], fence);
    }
    if (fence)
        f->glDeleteSync(static_cast<GLsync>(fence));
    return frame;
}

void ViewRenderThread::releasePresenter()
{
    if (m_presentFramebuffer && QOpenGLContext::currentContext())
        QOpenGLContext::currentContext()->extraFunctions()->glDeleteFramebuffers(1, &m_presentFramebuffer);
    m_presentFramebuffer = 0;
}

void ViewRenderThread::setBeforeFrame(std::function<void()> hook)
{
    std::lock_guard lock(m_mutex);
    m_beforeFrame = std::move(hook);
}

void ViewRenderThread::draw(ViewFrameInput input)
{
    using Clock = std::chrono::steady_clock;
    const auto started = Clock::now();
    Gl& gl = *m_gl;
    QOpenGLFunctions_3_3_Core& f = gl.f;
    SceneRenderer& renderer = *gl.renderer;

    // The texture to draw into: neither the newest frame's nor the one on screen.
    int index = 0;
    void* fence = nullptr;
    {
        std::lock_guard lock(m_mutex);
        const int newest = m_latest ? m_latest->index : -1;
        while (index == newest || index == m_shownIndex)
            ++index;
        std::swap(fence, m_fences[index]);
    }
    if (fence) {
        // The view's draw of this texture must be over before it changes. Bounded: a view
        // that never flushed its fence does not hang the thread.
        f.glClientWaitSync(static_cast<GLsync>(fence), 0, 200'000'000);
        f.glDeleteSync(static_cast<GLsync>(fence));
    }

    double lockedMs = 0.0;
    {
        const auto before = Clock::now();
        std::lock_guard lock(m_sceneMutex);
        renderer.setLabelOptions(input.labels);
        if (input.highlights)
            renderer.setHighlights(std::move(*input.highlights));
        renderer.setLabelHighlights(std::move(input.labelHighlights));
        renderer.setAvatars(std::move(input.avatars));
        renderer.setTextItems(std::move(input.textItems));
        renderer.upload(m_scene);
        lockedMs = msBetween(before, Clock::now());
    }

    const QSize size = input.pixels.expandedTo(QSize(1, 1));
    if (gl.sizes[index] != size) {
        f.glBindTexture(GL_TEXTURE_2D, gl.textures[index]);
        f.glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA8, size.width(), size.height(), 0, GL_RGBA, GL_UNSIGNED_BYTE, nullptr);
        f.glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_LINEAR);
        f.glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_LINEAR);
        f.glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
        f.glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
        f.glBindTexture(GL_TEXTURE_2D, 0);
        gl.sizes[index] = size;
    }
    const bool multisampled = input.samples > 0;
    if (!multisampled && gl.depthSize != size) {
        f.glBindRenderbuffer(GL_RENDERBUFFER, gl.depth);
        f.glRenderbufferStorage(GL_RENDERBUFFER, GL_DEPTH_COMPONENT24, size.width(), size.height());
        f.glBindRenderbuffer(GL_RENDERBUFFER, 0);
        gl.depthSize = size;
    }
    f.glBindFramebuffer(GL_FRAMEBUFFER, gl.framebuffers[index]);
    f.glFramebufferTexture2D(GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_TEXTURE_2D, gl.textures[index], 0);
    f.glFramebufferRenderbuffer(GL_FRAMEBUFFER, GL_DEPTH_ATTACHMENT, GL_RENDERBUFFER, multisampled ? 0 : gl.depth);
    if (multisampled && (gl.msSize != size || gl.msSamples != input.samples)) {
        if (!gl.msFramebuffer) {
            f.glGenFramebuffers(1, &gl.msFramebuffer);
            f.glGenRenderbuffers(1, &gl.msColor);
            f.glGenRenderbuffers(1, &gl.msDepth);
        }
        f.glBindRenderbuffer(GL_RENDERBUFFER, gl.msColor);
        f.glRenderbufferStorageMultisample(GL_RENDERBUFFER, input.samples, GL_RGBA8, size.width(), size.height());
        f.glBindRenderbuffer(GL_RENDERBUFFER, gl.msDepth);
        f.glRenderbufferStorageMultisample(GL_RENDERBUFFER, input.samples, GL_DEPTH_COMPONENT24, size.width(),
                                           size.height());
        f.glBindRenderbuffer(GL_RENDERBUFFER, 0);
        f.glBindFramebuffer(GL_FRAMEBUFFER, gl.msFramebuffer);
        f.glFramebufferRenderbuffer(GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_RENDERBUFFER, gl.msColor);
        f.glFramebufferRenderbuffer(GL_FRAMEBUFFER, GL_DEPTH_ATTACHMENT, GL_RENDERBUFFER, gl.msDepth);
        gl.msSize = size;
        gl.msSamples = input.samples;
    }

    RenderTarget target;
    target.framebuffer = multisampled ? gl.msFramebuffer : gl.framebuffers[index];
    target.width = size.width();
    target.height = size.height();
    renderer.render(input.view, target);
    if (multisampled) {
        f.glBindFramebuffer(GL_READ_FRAMEBUFFER, gl.msFramebuffer);
        f.glBindFramebuffer(GL_DRAW_FRAMEBUFFER, gl.framebuffers[index]);
        f.glBlitFramebuffer(0, 0, size.width(), size.height(), 0, 0, size.width(), size.height(),
                            GL_COLOR_BUFFER_BIT, GL_NEAREST);
    }
    QImage image;
    if (input.toImage) {
        // Opaque, as Format_RGB32 requires (blending left the alpha of labels below 1).
        f.glBindFramebuffer(GL_FRAMEBUFFER, gl.framebuffers[index]);
        f.glDisable(GL_SCISSOR_TEST);
        f.glColorMask(GL_FALSE, GL_FALSE, GL_FALSE, GL_TRUE);
        f.glClearColor(0.0f, 0.0f, 0.0f, 1.0f);
        f.glClear(GL_COLOR_BUFFER_BIT);
        f.glColorMask(GL_TRUE, GL_TRUE, GL_TRUE, GL_TRUE);
        image = QImage(size, QImage::Format_RGB32);
        if (!image.isNull()) {
            // BGRA bytes in memory are Format_RGB32's 0xAARRGGBB words on a little-endian
            // machine; GL_UNSIGNED_INT_8_8_8_8_REV makes that so on any.
            f.glPixelStorei(GL_PACK_ALIGNMENT, 4);
            f.glPixelStorei(GL_PACK_ROW_LENGTH, int(image.bytesPerLine() / 4));
            f.glReadPixels(0, 0, size.width(), size.height(), GL_BGRA, GL_UNSIGNED_INT_8_8_8_8_REV, image.bits());
            f.glPixelStorei(GL_PACK_ROW_LENGTH, 0);
            image.mirror(false, true); // OpenGL's first row is the bottom one
        }
    }
    f.glBindFramebuffer(GL_FRAMEBUFFER, 0);
    // The picture must be complete before the view's context reads it.
    f.glFinish();

    ViewFrame frame;
    frame.pixels = size;
    frame.texture = gl.textures[index];
    frame.image = std::move(image);
    frame.index = index;
    frame.renderMs = msBetween(started, Clock::now());
    frame.sceneLockMs = lockedMs;
    frame.stats = renderer.stats();
    frame.textItemBoxes = renderer.lastLabelLayout().textItemBoxes;
    std::lock_guard lock(m_mutex);
    frame.serial = m_latest ? m_latest->serial + 1 : 1;
    m_latest = std::move(frame);
    m_drawing = false;
}

} // namespace constellate::render
