// The editor as users run it, in real windows (under Xvfb, Mesa llvmpipe): one editor
// hosts a graph (the server runs inside it), another joins over a loopback socket, and
// what one adds shows in the other's 3D view, checked by its pixels.

#include "editorsession.h"
#include "graphview.h"
#include "mainwindow.h"

#include <QApplication>
#include <QElapsedTimer>
#include <QImage>
#include <QTemporaryDir>
#include <QThread>

#include <gtest/gtest.h>

#include <functional>

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

bool isRed(QRgb c)
{
    // The added node is pure red; the sample's nodes are orange-brown (about 156, 62, 31).
    return qRed(c) > 190 && qGreen(c) < 40 && qBlue(c) < 40;
}

} // namespace

TEST(Editor, TwoEditorsEditOneGraphAndSeeEachOthersEditsInTheirViews)
{
    QTemporaryDir data;
    ASSERT_TRUE(data.isValid());
    EditorSession host(0x1001, QStringLiteral("host"));
    MainWindow hostWindow(host);
    hostWindow.resize(900, 700);
    hostWindow.show();
    EditorSession::HostOptions options;
    options.port = 0;
    options.bind = QHostAddress::LocalHost;
    options.dataDir = data.path();
    QString error;
    ASSERT_TRUE(host.host(QStringLiteral(CONSTELLATE_TEST_GRAPHS "/lesmis.gexf"), options, &error))
        << error.toStdString();
    ASSERT_TRUE(waitFor([&] { return host.document().count(EntityKind::Node) == 77u; }));
    ASSERT_TRUE(hostWindow.view()->glError().isEmpty()) << hostWindow.view()->glError().toStdString();

    EditorSession guest(0x2002, QStringLiteral("guest"));
    MainWindow guestWindow(guest);
    guestWindow.resize(900, 700);
    guestWindow.show();
    const QUrl url(QStringLiteral("ws://127.0.0.1:%1/rooms/lesmis").arg(host.hostedPort()));
    ASSERT_TRUE(guest.join(url, QString(), &error)) << error.toStdString();
    ASSERT_TRUE(waitFor([&] { return guest.document().count(EntityKind::Node) == 77u; }));
    ASSERT_TRUE(waitFor([&] { return host.client()->peers().size() == 1; }));
    EXPECT_TRUE(host.statusText().contains(QLatin1String("2 here"))) << host.statusText().toStdString();

    // The host's view: the middle of the window is not red before.
    GraphView* view = hostWindow.view();
    ASSERT_TRUE(waitFor([&] { return view->scene().nodes().size() == 77u; }));
    QImage before = view->grabFramebuffer();
    const QPoint middle(before.width() / 2, before.height() / 2);
    EXPECT_FALSE(isRed(before.pixel(middle))) << std::hex << before.pixel(middle);

    // The guest adds a red node between the host's eye and what it looks at: it lands in
    // the middle of the host's view, in front of everything.
    const glm::vec3 eye = view->camera().eyePosition();
    const glm::vec3 target = view->camera().target();
    const glm::vec3 at = eye + (target - eye) * 0.3f;
    TransactionBuilder b = guest.document().begin();
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
    guest.commit(b);

    ASSERT_TRUE(waitFor([&] { return host.document().count(EntityKind::Node) == 78u; }));
    ASSERT_TRUE(waitFor([&] { return view->scene().nodes().size() == 78u; }));
    QImage after;
    ASSERT_TRUE(waitFor([&] {
        after = view->grabFramebuffer();
        return isRed(after.pixel(middle));
    }, 10'000)) << std::hex << after.pixel(middle);
    if (const QByteArray shot = qgetenv("CONSTELLATE_SCREENSHOT"); !shot.isEmpty())
        hostWindow.grab().save(QString::fromLocal8Bit(shot));
}
