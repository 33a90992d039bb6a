// A VR session through the real Khronos loader and our test runtime, with Khronos' core
// validation layer on: the session's lifecycle in order; both eyes drawn by SceneRenderer
// into the runtime's GL swapchain images and submitted with the predicted display time; the
// runtime unfocusing, stopping and resuming the session; a lost session cleaned up and not
// retried on its own; no stage; no runtime. GL under Xvfb (Mesa llvmpipe), as tests/render.

#include "graphdocument.h"
#include "vrsession.h"
#include "xrtestsupport.h"

#include <QOffscreenSurface>
#include <QOpenGLContext>
#include <QSurfaceFormat>

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <cmath>

using namespace constellate;
using namespace constellate::xr;
using constellate::xr::test::RecordLine;
using constellate::xr::test::TestRuntime;
using constellate::xr::test::waitFor;

namespace {

FieldRef ref(Field f)
{
    return {f, {}};
}

EntityId addNode(GraphDocument& doc, Vec3 position, Rgba color = 0xe04040ff)
{
    TransactionBuilder t = doc.begin();
    const EntityId id = t.createNode({{ref(Field::Position), Value(position)},
                                      {ref(Field::Color), Value::color(color)},
                                      {ref(Field::Size), Value(0.6)}});
    doc.commit(t);
    return id;
}

void moveNode(GraphDocument& doc, EntityId id, Vec3 position)
{
    TransactionBuilder t = doc.begin();
    doc.set(t, id, ref(Field::Position), Value(position));
    doc.commit(t);
}

class VrSessionTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        // The editor view's context, which the XR thread's context shares with.
        QSurfaceFormat format;
        format.setVersion(3, 3);
        format.setProfile(QSurfaceFormat::CoreProfile);
        m_viewContext.setFormat(format);
        ASSERT_TRUE(m_viewContext.create()) << "no OpenGL: run under xvfb-run";
        // A small graph: a ring of nodes with edges, 2 units across.
        for (int i = 0; i < 8; ++i) {
            const float a = float(i) * 0.785398f;
            m_nodes.push_back(addNode(m_doc, Vec3 {2.0f * std::cos(a), 2.0f * std::sin(a), 0.0f}));
        }
        TransactionBuilder t = m_doc.begin();
        for (std::size_t i = 0; i < m_nodes.size(); ++i)
            t.createEdge(m_nodes[i], m_nodes[(i + 1) % m_nodes.size()], false, {});
        m_doc.commit(t);

        QObject::connect(&m_session, &VrSession::stateChanged, [this](VrState s) { m_states.push_back(s); });
        QObject::connect(&m_session, &VrSession::ended, [this](const QString& reason) {
            m_ended = true;
            m_reason = reason;
        });
    }

    void TearDown() override
    {
        if (m_session.isActive()) {
            m_session.stop();
            waitFor([&] { return !m_session.isActive(); });
        }
    }

    bool start()
    {
        m_ended = false;
        m_reason.clear();
        m_states.clear();
        VrSessionOptions options;
        options.shareContext = &m_viewContext;
        options.applicationName = "test_vrsession";
        m_session.resetScene(m_doc);
        QString error;
        const bool ok = m_session.start(options, &error);
        EXPECT_TRUE(ok) << error.toStdString();
        m_session.resetScene(m_doc);
        return ok;
    }

    bool reach(VrState state)
    {
        return waitFor([&] { return m_session.state() == state || m_ended; }) && m_session.state() == state;
    }

    bool stopAndWait()
    {
        m_session.stop();
        return waitFor([&] { return m_ended; });
    }

    /// Until the runtime has recorded `count` frames with a layer since the call.
    static bool framesSubmitted(const TestRuntime& runtime, std::size_t count)
    {
        return waitFor([&] {
            const auto frames = runtime.record("endFrame");
            return std::count_if(frames.begin(), frames.end(), [](const RecordLine& l) { return l["layers"] == "1"; })
                >= std::ptrdiff_t(count);
        });
    }

    QOffscreenSurface m_surface;
    QOpenGLContext m_viewContext;
    GraphDocument m_doc {0x51, 0x77};
    std::vector<EntityId> m_nodes;
    VrSession m_session;
    std::vector<VrState> m_states;
    bool m_ended = false;
    QString m_reason;
};

/// The record's lifecycle events: calls and states, without the per-frame calls and input
/// (actions and hand trackers: test_vrinput).
std::vector<std::string> lifecycle(const TestRuntime& runtime)
{
    std::vector<std::string> out;
    const std::set<std::string> skipped {"waitFrame", "beginFrame", "endFrame", "locateViews", "script", "negotiate",
                                         "createActionSet", "createAction", "suggestBindings", "createActionSpace",
                                         "attachActionSets", "createHandTracker"};
    for (const RecordLine& l : runtime.record()) {
        if (skipped.count(l.event))
            continue;
        if (l.event == "state")
            out.push_back("state " + l.text.substr(6));
        else if (l.event == "createReferenceSpace")
            out.push_back(l.event + " " + l["type"]);
        else
            out.push_back(l.event);
    }
    return out;
}

} // namespace

TEST_F(VrSessionTest, TheSessionGoesThroughItsLifecycleInOrder)
{
    TestRuntime runtime;
    ASSERT_TRUE(start());
    ASSERT_TRUE(reach(VrState::Focused)) << m_reason.toStdString();
    EXPECT_EQ(m_session.runtimeName(), QStringLiteral("Constellate test runtime"));
    EXPECT_EQ(m_session.systemName(), QStringLiteral("Constellate Test HMD"));
    ASSERT_TRUE(framesSubmitted(runtime, 3));
    ASSERT_TRUE(stopAndWait());
    EXPECT_TRUE(m_reason.isEmpty()) << m_reason.toStdString();
    EXPECT_FALSE(m_session.isActive());

    const std::vector<std::string> expected {
        "createInstance", "getSystem", "graphicsRequirements", // the requirements before the session
        "createSession", "state XR_SESSION_STATE_IDLE", "state XR_SESSION_STATE_READY",
        "createReferenceSpace STAGE", "createReferenceSpace VIEW",
        "createSwapchain", "createSwapchain", "createSwapchain", "createSwapchain", // colour and depth, per eye
        "beginSession", "state XR_SESSION_STATE_SYNCHRONIZED", "state XR_SESSION_STATE_VISIBLE",
        "state XR_SESSION_STATE_FOCUSED",
        "requestExitSession", "state XR_SESSION_STATE_VISIBLE", "state XR_SESSION_STATE_SYNCHRONIZED",
        "state XR_SESSION_STATE_STOPPING", "endSession", "state XR_SESSION_STATE_IDLE", "state XR_SESSION_STATE_EXITING",
        "destroySwapchain", "destroySwapchain", "destroySwapchain", "destroySwapchain", "destroySession",
        "destroyInstance"};
    EXPECT_EQ(lifecycle(runtime), expected);
    // The session was made with the XR thread's context current, the one in its binding.
    const auto created = runtime.record("createSession");
    ASSERT_EQ(created.size(), 1u);
    EXPECT_EQ(created[0]["contextCurrent"], "1");
    EXPECT_EQ(created[0]["drawableCurrent"], "1");

    // The caller heard every state, in order.
    const std::vector<VrState> states {VrState::Starting, VrState::Idle,    VrState::Ready,        VrState::Synchronized,
                                       VrState::Visible,  VrState::Focused, VrState::Visible,      VrState::Synchronized,
                                       VrState::Stopping, VrState::Idle,    VrState::Ending,       VrState::Off};
    EXPECT_EQ(m_states, states);
    EXPECT_TRUE(runtime.validationReport().isEmpty()) << runtime.validationReport().toStdString();
    EXPECT_TRUE(m_session.messages().isEmpty()) << m_session.messages().join('\n').toStdString();
}

TEST_F(VrSessionTest, BothEyesAreDrawnAndSubmittedForThePredictedDisplayTime)
{
    TestRuntime runtime("readback");
    // The head moves, so a view located for any other time than the frame's would differ.
    runtime.script("head 0 1.6 0 velocity 0.3 0 0");
    ASSERT_TRUE(start());
    ASSERT_TRUE(reach(VrState::Focused)) << m_reason.toStdString();
    ASSERT_TRUE(framesSubmitted(runtime, 10));
    ASSERT_TRUE(stopAndWait());
    EXPECT_TRUE(m_reason.isEmpty()) << m_reason.toStdString();

    std::string predicted; // of the last xrWaitFrame
    std::map<std::string, RecordLine> located; // locateViews by display time
    int submitted = 0;
    for (const RecordLine& l : runtime.record()) {
        if (l.event == "waitFrame") {
            predicted = l["predicted"];
        } else if (l.event == "locateViews") {
            located[l["time"]] = l;
        } else if (l.event == "endFrame") {
            ASSERT_FALSE(l.has("error")) << l.text;
            // Every frame is submitted for the display time its xrWaitFrame predicted.
            EXPECT_EQ(l["time"], predicted) << l.text;
            // The runtime left no context current in xrWaitFrame: the app made its own current again.
            EXPECT_EQ(l["contextCurrent"], "1") << l.text;
            if (l["layers"] != "1")
                continue;
            ++submitted;
            EXPECT_EQ(l["space"], "STAGE");
            EXPECT_EQ(l["views"], "2");
            // The views were located at that very time, and submitted as located.
            ASSERT_TRUE(located.count(l["time"])) << l.text;
            const RecordLine& views = located[l["time"]];
            EXPECT_EQ(views["space"], "STAGE");
            EXPECT_EQ(l["pose0"], views["pose0"]);
            EXPECT_EQ(l["pose1"], views["pose1"]);
            for (const char* eye : {"0", "1"}) {
                const std::string e(eye);
                EXPECT_EQ(l["format" + e], "0x8c43") << "not GL_SRGB8_ALPHA8: " << l.text;
                EXPECT_EQ(l["rect" + e], "0,0,160,144");
                EXPECT_TRUE(l.has("depth" + e)) << "no XR_KHR_composition_layer_depth info: " << l.text;
                // Something was drawn in both eyes.
                EXPECT_GT(std::stoi(l["pixels" + e]), 100) << l.text;
            }
            EXPECT_NE(l["swapchain0"], l["swapchain1"]);
            // Two eyes, two images: they see from different places.
            EXPECT_NE(l["hash0"], l["hash1"]) << l.text;
        }
    }
    EXPECT_GE(submitted, 10);
    // The caller got the frames' poses: the head where the runtime put it.
    ASSERT_TRUE(m_session.poses().has_value());
    ASSERT_TRUE(m_session.poses()->head.has_value());
    EXPECT_NEAR(m_session.poses()->head->position.y, 1.6f, 1e-4f);
    EXPECT_TRUE(m_session.poses()->stage);
    EXPECT_FALSE(m_session.frameTimings().empty());
    EXPECT_TRUE(runtime.validationReport().isEmpty()) << runtime.validationReport().toStdString();
}

TEST_F(VrSessionTest, TheSceneFollowsTheDocument)
{
    TestRuntime runtime("readback");
    runtime.script("tracked left off\ntracked right off"); // only the graph in view, no hands
    ASSERT_TRUE(start());
    ASSERT_TRUE(reach(VrState::Focused)) << m_reason.toStdString();
    auto lastPixels = [&] {
        const auto frames = runtime.record("endFrame");
        for (auto it = frames.rbegin(); it != frames.rend(); ++it)
            if ((*it)["layers"] == "1")
                return std::stoi((*it)["pixels0"]);
        return -1;
    };
    ASSERT_TRUE(waitFor([&] { return lastPixels() > 100; }));
    // Every node far behind the user: a move travels as positions, and nothing is in view.
    for (const EntityId id : m_nodes)
        moveNode(m_doc, id, Vec3 {0.0f, 0.0f, 500.0f});
    m_session.updateNodes(m_doc, m_nodes);
    ASSERT_TRUE(waitFor([&] { return lastPixels() == 0; })) << lastPixels();
    // Back again, and recoloured: a new scene travels.
    for (std::size_t i = 0; i < m_nodes.size(); ++i) {
        const float a = float(i) * 0.785398f;
        moveNode(m_doc, m_nodes[i], Vec3 {2.0f * std::cos(a), 2.0f * std::sin(a), 0.0f});
    }
    m_session.updateNodes(m_doc, m_nodes);
    ASSERT_TRUE(waitFor([&] { return lastPixels() > 100; })) << lastPixels();
}

TEST_F(VrSessionTest, TheRuntimeUnfocusesStopsAndResumesTheSession)
{
    TestRuntime runtime;
    ASSERT_TRUE(start());
    ASSERT_TRUE(reach(VrState::Focused)) << m_reason.toStdString();
    runtime.script("unfocus"); // a system menu over the app
    ASSERT_TRUE(reach(VrState::Visible));
    runtime.script("focus");
    ASSERT_TRUE(reach(VrState::Focused));
    runtime.script("stop"); // the headset taken off: the app ends its session and waits
    ASSERT_TRUE(reach(VrState::Idle));
    EXPECT_TRUE(m_session.isActive());
    EXPECT_EQ(runtime.record("endSession").size(), 1u);
    runtime.script("ready"); // and put on again
    ASSERT_TRUE(reach(VrState::Focused)) << m_reason.toStdString();
    EXPECT_EQ(runtime.record("beginSession").size(), 2u);
    ASSERT_TRUE(stopAndWait());
    EXPECT_TRUE(m_reason.isEmpty()) << m_reason.toStdString();
    EXPECT_EQ(runtime.record("endSession").size(), 2u);
    EXPECT_EQ(runtime.record("requestExitSession").size(), 1u);
    const std::vector<VrState> states {
        VrState::Starting, VrState::Idle,    VrState::Ready,    VrState::Synchronized, VrState::Visible,
        VrState::Focused,  VrState::Visible, VrState::Focused,  VrState::Visible,      VrState::Synchronized,
        VrState::Stopping, VrState::Idle,    VrState::Ready,    VrState::Synchronized, VrState::Visible,
        VrState::Focused,  VrState::Visible, VrState::Synchronized, VrState::Stopping, VrState::Idle,
        VrState::Ending,   VrState::Off};
    EXPECT_EQ(m_states, states);
    EXPECT_TRUE(runtime.validationReport().isEmpty()) << runtime.validationReport().toStdString();
}

TEST_F(VrSessionTest, TheRuntimeCanEndTheSession)
{
    TestRuntime runtime;
    ASSERT_TRUE(start());
    ASSERT_TRUE(reach(VrState::Focused)) << m_reason.toStdString();
    runtime.script("exit"); // the user quit from the runtime's own menu
    ASSERT_TRUE(waitFor([&] { return m_ended; }));
    EXPECT_TRUE(m_reason.isEmpty()) << m_reason.toStdString(); // not a failure
    EXPECT_TRUE(runtime.record("requestExitSession").empty());
    EXPECT_EQ(runtime.record("endSession").size(), 1u);
    EXPECT_EQ(runtime.record("destroySession").size(), 1u);
}

TEST_F(VrSessionTest, ALostSessionIsCleanedUpAndNotRetriedUntilAsked)
{
    TestRuntime runtime;
    ASSERT_TRUE(start());
    ASSERT_TRUE(reach(VrState::Focused)) << m_reason.toStdString();
    runtime.script("lose");
    ASSERT_TRUE(waitFor([&] { return m_ended; }));
    EXPECT_TRUE(m_reason.contains(QStringLiteral("session was lost"))) << m_reason.toStdString();
    EXPECT_EQ(m_session.state(), VrState::Off);
    // After the loss: at most the frame in flight, then everything torn down; nothing made again.
    const std::vector<RecordLine> record = runtime.record();
    const auto lost = std::find_if(record.begin(), record.end(), [](const RecordLine& l) {
        return l.event == "state" && l.text == "state XR_SESSION_STATE_LOSS_PENDING";
    });
    ASSERT_NE(lost, record.end());
    EXPECT_LE(std::count_if(lost, record.end(), [](const RecordLine& l) { return l.event == "waitFrame"; }), 1);
    EXPECT_EQ(std::count_if(lost, record.end(), [](const RecordLine& l) { return l.event == "createSession"; }), 0);
    EXPECT_EQ(std::count_if(lost, record.end(), [](const RecordLine& l) { return l.event == "destroySession"; }), 1);
    EXPECT_EQ(record.back().event, "destroyInstance");

    // The user may try again without restarting anything.
    ASSERT_TRUE(start());
    ASSERT_TRUE(reach(VrState::Focused)) << m_reason.toStdString();
    ASSERT_TRUE(stopAndWait());
    EXPECT_TRUE(m_reason.isEmpty()) << m_reason.toStdString();
}

TEST_F(VrSessionTest, WithoutAStageTheRoomIsTheLocalSpace)
{
    TestRuntime runtime("no-stage,no-depth");
    ASSERT_TRUE(start());
    ASSERT_TRUE(reach(VrState::Focused)) << m_reason.toStdString();
    ASSERT_TRUE(framesSubmitted(runtime, 2));
    ASSERT_TRUE(stopAndWait());
    const auto spaces = runtime.record("createReferenceSpace");
    ASSERT_EQ(spaces.size(), 2u);
    EXPECT_EQ(spaces[0]["type"], "LOCAL");
    for (const RecordLine& l : runtime.record("endFrame")) {
        if (l["layers"] != "1")
            continue;
        EXPECT_EQ(l["space"], "LOCAL");
        EXPECT_FALSE(l.has("depth0")) << "depth info without XR_KHR_composition_layer_depth: " << l.text;
    }
    ASSERT_TRUE(m_session.poses().has_value());
    EXPECT_FALSE(m_session.poses()->stage);
    EXPECT_EQ(runtime.record("createSwapchain").size(), 2u); // colour only
}

TEST_F(VrSessionTest, NoRuntimeEndsWithTheReasonAndALaterTryWorks)
{
    TestRuntime runtime;
    qputenv("XR_RUNTIME_JSON", runtime.directory().toUtf8() + "/missing.json");
    ASSERT_TRUE(start());
    ASSERT_TRUE(waitFor([&] { return m_ended; }));
    EXPECT_TRUE(m_reason.contains(QStringLiteral("No OpenXR runtime"))) << m_reason.toStdString();
    EXPECT_TRUE(m_reason.contains(QStringLiteral("XR_ERROR_RUNTIME_UNAVAILABLE"))) << m_reason.toStdString();
    EXPECT_EQ(m_session.state(), VrState::Off);

    qputenv("XR_RUNTIME_JSON", CONSTELLATE_XR_TEST_RUNTIME_JSON);
    ASSERT_TRUE(start());
    ASSERT_TRUE(reach(VrState::Focused)) << m_reason.toStdString();
    ASSERT_TRUE(stopAndWait());
    EXPECT_TRUE(m_reason.isEmpty()) << m_reason.toStdString();
}

TEST_F(VrSessionTest, NoHeadsetEndsWithTheReason)
{
    TestRuntime runtime("no-hmd");
    ASSERT_TRUE(start());
    ASSERT_TRUE(waitFor([&] { return m_ended; }));
    EXPECT_TRUE(m_reason.contains(QStringLiteral("No headset is connected"))) << m_reason.toStdString();
    EXPECT_TRUE(m_reason.contains(QStringLiteral("XR_ERROR_FORM_FACTOR_UNAVAILABLE"))) << m_reason.toStdString();
}
