// sync-client-bench: the client library (net/syncclient.h) end to end, through the real
// server on a loopback port (docs/benchmarks.md, "The client library").
//
//   latency     client A moves a node R times a second (one transaction each, as an
//               editor's drag release would); client B, in the same process (one clock),
//               records when each move is applied to its document. Reports p50/p90/p99/max
//               of local edit -> remote application, and A's acknowledgement time (commit).
//   throughput  client A commits single-operation transactions as fast as it can for D
//               seconds (bounded by --max-ops), B applies them; reports what A sustains
//               (operations submitted, acknowledged per second) and B's application rate.
//
// Usage: sync-client-bench --server PATH [--rate R] [--duration S] [--max-ops N]
//                          [--server-rate N] [--json]
//   --server-rate: the server's --max-messages-per-second (its per-client limit, 5000 by
//   default, is what bounds one client's throughput)
// The server runs with a temporary data directory and stops at the end; traffic goes to
// 127.0.0.1 only.

#include "eventloopwait.h"
#include "graphdocument.h"
#include "serverprocess.h"
#include "syncclient.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTimer>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <unordered_map>
#include <vector>

using namespace constellate;
using namespace constellate::net;

namespace {

std::int64_t nowNs()
{
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

QJsonObject percentiles(std::vector<double> ms)
{
    QJsonObject o;
    o[QStringLiteral("count")] = qint64(ms.size());
    if (ms.empty())
        return o;
    std::sort(ms.begin(), ms.end());
    auto at = [&](double q) { return ms[std::min(ms.size() - 1, std::size_t(q * double(ms.size())))]; };
    o[QStringLiteral("p50")] = at(0.50);
    o[QStringLiteral("p90")] = at(0.90);
    o[QStringLiteral("p99")] = at(0.99);
    o[QStringLiteral("max")] = ms.back();
    return o;
}

/// A busy wait: the time to an answer is what is measured.
bool waitUntil(const std::function<bool()>& done, int timeoutMs)
{
    return constellate::test::waitFor(done, timeoutMs, std::chrono::microseconds(0));
}

/// One client and its document.
struct Member {
    GraphDocument doc;
    std::unique_ptr<SyncClient> client;
    Member(ReplicaId replica, UserId user, const QUrl& url, bool create) : doc(replica, user)
    {
        SyncClientOptions o;
        o.url = url;
        o.displayName = "bench";
        o.createRoom = create;
        client = std::make_unique<SyncClient>(doc, o);
        QObject::connect(client.get(), &SyncClient::failed, [](int, const QString& m) {
            std::fprintf(stderr, "sync-client-bench: %s\n", qPrintable(m));
            std::exit(1);
        });
        client->start();
    }
    bool online() const { return client->state() == SyncClient::State::Online; }
};

} // namespace

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    std::string server;
    int rate = 100;
    int duration = 10;
    long maxOps = 200'000;
    bool json = false;
    std::string serverRate; ///< the server's --max-messages-per-second
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto value = [&]() -> const char* {
            if (i + 1 >= argc) {
                std::fprintf(stderr, "sync-client-bench: %s needs a value\n", a.c_str());
                std::exit(2);
            }
            return argv[++i];
        };
        if (a == "--server")
            server = value();
        else if (a == "--rate")
            rate = std::atoi(value());
        else if (a == "--duration")
            duration = std::atoi(value());
        else if (a == "--max-ops")
            maxOps = std::atol(value());
        else if (a == "--server-rate")
            serverRate = value();
        else if (a == "--json")
            json = true;
        else {
            std::fprintf(stderr,
                         "usage: sync-client-bench --server PATH [--rate R] [--duration S] [--max-ops N] [--json]\n");
            return 2;
        }
    }
    if (server.empty() || rate < 1 || rate > 10'000 || duration < 1 || duration > 600 || maxOps < 1) {
        std::fprintf(stderr, "sync-client-bench: --server is needed; --rate 1-10000, --duration 1-600 s\n");
        return 2;
    }
    bench::TemporaryDirectory data("sync-client-bench");
    bench::ServerProcess process;
    std::string error;
    std::vector<std::string> args {"--bind", "127.0.0.1", "--port", "0", "--data-dir", data.path(), "--log-level", "warning"};
    if (!serverRate.empty())
        args.insert(args.end(), {"--max-messages-per-second", serverRate});
    if (!process.start(server, args, data.path() + "/server.log", &error)) {
        std::fprintf(stderr, "sync-client-bench: %s\n", error.c_str());
        return 1;
    }
    const QUrl url(QStringLiteral("ws://127.0.0.1:%1/rooms/bench").arg(process.port()));
    Member a(0xa11ce, 0xa, url, true);
    if (!waitUntil([&] { return a.online(); }, 20'000))
        return std::fprintf(stderr, "sync-client-bench: A did not join\n"), 1;
    Member b(0xb0b, 0xb, url, false);
    if (!waitUntil([&] { return b.online(); }, 20'000))
        return std::fprintf(stderr, "sync-client-bench: B did not join\n"), 1;

    // The node that is moved.
    TransactionBuilder create = a.doc.begin();
    FieldValue label;
    label.ref.field = Field::Label;
    label.value = Value("moved");
    const EntityId node = create.createNode({label});
    a.client->commit(create);
    if (!waitUntil([&] { return b.doc.count(EntityKind::Node) == 1; }, 20'000))
        return std::fprintf(stderr, "sync-client-bench: the node did not arrive\n"), 1;

    // ---- latency -------------------------------------------------------------------------
    std::unordered_map<OpId, std::int64_t> sentAt;
    std::vector<double> remoteMs, ackMs;
    QObject::connect(b.client.get(), &SyncClient::transactionApplied, [&](const Transaction& t, auto, quint64) {
        auto it = sentAt.find(t.header().opId(0));
        if (it != sentAt.end())
            remoteMs.push_back(double(nowNs() - it->second) / 1e6);
    });
    QObject::connect(a.client.get(), &SyncClient::acknowledged, [&](OpId first, quint64) {
        auto it = sentAt.find(first);
        if (it != sentAt.end())
            ackMs.push_back(double(nowNs() - it->second) / 1e6);
    });
    const int moves = rate * duration;
    QElapsedTimer clock;
    clock.start();
    for (int i = 0; i < moves; ++i) {
        const qint64 due = qint64(i) * 1000 / rate;
        waitUntil([&] { return clock.elapsed() >= due; }, 60'000);
        TransactionBuilder t = a.doc.begin();
        a.doc.set(t, node, {Field::Position, {}}, Value(Vec3 {float(i % 100), 0, 0}));
        const std::int64_t at = nowNs();
        const Transaction sent = a.client->commit(t);
        sentAt[sent.header().opId(0)] = at;
    }
    waitUntil([&] { return remoteMs.size() >= std::size_t(moves) && ackMs.size() >= std::size_t(moves); }, 30'000);

    // ---- throughput ----------------------------------------------------------------------
    std::size_t applied = 0;
    std::int64_t firstApplied = 0, lastApplied = 0;
    QObject::connect(b.client.get(), &SyncClient::transactionApplied, [&](const Transaction&, auto, quint64) {
        lastApplied = nowNs();
        if (applied++ == 0)
            firstApplied = lastApplied;
    });
    std::size_t acked = 0;
    QObject::connect(a.client.get(), &SyncClient::acknowledged, [&](OpId, quint64) { ++acked; });
    const std::size_t remoteBefore = remoteMs.size();
    const std::int64_t start = nowNs();
    long submitted = 0;
    clock.restart();
    while (clock.elapsed() < qint64(duration) * 1000 && submitted < maxOps) {
        // Submit in small bursts, then let the event loop send and receive.
        for (int k = 0; k < 100 && submitted < maxOps; ++k, ++submitted) {
            TransactionBuilder t = a.doc.begin();
            a.doc.set(t, node, {Field::Position, {}}, Value(Vec3 {float(submitted % 1000), 1, 0}));
            a.client->commit(t);
        }
        QCoreApplication::processEvents(QEventLoop::AllEvents, 1);
    }
    const double submitSeconds = double(nowNs() - start) / 1e9;
    waitUntil([&] { return acked >= std::size_t(submitted) && applied >= std::size_t(submitted); }, 120'000);
    const double ackSeconds = double(nowNs() - start) / 1e9;

    QJsonObject out;
    out[QStringLiteral("tool")] = QStringLiteral("sync-client-bench");
    out[QStringLiteral("rate_per_second")] = rate;
    out[QStringLiteral("duration_s")] = duration;
    out[QStringLiteral("edit_to_remote_ms")] = percentiles(std::vector<double>(remoteMs.begin(), remoteMs.begin() + qsizetype(remoteBefore)));
    out[QStringLiteral("edit_to_ack_ms")] = percentiles(ackMs);
    out[QStringLiteral("moves_sent")] = moves;
    out[QStringLiteral("moves_lost")] = qint64(moves) - qint64(remoteBefore);
    QJsonObject tp;
    tp[QStringLiteral("submitted")] = qint64(submitted);
    tp[QStringLiteral("submit_seconds")] = submitSeconds;
    tp[QStringLiteral("submitted_per_second")] = double(submitted) / submitSeconds;
    tp[QStringLiteral("acknowledged")] = qint64(acked);
    tp[QStringLiteral("acknowledged_per_second")] = double(acked) / ackSeconds;
    tp[QStringLiteral("applied_remotely")] = qint64(applied);
    tp[QStringLiteral("applied_per_second")] =
        applied > 1 ? double(applied) / (double(lastApplied - firstApplied) / 1e9) : 0.0;
    tp[QStringLiteral("all_seconds")] = ackSeconds;
    out[QStringLiteral("throughput")] = tp;
    out[QStringLiteral("hashes_equal")] = a.doc.canonicalHash() == b.doc.canonicalHash();
    a.client->stop();
    b.client->stop();
    process.stop();
    if (json) {
        std::printf("%s\n", QJsonDocument(out).toJson(QJsonDocument::Indented).constData());
    } else {
        const QJsonObject r = out[QStringLiteral("edit_to_remote_ms")].toObject();
        const QJsonObject k = out[QStringLiteral("edit_to_ack_ms")].toObject();
        std::printf("edit -> other client: p50 %.3f p90 %.3f p99 %.3f max %.3f ms (%d moves at %d/s, %lld lost)\n",
                    r[QStringLiteral("p50")].toDouble(), r[QStringLiteral("p90")].toDouble(),
                    r[QStringLiteral("p99")].toDouble(), r[QStringLiteral("max")].toDouble(), moves, rate,
                    static_cast<long long>(out[QStringLiteral("moves_lost")].toInteger()));
        std::printf("edit -> acknowledged (committed): p50 %.3f p99 %.3f ms\n", k[QStringLiteral("p50")].toDouble(),
                    k[QStringLiteral("p99")].toDouble());
        std::printf("throughput: %ld single-operation transactions submitted in %.2f s (%.0f/s); all acknowledged "
                    "after %.2f s (%.0f/s); applied by the other client at %.0f/s\n",
                    submitted, submitSeconds, double(submitted) / submitSeconds, ackSeconds,
                    double(acked) / ackSeconds, tp[QStringLiteral("applied_per_second")].toDouble());
        std::printf("documents equal: %s\n", out[QStringLiteral("hashes_equal")].toBool() ? "yes" : "NO");
    }
    return out[QStringLiteral("hashes_equal")].toBool() ? 0 : 1;
}
