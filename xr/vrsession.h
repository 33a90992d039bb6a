#pragma once

#include "graphdocument.h"
#include "renderscene.h"
#include "vrtypes.h"

#include <QObject>
#include <QString>
#include <QStringList>

#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <utility>
#include <vector>

class QOffscreenSurface;
class QOpenGLContext;

namespace constellate::xr {

class FrameLoop;
struct VrShared;

struct VrSessionOptions {
    /// The editor view's context: the XR thread's own context shares its objects with it.
    /// Null: a context of its own that shares nothing.
    QOpenGLContext* shareContext = nullptr;
    /// Where the user's room lies in the graph at the start; nullopt: the graph in front of
    /// the user (Placement::facing its bounds).
    std::optional<Placement> placement;
    /// Grabs move nodes (false for a viewer of a room: nothing is grabbed).
    bool editable = true;
    std::string applicationName = "Constellate";
    /// Labels and nameplates in the headset, times their desktop size in pixels.
    float labelScale = 1.5f;
};

/// VR for the editor: an OpenXR session driven by a thread of its own (its frame loop,
/// xrWaitFrame/xrBeginFrame/xrLocateViews/xrEndFrame, never waits for the caller), drawing
/// the scene with its own SceneRenderer in its own GL context shared with the editor's.
///
/// Lives on the caller's thread (the UI thread), like the document: the caller keeps the
/// scene in step (resetScene, updateNodes, ...) from its document, and those calls post
/// copies of what changed to the XR thread, never sharing mutable state. What the user
/// does comes back as signals, emitted on the caller's thread: the poses of each frame
/// (for presence), grabs (with node ids and graph positions), selections, commands.
///
/// Everything that can go wrong once started (no runtime, no headset, a missing extension,
/// a lost session) ends the session with ended(reason); start() may be called again later.
class VrSession : public QObject {
    Q_OBJECT
public:
    explicit VrSession(QObject* parent = nullptr);
    /// Ends a running session (waits for the XR thread, a few seconds at most).
    ~VrSession() override;

    /// Starts the XR thread. False with `error` only when it cannot start at all (already
    /// running, no OpenGL); the rest comes as ended(reason).
    bool start(const VrSessionOptions& options, QString* error);
    /// Asks the runtime to end the session (xrRequestExitSession); ended() follows.
    void stop();
    /// From start() until ended() has been emitted.
    bool isActive() const { return m_shared != nullptr; }
    VrState state() const { return m_state; }

    // ---- the scene, kept in step by the caller (posted to the XR thread) ------------------
    /// Everything anew (a new document, a snapshot).
    void resetScene(const GraphDocument& document);
    /// Nodes moved or changed (a move travels as positions, anything else as a new scene).
    void updateNodes(const GraphDocument& document, std::span<const EntityId> ids);
    void updateEdges(const GraphDocument& document, std::span<const EntityId> ids);
    /// Nodes drawn where someone's live drag has them (updateNodes puts them back).
    void overridePositions(std::span<const std::pair<EntityId, glm::vec3>> positions);
    /// Selections, other people, nameplates (see VrOverlay).
    void setOverlay(VrOverlay overlay);
    void setEditable(bool editable);
    /// Moves the user's room in the graph (the thumbsticks do it from inside).
    void setPlacement(const Placement& placement);

    /// The latest poses (nullopt before the first frame).
    const std::optional<TrackedPoses>& poses() const { return m_poses; }
    /// Known once the session exists.
    QString runtimeName() const { return m_runtimeName; }
    QString systemName() const { return m_systemName; }
    /// The XR thread's cost of its latest frames (at most 8192; after the end, the last session's).
    std::vector<FrameTiming> frameTimings() const;
    /// Warnings and errors that API layers and the loader reported so far.
    QStringList messages() const { return m_messages; }

Q_SIGNALS:
    void stateChanged(constellate::xr::VrState state);
    /// Each frame's poses (at most one signal per turn of the caller's event loop: the latest).
    void posesChanged(const constellate::xr::TrackedPoses& poses);
    void grabStarted(constellate::xr::Hand hand, constellate::EntityId node);
    void grabMoved(constellate::xr::Hand hand, constellate::EntityId node, glm::vec3 position);
    void grabEnded(constellate::xr::Hand hand, constellate::EntityId node, glm::vec3 position);
    void grabCancelled(constellate::xr::Hand hand, constellate::EntityId node);
    /// The trigger on a node (nullopt: pointing at nothing); `add`: toggle it in the selection.
    void selectRequested(std::optional<constellate::EntityId> node, bool add);
    void commandRequested(constellate::xr::VrCommand command);
    /// The session is over; `reason` is empty when it ended as asked (stop(), or the user
    /// quit from the runtime's menu), else what went wrong, for the user.
    void ended(const QString& reason);

private:
    void drain();
    void post(std::function<void(FrameLoop&)> work);
    void postScene();

    std::shared_ptr<VrShared> m_shared;
    std::thread m_thread;
    std::unique_ptr<QOffscreenSurface> m_surface;
    VrState m_state = VrState::Off;
    std::optional<TrackedPoses> m_poses;
    QString m_runtimeName;
    QString m_systemName;
    QStringList m_messages;
    std::vector<FrameTiming> m_lastTimings;
    render::RenderScene m_scene; ///< the caller's copy, to tell moves from other changes
};

} // namespace constellate::xr
