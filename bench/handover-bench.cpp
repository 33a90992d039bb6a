// A host handover in a large room, with the editor's own EditorSession (no windows): A
// hosts a lattice graph, B and C join; A quits; B and C each make some offline edits; B
// hosts the room from its copy and C follows with its own. Everything runs in this process
// over loopback (the hosted servers on their own threads, as in the editor); nothing is
// announced on the LAN.
//
//   build-release/bench/handover-bench --nodes 100000 --edits 100
//
// Options: --nodes N (default 100000; twice as many edges between lattice neighbours),
// --edits N (offline moves per side, default 100), --json.
// It prints: the time hostFromCopy() holds the caller's (UI) thread (the snapshot encoded,
// the room's store created from it, the server started), the time until B's own connection
// to its new room is online with nothing pending, the time from C's moveToHost() until C
// and B hold the same document (canonical hash), and the snapshot's size.

#include "editorsession.h"
#include "eventloopwait.h"
#include "latticegraph.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QElapsedTimer>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QThread>

#include <chrono>
#include <cstdio>
#include <functional>

using namespace constellate;
using namespace constellate::ui;

namespace {

using Clock = std::chrono::steady_clock;

double msSince(Clock::time_point t)
{
    return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

/// Polled often (every 100 us): the waits here are what is measured.
bool waitFor(const std::function<bool()>& done, int timeoutMs = 600'000)
{
    return constellate::test::waitFor(done, timeoutMs, std::chrono::microseconds(100));
}

bool settled(const EditorSession& s)
{
    return s.client() && s.client()->state() == net::SyncClient::State::Online && s.client()->pendingCount() == 0;
}

int fail(const char* what)
{
    std::fprintf(stderr, "handover-bench: %s\n", what);
    return 1;
}

} // namespace

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    QStandardPaths::setTestModeEnabled(true); // owner tokens go to a test profile
    QCoreApplication::setOrganizationName(QStringLiteral("ConstellateBench"));
    QCoreApplication::setApplicationName(QStringLiteral("handover-bench"));
    QCommandLineParser parser;
    const QCommandLineOption nodesOption(QStringLiteral("nodes"), QStringLiteral("Nodes in the room."), QStringLiteral("N"),
                                         QStringLiteral("100000"));
    const QCommandLineOption editsOption(QStringLiteral("edits"), QStringLiteral("Offline moves per side."),
                                         QStringLiteral("N"), QStringLiteral("100"));
    const QCommandLineOption jsonOption(QStringLiteral("json"), QStringLiteral("One JSON line."));
    parser.addOptions({nodesOption, editsOption, jsonOption});
    parser.addHelpOption();
    parser.process(app);
    const std::size_t nodeCount = parser.value(nodesOption).toULongLong();
    const int edits = parser.value(editsOption).toInt();
    QTemporaryDir data;
    if (!data.isValid() || nodeCount == 0)
        return fail("no temporary directory, or no nodes");

    EditorSession a(Profile {0xa1, QStringLiteral("ann"), 0});
    EditorSession b(Profile {0xb2, QStringLiteral("bea"), 0});
    EditorSession c(Profile {0xc3, QStringLiteral("cal"), 0});
    auto document = std::make_unique<GraphDocument>(0x1a2b3c4d, 0xa1);
    bench::addLatticeGraph(*document, nodeCount, bench::EdgeKind::Local);
    a.adoptDocument(std::move(document), QString());
    EditorSession::HostOptions options;
    options.port = 0;
    options.bind = QHostAddress::LocalHost;
    QString error;
    options.dataDir = data.path() + QStringLiteral("/a");
    if (!a.host(QString(), options, &error))
        return fail(qPrintable(error));
    if (!waitFor([&] { return settled(a) && a.document().count(EntityKind::Node) == nodeCount; }))
        return fail("the host's room did not fill");
    const QUrl url(QStringLiteral("ws://127.0.0.1:%1/rooms/untitled").arg(a.hostedPort()));
    if (!b.join(url, QString(), &error) || !c.join(url, QString(), &error))
        return fail(qPrintable(error));
    if (!waitFor([&] {
            return settled(b) && settled(c) && b.document().count(EntityKind::Node) == nodeCount
                && c.document().count(EntityKind::Node) == nodeCount;
        }))
        return fail("the guests did not get the room");
    // Ids of the same nodes in the guests' documents: the host's ids, whatever replica made them.
    std::vector<EntityId> roomNodes;
    b.document().forEach(EntityKind::Node, [&](const GraphDocument::Entity& e) { roomNodes.push_back(e.id); }, true);

    a.leave();
    if (!waitFor([&] { return b.hostIsLost() && c.hostIsLost(); }))
        return fail("the guests did not notice the host leave");
    for (int i = 0; i < edits; ++i) {
        b.moveNodes({{roomNodes[std::size_t(i) % roomNodes.size()], Vec3 {float(i), 1, 0}}});
        c.moveNodes({{roomNodes[(std::size_t(i) * 7 + 3) % roomNodes.size()], Vec3 {float(i), 2, 0}}});
    }
    const std::size_t snapshotBytes = b.document().encodeSnapshot().size();

    options.dataDir = data.path() + QStringLiteral("/b");
    const Clock::time_point hostStart = Clock::now();
    if (!b.hostFromCopy(options, &error))
        return fail(qPrintable(error));
    const double hostCallMs = msSince(hostStart);
    if (!waitFor([&] { return settled(b); }))
        return fail("the new host's own connection did not settle");
    const double hostReadyMs = msSince(hostStart);

    const Clock::time_point followStart = Clock::now();
    if (!c.moveToHost(b.roomUrl(), &error))
        return fail(qPrintable(error));
    if (!waitFor([&] { return settled(c) && settled(b) && c.document().canonicalHash() == b.document().canonicalHash(); }))
        return fail("the follower did not converge");
    const double followMs = msSince(followStart);

    if (parser.isSet(jsonOption))
        std::printf("{\"nodes\": %zu, \"edges\": %zu, \"offline_edits_per_side\": %d, \"snapshot_bytes\": %zu, "
                    "\"host_from_copy_call_ms\": %.1f, \"new_host_online_ms\": %.1f, \"follower_converged_ms\": %.1f}\n",
                    nodeCount, b.document().count(EntityKind::Edge), edits, snapshotBytes, hostCallMs, hostReadyMs,
                    followMs);
    else
        std::printf("nodes %zu, edges %zu, %d offline moves per side, snapshot %.1f MB\n"
                    "hostFromCopy() holds the UI thread   %8.1f ms\n"
                    "new host's connection online, synced %8.1f ms (from the call)\n"
                    "follower converged (same hash)       %8.1f ms (from moveToHost)\n",
                    nodeCount, b.document().count(EntityKind::Edge), edits, double(snapshotBytes) / 1e6, hostCallMs,
                    hostReadyMs, followMs);
    return 0;
}
