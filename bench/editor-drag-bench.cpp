// The editor's UI thread while a node is dragged in a large graph: the real MainWindow and
// GraphView (render/'s renderer in a QOpenGLWidget), the graph hosted as a room by the
// server inside the editor (as `constellate --host` runs it), and a left-button drag of one
// node made of mouse moves at 60 Hz, as a hand gives them. Every event the UI thread
// handles is timed (QApplication::notify); the longest is the longest stall.
//
//   xvfb-run -a -s "-screen 0 2560x1600x24" build-release/bench/editor-drag-bench --nodes 100000
//
// Options: --nodes N (default 100000; twice as many edges between lattice neighbours, as
// bench_render's "local" graphs), --moves N (default 120: two seconds), --width/--height of
// the 3D view (default 1920x1080), --alone (no room: the document only), --json.
// It prints, for the drag only: the longest and 99th-percentile time of one mouse-move
// handling (picking, the scene's override, the live positions sent to the room), of one
// paint (showing the newest frame: the window's composition), of any other event, and the
// longest gap between two turns of the event loop; and apart, the frames drawn on the
// view's own thread (GraphView's ViewRenderThread: upload, draw calls, the wait for the
// "GPU", which on Mesa llvmpipe is the CPU) and how long each held the scene's lock.

#include "editorsession.h"
#include "eventloopwait.h"
#include "graphview.h"
#include "mainwindow.h"

#include "documentio.h"
#include "graphdocument.h"
#include "latticegraph.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QElapsedTimer>
#include <QMouseEvent>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QThread>
#include <QTimer>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

using namespace constellate;
using namespace constellate::ui;

namespace {

using Clock = std::chrono::steady_clock;

double msSince(Clock::time_point t)
{
    return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

/// Times every event delivered on the UI thread (outermost deliveries only: a nested
/// delivery is part of the one that made it).
class TimingApplication : public QApplication {
public:
    using QApplication::QApplication;

    bool recording = false;
    std::vector<double> mouseMoves;
    std::vector<double> paints;
    std::vector<double> others;
    double longestOther = 0;
    QEvent::Type longestOtherType = QEvent::None;

    bool notify(QObject* receiver, QEvent* event) override
    {
        if (m_depth > 0 || !recording) {
            ++m_depth;
            const bool r = QApplication::notify(receiver, event);
            --m_depth;
            return r;
        }
        const QEvent::Type type = event->type();
        ++m_depth;
        const Clock::time_point start = Clock::now();
        const bool r = QApplication::notify(receiver, event);
        const double ms = msSince(start);
        --m_depth;
        if (type == QEvent::MouseMove)
            mouseMoves.push_back(ms);
        else if (type == QEvent::Paint || type == QEvent::UpdateRequest || type == QEvent::UpdateLater)
            paints.push_back(ms);
        else {
            others.push_back(ms);
            if (ms > longestOther) {
                longestOther = ms;
                longestOtherType = type;
            }
        }
        return r;
    }

private:
    int m_depth = 0;
};

struct Stats {
    std::size_t count = 0;
    double p50 = 0, p99 = 0, max = 0;
};

Stats stats(std::vector<double> v)
{
    Stats s;
    s.count = v.size();
    if (v.empty())
        return s;
    std::sort(v.begin(), v.end());
    auto at = [&](double q) { return v[std::min(v.size() - 1, std::size_t(q * double(v.size() - 1) + 0.5))]; };
    s.p50 = at(0.50);
    s.p99 = at(0.99);
    s.max = v.back();
    return s;
}

using constellate::test::waitFor;

void print(const char* what, const Stats& s)
{
    std::printf("  %-34s %6zu  p50 %8.2f ms  p99 %8.2f ms  max %8.2f ms\n", what, s.count, s.p50, s.p99, s.max);
}

void printJson(const char* what, const Stats& s, bool last)
{
    std::printf("    \"%s\": {\"count\": %zu, \"p50_ms\": %.3f, \"p99_ms\": %.3f, \"max_ms\": %.3f}%s\n", what, s.count,
                s.p50, s.p99, s.max, last ? "" : ",");
}

} // namespace

int main(int argc, char** argv)
{
    TimingApplication app(argc, argv);
    // The profile and hosted rooms go to a test location, never the user's.
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName(QStringLiteral("ConstellateBench"));
    QCoreApplication::setApplicationName(QStringLiteral("editor-drag-bench"));

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("The editor's longest UI-thread stall while dragging a node."));
    parser.addHelpOption();
    const QCommandLineOption nodesOption(QStringLiteral("nodes"), QStringLiteral("Nodes (edges: twice as many)."),
                                         QStringLiteral("N"), QStringLiteral("100000"));
    const QCommandLineOption movesOption(QStringLiteral("moves"), QStringLiteral("Mouse moves of the drag, 60 a second."),
                                         QStringLiteral("N"), QStringLiteral("120"));
    const QCommandLineOption widthOption(QStringLiteral("width"), QStringLiteral("Width of the 3D view."),
                                         QStringLiteral("PX"), QStringLiteral("1920"));
    const QCommandLineOption heightOption(QStringLiteral("height"), QStringLiteral("Height of the 3D view."),
                                          QStringLiteral("PX"), QStringLiteral("1080"));
    const QCommandLineOption aloneOption(QStringLiteral("alone"), QStringLiteral("No room: edit the document alone."));
    const QCommandLineOption jsonOption(QStringLiteral("json"), QStringLiteral("Print JSON."));
    parser.addOptions({nodesOption, movesOption, widthOption, heightOption, aloneOption, jsonOption});
    parser.process(app);
    bool ok1 = false, ok2 = false, ok3 = false, ok4 = false;
    const std::size_t nodeCount = parser.value(nodesOption).toULong(&ok1);
    const int moves = parser.value(movesOption).toInt(&ok2);
    const int width = parser.value(widthOption).toInt(&ok3);
    const int height = parser.value(heightOption).toInt(&ok4);
    if (!ok1 || !ok2 || !ok3 || !ok4 || nodeCount < 2 || moves < 1 || width < 64 || height < 64) {
        std::fprintf(stderr, "editor-drag-bench: bad option value (see --help)\n");
        return 2;
    }

    QTemporaryDir data;
    if (!data.isValid()) {
        std::fprintf(stderr, "editor-drag-bench: no temporary folder\n");
        return 1;
    }
    const QString file = data.filePath(QStringLiteral("drag-bench.constellate"));
    {
        GraphDocument doc(0x5eed, 1);
        bench::addLatticeGraph(doc, nodeCount, bench::EdgeKind::Local, /*labels=*/true);
        saveNative(doc, file.toStdString());
    }

    EditorSession session(Profile {0x1001, QStringLiteral("bench"), 0x2ca02cff});
    MainWindow window(session);
    window.show();
    // The view gets the requested size; the window grows around it.
    window.resize(width + 400, height + 200);
    QApplication::processEvents();
    const QSize grow = QSize(width, height) - window.view()->size();
    window.resize(window.size() + grow);

    QElapsedTimer loadTimer;
    loadTimer.start();
    QString error;
    if (parser.isSet(aloneOption)) {
        if (!session.openFile(file, &error)) {
            std::fprintf(stderr, "editor-drag-bench: %s\n", qPrintable(error));
            return 1;
        }
    } else {
        EditorSession::HostOptions options;
        options.port = 0;
        options.bind = QHostAddress::LocalHost; // loopback only
        options.dataDir = data.filePath(QStringLiteral("rooms"));
        if (!session.host(file, options, &error)) {
            std::fprintf(stderr, "editor-drag-bench: %s\n", qPrintable(error));
            return 1;
        }
    }
    GraphView* view = window.view();
    if (!waitFor([&] { return view->scene().nodes().size() == nodeCount; }, 300'000)) {
        std::fprintf(stderr, "editor-drag-bench: the graph did not load (%zu of %zu nodes)\n",
                     view->scene().nodes().size(), nodeCount);
        return 1;
    }
    if (!view->glError().isEmpty()) {
        std::fprintf(stderr, "editor-drag-bench: %s\n", qPrintable(view->glError()));
        return 1;
    }
    // The first frames first (they build the label atlas), and the picking index.
    view->grabSettledFrame(300'000);
    view->nodeAt(QPoint(view->width() / 2, view->height() / 2));
    const double loadMs = double(loadTimer.elapsed());
    const bool hosted = !parser.isSet(aloneOption);
    if (hosted && !waitFor([&] { return session.client() && session.client()->state() == net::SyncClient::State::Online; },
                           60'000)) {
        std::fprintf(stderr, "editor-drag-bench: not joined to the hosted room\n");
        return 1;
    }

    // A node near the middle of the view, on top (the first hit spiralling out).
    const QPoint middle(view->width() / 2, view->height() / 2);
    std::optional<EntityId> node;
    QPoint grab;
    for (int r = 0; r < 200 && !node; r += 4)
        for (int a = 0; a < 16 && !node; ++a) {
            const QPoint p = middle + QPoint(int(r * std::cos(a * 0.3927)), int(r * std::sin(a * 0.3927)));
            if (auto hit = view->nodeAt(p)) {
                node = hit;
                grab = p;
            }
        }
    if (!node) {
        std::fprintf(stderr, "editor-drag-bench: no node near the middle of the view\n");
        return 1;
    }
    const Vec3 before = session.document().position(*session.document().entity(*node));

    auto mouse = [&](QEvent::Type type, QPoint at, Qt::MouseButton button, Qt::MouseButtons buttons) {
        // Posted, not sent: delivered by the event loop, and timed, as the window system's.
        QApplication::postEvent(view, new QMouseEvent(type, QPointF(at), view->mapToGlobal(QPointF(at)), button,
                                                      buttons, Qt::NoModifier));
    };

    int frames = 0;
    std::vector<double> frameMs;
    std::vector<double> lockMs;
    QObject::connect(view, &GraphView::frameShown, view, [&](double ms, double locked) {
        if (app.recording) {
            ++frames;
            frameMs.push_back(ms);
            lockMs.push_back(locked);
        }
    });
    double longestGap = 0;
    Clock::time_point lastTurn = Clock::now();
    // A 1 ms timer: the gaps between its runs are the loop's stalls (plus up to a
    // millisecond). A 0 ms timer would measure the same but keep the UI thread busy, taking
    // a core from the view thread that an editor at rest leaves to it.
    QTimer heartbeat;
    heartbeat.setTimerType(Qt::PreciseTimer);
    heartbeat.setInterval(1);
    QObject::connect(&heartbeat, &QTimer::timeout, [&] {
        const Clock::time_point now = Clock::now();
        longestGap = std::max(longestGap, std::chrono::duration<double, std::milli>(now - lastTurn).count());
        lastTurn = now;
    });

    app.recording = true;
    const Clock::time_point dragStart = Clock::now();
    mouse(QEvent::MouseButtonPress, grab, Qt::LeftButton, Qt::LeftButton);
    int sent = 0;
    QTimer hand;
    hand.setTimerType(Qt::PreciseTimer);
    QEventLoop loop;
    QObject::connect(&hand, &QTimer::timeout, [&] {
        if (sent == moves) {
            hand.stop();
            mouse(QEvent::MouseButtonRelease, grab + QPoint(sent, sent / 2), Qt::LeftButton, Qt::NoButton);
            QTimer::singleShot(200, &loop, &QEventLoop::quit);
            return;
        }
        ++sent;
        // A quarter circle out and back, a pixel or two per move.
        mouse(QEvent::MouseMove, grab + QPoint(sent, sent / 2), Qt::NoButton, Qt::LeftButton);
    });
    lastTurn = Clock::now();
    heartbeat.start();
    hand.start(16);
    loop.exec();
    heartbeat.stop();
    app.recording = false;
    const double dragMs = msSince(dragStart);

    const bool moved = waitFor(
        [&] {
            const Vec3 now = session.document().position(*session.document().entity(*node));
            return now.x != before.x || now.y != before.y || now.z != before.z;
        },
        10'000);
    bool stored = true;
    if (!parser.isSet(aloneOption))
        stored = waitFor([&] { return session.client()->pendingCount() == 0; }, 30'000);

    const Stats moveStats = stats(app.mouseMoves);
    const Stats paintStats = stats(app.paints);
    const Stats otherStats = stats(app.others);
    const Stats frameStats = stats(frameMs);
    const Stats lockStats = stats(lockMs);
    if (parser.isSet(jsonOption)) {
        std::printf("{\n  \"nodes\": %zu, \"edges\": %zu, \"view\": [%d, %d], \"hosted\": %s,\n", nodeCount,
                    2 * nodeCount, view->width(), view->height(), parser.isSet(aloneOption) ? "false" : "true");
        std::printf("  \"load_ms\": %.0f, \"drag_ms\": %.0f, \"moves\": %d, \"frames\": %d, \"moved\": %s, "
                    "\"stored\": %s,\n",
                    loadMs, dragMs, moves, frames, moved ? "true" : "false", stored ? "true" : "false");
        std::printf("  \"longest_loop_gap_ms\": %.3f,\n  \"events\": {\n", longestGap);
        printJson("mouse_move", moveStats, false);
        printJson("paint", paintStats, false);
        printJson("other", otherStats, true);
        std::printf("  },\n");
        printJson("view_thread_frame", frameStats, false);
        printJson("view_thread_scene_lock", lockStats, true);
        std::printf("}\n");
    } else {
        std::printf("editor-drag-bench: %zu nodes, %zu edges, view %dx%d, %s\n", nodeCount, 2 * nodeCount,
                    view->width(), view->height(), parser.isSet(aloneOption) ? "alone" : "hosted (server in the editor)");
        std::printf("  loaded and drawn in %.0f ms; drag of %d moves over %.0f ms, %d frames; the node %s%s\n", loadMs,
                    moves, dragMs, frames, moved ? "moved" : "did NOT move",
                    parser.isSet(aloneOption) ? "" : (stored ? ", the move stored by the room" : ", NOT stored"));
        std::printf("  UI thread, during the drag:\n");
        print("one mouse move handled", moveStats);
        print("one paint (the newest frame shown)", paintStats);
        print("any other event", otherStats);
        std::printf("  longest other event: type %d; longest gap between two loop turns: %.2f ms\n",
                    int(app.longestOtherType), longestGap);
        std::printf("  view thread:\n");
        print("one frame drawn", frameStats);
        print("of which the scene locked", lockStats);
    }
    return moved && stored ? 0 : 1;
}
