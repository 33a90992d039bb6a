#include "graphview.h"

#include "editorsession.h"
#include "geometry.h"
#include "remotepresence.h"
#include "offscreentarget.h"
#include "peopleoverlay.h"
#include "scenerenderer.h"
#include "viewrenderthread.h"

#include <QKeyEvent>
#include <QMouseEvent>
#include <QCoreApplication>
#include <QElapsedTimer>
#include <QOpenGLContext>
#include <QOpenGLWidget>
#include <QPainter>
#include <QResizeEvent>
#include <QVBoxLayout>
#include <QPolygon>
#include <QPointer>
#include <QSettings>
#include <QThread>
#include <QTimer>
#include <QWheelEvent>

#include <glm/gtc/quaternion.hpp>

#include <algorithm>
#include <cmath>
#include <map>
#include <unordered_map>

namespace constellate::ui {

namespace {

constexpr float RadiansPerPixel = 0.008f;
constexpr float KeyOrbitRadians = 0.05f;
constexpr int DragThresholdPixels = 4;
constexpr float EdgePickPixels = 4.0f;
/// How long after the last presence news the view keeps redrawing: the smoothing shows
/// samples RemotePresence::delayMs() late, so the motion goes on that long after them.
constexpr int PresenceTailMs = 400;
/// The outline of a search's matches: a bright cyan, apart from selection and hover.
constexpr Rgba SearchMatchColor = 0x00e5ffff;

using render::toGlm;
using render::toVec3;

/// Where a ray meets a plane (nullopt: parallel, or behind the ray's origin).
std::optional<glm::vec3> intersectPlane(const render::Ray& ray, glm::vec3 point, glm::vec3 normal)
{
    const float d = glm::dot(ray.direction, normal);
    if (std::abs(d) < 1e-6f)
        return std::nullopt;
    const float t = glm::dot(point - ray.origin, normal) / d;
    if (t < 0.0f)
        return std::nullopt;
    return ray.at(t);
}

} // namespace

int GraphView::multisampleSamples()
{
    // Smooth edges cost a CPU renderer (Mesa's llvmpipe) about as much as the frame itself:
    // off there unless asked for (View > Smooth Edges, remembered); on with a GPU.
    const QVariant chosen = QSettings().value(QStringLiteral("view/antialiasing"));
    if (chosen.isValid())
        return chosen.toBool() ? 4 : 0;
    static const bool software = render::isSoftwareRenderer(render::openGlRendererName());
    return software ? 0 : 4;
}

void GraphView::setSmoothEdges(bool on)
{
    m_samples = on ? 4 : 0;
    requestFrame();
}

/// Presentation::Gl: shows the view thread's frames with OpenGL, filling the view. Mouse
/// and keys go to the GraphView under it.
class GraphView::GlSurface : public QOpenGLWidget {
public:
    explicit GlSurface(GraphView& view) : QOpenGLWidget(&view), m_view(view)
    {
        // It only shows the view thread's pictures (which are multisampled there).
        setFormat(render::coreProfileFormat());
        setAttribute(Qt::WA_TransparentForMouseEvents);
        setFocusPolicy(Qt::NoFocus);
    }

protected:
    // Called again if the context is made anew (moved to another window): the view
    // thread's context must share with the new one.
    void initializeGL() override { m_view.startRenderer(context()); }
    void paintGL() override
    {
        QPainter overlays; // begun only if there is something to draw
        m_view.presentGl(defaultFramebufferObject(), overlays);
    }

private:
    GraphView& m_view;
};

GraphView::Presentation GraphView::defaultPresentation()
{
    const QString chosen = qEnvironmentVariable("CONSTELLATE_VIEW_PRESENT").toLower();
    if (chosen == QLatin1String("gl"))
        return Presentation::Gl;
    if (chosen == QLatin1String("image"))
        return Presentation::Image;
    static const bool software = render::isSoftwareRenderer(render::openGlRendererName());
    return software ? Presentation::Image : Presentation::Gl;
}

GraphView::GraphView(EditorSession& session, QWidget* parent) : QWidget(parent), m_session(session)
{
    if (defaultPresentation() == Presentation::Gl) {
        m_glSurface = new GlSurface(*this);
        auto* layout = new QVBoxLayout(this);
        layout->setContentsMargins(0, 0, 0, 0);
        layout->addWidget(m_glSurface);
    } else {
        setAttribute(Qt::WA_OpaquePaintEvent); // every pixel is the frame's
    }
    m_samples = multisampleSamples();
    setFocusPolicy(Qt::StrongFocus);
    setMouseTracking(true); // hover and the cursor others see
    setMinimumSize(320, 240);

    m_flyTimer = new QTimer(this);
    m_flyTimer->setInterval(16);
    connect(m_flyTimer, &QTimer::timeout, this, &GraphView::flyStep);

    m_presenceTimer = new QTimer(this);
    m_presenceTimer->setInterval(16);
    connect(m_presenceTimer, &QTimer::timeout, this, [this] {
        if (net::RemotePresence::nowMs() > m_presenceUntilMs)
            m_presenceTimer->stop();
        requestFrame();
    });

    connect(&m_session, &EditorSession::documentReset, this, [this] {
        m_document = &m_session.document();
        m_remotelyDragged.clear();
        documentReset();
        frameAll();
    });
    connect(&m_session, &EditorSession::nodesChanged, this, &GraphView::nodesChanged);
    connect(&m_session, &EditorSession::annotationsChanged, this, [this] {
        m_annotationsStale = true;
        requestFrame();
    });
    connect(&m_session, &EditorSession::edgesChanged, this, &GraphView::edgesChanged);
    connect(&m_session, &EditorSession::selectionChanged, this, &GraphView::selectionChanged);
    connect(&m_session, &EditorSession::presenceMoved, this, &GraphView::presenceMoved);
    connect(&m_session, &EditorSession::peersChanged, this, [this] {
        if (m_following && (!m_session.client() || !m_session.client()->peers().count(*m_following)))
            follow(std::nullopt);
        requestFrame();
    });
    m_document = &m_session.document();
    documentReset();
}

GraphView::~GraphView()
{
    // GL objects go with the context that made them.
    if (m_renderThread && m_glSurface && m_glSurface->context()) {
        m_glSurface->makeCurrent();
        m_renderThread->releasePresenter();
        m_glSurface->doneCurrent();
    }
    m_renderThread.reset();
}

void GraphView::setTool(Tool tool)
{
    if (m_tool == tool)
        return;
    if (m_gesture == Gesture::MoveNodes)
        finishMove(false);
    m_gesture = Gesture::None;
    m_tool = tool;
    setCursor(tool == Tool::Select ? Qt::ArrowCursor : Qt::CrossCursor);
    Q_EMIT toolChanged(tool);
    requestFrame();
}

void GraphView::setLabelsShown(bool on)
{
    m_labelsShown = on;
    requestFrame();
}

void GraphView::setAnnotationsShown(bool on)
{
    m_annotationsShown = on;
    requestFrame();
}

void GraphView::setSearchMatches(std::optional<std::vector<EntityId>> matches)
{
    if (!matches && !m_searchMatches)
        return;
    m_searchMatches = std::move(matches);
    if (m_document) {
        std::optional<std::unordered_set<EntityId>> kept;
        if (m_searchMatches)
            kept.emplace(m_searchMatches->begin(), m_searchMatches->end());
        auto lock = lockScene();
        m_scene.setDimming(*m_document, std::move(kept), render::SceneRenderer::DefaultBackground);
        if (m_gesture == Gesture::MoveNodes)
            m_scene.overridePositions(m_moveNow);
        lock.unlock();
        m_remotelyDragged.clear();
        applyRemoteDrags();
    }
    requestFrame();
}

void GraphView::setFlyMode(bool on)
{
    if (m_flyMode == on)
        return;
    m_flyMode = on;
    m_flyKeys.clear();
    m_flyTimer->stop();
    Q_EMIT flyModeChanged(on);
}

bool GraphView::isFlyKey(int key)
{
    return key == Qt::Key_W || key == Qt::Key_A || key == Qt::Key_S || key == Qt::Key_D || key == Qt::Key_Q
        || key == Qt::Key_E;
}

void GraphView::flyStep()
{
    const qint64 now = net::RemotePresence::nowMs();
    const float seconds = std::min(0.1f, float(now - m_flyLastMs) / 1000.0f);
    m_flyLastMs = now;
    if (m_flyKeys.empty()) {
        m_flyTimer->stop();
        return;
    }
    // Half the scene's radius per second: the same feel in a small graph and a large one.
    const float speed = std::max(m_scene.bounds().radius, 1.0f) * 0.5f * seconds;
    glm::vec3 d(0.0f);
    d.z += float(m_flyKeys.count(Qt::Key_W)) - float(m_flyKeys.count(Qt::Key_S));
    d.x += float(m_flyKeys.count(Qt::Key_D)) - float(m_flyKeys.count(Qt::Key_A));
    d.y += float(m_flyKeys.count(Qt::Key_E)) - float(m_flyKeys.count(Qt::Key_Q));
    m_camera.fly(d * speed);
    follow(std::nullopt);
    cameraChanged();
}

// ---- the document ---------------------------------------------------------------------------

void GraphView::nodesChanged(const std::vector<EntityId>& ids)
{
    if (!m_document)
        return;
    {
        auto lock = lockScene();
        m_scene.updateNodes(*m_document, ids);
        if (m_gesture == Gesture::MoveNodes)
            m_scene.overridePositions(m_moveNow);
    }
    // A committed position ends someone's drag of that node; a node we are moving keeps
    // the position of our drag until we release it.
    for (const EntityId id : ids)
        m_remotelyDragged.erase(id);
    applyRemoteDrags();
    requestFrame();
}

void GraphView::edgesChanged(const std::vector<EntityId>& ids)
{
    if (!m_document)
        return;
    {
        auto lock = lockScene();
        m_scene.updateEdges(*m_document, ids);
    }
    requestFrame();
}

void GraphView::documentReset()
{
    if (m_gesture == Gesture::MoveNodes || m_gesture == Gesture::Connect)
        m_gesture = Gesture::None;
    {
        auto lock = lockScene();
        if (m_document)
            m_scene.rebuild(*m_document);
        else
            m_scene = render::RenderScene();
    }
    m_hovered.reset();
    m_hoveredEdge.reset();
    m_annotationsStale = true;
    // Remote cursors in proportion with the nodes they point at: half a typical node.
    std::vector<float> radii;
    for (const render::NodeInstance& n : m_scene.nodes())
        radii.push_back(n.radius);
    if (!radii.empty()) {
        std::nth_element(radii.begin(), radii.begin() + std::ptrdiff_t(radii.size() / 2), radii.end());
        m_cursorScale = std::max(radii[radii.size() / 2], 1e-3f) * 2.0f;
    }
    applyRemoteDrags();
    requestFrame();
}

void GraphView::frameAll()
{
    m_framePending = width() <= 0 || height() <= 0;
    if (!m_framePending) {
        m_camera.frame(m_scene.bounds(), aspect());
        cameraChanged();
    }
}

void GraphView::frameSelection()
{
    const render::Sphere bounds = m_scene.bounds(m_session.selection());
    if (bounds.radius <= 0.0f) {
        frameAll();
        return;
    }
    m_camera.frame(bounds, aspect());
    cameraChanged();
}

float GraphView::aspect() const
{
    return height() > 0 ? float(width()) / float(height()) : 1.0f;
}

void GraphView::cameraChanged()
{
    if (net::SyncClient* c = m_session.client()) {
        net::protocol::View v;
        v.eye = toVec3(m_camera.eyePosition());
        v.target = toVec3(m_camera.target());
        c->setView(v);
    }
    requestFrame();
}

// ---- picking --------------------------------------------------------------------------------

std::optional<EntityId> GraphView::nodeAt(QPoint pixel) const
{
    m_pick.update(m_scene);
    const render::Ray ray = currentView().rayThroughPixel(glm::vec2(float(pixel.x()), float(pixel.y())), viewport());
    if (const auto hit = m_pick.pick(ray))
        return m_scene.nodeIds()[hit->index];
    return std::nullopt;
}

std::optional<EntityId> GraphView::edgeAt(QPoint pixel) const
{
    m_edgePick.update(m_scene);
    const auto hit = m_edgePick.pick(currentView(), glm::vec2(float(pixel.x()), float(pixel.y())), viewport(),
                                     EdgePickPixels);
    if (!hit)
        return std::nullopt;
    // Nodes are drawn over edges: a node hit nearer along the ray wins.
    m_pick.update(m_scene);
    const render::Ray ray = currentView().rayThroughPixel(glm::vec2(float(pixel.x()), float(pixel.y())), viewport());
    if (const auto node = m_pick.pick(ray); node && node->distance < hit->distance)
        return std::nullopt;
    return m_scene.edgeIds()[hit->index];
}

std::optional<QPoint> GraphView::pixelOf(EntityId node) const
{
    const std::int64_t i = m_scene.nodeIndex(node);
    if (i < 0)
        return std::nullopt;
    const glm::vec3 p = currentView().project(m_scene.nodes()[std::size_t(i)].position, viewport());
    if (p.z < -1.0f || p.z > 1.0f)
        return std::nullopt;
    return QPoint(int(std::lround(p.x)), int(std::lround(p.y)));
}

Vec3 GraphView::pointAt(QPoint pixel) const
{
    const render::Ray ray = currentView().rayThroughPixel(glm::vec2(float(pixel.x()), float(pixel.y())), viewport());
    const glm::vec3 normal = glm::normalize(m_camera.eyePosition() - m_camera.target());
    if (const auto at = intersectPlane(ray, m_camera.target(), normal))
        return toVec3(*at);
    return toVec3(m_camera.target());
}

void GraphView::setHovered(std::optional<EntityId> node)
{
    if (node)
        m_hoveredEdge.reset();
    if (m_hovered == node)
        return;
    m_hovered = node;
    requestFrame();
}

void GraphView::sendCursor(QPoint pixel)
{
    net::SyncClient* c = m_session.client();
    if (!c)
        return;
    if (m_hovered) {
        const std::int64_t i = m_scene.nodeIndex(*m_hovered);
        if (i >= 0) {
            c->setCursor(toVec3(m_scene.nodes()[std::size_t(i)].position));
            return;
        }
    }
    c->setCursor(pointAt(pixel));
}

// ---- GL -------------------------------------------------------------------------------------

void GraphView::startRenderer(QOpenGLContext* share)
{
    m_renderThread.reset(); // its presenter's objects went with the old context
    m_highlightsSent = false;
    {
        auto lock = lockScene();
        m_scene.markAllChanged();
    }
    auto thread = std::make_unique<render::ViewRenderThread>(m_scene, m_sceneMutex);
    QPointer<GraphView> self(this);
    auto post = [self](void (GraphView::*slot)()) {
        QMetaObject::invokeMethod(qApp, [self, slot] {
            if (self)
                (self->*slot)();
        }, Qt::QueuedConnection);
    };
    QString error;
    // Where the platform cannot use OpenGL from a second thread (or CONSTELLATE_VIEW_THREAD=0
    // says not to), frames are drawn on the UI thread in the same way.
    const bool threaded = QOpenGLContext::supportsThreadedOpenGL() && qEnvironmentVariable("CONSTELLATE_VIEW_THREAD") != QLatin1String("0");
    m_rendererStarted = true;
    // The glyph atlas is built on a worker: draw again once it is there.
    if (!thread->start(share, [post] { post(&GraphView::frameDone); }, [post] { post(&GraphView::requestFrame); },
                       &error, threaded)) {
        m_glError = error;
        Q_EMIT glFailed(m_glError);
        return;
    }
    m_renderThread = std::move(thread);
    m_frameWanted = true;
    startFrame();
}

QOpenGLContext* GraphView::shareContext() const
{
    return m_glSurface ? m_glSurface->context() : nullptr;
}

void GraphView::showEvent(QShowEvent* event)
{
    QWidget::showEvent(event);
    if (!m_glSurface && !m_rendererStarted)
        startRenderer(nullptr);
}

void GraphView::resizeEvent(QResizeEvent* event)
{
    QWidget::resizeEvent(event);
    if (m_framePending)
        frameAll();
    requestFrame();
}

void GraphView::repaintView()
{
    if (m_glSurface)
        m_glSurface->update();
    else
        update();
}

void GraphView::requestFrame()
{
    m_frameWanted = true;
    startFrame();
}

void GraphView::startFrame()
{
    if (!m_renderThread || !m_frameWanted || m_startingFrame || m_renderThread->busy())
        return;
    m_startingFrame = true; // following a view moves the camera, which asks for a frame
    if (m_following)
        jumpTo(*m_following);
    m_startingFrame = false;
    m_frameWanted = false;
    render::ViewFrameInput input;
    const qreal ratio = devicePixelRatioF();
    input.view = currentView();
    input.pixels = devicePixels();
    input.samples = m_samples;
    input.toImage = !m_glSurface;
    input.labels.scale = float(ratio); // high-DPI screens: the same text size in points
    input.labels.nodeLabels = m_labelsShown;
    updateOverlays(input);
    m_renderThread->request(std::move(input));
}

void GraphView::frameDone()
{
    if (!m_renderThread)
        return;
    // Shown at the widget's next paint; the next frame starts now if one was asked for.
    repaintView();
    startFrame();
}

bool GraphView::drawsOnItsOwnThread() const
{
    return m_renderThread && m_renderThread->threaded();
}

void GraphView::setBeforeFrameHook(std::function<void()> hook)
{
    if (m_renderThread)
        m_renderThread->setBeforeFrame(std::move(hook));
}

QImage GraphView::grabSettledFrame(int timeoutMs)
{
    QElapsedTimer timer;
    timer.start();
    const auto settled = [this] {
        if (!m_renderThread)
            return true;
        const auto latest = m_renderThread->latest();
        return !m_frameWanted && !m_renderThread->busy() && latest && latest->serial == m_shownSerial;
    };
    while (!settled() && timer.elapsed() < timeoutMs) {
        QCoreApplication::processEvents(QEventLoop::AllEvents, 20);
        if (!settled())
            QThread::msleep(2);
    }
    return grabFramebuffer();
}

QImage GraphView::grabFramebuffer()
{
    if (m_glSurface)
        return m_glSurface->grabFramebuffer();
    return grab().toImage();
}

void GraphView::frameOnScreen(const render::ViewFrame& frame)
{
    if (frame.serial == m_shownSerial)
        return;
    m_shownSerial = frame.serial;
    m_shownTextBoxes = frame.textItemBoxes;
    m_annotationTexts = m_requestedAnnotationTexts;
    m_nameplateCount = m_requestedNameplateCount;
    Q_EMIT frameShown(frame.renderMs, frame.sceneLockMs);
}

void GraphView::presentGl(std::uint32_t framebuffer, QPainter& overlays)
{
    if (m_renderThread) {
        if (const std::optional<render::ViewFrame> frame = m_renderThread->present(framebuffer, devicePixels()))
            frameOnScreen(*frame);
    }
    if (hasOverlay()) {
        overlays.begin(m_glSurface);
        paintOverlays(overlays);
        overlays.end();
    }
}

void GraphView::paintEvent(QPaintEvent*)
{
    if (m_glSurface)
        return; // it covers this widget
    if (m_renderThread) {
        if (std::optional<render::ViewFrame> frame = m_renderThread->latest(); frame && !frame->image.isNull()) {
            m_shownImage = std::move(frame->image);
            m_shownImage.setDevicePixelRatio(devicePixelRatioF());
            frameOnScreen(*frame);
        }
    }
    QPainter painter(this);
    if (m_shownImage.isNull()) {
        const Rgba bg = render::SceneRenderer::DefaultBackground;
        painter.fillRect(rect(), QColor(int((bg >> 24) & 0xff), int((bg >> 16) & 0xff), int((bg >> 8) & 0xff)));
    } else if (m_shownImage.deviceIndependentSize().toSize() == size()) {
        painter.drawImage(QPoint(0, 0), m_shownImage); // a plain copy
    } else {
        painter.drawImage(rect(), m_shownImage); // resized since: stretched until the next frame
    }
    paintOverlays(painter);
}

QSize GraphView::devicePixels() const
{
    const qreal ratio = devicePixelRatioF();
    return QSize(int(std::lround(width() * ratio)), int(std::lround(height() * ratio)));
}

bool GraphView::hasOverlay() const
{
    return (m_gesture == Gesture::Lasso && m_lasso.size() >= 2) || m_gesture == Gesture::Box
        || (m_gesture == Gesture::Connect && m_pressNode);
}

void GraphView::paintOverlays(QPainter& painter) const
{
    if (m_gesture == Gesture::Lasso && m_lasso.size() >= 2) {
        painter.setRenderHint(QPainter::Antialiasing);
        painter.setPen(QPen(QColor(120, 180, 255), 1.5));
        painter.setBrush(QColor(120, 180, 255, 40));
        painter.drawPolygon(QPolygon(QList<QPoint>(m_lasso.begin(), m_lasso.end())));
    } else if (m_gesture == Gesture::Box) {
        painter.setRenderHint(QPainter::Antialiasing);
        const QRect box = QRect(m_pressAt, m_lastMouse).normalized();
        painter.setPen(QPen(QColor(120, 180, 255), 1.0));
        painter.setBrush(QColor(120, 180, 255, 40));
        painter.drawRect(QRectF(box).adjusted(0.5, 0.5, -0.5, -0.5)); // a crisp 1 px border on pixel centres
    } else if (m_gesture == Gesture::Connect && m_pressNode) {
        if (const auto from = pixelOf(*m_pressNode)) {
            painter.setRenderHint(QPainter::Antialiasing);
            painter.setPen(QPen(QColor(255, 220, 120), 2.0, Qt::DashLine));
            painter.drawLine(*from, m_connectTo);
        }
    }
}

// ---- presence -------------------------------------------------------------------------------

void GraphView::presenceMoved()
{
    applyRemoteDrags();
    m_presenceUntilMs = net::RemotePresence::nowMs() + PresenceTailMs;
    if (!m_presenceTimer->isActive())
        m_presenceTimer->start();
    requestFrame();
}

void GraphView::applyRemoteDrags()
{
    net::SyncClient* c = m_session.client();
    if (!m_document)
        return;
    std::vector<EntityId> ended;
    std::vector<std::pair<EntityId, glm::vec3>> moved;
    if (c) {
        for (const auto& [id, t] : c->transientPositions()) {
            if (m_gesture == Gesture::MoveNodes
                && std::any_of(m_moveNow.begin(), m_moveNow.end(), [id = id](const auto& p) { return p.first == id; }))
                continue; // ours wins on our screen while we hold it
            moved.emplace_back(id, toGlm(t.position));
        }
    }
    std::unordered_set<EntityId> now;
    for (const auto& [id, p] : moved)
        now.insert(id);
    for (const EntityId id : m_remotelyDragged)
        if (!now.count(id))
            ended.push_back(id);
    auto lock = lockScene();
    if (!ended.empty())
        m_scene.updateNodes(*m_document, ended); // back to the document's position
    if (!moved.empty())
        m_scene.overridePositions(moved);
    m_remotelyDragged = std::move(now);
}

void GraphView::follow(std::optional<net::protocol::PeerIndex> peer)
{
    if (m_following == peer)
        return;
    m_following = peer;
    if (peer)
        jumpTo(*peer);
    Q_EMIT followingChanged();
    requestFrame();
}

bool GraphView::jumpTo(net::protocol::PeerIndex peer)
{
    net::SyncClient* c = m_session.client();
    if (!c)
        return false;
    const auto it = c->peers().find(peer);
    if (it == c->peers().end())
        return false;
    if (it->second.view) {
        const glm::vec3 eye = toGlm(it->second.view->eye);
        const glm::vec3 target = toGlm(it->second.view->target);
        if (glm::distance(eye, m_camera.eyePosition()) > 1e-4f || glm::distance(target, m_camera.target()) > 1e-4f) {
            m_camera.lookFrom(eye, target);
            requestFrame();
        }
        return true;
    }
    const auto now = net::RemotePresence::nowMs();
    if (const auto cursor = c->remotePresence().cursor(peer, now)) {
        m_camera.setTarget(toGlm(*cursor));
        cameraChanged();
        return true;
    }
    if (const auto pose = c->remotePresence().vrPose(peer, now)) {
        net::protocol::Pose head = pose->head;
        if (it->second.placement)
            head = net::RemotePresence::toGraph(*it->second.placement, head);
        m_camera.setTarget(toGlm(head.position));
        cameraChanged();
        return true;
    }
    return false;
}

void GraphView::selectionChanged()
{
    requestFrame();
}

void GraphView::updateOverlays(render::ViewFrameInput& input)
{
    render::Highlights h;
    h.selected = m_session.selection();
    h.hoveredNode = m_hovered;
    h.hoveredEdge = m_hoveredEdge;
    std::vector<render::Avatar> avatars;
    std::vector<render::TextItem> plates;
    if (net::SyncClient* c = m_session.client()) {
        PeopleOverlay people = peopleOverlay(*c, m_cursorScale, net::RemotePresence::nowMs());
        h.remote = std::move(people.selections);
        avatars = std::move(people.avatars);
        plates = std::move(people.nameplates);
    }
    m_requestedNameplateCount = plates.size();
    m_requestedAnnotationTexts.clear();
    if (m_annotationsShown) {
        if (m_annotationsStale)
            readAnnotations();
        // Several texts on one target stack downwards; highlights are rings and wide edges.
        std::unordered_map<EntityId, int> lines;
        std::map<Rgba, std::vector<EntityId>> marks;
        for (const ShownAnnotation& a : m_annotations) {
            if (a.kind == AnnotationKind::Highlight) {
                marks[a.color].push_back(a.target);
                if (a.text.empty())
                    continue;
            }
            const auto anchor = annotationAnchor(a.target);
            if (!anchor)
                continue;
            render::TextItem item;
            item.anchor = *anchor;
            const int line = lines[a.target]++;
            item.pixelOffset = glm::vec2(0.0f, 18.0f + 15.0f * float(line));
            item.text = a.kind == AnnotationKind::Tag ? "#" + a.text
                : a.kind == AnnotationKind::Comment   ? "\u201c" + a.text + "\u201d"
                                                      : a.text;
            item.color = a.color;
            item.pixelSize = 12.0f;
            item.declutter = true;
            item.overScene = false;
            plates.push_back(std::move(item));
            m_requestedAnnotationTexts.push_back(a.id);
        }
        for (auto& [color, ids] : marks)
            h.marks.push_back({color, std::move(ids)});
    }
    if (m_searchMatches)
        h.marks.push_back({SearchMatchColor, *m_searchMatches});
    render::LabelHighlights labels;
    labels.selected = h.selected;
    if (m_searchMatches) // matches' labels before the others'
        labels.selected.insert(labels.selected.end(), m_searchMatches->begin(),
                               m_searchMatches->begin() + std::ptrdiff_t(std::min<std::size_t>(m_searchMatches->size(), 2000)));
    labels.hovered = m_hovered.value_or(EntityId {});
    input.labelHighlights = std::move(labels);
    if (h != m_shownHighlights || !m_highlightsSent) {
        m_shownHighlights = h;
        m_highlightsSent = true;
        input.highlights = std::move(h);
    }
    input.avatars = std::move(avatars);
    input.textItems = std::move(plates);
}

void GraphView::readAnnotations()
{
    m_annotationsStale = false;
    m_annotations.clear();
    if (!m_document)
        return;
    m_document->forEach(EntityKind::Annotation, [&](const GraphDocument::Entity& e) {
        ShownAnnotation a;
        a.id = e.id;
        a.target = e.a;
        a.kind = m_document->annotationKind(e);
        a.text = std::string(m_document->text(e));
        a.color = m_document->color(e);
        m_annotations.push_back(std::move(a));
    }, true);
}

std::optional<glm::vec3> GraphView::annotationAnchor(EntityId target) const
{
    if (const std::int64_t n = m_scene.nodeIndex(target); n >= 0) {
        const render::NodeInstance& node = m_scene.nodes()[std::size_t(n)];
        // The sphere's point nearest the eye: the node's own sphere never hides the text.
        const glm::vec3 towardsEye = m_camera.eyePosition() - node.position;
        const float d = glm::length(towardsEye);
        return d > 0.0f ? node.position + towardsEye / d * std::min(node.radius, 0.9f * d) : node.position;
    }
    if (const std::int64_t e = m_scene.edgeIndex(target); e >= 0) {
        const render::EdgeInstance& edge = m_scene.edges()[std::size_t(e)];
        return 0.5f * (edge.source + edge.target);
    }
    return std::nullopt;
}

std::optional<EntityId> GraphView::annotationAt(QPoint pixel) const
{
    if (!m_annotationsShown)
        return std::nullopt;
    const std::vector<glm::vec4>& boxes = m_shownTextBoxes;
    const glm::vec2 p = glm::vec2(float(pixel.x()), float(pixel.y())) * float(devicePixelRatioF());
    // The last drawn is on top: search backwards.
    for (std::size_t i = m_annotationTexts.size(); i-- > 0;) {
        const std::size_t item = m_nameplateCount + i;
        if (item >= boxes.size())
            continue;
        const glm::vec4 b = boxes[item];
        if (b.z > b.x && p.x >= b.x - 2.0f && p.x <= b.z + 2.0f && p.y >= b.y - 2.0f && p.y <= b.w + 2.0f)
            return m_annotationTexts[i];
    }
    return std::nullopt;
}

// ---- mouse and keys -------------------------------------------------------------------------

void GraphView::mousePressEvent(QMouseEvent* event)
{
    const QPoint at = event->position().toPoint();
    m_pressAt = at;
    m_lastMouse = at;
    m_pressModifiers = event->modifiers();
    event->accept();
    if (m_gesture != Gesture::None)
        return;
    if (event->button() == Qt::RightButton) {
        m_gesture = (event->modifiers() & Qt::ShiftModifier) ? Gesture::Pan : Gesture::Orbit;
        return;
    }
    if (event->button() == Qt::MiddleButton) {
        m_gesture = Gesture::Pan;
        return;
    }
    if (event->button() != Qt::LeftButton)
        return;
    if (event->modifiers() & Qt::AltModifier) {
        m_gesture = Gesture::Orbit;
        return;
    }
    m_pressNode = nodeAt(at);
    switch (m_tool) {
    case Tool::Select: m_gesture = Gesture::Press; break;
    case Tool::AddNode: m_gesture = Gesture::Press; break;
    case Tool::Connect:
        if (m_pressNode && m_session.canEdit()) {
            m_gesture = Gesture::Connect;
            m_connectTo = at;
        }
        break;
    case Tool::Lasso:
        m_gesture = Gesture::Lasso;
        m_lasso = {at};
        break;
    }
}

void GraphView::mouseMoveEvent(QMouseEvent* event)
{
    const QPoint now = event->position().toPoint();
    const QPoint delta = now - m_lastMouse;
    m_lastMouse = now;
    switch (m_gesture) {
    case Gesture::None: {
        const auto node = nodeAt(now);
        setHovered(node);
        const auto edge = node ? std::nullopt : edgeAt(now);
        if (edge != m_hoveredEdge) {
            m_hoveredEdge = edge;
            requestFrame();
        }
        sendCursor(now);
        return;
    }
    case Gesture::Orbit:
        if (m_flyMode)
            m_camera.look(-float(delta.x()) * RadiansPerPixel * 0.5f, -float(delta.y()) * RadiansPerPixel * 0.5f);
        else
            m_camera.orbit(-float(delta.x()) * RadiansPerPixel, -float(delta.y()) * RadiansPerPixel);
        follow(std::nullopt);
        cameraChanged();
        return;
    case Gesture::Pan:
        m_camera.pan(glm::vec2(float(delta.x()), float(delta.y())), float(height()));
        follow(std::nullopt);
        cameraChanged();
        return;
    case Gesture::Press:
        if ((now - m_pressAt).manhattanLength() < DragThresholdPixels)
            return;
        if (m_tool == Tool::Select && m_pressNode && m_session.canEdit()) {
            beginMove(m_pressAt);
            continueMove(now);
        } else if (m_tool == Tool::Select) {
            m_gesture = Gesture::Box;
            repaintView(); // the box is drawn over the last frame
        }
        return;
    case Gesture::MoveNodes:
        continueMove(now);
        return;
    case Gesture::Box:
        repaintView();
        return;
    case Gesture::Connect:
        m_connectTo = now;
        setHovered(nodeAt(now));
        repaintView();
        return;
    case Gesture::Lasso:
        if ((now - m_lasso.back()).manhattanLength() >= 3) {
            m_lasso.push_back(now);
            repaintView();
        }
        return;
    }
}

void GraphView::mouseReleaseEvent(QMouseEvent* event)
{
    const QPoint at = event->position().toPoint();
    event->accept();
    const Gesture gesture = std::exchange(m_gesture, Gesture::None);
    const bool add = m_pressModifiers & (Qt::ControlModifier | Qt::ShiftModifier);
    switch (gesture) {
    case Gesture::None:
    case Gesture::Orbit:
    case Gesture::Pan: break;
    case Gesture::Press:
        if (m_tool == Tool::AddNode && m_session.canEdit()) {
            const EntityId id = m_session.addNode(pointAt(at), "new node");
            m_session.setSelection({id});
        } else if (const auto note = m_tool == Tool::Select ? annotationAt(at) : std::nullopt) {
            // An annotation's text: its target is what gets selected, the panel shows the note.
            if (const GraphDocument::Entity* a = m_document ? m_document->entity(*note) : nullptr)
                m_session.setSelection({a->a});
            Q_EMIT annotationClicked(*note);
        } else if (const auto hit = m_pressNode ? m_pressNode : edgeAt(at)) {
            std::vector<EntityId> sel = m_session.selection();
            if (add) {
                const auto it = std::find(sel.begin(), sel.end(), *hit);
                if (it != sel.end())
                    sel.erase(it);
                else
                    sel.push_back(*hit);
            } else {
                sel = {*hit};
            }
            m_session.setSelection(std::move(sel));
        } else if (!add) {
            m_session.setSelection({});
        }
        break;
    case Gesture::MoveNodes:
        m_gesture = Gesture::MoveNodes; // finishMove reads it
        finishMove(true);
        m_gesture = Gesture::None;
        break;
    case Gesture::Box: finishBox(at, add); break;
    case Gesture::Lasso: finishLasso(add); break;
    case Gesture::Connect:
        if (m_pressNode)
            if (const auto target = nodeAt(at); target && *target != *m_pressNode)
                if (const auto edge = m_session.connectNodes(*m_pressNode, *target, m_connectDirected))
                    m_session.setSelection({*edge});
        requestFrame();
        break;
    }
    m_pressNode.reset();
    repaintView(); // a box, loop or edge being drawn goes at once
}

void GraphView::beginMove(QPoint pixel)
{
    // Dragging a selected node moves the whole selection; an unselected one, itself.
    std::vector<EntityId> sel = m_session.selection();
    if (std::find(sel.begin(), sel.end(), *m_pressNode) == sel.end()) {
        sel = {*m_pressNode};
        m_session.setSelection(sel);
    }
    m_moveStart.clear();
    for (const EntityId id : sel) {
        const std::int64_t i = m_scene.nodeIndex(id);
        if (i >= 0)
            m_moveStart.emplace_back(id, m_scene.nodes()[std::size_t(i)].position);
    }
    m_moveNow = m_moveStart;
    const std::int64_t grabbed = m_scene.nodeIndex(*m_pressNode);
    m_movePlanePoint = grabbed >= 0 ? m_scene.nodes()[std::size_t(grabbed)].position : m_camera.target();
    m_movePlaneNormal = glm::normalize(m_camera.eyePosition() - m_camera.target());
    const render::Ray ray = currentView().rayThroughPixel(glm::vec2(float(pixel.x()), float(pixel.y())), viewport());
    m_moveGrab = intersectPlane(ray, m_movePlanePoint, m_movePlaneNormal).value_or(m_movePlanePoint);
    m_gesture = Gesture::MoveNodes;
}

void GraphView::continueMove(QPoint pixel)
{
    const render::Ray ray = currentView().rayThroughPixel(glm::vec2(float(pixel.x()), float(pixel.y())), viewport());
    const auto at = intersectPlane(ray, m_movePlanePoint, m_movePlaneNormal);
    if (!at)
        return;
    const glm::vec3 delta = *at - m_moveGrab;
    std::vector<net::protocol::PositionsBatch::Entry> live;
    for (std::size_t i = 0; i < m_moveStart.size(); ++i) {
        m_moveNow[i].second = m_moveStart[i].second + delta;
        live.push_back({m_moveNow[i].first, toVec3(m_moveNow[i].second)});
    }
    {
        auto lock = lockScene();
        m_scene.overridePositions(m_moveNow);
    }
    if (net::SyncClient* c = m_session.client()) {
        c->dragTo(live);
        c->setCursor(toVec3(*at));
    }
    requestFrame();
}

void GraphView::finishMove(bool commit)
{
    if (m_gesture != Gesture::MoveNodes)
        return;
    std::vector<std::pair<EntityId, Vec3>> positions;
    std::vector<EntityId> ids;
    for (const auto& [id, p] : m_moveNow) {
        positions.emplace_back(id, toVec3(p));
        ids.push_back(id);
    }
    m_gesture = Gesture::None;
    const bool moved = std::any_of(m_moveNow.begin(), m_moveNow.end(), [&](const auto& p) {
        const auto it = std::find_if(m_moveStart.begin(), m_moveStart.end(),
                                     [&](const auto& s) { return s.first == p.first; });
        return it != m_moveStart.end() && it->second != p.second;
    });
    m_moveStart.clear();
    m_moveNow.clear();
    // The release is one transaction (one undo step); the others' overlays clear on it.
    if (commit && moved)
        m_session.moveNodes(positions);
    else if (m_document) {
        auto lock = lockScene();
        m_scene.updateNodes(*m_document, ids);
    }
    if (net::SyncClient* c = m_session.client())
        c->endDrag();
    requestFrame();
}

void GraphView::finishBox(QPoint pixel, bool add)
{
    const QRect box = QRect(m_pressAt, pixel).normalized();
    const render::PixelRect rect {glm::vec2(float(box.left()), float(box.top())),
                                  glm::vec2(float(box.right()), float(box.bottom()))};
    const std::vector<std::uint32_t> inside = render::nodesInRect(m_scene.nodes(), currentView(), viewport(), rect);
    std::vector<EntityId> sel = add ? m_session.selection() : std::vector<EntityId> {};
    for (const std::uint32_t i : inside)
        sel.push_back(m_scene.nodeIds()[i]);
    m_session.setSelection(std::move(sel));
    requestFrame();
}

void GraphView::finishLasso(bool add)
{
    std::vector<QPoint> loop = std::exchange(m_lasso, {});
    std::vector<EntityId> sel = add ? m_session.selection() : std::vector<EntityId> {};
    if (loop.size() >= 3) {
        const QPolygon polygon(QList<QPoint>(loop.begin(), loop.end()));
        const QRect box = polygon.boundingRect();
        const render::PixelRect rect {glm::vec2(float(box.left()), float(box.top())),
                                      glm::vec2(float(box.right()), float(box.bottom()))};
        const render::View view = currentView();
        for (const std::uint32_t i : render::nodesInRect(m_scene.nodes(), view, viewport(), rect)) {
            const glm::vec3 p = view.project(m_scene.nodes()[i].position, viewport());
            if (polygon.containsPoint(QPoint(int(std::lround(p.x)), int(std::lround(p.y))), Qt::OddEvenFill))
                sel.push_back(m_scene.nodeIds()[i]);
        }
    }
    m_session.setSelection(std::move(sel));
    requestFrame();
}

void GraphView::showLivePositions(const std::vector<EntityId>& ids, const std::vector<Vec3>& positions)
{
    std::vector<std::pair<EntityId, glm::vec3>> moved;
    moved.reserve(ids.size());
    for (std::size_t i = 0; i < ids.size() && i < positions.size(); ++i)
        moved.emplace_back(ids[i], toGlm(positions[i]));
    {
        auto lock = lockScene();
        m_scene.overridePositions(moved);
    }
    requestFrame();
}

void GraphView::clearLivePositions()
{
    if (!m_document)
        return;
    {
        auto lock = lockScene();
        m_scene.clearOverrides(*m_document);
    }
    m_remotelyDragged.clear();
    applyRemoteDrags(); // others' drags are still theirs
    if (m_gesture == Gesture::MoveNodes) {
        auto lock = lockScene();
        m_scene.overridePositions(m_moveNow);
    }
    requestFrame();
}

void GraphView::selectNextNode(bool forward, bool extend)
{
    if (m_scene.nodes().empty())
        return;
    // Nodes ordered by distance from what the camera looks at: the nearest first.
    const glm::vec3 target = m_camera.target();
    std::vector<std::pair<float, std::uint32_t>> order;
    order.reserve(m_scene.nodes().size());
    for (std::uint32_t i = 0; i < m_scene.nodes().size(); ++i)
        order.emplace_back(glm::distance(m_scene.nodes()[i].position, target), i);
    std::sort(order.begin(), order.end());
    std::int64_t at = -1;
    const std::vector<EntityId>& selected = m_session.selection();
    if (!m_keyCurrent || std::find(selected.begin(), selected.end(), *m_keyCurrent) == selected.end())
        m_keyCurrent = selected.empty() ? std::nullopt : std::optional<EntityId>(selected.back());
    if (m_keyCurrent) {
        const std::int64_t current = m_scene.nodeIndex(*m_keyCurrent);
        for (std::size_t k = 0; k < order.size() && current >= 0; ++k)
            if (order[k].second == std::uint32_t(current))
                at = std::int64_t(k);
    }
    const auto n = std::int64_t(order.size());
    const std::int64_t next = at < 0 ? (forward ? 0 : n - 1) : ((at + (forward ? 1 : -1)) % n + n) % n;
    const EntityId chosen = m_scene.nodeIds()[order[std::size_t(next)].second];
    std::vector<EntityId> sel = extend ? m_session.selection() : std::vector<EntityId> {};
    sel.push_back(chosen);
    m_keyCurrent = chosen; // the next step goes on from it
    m_session.setSelection(std::move(sel));
    requestFrame();
}

void GraphView::nudgeSelection(QPoint pixels)
{
    if (!m_session.canEdit())
        return;
    // The view's right and up, scaled to world units per pixel at the camera's target.
    const float unitsPerPixel = 2.0f * m_camera.distance() * std::tan(0.5f * m_camera.verticalFov())
        / float(std::max(1, height()));
    const glm::vec3 step = (float(pixels.x()) * m_camera.right() - float(pixels.y()) * m_camera.up()) * unitsPerPixel;
    std::vector<std::pair<EntityId, Vec3>> moved;
    for (const EntityId id : m_session.selection())
        if (const std::int64_t i = m_scene.nodeIndex(id); i >= 0)
            moved.emplace_back(id, toVec3(m_scene.nodes()[std::size_t(i)].position + step));
    if (!moved.empty())
        m_session.moveNodes(moved);
}

void GraphView::wheelEvent(QWheelEvent* event)
{
    const float steps = float(event->angleDelta().y()) / 120.0f;
    m_camera.zoom(std::pow(0.85f, steps));
    cameraChanged();
    event->accept();
}

void GraphView::leaveEvent(QEvent* event)
{
    setHovered(std::nullopt);
    QWidget::leaveEvent(event);
}

bool GraphView::event(QEvent* event)
{
    // In fly mode the view takes W, A, S, D, Q and E before the window's tool shortcuts.
    if (event->type() == QEvent::ShortcutOverride && m_flyMode) {
        auto* key = static_cast<QKeyEvent*>(event);
        if (isFlyKey(key->key()) && !(key->modifiers() & (Qt::ControlModifier | Qt::AltModifier))) {
            event->accept();
            return true;
        }
    }
    return QWidget::event(event);
}

void GraphView::keyReleaseEvent(QKeyEvent* event)
{
    if (m_flyMode && !event->isAutoRepeat() && isFlyKey(event->key())) {
        m_flyKeys.erase(event->key());
        return;
    }
    QWidget::keyReleaseEvent(event);
}

void GraphView::focusOutEvent(QFocusEvent* event)
{
    m_flyKeys.clear(); // a key released in another window would fly on forever
    QWidget::focusOutEvent(event);
}

void GraphView::keyPressEvent(QKeyEvent* event)
{
    if (m_flyMode && isFlyKey(event->key())) {
        if (!event->isAutoRepeat()) {
            m_flyKeys.insert(event->key());
            if (!m_flyTimer->isActive()) {
                m_flyLastMs = net::RemotePresence::nowMs();
                m_flyTimer->start();
                flyStep(); // a tap moves too
            }
        }
        return;
    }
    switch (event->key()) {
    case Qt::Key_F: frameSelection(); return;
    case Qt::Key_Home: frameAll(); return;
    case Qt::Key_PageDown: selectNextNode(true, event->modifiers() & Qt::ShiftModifier); return;
    case Qt::Key_PageUp: selectNextNode(false, event->modifiers() & Qt::ShiftModifier); return;
    case Qt::Key_Left:
    case Qt::Key_Right:
    case Qt::Key_Up:
    case Qt::Key_Down:
        if (event->modifiers() & Qt::ControlModifier) {
            // Ctrl and an arrow nudge the selected nodes (Shift: ten times as far).
            const int step = (event->modifiers() & Qt::ShiftModifier) ? 50 : 5;
            const int k = event->key();
            nudgeSelection(QPoint(k == Qt::Key_Left ? -step : k == Qt::Key_Right ? step : 0,
                                  k == Qt::Key_Up ? -step : k == Qt::Key_Down ? step : 0));
            return;
        }
        break;
    default: break;
    }
    switch (event->key()) {
    case Qt::Key_Left: m_camera.orbit(KeyOrbitRadians, 0.0f); break;
    case Qt::Key_Right: m_camera.orbit(-KeyOrbitRadians, 0.0f); break;
    case Qt::Key_Up: m_camera.orbit(0.0f, KeyOrbitRadians); break;
    case Qt::Key_Down: m_camera.orbit(0.0f, -KeyOrbitRadians); break;
    case Qt::Key_Plus:
    case Qt::Key_Equal: m_camera.zoom(0.85f); break;
    case Qt::Key_Minus: m_camera.zoom(1.0f / 0.85f); break;
    case Qt::Key_Escape:
        if (m_gesture == Gesture::MoveNodes) {
            finishMove(false);
        } else if (m_gesture != Gesture::None) {
            m_gesture = Gesture::None;
            requestFrame();
        } else {
            m_session.setSelection({});
        }
        return;
    default: QWidget::keyPressEvent(event); return;
    }
    follow(std::nullopt);
    cameraChanged();
}

} // namespace constellate::ui
