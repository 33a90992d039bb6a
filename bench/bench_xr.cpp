// bench_xr: what VR costs the CPU, and how late a pose reaches the others. It drives
// xr::VrSession with our OpenXR test runtime (tests/xr) through the real Khronos loader,
// without the validation layer (it would be measured too), under a display (xvfb-run).
//
//   bench_xr --server build/app/constellate-server [--graph FILE] [--size WxH] [--seconds N] [--no-labels]
//
// 1. CPU per XR frame: the session draws FILE (default: the 10,000-node ba-10k.graphml) in
//    both eyes at WxH (default 1440x1584) for N seconds (default 10). Per frame, the XR
//    thread's own CPU time from xrWaitFrame's return to xrEndFrame's return: the wait for
//    the display is outside it, and so are the GPU and the GL driver's threads (with Mesa's
//    llvmpipe the rasterizer threads; the vertex work it does in the calling thread is
//    inside). The part spent in the renderer's upload and draw calls is shown apart;
//    --no-labels leaves node labels out (their layout is CPU work in those calls).
// 2. Pose sample -> message -> other client: the head moves at 0.5 m/s; each frame's poses
//    go to SyncClient::setVrPose as ui/VrMode sends them (at most 60 Hz); a second client
//    receives VR_PRESENCE through the real server on loopback. Matched by the head's
//    position (whole millimetres on the wire), the time from the poses being located
//    (TrackedPoses::sampledAtNs) to (a) setVrPose on the caller's thread and (b) their arrival
//    at the other client. All in one process: one clock.

#include "documentio.h"
#include "eventloopwait.h"
#include "graphdocument.h"
#include "serverprocess.h"
#include "syncclient.h"
#include "vrsession.h"

#include <QElapsedTimer>
#include <QEventLoop>
#include <QTimer>
#include <QFile>
#include <QGuiApplication>
#include <QTemporaryDir>
#include <QThread>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <string>
#include <vector>

using namespace constellate;

namespace {

std::int64_t nowNs()
{
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

bool waitUntil(const std::function<bool()>& done, int timeoutMs)
{
    return constellate::test::waitFor(done, timeoutMs, std::chrono::microseconds(200));
}

/// Lets the event loop run for `ms` without polling (the XR thread gets the core).
void spin(int ms)
{
    QEventLoop loop;
    QTimer::singleShot(ms, &loop, &QEventLoop::quit);
    loop.exec();
}

struct Stats {
    std::size_t count = 0;
    double p50 = 0, p95 = 0, p99 = 0, max = 0, mean = 0;
};

Stats stats(std::vector<double> v)
{
    Stats s;
    if (v.empty())
        return s;
    std::sort(v.begin(), v.end());
    auto at = [&](double q) { return v[std::min(v.size() - 1, std::size_t(q * double(v.size())))]; };
    s.count = v.size();
    s.p50 = at(0.5);
    s.p95 = at(0.95);
    s.p99 = at(0.99);
    s.max = v.back();
    double sum = 0;
    for (double x : v)
        sum += x;
    s.mean = sum / double(v.size());
    return s;
}

void print(const char* what, const Stats& s)
{
    std::printf("  %-44s n=%-6zu p50 %7.3f  p95 %7.3f  p99 %7.3f  max %7.3f  mean %7.3f ms\n", what, s.count, s.p50, s.p95,
                s.p99, s.max, s.mean);
}

/// Points the loader at the test runtime with a script; no validation layer.
void useTestRuntime(const QString& script, const std::string& size)
{
    qputenv("XR_RUNTIME_JSON", CONSTELLATE_XR_TEST_RUNTIME_JSON);
    qunsetenv("XR_ENABLE_API_LAYERS");
    qputenv("CONSTELLATE_XR_TEST_CONFIG", QByteArray::fromStdString("size=" + size));
    qputenv("CONSTELLATE_XR_TEST_SCRIPT", script.toUtf8());
    qunsetenv("CONSTELLATE_XR_TEST_RECORD");
}

bool runSession(xr::VrSession& session, const GraphDocument& doc, const xr::VrSessionOptions& options)
{
    QString error;
    if (!session.start(options, &error)) {
        std::fprintf(stderr, "bench_xr: %s\n", qPrintable(error));
        return false;
    }
    session.resetScene(doc);
    QString reason;
    bool ended = false;
    const QMetaObject::Connection c = QObject::connect(&session, &xr::VrSession::ended, [&](const QString& r) {
        ended = true;
        reason = r;
    });
    const bool focused = waitUntil([&] { return session.state() == xr::VrState::Focused || ended; }, 60'000) && !ended;
    QObject::disconnect(c);
    if (!focused)
        std::fprintf(stderr, "bench_xr: the session did not start: %s\n", qPrintable(reason));
    return focused;
}

void stopSession(xr::VrSession& session)
{
    session.stop();
    waitUntil([&] { return !session.isActive(); }, 30'000);
}

} // namespace

int main(int argc, char** argv)
{
    std::string server;
    std::string graph = CONSTELLATE_TEST_GRAPHS "/ba-10k.graphml";
    std::string size = "1440x1584";
    int seconds = 10;
    bool labels = true;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto value = [&]() -> std::string { return i + 1 < argc ? argv[++i] : std::string(); };
        if (a == "--server")
            server = value();
        else if (a == "--graph")
            graph = value();
        else if (a == "--size")
            size = value();
        else if (a == "--seconds")
            seconds = std::atoi(value().c_str());
        else if (a == "--no-labels")
            labels = false;
        else {
            std::fprintf(stderr, "usage: bench_xr --server PATH [--graph FILE] [--size WxH] [--seconds N] [--no-labels]\n");
            return 2;
        }
    }
    if (server.empty() || seconds < 1 || seconds > 60) {
        std::fprintf(stderr, "bench_xr: --server is needed; --seconds 1-60\n");
        return 2;
    }
    QGuiApplication app(argc, argv);
    QTemporaryDir dir;
    const QString script = dir.filePath(QStringLiteral("script.txt"));

    // ---- 1. CPU per frame ---------------------------------------------------------------------
    GraphDocument doc(1, 1);
    try {
        importGraphFile(doc, graph);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bench_xr: %s\n", e.what());
        return 1;
    }
    QFile(script).open(QIODevice::WriteOnly);
    useTestRuntime(script, size);
    std::vector<xr::FrameTiming> timings;
    {
        xr::VrSession session;
        if (!runSession(session, doc, {}))
            return 1;
        xr::VrOverlay overlay;
        overlay.nodeLabels = labels;
        session.setOverlay(overlay);
        spin(1000); // the glyph atlas and the first uploads
        const std::size_t skip = session.frameTimings().size();
        spin(seconds * 1000);
        stopSession(session);
        const std::vector<xr::FrameTiming> all = session.frameTimings();
        timings.assign(all.begin() + std::ptrdiff_t(std::min(skip, all.size())), all.end());
    }
    std::vector<double> cpu, render, rest, wall;
    for (const xr::FrameTiming& t : timings) {
        if (!t.rendered)
            continue;
        cpu.push_back(t.cpuMs);
        render.push_back(t.renderCpuMs);
        rest.push_back(t.cpuMs - t.renderCpuMs);
        wall.push_back(t.wallMs);
    }
    std::printf("1. XR frames: %s (%zu nodes, %zu edges, labels %s), %s per eye, %d s: %zu frames drawn (%.1f/s)\n",
                graph.c_str(), doc.count(EntityKind::Node), doc.count(EntityKind::Edge), labels ? "on" : "off",
                size.c_str(), seconds, cpu.size(), double(cpu.size()) / seconds);
    print("XR thread CPU per frame", stats(cpu));
    print("  of which renderer upload + draw calls", stats(render));
    print("  of which the rest (XR calls, input, scene)", stats(rest));
    print("elapsed, xrWaitFrame's return to xrEndFrame's", stats(wall));

    // ---- 2. pose -> wire -> other client -----------------------------------------------------
    bench::TemporaryDirectory data("bench-xr");
    bench::ServerProcess process;
    std::string error;
    if (!process.start(server, {"--bind", "127.0.0.1", "--port", "0", "--data-dir", data.path(), "--log-level", "warning"},
                       data.path() + "/server.log", &error)) {
        std::fprintf(stderr, "bench_xr: %s\n", error.c_str());
        return 1;
    }
    const QUrl url(QStringLiteral("ws://127.0.0.1:%1/rooms/vr").arg(process.port()));
    GraphDocument docA(0xa, 0xa), docB(0xb, 0xb);
    net::SyncClientOptions oa;
    oa.url = url;
    oa.displayName = "vr";
    oa.createRoom = true;
    net::SyncClient a(docA, oa);
    a.start();
    if (!waitUntil([&] { return a.state() == net::SyncClient::State::Online; }, 20'000))
        return std::fprintf(stderr, "bench_xr: A did not join\n"), 1;
    net::SyncClientOptions ob;
    ob.url = url;
    ob.displayName = "desk";
    net::SyncClient b(docB, ob);
    b.start();
    if (!waitUntil([&] { return b.state() == net::SyncClient::State::Online && !b.peers().empty(); }, 20'000))
        return std::fprintf(stderr, "bench_xr: B did not join\n"), 1;

    std::map<int, std::int64_t> sampledAt; // head x in whole millimetres -> when it was located
    std::vector<double> handoff, arrival;
    QFile f(script);
    f.open(QIODevice::WriteOnly | QIODevice::Truncate);
    f.write("head 0 1.6 0 velocity 0.5 0 0\n");
    f.close();
    std::remove((script.toStdString() + ".offset").c_str());
    xr::VrSession session;
    QObject::connect(&session, &xr::VrSession::posesChanged, [&](const xr::TrackedPoses& p) {
        if (!p.head)
            return;
        handoff.push_back(double(nowNs() - p.sampledAtNs) / 1e6);
        sampledAt.emplace(int(std::lround(p.head->position.x * 1000.0f)), p.sampledAtNs);
        net::protocol::VrPose pose;
        pose.head = {{p.head->position.x, p.head->position.y, p.head->position.z},
                     {p.head->orientation.x, p.head->orientation.y, p.head->orientation.z, p.head->orientation.w}};
        a.setVrPose(pose);
    });
    QObject::connect(&b, &net::SyncClient::presenceReceived, [&](net::protocol::PeerIndex peer) {
        const std::int64_t now = nowNs();
        const auto pose = b.remotePresence().vrPose(peer, net::RemotePresence::nowMs() + 60'000);
        if (!pose)
            return;
        const auto it = sampledAt.find(int(std::lround(pose->head.position.x * 1000.0f)));
        if (it != sampledAt.end())
            arrival.push_back(double(now - it->second) / 1e6);
    });
    xr::VrSessionOptions options;
    options.placement = xr::Placement {};
    GraphDocument empty(2, 2);
    if (!runSession(session, empty, options))
        return 1;
    handoff.clear();
    arrival.clear();
    spin(seconds * 1000);
    stopSession(session);
    std::printf("2. Presence: the head's poses at the display rate, sent at most 60 Hz, %d s\n", seconds);
    print("pose located -> SyncClient::setVrPose (UI thread)", stats(handoff));
    print("pose located -> other client (via the server)", stats(arrival));
    process.stop();
    return 0;
}
