// The editor as users run it, in real windows (under Xvfb, Mesa llvmpipe): one editor
// hosts a graph (the server runs inside it, on its own thread), another joins over a
// loopback socket, and what one does shows in the other's document and 3D view, checked
// by its pixels. Mouse and keys are real Qt events sent to the real widgets.
//
// CONSTELLATE_SCREENSHOT_DIR=DIR keeps a screenshot of each test's windows there
// (scripts/test.sh keeps them in build*/test-artifacts/); CONSTELLATE_SCREENSHOT=FILE
// saves the host's window of OthersCursorsAndSelectionsShowInTheirColours (the README's).

#include "annotationspanel.h"
#include "editorsession.h"
#include "editortestsupport.h"
#include "graphview.h"
#include "joindialog.h"
#include "lanbrowser.h"
#include "mainwindow.h"
#include "noticebar.h"
#include "peoplepanel.h"
#include "propertiespanel.h"
#include "remotepresence.h"
#include "searchbar.h"

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
#include <QOpenGLWidget>
#include <QProcess>
#include <QPushButton>
#include <QTableWidget>
#include <QTcpSocket>
#include <QTest>
#include <QTemporaryDir>
#include <QThread>
#include <QTreeWidget>

#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <future>
#include <thread>

using namespace constellate;
using namespace constellate::ui;
using namespace constellate::test;

namespace {

bool isRed(QRgb c)
{
    // The added node is pure red; the sample's nodes are orange-brown (about 156, 62, 31).
    return qRed(c) > 190 && qGreen(c) < 40 && qBlue(c) < 40;
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
    const QImage own = gv->grabSettledFrame();
    const QPoint g = *gv->pixelOf(node);
    EXPECT_GT(countColour(own, qRgb(255, 210, 30), 50, QRect(g - QPoint(40, 40), QSize(81, 81))), 20);

    // The README's picture: CONSTELLATE_SCREENSHOT=docs/screenshot.png.
    if (const QByteArray shot = qgetenv("CONSTELLATE_SCREENSHOT"); !shot.isEmpty())
        hostWindow->grab().save(QString::fromLocal8Bit(shot));
}

/// The label of a node of the sample (lesmis): "Valjean" and the others.
EntityId nodeLabelled(const GraphDocument& doc, std::string_view label)
{
    EntityId found;
    doc.forEach(EntityKind::Node, [&](const GraphDocument::Entity& e) {
        if (doc.label(e) == label)
            found = e.id;
    });
    return found;
}

/// Scans a rectangle of the view for a pixel whose annotation text is `annotation`.
std::optional<QPoint> pixelOfAnnotation(const GraphView& view, EntityId annotation, QRect area)
{
    for (int y = area.top(); y <= area.bottom(); y += 2)
        for (int x = area.left(); x <= area.right(); x += 2)
            if (view.annotationAt(QPoint(x, y)) == annotation)
                return QPoint(x, y);
    return std::nullopt;
}

TEST_F(EditorTest, AnnotationsAreSharedShownInTheViewAndEditedInThePanel)
{
    constexpr QRgb TagColour = qRgb(255, 0, 255);
    constexpr QRgb HighlightColour = qRgb(40, 80, 255);
    GraphView* gv = guestWindow->view();
    const EntityId node = nodeNearMiddle(*gv);
    ASSERT_FALSE(node.isNull());
    const QPoint at = *gv->pixelOf(node);
    const QRect below(at + QPoint(-80, 0), QSize(161, 70));
    const QRect around(at - QPoint(40, 40), QSize(81, 81));
    const QImage before = gv->grabFramebuffer();
    const int tagBefore = countColour(before, TagColour, 50, below);
    const int ringBefore = countColour(before, HighlightColour, 50, around);

    // The host tags and highlights the node (as Edit > Annotate does, without the dialogs).
    host->setSelection({node});
    AnnotationsPanel* hostPanel = hostWindow->annotationsPanel();
    hostPanel->annotateSelection(AnnotationKind::Tag, QStringLiteral("suspect"), 0xff00ffff);
    hostPanel->annotateSelection(AnnotationKind::Highlight, QString(), 0x2850ffff);
    EXPECT_EQ(hostPanel->rows().size(), 2u);
    ASSERT_TRUE(waitFor([&] { return guest->document().count(EntityKind::Annotation) == 2u; }));
    EntityId tag;
    guest->document().forEach(EntityKind::Annotation, [&](const GraphDocument::Entity& e) {
        if (guest->document().annotationKind(e) == AnnotationKind::Tag)
            tag = e.id;
    });
    ASSERT_FALSE(tag.isNull());

    // The guest sees the tag's text under the node in the tag's colour, and a ring in the
    // highlight's colour around it.
    QImage shown;
    ASSERT_TRUE(waitFor([&] {
        shown = gv->grabFramebuffer();
        return countColour(shown, TagColour, 50, below) > tagBefore + 10
            && countColour(shown, HighlightColour, 50, around) > ringBefore + 20;
    })) << "tag pixels " << countColour(shown, TagColour, 50, below) << ", ring pixels "
        << countColour(shown, HighlightColour, 50, around);

    // A click on the tag's text selects its node and lists the tag, chosen, in the panel.
    const auto onTag = pixelOfAnnotation(*gv, tag, below);
    ASSERT_TRUE(onTag.has_value()) << "no pixel of the view picks the tag";
    click(gv, *onTag);
    EXPECT_EQ(guest->selection(), std::vector<EntityId> {node});
    AnnotationsPanel* guestPanel = guestWindow->annotationsPanel();
    const auto& rows = guestPanel->rows();
    const auto row = std::find(rows.begin(), rows.end(), tag);
    ASSERT_NE(row, rows.end());
    const int r = int(row - rows.begin());
    EXPECT_TRUE(guestPanel->table()->item(r, 0)->isSelected());

    // The guest edits the tag's text in the panel: the host has it.
    guestPanel->table()->item(r, 1)->setText(QStringLiteral("cleared"));
    ASSERT_TRUE(waitFor([&] {
        const GraphDocument::Entity* e = host->document().entity(tag);
        return e && host->document().text(*e) == "cleared";
    }));
    EXPECT_EQ(guest->undoText(), QStringLiteral("Edit Annotation"));

    // Deleting the node hides its annotations; undo brings them back, for both.
    guest->deleteEntities({node});
    ASSERT_TRUE(waitFor([&] { return host->document().count(EntityKind::Annotation) == 0u; }));
    EXPECT_TRUE(hostPanel->rows().empty());
    key(guestWindow.get(), Qt::Key_Z, Qt::ControlModifier);
    ASSERT_TRUE(waitFor([&] { return host->document().count(EntityKind::Annotation) == 2u; }));
    hostPanel->setShowAll(true); // the host's selection lost the node when it was deleted
    EXPECT_EQ(hostPanel->rows().size(), 2u) << "the panel does not follow a restored node's annotations";
    hostPanel->setShowAll(false);
}

TEST_F(EditorTest, SearchOutlinesMatchesDimsTheRestAndFollowsEveryonesEdits)
{
    GraphView* hv = hostWindow->view();
    SearchBar* bar = hostWindow->searchBar();
    key(hostWindow.get(), Qt::Key_F, Qt::ControlModifier);
    EXPECT_TRUE(bar->field()->hasFocus());
    bar->field()->setText(QStringLiteral("valjean"));
    bar->runNow();
    const EntityId valjean = nodeLabelled(host->document(), "Valjean");
    ASSERT_FALSE(valjean.isNull());
    ASSERT_TRUE(bar->matches().has_value());
    EXPECT_EQ(*bar->matches(), std::vector<EntityId> {valjean});
    EXPECT_TRUE(hv->isSearching());

    // Everything else is drawn dimmer than its colour; the match keeps its own.
    const render::RenderScene& scene = hv->scene();
    const EntityId other = nodeLabelled(host->document(), "Myriel");
    const auto instanceColour = [&](EntityId id) {
        const render::NodeInstance& n = scene.nodes()[std::size_t(scene.nodeIndex(id))];
        return (Rgba(n.color[0]) << 24) | (Rgba(n.color[1]) << 16) | (Rgba(n.color[2]) << 8) | n.color[3];
    };
    EXPECT_EQ(instanceColour(valjean), host->document().color(*host->document().entity(valjean)));
    EXPECT_NE(instanceColour(other), host->document().color(*host->document().entity(other)));
    // And the match is outlined in the search colour.
    hv->frameAll();
    const QPoint at = *hv->pixelOf(valjean);
    ASSERT_TRUE(waitFor([&] {
        return countColour(hv->grabFramebuffer(), qRgb(0, 229, 255), 50, QRect(at - QPoint(40, 40), QSize(81, 81))) > 20;
    })) << "the match is not outlined";

    // The guest names another node like the search: the host's matches follow.
    const EntityId renamed = nodeLabelled(guest->document(), "Cosette");
    guest->setField({renamed}, FieldRef {Field::Label, {}}, Value("Cosette, Valjean's ward"), QStringLiteral("Rename"));
    ASSERT_TRUE(waitFor([&] { return bar->matches() && bar->matches()->size() == 2u; }));

    // Enter selects the matches; Escape ends the search and every colour comes back.
    key(bar->field(), Qt::Key_Return);
    std::vector<EntityId> both {valjean, renamed};
    std::sort(both.begin(), both.end());
    EXPECT_EQ(host->selection(), both);
    bar->field()->setFocus();
    key(bar->field(), Qt::Key_Escape);
    EXPECT_FALSE(bar->matches().has_value());
    EXPECT_FALSE(hv->isSearching());
    EXPECT_EQ(instanceColour(other), host->document().color(*host->document().entity(other)));

    // A malformed query says why and keeps the view as it was.
    bar->field()->setText(QStringLiteral("size>big"));
    bar->runNow();
    EXPECT_FALSE(bar->matches().has_value());
}

TEST_F(EditorTest, TheLassoSelectsTheNodesInsideItsLoop)
{
    GraphView* hv = hostWindow->view();
    key(hostWindow.get(), Qt::Key_S, Qt::ShiftModifier);
    ASSERT_EQ(hv->tool(), Tool::Lasso);
    // A diamond around the middle of the view, drawn in small steps.
    const QPoint c(hv->width() / 2, hv->height() / 2);
    const int rx = hv->width() / 4, ry = hv->height() / 4;
    const QPoint corners[] = {c + QPoint(0, -ry), c + QPoint(rx, 0), c + QPoint(0, ry), c + QPoint(-rx, 0), c + QPoint(0, -ry)};
    mouse(hv, QEvent::MouseButtonPress, corners[0], Qt::LeftButton, Qt::LeftButton);
    for (int k = 0; k < 4; ++k)
        for (int i = 1; i <= 10; ++i)
            mouse(hv, QEvent::MouseMove, corners[k] + (corners[k + 1] - corners[k]) * i / 10, Qt::NoButton, Qt::LeftButton);
    mouse(hv, QEvent::MouseButtonRelease, corners[4], Qt::LeftButton, Qt::NoButton);

    // Inside the diamond: |dx|/rx + |dy|/ry < 1. Nodes near its border may go either way.
    const auto& selected = host->selection();
    int inside = 0;
    for (const EntityId id : hv->scene().nodeIds()) {
        const auto p = hv->pixelOf(id);
        ASSERT_TRUE(p.has_value());
        const double d = std::abs(p->x() - c.x()) / double(rx) + std::abs(p->y() - c.y()) / double(ry);
        const bool chosen = std::find(selected.begin(), selected.end(), id) != selected.end();
        if (d < 0.97) {
            ++inside;
            EXPECT_TRUE(chosen) << "a node inside the loop was not selected";
        } else if (d > 1.03) {
            EXPECT_FALSE(chosen) << "a node outside the loop was selected";
        }
    }
    EXPECT_GT(inside, 3);
}

TEST_F(EditorTest, TheKeyboardSelectsMovesConnectsAndDeletes)
{
    GraphView* hv = hostWindow->view();
    hostWindow->activateWindow();
    ASSERT_TRUE(QTest::qWaitForWindowActive(hostWindow.get(), 5000));
    hv->setFocus();
    // Page Down: the node nearest what the camera looks at; Shift+Page Down adds the next.
    key(hv, Qt::Key_PageDown);
    ASSERT_EQ(host->selection().size(), 1u);
    const EntityId first = host->selection().front();
    key(hv, Qt::Key_PageDown, Qt::ShiftModifier);
    ASSERT_EQ(host->selection().size(), 2u);

    // Ctrl+K connects them; Ctrl+Right nudges both to the right on screen, one undo step.
    const std::size_t edges = host->document().count(EntityKind::Edge);
    key(hostWindow.get(), Qt::Key_K, Qt::ControlModifier);
    ASSERT_EQ(host->document().count(EntityKind::Edge), edges + 1);
    host->setSelection({first});
    const QPoint before = *hv->pixelOf(first);
    const Vec3 start = positionOf(host->document(), first);
    hv->setFocus();
    key(hv, Qt::Key_Right, Qt::ControlModifier);
    const QPoint after = *hv->pixelOf(first);
    EXPECT_NEAR(after.x() - before.x(), 5, 1);
    EXPECT_NEAR(after.y() - before.y(), 0, 1);
    EXPECT_EQ(host->undoText(), QStringLiteral("Move Node"));
    ASSERT_TRUE(waitFor([&] { return distance(positionOf(guest->document(), first), start) > 1e-4f; }));
    key(hostWindow.get(), Qt::Key_Z, Qt::ControlModifier);
    EXPECT_LT(distance(positionOf(host->document(), first), start), 1e-6f);

    // Insert adds a node at the camera's target, selected; Delete removes it.
    key(hostWindow.get(), Qt::Key_Insert);
    ASSERT_EQ(host->document().count(EntityKind::Node), 78u);
    ASSERT_EQ(host->selection().size(), 1u);
    hv->setFocus();
    key(hostWindow.get(), Qt::Key_Delete);
    EXPECT_EQ(host->document().count(EntityKind::Node), 77u);

    // Ctrl+2 goes to the annotations, Ctrl+0 back to the view.
    key(hostWindow.get(), Qt::Key_2, Qt::ControlModifier);
    EXPECT_TRUE(hostWindow->annotationsPanel()->table()->hasFocus());
    key(hostWindow.get(), Qt::Key_0, Qt::ControlModifier);
    EXPECT_TRUE(hv->hasFocus());
}

TEST_F(EditorTest, AutoLayoutSettlesLiveForTheOthersAndIsOneUndoStep)
{
    // A layout that does not settle by itself (a tolerance no step gets under), so that the
    // guest surely sees it moving before the host stops it where it is.
    layout::ForceLayoutOptions endless;
    endless.settleTolerance = 1e-30f;
    endless.maxIterations = 1'000'000;
    const EntityId valjean = nodeLabelled(host->document(), "Valjean");
    const Vec3 start = positionOf(host->document(), valjean);
    hostWindow->startAutoLayout(endless);
    ASSERT_TRUE(hostWindow->isLayingOut());

    // The guest's view draws the host's layout as it goes; nothing is stored yet.
    ASSERT_TRUE(waitFor([&] { return guest->client()->transientPositions().count(valjean) == 1; }))
        << "the guest does not see the layout live";
    ASSERT_TRUE(waitFor([&] {
        const std::int64_t i = guestWindow->view()->scene().nodeIndex(valjean);
        const glm::vec3 p = guestWindow->view()->scene().nodes()[std::size_t(i)].position;
        return distance(Vec3 {p.x, p.y, p.z}, start) > 1e-3f;
    }));
    EXPECT_EQ(distance(positionOf(guest->document(), valjean), start), 0.0f);

    // Stop: the positions reached are one transaction, one undo step, for both.
    hostWindow->stopAutoLayout(true);
    ASSERT_TRUE(waitFor([&] { return !hostWindow->isLayingOut(); }));
    EXPECT_EQ(host->undoText(), QStringLiteral("Auto-Layout"));
    const Vec3 laidOut = positionOf(host->document(), valjean);
    EXPECT_GT(distance(laidOut, start), 1e-3f);
    ASSERT_TRUE(waitFor([&] { return host->document().canonicalHash() == guest->document().canonicalHash(); }));
    ASSERT_TRUE(waitFor([&] { return guest->client()->transientPositions().empty(); }));
    key(hostWindow.get(), Qt::Key_Z, Qt::ControlModifier);
    EXPECT_LT(distance(positionOf(host->document(), valjean), start), 1e-6f);
    ASSERT_TRUE(waitFor([&] { return distance(positionOf(guest->document(), valjean), start) < 1e-6f; }));

    // A pinned node stays put; a cancelled layout leaves every node where it was.
    host->setSelection({valjean});
    hostWindow->startAutoLayout(endless);
    hostWindow->stopAutoLayout(false);
    ASSERT_TRUE(waitFor([&] { return !hostWindow->isLayingOut(); }));
    EXPECT_LT(distance(positionOf(host->document(), valjean), start), 1e-6f);
    host->setField({valjean}, FieldRef {Field::Property, "pinned"}, Value(true), QStringLiteral("Pin"));
    layout::ForceLayoutOptions quick;
    quick.maxIterations = 200;
    hostWindow->startAutoLayout(quick);
    ASSERT_TRUE(waitFor([&] { return !hostWindow->isLayingOut(); }, 60'000));
    EXPECT_EQ(host->undoText(), QStringLiteral("Auto-Layout"));
    EXPECT_LT(distance(positionOf(host->document(), valjean), start), 1e-6f) << "a pinned node moved";
}

/// An environment variable set for one scope (read by the view when it is made), then unset.
class ScopedEnvironment {
public:
    ScopedEnvironment(const char* name, const char* value) : m_name(name) { qputenv(name, value); }
    ~ScopedEnvironment() { qunsetenv(m_name); }
    ScopedEnvironment(const ScopedEnvironment&) = delete;
    ScopedEnvironment& operator=(const ScopedEnvironment&) = delete;

private:
    const char* m_name;
};

/// Shows `window` (900x600) with Les Misérables (77 nodes) opened in `session`; its view
/// once every node is drawn, or null (the failure reported).
GraphView* showLesMiserables(EditorSession& session, MainWindow& window)
{
    window.resize(900, 600);
    window.show();
    QString error;
    if (!session.openFile(QStringLiteral(CONSTELLATE_TEST_GRAPHS "/lesmis.gexf"), &error)) {
        ADD_FAILURE() << error.toStdString();
        return nullptr;
    }
    GraphView* view = window.view();
    if (!waitFor([&] { return view->scene().nodes().size() == 77u; })) {
        ADD_FAILURE() << "the view did not get the 77 nodes";
        return nullptr;
    }
    return view;
}

// Run in a child process by EditorHighDpi.TheViewDrawsAndPicksAtTheScreensPixels, with
// QT_SCALE_FACTOR=2 (the scale must be set before the application starts). Skipped in a
// normal run.
TEST(EditorHighDpiChild, DrawsAndPicksAtTwiceThePixels)
{
    if (qEnvironmentVariable("CONSTELLATE_TEST_HIGHDPI_CHILD").isEmpty())
        GTEST_SKIP() << "run by EditorHighDpi.TheViewDrawsAndPicksAtTheScreensPixels";
    EditorSession session(Profile {0x4004, QStringLiteral("solo"), 0});
    MainWindow window(session);
    GraphView* view = showLesMiserables(session, window);
    ASSERT_TRUE(view);
    ASSERT_DOUBLE_EQ(view->devicePixelRatioF(), 2.0);
    settle(200);

    // The framebuffer has the screen's pixels: twice the widget's size each way.
    const QImage image = view->grabSettledFrame();
    EXPECT_EQ(image.width(), 2 * view->width());
    EXPECT_EQ(image.height(), 2 * view->height());

    // A node seen at a widget (logical) pixel is drawn around twice those coordinates in
    // the framebuffer, in its colour, and picking at the logical pixel finds it.
    const EntityId node = nodeNearMiddle(*view);
    ASSERT_FALSE(node.isNull());
    const QPoint at = *view->pixelOf(node);
    EXPECT_EQ(view->nodeAt(at), node);
    const Rgba c = session.document().color(*session.document().entity(node));
    const QRgb colour = qRgb(int(c >> 24), int((c >> 16) & 0xff), int((c >> 8) & 0xff));
    EXPECT_GT(countColour(image, colour, 60, QRect(2 * at - QPoint(4, 4), QSize(9, 9))), 10)
        << "the node is not drawn at twice its logical pixel";
}

TEST(EditorHighDpi, TheViewDrawsAndPicksAtTheScreensPixels)
{
    QProcess child;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("CONSTELLATE_TEST_HIGHDPI_CHILD"), QStringLiteral("1"));
    env.insert(QStringLiteral("QT_SCALE_FACTOR"), QStringLiteral("2"));
    child.setProcessEnvironment(env);
    child.setProcessChannelMode(QProcess::MergedChannels);
    child.start(QCoreApplication::applicationFilePath(), {QStringLiteral("--gtest_filter=EditorHighDpiChild.*")});
    ASSERT_TRUE(child.waitForStarted(30'000));
    ASSERT_TRUE(child.waitForFinished(120'000));
    const QByteArray output = child.readAll();
    EXPECT_EQ(child.exitCode(), 0) << output.toStdString();
    EXPECT_TRUE(output.contains("[  PASSED  ] 1 test")) << output.toStdString();
}

// Frames are drawn on the view's own thread: while one is held there (as a slow frame of a
// large graph on a software renderer would be), the window goes on answering clicks and
// keys, and the frame shows once it is done.
TEST(EditorView, TheWindowAnswersWhileAFrameIsBeingDrawn)
{
    EditorSession session(Profile {0x5005, QStringLiteral("solo"), 0});
    MainWindow window(session);
    GraphView* view = showLesMiserables(session, window);
    ASSERT_TRUE(view);
    if (!view->drawsOnItsOwnThread())
        GTEST_SKIP() << "this platform has no threaded OpenGL: frames are drawn on the UI thread";
    const QImage first = view->grabSettledFrame();
    const QPoint middle(first.width() / 2, first.height() / 2);
    ASSERT_FALSE(isRed(first.pixel(middle)));

    // The next frame waits on the view thread until released.
    std::promise<void> release;
    std::shared_future<void> released = release.get_future().share();
    std::atomic<int> held {0};
    view->setBeforeFrameHook([released, &held] {
        ++held;
        released.wait();
    });
    const std::uint64_t shown = view->framesShown();

    // A red node between the eye and what it looks at: in the middle of the next frame.
    const glm::vec3 eye = view->camera().eyePosition();
    const glm::vec3 target = view->camera().target();
    const glm::vec3 at = eye + (target - eye) * 0.3f;
    TransactionBuilder b = session.document().begin();
    const EntityId red = b.createNode({FieldValue {{Field::Position, {}}, Value(Vec3 {at.x, at.y, at.z})},
                                       FieldValue {{Field::Color, {}}, Value::color(0xff0000ff)},
                                       FieldValue {{Field::Size, {}}, Value(double(glm::length(target - eye)) * 0.03)}});
    session.commit(b, QStringLiteral("Add Node"));
    ASSERT_TRUE(waitFor([&] { return held.load() >= 1; })) << "no frame was asked for";

    // Held: the UI thread still picks, selects, undoes and redoes (counted, not timed).
    ASSERT_TRUE(waitFor([&] { return view->nodeAt(middle / view->devicePixelRatioF()).has_value(); }));
    const EntityId picked = *view->nodeAt(middle / view->devicePixelRatioF());
    click(view, middle / view->devicePixelRatioF());
    EXPECT_EQ(session.selection(), std::vector<EntityId> {picked});
    key(view, Qt::Key_Z, Qt::ControlModifier);
    EXPECT_EQ(session.document().count(EntityKind::Node), 77u);
    key(view, Qt::Key_Z, Qt::ControlModifier | Qt::ShiftModifier);
    EXPECT_EQ(session.document().count(EntityKind::Node), 78u);
    settle(300);
    EXPECT_EQ(view->framesShown(), shown) << "a frame was shown while the view thread was held";
    EXPECT_FALSE(isRed(view->grabFramebuffer().pixel(middle))) << "the held frame is on screen already";

    // Released: the frames asked for meanwhile are drawn, the newest showing the red node.
    view->setBeforeFrameHook({});
    release.set_value();
    QImage after;
    EXPECT_TRUE(waitFor([&] {
        after = view->grabFramebuffer();
        return view->framesShown() > shown && isRed(after.pixel(middle));
    })) << std::hex << after.pixel(middle);
    EXPECT_EQ(view->nodeAt(middle / view->devicePixelRatioF()), red);

    // Smooth edges (multisampled on the view thread, then resolved) from the next frame on.
    const std::uint64_t aliased = view->framesShown();
    view->setSmoothEdges(true);
    EXPECT_TRUE(waitFor([&] { return view->framesShown() > aliased && isRed(view->grabFramebuffer().pixel(middle)); }));
}

// Where OpenGL cannot be used from a second thread, the same frames are drawn on the UI
// thread (forced here with CONSTELLATE_VIEW_THREAD=0): the graph shows, and a new node too.
TEST(EditorView, WithoutAViewThreadTheFramesAreDrawnOnTheUiThread)
{
    const ScopedEnvironment noViewThread("CONSTELLATE_VIEW_THREAD", "0");
    EditorSession session(Profile {0x6006, QStringLiteral("solo"), 0});
    MainWindow window(session);
    GraphView* view = showLesMiserables(session, window);
    ASSERT_TRUE(view);
    EXPECT_FALSE(view->drawsOnItsOwnThread());
    const QImage first = view->grabSettledFrame();
    EXPECT_GT(view->framesShown(), 0u);
    const QPoint middle(first.width() / 2, first.height() / 2);
    ASSERT_FALSE(isRed(first.pixel(middle)));
    int drawn = 0;
    for (int y = 0; y < first.height(); y += 4)
        for (int x = 0; x < first.width(); x += 4)
            drawn += first.pixel(x, y) != first.pixel(0, 0);
    EXPECT_GT(drawn, 200) << "the graph is not drawn";

    const glm::vec3 eye = view->camera().eyePosition();
    const glm::vec3 target = view->camera().target();
    const glm::vec3 at = eye + (target - eye) * 0.3f;
    TransactionBuilder b = session.document().begin();
    b.createNode({FieldValue {{Field::Position, {}}, Value(Vec3 {at.x, at.y, at.z})},
                  FieldValue {{Field::Color, {}}, Value::color(0xff0000ff)},
                  FieldValue {{Field::Size, {}}, Value(double(glm::length(target - eye)) * 0.03)}});
    session.commit(b, QStringLiteral("Add Node"));
    EXPECT_TRUE(waitFor([&] { return isRed(view->grabFramebuffer().pixel(middle)); }));
}

/// Les Misérables as `presentation` shows it, with a selection box being dragged from the
/// top left corner; the frame and how many of its pixels are the box's.
struct PresentedFrame {
    QImage frame;
    QImage withBox;
    bool usesGlWidget = false;
    GraphView::Presentation presentation = GraphView::Presentation::Gl;
};
PresentedFrame presentLesMiserables(const char* presentation)
{
    const ScopedEnvironment choice("CONSTELLATE_VIEW_PRESENT", presentation);
    EditorSession session(Profile {0x7007, QStringLiteral("solo"), 0});
    MainWindow window(session);
    PresentedFrame out;
    GraphView* view = showLesMiserables(session, window);
    if (!view)
        return out;
    out.presentation = view->presentation();
    out.usesGlWidget = !window.findChildren<QOpenGLWidget*>().isEmpty();
    settle(200);
    out.frame = view->grabSettledFrame().convertToFormat(QImage::Format_RGB32);
    const QPoint from(6, 6);
    const QPoint to(view->width() / 4, view->height() / 4);
    EXPECT_FALSE(view->nodeAt(from).has_value());
    mouse(view, QEvent::MouseButtonPress, from, Qt::LeftButton, Qt::LeftButton);
    mouse(view, QEvent::MouseMove, (from + to) / 2, Qt::NoButton, Qt::LeftButton);
    mouse(view, QEvent::MouseMove, to, Qt::NoButton, Qt::LeftButton);
    settle(100);
    out.withBox = view->grabFramebuffer().convertToFormat(QImage::Format_RGB32);
    mouse(view, QEvent::MouseButtonRelease, to, Qt::LeftButton, Qt::NoButton);
    return out;
}

// Two ways to show the view thread's frames: a child QOpenGLWidget (with a GPU), or an
// image read back and painted (with a software renderer, where a QOpenGLWidget makes Qt
// compose the whole window with OpenGL at every frame). Both show the same picture, and
// the gesture's overlays over it; the image way leaves no OpenGL widget in the window.
TEST(EditorView, ImagesAndTheGlWidgetShowTheSameFrame)
{
    const PresentedFrame gl = presentLesMiserables("gl");
    const PresentedFrame image = presentLesMiserables("image");
    ASSERT_FALSE(gl.frame.isNull());
    ASSERT_FALSE(image.frame.isNull());
    EXPECT_EQ(gl.presentation, GraphView::Presentation::Gl);
    EXPECT_TRUE(gl.usesGlWidget);
    EXPECT_EQ(image.presentation, GraphView::Presentation::Image);
    EXPECT_FALSE(image.usesGlWidget) << "a QOpenGLWidget in the window brings back the window's GL composition";

    ASSERT_EQ(gl.frame.size(), image.frame.size());
    int drawn = 0;
    int differ = 0;
    for (int y = 0; y < gl.frame.height(); ++y)
        for (int x = 0; x < gl.frame.width(); ++x) {
            const QRgb a = gl.frame.pixel(x, y);
            const QRgb b = image.frame.pixel(x, y);
            drawn += a != gl.frame.pixel(0, 0);
            differ += std::abs(qRed(a) - qRed(b)) + std::abs(qGreen(a) - qGreen(b)) + std::abs(qBlue(a) - qBlue(b)) > 24;
        }
    EXPECT_GT(drawn, 2000) << "the graph is not drawn";
    EXPECT_LT(differ, gl.frame.width() * gl.frame.height() / 200) << "the two presentations differ in " << differ
                                                                     << " pixels";
    // Not upside down: the top left corner, where nothing is drawn, is the background in both.
    EXPECT_EQ(image.frame.pixel(2, 2), gl.frame.pixel(2, 2));

    // The selection box, drawn over the frame (its border and fill are light blue).
    const auto boxPixels = [](const QImage& frame) {
        return countColour(frame, qRgb(120, 180, 255), 60, QRect(QPoint(0, 0), frame.size() / 4));
    };
    EXPECT_GT(boxPixels(gl.withBox), 100);
    EXPECT_GT(boxPixels(image.withBox), 100);
    EXPECT_LT(boxPixels(image.frame), 20);
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
