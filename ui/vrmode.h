#pragma once

#include "vrsession.h"

#include <QObject>
#include <QString>

#include <array>
#include <cstdint>
#include <optional>
#include <unordered_set>
#include <vector>

class QAction;
class QTimer;

namespace constellate::ui {

class EditorSession;
class GraphView;

/// Enter VR for an editor window: runs xr::VrSession beside the window's GraphView (its
/// context shared with the view's), keeps the headset's scene in step with the session's
/// document, shows the others in it (their cursors, VR avatars, selections, nameplates and
/// drags), sends this user's head and hands as VR presence, and turns what the hands do
/// into edits: a grab is a live drag while held (transient positions for the others, as a
/// mouse drag in GraphView) and one committed move (one undo step) on release; the trigger
/// selects; B and Y undo and redo; X shows or hides labels.
///
/// When VR cannot start or stops with an error, unavailable() says why; enter() may be
/// tried again at any time (a headset connected later, a runtime started later).
class VrMode : public QObject {
    Q_OBJECT
public:
    VrMode(EditorSession& session, GraphView& view, QObject* parent = nullptr);
    ~VrMode() override;

    /// From enter() until the session has ended.
    bool isActive() const { return m_vr.isActive(); }
    /// Starts VR; the headset shows the graph once the runtime is ready.
    void enter();
    /// Ends VR (the runtime is asked to end the session; the desktop goes on).
    void leave();
    /// "Enter VR" / "Leave VR", for a menu: triggers enter() or leave().
    QAction* toggleAction() const { return m_action; }
    xr::VrSession& vrSession() { return m_vr; }
    /// Where the room lies in the graph when VR starts (nullopt, the default: the graph in
    /// front of the user). Tests place it exactly.
    void setInitialPlacement(std::optional<xr::Placement> placement) { m_initialPlacement = placement; }
    /// The window's View > Labels: X in VR toggles it (so its check mark and the setting
    /// follow); without one, X toggles the view's labels directly.
    void setLabelsAction(QAction* action) { m_labelsAction = action; }
    /// Why VR last failed (empty: it did not).
    QString lastError() const { return m_lastError; }

Q_SIGNALS:
    void activeChanged(bool active);
    /// VR could not start, or stopped with an error: the reason, for the user.
    void unavailable(const QString& reason);

private:
    void onEnded(const QString& reason);
    void onPoses(const xr::TrackedPoses& poses);
    void onGrabMoved(xr::Hand hand, EntityId node, glm::vec3 position);
    void onGrabEnded(xr::Hand hand, EntityId node, glm::vec3 position, bool commit);
    void onSelect(std::optional<EntityId> node, bool add);
    void onCommand(xr::VrCommand command);
    void resetScene();
    void scheduleOverlay();
    void updateOverlay();
    void applyRemoteDrags();
    void sendDrag();

    EditorSession& m_session;
    GraphView& m_view;
    xr::VrSession m_vr;
    QAction* m_action = nullptr;
    QAction* m_labelsAction = nullptr;
    QTimer* m_overlayTimer = nullptr;
    std::optional<xr::Placement> m_initialPlacement;
    QString m_lastError;
    float m_cursorScale = 1.0f; ///< world units per avatar unit of desktop cursors
    /// What each hand holds and where: live for the others until released.
    std::array<std::optional<std::pair<EntityId, glm::vec3>>, 2> m_held;
    std::unordered_set<EntityId> m_remotelyDragged;
    bool m_sentPresence = false;
    std::int64_t m_presenceUntilMs = 0; ///< renew the overlay until then (others' smoothed motion)
};

} // namespace constellate::ui
