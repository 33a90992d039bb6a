#include "vrsession.h"

#include "frameloop.h"
#include "offscreentarget.h"
#include "vrshared.h"

#include <QCoreApplication>
#include <QMetaObject>
#include <QOffscreenSurface>
#include <QOpenGLContext>
#include <QSurfaceFormat>
#include <QThread>

namespace constellate::xr {

VrSession::VrSession(QObject* parent) : QObject(parent) {}

VrSession::~VrSession()
{
    if (m_shared) {
        std::lock_guard lock(m_shared->mutex);
        m_shared->wake = nullptr; // nothing more for this object
        m_shared->abandon = true;
    }
    if (m_thread.joinable())
        m_thread.join();
}

bool VrSession::start(const VrSessionOptions& options, QString* error)
{
    if (m_shared) {
        *error = QStringLiteral("VR is already running");
        return false;
    }
    if (QThread::currentThread() != qApp->thread()) {
        *error = QStringLiteral("VR must be started from the UI thread");
        return false;
    }
    // Made here: an offscreen surface may be backed by a window, which only the UI thread
    // may create; the XR thread then makes its own context current on it.
    const QSurfaceFormat format = render::coreProfileFormat();
    m_surface = std::make_unique<QOffscreenSurface>();
    m_surface->setFormat(format);
    m_surface->create();
    if (!m_surface->isValid()) {
        m_surface.reset();
        *error = QStringLiteral("Cannot make an OpenGL surface for the headset (is there a display?)");
        return false;
    }

    m_shared = std::make_shared<VrShared>();
    m_shared->wake = [this] { QMetaObject::invokeMethod(this, &VrSession::drain, Qt::QueuedConnection); };
    m_poses.reset();
    m_messages.clear();
    m_lastTimings.clear();
    m_runtimeName.clear();
    m_systemName.clear();
    m_thread = std::thread([shared = m_shared, options, surface = m_surface.get()] {
        FrameLoop loop(*shared, options, surface);
        loop.run();
    });
    m_state = VrState::Starting;
    Q_EMIT stateChanged(m_state);
    return true;
}

void VrSession::stop()
{
    if (!m_shared)
        return;
    std::lock_guard lock(m_shared->mutex);
    m_shared->exitRequested = true;
}

void VrSession::post(std::function<void(FrameLoop&)> work)
{
    if (!m_shared)
        return;
    std::lock_guard lock(m_shared->mutex);
    m_shared->inbox.push_back(std::move(work));
}

void VrSession::postScene()
{
    auto copy = std::make_shared<render::RenderScene>(m_scene);
    post([copy](FrameLoop& loop) { loop.replaceScene(std::move(*copy)); });
}

void VrSession::resetScene(const GraphDocument& document)
{
    m_scene.rebuild(document);
    m_scene.takeChanges();
    if (m_shared)
        postScene();
}

void VrSession::updateNodes(const GraphDocument& document, std::span<const EntityId> ids)
{
    // What the instances were, to tell a move (positions travel) from anything else (a new
    // scene travels: colours, sizes, labels, nodes that came or went).
    std::vector<std::pair<std::int64_t, render::NodeInstance>> before;
    std::vector<std::string> labels;
    for (const EntityId id : ids) {
        const std::int64_t i = m_scene.nodeIndex(id);
        before.emplace_back(i, i >= 0 ? m_scene.nodes()[std::size_t(i)] : render::NodeInstance {});
        labels.push_back(i >= 0 ? m_scene.nodeLabels()[std::size_t(i)] : std::string());
    }
    m_scene.updateNodes(document, ids);
    const render::RenderScene::Changes changes = m_scene.takeChanges();
    if (!m_shared || !changes.any())
        return;
    bool movesOnly = !changes.nodesRebuilt && !changes.edgesRebuilt;
    std::vector<std::pair<EntityId, glm::vec3>> moves;
    for (std::size_t k = 0; movesOnly && k < ids.size(); ++k) {
        const std::int64_t i = m_scene.nodeIndex(ids[k]);
        if (i != before[k].first) {
            movesOnly = false;
            break;
        }
        if (i < 0)
            continue;
        const render::NodeInstance& now = m_scene.nodes()[std::size_t(i)];
        const render::NodeInstance& was = before[k].second;
        movesOnly = now.radius == was.radius && std::equal(now.color, now.color + 4, was.color)
            && m_scene.nodeLabels()[std::size_t(i)] == labels[k];
        moves.emplace_back(ids[k], now.position);
    }
    if (movesOnly)
        post([moves = std::move(moves)](FrameLoop& loop) { loop.movePositions(moves); });
    else
        postScene();
}

void VrSession::updateEdges(const GraphDocument& document, std::span<const EntityId> ids)
{
    m_scene.updateEdges(document, ids);
    if (m_scene.takeChanges().any() && m_shared)
        postScene();
}

void VrSession::overridePositions(std::span<const std::pair<EntityId, glm::vec3>> positions)
{
    m_scene.overridePositions(positions);
    m_scene.takeChanges();
    std::vector<std::pair<EntityId, glm::vec3>> moves(positions.begin(), positions.end());
    post([moves = std::move(moves)](FrameLoop& loop) { loop.movePositions(moves); });
}

void VrSession::setOverlay(VrOverlay overlay)
{
    auto shared = std::make_shared<VrOverlay>(std::move(overlay));
    post([shared](FrameLoop& loop) { loop.setOverlay(std::move(*shared)); });
}

void VrSession::setEditable(bool editable)
{
    post([editable](FrameLoop& loop) { loop.setEditable(editable); });
}

void VrSession::setPlacement(const Placement& placement)
{
    post([placement](FrameLoop& loop) { loop.setPlacement(placement); });
}

std::vector<FrameTiming> VrSession::frameTimings() const
{
    if (!m_shared)
        return m_lastTimings;
    std::lock_guard lock(m_shared->mutex);
    return {m_shared->timings.begin(), m_shared->timings.end()};
}

void VrSession::drain()
{
    if (!m_shared)
        return;
    std::vector<VrState> states;
    std::vector<VrEvent> events;
    std::optional<TrackedPoses> poses;
    std::vector<std::string> messages;
    bool finished = false;
    QString reason;
    {
        std::lock_guard lock(m_shared->mutex);
        m_shared->wakePending = false;
        states.swap(m_shared->states);
        events.swap(m_shared->events);
        if (m_shared->posesChanged)
            poses = m_shared->poses;
        m_shared->posesChanged = false;
        messages.swap(m_shared->messages);
        m_runtimeName = QString::fromStdString(m_shared->runtimeName);
        m_systemName = QString::fromStdString(m_shared->systemName);
        finished = m_shared->finished;
        reason = QString::fromStdString(m_shared->endReason);
        if (finished)
            m_lastTimings.assign(m_shared->timings.begin(), m_shared->timings.end());
    }
    for (std::string& m : messages)
        m_messages.push_back(QString::fromStdString(m));
    if (finished) {
        // The thread has torn everything down and is returning: join, and forget it before
        // anyone hears of it (a listener may start again at once).
        m_thread.join();
        m_shared.reset();
        m_surface.reset();
    }
    for (const VrState s : states) {
        if (s == m_state)
            continue;
        m_state = s;
        Q_EMIT stateChanged(m_state);
    }
    if (poses) {
        m_poses = poses;
        Q_EMIT posesChanged(*poses);
    }
    for (const VrEvent& e : events) {
        switch (e.kind) {
        case VrEvent::Kind::GrabStarted: Q_EMIT grabStarted(e.hand, e.node); break;
        case VrEvent::Kind::GrabMoved: Q_EMIT grabMoved(e.hand, e.node, e.position); break;
        case VrEvent::Kind::GrabEnded: Q_EMIT grabEnded(e.hand, e.node, e.position); break;
        case VrEvent::Kind::GrabCancelled: Q_EMIT grabCancelled(e.hand, e.node); break;
        case VrEvent::Kind::Select:
            Q_EMIT selectRequested(e.node.isNull() ? std::nullopt : std::optional<EntityId>(e.node), e.add);
            break;
        case VrEvent::Kind::Command: Q_EMIT commandRequested(e.command); break;
        }
    }
    if (finished) {
        m_state = VrState::Off;
        Q_EMIT stateChanged(m_state);
        Q_EMIT ended(reason);
    }
}

} // namespace constellate::xr
