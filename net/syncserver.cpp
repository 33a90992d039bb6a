#include "syncserver.h"

#include "graphdocument.h"
#include "hlcclock.h"
#include "fanoutwriter.h"
#include "httpfrontdoor.h"
#include "identity.h"
#include "nodemove.h"
#include "protocol.h"
#include "roomstore.h"
#include "scram.h"
#include "serverlog.h"

#include <QDateTime>
#include <QDir>
#include <QElapsedTimer>
#include <QPointer>
#include <QRandomGenerator>
#include <QThread>
#include <QTimer>
#include <QTcpSocket>
#include <QWebSocket>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <deque>
#include <set>


namespace constellate::net {

using namespace protocol;

namespace {

/// The server's own replica in each room's document: it never writes, only merges.
constexpr ReplicaId ServerReplica = 0xffffffffu;
/// Close codes (RFC 6455): going away, policy violation, message too big, try again later.
constexpr int CloseGoingAway = 1001;
constexpr int ClosePolicy = 1008;
constexpr int CloseTryLater = 1013;
/// How long a client may write nothing out while its backlog is past the bound.
constexpr qint64 SlowReaderGraceMs = 2000;
/// A resuming client gets at most this much of the log; more, and a snapshot instead.
constexpr std::size_t MaxDeltaBytes = 64 * 1024 * 1024;
/// Rooms this large have their joiners' snapshot made ahead, once quiet this long.
constexpr std::size_t PrepareSnapshotFromEntities = 20'000;
constexpr int PrepareSnapshotAfterQuietMs = 1000;

std::uint64_t nowMs()
{
    return HlcClock::systemMillis();
}

double secondsSince(std::chrono::steady_clock::time_point t)
{
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

QString hexUser(UserId u)
{
    return QString::number(u, 16);
}

} // namespace

/// Owns the rooms' stores on the storage thread: SQLite commits (with their fsyncs) never
/// stall the thread that relays.
class StorageWorker : public QObject {
public:
    explicit StorageWorker(QString dataDir) : m_dataDir(std::move(dataDir)) {}
    QString m_dataDir;
    std::map<QString, std::unique_ptr<RoomStore>> m_stores;
    RoomStore* store(const QString& room)
    {
        auto it = m_stores.find(room);
        return it == m_stores.end() ? nullptr : it->second.get();
    }
};

struct SyncServer::Session {
    enum class State { AwaitingHello, Loading, AwaitingProof, Joined, Closing };
    QWebSocket* socket = nullptr;
    /// This connection's number, never reused. Answers from other threads name their
    /// session by socket and serial (sessionOf): a later connection's socket may be
    /// allocated where a closed one's was.
    std::uint64_t serial = 0;
    /// The plain TCP socket under `socket` (null with TLS): frames are written to it
    /// directly, see flush().
    QPointer<QTcpSocket> tcp;
    State state = State::AwaitingHello;
    QString roomName; ///< from the URL
    Room* room = nullptr;
    Hello hello;
    std::uint32_t version = ProtocolVersion;
    Role role = Role::Viewer;
    PeerIndex peer = 0;
    QString who; ///< for log lines: "alice (u1a2b, replica 0c0ffee)"
    std::string out;           ///< this turn's frame
    std::size_t outMessages = 0;
    std::int64_t unsentBytes = 0; ///< handed to a TLS socket but not yet written
    bool dirty = false;           ///< `out` waits in m_dirty for the next flush()
    /// Joining: `out` is held until the snapshot, inserted at `holdAt`, is ready.
    bool holding = false;
    std::size_t holdAt = 0;
    QElapsedTimer lastProgress;   ///< since the socket last wrote something out
    std::vector<std::chrono::steady_clock::time_point> arrivals; ///< of messages in `out`, for fan-out latency
    ReplicaStream inbound;         ///< NODE_MOVE decoding state for this link
    ChunkAssembler chunks;
    QElapsedTimer lastHeard;
    std::string serverNonce;
    struct PresenceBucket {
        double tokens = 4;
        std::uint64_t lastMs = 0;
    };
    std::map<std::uint8_t, PresenceBucket> presenceBuckets;
    std::uint64_t windowStartMs = 0;
    int windowMessages = 0;
    bool overRate = false; ///< this message is past the per-second limit
    int recentErrors = 0;
    std::uint64_t lastActiveMs = 0; ///< the last edit or presence message (pings do not count)
    PresenceStatus lastStatus;      ///< as the client last declared it (online until it says)
    bool idleAway = false;          ///< the server announced this user away for being idle
    std::optional<bool> ownerTokenOk; ///< the storage thread's answer on HELLO's owner token
};

struct SyncServer::Room {
    QString name;
    std::uint64_t epoch = 0;
    std::unique_ptr<GraphDocument> doc;
    RoomSequence committed = 0;
    RoomSequence lastAssigned = 0;
    RoomSequence snapshotSeq = 0;      ///< the last compaction, asked for or loaded (its pace)
    RoomSequence compactedThrough = 0; ///< the log holds everything after this
    bool loading = true;
    std::vector<Session*> waiting; ///< sessions whose HELLO waits for the room to load
    std::map<PeerIndex, Session*> peers;
    StreamState streams;
    std::optional<scram::Verifier> accessKey;
    std::map<UserId, RoomMember> members;
    struct PendingAck {
        RoomSequence seq;
        Session* session;
        ReplicaId replica;
        std::uint32_t firstCounter;
        std::uint32_t counter; ///< the last
        std::chrono::steady_clock::time_point arrived;
    };
    std::deque<PendingAck> pendingAcks;
    /// Transactions (by first operation) merged here whose commit failed: not duplicates
    /// when they are sent again.
    std::set<OpId> unstored;
    /// The latest relay of each presence type per peer, for newcomers.
    std::map<PeerIndex, std::map<std::uint8_t, std::string>> presence;
    /// The last compressed snapshot and the sequence it reflects: joins in a row share it.
    RoomSequence snapshotCacheSeq = 0;
    std::string snapshotCache;
    bool snapshotInFlight = false; ///< a compression runs on m_compressors
    RoomSequence snapshotInFlightSeq = 0;
    /// Joiners held until the snapshot of the state they joined at is ready.
    struct SnapshotWaiter {
        QWebSocket* socket;
        std::uint64_t serial;
        RoomSequence seq;
    };
    std::vector<SnapshotWaiter> snapshotWaiting;
    QTimer* quiet = nullptr; ///< large rooms: prepares the snapshot once the room is quiet
};

SyncServer::SyncServer(ServerOptions options, QObject* parent)
    : QObject(parent)
    , m_options(std::move(options))
    , m_door(new HttpFrontDoor(this))
    , m_fanOut(std::make_unique<FanOutWriter>(m_options.parallelFanOutFrom))
{
    m_door->addRoute("/healthz", [this] {
        return HttpFrontDoor::Response {m_shuttingDown ? 503 : 200, "text/plain; charset=utf-8",
                                        m_shuttingDown ? "shutting down\n" : "ok\n"};
    });
    m_door->addRoute("/metrics", [this] {
        std::int64_t held = 0;
        for (const auto& [socket, session] : m_sessions)
            held += std::int64_t(session->out.capacity()) + backlog(*session);
        m_metrics.sendBufferBytes = held;
        return HttpFrontDoor::Response {200, "text/plain; version=0.0.4; charset=utf-8", m_metrics.render()};
    });
    connect(m_door, &HttpFrontDoor::webSocketConnected, this, &SyncServer::onConnected);
    // One compression at a time; one made for a waiting joiner runs its pieces on helper
    // threads of its own (startSnapshot).
    m_compressors.setMaxThreadCount(1);
}

SyncServer::~SyncServer()
{
    m_compressors.waitForDone(); // their results are posted to this object
    for (auto& [socket, session] : m_sessions) {
        socket->disconnect(this);
        socket->abort();
        socket->deleteLater();
    }
    m_sessions.clear();
    for (std::size_t i = 0; i < m_storageWorkers.size(); ++i) {
        QMetaObject::invokeMethod(m_storageWorkers[i], [w = m_storageWorkers[i]] {
            for (auto& [name, store] : w->m_stores) {
                QString error;
                store->commit(&error);
            }
            delete w;
        }, Qt::BlockingQueuedConnection);
        m_storageThreads[i]->quit();
        m_storageThreads[i]->wait();
    }
}

bool SyncServer::start(QString* error)
{
    if (m_options.dataDir.isEmpty() || !QDir().mkpath(RoomStore::roomsDir(m_options.dataDir))) {
        if (error)
            *error = QStringLiteral("cannot create the data directory '%1'").arg(m_options.dataDir);
        return false;
    }
    for (int i = 0; i < std::max(1, m_options.storageThreads); ++i) {
        auto* thread = new QThread(this);
        thread->setObjectName(QStringLiteral("storage %1").arg(i));
        auto* worker = new StorageWorker(m_options.dataDir);
        worker->moveToThread(thread);
        thread->start();
        m_storageThreads.push_back(thread);
        m_storageWorkers.push_back(worker);
    }
    if (!m_door->listen(m_options.bind, m_options.port, m_options.tls, error))
        return false;
    auto* timer = new QTimer(this);
    connect(timer, &QTimer::timeout, this, &SyncServer::tick);
    timer->start(1000);
    return true;
}

quint16 SyncServer::port() const
{
    return m_door->port();
}

// ---- connections ------------------------------------------------------------------------

void SyncServer::onConnected(QWebSocket* socket)
{
    socket->setParent(this);
    if (m_shuttingDown) {
        socket->close(QWebSocketProtocol::CloseCode(CloseGoingAway), QStringLiteral("server shutting down"));
        socket->deleteLater();
        return;
    }
    if (int(m_sessions.size()) >= m_options.maxClients) {
        std::string msg;
        appendMessage(msg, Error(ErrorCode::ServerFull, "the server has its maximum number of clients", 0, true),
                      Direction::ToClient);
        socket->sendBinaryMessage(QByteArray(msg.data(), qsizetype(msg.size())));
        socket->close(QWebSocketProtocol::CloseCode(CloseTryLater), QStringLiteral("server full"));
        socket->deleteLater();
        return;
    }
    socket->setMaxAllowedIncomingMessageSize(quint64(m_options.maxMessageBytes) * 2 + 64);
    auto session = std::make_unique<Session>();
    Session& s = *session;
    s.socket = socket;
    s.serial = ++m_sessionSerial;
    s.tcp = m_door->takePlainSocket(socket);
    s.lastHeard.start();
    s.lastProgress.start();
    s.lastActiveMs = nowMs();
    const QString path = socket->requestUrl().path();
    s.roomName = path.startsWith(QLatin1String("/rooms/")) ? path.mid(7) : QString();
    m_sessions.emplace(socket, std::move(session));
    ++m_metrics.connections;

    connect(socket, &QWebSocket::binaryMessageReceived, this, [this, socket](const QByteArray& frame) {
        auto it = m_sessions.find(socket);
        if (it != m_sessions.end())
            onFrame(*it->second, frame);
    });
    connect(socket, &QWebSocket::textMessageReceived, this, [this, socket](const QString&) {
        auto it = m_sessions.find(socket);
        if (it != m_sessions.end()) {
            sendError(*it->second, int(ErrorCode::Malformed), "this protocol uses binary WebSocket frames only", 0,
                      true);
            drop(*it->second, ClosePolicy, QStringLiteral("text frame"));
        }
    });
    connect(socket, &QWebSocket::bytesWritten, this, [this, socket](qint64 n) {
        auto it = m_sessions.find(socket);
        if (it != m_sessions.end()) {
            if (!it->second->tcp)
                it->second->unsentBytes = std::max<std::int64_t>(0, it->second->unsentBytes - n);
            it->second->lastProgress.restart();
        }
    });
    connect(socket, &QWebSocket::disconnected, this, [this, socket] {
        auto it = m_sessions.find(socket);
        if (it == m_sessions.end())
            return;
        leave(*it->second, int(LeaveReason::Left));
        m_sessions.erase(it);
        --m_metrics.connections;
        socket->deleteLater();
    });
    if (!RoomStore::isValidRoomName(s.roomName)) {
        sendError(s, int(ErrorCode::BadRoomName),
                  "room names are 1 to 128 letters, digits, '-', '_' or '.', at ws://HOST:PORT/rooms/NAME", 0, true);
        drop(s, ClosePolicy, QStringLiteral("bad room name"));
    }
}

void SyncServer::drop(Session& s, int closeCode, const QString& reason)
{
    if (s.state == Session::State::Closing)
        return;
    flush();
    s.state = Session::State::Closing;
    s.socket->close(QWebSocketProtocol::CloseCode(closeCode), reason);
}

void SyncServer::leave(Session& s, int leaveReason)
{
    Room* room = s.room;
    if (!room)
        return;
    std::erase(room->waiting, &s);
    for (auto& ack : room->pendingAcks)
        if (ack.session == &s)
            ack.session = nullptr;
    if (s.peer && room->peers.erase(s.peer)) {
        room->streams.removePeer(s.peer);
        room->presence.erase(s.peer);
        std::string msg;
        appendMessage(msg, UserLeft {s.peer, LeaveReason(leaveReason)}, Direction::ToClient);
        for (auto& [peer, other] : room->peers)
            queue(*other, msg);
        logInfo(QStringLiteral("leave room=%1 %2").arg(room->name, s.who));
        emitRoomChanged(*room);
    }
    s.room = nullptr;
    s.peer = 0;
}

void SyncServer::emitRoomChanged(const Room& room)
{
    Q_EMIT roomChanged(room.name, int(room.peers.size()), room.accessKey.has_value(), room.epoch);
}

void SyncServer::onFrame(Session& s, const QByteArray& frame)
{
    if (s.state == Session::State::Closing)
        return;
    s.lastHeard.restart();
    m_metrics.bytesIn += std::uint64_t(frame.size());
    const std::uint64_t now = nowMs();
    if (now - s.windowStartMs >= 1000) {
        s.windowStartMs = now;
        s.windowMessages = 0;
    }
    FrameReader reader(std::string_view(frame.constData(), std::size_t(frame.size())), m_options.maxMessageBytes);
    FrameItem item;
    bool toldToSlowDown = false;
    while (reader.next(item) && s.state != Session::State::Closing) {
        ++m_metrics.messagesIn;
        s.overRate = ++s.windowMessages > m_options.messagesPerSecond;
        if (!item.ok()) {
            const Error e = item.error();
            sendError(s, e.code, e.message, item.type);
            continue;
        }
        const auto t = MessageType(item.type);
        const bool transaction = t == MessageType::SyncUpdate || t == MessageType::AnnotationUpdate
            || t == MessageType::NodeMove || t == MessageType::TransactionChunk;
        if (s.overRate && !transaction && s.state == Session::State::Joined) {
            // Past the rate: presence and requests are dropped. Transaction messages are
            // still decoded (the link's NODE_MOVE state must follow them) and refused.
            if (!toldToSlowDown)
                sendError(s, int(ErrorCode::RateLimited),
                          "more than " + std::to_string(m_options.messagesPerSecond) + " messages a second: slow down",
                          item.type);
            toldToSlowDown = true;
            continue;
        }
        handleMessage(s, item.type, item.body);
    }
    scheduleFlush();
}

void SyncServer::sendError(Session& s, int code, const std::string& message, std::uint8_t about, bool fatal)
{
    ++m_metrics.errorsSent;
    std::string msg;
    appendMessage(msg, Error(ErrorCode(code), message.substr(0, MaxErrorMessageBytes), about, fatal),
                  Direction::ToClient);
    queue(s, msg);
    logInfo(QStringLiteral("error room=%1 %2 code=%3: %4")
                .arg(s.roomName, s.who.isEmpty() ? QStringLiteral("(no hello yet)") : s.who)
                .arg(code)
                .arg(QString::fromStdString(message)));
    // Repeated abuse closes the connection.
    if (!fatal && ++s.recentErrors > 50) {
        std::string bye;
        appendMessage(bye, Error(ErrorCode::Malformed, "too many errors", 0, true), Direction::ToClient);
        queue(s, bye);
        drop(s, ClosePolicy, QStringLiteral("too many errors"));
    }
    if (fatal)
        scheduleFlush();
}

// ---- sending: one frame per recipient per event-loop turn ---------------------------------

void SyncServer::queue(Session& s, std::string_view message, bool presence)
{
    if (s.state == Session::State::Closing)
        return;
    const auto limit = std::int64_t(m_options.sendQueueBytes);
    // A burst can outrun a healthy reader for a moment; a reader is slow when its backlog
    // is past the bound and the socket has written nothing for a while.
    const std::int64_t unsent = backlog(s);
    if (unsent > 4 * limit && s.lastProgress.elapsed() > SlowReaderGraceMs) {
        ++m_metrics.slowDisconnects;
        logWarning(QStringLiteral("slow client dropped room=%1 %2: %3 bytes unsent")
                       .arg(s.roomName, s.who)
                       .arg(unsent));
        s.out.clear();
        s.state = Session::State::Closing;
        // Behind the backlog, like the close frame: a client that reads on learns why.
        std::string bye;
        appendMessage(bye,
                      Error(ErrorCode::SlowConsumer, "not reading fast enough: disconnected; resume later", 0, true),
                      Direction::ToClient);
        s.socket->sendBinaryMessage(QByteArray(bye.data(), qsizetype(bye.size())));
        s.socket->close(QWebSocketProtocol::CloseCode(CloseTryLater),
                        QStringLiteral("not reading fast enough: resume later"));
        return;
    }
    if (presence && unsent > limit) {
        ++m_metrics.presenceDropped; // a slow reader loses stale presence first, never operations
        return;
    }
    if (message.empty())
        return;
    s.out.append(message);
    ++s.outMessages;
    markDirty(s);
    scheduleFlush();
}

std::int64_t SyncServer::backlog(const Session& s)
{
    return s.tcp ? std::int64_t(s.tcp->bytesToWrite()) : s.unsentBytes;
}

void SyncServer::scheduleFlush()
{
    if (m_flushScheduled)
        return;
    m_flushScheduled = true;
    QMetaObject::invokeMethod(this, &SyncServer::flush, Qt::QueuedConnection);
}

void SyncServer::flush()
{
    m_flushScheduled = false;
    std::vector<QWebSocket*> dirty;
    dirty.swap(m_dirty);
    // What this turn produced for each recipient goes out as one WebSocket frame. Over
    // plain TCP the frame is written by FanOutWriter straight to the socket when Qt holds
    // nothing unsent for it: no per-recipient copy into QWebSocket and no write-notifier
    // round trip (docs/benchmarks.md, "where the server's time goes"). What the kernel
    // does not take, and everything while a backlog exists, is appended to the
    // QTcpSocket's buffer behind whatever QWebSocket wrote there itself (pongs, close
    // frames), so order holds. TLS sockets go through QWebSocket.
    struct Direct {
        Session* session;
        unsigned char header[10];
    };
    std::vector<Direct> direct;
    std::vector<FanOutWriter::Send> sends;
    direct.reserve(dirty.size());
    sends.reserve(dirty.size());
    for (QWebSocket* socket : dirty) {
        auto it = m_sessions.find(socket);
        if (it == m_sessions.end())
            continue;
        Session& s = *it->second;
        s.dirty = false;
        if (s.out.empty() || s.holding) // a held joiner is queued again when its snapshot is ready
            continue;
        m_metrics.bytesOut += std::uint64_t(s.out.size());
        m_metrics.messagesOut += s.outMessages;
        if (s.tcp && s.tcp->state() == QAbstractSocket::ConnectedState) {
            Direct& d = direct.emplace_back();
            d.session = &s;
            const std::size_t headerSize = frameHeader(d.header, s.out.size());
            if (s.tcp->bytesToWrite() == 0)
                sends.push_back({int(s.tcp->socketDescriptor()), nullptr, headerSize, s.out.data(), s.out.size(), 0});
            else
                sends.push_back({-1, nullptr, headerSize, s.out.data(), s.out.size(), 0});
        } else {
            const qint64 n = socket->sendBinaryMessage(QByteArray(s.out.data(), qsizetype(s.out.size())));
            s.unsentBytes += n;
            ++m_metrics.framesBuffered;
            finishTurn(s);
        }
    }
    // `direct` no longer grows: the headers' addresses are stable from here.
    std::vector<FanOutWriter::Send> ready;
    ready.reserve(sends.size());
    for (std::size_t i = 0; i < sends.size(); ++i) {
        sends[i].header = direct[i].header;
        if (sends[i].fd >= 0)
            ready.push_back(sends[i]);
    }
    const std::uint64_t parallelBefore = m_fanOut->parallelBatches();
    m_fanOut->write(ready);
    m_metrics.parallelBatches += m_fanOut->parallelBatches() - parallelBefore;
    std::size_t r = 0;
    for (std::size_t i = 0; i < sends.size(); ++i) {
        Session& s = *direct[i].session;
        std::size_t written = 0;
        if (sends[i].fd >= 0) {
            written = ready[r++].written;
            if (written > 0)
                s.lastProgress.restart();
        }
        const std::size_t headerSize = sends[i].headerSize;
        if (written == headerSize + s.out.size())
            ++m_metrics.framesDirect;
        else
            ++m_metrics.framesBuffered;
        if (written < headerSize)
            s.tcp->write(reinterpret_cast<const char*>(direct[i].header) + written, qint64(headerSize - written));
        const std::size_t bodyDone = written > headerSize ? written - headerSize : 0;
        if (bodyDone < s.out.size())
            s.tcp->write(s.out.data() + bodyDone, qint64(s.out.size() - bodyDone));
        finishTurn(s);
    }
}

std::size_t SyncServer::frameHeader(unsigned char* header, std::uint64_t payloadSize)
{
    // RFC 6455, server to client: FIN + binary opcode, unmasked, then the length.
    std::size_t n = 0;
    header[n++] = 0x82;
    if (payloadSize < 126) {
        header[n++] = static_cast<unsigned char>(payloadSize);
    } else if (payloadSize < 65536) {
        header[n++] = 126;
        header[n++] = static_cast<unsigned char>(payloadSize >> 8);
        header[n++] = static_cast<unsigned char>(payloadSize);
    } else {
        header[n++] = 127;
        for (int shift = 56; shift >= 0; shift -= 8)
            header[n++] = static_cast<unsigned char>(payloadSize >> shift);
    }
    return n;
}

/// A session's frame buffer keeps at most this much capacity between turns.
constexpr std::size_t KeptFrameCapacity = 16 * 1024;

void SyncServer::finishTurn(Session& s)
{
    for (const auto& t : s.arrivals)
        m_metrics.fanOut.observe(secondsSince(t));
    s.arrivals.clear();
    // A burst (a joiner's USER_JOINED and presence for everyone present, a snapshot) would
    // leave its capacity behind in every session: memory in the square of the room's size
    // (about 40 bytes for each pair of members: 320 MB at 4,000).
    if (s.out.capacity() > KeptFrameCapacity)
        std::string().swap(s.out);
    else
        s.out.clear();
    s.outMessages = 0;
}

// ---- messages -----------------------------------------------------------------------------

void SyncServer::handleMessage(Session& s, std::uint8_t type, std::string_view body)
{
    const auto t = MessageType(type);
    if (s.state == Session::State::AwaitingHello) {
        if (t == MessageType::Hello)
            handleHello(s, body);
        else if (t != MessageType::Ping)
            sendError(s, int(ErrorCode::UnexpectedMessage), "the first message must be HELLO", type, true),
                drop(s, ClosePolicy, QStringLiteral("no hello"));
        return;
    }
    if (s.state == Session::State::AwaitingProof) {
        if (t != MessageType::Proof) {
            sendError(s, int(ErrorCode::UnexpectedMessage), "expected PROOF", type);
            return;
        }
        Proof proof;
        DecodeError e;
        if (!decodeBody(body, Direction::ToServer, proof, &e)) {
            sendError(s, int(e.code), e.message, type, true);
            drop(s, ClosePolicy, QStringLiteral("malformed proof"));
            return;
        }
        Room* room = s.room;
        const std::string auth = accessAuthMessage(s.hello.room, s.hello.user, s.hello.replica, s.serverNonce,
                                                   proof.clientNonce);
        const QByteArray authBytes(auth.data(), qsizetype(auth.size()));
        if (!room || !room->accessKey
            || !scram::verifyClientProof(room->accessKey->storedKey, authBytes,
                                         QByteArray(proof.clientProof.data(), qsizetype(proof.clientProof.size())))) {
            sendError(s, int(ErrorCode::AccessDenied), "wrong access key for this room", type, true);
            drop(s, ClosePolicy, QStringLiteral("access denied"));
            return;
        }
        s.serverNonce = scram::serverSignature(room->accessKey->serverKey, authBytes).toStdString();
        finishJoin(s, *room, false, {});
        return;
    }
    if (s.state != Session::State::Joined)
        return; // loading: the HELLO's answer comes first
    if (t != MessageType::Ping && t != MessageType::Pong) {
        s.lastActiveMs = nowMs();
        if (s.idleAway) {
            s.idleAway = false;
            if (t != MessageType::PresenceStatus) // that one says for itself what it is
                announceStatus(s, s.lastStatus);
        }
    }
    switch (t) {
    case MessageType::Ping: {
        Ping p;
        DecodeError e;
        if (decodeBody(body, Direction::ToServer, p, &e)) {
            std::string msg;
            appendMessage(msg, Pong {p.value}, Direction::ToClient);
            queue(s, msg);
        }
        return;
    }
    case MessageType::Pong: return;
    case MessageType::SyncUpdate:
    case MessageType::AnnotationUpdate: {
        SyncUpdate u;
        u.annotations = t == MessageType::AnnotationUpdate;
        DecodeError e;
        Limits limits;
        limits.maxMessageBytes = m_options.maxMessageBytes;
        if (!decodeBody(body, Direction::ToServer, u, &e, limits)) {
            malformedTransaction(s, e, type);
            return;
        }
        advance(s.inbound, u.transaction);
        acceptTransaction(s, std::move(u.transaction));
        return;
    }
    case MessageType::NodeMove: {
        NodeMove m;
        DecodeError e;
        if (!decodeBody(body, Direction::ToServer, m, &e)) {
            malformedTransaction(s, e, type);
            return;
        }
        std::string error;
        std::optional<Transaction> tx = expandNodeMove(m, s.inbound, &error);
        if (!tx) {
            malformedTransaction(s, DecodeError {ErrorCode::Malformed, "NODE_MOVE: " + error}, type);
            return;
        }
        advance(s.inbound, *tx);
        acceptTransaction(s, std::move(*tx));
        return;
    }
    case MessageType::TransactionChunk: {
        TransactionChunk c;
        DecodeError e;
        if (!decodeBody(body, Direction::ToServer, c, &e)) {
            malformedTransaction(s, e, type);
            return;
        }
        std::string error;
        const auto status = s.chunks.add(c, &error);
        if (status == ChunkAssembler::Status::Error)
            malformedTransaction(s, DecodeError {ErrorCode::Malformed, "TRANSACTION_CHUNK: " + error}, type);
        else if (status == ChunkAssembler::Status::Complete)
            handleTransactionBytes(s, s.chunks.take());
        return;
    }
    case MessageType::SelectionUpdate:
    case MessageType::UserPosition:
    case MessageType::VrPresence:
    case MessageType::PresenceStatus:
    case MessageType::PositionsBatch: relayPresence(s, type, body); return;
    case MessageType::SetRole:
    case MessageType::RemoveUser:
    case MessageType::SetAccessKey:
    case MessageType::SaveVersion:
    case MessageType::ListVersions:
    case MessageType::FetchVersion:
    case MessageType::VersionVector: handleAdmin(s, type, body); return;
    default: sendError(s, int(ErrorCode::UnexpectedMessage), std::string(messageTypeName(t)) + " is not for the server", type);
    }
}

void SyncServer::handleTransactionBytes(Session& s, std::string bytes)
{
    std::string error;
    TransactionLimits limits;
    std::optional<Transaction> t = Transaction::decode(std::move(bytes), &error, limits);
    if (!t) {
        malformedTransaction(s, DecodeError {ErrorCode::Malformed, error}, std::uint8_t(MessageType::TransactionChunk));
        return;
    }
    advance(s.inbound, *t);
    acceptTransaction(s, std::move(*t));
}

void SyncServer::malformedTransaction(Session& s, const DecodeError& e, std::uint8_t type)
{
    // The link's NODE_MOVE stream state is unknown after this: the client must resume
    // and re-send from its journal (docs/protocol.md, "After the handshake").
    sendError(s, int(e.code), e.message, type, true);
    drop(s, ClosePolicy, QStringLiteral("malformed transaction"));
}

void SyncServer::acceptTransaction(Session& s, Transaction t)
{
    const auto arrived = std::chrono::steady_clock::now();
    Room& room = *s.room;
    const TransactionHeader& h = t.header();
    const OpId id {h.replica, h.firstCounter};
    auto refuse = [&](ErrorCode code, const std::string& why) {
        ++m_metrics.errorsSent;
        std::string msg;
        Error e(code, why, std::uint8_t(MessageType::SyncUpdate));
        e.transaction = id;
        appendMessage(msg, e, Direction::ToClient);
        queue(s, msg);
    };
    if (s.overRate)
        return refuse(ErrorCode::RateLimited, "more than " + std::to_string(m_options.messagesPerSecond)
                          + " messages a second: this edit was refused; send it again later");
    if (s.role == Role::Viewer)
        return refuse(ErrorCode::RoleRefused, "viewers cannot edit this room");
    if (h.author != s.hello.user)
        return refuse(ErrorCode::Malformed, "the transaction's author is not this connection's user");
    if (const UserId owner = room.doc->userOf(h.replica); h.replica != s.hello.replica && owner != 0 && owner != s.hello.user)
        return refuse(ErrorCode::Malformed, "the transaction's replica belongs to another user");
    if (HlcClock::isTooFarAhead(h.hlc, nowMs()))
        return refuse(ErrorCode::TimestampTooFarAhead,
                      "the transaction's timestamp is more than 60 s ahead of the server's clock: check this "
                      "computer's clock");

    const ApplyResult applied = room.doc->apply(t);
    // A re-send of a transaction whose commit failed (a full disk, say) is in the room's
    // document but not on disk: it is stored (and numbered, and relayed) again, not taken
    // for a duplicate, which would acknowledge what was never stored.
    const bool storeAgain = !applied.applied && room.unstored.erase(id) > 0;
    if (!applied.applied && !storeAgain) {
        // A re-sent duplicate: acknowledge once everything assigned so far is committed.
        room.pendingAcks.push_back({room.lastAssigned, &s, h.replica, h.firstCounter, h.lastCounter(), arrived});
        if (room.lastAssigned <= room.committed)
            commitDone(room, room.committed, {}, 0, 0);
        return;
    }
    ++m_metrics.transactions;
    m_metrics.operations += h.opCount;
    const RoomSequence seq = ++room.lastAssigned;
    room.pendingAcks.push_back({seq, &s, h.replica, h.firstCounter, h.lastCounter(), arrived});
    prepareSnapshotWhenQuiet(room);

    // Relay at once, encoded once for all receivers: as NODE_MOVE where the room's stream
    // state allows, else as SYNC_UPDATE (or chunks when large).
    std::vector<std::string> messages;
    if (std::optional<NodeMove> move = compressNodeMove(t, room.streams, s.peer, seq)) {
        messages.push_back(encodeMessage(*move, Direction::ToClient));
    } else {
        SyncUpdate relay;
        relay.origin = s.peer;
        relay.seq = seq;
        relay.transaction = t;
        messages = encodeTransaction(relay, Direction::ToClient, m_options.maxMessageBytes);
    }
    room.streams.update(s.peer, seq, t);
    for (auto& [peer, other] : room.peers) {
        if (other == &s)
            continue;
        for (const std::string& m : messages)
            queue(*other, m);
        other->arrivals.push_back(arrived);
    }

    // To the storage thread; the acknowledgement waits for the commit.
    const QString name = room.name;
    StorageWorker* const storage = storageFor(name);
    QMetaObject::invokeMethod(storage, [this, w = storage, name, seq, t = std::move(t)] {
        RoomStore* store = w->store(name);
        QString error;
        if (!store)
            return;
        const std::optional<AppendResult> r = store->append(t, &error);
        if (!r || r->duplicate || r->seq != seq)
            logError(QStringLiteral("room=%1: the log numbered transaction %2 as %3 (%4)")
                         .arg(name)
                         .arg(seq)
                         .arg(r ? r->seq : 0)
                         .arg(error));
        // Group commit: commit once the queue of posted work is drained, so a busy room
        // pays one fsync for many operations.
        QMetaObject::invokeMethod(w, [this, w, name] {
            RoomStore* st = w->store(name);
            if (!st || st->pendingCount() == 0)
                return;
            const RoomSequence firstPending = st->committedSeq() + 1;
            const RoomSequence lastPending = st->lastAssignedSeq();
            QString err;
            const std::optional<RoomSequence> committed = st->commit(&err);
            const RoomSequence c = committed ? *committed : st->committedSeq();
            QMetaObject::invokeMethod(this, [this, name, c, e = err.toStdString(), ok = committed.has_value(),
                                             firstPending, lastPending] {
                if (Room* target = roomOf(name))
                    commitDone(*target, c, ok ? std::string() : e, ok ? 0 : firstPending, ok ? 0 : lastPending);
            }, Qt::QueuedConnection);
        }, Qt::QueuedConnection);
    }, Qt::QueuedConnection);
}

void SyncServer::commitDone(Room& room, std::uint64_t committed, const std::string& error, std::uint64_t firstFailed,
                            std::uint64_t lastFailed)
{
    const bool advanced = committed > room.committed;
    room.committed = std::max(room.committed, committed);
    while (!room.pendingAcks.empty()) {
        const Room::PendingAck& a = room.pendingAcks.front();
        const bool failed = !error.empty() && a.seq >= firstFailed && a.seq <= lastFailed;
        if (!failed && a.seq > room.committed)
            break;
        if (failed)
            room.unstored.insert(OpId {a.replica, a.firstCounter});
        if (a.session && a.session->state == Session::State::Joined) {
            std::string msg;
            if (failed) {
                Error e(ErrorCode::StorageFull, "the server could not store this edit: " + error,
                        std::uint8_t(MessageType::SyncUpdate));
                e.transaction = OpId {a.replica, a.firstCounter};
                appendMessage(msg, e, Direction::ToClient);
            } else {
                appendMessage(msg, Ack {a.replica, a.counter, a.seq}, Direction::ToClient);
                m_metrics.commit.observe(secondsSince(a.arrived));
            }
            queue(*a.session, msg);
        }
        room.pendingAcks.pop_front();
    }
    if (!error.empty())
        logError(QStringLiteral("room=%1: commit failed: %2").arg(room.name, QString::fromStdString(error)));
    if (advanced) {
        std::string msg;
        appendMessage(msg, Committed {room.committed}, Direction::ToClient);
        for (auto& [peer, s] : room.peers)
            queue(*s, msg);
    }
    // Compaction: a snapshot every so many transactions, and the log before it dropped.
    if (room.committed >= room.snapshotSeq + m_options.snapshotEvery && room.committed == room.lastAssigned) {
        room.snapshotSeq = room.committed;
        room.compactedThrough = room.committed;
        const RoomSequence seq = room.committed;
        storeSnapshot(room, [name = room.name, seq](StorageWorker& w, const CompressedSnapshot& snapshot) {
            if (RoomStore* st = w.store(name)) {
                QString err;
                if (!st->saveSnapshot(seq, snapshot, &err) || !st->compactThrough(seq, &err))
                    logError(QStringLiteral("room=%1: compaction failed: %2").arg(name, err));
            }
        });
    }
    scheduleFlush();
}

void SyncServer::relayPresence(Session& s, std::uint8_t type, std::string_view body)
{
    DecodeError e;
    const std::optional<Message> decoded = decodeMessage(type, body, Direction::ToServer, &e);
    if (!decoded) {
        sendError(s, int(e.code), e.message, type);
        return;
    }
    if (const auto* status = std::get_if<PresenceStatus>(&*decoded))
        s.lastStatus = *status;
    // Only the latest presence matters: past the rate cap an update is dropped. A token
    // bucket (a burst of 4) so that two updates the server happens to process back to
    // back, after a stall, are both relayed.
    const std::uint64_t now = nowMs();
    Session::PresenceBucket& bucket = s.presenceBuckets[type];
    if (bucket.lastMs != 0)
        bucket.tokens = std::min(4.0, bucket.tokens + double(now - bucket.lastMs) * m_options.presenceHz / 1000.0);
    bucket.lastMs = now;
    if (type != std::uint8_t(MessageType::PresenceStatus)) {
        if (bucket.tokens < 1) {
            ++m_metrics.presenceDropped;
            return;
        }
        bucket.tokens -= 1;
    }
    const auto arrived = std::chrono::steady_clock::now();
    std::string relay;
    appendRelayed(relay, MessageType(type), s.peer, body);
    if (type != std::uint8_t(MessageType::PositionsBatch))
        s.room->presence[s.peer][type] = relay;
    for (auto& [peer, other] : s.room->peers) {
        if (other == &s)
            continue;
        queue(*other, relay, true);
        other->arrivals.push_back(arrived);
    }
}

void SyncServer::announceStatus(Session& s, PresenceStatus status)
{
    // On the user's behalf: relayed as if they had sent it, and kept for newcomers.
    status.origin = s.peer;
    std::string relay;
    appendMessage(relay, status, Direction::ToClient);
    s.room->presence[s.peer][std::uint8_t(MessageType::PresenceStatus)] = relay;
    const auto now = std::chrono::steady_clock::now();
    for (auto& [peer, other] : s.room->peers) {
        if (other == &s)
            continue;
        queue(*other, relay, true);
        other->arrivals.push_back(now);
    }
}

void SyncServer::prepareSnapshotWhenQuiet(Room& room)
{
    // A large room's snapshot takes a while to compress: made ahead, once the room has been
    // quiet for a moment, the next joiner finds it ready (docs/benchmarks.md, "Joining").
    if (room.doc->entityCount() < PrepareSnapshotFromEntities)
        return;
    if (!room.quiet) {
        room.quiet = new QTimer(this);
        room.quiet->setSingleShot(true);
        room.quiet->setInterval(PrepareSnapshotAfterQuietMs);
        connect(room.quiet, &QTimer::timeout, this, [this, name = room.name] {
            Room* r = roomOf(name);
            if (r && r->snapshotCacheSeq != r->lastAssigned)
                startSnapshot(*r, false);
        });
    }
    room.quiet->start();
}

SyncServer::Room* SyncServer::roomOf(const QString& name)
{
    auto it = m_rooms.find(name);
    return it == m_rooms.end() ? nullptr : it->second.get();
}

SyncServer::Session* SyncServer::sessionOf(QWebSocket* socket, std::uint64_t serial)
{
    auto it = m_sessions.find(socket);
    return it != m_sessions.end() && it->second->serial == serial ? it->second.get() : nullptr;
}

// ---- joining ------------------------------------------------------------------------------

void SyncServer::handleHello(Session& s, std::string_view body)
{
    Limits limits;
    limits.maxMessageBytes = m_options.maxMessageBytes;
    HelloOutcome outcome = acceptHello(body, SupportedVersions, limits);
    if (!outcome.hello) {
        sendError(s, outcome.error.code, outcome.error.message, std::uint8_t(MessageType::Hello), true);
        drop(s, ClosePolicy, QStringLiteral("bad hello"));
        return;
    }
    s.hello = std::move(*outcome.hello);
    s.version = outcome.version;
    s.inbound.replica = s.hello.replica;
    s.inbound.user = s.hello.user;
    s.who = QStringLiteral("%1 (user %2, replica %3)")
                .arg(QString::fromStdString(s.hello.name), hexUser(s.hello.user))
                .arg(s.hello.replica, 8, 16, QLatin1Char('0'));
    if (QString::fromStdString(s.hello.room) != s.roomName) {
        sendError(s, int(ErrorCode::BadRoomName), "HELLO names another room than the URL", std::uint8_t(MessageType::Hello),
                  true);
        drop(s, ClosePolicy, QStringLiteral("room mismatch"));
        return;
    }
    if (s.hello.user == 0 || s.hello.replica == 0 || s.hello.replica == ServerReplica) {
        sendError(s, int(ErrorCode::Malformed), "HELLO needs a user id and a replica id", std::uint8_t(MessageType::Hello),
                  true);
        drop(s, ClosePolicy, QStringLiteral("bad hello"));
        return;
    }
    s.state = Session::State::Loading;
    openRoom(s.roomName, s.hello.createRoom, s);
}

void SyncServer::openRoom(const QString& name, bool create, Session& s)
{
    if (Room* room = roomOf(name)) {
        if (create) {
            sendError(s, int(ErrorCode::RoomExists), "room '" + name.toStdString() + "' exists already: join it instead",
                      std::uint8_t(MessageType::Hello), true);
            drop(s, ClosePolicy, QStringLiteral("room exists"));
            return;
        }
        s.room = room;
        if (room->loading)
            room->waiting.push_back(&s);
        else
            finishJoin(s, *room, false, {});
        return;
    }
    auto fresh = std::make_unique<Room>();
    fresh->name = name;
    fresh->doc = std::make_unique<GraphDocument>(ServerReplica, 0);
    Room* r = fresh.get();
    m_rooms.emplace(name, std::move(fresh));
    ++m_metrics.rooms;
    s.room = r;
    r->waiting.push_back(&s);
    const UserId owner = s.hello.user;
    const QString ownerName = QString::fromStdString(s.hello.name);
    QMetaObject::invokeMethod(storageFor(name), [this, w = storageFor(name), name, create, owner, ownerName] {
        QString error;
        std::unique_ptr<RoomStore> store = create ? RoomStore::create(w->m_dataDir, name, owner, &error)
                                                  : RoomStore::open(w->m_dataDir, name, &error);
        auto doc = std::make_shared<std::unique_ptr<GraphDocument>>(std::make_unique<GraphDocument>(ServerReplica, 0));
        QString token;
        std::optional<RoomSequence> committed;
        std::uint64_t epoch = 0;
        std::optional<scram::Verifier> key;
        std::vector<RoomMember> members;
        RoomSequence lastAssigned = 0, snapshotSeq = 0;
        if (store) {
            if (create) {
                store->setMember(owner, RoomRole::Owner, ownerName, &error);
                if (auto t = store->createOwnerToken(owner, &error))
                    token = *t;
            }
            committed = store->loadDocument(**doc, &error);
            epoch = store->epoch();
            key = store->accessKeyVerifier();
            members = store->members();
            lastAssigned = store->lastAssignedSeq();
            snapshotSeq = store->compactedThrough();
            if (committed)
                w->m_stores[name] = std::move(store);
        }
        const bool exists = store == nullptr && committed.has_value(); // moved into the map
        const bool missing = !create && !RoomStore::roomExists(w->m_dataDir, name);
        QMetaObject::invokeMethod(this, [=, this] {
            Room* room = roomOf(name);
            if (!room)
                return;
            std::vector<Session*> waiting = std::move(room->waiting);
            if (!exists) {
                const ErrorCode code = missing ? ErrorCode::RoomNotFound
                    : (create && error.contains(QLatin1String("exists"))) ? ErrorCode::RoomExists
                                                                            : ErrorCode::Internal;
                const std::string why = missing ? "room '" + name.toStdString()
                        + "' does not exist (ask its owner for the name, or create it)"
                                                : error.toStdString();
                for (Session* s2 : waiting) {
                    s2->room = nullptr;
                    sendError(*s2, int(code), why, std::uint8_t(MessageType::Hello), true);
                    drop(*s2, ClosePolicy, QStringLiteral("cannot open room"));
                }
                m_rooms.erase(name);
                --m_metrics.rooms;
                return;
            }
            room->doc = std::move(*doc);
            room->epoch = epoch;
            room->committed = *committed;
            room->lastAssigned = std::max(lastAssigned, *committed);
            room->snapshotSeq = std::max(snapshotSeq, *committed >= m_options.snapshotEvery ? *committed : 0);
            room->compactedThrough = snapshotSeq;
            room->accessKey = key;
            for (const RoomMember& m : members)
                room->members[m.user] = m;
            room->loading = false;
            logInfo(QStringLiteral("room %1 %2 (epoch %3, %4 transactions)")
                        .arg(name, create ? QStringLiteral("created") : QStringLiteral("loaded"))
                        .arg(epoch, 16, 16, QLatin1Char('0'))
                        .arg(*committed));
            for (std::size_t i = 0; i < waiting.size(); ++i)
                finishJoin(*waiting[i], *room, create && i == 0, create && i == 0 ? token : QString());
            scheduleFlush();
        }, Qt::QueuedConnection);
    }, Qt::QueuedConnection);
}

void SyncServer::finishJoin(Session& s, Room& room, bool created, const QString& ownerToken)
{
    if (s.state == Session::State::Closing)
        return;
    const Hello& h = s.hello;
    // Roles: what the room's database says (owner only with the owner token), else editor.
    Role granted = Role::Editor;
    if (auto it = room.members.find(h.user); it != room.members.end())
        granted = Role(it->second.role);
    bool tokenOk = created;
    if (!h.ownerToken.empty() && s.state != Session::State::AwaitingProof) {
        if (!s.ownerTokenOk) {
            // The store owns the token table: asked on the storage thread, and the join
            // goes on when the answer is back (the relay thread never waits for storage).
            QMetaObject::invokeMethod(storageFor(room.name), [this, w = storageFor(room.name), socket = s.socket, serial = s.serial,
                                                  name = room.name, token = QString::fromStdString(h.ownerToken),
                                                  user = h.user] {
                bool ok = false;
                if (RoomStore* st = w->store(name))
                    ok = st->checkOwnerToken(token) == std::optional<UserId>(user);
                QMetaObject::invokeMethod(this, [this, socket, serial, name, ok] {
                    Session* asker = sessionOf(socket, serial);
                    Room* r = roomOf(name);
                    if (!asker || !r || asker->state != Session::State::Loading)
                        return;
                    asker->ownerTokenOk = ok;
                    finishJoin(*asker, *r, false, {});
                }, Qt::QueuedConnection);
            }, Qt::QueuedConnection);
            return;
        }
        tokenOk = *s.ownerTokenOk;
    }
    if (granted == Role::Owner && !tokenOk)
        granted = Role::Editor;
    if (int(h.role) > int(granted)) {
        sendError(s, int(ErrorCode::RoleRefused),
                  std::string("you may join this room as ") + (granted == Role::Editor ? "an editor" : "a viewer")
                      + ", not as " + (h.role == Role::Owner ? "its owner (that needs the owner token)" : "an editor"),
                  std::uint8_t(MessageType::Hello), true);
        drop(s, ClosePolicy, QStringLiteral("role refused"));
        return;
    }
    for (auto& [peer, other] : room.peers) {
        if (other->hello.replica == h.replica) {
            sendError(s, int(ErrorCode::ReplicaTaken), "another connection in this room uses the same replica id",
                      std::uint8_t(MessageType::Hello), true);
            drop(s, ClosePolicy, QStringLiteral("replica taken"));
            return;
        }
    }
    // The access key: owners with their token skip it.
    if (room.accessKey && !tokenOk && s.state != Session::State::AwaitingProof && s.serverNonce.empty()) {
        if (!h.canAnswerChallenge) {
            sendError(s, int(ErrorCode::AccessDenied), "this room needs an access key", std::uint8_t(MessageType::Hello),
                      true);
            drop(s, ClosePolicy, QStringLiteral("access key needed"));
            return;
        }
        QByteArray nonce(24, Qt::Uninitialized);
        QRandomGenerator::system()->fillRange(reinterpret_cast<quint32*>(nonce.data()), nonce.size() / 4);
        s.serverNonce = nonce.toStdString();
        Challenge c;
        c.salt = room.accessKey->salt.toStdString();
        c.iterations = std::uint32_t(room.accessKey->iterations);
        c.serverNonce = s.serverNonce;
        std::string msg;
        appendMessage(msg, c, Direction::ToClient);
        queue(s, msg);
        s.state = Session::State::AwaitingProof;
        return;
    }
    const std::string serverSignature = s.state == Session::State::AwaitingProof ? s.serverNonce : std::string();
    s.role = created ? Role::Owner : h.role; // who creates a room owns it
    PeerIndex peer = 1;
    while (room.peers.count(peer))
        ++peer;
    if (peer > MaxPeerIndex) {
        sendError(s, int(ErrorCode::RoomFull), "the room is full", std::uint8_t(MessageType::Hello), true);
        drop(s, ClosePolicy, QStringLiteral("room full"));
        return;
    }
    s.peer = peer;
    room.peers[peer] = &s;
    room.streams.addPeer(peer, h.replica, h.user);
    s.state = Session::State::Joined;
    if (!room.members.count(h.user) || room.members[h.user].displayName != QString::fromStdString(h.name)) {
        RoomMember m {h.user, RoomRole(int(granted)), QString::fromStdString(h.name)};
        room.members[h.user] = m;
        QMetaObject::invokeMethod(storageFor(room.name), [w = storageFor(room.name), name = room.name, m] {
            if (RoomStore* st = w->store(name)) {
                QString err;
                st->setMember(m.user, m.role, m.displayName, &err);
            }
        }, Qt::QueuedConnection);
    }

    Welcome w;
    w.version = s.version;
    w.epoch = room.epoch;
    w.role = s.role;
    w.peer = peer;
    w.committed = room.committed;
    w.serverTimeMs = nowMs();
    w.ownerToken = ownerToken.toStdString();
    w.serverSignature = serverSignature;
    w.streams = room.streams.entries();
    // What follows: nothing, the deltas after what the client holds, or a snapshot.
    const bool sameEpoch = h.resume && h.resume->epoch == room.epoch;
    if (sameEpoch && h.resume->committed >= room.lastAssigned) {
        w.sync = SyncMode::UpToDate;
    } else if (sameEpoch && h.resume->committed >= room.compactedThrough) {
        // The log after the client's number is read on the storage thread. Meanwhile the
        // joiner's output is held (relays after this state collect behind it), and the
        // WELCOME, built now, goes in front with the deltas when they are back.
        s.holding = true;
        s.holdAt = s.out.size();
        const RoomSequence through = room.lastAssigned;
        QMetaObject::invokeMethod(storageFor(room.name), [this, worker = storageFor(room.name), socket = s.socket, serial = s.serial,
                                              name = room.name, after = h.resume->committed, through, welcome = w] {
            QString err;
            std::optional<LogRead> read;
            if (RoomStore* st = worker->store(name))
                read = st->opsAfter(after, 0, &err, MaxDeltaBytes);
            QMetaObject::invokeMethod(this, [this, socket, serial, name, through, welcome, read = std::move(read)]() mutable {
                deltasReady(socket, serial, name, through, std::move(welcome), std::move(read));
            }, Qt::QueuedConnection);
        }, Qt::QueuedConnection);
        announceJoin(s, room, created);
        return;
    } else if (sameEpoch) {
        w.sync = SyncMode::Snapshot; // the log was compacted past the client's number
    } else if (h.resume && h.hasDocument) {
        w.sync = SyncMode::VersionVectors;
    } else {
        // A room created from a snapshot (a host handover) holds operations before its first
        // sequence number: those come in the snapshot too.
        const bool empty = room.lastAssigned == 0 && room.doc->versionVector().replicaCount() == 0;
        w.sync = empty ? SyncMode::UpToDate : SyncMode::Snapshot;
    }
    std::string msg;
    appendMessage(msg, w, Direction::ToClient);
    queue(s, msg);
    if (w.sync == SyncMode::Snapshot || w.sync == SyncMode::VersionVectors) {
        s.holdAt = s.out.size();
        sendSnapshot(s, room);
    }
    announceJoin(s, room, created);
}

void SyncServer::deltasReady(QWebSocket* socket, std::uint64_t serial, const QString& roomName, std::uint64_t through,
                             protocol::Welcome welcome, std::optional<LogRead> read)
{
    // The joiner may have left meanwhile, and another connection taken its socket's
    // address: these deltas and this WELCOME (its peer index, its stream state) are for
    // the joiner only.
    Session* joiner = sessionOf(socket, serial);
    Room* room = roomOf(roomName);
    if (!joiner || !room || !joiner->holding)
        return;
    Session& s = *joiner;
    // Complete means every transaction up to the state the joiner joined at: the read ran
    // after every append posted before it and before any posted after it.
    const bool complete = read && !read->compacted
        && (read->transactions.empty() ? false : read->transactions.back().seq >= through);
    std::string front;
    std::size_t messages = 1;
    if (complete) {
        welcome.sync = SyncMode::Deltas;
        appendMessage(front, welcome, Direction::ToClient);
        for (const LoggedTransaction& lt : read->transactions) {
            if (lt.seq > through)
                break;
            std::string error;
            std::optional<Transaction> t = Transaction::decode(lt.bytes, &error);
            if (!t)
                continue;
            SyncUpdate u;
            u.seq = lt.seq;
            u.transaction = std::move(*t);
            for (const std::string& m : encodeTransaction(u, Direction::ToClient, m_options.maxMessageBytes)) {
                front += m;
                ++messages;
            }
        }
        insertHeld(s, front, messages);
        s.holding = false;
        markDirty(s);
        scheduleFlush();
        return;
    }
    // The log could not be read whole (an error, or more than MaxDeltaBytes): a snapshot
    // of the room as it is now instead. It also holds what was relayed to the joiner
    // meanwhile; getting those again is harmless (merging is idempotent).
    if (!read || !read->compacted)
        logWarning(QStringLiteral("room=%1 %2: log after %3 not read whole; sending a snapshot")
                       .arg(roomName, s.who)
                       .arg(welcome.committed));
    welcome.sync = SyncMode::Snapshot;
    appendMessage(front, welcome, Direction::ToClient);
    insertHeld(s, front, 1);
    s.holding = false;
    sendSnapshot(s, *room); // right behind the WELCOME (holdAt); it may hold the output again
    if (!s.holding)
        markDirty(s);
    scheduleFlush();
}

void SyncServer::insertHeld(Session& s, const std::string& bytes, std::size_t messages)
{
    s.out.insert(s.holdAt, bytes);
    s.holdAt += bytes.size();
    s.outMessages += messages;
}

void SyncServer::markDirty(Session& s)
{
    if (!s.dirty) {
        s.dirty = true;
        m_dirty.push_back(s.socket);
    }
}

void SyncServer::announceJoin(Session& s, Room& room, bool created)
{
    const Hello& h = s.hello;
    const PeerIndex peer = s.peer;
    // Who is here, and what they show; then tell them about the newcomer.
    for (auto& [otherPeer, other] : room.peers) {
        if (other == &s)
            continue;
        const Hello& oh = other->hello;
        std::string joined;
        appendMessage(joined, UserJoined {otherPeer, oh.user, oh.replica, oh.name, oh.color, other->role, oh.inVr},
                      Direction::ToClient);
        queue(s, joined);
        for (const auto& [type, relay] : room.presence[otherPeer])
            queue(s, relay);
        std::string me;
        appendMessage(me, UserJoined {peer, h.user, h.replica, h.name, h.color, s.role, h.inVr}, Direction::ToClient);
        queue(*other, me);
    }
    logInfo(QStringLiteral("join room=%1 %2 peer=%3 role=%4%5")
                .arg(room.name, s.who)
                .arg(peer)
                .arg(QLatin1String(roleName(RoomRole(int(s.role)))))
                .arg(created ? QStringLiteral(" (created the room)") : QString()));
    emitRoomChanged(room);
    scheduleFlush();
}

void SyncServer::sendSnapshot(Session& s, Room& room)
{
    // Compressing a large room's snapshot takes a while (0.5 s on one core for 100k nodes): it
    // is done once per room state (joins in a row share it), on every core, and off the relay
    // thread, so that the room's traffic, and every other room's, keeps flowing meanwhile.
    // The joiner's output is held until the snapshot is ready; the snapshot then goes in
    // right after its WELCOME, ahead of the relays that arrived meanwhile (they follow what
    // the snapshot holds). It goes in at s.holdAt, which the caller sets right behind the WELCOME.
    if (!room.snapshotCache.empty() && room.snapshotCacheSeq == room.lastAssigned) {
        std::string bytes;
        std::size_t count = 0;
        for (const std::string& m :
             encodeSnapshot(room.snapshotCache, 0, room.snapshotCacheSeq, Compression::Zlib, m_options.maxMessageBytes)) {
            bytes += m;
            ++count;
        }
        insertHeld(s, bytes, count);
        return;
    }
    s.holding = true;
    room.snapshotWaiting.push_back({s.socket, s.serial, room.lastAssigned});
    startSnapshot(room, true);
}

void SyncServer::startSnapshot(Room& room, bool joinerWaits)
{
    if (room.snapshotInFlight && room.snapshotInFlightSeq == room.lastAssigned)
        return;
    room.snapshotInFlight = true;
    room.snapshotInFlightSeq = room.lastAssigned;
    // Someone waits for it: every core, in pieces (the pool's thread waits for its helpers;
    // the relay thread keeps running beside them). Made ahead, nobody waits: one thread, and
    // a core stays with the relay. A joiner that comes while a snapshot of its state is being
    // made ahead waits for that one-thread compression.
    compressSnapshotOffThread(room, joinerWaits ? QThread::idealThreadCount() : 1, {});
}

void SyncServer::compressSnapshotOffThread(Room& room, int threads,
                                           std::function<void(const std::shared_ptr<const CompressedSnapshot>&)> alsoOnPool)
{
    ++m_metrics.snapshotsCompressed;
    // Encoding reads the document, so it happens here; compression is pure bytes.
    auto encoded = std::make_shared<std::string>(room.doc->encodeSnapshot());
    m_compressors.start([this, encoded, threads, seq = room.lastAssigned, name = room.name,
                         alsoOnPool = std::move(alsoOnPool)] {
        auto snapshot = std::make_shared<const CompressedSnapshot>(CompressedSnapshot {compressSnapshot(*encoded, threads)});
        if (alsoOnPool)
            alsoOnPool(snapshot);
        QMetaObject::invokeMethod(this, [this, snapshot, seq, name] { snapshotReady(name, seq, snapshot->data); },
                                  Qt::QueuedConnection);
    });
}

StorageWorker* SyncServer::storageFor(const QString& room) const
{
    return m_storageWorkers[qHash(room) % m_storageWorkers.size()];
}

void SyncServer::storeSnapshot(Room& room, std::function<void(StorageWorker&, const CompressedSnapshot&)> store)
{
    StorageWorker* w = storageFor(room.name);
    if (!room.snapshotCache.empty() && room.snapshotCacheSeq == room.lastAssigned) {
        QMetaObject::invokeMethod(w, [w, store = std::move(store), snapshot = CompressedSnapshot {room.snapshotCache}] {
            store(*w, snapshot);
        }, Qt::QueuedConnection);
        return;
    }
    // Posted to the storage thread from the pool's: the destructor waits for the pool before
    // the storage threads' last commits, so what was asked for is stored before a shutdown.
    compressSnapshotOffThread(room, 1, [w, store = std::move(store)](const std::shared_ptr<const CompressedSnapshot>& snapshot) {
        QMetaObject::invokeMethod(w, [w, store, snapshot] { store(*w, *snapshot); }, Qt::QueuedConnection);
    });
}

void SyncServer::snapshotReady(const QString& roomName, RoomSequence seq, const std::string& compressed)
{
    Room* room = roomOf(roomName);
    if (!room)
        return;
    if (seq >= room->snapshotCacheSeq) {
        room->snapshotCache = compressed;
        room->snapshotCacheSeq = seq;
    }
    if (room->snapshotInFlightSeq == seq)
        room->snapshotInFlight = false;
    // It serves the joiners that joined at this state: what they hold back is exactly what
    // followed it. Those that joined later wait for the compression their join started.
    std::vector<Room::SnapshotWaiter> served;
    std::erase_if(room->snapshotWaiting, [&](const Room::SnapshotWaiter& w) {
        if (w.seq != seq)
            return false;
        served.push_back(w);
        return true;
    });
    std::vector<std::string> messages;
    if (!served.empty())
        messages = encodeSnapshot(compressed, 0, seq, Compression::Zlib, m_options.maxMessageBytes);
    for (const Room::SnapshotWaiter& w : served) {
        Session* joiner = sessionOf(w.socket, w.serial);
        if (!joiner || !joiner->holding)
            continue;
        Session& js = *joiner;
        std::string inserted;
        for (const std::string& m : messages)
            inserted += m;
        insertHeld(js, inserted, messages.size());
        js.holding = false;
        markDirty(js);
    }
    scheduleFlush();
}

// ---- administration ---------------------------------------------------------------------

void SyncServer::handleAdmin(Session& s, std::uint8_t type, std::string_view body)
{
    DecodeError e;
    std::optional<Message> m = decodeMessage(type, body, Direction::ToServer, &e);
    if (!m) {
        sendError(s, int(e.code), e.message, type);
        return;
    }
    Room& room = *s.room;
    const QString name = room.name;
    auto needs = [&](Role r, const char* what) {
        if (int(s.role) >= int(r))
            return true;
        sendError(s, int(ErrorCode::RoleRefused), std::string("only ") + what, type);
        return false;
    };
    if (auto* v = std::get_if<VersionVectorExchange>(&*m)) {
        // Another epoch: the client merges our snapshot (sent after WELCOME) and sends
        // what it holds that we lack; answer with ours so it can tell what that is.
        (void)v;
        std::string msg;
        appendMessage(msg, VersionVectorExchange {room.doc->versionVector()}, Direction::ToClient);
        queue(s, msg);
        return;
    }
    if (auto* r = std::get_if<SetRole>(&*m)) {
        if (!needs(Role::Owner, "the room's owner can change roles"))
            return;
        room.members[r->user].user = r->user;
        room.members[r->user].role = RoomRole(int(r->role));
        for (auto& [peer, other] : room.peers) {
            if (other->hello.user == r->user)
                other->role = r->role;
            std::string msg;
            appendMessage(msg, *r, Direction::ToClient);
            queue(*other, msg);
        }
        QMetaObject::invokeMethod(storageFor(name), [w = storageFor(name), name, user = r->user, role = RoomRole(int(r->role))] {
            if (RoomStore* st = w->store(name)) {
                QString err;
                st->setRole(user, role, &err);
            }
        }, Qt::QueuedConnection);
        logInfo(QStringLiteral("role room=%1 user %2 is now %3 (by %4)")
                    .arg(name, hexUser(r->user), QLatin1String(roleName(RoomRole(int(r->role)))), s.who));
        return;
    }
    if (auto* r = std::get_if<RemoveUser>(&*m)) {
        if (!needs(Role::Owner, "the room's owner can remove users"))
            return;
        room.members.erase(r->user);
        QMetaObject::invokeMethod(storageFor(name), [w = storageFor(name), name, user = r->user] {
            if (RoomStore* st = w->store(name)) {
                QString err;
                st->removeMember(user, &err);
            }
        }, Qt::QueuedConnection);
        std::vector<Session*> removed;
        for (auto& [peer, other] : room.peers)
            if (other->hello.user == r->user)
                removed.push_back(other);
        for (Session* other : removed) {
            sendError(*other, int(ErrorCode::Removed), "the room's owner removed you from the room", 0, true);
            leave(*other, int(LeaveReason::Removed));
            drop(*other, ClosePolicy, QStringLiteral("removed"));
        }
        return;
    }
    if (auto* k = std::get_if<SetAccessKey>(&*m)) {
        if (!needs(Role::Owner, "the room's owner can set the access key"))
            return;
        std::optional<scram::Verifier> v;
        if (!k->remove)
            v = scram::Verifier {QByteArray::fromStdString(k->salt), int(k->iterations),
                                 QByteArray::fromStdString(k->storedKey), QByteArray::fromStdString(k->serverKey)};
        room.accessKey = v;
        QMetaObject::invokeMethod(storageFor(name), [w = storageFor(name), name, v] {
            if (RoomStore* st = w->store(name)) {
                QString err;
                if (v)
                    st->setAccessKeyVerifier(*v, &err);
                else
                    st->clearAccessKey(&err);
            }
        }, Qt::QueuedConnection);
        logInfo(QStringLiteral("access key room=%1 %2 by %3").arg(name, v ? QStringLiteral("set") : QStringLiteral("removed"), s.who));
        emitRoomChanged(room);
        return;
    }
    if (auto* sv = std::get_if<SaveVersion>(&*m)) {
        if (!needs(Role::Editor, "owners and editors can save versions"))
            return;
        const RoomSequence seq = room.lastAssigned;
        storeSnapshot(room, [this, name, seq, user = s.hello.user, vname = QString::fromStdString(sv->name),
                             socket = s.socket, serial = s.serial](StorageWorker& w, const CompressedSnapshot& snapshot) {
            QString err;
            std::optional<std::vector<RoomVersionInfo>> list;
            if (RoomStore* st = w.store(name)) {
                st->commit(&err);
                if (st->saveVersion(vname, user, seq, snapshot, &err))
                    list = st->listVersions(&err);
            }
            QMetaObject::invokeMethod(this, [this, socket, serial, list, err, name] {
                Session* saver = sessionOf(socket, serial);
                if (list) {
                    // The saver and everyone else in the room: their history panels refresh.
                    VersionList vl;
                    for (const RoomVersionInfo& i : *list)
                        vl.versions.push_back({VersionId(i.id), i.name.toStdString(), std::uint64_t(i.createdMs), i.author, i.seq});
                    std::string msg;
                    appendMessage(msg, vl, Direction::ToClient);
                    std::set<Session*> to;
                    if (Room* r = roomOf(name))
                        for (auto& [peer, other] : r->peers)
                            to.insert(other);
                    if (saver)
                        to.insert(saver);
                    for (Session* other : to)
                        queue(*other, msg);
                } else if (saver) {
                    sendError(*saver, int(ErrorCode::Internal), "could not save the version: " + err.toStdString(),
                              std::uint8_t(MessageType::SaveVersion));
                }
            }, Qt::QueuedConnection);
        });
        return;
    }
    if (std::get_if<ListVersions>(&*m) || std::get_if<FetchVersion>(&*m)) {
        const auto* fetch = std::get_if<FetchVersion>(&*m);
        const VersionId id = fetch ? fetch->version : 0;
        QMetaObject::invokeMethod(storageFor(name), [this, w = storageFor(name), name, id, fetching = fetch != nullptr,
                                               socket = s.socket, serial = s.serial, maxBytes = m_options.maxMessageBytes] {
            QString err;
            std::vector<std::string> messages;
            RoomStore* st = w->store(name);
            if (st && fetching) {
                // Stored the way the wire carries it: sent as it is, with no work on this thread.
                if (std::optional<StoredVersion> v = st->storedVersion(qint64(id), &err))
                    messages = encodeSnapshot(v->snapshot.data, id, v->seq, Compression::Zlib, maxBytes);
            } else if (st) {
                if (auto l = st->listVersions(&err)) {
                    VersionList vl;
                    for (const RoomVersionInfo& i : *l)
                        vl.versions.push_back({VersionId(i.id), i.name.toStdString(), std::uint64_t(i.createdMs), i.author, i.seq});
                    messages.push_back(encodeMessage(vl, Direction::ToClient));
                }
            }
            QMetaObject::invokeMethod(this, [this, socket, serial, messages, err, fetching] {
                Session* asker = sessionOf(socket, serial);
                if (!asker)
                    return;
                if (messages.empty())
                    sendError(*asker, int(fetching ? ErrorCode::VersionNotFound : ErrorCode::Internal),
                              err.toStdString(), std::uint8_t(fetching ? MessageType::FetchVersion : MessageType::ListVersions));
                for (const std::string& msg : messages)
                    queue(*asker, msg);
            }, Qt::QueuedConnection);
        }, Qt::QueuedConnection);
        return;
    }
}

// ---- housekeeping -------------------------------------------------------------------------

void SyncServer::tick()
{
    const std::uint64_t now = nowMs();
    std::vector<Session*> dead;
    for (auto& [socket, session] : m_sessions) {
        Session& s = *session;
        s.recentErrors = std::max(0, s.recentErrors - 5);
        const qint64 quiet = s.lastHeard.elapsed();
        if (s.state != Session::State::Joined && quiet > m_options.helloTimeoutMs)
            dead.push_back(&s);
        else if (quiet > m_options.peerTimeoutMs)
            dead.push_back(&s);
        else if (s.state == Session::State::Joined && backlog(s) > 4 * std::int64_t(m_options.sendQueueBytes)
                 && s.lastProgress.elapsed() > SlowReaderGraceMs)
            queue(s, {}, true); // applies the slow-reader rule even when nothing new is sent
        else if (s.state == Session::State::Joined && !s.idleAway && s.lastStatus.state != PresenceState::Away
                 && m_options.awayAfterMs > 0 && now - s.lastActiveMs > std::uint64_t(m_options.awayAfterMs)) {
            // Idle: away for the others until the next edit or presence update.
            s.idleAway = true;
            PresenceStatus away = s.lastStatus;
            away.state = PresenceState::Away;
            announceStatus(s, away);
        }
        if (s.state == Session::State::Joined && quiet > m_options.pingIntervalMs / 2 && quiet <= m_options.peerTimeoutMs) {
            std::string msg;
            appendMessage(msg, Ping {now}, Direction::ToClient);
            queue(s, msg);
        }
    }
    for (Session* s : dead) {
        logInfo(QStringLiteral("timeout room=%1 %2: nothing heard for %3 ms").arg(s->roomName, s->who).arg(s->lastHeard.elapsed()));
        leave(*s, int(LeaveReason::TimedOut));
        drop(*s, CloseGoingAway, QStringLiteral("timed out"));
    }
    scheduleFlush();
}

void SyncServer::shutdown(std::function<void()> done)
{
    m_shuttingDown = true;
    m_door->close();
    for (auto& [socket, session] : m_sessions) {
        std::string msg;
        appendMessage(msg, Error(ErrorCode::ShuttingDown, "the server is shutting down; reconnect later", 0, true),
                      Direction::ToClient);
        queue(*session, msg);
    }
    flush();
    // Commit what is pending on every storage thread, then, when the last is done, close
    // with a reason.
    auto remaining = std::make_shared<std::atomic<std::size_t>>(m_storageWorkers.size());
    for (StorageWorker* worker : m_storageWorkers) {
        QMetaObject::invokeMethod(worker, [this, w = worker, remaining, done] {
            for (auto& [name, store] : w->m_stores) {
                QString error;
                if (!store->commit(&error))
                    logError(QStringLiteral("room=%1: final commit failed: %2").arg(name, error));
            }
            if (remaining->fetch_sub(1) != 1)
                return;
            QMetaObject::invokeMethod(this, [this, done] {
                // Closing a socket whose peer is already gone emits disconnected at once, whose
                // handler erases its session: not while iterating over the sessions.
                std::vector<QWebSocket*> sockets;
                for (auto& [socket, session] : m_sessions) {
                    session->state = Session::State::Closing;
                    sockets.push_back(socket);
                }
                for (QWebSocket* socket : sockets)
                    if (m_sessions.count(socket))
                        socket->close(QWebSocketProtocol::CloseCode(CloseGoingAway), QStringLiteral("server shutting down"));
                QTimer::singleShot(200, this, [done] { done(); });
            }, Qt::QueuedConnection);
        }, Qt::QueuedConnection);
    }
}

} // namespace constellate::net
