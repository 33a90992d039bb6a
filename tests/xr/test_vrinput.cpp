// Input through OpenXR actions, played by the test runtime's scripted controllers and hands
// (with Khronos' core validation layer): the suggested bindings are accepted for Oculus
// Touch, Valve Index and the KHR simple controller; a squeeze grabs and moves a node; the
// trigger selects what the aim ray points at; a pinch grabs with tracked hands; nothing
// happens while the session is not focused.

#include "graphdocument.h"
#include "vrsession.h"
#include "xrtestsupport.h"

#include <QOffscreenSurface>
#include <QOpenGLContext>
#include <QSurfaceFormat>

#include <gtest/gtest.h>

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

struct Grab {
    VrEvent::Kind kind;
    Hand hand;
    EntityId node;
    glm::vec3 position;
};

class VrInputTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        QSurfaceFormat format;
        format.setVersion(3, 3);
        format.setProfile(QSurfaceFormat::CoreProfile);
        m_viewContext.setFormat(format);
        ASSERT_TRUE(m_viewContext.create()) << "no OpenGL: run under xvfb-run";
        QObject::connect(&m_session, &VrSession::grabStarted, [this](Hand h, EntityId n) {
            m_grabs.push_back({VrEvent::Kind::GrabStarted, h, n, {}});
        });
        QObject::connect(&m_session, &VrSession::grabMoved, [this](Hand h, EntityId n, glm::vec3 p) {
            m_grabs.push_back({VrEvent::Kind::GrabMoved, h, n, p});
        });
        QObject::connect(&m_session, &VrSession::grabEnded, [this](Hand h, EntityId n, glm::vec3 p) {
            m_grabs.push_back({VrEvent::Kind::GrabEnded, h, n, p});
        });
        QObject::connect(&m_session, &VrSession::selectRequested,
                         [this](std::optional<EntityId> n, bool add) { m_selects.emplace_back(n, add); });
        QObject::connect(&m_session, &VrSession::ended, [this](const QString& r) {
            m_ended = true;
            m_reason = r;
        });
    }
    void TearDown() override
    {
        if (m_session.isActive()) {
            m_session.stop();
            waitFor([&] { return !m_session.isActive(); });
        }
    }

    EntityId addNode(Vec3 position, double size = 0.05)
    {
        TransactionBuilder t = m_doc.begin();
        const EntityId id = t.createNode({{ref(Field::Position), Value(position)}, {ref(Field::Size), Value(size)}});
        m_doc.commit(t);
        return id;
    }

    /// Starts with the room at the graph's origin, one unit per metre, and waits for focus.
    bool startFocused()
    {
        VrSessionOptions options;
        options.shareContext = &m_viewContext;
        options.placement = Placement {};
        QString error;
        if (!m_session.start(options, &error)) {
            ADD_FAILURE() << error.toStdString();
            return false;
        }
        m_session.resetScene(m_doc);
        return waitFor([&] { return m_session.state() == VrState::Focused || m_ended; })
            && m_session.state() == VrState::Focused;
    }

    bool grabbed(VrEvent::Kind kind)
    {
        return waitFor([&] {
            return std::any_of(m_grabs.begin(), m_grabs.end(), [&](const Grab& g) { return g.kind == kind; });
        });
    }
    const Grab& last(VrEvent::Kind kind) const
    {
        return *std::find_if(m_grabs.rbegin(), m_grabs.rend(), [&](const Grab& g) { return g.kind == kind; });
    }

    QOpenGLContext m_viewContext;
    GraphDocument m_doc {0x61, 0x88};
    VrSession m_session;
    std::vector<Grab> m_grabs;
    std::vector<std::pair<std::optional<EntityId>, bool>> m_selects;
    bool m_ended = false;
    QString m_reason;
};

void expectNear(glm::vec3 a, glm::vec3 b, float tolerance = 1e-4f)
{
    EXPECT_NEAR(a.x, b.x, tolerance);
    EXPECT_NEAR(a.y, b.y, tolerance);
    EXPECT_NEAR(a.z, b.z, tolerance);
}

} // namespace

TEST_F(VrInputTest, TheBindingsAreAcceptedForEveryController)
{
    for (const char* profile : {"oculus", "index", "simple"}) {
        SCOPED_TRACE(profile);
        TestRuntime runtime(std::string("profile=") + profile);
        ASSERT_TRUE(startFocused()) << m_reason.toStdString();
        m_session.stop();
        ASSERT_TRUE(waitFor([&] { return m_ended; }));
        m_ended = false;
        const auto suggested = runtime.record("suggestBindings");
        ASSERT_EQ(suggested.size(), 3u);
        for (const RecordLine& l : suggested)
            EXPECT_FALSE(l.has("error")) << l.text;
        const auto attached = runtime.record("attachActionSets");
        ASSERT_EQ(attached.size(), 1u);
        const std::string expected = std::string(profile) == "oculus" ? "/interaction_profiles/oculus/touch_controller"
            : std::string(profile) == "index"                         ? "/interaction_profiles/valve/index_controller"
                                                                      : "/interaction_profiles/khr/simple_controller";
        EXPECT_EQ(attached[0]["profile"], expected);
        EXPECT_EQ(runtime.record("createHandTracker").size(), 2u);
        EXPECT_EQ(runtime.record("createActionSpace").size(), 4u); // grip and aim, per hand
        EXPECT_TRUE(runtime.validationReport().isEmpty()) << runtime.validationReport().toStdString();
    }
}

TEST_F(VrInputTest, ASqueezeGrabsMovesAndReleasesANode)
{
    TestRuntime runtime;
    const EntityId node = addNode({0.2f, 1.2f, -0.5f});
    runtime.script("grip right 0.2 1.2 -0.5");
    ASSERT_TRUE(startFocused()) << m_reason.toStdString();
    runtime.script("squeeze right 1");
    ASSERT_TRUE(grabbed(VrEvent::Kind::GrabStarted));
    EXPECT_EQ(last(VrEvent::Kind::GrabStarted).node, node);
    EXPECT_EQ(last(VrEvent::Kind::GrabStarted).hand, Hand::Right);
    runtime.script("grip right 0.4 1.3 -0.6");
    ASSERT_TRUE(waitFor([&] {
        return grabbed(VrEvent::Kind::GrabMoved) && last(VrEvent::Kind::GrabMoved).position.x > 0.39f;
    }));
    runtime.script("squeeze right 0");
    ASSERT_TRUE(grabbed(VrEvent::Kind::GrabEnded));
    EXPECT_EQ(last(VrEvent::Kind::GrabEnded).node, node);
    expectNear(last(VrEvent::Kind::GrabEnded).position, {0.4f, 1.3f, -0.6f});
    // The poses of the frame carry the hand where the runtime has it.
    ASSERT_TRUE(m_session.poses() && m_session.poses()->right);
    expectNear(m_session.poses()->right->position, {0.4f, 1.3f, -0.6f});
    EXPECT_TRUE(runtime.validationReport().isEmpty()) << runtime.validationReport().toStdString();
}

TEST_F(VrInputTest, TheTriggerSelectsWhatTheRayPointsAt)
{
    TestRuntime runtime;
    const EntityId node = addNode({0.0f, 1.2f, -2.0f}, 0.2);
    runtime.script("aim right 0 1.2 -0.3");
    ASSERT_TRUE(startFocused()) << m_reason.toStdString();
    runtime.script("trigger right 1");
    ASSERT_TRUE(waitFor([&] { return !m_selects.empty(); }));
    EXPECT_EQ(m_selects[0].first, node);
    EXPECT_FALSE(m_selects[0].second);
    runtime.script("trigger right 0\nbutton right a 1"); // A: add to the selection
    ASSERT_TRUE(waitFor([&] { return m_selects.size() >= 2; }));
    EXPECT_EQ(m_selects[1].first, node);
    EXPECT_TRUE(m_selects[1].second);
}

TEST_F(VrInputTest, APinchGrabsWithTrackedHands)
{
    TestRuntime runtime;
    const EntityId node = addNode({0.2f, 1.2f, -0.5f});
    // The controller put down; the hand's fingertips meet 5 cm ahead of its palm.
    runtime.script("tracked right off\nhand right 0.2 1.2 -0.45 pinch 0");
    ASSERT_TRUE(startFocused()) << m_reason.toStdString();
    ASSERT_TRUE(waitFor([&] { return m_session.poses() && m_session.poses()->right; }));
    expectNear(m_session.poses()->right->position, {0.2f, 1.2f, -0.5f});
    runtime.script("hand right 0.2 1.2 -0.45 pinch 1");
    ASSERT_TRUE(grabbed(VrEvent::Kind::GrabStarted));
    EXPECT_EQ(last(VrEvent::Kind::GrabStarted).node, node);
    runtime.script("hand right 0.2 1.2 -0.45 pinch 0");
    ASSERT_TRUE(grabbed(VrEvent::Kind::GrabEnded));
}

TEST_F(VrInputTest, TheSimpleControllersButtonGrabs)
{
    TestRuntime runtime("profile=simple");
    const EntityId node = addNode({0.2f, 1.2f, -0.5f});
    runtime.script("grip right 0.2 1.2 -0.5");
    ASSERT_TRUE(startFocused()) << m_reason.toStdString();
    runtime.script("trigger right 1"); // select/click
    ASSERT_TRUE(grabbed(VrEvent::Kind::GrabStarted));
    EXPECT_EQ(last(VrEvent::Kind::GrabStarted).node, node);
}

TEST_F(VrInputTest, NothingIsGrabbedWhileTheSessionIsNotFocused)
{
    TestRuntime runtime;
    addNode({0.2f, 1.2f, -0.5f});
    runtime.script("grip right 0.2 1.2 -0.5");
    ASSERT_TRUE(startFocused()) << m_reason.toStdString();
    runtime.script("unfocus\nsqueeze right 1");
    ASSERT_TRUE(waitFor([&] { return m_session.state() == VrState::Visible; }));
    // Some frames while visible but not focused: the squeeze belongs to whoever has focus.
    const std::size_t frames = runtime.record("endFrame").size();
    ASSERT_TRUE(waitFor([&] { return runtime.record("endFrame").size() >= frames + 10; }));
    EXPECT_TRUE(m_grabs.empty());
    runtime.script("focus");
    ASSERT_TRUE(grabbed(VrEvent::Kind::GrabStarted));
}
