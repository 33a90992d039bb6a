#pragma once

#include "camera.h"
#include "edgepicktree.h"
#include "highlights.h"
#include "graphdocument.h"
#include "pickgrid.h"
#include "protocol.h"
#include "renderscene.h"

#include <QImage>
#include <QPoint>
#include <QRect>
#include <QWidget>

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_set>
#include <vector>

class QOpenGLContext;
class QPainter;
class QTimer;

namespace constellate::render {
class ViewRenderThread;
struct ViewFrame;
struct ViewFrameInput;
}

namespace constellate::ui {

class EditorSession;

/// What a left click does in the view.
enum class Tool {
    Select,  ///< click or box to select; drag a node to move it (and the selection)
    AddNode, ///< click to place a node
    Connect, ///< drag from one node to another to connect them
    Lasso,   ///< draw a loop around nodes to select them
};

/// The 3D view of the session's document: render/'s SceneRenderer, drawing on a thread of
/// its own (ViewRenderThread). Frames are shown when done, so a slow frame (a large graph
/// on a software renderer) never stalls the window: the UI thread only asks for frames and
/// shows the newest one. How it shows them is the Presentation: with a GPU, a child
/// QOpenGLWidget copies the frame's texture; with a software renderer the frame is read
/// back into an image that this widget paints, because a QOpenGLWidget makes Qt compose the
/// whole window with OpenGL at every frame, which on a CPU costs the UI thread 35 ms or more
/// at 1080p where painting an image costs 3.
///
/// Mouse: the tool's left button (see Tool); right drag or Alt and left drag: orbit;
/// middle drag, or Shift and right drag: pan; wheel: zoom. Keys: F frames the selection
/// (or all), Home frames all, arrows orbit, + and - zoom, Escape cancels a drag or clears
/// the selection. A drag is live for the others (transient positions) and one undo step
/// when released. Other people show as their cursors, VR avatars and selections; their
/// drags move nodes here while they drag.
class GraphView : public QWidget {
    Q_OBJECT
public:
    explicit GraphView(EditorSession& session, QWidget* parent = nullptr);
    ~GraphView() override;

    Tool tool() const { return m_tool; }
    void setTool(Tool tool);
    /// New edges made with the Connect tool are directed.
    void setConnectDirected(bool directed) { m_connectDirected = directed; }
    bool connectDirected() const { return m_connectDirected; }

    const render::Camera& camera() const { return m_camera; }
    render::Camera& camera() { return m_camera; }
    /// The scene as drawn (tests and the status bar count instances).
    const render::RenderScene& scene() const { return m_scene; }
    /// Why the view cannot draw (no OpenGL 3.3), or empty.
    QString glError() const { return m_glError; }

    /// The node drawn under a widget pixel, if any.
    std::optional<EntityId> nodeAt(QPoint pixel) const;
    /// The edge drawn under a widget pixel (within a few pixels), if no node is over it.
    std::optional<EntityId> edgeAt(QPoint pixel) const;
    /// Where a node's centre shows, in widget pixels (nullopt: not drawn or behind the eye).
    std::optional<QPoint> pixelOf(EntityId node) const;
    /// The point in the graph under a widget pixel on the plane through the camera's
    /// target that faces the eye (where a click adds a node).
    Vec3 pointAt(QPoint pixel) const;

    /// The annotation whose text is drawn under a widget pixel, if any.
    std::optional<EntityId> annotationAt(QPoint pixel) const;
    /// Tags and comments drawn as text by their nodes and edges, highlights as rings (on by
    /// default).
    void setAnnotationsShown(bool on);
    bool annotationsShown() const { return m_annotationsShown; }
    /// A search's matches: outlined, and everything else dimmed; nullopt: no search.
    void setSearchMatches(std::optional<std::vector<EntityId>> matches);
    bool isSearching() const { return m_searchMatches.has_value(); }

    /// Draws these nodes at these positions without touching the document (a layout
    /// settling); they stay so until the document moves them or clearLivePositions().
    void showLivePositions(const std::vector<EntityId>& ids, const std::vector<Vec3>& positions);
    /// Back to the document's positions (a cancelled layout).
    void clearLivePositions();

    /// Keyboard selection: the next (or previous) node by distance from the camera's
    /// target, after the one selected last (Page Down, Page Up); `extend` adds it to the
    /// selection (with Shift).
    void selectNextNode(bool forward, bool extend = false);
    /// Moves the selected nodes in the view's plane by `pixels` (Ctrl and arrows): one
    /// undo step per nudge.
    void nudgeSelection(QPoint pixels);

    /// Multisampling of new views: 4 with a GPU, none with a CPU renderer (llvmpipe), unless
    /// the setting "view/antialiasing" says otherwise (View > Smooth Edges).
    static int multisampleSamples();
    /// Multisampling of this view from the next frame on (View > Smooth Edges).
    void setSmoothEdges(bool on);
    bool smoothEdges() const { return m_samples > 0; }

    /// Node labels on or off (nameplates always show).
    void setLabelsShown(bool on);
    bool labelsShown() const { return m_labelsShown; }
    /// Fly mode: W/S, A/D and Q/E move the eye (forward and back, left and right, down and
    /// up), right drag looks around; off: the orbit camera.
    void setFlyMode(bool on);
    bool flyMode() const { return m_flyMode; }

    /// How frames reach the screen (see the class's comment).
    enum class Presentation {
        Gl,    ///< a child QOpenGLWidget shows the frame's texture
        Image, ///< the frame is read back and painted as an image
    };
    /// Image with a software renderer (llvmpipe), Gl with a GPU; the environment variable
    /// CONSTELLATE_VIEW_PRESENT=gl or =image decides instead.
    static Presentation defaultPresentation();
    Presentation presentation() const { return m_glSurface ? Presentation::Gl : Presentation::Image; }
    /// The view's OpenGL context, which the headset's may share objects with: null with
    /// Presentation::Image, or before the view was first shown.
    QOpenGLContext* shareContext() const;
    /// The renderer was set up (or failed: glError()); the view has been shown.
    bool isRendererStarted() const { return m_rendererStarted; }
    /// The pictures on screen now, with the gesture's overlays (tests, screenshots).
    QImage grabFramebuffer();

    /// Frames shown so far (each one drawn on the view thread).
    std::uint64_t framesShown() const { return m_shownSerial; }
    /// Frames are drawn on a thread of their own (false: on the UI thread, where the
    /// platform has no threaded OpenGL or CONSTELLATE_VIEW_THREAD=0 said so).
    bool drawsOnItsOwnThread() const;
    /// Waits (running the event loop, at most `timeoutMs`) until the frame on screen shows
    /// everything asked for so far, then returns its pixels (tests, screenshots). A grab
    /// right after a change may otherwise show the frame before it.
    QImage grabSettledFrame(int timeoutMs = 10'000);
    /// Tests: runs on the view thread before each frame is drawn (it may block, holding a
    /// frame in flight while the UI thread goes on).
    void setBeforeFrameHook(std::function<void()> hook);

    /// Keeps the camera on another user's view as it changes (nullopt: stop).
    void follow(std::optional<net::protocol::PeerIndex> peer);
    std::optional<net::protocol::PeerIndex> following() const { return m_following; }
    /// Moves the camera once to look where `peer` looks (or at their cursor).
    bool jumpTo(net::protocol::PeerIndex peer);

public Q_SLOTS:
    void nodesChanged(const std::vector<EntityId>& ids);
    void edgesChanged(const std::vector<EntityId>& ids);
    /// Everything may have changed (a snapshot, a file opened): rebuilds the scene.
    void documentReset();
    void frameAll();
    /// Frames the selected nodes (all when nothing is selected).
    void frameSelection();

Q_SIGNALS:
    /// OpenGL could not be set up; the message says why.
    void glFailed(const QString& message);
    void toolChanged(constellate::ui::Tool tool);
    void followingChanged();
    void flyModeChanged(bool on);
    /// A click on an annotation's text (its target is selected too).
    void annotationClicked(constellate::EntityId annotation);
    /// A new frame is on screen; it took `renderMs` on the view thread, of which the scene
    /// was locked `sceneLockMs` (the UI thread waits that long at most to change it).
    void frameShown(double renderMs, double sceneLockMs);

protected:
    void showEvent(QShowEvent* event) override;
    void resizeEvent(QResizeEvent* event) override;
    void paintEvent(QPaintEvent* event) override;
    void mousePressEvent(QMouseEvent* event) override;
    void mouseMoveEvent(QMouseEvent* event) override;
    void mouseReleaseEvent(QMouseEvent* event) override;
    void wheelEvent(QWheelEvent* event) override;
    bool event(QEvent* event) override;
    void keyPressEvent(QKeyEvent* event) override;
    void keyReleaseEvent(QKeyEvent* event) override;
    void focusOutEvent(QFocusEvent* event) override;
    void leaveEvent(QEvent* event) override;

private:
    enum class Gesture { None, Orbit, Pan, Press, MoveNodes, Box, Connect, Lasso };
    class GlSurface;
    friend class GlSurface;

    /// Sets up the view thread (with `share`, the GL surface's context, or none).
    void startRenderer(QOpenGLContext* share);
    /// The GL surface's paint: the newest frame into its framebuffer, then the overlays.
    void presentGl(std::uint32_t framebuffer, QPainter& overlays);
    /// A frame reached the screen.
    void frameOnScreen(const render::ViewFrame& frame);
    /// A gesture in progress draws a 2D overlay: the box or loop, the edge being drawn.
    bool hasOverlay() const;
    /// Paints that overlay (nothing when there is none).
    void paintOverlays(QPainter& painter) const;
    /// The view's size in device pixels (the frames' size).
    QSize devicePixels() const;
    /// Repaints what shows the frames (this widget or the GL surface): the newest frame
    /// and the overlays, without drawing a new frame.
    void repaintView();

    /// An annotation as the view shows it (re-read when annotations change).
    struct ShownAnnotation {
        EntityId id;
        EntityId target;
        AnnotationKind kind = AnnotationKind::Tag;
        std::string text;
        Rgba color = 0;
    };

    float aspect() const;
    glm::vec2 viewport() const { return {float(width()), float(height())}; }
    render::View currentView() const { return m_camera.view(aspect()); }
    void cameraChanged();
    void setHovered(std::optional<EntityId> node);
    void sendCursor(QPoint pixel);
    void beginMove(QPoint pixel);
    void continueMove(QPoint pixel);
    void finishMove(bool commit);
    void finishBox(QPoint pixel, bool add);
    void finishLasso(bool add);
    void readAnnotations();
    /// Where an annotation's text hangs: the nearest point of its node to the eye, or the
    /// middle of its edge (nullopt: the target is not drawn).
    std::optional<glm::vec3> annotationAnchor(EntityId target) const;
    void presenceMoved();
    void applyRemoteDrags();
    /// Asks for a new frame (drawn on the view thread as soon as it is free).
    void requestFrame();
    /// Starts the frame asked for if the view thread is free.
    void startFrame();
    void frameDone();
    void updateOverlays(render::ViewFrameInput& input);
    /// The scene is written only with this held (the view thread reads it with it held).
    std::unique_lock<std::mutex> lockScene() { return std::unique_lock(m_sceneMutex); }
    void selectionChanged();
    void flyStep();
    static bool isFlyKey(int key);

    EditorSession& m_session;
    const GraphDocument* m_document = nullptr;
    render::RenderScene m_scene;
    std::mutex m_sceneMutex;
    mutable render::PickGrid m_pick;
    mutable render::EdgePickTree m_edgePick;
    render::Camera m_camera;
    std::unique_ptr<render::ViewRenderThread> m_renderThread;
    GlSurface* m_glSurface = nullptr; ///< Presentation::Gl only (null: Presentation::Image)
    bool m_rendererStarted = false;
    QImage m_shownImage; ///< Presentation::Image: the frame on screen
    QString m_glError;
    int m_samples = 0;           ///< multisampling of the view thread's frames
    bool m_frameWanted = true;   ///< something changed since the last frame was asked for
    bool m_startingFrame = false;
    std::uint64_t m_shownSerial = 0;
    std::vector<glm::vec4> m_shownTextBoxes; ///< the shown frame's text items (annotation picking)
    std::vector<EntityId> m_requestedAnnotationTexts;
    std::size_t m_requestedNameplateCount = 0;
    bool m_framePending = true;
    Tool m_tool = Tool::Select;
    bool m_connectDirected = false;

    // the gesture in progress
    Gesture m_gesture = Gesture::None;
    QPoint m_pressAt;
    QPoint m_lastMouse;
    Qt::KeyboardModifiers m_pressModifiers;
    std::optional<EntityId> m_pressNode;
    std::optional<EntityId> m_hovered;
    std::optional<EntityId> m_hoveredEdge;
    float m_cursorScale = 1.0f; ///< world units per avatar unit of remote cursors
    // a move: the grabbed nodes, where they were, the plane of the drag
    std::vector<std::pair<EntityId, glm::vec3>> m_moveStart;
    std::vector<std::pair<EntityId, glm::vec3>> m_moveNow;
    glm::vec3 m_movePlanePoint {0.0f};
    glm::vec3 m_movePlaneNormal {0.0f, 0.0f, 1.0f};
    glm::vec3 m_moveGrab {0.0f};
    QPoint m_connectTo;
    std::vector<QPoint> m_lasso; ///< the loop being drawn (widget pixels)
    std::optional<EntityId> m_keyCurrent; ///< the node Page Down chose last

    std::unordered_set<EntityId> m_remotelyDragged; ///< nodes drawn at others' transient positions
    std::optional<net::protocol::PeerIndex> m_following;
    bool m_labelsShown = true;
    bool m_annotationsShown = true;
    bool m_annotationsStale = true;
    std::vector<ShownAnnotation> m_annotations;
    std::vector<EntityId> m_annotationTexts; ///< per text item after the nameplates: its annotation (shown frame)
    std::size_t m_nameplateCount = 0;          ///< in the shown frame
    std::optional<std::vector<EntityId>> m_searchMatches;
    bool m_flyMode = false;
    std::unordered_set<int> m_flyKeys; ///< held
    QTimer* m_flyTimer = nullptr;
    qint64 m_flyLastMs = 0;
    render::Highlights m_shownHighlights; ///< what the view thread has (sent again only on change)
    bool m_highlightsSent = false;
    QTimer* m_presenceTimer = nullptr; ///< redraws while remote presence is being smoothed
    qint64 m_presenceUntilMs = 0;
};

} // namespace constellate::ui
