#pragma once

#include "glbinding.h"
#include "instance.h"
#include "renderscene.h"
#include "scenerenderer.h"
#include "pickgrid.h"
#include "swapchain.h"
#include "vrinput.h"
#include "vrinteraction.h"
#include "vrsession.h"
#include "vrtypes.h"

#include <openxr/openxr.h>

#include <array>
#include <memory>
#include <string>
#include <utility>
#include <vector>

class QOffscreenSurface;
class QOpenGLContext;
class QOpenGLFunctions_3_3_Core;

namespace constellate::xr {

struct VrShared;

/// The XR thread of a VrSession: it makes its GL context (shared with the editor's), the
/// instance, the session, the spaces and the swapchains, runs the frame loop and handles
/// every session state, and tears all of it down again. Made, run and destroyed on that
/// thread; it talks to the caller only through VrShared.
///
/// Runtimes may change the current GL context inside XR calls: after each one the context
/// is made current again when it is not (GlBinding::isCurrent).
class FrameLoop {
public:
    FrameLoop(VrShared& shared, VrSessionOptions options, QOffscreenSurface* surface);
    ~FrameLoop();
    FrameLoop(const FrameLoop&) = delete;
    FrameLoop& operator=(const FrameLoop&) = delete;

    /// Runs until the session has ended (or could not start); then VrShared says why.
    void run();

    // ---- work posted by the caller (run on the XR thread between frames) -----------------
    void replaceScene(render::RenderScene scene);
    void movePositions(const std::vector<std::pair<EntityId, glm::vec3>>& positions);
    void setOverlay(VrOverlay overlay);
    void setEditable(bool editable);
    void setPlacement(const Placement& placement);

private:
    struct Eye {
        Swapchain color;
        Swapchain depth;           ///< when XR_KHR_composition_layer_depth is enabled
        std::uint32_t depthBuffer = 0; ///< our own renderbuffer otherwise
        std::uint32_t width = 0;
        std::uint32_t height = 0;
    };

    bool setUp(Failure* failure);
    bool createSwapchains(Failure* failure);
    void tearDown();
    void takeInbox();
    void pollEvents();
    void onSessionState(XrSessionState state);
    bool frame();
    bool renderViews(XrTime time, std::array<XrCompositionLayerProjectionView, 2>& views,
                     std::array<XrCompositionLayerDepthInfoKHR, 2>& depths);
    std::optional<Pose> locate(XrSpace space, XrTime time) const;
    render::View eyeView(const XrView& view) const;
    float farPlane(glm::vec3 eye) const;
    void publishState(VrState state);
    void publishFrame(const TrackedPoses& poses, const FrameTiming& timing);
    void publishEvents();
    void updateOverlay(const std::array<HandInput, 2>& hands);
    void fail(XrResult result, const char* call);
    void ensureCurrent();

    VrShared& m_shared;
    VrSessionOptions m_options;
    QOffscreenSurface* m_surface;
    std::unique_ptr<QOpenGLContext> m_context;
    std::unique_ptr<QOpenGLFunctions_3_3_Core> m_gl;
    GlBinding m_binding;
    std::unique_ptr<Instance> m_instance;

    XrSession m_session = XR_NULL_HANDLE;
    XrSpace m_baseSpace = XR_NULL_HANDLE; ///< STAGE, or LOCAL
    XrSpace m_viewSpace = XR_NULL_HANDLE;
    bool m_stage = true;
    XrSessionState m_sessionState = XR_SESSION_STATE_UNKNOWN;
    XrEnvironmentBlendMode m_blendMode = XR_ENVIRONMENT_BLEND_MODE_OPAQUE;
    std::vector<XrViewConfigurationView> m_viewConfigurations;
    std::array<Eye, 2> m_eyes;
    bool m_depthLayers = false;
    std::uint32_t m_framebuffer = 0;

    bool m_running = false;   ///< between xrBeginSession and xrEndSession
    bool m_exitSent = false;  ///< xrRequestExitSession was called
    bool m_done = false;
    Failure m_failure;        ///< why the session ended, when it failed
    std::uint64_t m_frames = 0;
    std::int64_t m_renderCpuNs = 0; ///< this frame's CPU time in the renderer

    std::unique_ptr<render::SceneRenderer> m_renderer;
    render::RenderScene m_scene;
    render::Sphere m_bounds;
    VrOverlay m_overlay;
    bool m_overlayChanged = true;
    bool m_highlightsChanged = true;
    std::optional<EntityId> m_shownHover;
    bool m_ownHandsShown = false;
    bool m_placementChosen = false;

    VrInput m_input;
    VrInteraction m_interaction;
    render::PickGrid m_pick;
    XrTime m_lastDisplayTime = 0;
    std::vector<VrEvent> m_events; ///< not yet handed to the caller
};

} // namespace constellate::xr
