#include "vrmode.h"

#include "editorsession.h"
#include "geometry.h"
#include "graphview.h"
#include "peopleoverlay.h"
#include "remotepresence.h"

#include <QAction>
#include <QTimer>

#include <algorithm>

namespace constellate::ui {

namespace {

using render::toGlm;
using render::toVec3;

net::protocol::Pose toProtocol(const xr::Pose& p)
{
    return {toVec3(p.position), {p.orientation.x, p.orientation.y, p.orientation.z, p.orientation.w}};
}

constexpr int OverlayIntervalMs = 16;
/// Others' motion is shown RemotePresence::delayMs() late and smoothed: the overlay goes on
/// being renewed this long after the last presence news (as GraphView redraws).
constexpr int PresenceTailMs = 400;

} // namespace

VrMode::VrMode(EditorSession& session, GraphView& view, QObject* parent)
    : QObject(parent), m_session(session), m_view(view)
{
    m_action = new QAction(tr("Enter &VR"), this);
    m_action->setStatusTip(tr("Show the graph in a headset (OpenXR), and be seen there by the others"));
    connect(m_action, &QAction::triggered, this, [this] { isActive() ? leave() : enter(); });

    m_overlayTimer = new QTimer(this);
    m_overlayTimer->setSingleShot(true);
    m_overlayTimer->setInterval(OverlayIntervalMs);
    connect(m_overlayTimer, &QTimer::timeout, this, &VrMode::updateOverlay);

    connect(&m_vr, &xr::VrSession::ended, this, &VrMode::onEnded);
    connect(&m_vr, &xr::VrSession::posesChanged, this, &VrMode::onPoses);
    connect(&m_vr, &xr::VrSession::grabStarted, this, [this](xr::Hand hand, EntityId node) {
        const GraphDocument::Entity* e = m_session.document().entity(node);
        if (!e || !m_session.canEdit())
            return;
        m_held[std::size_t(hand)] = std::pair {node, toGlm(m_session.document().position(*e))};
    });
    connect(&m_vr, &xr::VrSession::grabMoved, this, &VrMode::onGrabMoved);
    connect(&m_vr, &xr::VrSession::grabEnded, this,
            [this](xr::Hand hand, EntityId node, glm::vec3 at) { onGrabEnded(hand, node, at, true); });
    connect(&m_vr, &xr::VrSession::grabCancelled, this,
            [this](xr::Hand hand, EntityId node) { onGrabEnded(hand, node, {}, false); });
    connect(&m_vr, &xr::VrSession::selectRequested, this, &VrMode::onSelect);
    connect(&m_vr, &xr::VrSession::commandRequested, this, &VrMode::onCommand);

    // The headset's scene follows the document; the others' presence is redrawn there.
    connect(&m_session, &EditorSession::documentReset, this, &VrMode::resetScene);
    connect(&m_session, &EditorSession::nodesChanged, this, [this](const std::vector<EntityId>& ids) {
        if (!isActive())
            return;
        for (const EntityId id : ids)
            m_remotelyDragged.erase(id);
        m_vr.updateNodes(m_session.document(), ids);
        applyRemoteDrags();
    });
    connect(&m_session, &EditorSession::edgesChanged, this, [this](const std::vector<EntityId>& ids) {
        if (isActive())
            m_vr.updateEdges(m_session.document(), ids);
    });
    connect(&m_session, &EditorSession::presenceMoved, this, [this] {
        if (!isActive())
            return;
        applyRemoteDrags();
        m_presenceUntilMs = net::RemotePresence::nowMs() + PresenceTailMs;
        scheduleOverlay();
    });
    connect(&m_session, &EditorSession::peersChanged, this, &VrMode::scheduleOverlay);
    connect(&m_session, &EditorSession::selectionChanged, this, &VrMode::scheduleOverlay);
    connect(&m_session, &EditorSession::statusChanged, this, [this] {
        if (isActive())
            m_vr.setEditable(m_session.canEdit()); // a role changed: a viewer grabs nothing
    });
}

VrMode::~VrMode()
{
    if (net::SyncClient* c = m_session.client(); c && m_sentPresence)
        c->setVrPlacement(std::nullopt);
}

void VrMode::enter()
{
    if (isActive())
        return;
    xr::VrSessionOptions options;
    // The view's own context: the headset's context shares its objects with it. (Null
    // before the view was first shown, or when the view paints images: then it shares
    // nothing, which changes nothing drawn.)
    options.shareContext = m_view.shareContext();
    options.placement = m_initialPlacement;
    options.editable = m_session.canEdit();
    QString error;
    if (!m_vr.start(options, &error)) {
        m_lastError = error;
        Q_EMIT unavailable(error);
        return;
    }
    m_lastError.clear();
    m_held = {};
    m_remotelyDragged.clear();
    resetScene();
    m_action->setText(tr("Leave &VR"));
    Q_EMIT activeChanged(true);
}

void VrMode::leave()
{
    m_vr.stop();
}

void VrMode::onEnded(const QString& reason)
{
    // What a hand held when VR ended goes back where the document has it.
    for (auto& held : m_held) {
        if (held && m_session.client())
            m_session.client()->endDrag();
        held.reset();
    }
    if (net::SyncClient* c = m_session.client(); c && m_sentPresence)
        c->setVrPlacement(std::nullopt); // no longer in VR: the others stop showing the avatar
    m_sentPresence = false;
    m_action->setText(tr("Enter &VR"));
    Q_EMIT activeChanged(false);
    if (!reason.isEmpty()) {
        m_lastError = reason;
        Q_EMIT unavailable(reason);
    }
}

void VrMode::resetScene()
{
    if (!isActive())
        return;
    m_vr.resetScene(m_session.document());
    // Desktop users' cursors in proportion with the nodes, as GraphView draws them.
    std::vector<float> radii;
    const GraphDocument& doc = m_session.document();
    doc.forEach(EntityKind::Node, [&](const GraphDocument::Entity& e) { radii.push_back(doc.size(e)); });
    if (!radii.empty()) {
        std::nth_element(radii.begin(), radii.begin() + std::ptrdiff_t(radii.size() / 2), radii.end());
        m_cursorScale = std::max(radii[radii.size() / 2], 1e-3f) * 2.0f;
    }
    m_remotelyDragged.clear();
    applyRemoteDrags();
    updateOverlay();
}

void VrMode::onPoses(const xr::TrackedPoses& poses)
{
    net::SyncClient* c = m_session.client();
    if (!c || !poses.head)
        return;
    // The room's poses (metres) and where the room lies in the graph: receivers place the
    // avatar with it (RemotePresence::toGraph).
    net::protocol::VrPose pose;
    pose.head = toProtocol(*poses.head);
    if (poses.left)
        pose.left = toProtocol(*poses.left);
    if (poses.right)
        pose.right = toProtocol(*poses.right);
    c->setVrPose(pose);
    const xr::Placement& p = poses.placement;
    c->setVrPlacement(net::protocol::Placement {
        p.scale, toVec3(p.translation), {p.rotation.x, p.rotation.y, p.rotation.z, p.rotation.w}});
    m_sentPresence = true;
}

void VrMode::onGrabMoved(xr::Hand hand, EntityId node, glm::vec3 position)
{
    auto& held = m_held[std::size_t(hand)];
    if (!held || held->first != node)
        return;
    held->second = position;
    sendDrag();
}

void VrMode::sendDrag()
{
    net::SyncClient* c = m_session.client();
    if (!c)
        return;
    std::vector<net::protocol::PositionsBatch::Entry> live;
    for (const auto& held : m_held)
        if (held)
            live.push_back({held->first, toVec3(held->second)});
    if (!live.empty())
        c->dragTo(live);
}

void VrMode::onGrabEnded(xr::Hand hand, EntityId node, glm::vec3 position, bool commit)
{
    auto& held = m_held[std::size_t(hand)];
    if (!held || held->first != node)
        return;
    held.reset();
    // The release is one transaction, one undo step; the others' overlays clear on it.
    if (commit && m_session.canEdit() && m_session.document().isVisible(node))
        m_session.moveNodes({{node, toVec3(position)}});
    else
        m_vr.updateNodes(m_session.document(), std::span(&node, 1)); // back where the document has it
    if (net::SyncClient* c = m_session.client()) {
        c->endDrag();
        sendDrag(); // what the other hand still holds stays live
    }
}

void VrMode::onSelect(std::optional<EntityId> node, bool add)
{
    if (!add) {
        m_session.setSelection(node ? std::vector<EntityId> {*node} : std::vector<EntityId> {});
        return;
    }
    std::vector<EntityId> selection = m_session.selection();
    const auto it = std::find(selection.begin(), selection.end(), *node);
    if (it == selection.end())
        selection.push_back(*node);
    else
        selection.erase(it);
    m_session.setSelection(std::move(selection));
}

void VrMode::onCommand(xr::VrCommand command)
{
    switch (command) {
    case xr::VrCommand::Undo: m_session.undo(); break;
    case xr::VrCommand::Redo: m_session.redo(); break;
    case xr::VrCommand::ToggleLabels:
        if (m_labelsAction && m_labelsAction->isCheckable())
            m_labelsAction->toggle();
        else
            m_view.setLabelsShown(!m_view.labelsShown());
        updateOverlay();
        break;
    }
}

void VrMode::applyRemoteDrags()
{
    net::SyncClient* c = m_session.client();
    if (!isActive())
        return;
    std::vector<std::pair<EntityId, glm::vec3>> moved;
    std::unordered_set<EntityId> now;
    if (c) {
        for (const auto& [id, t] : c->transientPositions()) {
            moved.emplace_back(id, toGlm(t.position));
            now.insert(id);
        }
    }
    std::vector<EntityId> ended;
    for (const EntityId id : m_remotelyDragged)
        if (!now.count(id))
            ended.push_back(id);
    if (!ended.empty())
        m_vr.updateNodes(m_session.document(), ended); // back to the document's position
    if (!moved.empty())
        m_vr.overridePositions(moved);
    m_remotelyDragged = std::move(now);
}

void VrMode::scheduleOverlay()
{
    if (isActive() && !m_overlayTimer->isActive())
        m_overlayTimer->start();
}

void VrMode::updateOverlay()
{
    if (!isActive())
        return;
    xr::VrOverlay overlay;
    overlay.highlights.selected = m_session.selection();
    overlay.nodeLabels = m_view.labelsShown();
    if (net::SyncClient* c = m_session.client()) {
        PeopleOverlay people = peopleOverlay(*c, m_cursorScale, net::RemotePresence::nowMs());
        overlay.highlights.remote = std::move(people.selections);
        overlay.avatars = std::move(people.avatars);
        overlay.textItems = std::move(people.nameplates);
    }
    m_vr.setOverlay(std::move(overlay));
    // Smoothed motion goes on a while after the last sample arrived.
    if (net::RemotePresence::nowMs() < m_presenceUntilMs)
        scheduleOverlay();
}

} // namespace constellate::ui
