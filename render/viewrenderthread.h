#pragma once

#include "avatar.h"
#include "highlights.h"
#include "labellayout.h"
#include "scenerenderer.h"
#include "view.h"

#include <QImage>
#include <QSize>
#include <QString>

#include <glm/vec4.hpp>

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

class QOffscreenSurface;
class QOpenGLContext;

namespace constellate::render {

class RenderScene;

/// What one frame of the desktop view draws besides the scene, gathered on the UI thread.
struct ViewFrameInput {
    View view;
    QSize pixels;  ///< the frame's size in device pixels
    int samples = 0; ///< multisampling (0: none)
    /// The frame is also read back into ViewFrame::image (a view that shows pictures
    /// through QPainter rather than GL; see GraphView::Presentation).
    bool toImage = false;
    LabelOptions labels;
    std::optional<Highlights> highlights; ///< set: replaces the renderer's (it changed)
    LabelHighlights labelHighlights;
    std::vector<Avatar> avatars;
    std::vector<TextItem> textItems;
};

/// A finished frame of the view thread.
struct ViewFrame {
    std::uint64_t serial = 0;   ///< 1 for the first frame, then one more per frame
    QSize pixels;
    unsigned texture = 0;       ///< a GL texture of the shared contexts (GL_RGBA8), the picture
    QImage image;               ///< the picture, top row first (Format_RGB32), if asked for (toImage)
    int index = -1;             ///< which of the thread's textures (for displayed())
    double renderMs = 0.0;      ///< upload, draw and the wait for the GPU, on the view thread
    double sceneLockMs = 0.0;   ///< of which the scene was locked (settings and upload)
    RenderStats stats;
    std::vector<glm::vec4> textItemBoxes; ///< the label layout's text items (picking annotations)
};

/// Draws the desktop view's frames on a thread of its own, with its own OpenGL context
/// sharing objects with the view's, into textures that the view then shows (present()),
/// or reads them back into images that the view paints (ViewFrameInput::toImage).
/// So the UI thread never waits for a frame: with a software renderer (Mesa's llvmpipe) a
/// large graph's frame takes hundreds of milliseconds of CPU, which used to stall the
/// window; with a GPU the UI thread is spared the draw calls' submission.
///
/// The scene is the view's: the UI thread writes it (holding `sceneMutex`), this thread
/// reads it only while holding `sceneMutex` (the renderer's upload of the changed ranges,
/// a short copy). One frame is drawn at a time; a request made while one is drawn waits
/// and a newer one replaces it. Three textures rotate: the newest frame, the one the view
/// shows (fenced until the view's draw of it is done), and the one being drawn.
class ViewRenderThread {
public:
    ViewRenderThread(RenderScene& scene, std::mutex& sceneMutex);
    /// Stops the thread; its GL objects go with its context.
    ~ViewRenderThread();
    ViewRenderThread(const ViewRenderThread&) = delete;
    ViewRenderThread& operator=(const ViewRenderThread&) = delete;

    /// UI thread, with `share` (the view's context) alive: starts the thread and waits
    /// until its renderer is set up. `share` may be null: then frames are only useful as
    /// images (ViewFrameInput::toImage). `frameDone` and `labelsReady` are called on other
    /// threads (post to the UI thread). False and `error` says why (no OpenGL 3.3, no
    /// sharing).
    /// `threaded` false (a platform without threaded OpenGL, see
    /// QOpenGLContext::supportsThreadedOpenGL): no thread; each request is drawn at once
    /// on the caller's thread, in the same context of our own, and the caller's context is
    /// current again afterwards.
    bool start(QOpenGLContext* share, std::function<void()> frameDone, std::function<void()> labelsReady,
               QString* error, bool threaded = true);
    bool threaded() const { return m_threaded; }

    /// A frame is being drawn or waits to be.
    bool busy() const;
    /// Draws a frame with `input` as soon as the thread is free; a request still waiting is
    /// replaced (its highlights kept if this one has none).
    void request(ViewFrameInput input);

    /// The newest finished frame (nullopt before the first).
    std::optional<ViewFrame> latest() const;
    /// The view's side, on its thread with its context current: copies the newest frame
    /// into `framebuffer` (of `pixels`, scaled if the frame was drawn at another size), or
    /// clears it to the background before the first frame, and fences that copy so the
    /// view thread does not draw into the texture until it is done. Returns the frame shown.
    std::optional<ViewFrame> present(std::uint32_t framebuffer, QSize pixels);
    /// With the view's context current, before it goes: frees what present() made in it.
    void releasePresenter();

    /// Tests: called on the view thread before each frame is drawn (may block, to hold a
    /// frame in flight while the UI thread carries on).
    void setBeforeFrame(std::function<void()> hook);

private:
    struct Gl;
    void run(QOpenGLContext* share);
    bool setUp(QOpenGLContext* share, QString* error);
    void draw(ViewFrameInput input);
    void tearDown();

    RenderScene& m_scene;
    std::mutex& m_sceneMutex;
    std::unique_ptr<QOffscreenSurface> m_surface;
    std::unique_ptr<Gl> m_gl; // this thread's only
    std::thread m_thread;
    bool m_threaded = true;
    std::function<void()> m_frameDone;
    std::function<void()> m_labelsReady;

    mutable std::mutex m_mutex; // guards what follows
    std::condition_variable m_wake;
    std::optional<ViewFrameInput> m_pending;
    bool m_drawing = false;
    bool m_quit = false;
    std::optional<ViewFrame> m_latest;
    int m_shownIndex = -1;
    void* m_fences[3] = {nullptr, nullptr, nullptr};
    unsigned m_presentFramebuffer = 0; // the view's context's, over the frame's texture
    std::function<void()> m_beforeFrame;
};

} // namespace constellate::render
