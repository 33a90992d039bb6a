// The editor as users run it, in real windows (under Xvfb, Mesa llvmpipe): one editor
// hosts a graph (the server runs inside it, on its own thread), another joins over a
// loopback socket, and what one does shows in the other's document and 3D view, checked
// by its pixels. Mouse and keys are real Qt events sent to the real widgets.
//
// CONSTELLATE_SCREENSHOT_DIR=DIR keeps a screenshot of each test's windows there
// (scripts/test.sh keeps them in build*/test-artifacts/); CONSTELLATE_SCREENSHOT=FILE
// saves the host's window of OthersCursorsAndSelectionsShowInTheirColours (the README's).

#include "editorsession.h"
#include "graphview.h"
#include "joindialog.h"
#include "lanbrowser.h"
#include "mainwindow.h"
#include "noticebar.h"
#include "peoplepanel.h"
#include "propertiespanel.h"
#include "remotepresence.h"

#include <QApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QMessageBox>
#include <QTimer>
#include <QImage>
#include <QKeyEvent>
#include <QLineEdit>
#include <QMouseEvent>
#include <QPushButton>
#include <QTcpSocket>
#include <QTest>
#include <QTemporaryDir>
#include <QThread>
#include <QTreeWidget>

#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <thread>

using namespace constellate;
using namespace constellate::ui;

namespace {

bool waitFor(const std::function<bool()>& done, int timeoutMs = 20'000)
{
    QElapsedTimer t;
    t.start();
    while (!done()) {
        if (t.elapsed() > timeoutMs)
            return false;
        QApplication::processEvents(QEventLoop::AllEvents, 20);
        QThread::usleep(500);
    }
    return true;
}

/// Lets the windows handle what is queued for a while (paints, presence timers).
void settle(int ms)
{
    QElapsedTimer t;
    t.start();
    while (t.elapsed() < ms) {
        QApplication::processEvents(QEventLoop::AllEvents, 10);
        QThread::usleep(500);
    }
}

bool isRed(QRgb c)
{
    // The added node is pure red; the sample's nodes are orange-brown (about 156, 62, 31).
    return qRed(c) > 190 && qGreen(c) < 40 && qBlue(c) < 40;
}

void mouse(QWidget* w, QEvent::Type type, QPoint at, Qt::MouseButton button, Qt::MouseButtons buttons,
           Qt::KeyboardModifiers modifiers = Qt::NoModifier)
{
    QMouseEvent e(type, QPointF(at), w->mapToGlobal(QPointF(at)), button, buttons, modifiers);
    QApplication::sendEvent(w, &e);
}

/// A left-button drag in steps, with the event loop turning between them (as a hand does).
void drag(QWidget* w, QPoint from, QPoint to, int steps = 8)
{
    mouse(w, QEvent::MouseButtonPress, from, Qt::LeftButton, Qt::LeftButton);
    for (int i = 1; i <= steps; ++i) {
        const QPoint at = from + (to - from) * i / steps;
        mouse(w, QEvent::MouseMove, at, Qt::NoButton, Qt::LeftButton);
        settle(20);
    }
    mouse(w, QEvent::MouseButtonRelease, to, Qt::LeftButton, Qt::NoButton);
}

void click(QWidget* w, QPoint at, Qt::KeyboardModifiers modifiers = Qt::NoModifier)
{
    mouse(w, QEvent::MouseButtonPress, at, Qt::LeftButton, Qt::LeftButton, modifiers);
    mouse(w, QEvent::MouseButtonRelease, at, Qt::LeftButton, Qt::NoButton, modifiers);
}

/// A key press as the window system delivers it: shortcuts of the window's actions first
/// (QTest does what a real key press does), then the focused widget.
void key(QWidget* w, int k, Qt::KeyboardModifiers modifiers = Qt::NoModifier)
{
    // Window shortcuts answer in the active window only (two editors are open).
    if (QApplication::activeWindow() != w->window()) {
        w->window()->activateWindow();
        if (!QTest::qWaitForWindowActive(w->window(), 5000))
            ADD_FAILURE() << "the window did not become active";
    }
    QTest::keyClick(w, Qt::Key(k), modifiers);
}

Vec3 positionOf(const GraphDocument& doc, EntityId id)
{
    const GraphDocument::Entity* e = doc.entity(id);
    return e ? doc.position(*e) : Vec3 {};
}

float distance(Vec3 a, Vec3 b)
{
    return std::sqrt((a.x - b.x) * (a.x - b.x) + (a.y - b.y) * (a.y - b.y) + (a.z - b.z) * (a.z - b.z));
}

/// The node whose projected centre is nearest the view's middle (a node both can see).
EntityId nodeNearMiddle(const GraphView& view)
{
    const QPoint middle(view.width() / 2, view.height() / 2);
    EntityId best;
    int bestDistance = 1 << 30;
    for (const EntityId id : view.scene().nodeIds()) {
        const auto p = view.pixelOf(id);
        if (!p || view.nodeAt(*p) != id)
            continue; // hidden behind another
        const int d = (*p - middle).manhattanLength();
        if (d < bestDistance) {
            bestDistance = d;
            best = id;
        }
    }
    return best;
}

/// Counts pixels near `rgb` (each channel within `tolerance`).
int countColour(const QImage& image, QRgb rgb, int tolerance = 40, QRect area = {})
{
    const QRect r = area.isNull() ? image.rect() : area.intersected(image.rect());
    int n = 0;
    for (int y = r.top(); y <= r.bottom(); ++y)
        for (int x = r.left(); x <= r.right(); ++x) {
            const QRgb c = image.pixel(x, y);
            n += std::abs(qRed(c) - qRed(rgb)) <= tolerance && std::abs(qGreen(c) - qGreen(rgb)) <= tolerance
                && std::abs(qBlue(c) - qBlue(rgb)) <= tolerance;
        }
    return n;
}

class EditorTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        ASSERT_TRUE(m_data.isValid());
        host = std::make_unique<EditorSession>(Profile {0x1001, QStringLiteral("host"), 0x2ca02cff});
        hostWindow = std::make_unique<MainWindow>(*host);
        quiet(*hostWindow);
        hostWindow->resize(1000, 700);
        hostWindow->show();
        EditorSession::HostOptions options;
        options.port = 0;
        options.bind = QHostAddress::LocalHost;
        options.dataDir = m_data.path();
        QString error;
        ASSERT_TRUE(host->host(QStringLiteral(CONSTELLATE_TEST_GRAPHS "/lesmis.gexf"), options, &error))
            << error.toStdString();
        ASSERT_TRUE(waitFor([&] { return host->document().count(EntityKind::Node) == 77u; }));
        ASSERT_TRUE(hostWindow->view()->glError().isEmpty()) << hostWindow->view()->glError().toStdString();

        guest = std::make_unique<EditorSession>(Profile {0x2002, QStringLiteral("guest"), 0xff00ffff});
        guestWindow = std::make_unique<MainWindow>(*guest);
        quiet(*guestWindow);
        guestWindow->resize(1000, 700);
        guestWindow->show();
        ASSERT_TRUE(guest->join(roomUrl(), QString(), &error)) << error.toStdString();
        ASSERT_TRUE(waitFor([&] { return guest->document().count(EntityKind::Node) == 77u; }));
        ASSERT_TRUE(waitFor([&] { return host->client()->peers().size() == 1 && guest->client()->peers().size() == 1; }));
        ASSERT_TRUE(waitFor([&] { return hostWindow->view()->scene().nodes().size() == 77u
                                      && guestWindow->view()->scene().nodes().size() == 77u; }));
        settle(100);
    }

    void TearDown() override
    {
        const QByteArray dir = qgetenv("CONSTELLATE_SCREENSHOT_DIR");
        if (!dir.isEmpty() && hostWindow && guestWindow) {
            QDir().mkpath(QString::fromLocal8Bit(dir));
            const QString name = QString::fromLatin1(::testing::UnitTest::GetInstance()->current_test_info()->name());
            hostWindow->grab().save(QString::fromLocal8Bit(dir) + QStringLiteral("/%1-host.png").arg(name));
            guestWindow->grab().save(QString::fromLocal8Bit(dir) + QStringLiteral("/%1-guest.png").arg(name));
        }
        guestWindow.reset();
        guest.reset();
        hostWindow.reset();
        host.reset();
    }

    QUrl roomUrl() const { return QUrl(QStringLiteral("ws://127.0.0.1:%1/rooms/lesmis").arg(host->hostedPort())); }

    /// Nothing a test window hosts goes beyond this machine: it binds loopback, and it
    /// announces nothing unless a test turns it on and points its beacon at loopback.
    void quiet(MainWindow& window)
    {
        window.setAnnounce(false, false);
        EditorSession::HostOptions o;
        o.bind = QHostAddress::LocalHost;
        o.dataDir = m_data.path() + QStringLiteral("/window-%1").arg(++m_windows);
        o.beacon.targets = {QHostAddress::LocalHost};
        o.beacon.port = 9; // discard: nobody listens unless a test says where
        window.setHostDefaults(o);
    }
    /// Moves a window's LAN browser to loopback, on a port the system picks; returns it.
    static quint16 listenOnLoopback(MainWindow& window)
    {
        window.lanBrowser()->setOptions(net::LanBrowserOptions {0, QHostAddress::LocalHost, 256});
        QString error;
        EXPECT_TRUE(window.lanBrowser()->start(&error)) << error.toStdString();
        return window.lanBrowser()->port();
    }
    int m_windows = 0;

    QTemporaryDir m_data;
    std::unique_ptr<EditorSession> host;
    std::unique_ptr<MainWindow> hostWindow;
    std::unique_ptr<EditorSession> guest;
    std::unique_ptr<MainWindow> guestWindow;
};

} // namespace

TEST_F(EditorTest, TwoEditorsEditOneGraphAndSeeEachOthersEditsInTheirViews)
{
    EXPECT_TRUE(waitFor([&] { return hostWindow->statusText().contains(QLatin1String("2 here")); }))
        << hostWindow->statusText().toStdString();

    // The host's view: the middle of the window is not red before.
    GraphView* view = hostWindow->view();
    QImage before = view->grabFramebuffer();
    const QPoint middle(before.width() / 2, before.height() / 2);
    EXPECT_FALSE(isRed(before.pixel(middle))) << std::hex << before.pixel(middle);

    // The guest adds a red node between the host's eye and what it looks at: it lands in
    // the middle of the host's view, in front of everything.
    const glm::vec3 eye = view->camera().eyePosition();
    const glm::vec3 target = view->camera().target();
    const glm::vec3 at = eye + (target - eye) * 0.3f;
    TransactionBuilder b = guest->document().begin();
    FieldValue position;
    position.ref.field = Field::Position;
    position.value = Value(Vec3 {at.x, at.y, at.z});
    FieldValue color;
    color.ref.field = Field::Color;
    color.value = Value::color(0xff0000ff);
    FieldValue size;
    size.ref.field = Field::Size;
    size.value = Value(double(glm::length(target - eye)) * 0.03);
    b.createNode({position, color, size});
    guest->commit(b, QStringLiteral("Add Node"));

    ASSERT_TRUE(waitFor([&] { return host->document().count(EntityKind::Node) == 78u; }));
    ASSERT_TRUE(waitFor([&] { return view->scene().nodes().size() == 78u; }));
    QImage after;
    ASSERT_TRUE(waitFor([&] {
        after = view->grabFramebuffer();
        return isRed(after.pixel(middle));
    }, 10'000)) << std::hex << after.pixel(middle);
}

TEST_F(EditorTest, DraggingANodeIsLiveForTheOtherAndOneUndoStepThatReachesThemToo)
{
    GraphView* gv = guestWindow->view();
    const EntityId node = nodeNearMiddle(*gv);
    ASSERT_FALSE(node.isNull());
    const Vec3 start = positionOf(guest->document(), node);
    const QPoint from = *gv->pixelOf(node);
    const QPoint to = from + QPoint(120, -60);

    // Press and move, but do not release yet: the host sees the node move while the
    // document (everyone's) still holds the old position.
    mouse(gv, QEvent::MouseButtonPress, from, Qt::LeftButton, Qt::LeftButton);
    for (int i = 1; i <= 6; ++i) {
        mouse(gv, QEvent::MouseMove, from + (to - from) * i / 6, Qt::NoButton, Qt::LeftButton);
        settle(20);
    }
    GraphView* hv = hostWindow->view();
    ASSERT_TRUE(waitFor([&] { return host->client()->transientPositions().count(node) == 1; }));
    ASSERT_TRUE(waitFor([&] {
        const std::int64_t i = hv->scene().nodeIndex(node);
        const glm::vec3 p = hv->scene().nodes()[std::size_t(i)].position;
        return distance(Vec3 {p.x, p.y, p.z}, start) > 1e-3f;
    })) << "the host's view does not show the live drag";
    EXPECT_EQ(distance(positionOf(host->document(), node), start), 0.0f) << "a drag is not stored until released";

    mouse(gv, QEvent::MouseButtonRelease, to, Qt::LeftButton, Qt::NoButton);
    const Vec3 end = positionOf(guest->document(), node);
    EXPECT_GT(distance(end, start), 1e-3f);
    EXPECT_EQ(guest->undoText(), QStringLiteral("Move Node"));
    ASSERT_TRUE(waitFor([&] { return distance(positionOf(host->document(), node), end) < 1e-6f; }));
    ASSERT_TRUE(waitFor([&] { return host->client()->transientPositions().empty(); }));

    // The node is drawn where it now is: under the release point in the guest's view.
    EXPECT_EQ(gv->nodeAt(to), node);

    // One undo puts it back, for both.
    key(guestWindow.get(), Qt::Key_Z, Qt::ControlModifier);
    EXPECT_LT(distance(positionOf(guest->document(), node), start), 1e-6f);
    ASSERT_TRUE(waitFor([&] { return distance(positionOf(host->document(), node), start) < 1e-6f; }));
    EXPECT_FALSE(guest->canUndo());
    key(guestWindow.get(), Qt::Key_Z, Qt::ControlModifier | Qt::ShiftModifier);
    ASSERT_TRUE(waitFor([&] { return distance(positionOf(host->document(), node), end) < 1e-6f; }));
}

TEST_F(EditorTest, TheConnectToolAndTheDeleteKeyEditForBoth)
{
    GraphView* gv = guestWindow->view();
    const EntityId a = nodeNearMiddle(*gv);
    ASSERT_FALSE(a.isNull());
    // A second node a little way off in the guest's view.
    EntityId b;
    for (const EntityId id : gv->scene().nodeIds()) {
        const auto p = gv->pixelOf(id);
        if (id != a && p && gv->nodeAt(*p) == id && (*p - *gv->pixelOf(a)).manhattanLength() > 60) {
            b = id;
            break;
        }
    }
    ASSERT_FALSE(b.isNull());
    const std::size_t edgesBefore = host->document().count(EntityKind::Edge);

    key(guestWindow.get(), Qt::Key_C); // the Connect tool
    ASSERT_EQ(gv->tool(), Tool::Connect);
    drag(gv, *gv->pixelOf(a), *gv->pixelOf(b));
    ASSERT_TRUE(waitFor([&] { return host->document().count(EntityKind::Edge) == edgesBefore + 1; }));
    ASSERT_EQ(guest->selection().size(), 1u); // the new edge
    const EntityId edge = guest->selection().front();
    const GraphDocument::Entity* e = host->document().entity(edge);
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(e->a, a);
    EXPECT_EQ(e->b, b);

    // Select the node with the Select tool and delete it with the Delete key: its edges go.
    key(guestWindow.get(), Qt::Key_S);
    click(gv, *gv->pixelOf(a));
    ASSERT_EQ(guest->selection(), std::vector<EntityId> {a});
    key(guestWindow.get(), Qt::Key_Delete);
    ASSERT_TRUE(waitFor([&] { return !host->document().isVisible(a); }));
    EXPECT_FALSE(host->document().isVisible(edge));
    EXPECT_TRUE(guest->selection().empty());
    ASSERT_TRUE(waitFor([&] { return hostWindow->view()->scene().nodeIndex(a) < 0; }));
}

TEST_F(EditorTest, ThePropertiesPanelEditsTheSelectionForEveryone)
{
    GraphView* gv = guestWindow->view();
    const EntityId node = nodeNearMiddle(*gv);
    click(gv, *gv->pixelOf(node));
    ASSERT_EQ(guest->selection(), std::vector<EntityId> {node});
    PropertiesPanel* panel = guestWindow->propertiesPanel();
    const GraphDocument::Entity* e = guest->document().entity(node);
    EXPECT_EQ(panel->labelEdit()->text().toStdString(), std::string(guest->document().label(*e)));

    panel->labelEdit()->setFocus();
    panel->labelEdit()->selectAll();
    panel->labelEdit()->insert(QStringLiteral("Renamed together"));
    key(panel->labelEdit(), Qt::Key_Return);
    ASSERT_TRUE(waitFor([&] {
        const GraphDocument::Entity* h = host->document().entity(node);
        return h && host->document().label(*h) == "Renamed together";
    }));
    panel->setColor(0x00ff00ff);
    ASSERT_TRUE(waitFor([&] {
        const GraphDocument::Entity* h = host->document().entity(node);
        return h && host->document().color(*h) == 0x00ff00ffu;
    }));
    EXPECT_EQ(guest->undoText(), QStringLiteral("Change Colour"));

    // The host's properties follow when it selects the same node.
    host->setSelection({node});
    EXPECT_EQ(hostWindow->propertiesPanel()->labelEdit()->text(), QStringLiteral("Renamed together"));
}

TEST_F(EditorTest, ThePeoplePanelListsWhoIsHereAndTheirSelection)
{
    PeoplePanel* people = hostWindow->peoplePanel();
    ASSERT_TRUE(waitFor([&] { return people->lines().size() == 2; }));
    EXPECT_TRUE(people->lines()[0].startsWith(QStringLiteral("host (you) · owner")))
        << people->lines()[0].toStdString();
    EXPECT_TRUE(people->lines()[1].startsWith(QStringLiteral("guest · editor · online")))
        << people->lines()[1].toStdString();

    GraphView* gv = guestWindow->view();
    const EntityId node = nodeNearMiddle(*gv);
    click(gv, *gv->pixelOf(node));
    ASSERT_TRUE(waitFor([&] { return people->lines().size() == 2 && people->lines()[1].contains(QLatin1String("1 selected")); }))
        << people->lines().join(QLatin1Char('\n')).toStdString();

    // Jump to the guest's view: the host's camera takes the guest's eye.
    const auto peer = host->client()->peers().begin()->first;
    ASSERT_TRUE(waitFor([&] { return host->client()->peers().at(peer).view.has_value(); }));
    gv->camera().orbit(0.7f, 0.2f);
    gv->update();
    key(gv, Qt::Key_Plus); // a camera change is told to the room
    const glm::vec3 eye = gv->camera().eyePosition();
    ASSERT_TRUE(waitFor([&] {
        const auto& v = host->client()->peers().at(peer).view;
        return v && glm::distance(glm::vec3(v->eye.x, v->eye.y, v->eye.z), eye) < 1e-3f;
    }));
    ASSERT_TRUE(hostWindow->view()->jumpTo(peer));
    EXPECT_LT(glm::distance(hostWindow->view()->camera().eyePosition(), eye), 1e-2f * glm::length(eye) + 1e-3f);

    // A leave is a notice.
    guest->leave();
    ASSERT_TRUE(waitFor([&] { return people->lines().size() == 1; }));
    EXPECT_TRUE(hostWindow->noticeBar()->text().contains(QLatin1String("guest left")))
        << hostWindow->noticeBar()->text().toStdString();
}

TEST_F(EditorTest, TheHostedServerAnswersWhileTheEditorsWindowIsBusy)
{
    // The server runs on its own thread: a long frame or a modal dialog on the UI thread
    // does not stall the peers. Here the UI thread sleeps while another thread asks the
    // hosted server's /healthz over loopback.
    const quint16 port = host->hostedPort();
    std::atomic<bool> answered {false};
    std::thread asker([&] {
        QTcpSocket socket;
        socket.connectToHost(QHostAddress::LocalHost, port);
        if (!socket.waitForConnected(5000))
            return;
        socket.write("GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
        QByteArray reply;
        while (socket.waitForReadyRead(5000))
            reply += socket.readAll();
        answered = reply.startsWith("HTTP/1.1 200") && reply.endsWith("ok\n");
    });
    QThread::msleep(1500); // the UI thread handles nothing meanwhile
    const bool duringBusy = answered.load();
    asker.join();
    EXPECT_TRUE(duringBusy) << "the hosted server did not answer while the UI thread was busy";
}

TEST_F(EditorTest, OthersCursorsAndSelectionsShowInTheirColours)
{
    constexpr QRgb Magenta = qRgb(255, 0, 255); // the guest's colour; the sample has none like it
    GraphView* hv = hostWindow->view();
    GraphView* gv = guestWindow->view();
    QImage before = hv->grabFramebuffer();
    EXPECT_LT(countColour(before, Magenta, 60), 5);

    // The guest's mouse over empty space: the host sees a sphere in the guest's colour there.
    const QPoint corner(gv->width() / 6, gv->height() / 6);
    ASSERT_FALSE(gv->nodeAt(corner).has_value());
    mouse(gv, QEvent::MouseMove, corner, Qt::NoButton, Qt::NoButton);
    const auto peer = host->client()->peers().begin()->first;
    ASSERT_TRUE(waitFor([&] { return host->client()->remotePresence().cursor(peer, net::RemotePresence::nowMs()).has_value(); }));
    QImage withCursor;
    ASSERT_TRUE(waitFor([&] {
        withCursor = hv->grabFramebuffer();
        return countColour(withCursor, Magenta, 60) > 10;
    })) << "no remote cursor in the guest's colour";

    // The guest selects a node: the host outlines it in the guest's colour.
    const EntityId node = nodeNearMiddle(*gv);
    ASSERT_FALSE(node.isNull());
    click(gv, *gv->pixelOf(node));
    ASSERT_TRUE(waitFor([&] {
        const auto& p = host->client()->peers().at(peer);
        return p.selection == std::vector<EntityId> {node};
    }));
    const QPoint at = *hv->pixelOf(node);
    const QRect around(at - QPoint(40, 40), QSize(81, 81));
    QImage selected;
    ASSERT_TRUE(waitFor([&] {
        selected = hv->grabFramebuffer();
        return countColour(selected, Magenta, 60, around) > 20;
    })) << "the guest's selection is not outlined in the guest's colour";
    // And the guest's own view outlines it in the local selection colour (yellow).
    const QImage own = gv->grabFramebuffer();
    const QPoint g = *gv->pixelOf(node);
    EXPECT_GT(countColour(own, qRgb(255, 210, 30), 50, QRect(g - QPoint(40, 40), QSize(81, 81))), 20);

    // The README's picture: CONSTELLATE_SCREENSHOT=docs/screenshot.png.
    if (const QByteArray shot = qgetenv("CONSTELLATE_SCREENSHOT"); !shot.isEmpty())
        hostWindow->grab().save(QString::fromLocal8Bit(shot));
}

TEST(EditorFiles, OpenSaveAndOpenAgainKeepTheGraphExactly)
{
    QTemporaryDir dir;
    ASSERT_TRUE(dir.isValid());
    EditorSession session(Profile {0x3003, QStringLiteral("solo"), 0});
    MainWindow window(session);
    window.resize(900, 600);
    window.show();
    std::optional<bool> opened;
    window.openPath(QStringLiteral(CONSTELLATE_TEST_GRAPHS "/karate.graphml"), [&](bool ok) { opened = ok; });
    ASSERT_TRUE(waitFor([&] { return opened.has_value(); }));
    ASSERT_TRUE(*opened);
    EXPECT_EQ(session.document().count(EntityKind::Node), 34u);
    ASSERT_TRUE(waitFor([&] { return window.view()->scene().nodes().size() == 34u; }));

    // An edit, then Save: the window's title loses its mark.
    const EntityId added = session.addNode(Vec3 {1, 2, 3}, "new node");
    EXPECT_TRUE(session.isModified());
    EXPECT_TRUE(window.windowTitle().contains(QLatin1Char('*')));
    const QString saved = dir.filePath(QStringLiteral("karate.constellate"));
    std::optional<bool> wrote;
    window.saveTo(saved, [&](bool ok) { wrote = ok; });
    ASSERT_TRUE(waitFor([&] { return wrote.has_value(); }));
    ASSERT_TRUE(*wrote);
    EXPECT_FALSE(session.isModified());
    EXPECT_FALSE(window.windowTitle().contains(QLatin1Char('*')));
    const std::string hash = session.document().canonicalHash();

    // Open the saved file: the same graph, merge metadata and all.
    opened.reset();
    window.openPath(saved, [&](bool ok) { opened = ok; });
    ASSERT_TRUE(waitFor([&] { return opened.has_value(); }));
    ASSERT_TRUE(*opened);
    EXPECT_EQ(session.document().canonicalHash(), hash);
    EXPECT_TRUE(session.document().isVisible(added));

    // A malformed file: a message names the place, and the open document stays.
    const QString bad = dir.filePath(QStringLiteral("bad.graphml"));
    {
        QFile f(bad);
        ASSERT_TRUE(f.open(QIODevice::WriteOnly));
        f.write("<graphml><graph><node id=\"a\"></graph>");
    }
    QTimer closer; // answers the error's message box
    QObject::connect(&closer, &QTimer::timeout, [&] {
        if (auto* box = qobject_cast<QMessageBox*>(QApplication::activeModalWidget())) {
            EXPECT_TRUE(box->text().contains(QLatin1String("bad.graphml:"))) << box->text().toStdString();
            box->accept();
        }
    });
    closer.start(50);
    opened.reset();
    window.openPath(bad, [&](bool ok) { opened = ok; });
    ASSERT_TRUE(waitFor([&] { return opened.has_value(); }));
    EXPECT_FALSE(*opened);
    EXPECT_EQ(session.document().canonicalHash(), hash);
}

TEST_F(EditorTest, EditingGoesOnOfflineAndAConflictOffersRestoreMine)
{
    GraphView* gv = guestWindow->view();
    const EntityId node = nodeNearMiddle(*gv);
    ASSERT_FALSE(node.isNull());
    const FieldRef color {Field::Color, {}};

    // The guest loses the room and edits on: its colour waits in its queue.
    guest->client()->stop();
    ASSERT_EQ(guest->client()->state(), net::SyncClient::State::Offline);
    guest->setField({node}, color, Value::color(0xff0000ff), QStringLiteral("Change Colour"));
    EXPECT_EQ(guest->client()->pendingCount(), 1u);
    settle(20); // the host's write below gets a later clock

    // Meanwhile the host, who has not seen it, sets another colour.
    host->setField({node}, color, Value::color(0x00ff00ffu), QStringLiteral("Change Colour"));

    // Back online: the later write (the host's) wins everywhere, and the guest is told
    // that its colour was replaced, with "Restore Mine".
    guest->client()->start();
    NoticeBar* notices = guestWindow->noticeBar();
    ASSERT_TRUE(waitFor([&] { return notices->isVisible() && notices->restoreButton()->isVisible(); }))
        << notices->text().toStdString();
    EXPECT_TRUE(notices->text().contains(QLatin1String("host changed the colour"))) << notices->text().toStdString();
    ASSERT_TRUE(waitFor([&] { return guest->client()->pendingCount() == 0; }));
    auto colourAt = [&](EditorSession& s) { return s.document().color(*s.document().entity(node)); };
    EXPECT_EQ(colourAt(*guest), 0x00ff00ffu);
    ASSERT_TRUE(waitFor([&] { return colourAt(*host) == 0x00ff00ffu; }));

    notices->restoreButton()->click();
    EXPECT_EQ(colourAt(*guest), 0xff0000ffu);
    EXPECT_EQ(guest->undoText(), QStringLiteral("Restore Mine"));
    ASSERT_TRUE(waitFor([&] { return colourAt(*host) == 0xff0000ffu; }));
}

TEST_F(EditorTest, SomeoneInVrShowsAsAHeadAndARedLeftAndBlueRightHand)
{
    // A third participant in VR: a SyncClient of its own, as the headset's layer uses it.
    GraphDocument vrDoc(0x77777777u, 0x4004);
    net::SyncClientOptions o;
    o.url = roomUrl();
    o.displayName = "visor";
    o.color = 0xffff00ffu;
    o.inVr = true;
    net::SyncClient vr(vrDoc, o);
    vr.start();
    ASSERT_TRUE(waitFor([&] { return host->client()->peers().size() == 2; }));

    // Their room placed at what the host looks at, a metre of it a fifth of the distance
    // to the host's eye (hands then show about twenty pixels across).
    GraphView* hv = hostWindow->view();
    const glm::vec3 target = hv->camera().target();
    const float scale = hv->camera().distance() / 5.0f;
    net::protocol::Placement placement;
    placement.scale = scale;
    placement.translation = Vec3 {target.x, target.y, target.z};
    vr.setVrPlacement(placement);
    // Head and hands two metres (two fifths of the way) towards the host's eye: nothing
    // hides them.
    const glm::vec3 toEye = glm::normalize(hv->camera().eyePosition() - target) * 2.0f;
    const glm::vec3 right = glm::normalize(glm::cross(-toEye, glm::vec3(0, 1, 0))); // the host's right
    net::protocol::VrPose pose;
    pose.head.position = Vec3 {toEye.x, toEye.y, toEye.z};
    pose.left = net::protocol::Pose {};
    pose.left->position = Vec3 {toEye.x - right.x * 0.4f, toEye.y - 0.3f, toEye.z - right.z * 0.4f};
    pose.right = net::protocol::Pose {};
    pose.right->position = Vec3 {toEye.x + right.x * 0.4f, toEye.y - 0.3f, toEye.z + right.z * 0.4f};
    vr.setVrPose(pose);

    const QImage before = hv->grabFramebuffer();
    const QRgb red = qRgb(0xe0, 0x20, 0x20), blue = qRgb(0x20, 0x50, 0xe8);
    const int redBefore = countColour(before, red, 40), blueBefore = countColour(before, blue, 40);
    QImage after;
    ASSERT_TRUE(waitFor([&] {
        after = hv->grabFramebuffer();
        return countColour(after, red, 40) > redBefore + 30 && countColour(after, blue, 40) > blueBefore + 30;
    })) << "red " << countColour(after, red, 40) << " (before " << redBefore << "), blue "
        << countColour(after, blue, 40) << " (before " << blueBefore << ")";
    PeoplePanel* people = hostWindow->peoplePanel();
    EXPECT_TRUE(waitFor([&] {
        return people->lines().join(QLatin1Char('\n')).contains(QStringLiteral("visor · editor · online · in VR"));
    })) << people->lines().join(QLatin1Char('\n')).toStdString();
    vr.stop();
}

TEST_F(EditorTest, JoinListsTheSessionsHeardOnTheLanAndADoubleClickJoins)
{
    const quint16 port = listenOnLoopback(*guestWindow);
    // A third editor hosts what it has open, announced to the guest window's port alone.
    EditorSession ann(Profile {0x3003, QStringLiteral("ann"), 0});
    ann.addNode(Vec3 {0, 0, 0}, "the only node");
    EditorSession::HostOptions o;
    o.port = 0;
    o.bind = QHostAddress::LocalHost;
    o.dataDir = m_data.path() + QStringLiteral("/ann");
    o.announce = true;
    o.beacon.targets = {QHostAddress::LocalHost};
    o.beacon.port = port;
    o.beacon.intervalMs = 200;
    QString error;
    ASSERT_TRUE(ann.host(QString(), o, &error)) << error.toStdString();
    ASSERT_TRUE(waitFor([&] { return !guestWindow->lanBrowser()->sessions().empty(); }));

    // Session > Join… (Ctrl+J): the dialog lists it; a double-click on it joins.
    QStringList row;
    QTimer driver;
    QObject::connect(&driver, &QTimer::timeout, [&] {
        auto* dialog = qobject_cast<JoinDialog*>(QApplication::activeModalWidget());
        if (!dialog || !row.isEmpty())
            return;
        QTreeWidget* list = dialog->sessionList();
        const QList<QTreeWidgetItem*> found = list->findItems(QStringLiteral("ann"), Qt::MatchExactly);
        if (found.isEmpty())
            return;
        for (int c = 0; c < list->columnCount(); ++c)
            row << found.front()->text(c);
        // A double click as the window system delivers it: press, release, double click, release.
        const QPoint at = list->visualItemRect(found.front()).center();
        QWidget* viewport = list->viewport();
        mouse(viewport, QEvent::MouseButtonPress, at, Qt::LeftButton, Qt::LeftButton);
        mouse(viewport, QEvent::MouseButtonRelease, at, Qt::LeftButton, Qt::NoButton);
        mouse(viewport, QEvent::MouseButtonDblClick, at, Qt::LeftButton, Qt::LeftButton);
        mouse(viewport, QEvent::MouseButtonRelease, at, Qt::LeftButton, Qt::NoButton);
        if (QApplication::activeModalWidget() == dialog) // not accepted: fail rather than hang
            dialog->reject();
    });
    driver.start(50);
    key(guestWindow->view(), Qt::Key_J, Qt::ControlModifier);
    driver.stop();
    EXPECT_EQ(row, (QStringList {QStringLiteral("ann"), QStringLiteral("untitled"), QStringLiteral("1"), QString(),
                                 QStringLiteral("127.0.0.1:%1").arg(ann.hostedPort())}));
    ASSERT_TRUE(waitFor([&] {
        return guest->client() && guest->client()->state() == net::SyncClient::State::Online
            && guest->document().count(EntityKind::Node) == 1u;
    })) << guest->statusText().toStdString();
    EXPECT_EQ(guest->roomUrl(), QUrl(QStringLiteral("ws://127.0.0.1:%1/rooms/untitled").arg(ann.hostedPort())));
    EXPECT_EQ(guest->document().canonicalHash(), ann.document().canonicalHash());
    // The beacon follows: two people now.
    ASSERT_TRUE(waitFor([&] {
        const auto& sessions = guestWindow->lanBrowser()->sessions();
        return !sessions.empty() && sessions.front().announcement.people == 2u;
    }));
}

TEST_F(EditorTest, WhenTheHostQuitsAGuestHostsFromItsCopyAndTheOtherFollowsWithTheirs)
{
    // A second guest, in a window of its own.
    EditorSession cal(Profile {0x3003, QStringLiteral("cal"), 0x00ffffff});
    MainWindow calWindow(cal);
    quiet(calWindow);
    calWindow.resize(800, 600);
    calWindow.show();
    const quint16 calPort = listenOnLoopback(calWindow);
    QString error;
    ASSERT_TRUE(cal.join(roomUrl(), QString(), &error)) << error.toStdString();
    ASSERT_TRUE(waitFor([&] { return cal.client()->state() == net::SyncClient::State::Online
                                  && cal.document().count(EntityKind::Node) == 77u; }));
    // The guest announces what it hosts, to the second guest's window alone.
    EditorSession::HostOptions defaults;
    defaults.bind = QHostAddress::LocalHost;
    defaults.dataDir = m_data.path() + QStringLiteral("/guest-hosts");
    defaults.beacon.targets = {QHostAddress::LocalHost};
    defaults.beacon.port = calPort;
    defaults.beacon.intervalMs = 200;
    guestWindow->setHostDefaults(defaults);
    guestWindow->setAnnounce(true, false);

    const EntityId byHost = host->addNode(Vec3 {1, 1, 1}, "by host");
    ASSERT_TRUE(waitFor([&] { return host->client()->pendingCount() == 0 && guest->document().isVisible(byHost)
                                  && cal.document().isVisible(byHost); }));

    // The host quits.
    hostWindow->close();
    NoticeBar* guestNotices = guestWindow->noticeBar();
    ASSERT_TRUE(waitFor([&] { return guestNotices->isVisible() && guestNotices->offerButton()->isVisible(); }))
        << guestNotices->text().toStdString();
    EXPECT_TRUE(guestNotices->text().contains(QLatin1String("Lost the host of 'lesmis'"))) << guestNotices->text().toStdString();
    EXPECT_TRUE(guestNotices->offerButton()->text().contains(QLatin1String("Host This Room From Your Copy")));

    // Both go on editing their copies.
    const EntityId byGuest = guest->addNode(Vec3 {2, 2, 2}, "guest offline");
    const EntityId byCal = cal.addNode(Vec3 {3, 3, 3}, "cal offline");
    guest->deleteEntities({byHost});

    // The guest hosts from its copy; the other is offered its session.
    guestNotices->offerButton()->click();
    ASSERT_TRUE(guest->isHosting());
    NoticeBar* calNotices = calWindow.noticeBar();
    ASSERT_TRUE(waitFor([&] {
        return calNotices->isVisible() && calNotices->offerButton()->isVisible()
            && calNotices->offerButton()->text().contains(QLatin1String("Join guest"));
    })) << calNotices->text().toStdString();
    EXPECT_TRUE(calNotices->text().contains(QLatin1String("guest hosts 'lesmis' from their copy")))
        << calNotices->text().toStdString();
    calNotices->offerButton()->click();

    ASSERT_TRUE(waitFor([&] {
        return cal.client()->state() == net::SyncClient::State::Online && cal.client()->pendingCount() == 0
            && guest->client()->pendingCount() == 0
            && cal.document().canonicalHash() == guest->document().canonicalHash();
    })) << cal.statusText().toStdString() << " / " << guest->statusText().toStdString();
    for (const EditorSession* s : {guest.get(), &cal}) {
        EXPECT_TRUE(s->document().isVisible(byGuest));
        EXPECT_TRUE(s->document().isVisible(byCal));
        EXPECT_FALSE(s->document().isVisible(byHost));
        EXPECT_EQ(s->document().count(EntityKind::Node), 77u + 2);
    }
    // The second guest's view draws what merged.
    ASSERT_TRUE(waitFor([&] { return calWindow.view()->scene().nodes().size() == 79u; }));
    EXPECT_FALSE(calNotices->offerButton()->isVisible());
}
