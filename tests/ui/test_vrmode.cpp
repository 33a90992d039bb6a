// VR in the editor, end to end: an editor window joined to a room on the real server
// process (loopback, a port picked at run time) enters VR through View > Enter VR, with our
// OpenXR test runtime (tests/xr) playing a head and two controllers through the real
// Khronos loader and its core validation layer. A second client in the room (a plain
// net::SyncClient) sees the VR user's head and hands where the runtime put them (within the
// protocol's quantization), sees a scripted squeeze-and-move live while the node is held,
// and gets exactly one committed move when it is let go. Without a runtime, Enter VR says
// why and works later without a restart.

#include "editorsession.h"
#include "graphview.h"
#include "mainwindow.h"
#include "noticebar.h"
#include "presence.h"
#include "syncclient.h"
#include "testclient.h"
#include "vrmode.h"
#include "xrtestsupport.h"

#include <QAction>
#include <QApplication>
#include <QTemporaryDir>

#include <glm/gtc/quaternion.hpp>

#include <gtest/gtest.h>

#include <cmath>

using namespace constellate;
using namespace constellate::ui;
using constellate::test::ServerProcess;
using constellate::xr::test::TestRuntime;
using constellate::xr::test::waitFor;
namespace protocol = constellate::net::protocol;

namespace {

FieldRef ref(Field f)
{
    return {f, {}};
}

float distance(Vec3 a, Vec3 b)
{
    return std::sqrt((a.x - b.x) * (a.x - b.x) + (a.y - b.y) * (a.y - b.y) + (a.z - b.z) * (a.z - b.z));
}

Vec3 positionOf(const GraphDocument& doc, EntityId id)
{
    const GraphDocument::Entity* e = doc.entity(id);
    return e ? doc.position(*e) : Vec3 {};
}

class VrModeTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        ASSERT_TRUE(m_data.isValid());
        ASSERT_TRUE(m_server.start());
        const QUrl url = m_server.url(QStringLiteral("vr"));

        // The other client creates the room, with one node in it.
        net::SyncClientOptions o;
        o.url = url;
        o.displayName = "bea";
        o.createRoom = true;
        m_other = std::make_unique<net::SyncClient>(m_otherDoc, o);
        m_other->start();
        ASSERT_TRUE(waitFor([&] { return m_other->state() == net::SyncClient::State::Online; }));
        TransactionBuilder t = m_otherDoc.begin();
        m_node = t.createNode({{ref(Field::Position), Value(NodeAt)}, {ref(Field::Size), Value(0.05)}});
        m_other->commit(t);
        ASSERT_TRUE(waitFor([&] { return m_other->pendingCount() == 0; }));

        // The editor joins it.
        m_editor = std::make_unique<EditorSession>(Profile {0x7007, QStringLiteral("vera"), 0xe0a020ff});
        m_window = std::make_unique<MainWindow>(*m_editor);
        m_window->resize(800, 600);
        m_window->show();
        QString error;
        ASSERT_TRUE(m_editor->join(url, QString(), &error)) << error.toStdString();
        ASSERT_TRUE(waitFor([&] { return m_editor->document().isVisible(m_node); }));
        ASSERT_TRUE(waitFor([&] { return m_editor->client()->state() == net::SyncClient::State::Online; }));
        ASSERT_TRUE(waitFor([&] { return m_window->view()->isRendererStarted(); }));
        ASSERT_TRUE(waitFor([&] { return peerOfEditor().has_value(); }));

        QObject::connect(m_other.get(), &net::SyncClient::transactionApplied,
                         [this](const Transaction& applied, protocol::PeerIndex origin, quint64) {
                             if (origin == peerOfEditor())
                                 m_fromEditor.push_back(applied);
                         });
        ASSERT_NE(m_window->vrMode(), nullptr);
        QObject::connect(m_window->vrMode(), &VrMode::unavailable, [this](const QString& r) { m_unavailable = r; });
    }

    void TearDown() override
    {
        if (m_window && m_window->vrMode()->isActive()) {
            m_window->vrMode()->leave();
            waitFor([&] { return !m_window->vrMode()->isActive(); });
        }
        m_window.reset();
        m_editor.reset();
        m_other.reset();
    }

    std::optional<protocol::PeerIndex> peerOfEditor() const
    {
        for (const auto& [index, peer] : m_other->peers())
            if (peer.name == QStringLiteral("vera"))
                return index;
        return std::nullopt;
    }

    xr::VrSession& vr() { return m_window->vrMode()->vrSession(); }

    bool enterVr()
    {
        m_window->vrMode()->toggleAction()->trigger();
        return waitFor([&] { return vr().state() == xr::VrState::Focused || !m_unavailable.isEmpty(); })
            && vr().state() == xr::VrState::Focused;
    }

    static constexpr Vec3 NodeAt {0.2f, 1.2f, -0.5f};

    QTemporaryDir m_data;
    ServerProcess m_server {m_data.path()};
    GraphDocument m_otherDoc {0xb0b, 0xbea};
    std::unique_ptr<net::SyncClient> m_other;
    EntityId m_node;
    std::unique_ptr<EditorSession> m_editor;
    std::unique_ptr<MainWindow> m_window;
    std::vector<Transaction> m_fromEditor;
    QString m_unavailable;
};

} // namespace

TEST_F(VrModeTest, TheOtherClientSeesTheScriptedHeadAndHands)
{
    TestRuntime runtime;
    // Head turned 45 degrees left; the left hand tilted 30 degrees, the right rolled 15.
    runtime.script("head 0.1 1.7 0.2 0 0.3826834 0 0.9238795\n"
                   "grip left -0.25 1.1 -0.3 0.2588190 0 0 0.9659258\n"
                   "grip right 0.3 1.25 -0.35 0 0 0.1305262 0.9914449");
    const xr::Placement placement {2.0f, {1.0f, 2.0f, 3.0f}, glm::angleAxis(glm::radians(30.0f), glm::vec3(0, 1, 0))};
    m_window->vrMode()->setInitialPlacement(placement);
    ASSERT_TRUE(enterVr()) << m_unavailable.toStdString();
    EXPECT_EQ(m_window->vrMode()->toggleAction()->text(), QStringLiteral("Leave &VR"));

    struct Expected {
        Vec3 position;
        protocol::Quat orientation;
    };
    const Expected head {{0.1f, 1.7f, 0.2f}, {0, 0.3826834f, 0, 0.9238795f}};
    const Expected left {{-0.25f, 1.1f, -0.3f}, {0.2588190f, 0, 0, 0.9659258f}};
    const Expected right {{0.3f, 1.25f, -0.35f}, {0, 0, 0.1305262f, 0.9914449f}};
    auto close = [](const protocol::Pose& got, const Expected& e) {
        return distance(got.position, e.position) <= protocol::MaxPositionErrorMetres + 1e-6
            && protocol::rotationAngleDegrees(got.orientation, e.orientation) <= protocol::MaxRotationErrorDegrees;
    };
    // The latest VR_PRESENCE the other client received (a display time past it: no smoothing).
    std::optional<protocol::VrPose> seen;
    ASSERT_TRUE(waitFor([&] {
        const auto peer = peerOfEditor();
        seen = peer ? m_other->remotePresence().vrPose(*peer, net::RemotePresence::nowMs() + 60'000) : std::nullopt;
        return seen && seen->left && seen->right && close(seen->head, head) && close(*seen->left, left)
            && close(*seen->right, right);
    })) << (seen ? "the last pose differs" : "no VR pose arrived");
    EXPECT_LE(distance(seen->head.position, head.position), protocol::MaxPositionErrorMetres + 1e-6);
    EXPECT_LE(distance(seen->left->position, left.position), protocol::MaxPositionErrorMetres + 1e-6);
    EXPECT_LE(distance(seen->right->position, right.position), protocol::MaxPositionErrorMetres + 1e-6);
    EXPECT_LE(protocol::rotationAngleDegrees(seen->head.orientation, head.orientation), protocol::MaxRotationErrorDegrees);

    // And where the room lies in the graph, so that it draws the avatar in place.
    ASSERT_TRUE(waitFor([&] { return m_other->peers().at(*peerOfEditor()).placement.has_value(); }));
    EXPECT_TRUE(m_other->peers().at(*peerOfEditor()).inVr);
    const protocol::Placement sent = *m_other->peers().at(*peerOfEditor()).placement;
    EXPECT_FLOAT_EQ(sent.scale, 2.0f);
    EXPECT_EQ(sent.translation, (Vec3 {1.0f, 2.0f, 3.0f}));
    EXPECT_FLOAT_EQ(sent.rotation.y, placement.rotation.y);
    EXPECT_FLOAT_EQ(sent.rotation.w, placement.rotation.w);

    // Leaving VR: the others are told (no placement, not in VR any more).
    m_window->vrMode()->toggleAction()->trigger();
    ASSERT_TRUE(waitFor([&] { return !m_window->vrMode()->isActive(); }));
    EXPECT_TRUE(m_unavailable.isEmpty()) << m_unavailable.toStdString();
    EXPECT_EQ(m_window->vrMode()->toggleAction()->text(), QStringLiteral("Enter &VR"));
    ASSERT_TRUE(waitFor([&] { return !m_other->peers().at(*peerOfEditor()).inVr; }));
    EXPECT_TRUE(runtime.validationReport().isEmpty()) << runtime.validationReport().toStdString();
}

TEST_F(VrModeTest, ASqueezeAndMoveIsLiveForTheOtherAndOneCommittedMove)
{
    TestRuntime runtime;
    // The room at the graph's origin, a graph unit per metre: the node is 3 cm left of the hand.
    m_window->vrMode()->setInitialPlacement(xr::Placement {});
    runtime.script("grip right 0.23 1.2 -0.5");
    ASSERT_TRUE(enterVr()) << m_unavailable.toStdString();
    bool started = false;
    QObject::connect(&vr(), &xr::VrSession::grabStarted, [&](xr::Hand, EntityId n) { started = n == m_node; });
    runtime.script("squeeze right 1");
    ASSERT_TRUE(waitFor([&] { return started; }));

    // The hand moves and turns a quarter to the left: the node goes with it, 3 cm to its
    // left as before, which now points along +z.
    runtime.script("grip right 0.5 1.3 -0.5 0 0.7071068 0 0.7071068");
    const Vec3 expected {0.5f, 1.3f, -0.47f};
    ASSERT_TRUE(waitFor([&] {
        const auto& t = m_other->transientPositions();
        const auto it = t.find(m_node);
        return it != t.end() && distance(it->second.position, expected) < 1e-4f;
    })) << "the other client does not see the node where the hand has it";
    // Live, not committed: the other's document still has it where it was.
    EXPECT_EQ(positionOf(m_otherDoc, m_node), NodeAt);
    EXPECT_TRUE(m_fromEditor.empty());

    runtime.script("squeeze right 0");
    ASSERT_TRUE(waitFor([&] { return distance(positionOf(m_otherDoc, m_node), expected) < 1e-4f; }));
    ASSERT_TRUE(waitFor([&] { return m_other->transientPositions().count(m_node) == 0; }));
    ASSERT_TRUE(waitFor([&] { return m_editor->client()->pendingCount() == 0; }));
    // Exactly one committed operation from the editor: the move.
    ASSERT_EQ(m_fromEditor.size(), 1u);
    EXPECT_EQ(m_fromEditor[0].header().opCount, 1u);
    EXPECT_EQ(m_editor->undoText(), QStringLiteral("Move Node"));
    EXPECT_LT(distance(positionOf(m_editor->document(), m_node), expected), 1e-4f);
    EXPECT_TRUE(runtime.validationReport().isEmpty()) << runtime.validationReport().toStdString();
}

TEST_F(VrModeTest, EnterVrSaysWhyItCannotAndWorksLaterWithoutARestart)
{
    TestRuntime runtime;
    qputenv("XR_RUNTIME_JSON", runtime.directory().toUtf8() + "/missing.json");
    m_window->vrMode()->toggleAction()->trigger();
    ASSERT_TRUE(waitFor([&] { return !m_unavailable.isEmpty(); }));
    EXPECT_TRUE(m_unavailable.contains(QStringLiteral("No OpenXR runtime"))) << m_unavailable.toStdString();
    EXPECT_TRUE(m_window->noticeBar()->text().contains(QStringLiteral("VR is not available: No OpenXR runtime")))
        << m_window->noticeBar()->text().toStdString();
    EXPECT_FALSE(m_window->vrMode()->isActive());
    EXPECT_EQ(m_window->vrMode()->toggleAction()->text(), QStringLiteral("Enter &VR"));
    // The editor carries on.
    EXPECT_EQ(m_editor->client()->state(), net::SyncClient::State::Online);

    // The runtime is there now: the same action works.
    m_unavailable.clear();
    qputenv("XR_RUNTIME_JSON", CONSTELLATE_XR_TEST_RUNTIME_JSON);
    ASSERT_TRUE(enterVr()) << m_unavailable.toStdString();
    m_window->vrMode()->toggleAction()->trigger();
    ASSERT_TRUE(waitFor([&] { return !m_window->vrMode()->isActive(); }));
    EXPECT_TRUE(m_unavailable.isEmpty()) << m_unavailable.toStdString();
}

TEST_F(VrModeTest, TheFaceButtonsUndoRedoAndToggleLabels)
{
    TestRuntime runtime;
    const EntityId added = m_editor->addNode(Vec3 {5, 5, 5}, "added");
    ASSERT_TRUE(m_editor->document().isVisible(added));
    ASSERT_TRUE(enterVr()) << m_unavailable.toStdString();

    runtime.script("button right b 1"); // B: undo
    ASSERT_TRUE(waitFor([&] { return !m_editor->document().isVisible(added); }));
    runtime.script("button right b 0\nbutton left y 1"); // Y: redo
    ASSERT_TRUE(waitFor([&] { return m_editor->document().isVisible(added); }));

    // X: the window's View > Labels, its check mark with it.
    QAction* labels = nullptr;
    for (QAction* a : m_window->findChildren<QAction*>())
        if (a->text() == QStringLiteral("&Labels"))
            labels = a;
    ASSERT_NE(labels, nullptr);
    const bool before = labels->isChecked(); // as the test profile's settings have it
    runtime.script("button left y 0\nbutton left x 1");
    ASSERT_TRUE(waitFor([&] { return labels->isChecked() != before; }));
    EXPECT_EQ(m_window->view()->labelsShown(), !before);
    // And back, leaving the setting as it was: the button let go for a few frames first.
    runtime.script("button left x 0");
    const std::size_t frames = runtime.record("endFrame").size();
    ASSERT_TRUE(waitFor([&] { return runtime.record("endFrame").size() >= frames + 3; }));
    runtime.script("button left x 1");
    ASSERT_TRUE(waitFor([&] { return labels->isChecked() == before; }));
    EXPECT_TRUE(runtime.validationReport().isEmpty()) << runtime.validationReport().toStdString();
}
