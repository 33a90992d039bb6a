#include "frameloop.h"

#include "offscreentarget.h"
#include "vrshared.h"
#include "xrnames.h"

#include <QOffscreenSurface>
#include <QOpenGLContext>
#include <QOpenGLFunctions_3_3_Core>
#include <QSurfaceFormat>

#define XR_USE_GRAPHICS_API_OPENGL
#include <openxr/openxr_platform.h>

#include <glm/gtc/matrix_transform.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <thread>

namespace constellate::xr {

namespace {

/// Nearest the eye anything is drawn, in metres of the room.
constexpr float NearMetres = 0.05f;
constexpr float FarMetres = 1000.0f;

std::int64_t steadyNs()
{
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

/// CPU time of the calling thread (what the frame costs the CPU, without the GPU's or the
/// GL driver's worker threads, and without sleeping in xrWaitFrame).
std::int64_t threadCpuNs()
{
#if defined(_WIN32)
    return 0;
#else
    timespec ts {};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return std::int64_t(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
#endif
}

Pose toPose(const XrPosef& p)
{
    return {{p.position.x, p.position.y, p.position.z},
            glm::normalize(glm::quat(p.orientation.w, p.orientation.x, p.orientation.y, p.orientation.z))};
}

VrState toVrState(XrSessionState state)
{
    switch (state) {
    case XR_SESSION_STATE_IDLE: return VrState::Idle;
    case XR_SESSION_STATE_READY: return VrState::Ready;
    case XR_SESSION_STATE_SYNCHRONIZED: return VrState::Synchronized;
    case XR_SESSION_STATE_VISIBLE: return VrState::Visible;
    case XR_SESSION_STATE_FOCUSED: return VrState::Focused;
    case XR_SESSION_STATE_STOPPING: return VrState::Stopping;
    case XR_SESSION_STATE_LOSS_PENDING:
    case XR_SESSION_STATE_EXITING: return VrState::Ending;
    default: return VrState::Starting;
    }
}

/// The colour format: sRGB first (the renderer writes sRGB-encoded colours, as the desktop's
/// default framebuffer shows them; with GL_FRAMEBUFFER_SRGB off they are stored as they are
/// and the compositor reads them as sRGB, so the headset's colours match the desktop's).
std::optional<std::int64_t> pickColorFormat(const std::vector<std::int64_t>& offered)
{
    for (const std::int64_t f : {std::int64_t(GL_SRGB8_ALPHA8), std::int64_t(GL_RGBA8)})
        if (std::find(offered.begin(), offered.end(), f) != offered.end())
            return f;
    return std::nullopt;
}

std::optional<std::int64_t> pickDepthFormat(const std::vector<std::int64_t>& offered)
{
    for (const std::int64_t f : {std::int64_t(GL_DEPTH_COMPONENT24), std::int64_t(GL_DEPTH_COMPONENT32F),
                                 std::int64_t(GL_DEPTH_COMPONENT16)})
        if (std::find(offered.begin(), offered.end(), f) != offered.end())
            return f;
    return std::nullopt;
}

} // namespace

FrameLoop::FrameLoop(VrShared& shared, VrSessionOptions options, QOffscreenSurface* surface)
    : m_shared(shared), m_options(std::move(options)), m_surface(surface)
{
    std::vector<VrEvent> none;
    m_interaction.setEditable(m_options.editable, none);
    if (m_options.placement) {
        m_interaction.setPlacement(*m_options.placement);
        m_placementChosen = true;
    }
}

FrameLoop::~FrameLoop()
{
    tearDown();
}

void FrameLoop::fail(XrResult result, const char* call)
{
    if (!m_failure.failed())
        m_failure = Failure::fromResult(result, call);
    m_done = true;
}

void FrameLoop::ensureCurrent()
{
    if (m_context && !m_binding.isCurrent())
        m_context->makeCurrent(m_surface);
}

void FrameLoop::run()
{
    Failure failure;
    if (setUp(&failure)) {
        auto abandonedAt = std::chrono::steady_clock::time_point::max();
        while (!m_done) {
            bool exitRequested = false;
            bool abandon = false;
            {
                std::lock_guard lock(m_shared.mutex);
                exitRequested = m_shared.exitRequested;
                abandon = m_shared.abandon;
            }
            if (!m_running)
                takeInbox();
            if ((exitRequested || abandon) && !m_exitSent) {
                if (m_running) {
                    const XrResult r = xrRequestExitSession(m_session);
                    ensureCurrent();
                    m_exitSent = true;
                    if (XR_FAILED(r))
                        fail(r, "xrRequestExitSession");
                } else {
                    m_done = true; // nothing runs: nothing to stop
                }
            }
            if (abandon) {
                // The caller waits: end within a few seconds, however the runtime answers.
                const auto now = std::chrono::steady_clock::now();
                if (abandonedAt == std::chrono::steady_clock::time_point::max())
                    abandonedAt = now;
                else if (now - abandonedAt > std::chrono::seconds(3))
                    break;
            }
            pollEvents();
            publishEvents();
            // Asked to exit and the session has ended: done, even if the runtime never says
            // EXITING.
            if (m_exitSent && !m_running && m_sessionState == XR_SESSION_STATE_IDLE)
                m_done = true;
            if (m_done)
                break;
            if (m_running) {
                if (!frame())
                    break;
            } else {
                std::this_thread::sleep_for(std::chrono::milliseconds(5));
            }
        }
    } else {
        m_failure = failure;
    }
    tearDown();
    std::vector<std::string> messages;
    if (m_instance)
        messages = m_instance->takeMessages();
    m_instance.reset(); // xrDestroyInstance, outside the lock the caller's thread takes
    std::lock_guard lock(m_shared.mutex);
    m_shared.finished = true;
    m_shared.endReason = m_failure.failed() ? m_failure.text() : std::string();
    for (std::string& m : messages)
        m_shared.messages.push_back(std::move(m));
    m_shared.notify();
}

bool FrameLoop::setUp(Failure* failure)
{
    // The XR thread's own context, sharing objects with the editor's view.
    const QSurfaceFormat format = render::coreProfileFormat();
    m_context = std::make_unique<QOpenGLContext>();
    m_context->setFormat(format);
    if (m_options.shareContext)
        m_context->setShareContext(m_options.shareContext);
    if (!m_context->create() || !m_context->makeCurrent(m_surface)) {
        failure->message = "Cannot make an OpenGL context for the headset";
        return false;
    }
    if (m_options.shareContext && m_context->shareContext() != m_options.shareContext)
        qWarning("VR: the headset's OpenGL context does not share with the editor's view");
    const QSurfaceFormat got = m_context->format();
    if (got.version() < qMakePair(3, 3)) {
        failure->message = "The headset needs OpenGL 3.3; this context is " + std::to_string(got.majorVersion()) + "."
            + std::to_string(got.minorVersion());
        return false;
    }
    m_gl = std::make_unique<QOpenGLFunctions_3_3_Core>();
    if (!m_gl->initializeOpenGLFunctions()) {
        failure->message = "The headset needs OpenGL 3.3 core functions";
        return false;
    }
    std::string error;
    if (!m_binding.init(*m_context, &error)) {
        failure->message = error;
        return false;
    }

    Instance::Options options;
    options.applicationName = m_options.applicationName;
    m_instance = Instance::create(options, failure);
    if (!m_instance)
        return false;
    if (!m_instance->findSystem(failure))
        return false;
    {
        std::lock_guard lock(m_shared.mutex);
        m_shared.runtimeName = m_instance->runtimeName();
        m_shared.systemName = m_instance->systemProperties().systemName;
    }
    const XrInstance instance = m_instance->handle();
    const XrSystemId system = m_instance->system();

    uint32_t count = 0;
    XrResult r = xrEnumerateViewConfigurationViews(instance, system, XR_VIEW_CONFIGURATION_TYPE_PRIMARY_STEREO, 0,
                                                   &count, nullptr);
    if (XR_SUCCEEDED(r) && count == 2) {
        m_viewConfigurations.assign(count, {XR_TYPE_VIEW_CONFIGURATION_VIEW});
        r = xrEnumerateViewConfigurationViews(instance, system, XR_VIEW_CONFIGURATION_TYPE_PRIMARY_STEREO, count, &count,
                                              m_viewConfigurations.data());
    }
    if (XR_FAILED(r) || count != 2) {
        *failure = Failure::fromResult(XR_FAILED(r) ? r : XR_ERROR_VIEW_CONFIGURATION_TYPE_UNSUPPORTED,
                                       "xrEnumerateViewConfigurationViews");
        failure->message = "The headset has no stereo view configuration";
        return false;
    }
    std::vector<XrEnvironmentBlendMode> modes;
    r = xrEnumerateEnvironmentBlendModes(instance, system, XR_VIEW_CONFIGURATION_TYPE_PRIMARY_STEREO, 0, &count, nullptr);
    if (XR_SUCCEEDED(r)) {
        modes.resize(count);
        r = xrEnumerateEnvironmentBlendModes(instance, system, XR_VIEW_CONFIGURATION_TYPE_PRIMARY_STEREO, count, &count,
                                             modes.data());
    }
    if (XR_FAILED(r) || modes.empty()) {
        *failure = Failure::fromResult(XR_FAILED(r) ? r : XR_ERROR_ENVIRONMENT_BLEND_MODE_UNSUPPORTED,
                                       "xrEnumerateEnvironmentBlendModes");
        return false;
    }
    m_blendMode = std::find(modes.begin(), modes.end(), XR_ENVIRONMENT_BLEND_MODE_OPAQUE) != modes.end()
        ? XR_ENVIRONMENT_BLEND_MODE_OPAQUE
        : modes.front();

    // The runtime's OpenGL requirements first (the specification requires the call).
    auto requirementsOf =
        m_instance->function<PFN_xrGetOpenGLGraphicsRequirementsKHR>("xrGetOpenGLGraphicsRequirementsKHR");
    XrGraphicsRequirementsOpenGLKHR requirements {XR_TYPE_GRAPHICS_REQUIREMENTS_OPENGL_KHR};
    r = requirementsOf ? requirementsOf(instance, system, &requirements) : XR_ERROR_FUNCTION_UNSUPPORTED;
    if (XR_FAILED(r)) {
        *failure = Failure::fromResult(r, "xrGetOpenGLGraphicsRequirementsKHR");
        return false;
    }
    const XrVersion have = XR_MAKE_VERSION(got.majorVersion(), got.minorVersion(), 0);
    if (have < requirements.minApiVersionSupported) {
        failure->result = XR_ERROR_GRAPHICS_DEVICE_INVALID;
        failure->message = "The headset's runtime needs OpenGL " + versionText(requirements.minApiVersionSupported)
            + " or later; this context is " + std::to_string(got.majorVersion()) + "." + std::to_string(got.minorVersion());
        return false;
    }
    ensureCurrent();

    XrSessionCreateInfo sessionInfo {XR_TYPE_SESSION_CREATE_INFO};
    sessionInfo.next = m_binding.sessionBinding();
    sessionInfo.systemId = system;
    r = xrCreateSession(instance, &sessionInfo, &m_session);
    ensureCurrent();
    if (XR_FAILED(r)) {
        m_session = XR_NULL_HANDLE;
        *failure = Failure::fromResult(r, "xrCreateSession");
        return false;
    }

    // The room: STAGE (the floor, shared by everyone in one room), LOCAL where there is none.
    r = xrEnumerateReferenceSpaces(m_session, 0, &count, nullptr);
    std::vector<XrReferenceSpaceType> spaces(count);
    if (XR_SUCCEEDED(r))
        r = xrEnumerateReferenceSpaces(m_session, count, &count, spaces.data());
    if (XR_FAILED(r)) {
        *failure = Failure::fromResult(r, "xrEnumerateReferenceSpaces");
        return false;
    }
    m_stage = std::find(spaces.begin(), spaces.end(), XR_REFERENCE_SPACE_TYPE_STAGE) != spaces.end();
    XrReferenceSpaceCreateInfo spaceInfo {XR_TYPE_REFERENCE_SPACE_CREATE_INFO};
    spaceInfo.referenceSpaceType = m_stage ? XR_REFERENCE_SPACE_TYPE_STAGE : XR_REFERENCE_SPACE_TYPE_LOCAL;
    spaceInfo.poseInReferenceSpace.orientation.w = 1.0f;
    r = xrCreateReferenceSpace(m_session, &spaceInfo, &m_baseSpace);
    if (XR_SUCCEEDED(r)) {
        spaceInfo.referenceSpaceType = XR_REFERENCE_SPACE_TYPE_VIEW;
        r = xrCreateReferenceSpace(m_session, &spaceInfo, &m_viewSpace);
    }
    if (XR_FAILED(r)) {
        *failure = Failure::fromResult(r, "xrCreateReferenceSpace");
        return false;
    }

    if (!createSwapchains(failure))
        return false;
    if (!m_input.create(*m_instance, m_session, failure))
        return false;

    m_renderer = std::make_unique<render::SceneRenderer>();
    if (!m_renderer->initialize()) {
        failure->message = "The headset's renderer cannot start: " + m_renderer->error();
        return false;
    }
    render::LabelOptions labels = m_renderer->labelOptions();
    labels.scale = m_options.labelScale;
    m_renderer->setLabelOptions(labels);
    m_gl->glGenFramebuffers(1, &m_framebuffer);
    publishState(VrState::Idle);
    return true;
}

bool FrameLoop::createSwapchains(Failure* failure)
{
    uint32_t count = 0;
    XrResult r = xrEnumerateSwapchainFormats(m_session, 0, &count, nullptr);
    std::vector<std::int64_t> formats(count);
    if (XR_SUCCEEDED(r))
        r = xrEnumerateSwapchainFormats(m_session, count, &count, formats.data());
    if (XR_FAILED(r)) {
        *failure = Failure::fromResult(r, "xrEnumerateSwapchainFormats");
        return false;
    }
    const std::optional<std::int64_t> color = pickColorFormat(formats);
    if (!color) {
        failure->result = XR_ERROR_SWAPCHAIN_FORMAT_UNSUPPORTED;
        failure->message = "The headset's runtime offers no RGBA colour format for OpenGL";
        return false;
    }
    if (*color != GL_SRGB8_ALPHA8)
        qWarning("VR: the runtime offers no sRGB swapchain: colours in the headset will look lighter than on the desktop");
    const std::optional<std::int64_t> depth =
        m_instance->enabled("XR_KHR_composition_layer_depth") ? pickDepthFormat(formats) : std::nullopt;
    m_depthLayers = depth.has_value();

    for (std::size_t i = 0; i < m_eyes.size(); ++i) {
        Eye& eye = m_eyes[i];
        eye.width = m_viewConfigurations[i].recommendedImageRectWidth;
        eye.height = m_viewConfigurations[i].recommendedImageRectHeight;
        r = eye.color.create(m_session, *color, eye.width, eye.height, false);
        ensureCurrent();
        if (XR_SUCCEEDED(r) && depth) {
            r = eye.depth.create(m_session, *depth, eye.width, eye.height, true);
            ensureCurrent();
        }
        if (XR_FAILED(r)) {
            *failure = Failure::fromResult(r, "xrCreateSwapchain");
            return false;
        }
        if (!depth) {
            m_gl->glGenRenderbuffers(1, &eye.depthBuffer);
            m_gl->glBindRenderbuffer(GL_RENDERBUFFER, eye.depthBuffer);
            m_gl->glRenderbufferStorage(GL_RENDERBUFFER, GL_DEPTH_COMPONENT24, GLsizei(eye.width), GLsizei(eye.height));
            m_gl->glBindRenderbuffer(GL_RENDERBUFFER, 0);
        }
    }
    return true;
}

void FrameLoop::tearDown()
{
    m_input.destroy();
    if (m_context)
        ensureCurrent();
    for (Eye& eye : m_eyes) {
        eye.color.destroy();
        eye.depth.destroy();
        ensureCurrent();
        if (eye.depthBuffer && m_gl)
            m_gl->glDeleteRenderbuffers(1, &eye.depthBuffer);
        eye.depthBuffer = 0;
    }
    if (m_framebuffer && m_gl)
        m_gl->glDeleteFramebuffers(1, &m_framebuffer);
    m_framebuffer = 0;
    if (m_viewSpace)
        xrDestroySpace(m_viewSpace);
    if (m_baseSpace)
        xrDestroySpace(m_baseSpace);
    m_viewSpace = m_baseSpace = XR_NULL_HANDLE;
    if (m_session)
        xrDestroySession(m_session);
    m_session = XR_NULL_HANDLE;
    m_running = false;
    if (m_context) {
        ensureCurrent();
        m_renderer.reset(); // its GL objects go while their context is current
        m_gl.reset();       // before the context: it holds the context's function tables
        m_context->doneCurrent();
        m_context.reset();
    }
}

void FrameLoop::takeInbox()
{
    std::vector<std::function<void(FrameLoop&)>> work;
    {
        std::lock_guard lock(m_shared.mutex);
        work.swap(m_shared.inbox);
    }
    for (auto& w : work)
        w(*this);
}

void FrameLoop::pollEvents()
{
    XrEventDataBuffer event {XR_TYPE_EVENT_DATA_BUFFER};
    while (!m_done) {
        event = {XR_TYPE_EVENT_DATA_BUFFER};
        const XrResult r = xrPollEvent(m_instance->handle(), &event);
        if (r == XR_EVENT_UNAVAILABLE)
            break;
        if (XR_FAILED(r)) {
            fail(r, "xrPollEvent");
            break;
        }
        switch (event.type) {
        case XR_TYPE_EVENT_DATA_SESSION_STATE_CHANGED: {
            const auto& e = reinterpret_cast<const XrEventDataSessionStateChanged&>(event);
            if (e.session == m_session)
                onSessionState(e.state);
            break;
        }
        case XR_TYPE_EVENT_DATA_INSTANCE_LOSS_PENDING:
            fail(XR_ERROR_INSTANCE_LOST, "xrPollEvent");
            break;
        case XR_TYPE_EVENT_DATA_INTERACTION_PROFILE_CHANGED:
            m_input.refreshProfiles();
            break;
        default: break; // reference space changes, lost events: nothing to do
        }
    }
}

void FrameLoop::onSessionState(XrSessionState state)
{
    m_sessionState = state;
    publishState(toVrState(state));
    switch (state) {
    case XR_SESSION_STATE_READY: {
        XrSessionBeginInfo info {XR_TYPE_SESSION_BEGIN_INFO};
        info.primaryViewConfigurationType = XR_VIEW_CONFIGURATION_TYPE_PRIMARY_STEREO;
        const XrResult r = xrBeginSession(m_session, &info);
        ensureCurrent();
        if (XR_FAILED(r))
            fail(r, "xrBeginSession");
        else
            m_running = true;
        break;
    }
    case XR_SESSION_STATE_STOPPING: {
        const XrResult r = xrEndSession(m_session);
        ensureCurrent();
        m_running = false;
        if (XR_FAILED(r))
            fail(r, "xrEndSession");
        break;
    }
    case XR_SESSION_STATE_EXITING:
        // Asked for (stop()), or the user quit from the runtime: not a failure either way.
        m_done = true;
        break;
    case XR_SESSION_STATE_LOSS_PENDING:
        // The session cannot come back: clean up and say so, rather than trying again and again.
        m_failure = Failure::fromResult(XR_ERROR_SESSION_LOST, "xrPollEvent");
        m_failure.call.clear();
        m_failure.message += " (XR_SESSION_STATE_LOSS_PENDING)";
        m_done = true;
        break;
    default: break; // IDLE, SYNCHRONIZED, VISIBLE, FOCUSED: the frame loop reads the state
    }
}

std::optional<Pose> FrameLoop::locate(XrSpace space, XrTime time) const
{
    XrSpaceLocation location {XR_TYPE_SPACE_LOCATION};
    if (XR_FAILED(xrLocateSpace(space, m_baseSpace, time, &location)))
        return std::nullopt;
    const XrSpaceLocationFlags needed = XR_SPACE_LOCATION_POSITION_VALID_BIT | XR_SPACE_LOCATION_ORIENTATION_VALID_BIT;
    if ((location.locationFlags & needed) != needed)
        return std::nullopt;
    return toPose(location.pose);
}

bool FrameLoop::frame()
{
    XrFrameWaitInfo waitInfo {XR_TYPE_FRAME_WAIT_INFO};
    XrFrameState frameState {XR_TYPE_FRAME_STATE};
    XrResult r = xrWaitFrame(m_session, &waitInfo, &frameState);
    if (XR_FAILED(r)) {
        fail(r, "xrWaitFrame");
        return false;
    }
    const std::int64_t cpuStart = threadCpuNs();
    const std::int64_t wallStart = steadyNs();
    m_renderCpuNs = 0;
    XrFrameBeginInfo beginInfo {XR_TYPE_FRAME_BEGIN_INFO};
    r = xrBeginFrame(m_session, &beginInfo);
    ensureCurrent();
    if (XR_FAILED(r)) {
        fail(r, "xrBeginFrame");
        return false;
    }
    takeInbox();
    ++m_frames;

    // Everything is located for the time the frame will be shown.
    const XrTime time = frameState.predictedDisplayTime;
    TrackedPoses poses;
    poses.frame = m_frames;
    poses.displayTime = time;
    poses.head = locate(m_viewSpace, time);
    const std::array<HandInput, 2> hands =
        m_input.read(time, m_baseSpace, m_sessionState == XR_SESSION_STATE_FOCUSED);
    ensureCurrent();
    poses.sampledAtNs = steadyNs();
    VrInteraction::Input input;
    input.hands = hands;
    input.head = poses.head;
    input.seconds = m_lastDisplayTime ? float(double(time - m_lastDisplayTime) / 1e9) : 0.0f;
    m_lastDisplayTime = time;
    m_interaction.update(input, m_scene, m_pick, m_events);
    poses.left = hands[0].grip;
    poses.right = hands[1].grip;
    poses.placement = m_interaction.placement();
    poses.stage = m_stage;
    updateOverlay(hands);

    std::array<XrCompositionLayerProjectionView, 2> views {};
    std::array<XrCompositionLayerDepthInfoKHR, 2> depths {};
    const bool rendered = frameState.shouldRender && renderViews(frameState.predictedDisplayTime, views, depths);
    if (m_done)
        return false;

    XrCompositionLayerProjection layer {XR_TYPE_COMPOSITION_LAYER_PROJECTION};
    layer.space = m_baseSpace;
    layer.viewCount = uint32_t(views.size());
    layer.views = views.data();
    const XrCompositionLayerBaseHeader* layers[] = {reinterpret_cast<const XrCompositionLayerBaseHeader*>(&layer)};
    XrFrameEndInfo endInfo {XR_TYPE_FRAME_END_INFO};
    endInfo.displayTime = frameState.predictedDisplayTime;
    endInfo.environmentBlendMode = m_blendMode;
    endInfo.layerCount = rendered ? 1 : 0;
    endInfo.layers = layers;
    r = xrEndFrame(m_session, &endInfo);
    ensureCurrent();
    if (XR_FAILED(r)) {
        fail(r, "xrEndFrame");
        return false;
    }
    FrameTiming timing;
    timing.cpuMs = double(threadCpuNs() - cpuStart) / 1e6;
    timing.renderCpuMs = double(m_renderCpuNs) / 1e6;
    timing.wallMs = double(steadyNs() - wallStart) / 1e6;
    timing.rendered = rendered;
    publishFrame(poses, timing);
    return true;
}

bool FrameLoop::renderViews(XrTime time, std::array<XrCompositionLayerProjectionView, 2>& views,
                            std::array<XrCompositionLayerDepthInfoKHR, 2>& depths)
{
    XrViewLocateInfo locateInfo {XR_TYPE_VIEW_LOCATE_INFO};
    locateInfo.viewConfigurationType = XR_VIEW_CONFIGURATION_TYPE_PRIMARY_STEREO;
    locateInfo.displayTime = time;
    locateInfo.space = m_baseSpace;
    XrViewState viewState {XR_TYPE_VIEW_STATE};
    std::array<XrView, 2> located {{{XR_TYPE_VIEW}, {XR_TYPE_VIEW}}};
    uint32_t count = 0;
    XrResult r = xrLocateViews(m_session, &locateInfo, &viewState, uint32_t(located.size()), &count, located.data());
    ensureCurrent();
    if (XR_FAILED(r)) {
        fail(r, "xrLocateViews");
        return false;
    }
    const XrViewStateFlags needed = XR_VIEW_STATE_POSITION_VALID_BIT | XR_VIEW_STATE_ORIENTATION_VALID_BIT;
    if (count != 2 || (viewState.viewStateFlags & needed) != needed)
        return false; // nothing to show where the head is not known: submit no layer

    const std::int64_t uploadStart = threadCpuNs();
    m_renderer->upload(m_scene);
    m_renderCpuNs += threadCpuNs() - uploadStart;

    for (std::size_t i = 0; i < 2; ++i) {
        Eye& eye = m_eyes[i];
        std::uint32_t colorTexture = 0;
        std::uint32_t depthTexture = 0;
        r = eye.color.acquire(&colorTexture);
        ensureCurrent();
        if (XR_SUCCEEDED(r) && m_depthLayers) {
            r = eye.depth.acquire(&depthTexture);
            ensureCurrent();
        }
        if (XR_FAILED(r)) {
            fail(r, "xrAcquireSwapchainImage");
            return false;
        }
        m_gl->glBindFramebuffer(GL_FRAMEBUFFER, m_framebuffer);
        m_gl->glFramebufferTexture2D(GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_TEXTURE_2D, colorTexture, 0);
        if (m_depthLayers)
            m_gl->glFramebufferTexture2D(GL_FRAMEBUFFER, GL_DEPTH_ATTACHMENT, GL_TEXTURE_2D, depthTexture, 0);
        else
            m_gl->glFramebufferRenderbuffer(GL_FRAMEBUFFER, GL_DEPTH_ATTACHMENT, GL_RENDERBUFFER, eye.depthBuffer);
        const bool complete = m_gl->glCheckFramebufferStatus(GL_FRAMEBUFFER) == GL_FRAMEBUFFER_COMPLETE;
        if (complete) {
            // sRGB-encoded colours are stored as they are (see pickColorFormat).
            m_gl->glDisable(GL_FRAMEBUFFER_SRGB);
            const std::int64_t renderStart = threadCpuNs();
            m_renderer->render(eyeView(located[i]),
                               render::RenderTarget {m_framebuffer, 0, 0, int(eye.width), int(eye.height)});
            m_renderCpuNs += threadCpuNs() - renderStart;
        }
        m_gl->glFramebufferTexture2D(GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_TEXTURE_2D, 0, 0);
        m_gl->glFramebufferTexture2D(GL_FRAMEBUFFER, GL_DEPTH_ATTACHMENT, GL_TEXTURE_2D, 0, 0);
        m_gl->glFramebufferRenderbuffer(GL_FRAMEBUFFER, GL_DEPTH_ATTACHMENT, GL_RENDERBUFFER, 0);
        m_gl->glBindFramebuffer(GL_FRAMEBUFFER, 0);
        r = eye.color.release();
        ensureCurrent();
        if (XR_SUCCEEDED(r) && m_depthLayers) {
            r = eye.depth.release();
            ensureCurrent();
        }
        if (XR_FAILED(r)) {
            fail(r, "xrReleaseSwapchainImage");
            return false;
        }
        if (!complete) {
            m_failure.message = "The headset's framebuffer is incomplete";
            m_done = true;
            return false;
        }

        XrCompositionLayerProjectionView& v = views[i];
        v = {XR_TYPE_COMPOSITION_LAYER_PROJECTION_VIEW};
        v.pose = located[i].pose;
        v.fov = located[i].fov;
        v.subImage.swapchain = eye.color.handle();
        v.subImage.imageRect.extent = {int32_t(eye.width), int32_t(eye.height)};
        if (m_depthLayers) {
            XrCompositionLayerDepthInfoKHR& d = depths[i];
            d = {XR_TYPE_COMPOSITION_LAYER_DEPTH_INFO_KHR};
            d.subImage.swapchain = eye.depth.handle();
            d.subImage.imageRect.extent = {int32_t(eye.width), int32_t(eye.height)};
            d.minDepth = 0.0f;
            d.maxDepth = 1.0f;
            // The projection's planes in metres of the room (eyeView() has them in graph units).
            const glm::vec3 eyeInGraph = m_interaction.placement().toGraph(toPose(located[i].pose).position);
            d.nearZ = NearMetres;
            d.farZ = farPlane(eyeInGraph) / m_interaction.placement().scale;
            v.next = &d;
        }
    }
    return true;
}

float FrameLoop::farPlane(glm::vec3 eye) const
{
    // Far enough for the whole graph wherever the user stands in it.
    return std::max(FarMetres * m_interaction.placement().scale,
                    glm::distance(eye, m_bounds.center) + 2.0f * m_bounds.radius);
}

void FrameLoop::updateOverlay(const std::array<HandInput, 2>& hands)
{
    // The outlines: the caller's (selections), with this headset's hover (the aim ray).
    const std::optional<EntityId> hover = m_interaction.hovered();
    if (m_highlightsChanged || hover != m_shownHover) {
        render::Highlights h = m_overlay.highlights;
        h.hoveredNode = hover;
        m_renderer->setHighlights(std::move(h));
        render::LabelHighlights labels;
        labels.selected = m_overlay.highlights.selected;
        labels.hovered = hover.value_or(EntityId {});
        m_renderer->setLabelHighlights(std::move(labels));
        m_shownHover = hover;
        m_highlightsChanged = false;
    }
    if (m_overlayChanged) {
        m_renderer->setTextItems(m_overlay.textItems);
        render::LabelOptions options = m_renderer->labelOptions();
        options.nodeLabels = m_overlay.nodeLabels;
        m_renderer->setLabelOptions(options);
    }
    // The others, and this user's own hands where they are (they move every frame).
    const bool ownHands = hands[0].grip || hands[1].grip;
    if (m_overlayChanged || ownHands || m_ownHandsShown) {
        std::vector<render::Avatar> avatars = m_overlay.avatars;
        if (ownHands) {
            const Placement& p = m_interaction.placement();
            render::Avatar self;
            auto place = [&](const Pose& room) {
                const Pose g = p.toGraph(room);
                return render::Avatar::Pose {g.position, g.orientation};
            };
            if (hands[0].grip)
                self.leftHand = place(*hands[0].grip);
            if (hands[1].grip)
                self.rightHand = place(*hands[1].grip);
            self.scale = p.scale;
            avatars.push_back(std::move(self));
        }
        m_renderer->setAvatars(std::move(avatars));
        m_ownHandsShown = ownHands;
    }
    m_overlayChanged = false;
}

render::View FrameLoop::eyeView(const XrView& view) const
{
    // The view is rigid, in graph units: the eyes' distance scales with the graph (a giant
    // looking at a small graph, or an ant in a large one), as the projection's planes do.
    const Placement& placement = m_interaction.placement();
    const Pose eye = placement.toGraph(toPose(view.pose));
    const float near = NearMetres * placement.scale;
    const float far = farPlane(eye.position);
    render::View v;
    v.view = glm::inverse(eye.matrix());
    v.projection = glm::frustum(std::tan(view.fov.angleLeft) * near, std::tan(view.fov.angleRight) * near,
                                std::tan(view.fov.angleDown) * near, std::tan(view.fov.angleUp) * near, near, far);
    return v;
}

void FrameLoop::publishState(VrState state)
{
    std::lock_guard lock(m_shared.mutex);
    if (m_shared.state == state)
        return;
    m_shared.state = state;
    m_shared.states.push_back(state);
    m_shared.notify();
}

void FrameLoop::publishEvents()
{
    if (m_events.empty())
        return;
    std::lock_guard lock(m_shared.mutex);
    m_shared.events.insert(m_shared.events.end(), m_events.begin(), m_events.end());
    m_events.clear();
    m_shared.notify();
}

void FrameLoop::publishFrame(const TrackedPoses& poses, const FrameTiming& timing)
{
    std::vector<std::string> messages = m_instance->takeMessages();
    std::lock_guard lock(m_shared.mutex);
    m_shared.events.insert(m_shared.events.end(), m_events.begin(), m_events.end());
    m_events.clear();
    m_shared.poses = poses;
    m_shared.posesChanged = true;
    m_shared.timings.push_back(timing);
    if (m_shared.timings.size() > VrShared::MaxTimings)
        m_shared.timings.pop_front();
    for (std::string& m : messages)
        m_shared.messages.push_back(std::move(m));
    m_shared.notify();
}

// ---- posted work --------------------------------------------------------------------------

void FrameLoop::replaceScene(render::RenderScene scene)
{
    m_scene = std::move(scene);
    m_scene.markAllChanged(); // a new scene for this renderer: all of it goes up
    m_bounds = m_scene.bounds();
    if (!m_placementChosen) {
        m_interaction.setPlacement(Placement::facing(m_bounds));
        m_placementChosen = true;
    }
    m_interaction.sceneChanged(m_scene, m_events);
}

void FrameLoop::movePositions(const std::vector<std::pair<EntityId, glm::vec3>>& positions)
{
    m_scene.overridePositions(positions);
    m_interaction.sceneChanged(m_scene, m_events); // what a hand holds stays in the hand
}

void FrameLoop::setOverlay(VrOverlay overlay)
{
    // Outlines are rebuilt only when they change (a large selection is costly to redo);
    // avatars and nameplates move with the others and are taken every time.
    const render::Highlights& a = m_overlay.highlights;
    const render::Highlights& b = overlay.highlights;
    bool same = a.selected == b.selected && a.remote.size() == b.remote.size() && a.hoveredEdge == b.hoveredEdge;
    for (std::size_t i = 0; same && i < a.remote.size(); ++i)
        same = a.remote[i].color == b.remote[i].color && a.remote[i].ids == b.remote[i].ids;
    m_highlightsChanged = m_highlightsChanged || !same;
    m_overlay = std::move(overlay);
    m_overlayChanged = true;
}

void FrameLoop::setEditable(bool editable)
{
    m_interaction.setEditable(editable, m_events);
}

void FrameLoop::setPlacement(const Placement& placement)
{
    m_interaction.setPlacement(placement);
    m_placementChosen = true;
}

} // namespace constellate::xr
