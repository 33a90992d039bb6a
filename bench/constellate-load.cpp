// constellate-load: load for constellate-server (or bench/bare-relay with --bare), speaking
// the real protocol from one process: N clients in one room, W of them writing node moves
// at R per second through the real document model, K of them sending presence at P Hz.
// Every send and every receipt is timed on this process's one monotonic clock, so the
// latency is end to end: from the sender's write() to the receiver's read(). A message
// carries its own id (the sender's index and a sequence number in the quantized head
// position, the cursor or the moved node's coordinates); receivers decode only what
// tells them that. See --help, docs/benchmarks.md and bench/run-load-bench.sh.

#include "documentio.h"
#include "graphdocument.h"
#include "nodemove.h"
#include "protocol.h"
#include "rawwebsocketclient.h"
#include "serverprocess.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <algorithm>
#include <arpa/inet.h>
#include <cerrno>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <deque>
#include <fstream>
#include <memory>
#include <optional>
#include <queue>
#include <random>
#include <string>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <thread>
#include <unistd.h>
#include <vector>

using namespace constellate;
using namespace constellate::bench;
using namespace constellate::net::protocol;
using constellate::net::RoomSequence;

namespace {

constexpr const char* Usage = R"(constellate-load: fan-out latency, loss and server cost of a room under load.

Usage:
  constellate-load --url ws://127.0.0.1:PORT/rooms/NAME [options]
  constellate-load --spawn-server PATH [--room NAME] [options]
  constellate-load --join FILE.graphml --spawn-server PATH [--join-repeat N] [--cold]
  constellate-load --sizes [--json]

Traffic goes to loopback addresses only (127.0.0.0/8, ::1, localhost); anything else is refused.

The room:
  --url URL               ws://HOST:PORT/rooms/NAME of a running server
  --spawn-server PATH     start PATH (constellate-server, or bare-relay with --bare) on a free
                          loopback port with a temporary data directory, measure it, stop it
  --server-arg ARG        one more argument for the spawned server (repeatable), e.g. --direct
  --server-pid PID        measure this running server (CPU time, RSS) instead
  --room NAME             the room, with --spawn-server (default "load")
  --create                the first client creates the room (implied by --spawn-server)
  --bare                  talk to bench/bare-relay: no HELLO/WELCOME (a client is in the room once
                          its WebSocket is open), no ACKs; the same messages are sent, in their
                          client-to-server form, and come back unchanged
Load:
  --clients N             clients in the room (default 10)
  --writers W             clients that move nodes (default 0): each creates a node, then moves it
  --ops-per-second R      per writer (default 10)
  --ops-as KIND           node-move (default: NODE_MOVE where it can travel as one) or sync-update
  --presence-hz P         presence messages per second per sender (default 0: none)
  --presence KIND         vr (VR_PRESENCE, head and both hands; default) or cursor (USER_POSITION)
  --presence-senders K    how many clients send presence (default: all)
  --duration S            measured seconds (default 10, at most 600)
  --warmup S              unmeasured seconds of the same load first (default 2)
  --drain S               seconds to wait for what is still in flight (default 2)
  --connect-timeout S     for all clients to join (default 60)
Joining a large room:
  --join FILE             import FILE into a new room through the real protocol (one transaction in
                          TRANSACTION_CHUNKs, then its ACK), then time new clients joining it
                          (WELCOME, snapshot chunks, mergeSnapshot) and count their bytes
  --join-repeat N         joins to time (default 3)
  --join-stay             the timed joiners stay connected (their documents freed): the server's
                          memory per member of a large room
  --cold                  also restart the spawned server and time a join that loads the room from disk
Output:
  --json                  one JSON object on stdout (else a summary)
  --sizes                 the encoded size of every message type, then exit
)";

// ---- options --------------------------------------------------------------------------------

enum class PresenceKind { Vr, Cursor };

struct Options {
    std::string url;
    std::string room = "load";
    std::string spawnServer;
    std::vector<std::string> serverArgs; ///< more arguments for the spawned server
    pid_t serverPid = 0;
    bool create = false;
    bool bare = false;
    int clients = 10;
    int writers = 0;
    double opsPerSecond = 10;
    bool opsAsSyncUpdate = false;
    double presenceHz = 0;
    PresenceKind presence = PresenceKind::Vr;
    int presenceSenders = -1;
    double duration = 10;
    double warmup = 2;
    double drain = 2;
    double connectTimeout = 60;
    std::string joinFile;
    int joinRepeat = 3;
    bool cold = false;
    bool joinStay = false;
    bool json = false;
    bool sizes = false;
};

[[noreturn]] void die(const std::string& message, int code = 2)
{
    std::fprintf(stderr, "constellate-load: %s\n", message.c_str());
    std::exit(code);
}

double parseNumber(const std::string& name, const char* text, double min, double max)
{
    char* end = nullptr;
    errno = 0;
    const double v = std::strtod(text, &end);
    if (errno || end == text || *end || !std::isfinite(v) || v < min || v > max)
        die(name + " takes a number from " + std::to_string(min) + " to " + std::to_string(max) + ", not '" + text + "'");
    return v;
}

Options parseOptions(int argc, char** argv)
{
    Options o;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto value = [&]() -> const char* {
            if (i + 1 >= argc)
                die(a + " needs a value");
            return argv[++i];
        };
        if (a == "--help" || a == "-h") {
            std::fputs(Usage, stdout);
            std::exit(0);
        } else if (a == "--url") {
            o.url = value();
        } else if (a == "--spawn-server") {
            o.spawnServer = value();
        } else if (a == "--server-arg") {
            o.serverArgs.push_back(value());
        } else if (a == "--server-pid") {
            o.serverPid = pid_t(parseNumber(a, value(), 1, 4194304));
        } else if (a == "--room") {
            o.room = value();
        } else if (a == "--create") {
            o.create = true;
        } else if (a == "--bare") {
            o.bare = true;
        } else if (a == "--clients") {
            o.clients = int(parseNumber(a, value(), 1, 20000));
        } else if (a == "--writers") {
            o.writers = int(parseNumber(a, value(), 0, 20000));
        } else if (a == "--ops-per-second") {
            o.opsPerSecond = parseNumber(a, value(), 0.1, 5000);
        } else if (a == "--ops-as") {
            const std::string v = value();
            if (v != "node-move" && v != "sync-update")
                die("--ops-as takes node-move or sync-update");
            o.opsAsSyncUpdate = v == "sync-update";
        } else if (a == "--presence-hz") {
            o.presenceHz = parseNumber(a, value(), 0, 1000);
        } else if (a == "--presence") {
            const std::string v = value();
            if (v != "vr" && v != "cursor")
                die("--presence takes vr or cursor");
            o.presence = v == "vr" ? PresenceKind::Vr : PresenceKind::Cursor;
        } else if (a == "--presence-senders") {
            o.presenceSenders = int(parseNumber(a, value(), 0, 20000));
        } else if (a == "--duration") {
            o.duration = parseNumber(a, value(), 0.1, 600);
        } else if (a == "--warmup") {
            o.warmup = parseNumber(a, value(), 0, 120);
        } else if (a == "--drain") {
            o.drain = parseNumber(a, value(), 0.1, 60);
        } else if (a == "--connect-timeout") {
            o.connectTimeout = parseNumber(a, value(), 1, 600);
        } else if (a == "--join") {
            o.joinFile = value();
        } else if (a == "--join-repeat") {
            o.joinRepeat = int(parseNumber(a, value(), 1, 50));
        } else if (a == "--cold") {
            o.cold = true;
        } else if (a == "--join-stay") {
            o.joinStay = true;
        } else if (a == "--json") {
            o.json = true;
        } else if (a == "--sizes") {
            o.sizes = true;
        } else {
            die("unknown option '" + a + "' (try --help)");
        }
    }
    if (o.sizes)
        return o;
    if (o.url.empty() == o.spawnServer.empty())
        die("give either --url of a running server or --spawn-server PATH (try --help)");
    if (!o.spawnServer.empty())
        o.create = !o.bare;
    if (o.writers > o.clients)
        die("--writers cannot exceed --clients");
    if (o.presenceSenders < 0 || o.presenceSenders > o.clients)
        o.presenceSenders = o.presenceHz > 0 ? o.clients : 0;
    if (o.presenceHz <= 0)
        o.presenceSenders = 0;
    if (!o.joinFile.empty() && o.bare)
        die("--join needs the real server: the bare relay keeps no rooms");
    if (o.cold && o.spawnServer.empty())
        die("--cold restarts the server, so it needs --spawn-server");
    if (o.presenceSenders > 32767 || o.writers > 32767)
        die("at most 32767 senders (the sender's index travels in a 16-bit field)");
    return o;
}

// ---- the address: loopback only ---------------------------------------------------------------

struct Target {
    sockaddr_storage address {};
    socklen_t length = 0;
    std::string hostHeader; ///< host:port for the handshake
    std::string path;       ///< /rooms/NAME
    std::string room;
    std::uint16_t port = 0;
};

/// Parses ws://HOST:PORT/rooms/NAME and refuses any host that is not a loopback address.
Target parseTarget(const std::string& url)
{
    Target t;
    const std::string scheme = "ws://";
    if (!url.starts_with(scheme))
        die("--url must start with ws:// (wss:// is not spoken here), not '" + url + "'");
    const std::string rest = url.substr(scheme.size());
    const std::size_t slash = rest.find('/');
    if (slash == std::string::npos)
        die("--url needs a path /rooms/NAME: '" + url + "'");
    const std::string authority = rest.substr(0, slash);
    t.path = rest.substr(slash);
    std::string host;
    std::string port;
    if (authority.starts_with("[")) {
        const std::size_t close = authority.find(']');
        if (close == std::string::npos)
            die("bad IPv6 address in --url '" + url + "'");
        host = authority.substr(1, close - 1);
        if (authority.size() > close + 1 && authority[close + 1] == ':')
            port = authority.substr(close + 2);
    } else {
        const std::size_t colon = authority.rfind(':');
        host = colon == std::string::npos ? authority : authority.substr(0, colon);
        if (colon != std::string::npos)
            port = authority.substr(colon + 1);
    }
    if (port.empty())
        die("--url needs a port: ws://127.0.0.1:PORT/rooms/NAME");
    t.port = std::uint16_t(parseNumber("the port in --url", port.c_str(), 1, 65535));
    const std::string refuse = "constellate-load sends traffic only to loopback addresses (127.0.0.0/8, ::1, "
                               "localhost); '" + host + "' is not one";
    in_addr v4 {};
    in6_addr v6 {};
    if (host == "localhost")
        host = "127.0.0.1";
    if (inet_pton(AF_INET, host.c_str(), &v4) == 1) {
        if ((ntohl(v4.s_addr) >> 24) != 127)
            die(refuse);
        auto* sa = reinterpret_cast<sockaddr_in*>(&t.address);
        sa->sin_family = AF_INET;
        sa->sin_port = htons(t.port);
        sa->sin_addr = v4;
        t.length = sizeof(sockaddr_in);
        t.hostHeader = host + ":" + port;
    } else if (inet_pton(AF_INET6, host.c_str(), &v6) == 1) {
        if (!IN6_IS_ADDR_LOOPBACK(&v6))
            die(refuse);
        auto* sa = reinterpret_cast<sockaddr_in6*>(&t.address);
        sa->sin6_family = AF_INET6;
        sa->sin6_port = htons(t.port);
        sa->sin6_addr = v6;
        t.length = sizeof(sockaddr_in6);
        t.hostHeader = "[" + host + "]:" + port;
    } else {
        die(refuse + " (give an address, not a name)");
    }
    if (!t.path.starts_with("/rooms/") || t.path.size() <= 7)
        die("--url's path must be /rooms/NAME, not '" + t.path + "'");
    t.room = t.path.substr(7);
    if (!isValidRoomName(t.room))
        die("'" + t.room + "' is no valid room name (1 to 128 of letters, digits, '-', '_', '.')");
    return t;
}

bool sampleInto(pid_t pid, ProcessSample& out)
{
    const std::optional<ProcessSample> s = sampleProcess(pid);
    if (s)
        out = *s;
    return s.has_value();
}

// ---- statistics ---------------------------------------------------------------------------

struct Percentiles {
    std::size_t count = 0;
    double p50 = 0, p90 = 0, p99 = 0, p999 = 0, max = 0, mean = 0; ///< milliseconds
};

Percentiles percentiles(std::vector<std::uint32_t> samplesNs)
{
    Percentiles p;
    p.count = samplesNs.size();
    if (samplesNs.empty())
        return p;
    std::sort(samplesNs.begin(), samplesNs.end());
    auto at = [&](double q) {
        const std::size_t i = std::min(samplesNs.size() - 1, std::size_t(std::ceil(q * double(samplesNs.size()))) - 1);
        return double(samplesNs[i]) / 1e6;
    };
    p.p50 = at(0.50);
    p.p90 = at(0.90);
    p.p99 = at(0.99);
    p.p999 = at(0.999);
    p.max = double(samplesNs.back()) / 1e6;
    double sum = 0;
    for (std::uint32_t s : samplesNs)
        sum += double(s);
    p.mean = sum / double(samplesNs.size()) / 1e6;
    return p;
}

double round3(double v)
{
    return std::round(v * 1000) / 1000;
}

QJsonObject toJson(const Percentiles& p)
{
    return QJsonObject {{"count", double(p.count)}, {"p50", round3(p.p50)},   {"p90", round3(p.p90)},
                        {"p99", round3(p.p99)},     {"p999", round3(p.p999)}, {"max", round3(p.max)},
                        {"mean", round3(p.mean)}};
}

/// One sender's messages of one kind: when each was sent, how many receivers should get
/// it and how many did. Sequence numbers start at 1.
struct MessageStream {
    std::vector<std::int64_t> sentNs {0};
    std::vector<std::uint16_t> expected {0};
    std::vector<std::uint16_t> received {0};
    std::vector<bool> measured {false};
};

/// What one kind of message (presence, or operations) came to.
struct Tally {
    std::vector<MessageStream> streams; ///< by sender index
    std::vector<std::uint32_t> latencyNs;     ///< send to the kernel's arrival stamp at the receiver
    std::vector<std::uint32_t> readLatencyNs; ///< send to this thread's read()
    std::uint64_t sentMeasured = 0;
    std::uint64_t expectedMeasured = 0;
    std::uint64_t receivedMeasured = 0;
    std::uint64_t receivedOther = 0; ///< warmup, or not ours
    std::uint64_t unknown = 0;       ///< ids that match nothing sent
    std::uint64_t sentBytes = 0;     ///< protocol bytes of the measured messages, as sent
    std::uint64_t receivedBytes = 0; ///< protocol bytes of the measured messages, as received
};

// ---- clients ------------------------------------------------------------------------------

/// A client that does everything an editor does with what arrives: keeps the room's stream
/// state, expands NODE_MOVEs, assembles chunks and applies every transaction to its own
/// document. One such client checks the load's correctness; joining clients are this.
struct FullReplica {
    explicit FullReplica(ReplicaId replica, UserId user) : doc(replica, user) {}
    GraphDocument doc;
    StreamState room;
    ChunkAssembler snapshotChunks;
    ChunkAssembler transactionChunks;
    bool awaitingSnapshot = false;
    bool ready = false; ///< WELCOME, and the snapshot merged when one follows
    std::uint64_t applied = 0;
    std::uint64_t errors = 0;
    std::string firstError;
    std::int64_t welcomeNs = 0;
    std::int64_t lastChunkNs = 0;
    std::int64_t readyNs = 0;
    std::uint64_t snapshotCompressedBytes = 0;
    std::uint64_t snapshotBytes = 0;
    double uncompressMs = 0;
    double mergeMs = 0;

    void fail(const std::string& e)
    {
        if (errors++ == 0)
            firstError = e;
    }
    void apply(const Transaction& t, RoomSequence seq, PeerIndex origin)
    {
        const ApplyResult r = doc.apply(t);
        if (r.applied)
            ++applied;
        room.update(origin, seq, t);
    }
    void handle(std::uint8_t type, std::string_view body, std::int64_t now)
    {
        DecodeError e;
        std::optional<Message> m = decodeMessage(type, body, Direction::ToClient, &e);
        if (!m) {
            fail("cannot decode " + std::string(messageTypeName(MessageType(type))) + ": " + e.message);
            return;
        }
        if (auto* w = std::get_if<Welcome>(&*m)) {
            welcomeNs = now;
            room.reset(w->streams);
            awaitingSnapshot = w->sync == SyncMode::Snapshot || w->sync == SyncMode::VersionVectors;
            if (!awaitingSnapshot) {
                ready = true;
                readyNs = now;
            }
        } else if (auto* c = std::get_if<SnapshotChunk>(&*m)) {
            std::string error;
            const auto status = snapshotChunks.add(*c, &error);
            if (status == ChunkAssembler::Status::Error)
                fail("snapshot chunk: " + error);
            if (status != ChunkAssembler::Status::Complete)
                return;
            lastChunkNs = now;
            const std::string compressed = snapshotChunks.take();
            snapshotCompressedBytes = compressed.size();
            const std::int64_t t0 = monotonicNs();
            std::optional<std::string> raw = uncompressSnapshot(compressed, c->compression, std::size_t(1) << 31, &error);
            const std::int64_t t1 = monotonicNs();
            uncompressMs = double(t1 - t0) / 1e6;
            if (!raw) {
                fail("snapshot: " + error);
                return;
            }
            snapshotBytes = raw->size();
            if (!doc.mergeSnapshot(*raw, &error))
                fail("mergeSnapshot: " + error);
            const std::int64_t t2 = monotonicNs();
            mergeMs = double(t2 - t1) / 1e6;
            if (awaitingSnapshot) {
                awaitingSnapshot = false;
                ready = true;
                readyNs = t2;
            }
        } else if (auto* u = std::get_if<SyncUpdate>(&*m)) {
            apply(u->transaction, u->seq, u->origin);
        } else if (auto* tc = std::get_if<TransactionChunk>(&*m)) {
            std::string error;
            const auto status = transactionChunks.add(*tc, &error);
            if (status == ChunkAssembler::Status::Error)
                fail("transaction chunk: " + error);
            if (status == ChunkAssembler::Status::Complete) {
                std::optional<Transaction> t = Transaction::decode(transactionChunks.take(), &error);
                if (t)
                    apply(*t, tc->seq, tc->origin);
                else
                    fail("chunked transaction: " + error);
            }
        } else if (auto* nm = std::get_if<NodeMove>(&*m)) {
            std::string error;
            if (std::optional<ExpandedMove> x = expandNodeMove(*nm, room, &error))
                apply(x->transaction, x->seq, nm->origin);
            else
                fail("NODE_MOVE: " + error);
        } else if (auto* j = std::get_if<UserJoined>(&*m)) {
            room.addPeer(j->peer, j->replica, j->user);
        } else if (auto* l = std::get_if<UserLeft>(&*m)) {
            room.removePeer(l->peer);
        }
    }
};

struct PendingAck {
    std::uint32_t counter;
    std::int64_t sentNs;
    bool measured;
};

struct Client {
    int index = 0;
    RawWebSocketClient ws;
    std::uint32_t registered = 0; ///< the epoll events asked for
    bool joined = false;
    bool closed = false;
    std::string closeReason;
    PeerIndex peer = 0;
    UserId user = 0;
    ReplicaId replica = 0;
    int presenceIndex = -1; ///< its index among the presence senders
    int writerIndex = -1;
    // Writers: their own document and the node they move.
    std::unique_ptr<GraphDocument> doc;
    ReplicaStream outbound;
    EntityId node;
    std::uint64_t opSeq = 0;
    std::deque<PendingAck> pendingAcks;
    std::uint64_t presenceSeq = 0;
    std::int64_t lastPresenceNs = 0;
    // One client (the observer) and joiners apply everything.
    std::unique_ptr<FullReplica> full;
};

volatile std::sig_atomic_t g_interrupted = 0;

void onInterrupt(int)
{
    g_interrupted = 1;
}

/// Everything that runs in this process's one thread.
class LoadRun {
public:
    LoadRun(const Options& options, const Target& target) : m_options(options), m_target(target)
    {
        m_epoll = epoll_create1(EPOLL_CLOEXEC);
        if (m_epoll < 0)
            die(std::string("epoll_create1: ") + std::strerror(errno), 1);
        std::random_device random;
        m_replicaBase = (random() & 0x7fff0000u) | 0x01000000u;
        m_userBase = (std::uint64_t(random()) << 32) | 0x100000u;
    }
    ~LoadRun()
    {
        m_clients.clear();
        ::close(m_epoll);
    }

    // ---- the loop ----

    /// Runs the loop until `done` says so, the deadline passes or the user interrupts.
    template<typename Done>
    bool runUntil(Done done, std::int64_t deadlineNs)
    {
        epoll_event events[1024];
        while (!done()) {
            if (g_interrupted)
                return false;
            std::int64_t now = monotonicNs();
            fireTimers(now);
            if (done())
                return true;
            now = monotonicNs();
            if (now >= deadlineNs)
                return false;
            std::int64_t wake = std::min(deadlineNs, m_timers.empty() ? deadlineNs : m_timers.top().dueNs);
            wake = std::min(wake, now + 100'000'000);
            const std::int64_t wait = std::max<std::int64_t>(0, wake - now);
            const timespec timeout {time_t(wait / 1'000'000'000), long(wait % 1'000'000'000)};
            const int n = epoll_pwait2(m_epoll, events, 1024, &timeout, nullptr);
            if (n < 0) {
                if (errno == EINTR)
                    continue;
                die(std::string("epoll_pwait2: ") + std::strerror(errno), 1);
            }
            for (int i = 0; i < n; ++i) {
                Client& c = *static_cast<Client*>(events[i].data.ptr);
                if (events[i].events & (EPOLLOUT | EPOLLERR | EPOLLHUP))
                    c.ws.onWritable();
                if (events[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP))
                    c.ws.onReadable();
                updateInterest(c);
            }
        }
        return true;
    }

    void updateInterest(Client& c)
    {
        if (c.ws.fd() < 0) {
            c.registered = 0; // closing the descriptor left the epoll set
            return;
        }
        const std::uint32_t want = EPOLLIN | (c.ws.wantsWrite() ? std::uint32_t(EPOLLOUT) : 0u);
        if (want == c.registered)
            return;
        epoll_event ev {};
        ev.events = want;
        ev.data.ptr = &c;
        epoll_ctl(m_epoll, c.registered ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, c.ws.fd(), &ev);
        c.registered = want;
    }

    // ---- timers: one heap of sends ----

    enum class TimerKind : std::uint8_t { Presence, Operation };
    struct Timer {
        std::int64_t dueNs;
        TimerKind kind;
        int client;
        bool operator>(const Timer& o) const { return dueNs > o.dueNs; }
    };

    void fireTimers(std::int64_t now)
    {
        while (!m_timers.empty() && m_timers.top().dueNs <= now && !g_interrupted) {
            const Timer t = m_timers.top();
            m_timers.pop();
            if (m_stopSending)
                continue;
            Client& c = *m_clients[std::size_t(t.client)];
            if (t.kind == TimerKind::Presence) {
                // The server relays at most 120 presence messages a second per sender and drops
                // what comes sooner than 1000/120 ms after the last (in whole ms): keep a late
                // send that far from the previous one, as a real client pacing itself would.
                const std::int64_t gap = m_options.presenceHz <= 111 ? 9'000'000 : 0;
                if (c.lastPresenceNs && now - c.lastPresenceNs < gap) {
                    m_timers.push({c.lastPresenceNs + gap, t.kind, t.client});
                    continue;
                }
                sendPresence(c);
                m_timers.push({t.dueNs + m_presencePeriodNs, t.kind, t.client});
            } else {
                sendOperation(c);
                m_timers.push({t.dueNs + m_opPeriodNs, t.kind, t.client});
            }
            now = monotonicNs();
        }
    }

    // ---- connecting ----

    Client& addClient()
    {
        auto c = std::make_unique<Client>();
        c->index = int(m_clients.size());
        c->user = m_userBase + std::uint64_t(c->index);
        c->replica = m_replicaBase + ReplicaId(c->index);
        Client& ref = *c;
        m_clients.push_back(std::move(c));
        return ref;
    }

    void connect(Client& c, bool create)
    {
        c.ws.onOpen = [this, &c, create] { onOpen(c, create); };
        c.ws.onClosed = [this, &c](const std::string& why) {
            c.closed = true;
            c.closeReason = why;
            if (m_trafficStarted && !m_stopSending)
                ++m_disconnectsDuringTraffic;
            if (m_firstCloseReason.empty() && !m_closing)
                m_firstCloseReason = "client " + std::to_string(c.index) + ": " + why;
        };
        c.ws.onMessage = [this, &c](std::string_view payload, std::int64_t readNs, std::int64_t arrivalNs) {
            onMessage(c, payload, readNs, arrivalNs);
        };
        std::string error;
        if (!c.ws.start(reinterpret_cast<const sockaddr*>(&m_target.address), m_target.length, m_target.hostHeader,
                        m_target.path, &error)) {
            c.closed = true;
            c.closeReason = error;
            if (m_firstCloseReason.empty())
                m_firstCloseReason = error;
            return;
        }
        updateInterest(c);
    }

    void onOpen(Client& c, bool create)
    {
        if (m_options.bare) {
            c.joined = true;
            return;
        }
        Hello h;
        h.room = m_target.room;
        h.user = c.user;
        h.replica = c.replica;
        h.name = "load-" + std::to_string(c.index);
        h.color = 0x4e79a7ff;
        h.role = create ? Role::Owner : Role::Editor;
        h.createRoom = create;
        send(c, h);
    }

    template<typename M>
    std::size_t send(Client& c, const M& m)
    {
        m_scratch.clear();
        appendMessage(m_scratch, m, Direction::ToServer);
        c.ws.sendBinary(m_scratch);
        updateInterest(c);
        return m_scratch.size();
    }

    /// Connects `count` more clients, at most `parallel` handshakes at a time (the server's
    /// listen backlog is small); true when all joined. With `observerLast`, the last one
    /// applies everything it receives.
    bool connectClients(int count, bool createFirst, bool observerLast, std::int64_t deadlineNs, int parallel = 32)
    {
        const std::size_t first = m_clients.size();
        for (int i = 0; i < count; ++i)
            addClient();
        if (observerLast && count > 0) {
            Client& o = *m_clients.back();
            o.full = std::make_unique<FullReplica>(o.replica, o.user);
        }
        const std::size_t end = m_clients.size();
        std::size_t next = first;
        auto inFlight = [&] {
            std::size_t n = 0;
            for (std::size_t i = first; i < next; ++i)
                n += (m_clients[i]->joined || m_clients[i]->closed) ? 0 : 1;
            return n;
        };
        if (createFirst && next < end) {
            connect(*m_clients[next++], true);
            if (!runUntil([&] { return inFlight() == 0; }, deadlineNs) || !m_clients[first]->joined)
                return false;
        }
        while (true) {
            std::size_t pending = inFlight();
            while (pending < std::size_t(parallel) && next < end) {
                connect(*m_clients[next++], false);
                ++pending;
            }
            if (pending == 0 && next == end)
                break;
            if (!runUntil([&] { return inFlight() < pending; }, deadlineNs))
                return false;
        }
        for (std::size_t i = first; i < end; ++i)
            if (!m_clients[i]->joined || m_clients[i]->closed)
                return false;
        return true;
    }

    // ---- receiving ----

    void onMessage(Client& c, std::string_view payload, std::int64_t now, std::int64_t arrival)
    {
        const Direction d = m_options.bare ? Direction::ToServer : Direction::ToClient;
        FrameReader reader(payload);
        FrameItem item;
        while (reader.next(item)) {
            if (!item.ok()) {
                ++m_malformed;
                continue;
            }
            const std::size_t bytes = item.body.size() + 1 + (item.length < 0x80 ? 1 : item.length < 0x4000 ? 2 : 3);
            switch (MessageType(item.type)) {
            case MessageType::VrPresence: {
                VrPresence m;
                DecodeError e;
                if (decodeBody(item.body, d, m, &e)) {
                    const auto& p = m.pose.head.position;
                    const std::uint64_t seq = std::uint16_t(p[0]) | (std::uint64_t(std::uint16_t(p[1])) << 16);
                    record(m_presence, p[2], seq, now, arrival, bytes);
                } else {
                    ++m_malformed;
                }
                break;
            }
            case MessageType::UserPosition: {
                UserPosition m;
                DecodeError e;
                if (decodeBody(item.body, d, m, &e))
                    record(m_presence, int(m.position.y), std::uint64_t(m.position.x), now, arrival, bytes);
                else
                    ++m_malformed;
                break;
            }
            case MessageType::NodeMove: {
                NodeMove m;
                DecodeError e;
                if (decodeBody(item.body, d, m, &e)) {
                    if (m.position.x >= 1)
                        record(m_ops, int(m.position.y), std::uint64_t(m.position.x), now, arrival, bytes);
                } else {
                    ++m_malformed;
                }
                break;
            }
            case MessageType::SyncUpdate: {
                SyncUpdate m;
                DecodeError e;
                if (decodeBody(item.body, d, m, &e)) {
                    EntityId target;
                    if (isNodeMove(m.transaction, &target)) {
                        m.transaction.forEachOp([&](std::uint32_t, const Operation& op) {
                            const Vec3 v = op.fields[0].value.toVec3();
                            if (v.x >= 1)
                                record(m_ops, int(v.y), std::uint64_t(v.x), now, arrival, bytes);
                        });
                    }
                } else {
                    ++m_malformed;
                }
                break;
            }
            case MessageType::Ack: {
                Ack a;
                DecodeError e;
                if (decodeBody(item.body, d, a, &e))
                    onAck(c, a.counter, now);
                break;
            }
            case MessageType::Welcome:
                if (!c.full) {
                    Welcome w;
                    DecodeError e;
                    if (decodeBody(item.body, d, w, &e))
                        c.peer = w.peer;
                    c.joined = true;
                }
                break;
            case MessageType::Ping: {
                Ping p;
                DecodeError e;
                if (decodeBody(item.body, d, p, &e))
                    send(c, Pong {p.value});
                break;
            }
            case MessageType::Error: {
                Error err;
                DecodeError e;
                if (decodeBody(item.body, d, err, &e)) {
                    ++m_errors;
                    if (m_errorSamples.size() < 5)
                        m_errorSamples.push_back("client " + std::to_string(c.index) + ": "
                                                 + (errorInfo(err.code) ? errorInfo(err.code)->name : "?") + ": "
                                                 + err.message);
                    if (err.fatal && !c.joined)
                        c.ws.close("fatal error: " + err.message);
                }
                break;
            }
            default: break;
            }
            if (c.full && !m_options.bare) {
                c.full->handle(item.type, item.body, now);
                if (c.full->ready)
                    c.joined = true;
            }
        }
    }

    void record(Tally& tally, int sender, std::uint64_t seq, std::int64_t now, std::int64_t arrival, std::size_t bytes)
    {
        if (sender < 0 || std::size_t(sender) >= tally.streams.size()) {
            ++tally.unknown;
            return;
        }
        MessageStream& s = tally.streams[std::size_t(sender)];
        if (seq == 0 || seq >= s.sentNs.size()) {
            ++tally.unknown;
            return;
        }
        ++s.received[seq];
        if (!s.measured[seq]) {
            ++tally.receivedOther;
            return;
        }
        ++tally.receivedMeasured;
        tally.receivedBytes += bytes;
        tally.latencyNs.push_back(std::uint32_t(std::clamp<std::int64_t>(arrival - s.sentNs[seq], 0, 0xffffffffll)));
        tally.readLatencyNs.push_back(std::uint32_t(std::clamp<std::int64_t>(now - s.sentNs[seq], 0, 0xffffffffll)));
    }

    void onAck(Client& c, std::uint32_t counter, std::int64_t now)
    {
        while (!c.pendingAcks.empty() && c.pendingAcks.front().counter <= counter) {
            if (c.pendingAcks.front().measured)
                m_ackLatencyNs.push_back(
                    std::uint32_t(std::clamp<std::int64_t>(now - c.pendingAcks.front().sentNs, 0, 0xffffffffll)));
            c.pendingAcks.pop_front();
        }
    }

    // ---- sending ----

    bool inWindow(std::int64_t t) const { return m_measuring && t >= m_measureStartNs && t < m_measureEndNs; }

    void noteSent(Tally& tally, int sender, std::int64_t sentNs, std::size_t bytes, std::uint16_t receivers)
    {
        MessageStream& s = tally.streams[std::size_t(sender)];
        const bool measured = inWindow(sentNs);
        s.sentNs.push_back(sentNs);
        s.expected.push_back(receivers);
        s.received.push_back(0);
        s.measured.push_back(measured);
        if (measured) {
            ++tally.sentMeasured;
            tally.expectedMeasured += receivers;
            tally.sentBytes += bytes;
        }
    }

    void sendPresence(Client& c)
    {
        if (c.closed)
            return;
        const std::uint64_t seq = ++c.presenceSeq;
        m_scratch.clear();
        if (m_options.presence == PresenceKind::Vr) {
            VrPresence m;
            m.pose = m_basePose;
            m.pose.head.position = {std::int16_t(std::uint16_t(seq & 0xffff)), std::int16_t(std::uint16_t(seq >> 16)),
                                    std::int16_t(c.presenceIndex)};
            appendMessage(m_scratch, m, Direction::ToServer);
        } else {
            UserPosition m;
            m.position = {float(seq), float(c.presenceIndex), 0.5f};
            appendMessage(m_scratch, m, Direction::ToServer);
        }
        const std::int64_t now = monotonicNs();
        c.lastPresenceNs = now;
        noteSent(m_presence, c.presenceIndex, now, m_scratch.size(), m_receivers);
        c.ws.sendBinary(m_scratch);
        updateInterest(c);
    }

    /// A transaction from the writer's document: NODE_MOVE where it can travel as one.
    void sendTransaction(Client& c, const Transaction& t, bool measured)
    {
        m_scratch.clear();
        std::optional<NodeMove> move;
        if (!m_options.opsAsSyncUpdate)
            move = compressNodeMove(t, c.outbound);
        if (move) {
            appendMessage(m_scratch, *move, Direction::ToServer);
            ++m_sentAsNodeMove;
        } else {
            SyncUpdate u;
            u.transaction = t;
            appendMessage(m_scratch, u, Direction::ToServer);
            ++m_sentAsSyncUpdate;
        }
        advance(c.outbound, t);
        const std::int64_t now = monotonicNs();
        if (measured)
            noteSent(m_ops, c.writerIndex, now, m_scratch.size(), m_receivers);
        if (!m_options.bare)
            c.pendingAcks.push_back({t.header().lastCounter(), now, inWindow(now)});
        c.ws.sendBinary(m_scratch);
        updateInterest(c);
    }

    void createWriterNode(Client& c)
    {
        c.doc = std::make_unique<GraphDocument>(c.replica, c.user);
        c.outbound.replica = c.replica;
        c.outbound.user = c.user;
        TransactionBuilder b = c.doc->begin();
        c.node = b.beginCreateNode(2);
        b.addField(Field::Label, Value("writer " + std::to_string(c.writerIndex)));
        b.addField(Field::Position, Value(Vec3 {-1, float(c.writerIndex), 0}));
        const Transaction t = c.doc->commit(b);
        sendTransaction(c, t, false);
    }

    void sendOperation(Client& c)
    {
        if (c.closed)
            return;
        const std::uint64_t seq = ++c.opSeq; // the moved node's x: the receivers' key to the send time
        TransactionBuilder b = c.doc->begin();
        c.doc->set(b, c.node, {Field::Position, {}}, Value(Vec3 {float(seq), float(c.writerIndex), 0.25f}));
        const Transaction t = c.doc->commit(b);
        sendTransaction(c, t, true);
    }

    // ---- the load scenario ----

    QJsonObject runLoad(ServerProcess* spawned)
    {
        const pid_t serverPid = spawned ? spawned->pid() : m_options.serverPid;
        QJsonObject out;
        const std::int64_t t0 = monotonicNs();
        const std::int64_t connectDeadline = t0 + std::int64_t(m_options.connectTimeout * 1e9);
        const bool observer = !m_options.bare && m_options.writers < m_options.clients;
        const bool joinedAll = connectClients(m_options.clients, m_options.create, observer, connectDeadline);
        const double connectSeconds = double(monotonicNs() - t0) / 1e9;
        std::size_t joined = 0;
        for (const auto& c : m_clients)
            joined += c->joined && !c->closed ? 1 : 0;
        out["clients_joined"] = double(joined);
        out["connect_seconds"] = round3(connectSeconds);
        if (!joinedAll) {
            out["error"] = QString::fromStdString("not every client joined within --connect-timeout: "
                                                  + std::to_string(joined) + " of " + std::to_string(m_options.clients)
                                                  + (m_firstCloseReason.empty() ? "" : " (" + m_firstCloseReason + ")")
                                                  + (m_errorSamples.empty() ? "" : "; " + m_errorSamples.front()));
            return out;
        }
        if (serverPid > 0)
            if (auto s = sampleProcess(serverPid))
                out["server_rss_kib_joined"] = double(s->rssKiB);

        // Roles: presence senders are clients 0..K-1, writers 0..W-1; the last client applies
        // everything it receives to its own document (a correctness check of the load).
        m_presence.streams.resize(std::size_t(m_options.presenceSenders));
        m_ops.streams.resize(std::size_t(m_options.writers));
        for (int i = 0; i < m_options.presenceSenders; ++i)
            m_clients[std::size_t(i)]->presenceIndex = i;
        for (int i = 0; i < m_options.writers; ++i)
            m_clients[std::size_t(i)]->writerIndex = i;
        {
            // Every client minus the sender receives each message.
            const std::size_t n = joined;
            m_receivers = std::uint16_t(n > 0 ? std::min<std::size_t>(n - 1, 65535) : 0);
        }

        // Writers create their node (unmeasured), then everyone starts on a schedule with
        // phases spread over the period.
        for (auto& c : m_clients)
            if (c->writerIndex >= 0)
                createWriterNode(*c);
        runUntil([] { return false; }, monotonicNs() + 200'000'000);
        m_trafficStarted = true;
        m_presencePeriodNs = m_options.presenceHz > 0 ? std::int64_t(1e9 / m_options.presenceHz) : 0;
        m_opPeriodNs = std::int64_t(1e9 / m_options.opsPerSecond);
        const std::int64_t start = monotonicNs() + 1'000'000;
        for (auto& c : m_clients) {
            if (c->presenceIndex >= 0)
                m_timers.push({start + m_presencePeriodNs * c->presenceIndex / std::max(1, m_options.presenceSenders),
                               TimerKind::Presence, c->index});
            if (c->writerIndex >= 0)
                m_timers.push({start + m_opPeriodNs * c->writerIndex / std::max(1, m_options.writers) + 500'000,
                               TimerKind::Operation, c->index});
        }
        m_measureStartNs = start + std::int64_t(m_options.warmup * 1e9);
        m_measureEndNs = m_measureStartNs + std::int64_t(m_options.duration * 1e9);
        m_measuring = true;
        runUntil([] { return false; }, m_measureStartNs);
        ProcessSample before;
        const bool haveBefore = serverPid > 0 && sampleInto(serverPid, before);
        rusage selfBefore {};
        getrusage(RUSAGE_SELF, &selfBefore);
        const std::uint64_t framesBefore = totalFrames();
        const std::uint64_t wireBefore = totalWireBytes();
        runUntil([] { return false; }, m_measureEndNs);
        const double measuredSeconds = double(monotonicNs() - m_measureStartNs) / 1e9;
        ProcessSample after;
        const bool haveAfter = serverPid > 0 && sampleInto(serverPid, after);
        rusage selfAfter {};
        getrusage(RUSAGE_SELF, &selfAfter);
        const std::uint64_t framesDuring = totalFrames() - framesBefore;
        const std::uint64_t wireDuring = totalWireBytes() - wireBefore;
        m_stopSending = true;
        const bool interrupted = g_interrupted;
        // Drain: wait for what was sent in the window.
        runUntil(
            [&] {
                if (m_presence.receivedMeasured < m_presence.expectedMeasured || m_ops.receivedMeasured < m_ops.expectedMeasured)
                    return false;
                for (const auto& c : m_clients)
                    for (const PendingAck& a : c->pendingAcks)
                        if (a.measured)
                            return false;
                return true;
            },
            monotonicNs() + std::int64_t(m_options.drain * 1e9));

        // ---- the report ----
        auto tallyJson = [&](Tally& t, const char* what) {
            std::uint64_t lost = 0, duplicates = 0;
            for (const MessageStream& s : t.streams)
                for (std::size_t i = 1; i < s.sentNs.size(); ++i)
                    if (s.measured[i]) {
                        if (s.received[i] < s.expected[i])
                            lost += s.expected[i] - s.received[i];
                        else
                            duplicates += s.received[i] - s.expected[i];
                    }
            QJsonObject o;
            o["what"] = what;
            o["sent"] = double(t.sentMeasured);
            o["expected_deliveries"] = double(t.expectedMeasured);
            o["delivered"] = double(t.receivedMeasured);
            o["lost"] = double(lost);
            o["duplicates"] = double(duplicates);
            o["unknown_ids"] = double(t.unknown);
            o["delivered_per_second"] = std::round(double(t.receivedMeasured) / m_options.duration);
            o["bytes_per_message_sent"] = t.sentMeasured ? round3(double(t.sentBytes) / double(t.sentMeasured)) : 0.0;
            o["bytes_per_message_received"]
                = t.receivedMeasured ? round3(double(t.receivedBytes) / double(t.receivedMeasured)) : 0.0;
            o["latency_ms"] = toJson(percentiles(t.latencyNs));
            o["read_latency_ms"] = toJson(percentiles(t.readLatencyNs));
            return o;
        };
        out["measured_seconds"] = round3(measuredSeconds);
        if (interrupted)
            out["interrupted"] = true;
        if (m_options.presenceSenders > 0) {
            const char* what = m_options.presence == PresenceKind::Vr ? "VR_PRESENCE" : "USER_POSITION";
            out["presence"] = tallyJson(m_presence, what);
        }
        if (m_options.writers > 0) {
            QJsonObject ops = tallyJson(m_ops, m_options.opsAsSyncUpdate ? "SYNC_UPDATE" : "NODE_MOVE");
            ops["sent_as_node_move"] = double(m_sentAsNodeMove);
            ops["sent_as_sync_update"] = double(m_sentAsSyncUpdate);
            if (!m_options.bare)
                ops["ack_latency_ms"] = toJson(percentiles(m_ackLatencyNs));
            out["operations"] = ops;
        }
        std::vector<std::uint32_t> all = m_presence.latencyNs;
        all.insert(all.end(), m_ops.latencyNs.begin(), m_ops.latencyNs.end());
        out["latency_ms"] = toJson(percentiles(std::move(all)));
        std::vector<std::uint32_t> allRead = m_presence.readLatencyNs;
        allRead.insert(allRead.end(), m_ops.readLatencyNs.begin(), m_ops.readLatencyNs.end());
        out["read_latency_ms"] = toJson(percentiles(std::move(allRead)));
        std::uint64_t stamped = 0, late = 0, reads = 0;
        for (const auto& c : m_clients) {
            stamped += c->ws.kernelTimestamps;
            late += c->ws.kernelTimestampsLate;
            reads += c->ws.reads;
        }
        out["kernel_timestamps"] = double(stamped);
        out["kernel_timestamps_unusable"] = double(late);
        out["reads"] = double(reads);
        const std::uint64_t delivered = m_presence.receivedMeasured + m_ops.receivedMeasured;
        out["delivered_per_second"] = std::round(double(delivered) / m_options.duration);
        QJsonObject wire;
        wire["frames_received"] = double(framesDuring);
        wire["bytes_received"] = double(wireDuring);
        wire["messages_per_frame"] = framesDuring ? round3(double(delivered) / double(framesDuring)) : 0.0;
        wire["wire_bytes_per_delivered_message"] = delivered ? round3(double(wireDuring) / double(delivered)) : 0.0;
        out["wire"] = wire;
        out["lost"] = out.value("presence").toObject().value("lost").toDouble()
            + out.value("operations").toObject().value("lost").toDouble();
        out["errors_received"] = double(m_errors);
        if (!m_errorSamples.empty()) {
            QJsonArray samples;
            for (const std::string& s : m_errorSamples)
                samples.append(QString::fromStdString(s));
            out["error_samples"] = samples;
        }
        out["malformed_received"] = double(m_malformed);
        out["disconnects_during_traffic"] = double(m_disconnectsDuringTraffic);
        if (!m_firstCloseReason.empty())
            out["first_disconnect"] = QString::fromStdString(m_firstCloseReason);
        if (const FullReplica* full = m_clients.back()->full.get()) {
            QJsonObject o;
            o["transactions_applied"] = double(full->applied);
            o["errors"] = double(full->errors);
            if (!full->firstError.empty())
                o["first_error"] = QString::fromStdString(full->firstError);
            o["nodes"] = double(full->doc.count(EntityKind::Node));
            out["observer"] = o;
        }
        if (haveBefore && haveAfter) {
            QJsonObject s;
            s["pid"] = double(serverPid);
            s["cpu_seconds"] = round3(after.cpuSeconds - before.cpuSeconds);
            s["cpu_percent"] = std::round((after.cpuSeconds - before.cpuSeconds) / measuredSeconds * 1000) / 10;
            s["rss_kib"] = double(after.rssKiB);
            s["peak_rss_kib"] = double(after.peakRssKiB);
            s["threads"] = after.threads;
            out["server"] = s;
        }
        const auto cpu = [](const rusage& r) {
            return double(r.ru_utime.tv_sec + r.ru_stime.tv_sec) + double(r.ru_utime.tv_usec + r.ru_stime.tv_usec) / 1e6;
        };
        out["client_cpu_percent"] = std::round((cpu(selfAfter) - cpu(selfBefore)) / measuredSeconds * 1000) / 10;
        return out;
    }

    std::uint64_t totalFrames() const
    {
        std::uint64_t n = 0;
        for (const auto& c : m_clients)
            n += c->ws.framesReceived;
        return n;
    }
    std::uint64_t totalWireBytes() const
    {
        std::uint64_t n = 0;
        for (const auto& c : m_clients)
            n += c->ws.bytesRead;
        return n;
    }

    // ---- joining a large room ----

    struct JoinTiming {
        double totalMs = 0, handshakeMs = 0, welcomeMs = 0, lastChunkMs = 0, uncompressMs = 0, mergeMs = 0;
        std::uint64_t wireBytes = 0, snapshotCompressed = 0, snapshotBytes = 0;
        std::size_t nodes = 0, edges = 0;
        std::string error;
    };

    JoinTiming timeJoin(double timeoutSeconds)
    {
        JoinTiming j;
        Client& c = addClient();
        c.full = std::make_unique<FullReplica>(c.replica, c.user);
        const std::int64_t t0 = monotonicNs();
        connect(c, false);
        runUntil([&] { return c.joined || c.closed; }, t0 + std::int64_t(timeoutSeconds * 1e9));
        if (!c.joined) {
            j.error = c.closed ? c.closeReason : (c.full->firstError.empty() ? "timed out" : c.full->firstError);
            if (!m_errorSamples.empty())
                j.error += "; " + m_errorSamples.back();
            return j;
        }
        j.totalMs = double(c.full->readyNs - t0) / 1e6;
        j.handshakeMs = double(c.ws.openedNs - t0) / 1e6;
        j.welcomeMs = double(c.full->welcomeNs - t0) / 1e6;
        j.lastChunkMs = c.full->lastChunkNs ? double(c.full->lastChunkNs - t0) / 1e6 : 0;
        j.uncompressMs = c.full->uncompressMs;
        j.mergeMs = c.full->mergeMs;
        j.wireBytes = c.ws.bytesRead;
        j.snapshotCompressed = c.full->snapshotCompressedBytes;
        j.snapshotBytes = c.full->snapshotBytes;
        j.nodes = c.full->doc.count(EntityKind::Node);
        j.edges = c.full->doc.count(EntityKind::Edge);
        if (c.full->errors)
            j.error = c.full->firstError;
        c.full.reset(); // the joined document is large: free it before the next join
        if (m_options.joinStay) {
            runUntil([] { return false; }, monotonicNs() + 100'000'000);
            return j;
        }
        m_closing = true;
        c.ws.close();
        runUntil([] { return false; }, monotonicNs() + 100'000'000);
        m_closing = false;
        return j;
    }

    static QJsonObject joinJson(const JoinTiming& j)
    {
        QJsonObject o;
        if (!j.error.empty())
            o["error"] = QString::fromStdString(j.error);
        o["total_ms"] = round3(j.totalMs);
        o["handshake_ms"] = round3(j.handshakeMs);
        o["welcome_ms"] = round3(j.welcomeMs);
        o["last_chunk_ms"] = round3(j.lastChunkMs);
        o["uncompress_ms"] = round3(j.uncompressMs);
        o["merge_ms"] = round3(j.mergeMs);
        o["wire_bytes"] = double(j.wireBytes);
        o["snapshot_compressed_bytes"] = double(j.snapshotCompressed);
        o["snapshot_bytes"] = double(j.snapshotBytes);
        o["nodes"] = double(j.nodes);
        o["edges"] = double(j.edges);
        return o;
    }

    /// Imports the file as one transaction through the protocol; returns the report.
    QJsonObject importRoom(const std::string& file, double timeoutSeconds)
    {
        QJsonObject o;
        Client& c = addClient();
        const std::int64_t t0 = monotonicNs();
        connect(c, true);
        runUntil([&] { return c.joined || c.closed; }, t0 + 30'000'000'000);
        if (!c.joined) {
            o["error"] = QString::fromStdString("could not create the room: " + c.closeReason
                                                + (m_errorSamples.empty() ? "" : "; " + m_errorSamples.back()));
            return o;
        }
        GraphDocument doc(c.replica, c.user);
        Transaction t;
        const std::int64_t i0 = monotonicNs();
        try {
            const ImportReport report = importGraphFile(doc, file, &t);
            o["nodes"] = double(report.nodes);
            o["edges"] = double(report.edges);
        } catch (const std::exception& e) {
            o["error"] = QString::fromStdString(std::string("import failed: ") + e.what());
            return o;
        }
        o["client_import_ms"] = round3(double(monotonicNs() - i0) / 1e6);
        o["transaction_bytes"] = double(t.bytes().size());
        o["operations"] = double(t.header().opCount);
        SyncUpdate u;
        u.transaction = t;
        const std::vector<std::string> messages = encodeTransaction(u, Direction::ToServer);
        const std::uint64_t wrote0 = c.ws.bytesWritten;
        const std::int64_t s0 = monotonicNs();
        c.writerIndex = 0;
        c.pendingAcks.push_back({t.header().lastCounter(), s0, false});
        for (const std::string& m : messages) {
            c.ws.sendBinary(m);
            updateInterest(c);
        }
        runUntil([&] { return c.pendingAcks.empty() || c.closed || m_errors > 0; },
                 s0 + std::int64_t(timeoutSeconds * 1e9));
        if (!c.pendingAcks.empty()) {
            o["error"] = QString::fromStdString("no ACK for the import"
                                                + (m_errorSamples.empty() ? "" : ": " + m_errorSamples.back()));
            return o;
        }
        o["chunks"] = double(messages.size());
        o["upload_wire_bytes"] = double(c.ws.bytesWritten - wrote0);
        o["ack_ms"] = round3(double(monotonicNs() - s0) / 1e6);
        return o;
    }

private:
    bool m_closing = false; ///< closing on purpose: not a disconnect to report
    const Options& m_options;
    Target m_target;
    int m_epoll = -1;
    std::vector<std::unique_ptr<Client>> m_clients;
    std::priority_queue<Timer, std::vector<Timer>, std::greater<Timer>> m_timers;
    std::int64_t m_presencePeriodNs = 0;
    std::int64_t m_opPeriodNs = 0;
    std::int64_t m_measureStartNs = 0;
    std::int64_t m_measureEndNs = 0;
    bool m_measuring = false;
    bool m_trafficStarted = false;
    bool m_stopSending = false;
    std::uint16_t m_receivers = 0;
    ReplicaId m_replicaBase = 0;
    UserId m_userBase = 0;
    std::string m_scratch;
    PackedVrPose m_basePose = packVrPose(VrPose {{{0.12f, 1.65f, -0.4f}, {0.05f, 0.7f, -0.02f, 0.71f}},
                                                 Pose {{-0.25f, 1.2f, -0.6f}, {0.3f, 0.1f, 0.9f, 0.2f}},
                                                 Pose {{0.3f, 1.1f, -0.55f}, {-0.6f, 0.5f, 0.1f, 0.6f}}});
    Tally m_presence;
    Tally m_ops;
    std::vector<std::uint32_t> m_ackLatencyNs;
    std::uint64_t m_sentAsNodeMove = 0;
    std::uint64_t m_sentAsSyncUpdate = 0;
    std::uint64_t m_malformed = 0;
    std::uint64_t m_errors = 0;
    std::vector<std::string> m_errorSamples;
    std::uint64_t m_disconnectsDuringTraffic = 0;
    std::string m_firstCloseReason;
};

// ---- message sizes --------------------------------------------------------------------------

int printSizes(bool json)
{
    struct Row {
        std::string name;
        std::uint8_t code;
        std::string note;
        std::optional<std::size_t> toServer, toClients;
    };
    std::vector<Row> rows;
    auto add = [&](const std::string& note, const auto& m) {
        const MessageInfo* info = messageInfo(std::uint8_t(m.type()));
        Row r {info->name, std::uint8_t(m.type()), note, {}, {}};
        if (info->flow != Flow::ServerToClient)
            r.toServer = encodeMessage(m, Direction::ToServer).size();
        if (info->flow != Flow::ClientToServer)
            r.toClients = encodeMessage(m, Direction::ToClient).size();
        rows.push_back(r);
    };

    // Real edits from a real document: a create, then moves of the same node 16 ms apart.
    GraphDocument doc(0x1a2b3c4d, 0x0123456789abcdefull);
    TransactionBuilder b = doc.begin();
    const EntityId node = b.beginCreateNode(2);
    b.addField(Field::Label, Value("Valjean"));
    b.addField(Field::Position, Value(Vec3 {1, 2, 3}));
    const Transaction create = doc.commit(b);
    ReplicaStream up {doc.replica(), doc.user(), false, 0, 0, {}, {}};
    StreamState room;
    room.addPeer(3, doc.replica(), doc.user());
    advance(up, create);
    room.update(3, 41, create);
    std::vector<Transaction> moves;
    for (int i = 0; i < 3; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(16));
        TransactionBuilder mb = doc.begin();
        doc.set(mb, node, {Field::Position, {}}, Value(Vec3 {1.5f + float(i), -2.25f, 0.125f}));
        moves.push_back(doc.commit(mb));
    }
    advance(up, moves[0]);
    room.update(3, 42, moves[0]);
    const std::optional<NodeMove> moveUp = compressNodeMove(moves[1], up);
    const std::optional<NodeMove> moveDown = compressNodeMove(moves[1], room, 3, 43);

    Hello hello;
    hello.room = "team-graph";
    hello.user = doc.user();
    hello.replica = doc.replica();
    hello.name = "alice";
    hello.color = 0x4e79a7ff;
    add("join (no resume, no token)", hello);
    Welcome welcome;
    welcome.epoch = 0x1122334455667788ull;
    welcome.peer = 3;
    welcome.committed = 1234;
    welcome.serverTimeMs = 1'700'000'000'000ull;
    for (PeerIndex p = 1; p <= 2; ++p)
        welcome.streams.push_back({p, ReplicaStream {0x01020300u + p, 77u + p, true, 1200, 500, Hlc::make(1'700'000'000'000ull, 0), {}}});
    add("two peers present", welcome);
    add("", Error(ErrorCode::RoleRefused, "viewers cannot edit this room", std::uint8_t(MessageType::SyncUpdate)));
    add("", Ping {1'700'000'000'000ull});
    add("", Pong {1'700'000'000'000ull});
    add("header only (+ data)", SnapshotChunk {0, 1234, Compression::Zlib, 3'000'000, 1'048'000, false, ""});
    TransactionChunk tc;
    tc.origin = 3;
    tc.seq = 1234;
    tc.total = 3'000'000;
    tc.offset = 1'048'000;
    add("header only (+ data)", tc);
    add("", Ack {doc.replica(), 5000, 1234});
    add("", Committed {1234});
    VersionVectorExchange vv;
    vv.vector.add(0x1a2b3c4d, 1, 5000);
    vv.vector.add(0x5e6f7081, 1, 900);
    vv.vector.add(0x01020304, 1, 12);
    add("three replicas", vv);
    add("", UserJoined {5, 0x0123456789abcdefull, 0x1a2b3c4d, "Cosette", 0xe15759ff, Role::Editor, false});
    add("", UserLeft {5, LeaveReason::Left});
    PresenceStatus ps;
    ps.origin = 3;
    ps.state = PresenceState::Editing;
    ps.view = View {{10, 20, 30}, {0, 0, 0}};
    add("with the view", ps);
    PositionsBatch batch;
    batch.origin = 3;
    for (std::uint32_t i = 1; i <= 10; ++i)
        batch.entries.push_back({{0x1a2b3c4d, i * 3}, {float(i), 2, 3}});
    add("10 nodes of one replica", batch);
    add("", SetRole {0x0123456789abcdefull, Role::Viewer});
    add("", RemoveUser {0x0123456789abcdefull});
    SetAccessKey key;
    key.salt = std::string(16, 's');
    key.storedKey = std::string(32, 'k');
    key.serverKey = std::string(32, 'v');
    add("", key);
    add("", SaveVersion {"Before the barricade"});
    add("", ListVersions {});
    add("one version", VersionList {{{1, "First", 1'700'000'000'000ull, 77, 10}}});
    add("", FetchVersion {1});
    SyncUpdate moveAsSync;
    moveAsSync.origin = 3;
    moveAsSync.seq = 43;
    moveAsSync.transaction = moves[1];
    add("a node move", moveAsSync);
    SyncUpdate createAsSync = moveAsSync;
    createAsSync.transaction = create;
    add("a node with a label and a position", createAsSync);
    {
        GraphDocument adoc(0x1a2b3c4d, 0x0123456789abcdefull);
        TransactionBuilder ab = adoc.begin();
        FieldValue text;
        text.ref.field = Field::Text;
        text.value = Value("look here");
        ab.createAnnotation(node, AnnotationKind::Comment, {text});
        SyncUpdate a;
        a.annotations = true;
        a.origin = 3;
        a.seq = 44;
        a.transaction = adoc.commit(ab);
        add("a 9-character comment", a);
    }
    add("three nodes", SelectionUpdate {3, {{0x01020304, 1}, {0x01020304, 5}, {0x1a2b3c4d, 7}}});
    add("budget 16", UserPosition {3, {1.5f, -2.25f, 10.0f}});
    add("head and both hands; budget 34",
        VrPresence {3, packVrPose(VrPose {{{0.12f, 1.65f, -0.4f}, {0.05f, 0.7f, -0.02f, 0.71f}},
                                          Pose {{-0.25f, 1.2f, -0.6f}, {0.3f, 0.1f, 0.9f, 0.2f}},
                                          Pose {{0.3f, 1.1f, -0.55f}, {-0.6f, 0.5f, 0.1f, 0.6f}}})});
    if (moveUp && moveDown) {
        Row r {"NODE_MOVE", std::uint8_t(MessageType::NodeMove), "a repeated move of one node, 16 ms later; budget 24",
               encodeMessage(*moveUp, Direction::ToServer).size(), encodeMessage(*moveDown, Direction::ToClient).size()};
        rows.push_back(r);
    }

    if (json) {
        QJsonArray a;
        for (const Row& r : rows) {
            QJsonObject o {{"type", QString::fromStdString(r.name)}, {"code", r.code}, {"note", QString::fromStdString(r.note)}};
            if (r.toServer)
                o["bytes_to_server"] = double(*r.toServer);
            if (r.toClients)
                o["bytes_to_clients"] = double(*r.toClients);
            a.append(o);
        }
        std::fputs(QJsonDocument(QJsonObject {{"message_sizes", a}}).toJson(QJsonDocument::Indented).constData(), stdout);
        return 0;
    }
    std::printf("| message | code | to the server | to clients | sample |\n|---|---|---|---|---|\n");
    for (const Row& r : rows)
        std::printf("| %s | 0x%02x | %s | %s | %s |\n", r.name.c_str(), r.code,
                    r.toServer ? std::to_string(*r.toServer).c_str() : "–",
                    r.toClients ? std::to_string(*r.toClients).c_str() : "–", r.note.c_str());
    std::printf("\nBytes: the whole message (length varint, type byte, body), as it travels inside a WebSocket\n"
                "binary frame (which adds 2 bytes from the server, 6 from a client, for messages under 126 bytes).\n");
    return 0;
}

// ---- the summary ----------------------------------------------------------------------------

void printSummary(const QJsonObject& o)
{
    auto line = [](const char* label, const QJsonObject& t) {
        const QJsonObject l = t["latency_ms"].toObject();
        const QJsonObject r = t["read_latency_ms"].toObject();
        std::printf("%-11s sent %.0f, delivered %.0f of %.0f (lost %.0f), %.0f/s; %.1f bytes/message sent, %.1f received\n"
                    "            latency ms (arrival) p50 %.3f p90 %.3f p99 %.3f max %.3f; (read) p50 %.3f p99 %.3f\n",
                    label, t["sent"].toDouble(), t["delivered"].toDouble(), t["expected_deliveries"].toDouble(),
                    t["lost"].toDouble(), t["delivered_per_second"].toDouble(), t["bytes_per_message_sent"].toDouble(),
                    t["bytes_per_message_received"].toDouble(), l["p50"].toDouble(), l["p90"].toDouble(),
                    l["p99"].toDouble(), l["max"].toDouble(), r["p50"].toDouble(), r["p99"].toDouble());
    };
    if (o.contains("error"))
        std::printf("error: %s\n", qPrintable(o["error"].toString()));
    if (o.contains("presence"))
        line("presence", o["presence"].toObject());
    if (o.contains("operations")) {
        line("operations", o["operations"].toObject());
        const QJsonObject a = o["operations"].toObject()["ack_latency_ms"].toObject();
        if (!a.isEmpty())
            std::printf("            ACK after commit: p50 %.3f p99 %.3f max %.3f ms\n", a["p50"].toDouble(),
                        a["p99"].toDouble(), a["max"].toDouble());
    }
    if (o.contains("server")) {
        const QJsonObject s = o["server"].toObject();
        std::printf("server      CPU %.1f%% of one core, RSS %.1f MiB, peak %.1f MiB\n", s["cpu_percent"].toDouble(),
                    s["rss_kib"].toDouble() / 1024, s["peak_rss_kib"].toDouble() / 1024);
    }
    if (o.contains("client_cpu_percent"))
        std::printf("this tool   CPU %.1f%% of one core; %.0f errors, %.0f disconnects\n", o["client_cpu_percent"].toDouble(),
                    o["errors_received"].toDouble(), o["disconnects_during_traffic"].toDouble());
    if (o.contains("join")) {
        std::printf("%s\n", QJsonDocument(o).toJson(QJsonDocument::Indented).constData());
    }
}

} // namespace

int main(int argc, char** argv)
{
    const Options options = parseOptions(argc, argv);
    if (options.sizes)
        return printSizes(options.json);
    std::signal(SIGINT, onInterrupt);
    std::signal(SIGTERM, onInterrupt);
    std::signal(SIGPIPE, SIG_IGN);

    std::unique_ptr<TemporaryDirectory> dataDir;
    std::unique_ptr<ServerProcess> server;
    std::vector<std::string> serverArgs;
    std::string logFile;
    auto spawn = [&]() {
        server = std::make_unique<ServerProcess>();
        std::string error;
        if (!server->start(options.spawnServer, serverArgs, logFile, &error))
            die(error, 1);
    };
    Target target;
    if (!options.spawnServer.empty()) {
        dataDir = std::make_unique<TemporaryDirectory>("constellate-load");
        if (!dataDir->isValid())
            die("cannot make a temporary directory", 1);
        logFile = dataDir->path() + "/server.log";
        if (options.bare) {
            serverArgs = {"--port", "0", "--bind", "127.0.0.1"};
        } else {
            serverArgs = {"--port", "0", "--bind", "127.0.0.1", "--data-dir", dataDir->path() + "/data",
                          "--log-level", "warning", "--max-clients", std::to_string(std::max(1000, options.clients + 64))};
        }
        serverArgs.insert(serverArgs.end(), options.serverArgs.begin(), options.serverArgs.end());
        spawn();
        target = parseTarget("ws://127.0.0.1:" + std::to_string(server->port()) + "/rooms/" + options.room);
    } else {
        target = parseTarget(options.url);
    }

    QJsonObject out;
    out["tool"] = "constellate-load";
    out["server_kind"] = options.bare ? "bare-relay" : "constellate-server";
    out["url"] = QString::fromStdString("ws://" + target.hostHeader + target.path);
    if (!options.serverArgs.empty()) {
        QJsonArray args;
        for (const std::string& a : options.serverArgs)
            args.append(QString::fromStdString(a));
        out["server_args"] = args;
    }
    {
        std::ifstream cpuinfo("/proc/cpuinfo");
        std::string model;
        for (std::string l; std::getline(cpuinfo, l);)
            if (l.starts_with("model name")) {
                model = l.substr(l.find(':') + 2);
                break;
            }
        out["machine"] = QString::fromStdString(std::to_string(std::thread::hardware_concurrency()) + " cores, " + model);
    }
    // The machine is shared: what else ran says how far to trust a figure.
    auto loadAverage = [] {
        std::ifstream f("/proc/loadavg");
        std::string one;
        f >> one;
        return QString::fromStdString(one);
    };
    out["loadavg_1min_start"] = loadAverage();

    if (!options.joinFile.empty()) {
        const pid_t pid = server ? server->pid() : options.serverPid;
        auto rss = [&]() -> double {
            if (pid <= 0)
                return 0;
            const auto s = sampleProcess(pid);
            return s ? double(s->rssKiB) : 0;
        };
        QJsonObject join;
        join["file"] = QString::fromStdString(options.joinFile);
        join["joiners_stay"] = options.joinStay;
        join["server_rss_kib_start"] = rss();
        LoadRun run(options, target);
        join["import"] = run.importRoom(options.joinFile, 300);
        join["server_rss_kib_after_import"] = rss();
        QJsonArray warm;
        std::vector<double> totals;
        for (int i = 0; i < options.joinRepeat && !g_interrupted; ++i) {
            const LoadRun::JoinTiming j = run.timeJoin(120);
            QJsonObject timing = LoadRun::joinJson(j);
            timing["server_rss_kib"] = rss(); // with --join-stay: one more member each time
            warm.append(timing);
            if (j.error.empty())
                totals.push_back(j.totalMs);
        }
        join["warm_joins"] = warm;
        if (!totals.empty()) {
            std::sort(totals.begin(), totals.end());
            join["warm_join_median_ms"] = round3(totals[totals.size() / 2]);
        }
        join["server_rss_kib_after_joins"] = rss();
        if (pid > 0)
            if (auto s = sampleProcess(pid))
                join["server_peak_rss_kib"] = double(s->peakRssKiB);
        if (options.cold && server && !g_interrupted) {
            server->stop();
            spawn();
            const Target restarted = parseTarget("ws://127.0.0.1:" + std::to_string(server->port()) + "/rooms/" + options.room);
            LoadRun coldRun(options, restarted);
            const pid_t coldPid = server->pid();
            auto coldRss = [&]() -> double {
                const auto s = sampleProcess(coldPid);
                return s ? double(s->rssKiB) : 0;
            };
            join["cold_server_rss_kib_start"] = coldRss();
            const LoadRun::JoinTiming j = coldRun.timeJoin(300);
            join["cold_join"] = LoadRun::joinJson(j);
            join["cold_server_rss_kib_after_join"] = coldRss();
            // The room stays loaded: a second join shows the warm figure on a clean server.
            const LoadRun::JoinTiming j2 = coldRun.timeJoin(120);
            join["cold_then_warm_join"] = LoadRun::joinJson(j2);
            join["cold_server_rss_kib_after_second_join"] = coldRss();
            if (auto s = sampleProcess(coldPid))
                join["cold_server_peak_rss_kib"] = double(s->peakRssKiB);
        }
        out["join"] = join;
    } else {
        out["clients"] = options.clients;
        out["writers"] = options.writers;
        out["ops_per_second"] = options.opsPerSecond;
        out["presence_hz"] = options.presenceHz;
        out["presence_kind"] = options.presence == PresenceKind::Vr ? "vr" : "cursor";
        out["presence_senders"] = options.presenceSenders;
        out["duration_s"] = options.duration;
        out["warmup_s"] = options.warmup;
        LoadRun run(options, target);
        const QJsonObject r = run.runLoad(server.get());
        for (auto it = r.begin(); it != r.end(); ++it)
            out[it.key()] = it.value();
    }
    out["loadavg_1min_end"] = loadAverage();
    if (server)
        server->stop();
    if (options.json)
        std::fputs(QJsonDocument(out).toJson(QJsonDocument::Indented).constData(), stdout);
    else
        printSummary(out);
    return out.contains("error") ? 1 : 0;
}
