#include "syncclient.h"

#include "nodemove.h"
#include "scram.h"

#include <QCoreApplication>
#include <QMetaMethod>
#include <QNetworkInformation>
#include <QPointer>
#include <QRandomGenerator>
#include <QSslConfiguration>
#include <QSslError>
#include <QThread>
#include <QTimer>
#include <QWebSocket>

#include <algorithm>
#include <chrono>

namespace constellate::net {

using namespace protocol;

namespace {

/// Small messages of one event-loop turn go out as one WebSocket message up to this size
/// (the server accepts WebSocket messages of up to about twice its message limit).
constexpr std::size_t FrameBytes = 256 * 1024;
/// A chunked upload keeps at most this many chunks in the socket's buffer: progress then
/// follows what the network takes, and memory stays bounded.
constexpr std::size_t ChunksInFlight = 4;
constexpr std::int64_t SelectionRenewMs = 20'000; // receivers drop a selection after 30 s
constexpr std::int64_t SelectionExpiryMs = 30'000;
constexpr std::int64_t DragKeepaliveMs = 1000;
constexpr int ResumeSaveEveryMs = 2000;
/// A room's own ghost (a connection the server has not noticed is dead) holds the replica
/// id for at most the server's peer timeout (45 s by default).
constexpr std::int64_t ReplicaTakenGraceMs = 60'000;
constexpr std::size_t MaxPositionsPerBatch = 60'000; // 13 bytes each: under 1 MiB

std::uint64_t steadyMicros()
{
    return std::uint64_t(
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now().time_since_epoch()).count());
}

QString text(const std::string& s)
{
    return QString::fromUtf8(s.data(), qsizetype(s.size()));
}

QByteArray randomBytes(int n)
{
    QByteArray out(n, Qt::Uninitialized);
    for (int i = 0; i < n; ++i)
        out[i] = char(QRandomGenerator::system()->bounded(256));
    return out;
}

} // namespace

// ---- the journal's thread ------------------------------------------------------------------

/// Runs a Journal on its own thread, so that fsync never stalls the caller's event loop.
/// Work is done in the order posted; failures are reported back on the client's thread.
class JournalWriter {
public:
    JournalWriter(std::unique_ptr<Journal> journal, SyncClient* client, std::function<void(const QString&)> onError)
        : m_journal(std::move(journal)), m_client(client), m_onError(std::move(onError))
    {
        m_thread.setObjectName(QStringLiteral("journal"));
        m_worker.moveToThread(&m_thread);
        m_thread.start();
    }
    ~JournalWriter()
    {
        drain();
        m_thread.quit();
        m_thread.wait();
    }
    void append(std::vector<Transaction> batch)
    {
        post([this, batch = std::move(batch)] {
            QString error;
            if (!m_journal->append(batch, &error))
                failed(error);
        });
    }
    void remove(std::vector<OpId> ids)
    {
        post([this, ids = std::move(ids)] {
            QString error;
            if (!m_journal->remove(ids, &error))
                failed(error);
        });
    }
    void saveResumePoint(ResumePoint point)
    {
        post([this, point = std::move(point)] {
            QString error;
            if (!m_journal->saveResumePoint(point, &error))
                failed(error);
        });
    }
    /// Returns once everything posted so far is written.
    void drain() { QMetaObject::invokeMethod(&m_worker, [] {}, Qt::BlockingQueuedConnection); }

private:
    template<typename Fn>
    void post(Fn&& fn)
    {
        QMetaObject::invokeMethod(&m_worker, std::forward<Fn>(fn), Qt::QueuedConnection);
    }
    void failed(const QString& error)
    {
        // The client outlives this writer (its destructor drains it first), so posting to
        // it is safe; Qt drops what is still queued for an object that is gone.
        QMetaObject::invokeMethod(m_client, [f = m_onError, error] { f(error); }, Qt::QueuedConnection);
    }

    std::unique_ptr<Journal> m_journal;
    SyncClient* m_client;
    std::function<void(const QString&)> m_onError;
    QThread m_thread;
    QObject m_worker;
};

// ---- construction ----------------------------------------------------------------------

SyncClient::SyncClient(GraphDocument& document, SyncClientOptions options, QObject* parent)
    : QObject(parent)
    , m_doc(document)
    , m_options(std::move(options))
    , m_requestRole(m_options.role)
    , m_role(m_options.role)
    , m_ownerToken(m_options.ownerToken)
    , m_backoff(m_options.initialRetryMs, m_options.maxRetryMs)
    , m_rtt(m_options.rttWindow)
    , m_remotePresence(m_options.presenceDelayMs)
{
    m_workers.setMaxThreadCount(1);
    const QString path = m_options.url.path();
    if (path.startsWith(QLatin1String("/rooms/")))
        m_room = path.mid(7).toStdString();
    m_outbound.replica = m_doc.replica();
    m_outbound.user = m_doc.user();

    m_retryTimer = new QTimer(this);
    m_retryTimer->setSingleShot(true);
    connect(m_retryTimer, &QTimer::timeout, this, [this] { connectNow(); });
    m_pingTimer = new QTimer(this);
    connect(m_pingTimer, &QTimer::timeout, this, [this] { sendPing(false); });
    m_housekeeping = new QTimer(this);
    connect(m_housekeeping, &QTimer::timeout, this, &SyncClient::housekeeping);
    m_housekeeping->start(250);
    m_presenceTimer = new QTimer(this);
    m_presenceTimer->setSingleShot(true);
    connect(m_presenceTimer, &QTimer::timeout, this, &SyncClient::sendPresence);
    m_refusedRetry = new QTimer(this);
    m_refusedRetry->setSingleShot(true);
    connect(m_refusedRetry, &QTimer::timeout, this, [this] {
        for (auto& [first, p] : m_pending) {
            if (p.refused) {
                p.refused = false;
                p.sent = false;
                queueTransaction(first);
            }
        }
    });
    m_out.status.inVr = m_options.inVr;

    // The journal: what an earlier run left unacknowledged is applied before any new edit,
    // so that this document continues after its counters.
    if (!m_options.journalDir.isEmpty() && isValidRoomName(m_room)) {
        auto journal = std::make_unique<Journal>();
        QString error;
        const QString file = m_options.journalDir + QLatin1Char('/') + Journal::fileName(m_room, m_doc.replica());
        if (journal->open(file, m_room, m_doc.replica(), &error)) {
            const JournalRecovery& r = journal->recovery();
            if (r.damagedBytes > 0)
                m_startupProblems.emplace_back(
                    JournalFailed, QStringLiteral("the journal was damaged at byte %1: %2 bytes after it were set aside in %3")
                                       .arg(r.damagedAt)
                                       .arg(r.damagedBytes)
                                       .arg(r.damagedCopy));
            DocumentChange change;
            change.source = DocumentChange::Source::Journal;
            for (const auto& [first, t] : journal->pending()) {
                m_pending[first] = Pending {t};
                if (m_doc.apply(t).applied)
                    noteChange(change, t);
            }
            if (journal->highestCounter() >= m_doc.nextCounter())
                m_fatalAtStart = {CounterReuse,
                                  QStringLiteral("this document would reuse operation ids up to %1 of replica %2 that the "
                                                 "journal has seen: give it a counter reservation (FileCounterReservation) "
                                                 "or a new replica id")
                                      .arg(journal->highestCounter())
                                      .arg(m_doc.replica(), 8, 16, QLatin1Char('0'))};
            // Resume where the document still holds everything; else from the start of the
            // same epoch (or by version vector if the epoch changed).
            const std::vector<ResumePoint>& points = journal->resumePoints();
            for (auto it = points.rbegin(); it != points.rend() && !m_resume.isValid(); ++it)
                if (m_doc.versionVector().covers(it->held))
                    m_resume = *it;
            if (!m_resume.isValid() && !points.empty())
                m_resume = ResumePoint {points.back().epoch, 0, {}};
            QPointer<SyncClient> self(this);
            m_journal = std::make_unique<JournalWriter>(std::move(journal), this, [self](const QString& e) {
                if (self)
                    self->report(JournalFailed, e);
            });
            if (!change.entities.empty())
                QMetaObject::invokeMethod(this, [this, change] { Q_EMIT documentChanged(change); }, Qt::QueuedConnection);
        } else {
            m_startupProblems.emplace_back(JournalFailed, error + QStringLiteral(" (edits are kept in memory only)"));
        }
    }
    m_create = m_options.createRoom && !m_resume.isValid();

    // Reconnect at once when the network comes back, where Qt can tell (Linux: NetworkManager
    // or GLib's monitor; without a backend the backoff alone decides).
    if (m_options.watchNetwork && QCoreApplication::instance()
        && QThread::currentThread() == QCoreApplication::instance()->thread()
        && QNetworkInformation::loadBackendByFeatures(QNetworkInformation::Feature::Reachability)) {
        if (QNetworkInformation* info = QNetworkInformation::instance()) {
            connect(info, &QNetworkInformation::reachabilityChanged, this, [this](QNetworkInformation::Reachability r) {
                if (r != QNetworkInformation::Reachability::Disconnected && r != QNetworkInformation::Reachability::Unknown
                    && m_state == State::Reconnecting)
                    connectNow();
            });
        }
    }
}

SyncClient::~SyncClient()
{
    m_workers.waitForDone();
    flushJournalBatch();
    saveResumePoint(true);
    m_journal.reset(); // drains: everything journaled is on disk
    if (m_socket) {
        m_socket->disconnect(this);
        m_socket->abort();
        delete m_socket;
        m_socket = nullptr;
    }
}

// ---- connection -----------------------------------------------------------------------------

void SyncClient::setState(State s)
{
    if (s == m_state && s != State::Reconnecting)
        return;
    m_state = s;
    if (s != State::Reconnecting)
        m_nextRetry = {};
    Q_EMIT stateChanged(s, m_nextRetry);
}

void SyncClient::report(int code, const QString& message)
{
    m_lastErrorCode = code;
    m_lastError = message;
    Q_EMIT problem(code, message);
}

void SyncClient::fail(int code, const QString& message)
{
    m_stopped = true;
    m_retryTimer->stop();
    m_lastErrorCode = code;
    m_lastError = message;
    setState(State::Offline);
    Q_EMIT failed(code, message);
}

void SyncClient::start()
{
    if (!m_stopped && m_state != State::Offline)
        return;
    m_stopped = false;
    for (const auto& [code, message] : std::exchange(m_startupProblems, {}))
        report(code, message);
    if (m_fatalAtStart) {
        fail(m_fatalAtStart->first, m_fatalAtStart->second);
        return;
    }
    const QString scheme = m_options.url.scheme();
    if (!m_options.url.isValid() || (scheme != QLatin1String("ws") && scheme != QLatin1String("wss"))
        || m_options.url.host().isEmpty()) {
        fail(InvalidUrl, QStringLiteral("'%1' is not a room address: use ws://HOST:PORT/rooms/NAME")
                             .arg(m_options.url.toString()));
        return;
    }
    if (!isValidRoomName(m_room)) {
        fail(int(ErrorCode::BadRoomName),
             QStringLiteral("'%1' is not a room name: 1 to 128 letters, digits, '-', '_' or '.'").arg(text(m_room)));
        return;
    }
    if (!isValidName(m_options.displayName)) {
        fail(int(ErrorCode::Malformed),
             QStringLiteral("the display name must be at most 64 bytes of text without control characters"));
        return;
    }
    m_backoff.reset();
    connectNow();
}

void SyncClient::stop()
{
    if (m_stopped && m_state == State::Offline)
        return;
    m_stopped = true;
    m_retryTimer->stop();
    dropConnection(LossKind::Stopped, 0, QString());
}

void SyncClient::reconnectNow()
{
    if (m_state == State::Offline)
        start();
    else if (m_state == State::Reconnecting)
        connectNow();
}

void SyncClient::abortConnection()
{
    if (m_socket)
        dropConnection(LossKind::Transient, ConnectionLost, QStringLiteral("the connection was dropped"));
}

bool SyncClient::moveTo(const QUrl& url, const std::string& ownerToken, Role role)
{
    const QString path = url.path();
    if (!path.startsWith(QLatin1String("/rooms/")) || path.mid(7).toStdString() != m_room)
        return false;
    m_options.url = url;
    m_ownerToken = ownerToken;
    m_requestRole = role;
    m_create = false;
    m_recreateAttempts = 0;
    m_roleRetries = 0;
    m_replicaTakenSinceMs = 0;
    m_backoff.reset();
    if (m_stopped)
        start();
    else
        connectNow(); // drops the old connection or retry first
    return true;
}

void SyncClient::connectNow()
{
    m_retryTimer->stop();
    if (m_stopped)
        return;
    if (m_socket) {
        m_socket->disconnect(this);
        m_socket->abort();
        m_socket->deleteLater();
        m_socket = nullptr;
    }
    resetConnectionState();
    const std::uint64_t id = ++m_connection;
    m_socket = new QWebSocket(QString(), QWebSocketProtocol::VersionLatest, this);
    QWebSocket* socket = m_socket;
    connect(socket, &QWebSocket::connected, this, [this, id] {
        if (id == m_connection)
            onSocketConnected();
    });
    connect(socket, &QWebSocket::disconnected, this, [this, id, socket] {
        if (id != m_connection)
            return;
        const QString reason = socket->closeReason();
        onSocketClosed(reason.isEmpty() ? socket->errorString() : reason);
    });
    connect(socket, qOverload<QAbstractSocket::SocketError>(&QWebSocket::error), this, [this, id, socket](QAbstractSocket::SocketError) {
        if (id == m_connection)
            onSocketClosed(socket->errorString());
    });
    connect(socket, &QWebSocket::binaryMessageReceived, this, [this, id](const QByteArray& frame) {
        if (id == m_connection)
            onFrame(frame);
    });
    connect(socket, &QWebSocket::textMessageReceived, this, [this, id](const QString&) {
        if (id == m_connection)
            report(ProtocolViolation, QStringLiteral("the server sent a text message; this protocol uses binary ones"));
    });
    connect(socket, &QWebSocket::sslErrors, this, [this, id](const QList<QSslError>& errors) {
        if (id != m_connection)
            return;
        // Not a passing condition: retrying would only fail the same way.
        QStringList why;
        for (const QSslError& e : errors)
            why << e.errorString();
        dropConnection(LossKind::Fatal, CertificateNotTrusted,
                       QStringLiteral("the server's certificate is not trusted: %1").arg(why.join(QStringLiteral("; "))));
    });
    connect(socket, &QWebSocket::bytesWritten, this, [this, id](qint64) {
        if (id == m_connection && m_upload)
            pumpUpload();
    });
    if (!m_options.caCertificates.isEmpty()) {
        QSslConfiguration tls = QSslConfiguration::defaultConfiguration();
        tls.addCaCertificates(m_options.caCertificates);
        socket->setSslConfiguration(tls);
    }
    m_attemptClock.start();
    m_lastHeard.start();
    setState(State::Connecting);
    socket->open(m_options.url);
}

void SyncClient::onSocketConnected()
{
    m_lastHeard.restart();
    sendHello();
}

void SyncClient::onSocketClosed(const QString& why)
{
    dropConnection(LossKind::Transient, ConnectionLost,
                   why.isEmpty() ? QStringLiteral("the connection closed") : QStringLiteral("connection lost: %1").arg(why));
}

void SyncClient::dropConnection(LossKind kind, int code, const QString& message, bool retryAtOnce)
{
    if (m_socket) {
        QWebSocket* s = m_socket;
        m_socket = nullptr;
        s->disconnect(this);
        if (kind == LossKind::Stopped && s->state() == QAbstractSocket::ConnectedState)
            s->close(QWebSocketProtocol::CloseCodeNormal, QStringLiteral("leaving"));
        else
            s->abort();
        s->deleteLater();
    }
    ++m_connection;
    const bool wasStable = m_state == State::Online && m_onlineClock.isValid()
        && m_onlineClock.elapsed() >= m_options.stableAfterMs;
    if (wasStable)
        m_backoff.reset();
    m_onlineClock.invalidate();
    saveResumePoint(true);
    resetConnectionState();
    switch (kind) {
    case LossKind::Stopped: setState(State::Offline); break;
    case LossKind::Fatal: fail(code, message); break;
    case LossKind::Transient:
        report(code, message);
        if (m_stopped)
            setState(State::Offline);
        else
            scheduleRetry(retryAtOnce);
        break;
    }
}

void SyncClient::resetConnectionState()
{
    m_welcome.reset();
    m_peer = 0;
    m_helloResume.reset();
    m_expectedSignature.clear();
    m_challenged = false;
    m_awaitingSnapshot = false;
    m_awaitingServerVector = false;
    m_barrier = 0;
    m_barrierDone = false;
    m_connHeld.reset();
    m_connCommitted = 0;
    m_highestDelta = 0;
    m_streams = StreamState();
    m_outbound = ReplicaStream();
    m_outbound.replica = m_doc.replica();
    m_outbound.user = m_doc.user();
    m_snapshotChunks.reset();
    m_versionChunks.reset();
    m_txChunks.reset();
    m_upload.reset();
    m_sendQueue.clear();
    m_outbox.clear();
    for (auto& [first, p] : m_pending) {
        p.sent = false;
        p.refused = false;
    }
    m_refusedRetry->stop();
    m_pingTimer->stop();
    m_presenceTimer->stop();
    // The others are announced again on the next join.
    const auto peers = std::exchange(m_peers, {});
    m_remotePresence.clear();
    const bool hadTransient = !m_transient.empty();
    m_transient.clear();
    for (const auto& [index, peer] : peers)
        Q_EMIT peerLeft(peer, LeaveReason::Dropped);
    if (hadTransient)
        Q_EMIT transientPositionsChanged();
}

void SyncClient::scheduleRetry(bool atOnce)
{
    const int delay = atOnce ? 0 : m_backoff.next();
    m_nextRetry = QDateTime::currentDateTimeUtc().addMSecs(delay);
    m_state = State::Reconnecting;
    Q_EMIT stateChanged(m_state, m_nextRetry);
    m_retryTimer->start(delay);
}

void SyncClient::sendHello()
{
    Hello h;
    h.versions = m_options.versions;
    h.room = m_room;
    h.user = m_doc.user();
    h.replica = m_doc.replica();
    h.name = m_options.displayName;
    h.color = m_options.color;
    h.role = m_create ? Role::Owner : m_requestRole;
    h.createRoom = m_create;
    h.canAnswerChallenge = !m_options.accessKey.isEmpty();
    h.inVr = m_options.inVr;
    if (m_resume.isValid()) {
        h.resume = Resume {m_resume.epoch, m_resume.committed};
        h.hasDocument = true;
    }
    h.ownerToken = m_ownerToken;
    m_helloResume = h.resume;
    queueMessage(h);
    flushOutbox();
}

void SyncClient::housekeeping()
{
    const std::int64_t now = RemotePresence::nowMs();
    if (m_state == State::Connecting && m_attemptClock.isValid() && m_attemptClock.elapsed() > m_options.handshakeTimeoutMs) {
        dropConnection(LossKind::Transient, NoAnswer, QStringLiteral("the server did not answer in time"));
        return;
    }
    if (m_welcome && m_lastHeard.elapsed() > m_options.silenceTimeoutMs) {
        dropConnection(LossKind::Transient, NoAnswer, QStringLiteral("nothing heard from the server for %1 s")
                                                          .arg(m_options.silenceTimeoutMs / 1000));
        return;
    }
    saveResumePoint(false);
    if (m_welcome) {
        if (!m_out.drag.empty() && m_out.dragSent && now - m_out.dragSentMs >= DragKeepaliveMs)
            sendDragBatch(true);
        if (!m_out.selection.empty() && now - m_out.selectionSentMs >= SelectionRenewMs) {
            m_out.selectionDirty = true;
            schedulePresence();
        }
    }
    for (auto& [index, peer] : m_peers) {
        if (!peer.selection.empty() && now - peer.selectionAtMs > SelectionExpiryMs) {
            peer.selection.clear();
            Q_EMIT peerChanged(index);
        }
    }
    bool expired = false;
    for (auto it = m_transient.begin(); it != m_transient.end();) {
        if (now - it->second.receivedMs > m_options.transientExpiryMs) {
            it = m_transient.erase(it);
            expired = true;
        } else {
            ++it;
        }
    }
    if (expired)
        Q_EMIT transientPositionsChanged();
}

void SyncClient::sendPing(bool barrier)
{
    if (!m_welcome)
        return;
    std::uint64_t value = steadyMicros();
    if (barrier) {
        if (value == m_barrier)
            ++value;
        m_barrier = value;
    }
    queueMessage(Ping {value});
}

// ---- outgoing ----------------------------------------------------------------------------------

template<typename M>
void SyncClient::queueMessage(const M& m)
{
    queueEncoded(encodeMessage(m, Direction::ToServer));
}

void SyncClient::queueEncoded(std::string message)
{
    if (!m_socket)
        return;
    m_outbox.push_back(std::move(message));
    scheduleFlush();
}

void SyncClient::scheduleFlush()
{
    if (m_flushScheduled)
        return;
    m_flushScheduled = true;
    QMetaObject::invokeMethod(this, [this] { flushOutbox(); }, Qt::QueuedConnection);
}

void SyncClient::flushOutbox()
{
    m_flushScheduled = false;
    if (!m_socket || m_outbox.empty()) {
        m_outbox.clear();
        return;
    }
    // What this turn produced goes out as few WebSocket messages as the server's limit allows.
    std::string frame;
    auto send = [&] {
        if (!frame.empty())
            m_socket->sendBinaryMessage(QByteArray(frame.data(), qsizetype(frame.size())));
        frame.clear();
    };
    for (const std::string& m : m_outbox) {
        if (!frame.empty() && frame.size() + m.size() > FrameBytes)
            send();
        frame.append(m);
    }
    send();
    m_outbox.clear();
}

void SyncClient::submit(const Transaction& t)
{
    if (t.isEmpty())
        return;
    const TransactionHeader& h = t.header();
    if (h.author != m_doc.user()) {
        report(int(ErrorCode::Malformed), QStringLiteral("a transaction of another user cannot be sent from here"));
        return;
    }
    const OpId first = h.opId(0);
    if (m_pending.count(first) || m_history.count(first))
        return;
    if (t.bytes().size() > DefaultMaxAssembledBytes) {
        // No server takes it, not even in chunks: refused here rather than resent forever.
        if (!m_doc.has(h))
            m_doc.apply(t);
        Q_EMIT transactionRefused(first, int(ErrorCode::Oversize),
                                  QStringLiteral("this edit is %1 MiB: more than the %2 MiB a server accepts")
                                      .arg(t.bytes().size() >> 20)
                                      .arg(DefaultMaxAssembledBytes >> 20));
        return;
    }
    DocumentChange change;
    change.source = DocumentChange::Source::Local;
    noteChange(change, t);
    if (!m_doc.has(h))
        m_doc.apply(t);
    m_pending[first] = Pending {t};
    if (m_journal) {
        m_journalBatch.push_back(t);
        if (!m_journalFlushScheduled) {
            m_journalFlushScheduled = true;
            QMetaObject::invokeMethod(this, [this] { flushJournalBatch(); }, Qt::QueuedConnection);
        }
    }
    clearTransientFor(t);
    queueTransaction(first);
    Q_EMIT documentChanged(change);
    if (std::exchange(m_transientChanged, false))
        Q_EMIT transientPositionsChanged();
}

Transaction SyncClient::commit(TransactionBuilder& builder)
{
    Transaction t = m_doc.commit(builder);
    submit(t);
    return t;
}

void SyncClient::flushJournalBatch()
{
    m_journalFlushScheduled = false;
    if (m_journal && !m_journalBatch.empty())
        m_journal->append(std::exchange(m_journalBatch, {}));
}

void SyncClient::saveResumePoint(bool force)
{
    if (!m_journal || !m_resumeDirty || !m_resume.isValid())
        return;
    if (!force && m_resumeSaved.isValid() && m_resumeSaved.elapsed() < ResumeSaveEveryMs)
        return;
    ResumePoint p = m_resume;
    p.held = m_doc.versionVector(); // holds at least what `committed` needs
    m_journal->saveResumePoint(std::move(p));
    m_resumeDirty = false;
    m_resumeSaved.start();
}

void SyncClient::queueTransaction(OpId first)
{
    m_sendQueue.push_back(first);
    pumpTransactions();
}

bool SyncClient::onlyAnnotations(const Transaction& t) const
{
    bool only = true;
    t.forEachOp([&](std::uint32_t, const Operation& op) {
        if (op.type == OpType::CreateAnnotation)
            return;
        if (op.type == OpType::SetField) {
            const GraphDocument::Entity* e = m_doc.entity(op.target);
            if (e && e->kind == EntityKind::Annotation)
                return;
        }
        only = false;
    });
    return only;
}

void SyncClient::pumpTransactions()
{
    // Transactions go out once joined; after a new epoch only once the server said what it
    // holds. One chunked transaction at a time, and nothing overtakes it.
    if (!m_welcome || !m_socket || m_awaitingServerVector)
        return;
    while (!m_upload && !m_sendQueue.empty()) {
        const OpId first = m_sendQueue.front();
        m_sendQueue.pop_front();
        Pending* p = nullptr;
        const Transaction* t = nullptr;
        if (auto it = m_pending.find(first); it != m_pending.end()) {
            p = &it->second;
            if (p->sent)
                continue;
            t = &p->transaction;
        } else if (auto h = m_history.find(first); h != m_history.end()) {
            t = &h->second;
        } else {
            continue;
        }
        if (std::optional<NodeMove> move = compressNodeMove(*t, m_outbound)) {
            queueMessage(*move);
        } else {
            SyncUpdate u;
            u.annotations = onlyAnnotations(*t);
            u.transaction = *t;
            std::vector<std::string> messages = encodeTransaction(u, Direction::ToServer, m_options.maxMessageBytes);
            if (messages.size() > 1) {
                m_upload = Upload {first, std::move(messages), 0, t->bytes().size(), 0};
                pumpUpload();
                return;
            }
            queueEncoded(std::move(messages.front()));
        }
        advance(m_outbound, *t);
        if (p)
            p->sent = true;
    }
}

void SyncClient::pumpUpload()
{
    if (!m_upload || !m_socket)
        return;
    flushOutbox(); // what was queued before the chunks goes first
    const std::uint64_t connection = m_connection;
    const std::size_t perChunk = chunkDataBytes(m_options.maxMessageBytes);
    while (m_upload->next < m_upload->chunks.size()
           && std::uint64_t(m_socket->bytesToWrite()) < ChunksInFlight * m_options.maxMessageBytes) {
        std::string& chunk = m_upload->chunks[m_upload->next++];
        m_socket->sendBinaryMessage(QByteArray(chunk.data(), qsizetype(chunk.size())));
        std::string().swap(chunk);
        m_upload->sent = std::min<std::uint64_t>(m_upload->total, std::uint64_t(m_upload->next) * perChunk);
        const bool done = m_upload->next == m_upload->chunks.size();
        if (done) {
            const OpId first = m_upload->first;
            if (auto it = m_pending.find(first); it != m_pending.end()) {
                advance(m_outbound, it->second.transaction);
                it->second.sent = true;
            } else if (auto h = m_history.find(first); h != m_history.end()) {
                advance(m_outbound, h->second);
            }
        }
        const std::uint64_t sent = m_upload->sent, total = m_upload->total;
        if (done)
            m_upload.reset();
        Q_EMIT uploadProgress(sent, total);
        if (connection != m_connection || !m_socket)
            return; // a slot dropped the connection
        if (done) {
            pumpTransactions();
            return;
        }
    }
}

// ---- incoming ------------------------------------------------------------------------------

void SyncClient::onFrame(const QByteArray& frame)
{
    m_lastHeard.restart();
    const std::uint64_t connection = m_connection;
    Limits limits;
    limits.maxMessageBytes = m_options.maxMessageBytes;
    FrameReader reader(std::string_view(frame.constData(), std::size_t(frame.size())), m_options.maxMessageBytes);
    FrameItem item;
    while (connection == m_connection && reader.next(item)) {
        if (!item.ok()) {
            const Error e = item.error();
            report(ProtocolViolation, QStringLiteral("the server sent a message this client cannot read: %1").arg(text(e.message)));
            if (item.status == FrameItem::Status::UnknownType || item.status == FrameItem::Status::Empty)
                queueMessage(e);
            continue;
        }
        DecodeError e;
        std::optional<Message> m = decodeMessage(item.type, item.body, Direction::ToClient, &e, limits);
        if (!m) {
            const auto t = MessageType(item.type);
            const bool essential = t == MessageType::SyncUpdate || t == MessageType::AnnotationUpdate
                || t == MessageType::NodeMove || t == MessageType::TransactionChunk || t == MessageType::SnapshotChunk
                || t == MessageType::Welcome || t == MessageType::UserJoined || t == MessageType::UserLeft;
            const QString why = QStringLiteral("%1 from the server does not decode: %2")
                                    .arg(QLatin1String(messageTypeName(t)), text(e.message));
            if (essential) {
                // The document or the stream state would go wrong: start over by resuming.
                dropConnection(LossKind::Transient, ProtocolViolation, why);
                break;
            }
            report(ProtocolViolation, why);
            continue;
        }
        handle(*m);
    }
    emitFrameChanges();
}

void SyncClient::emitFrameChanges()
{
    QPointer<SyncClient> self(this);
    for (const Applied& a : std::exchange(m_frameApplied, {})) {
        Q_EMIT transactionApplied(a.transaction, a.origin, a.seq);
        if (!self)
            return;
    }
    if (std::optional<DocumentChange> change = std::exchange(m_frameChange, std::nullopt))
        Q_EMIT documentChanged(*change);
    if (!self)
        return;
    if (!m_frameConflicts.empty())
        Q_EMIT conflictsDetected(std::exchange(m_frameConflicts, {}));
    if (!self)
        return;
    if (std::exchange(m_transientChanged, false))
        Q_EMIT transientPositionsChanged();
}

void SyncClient::handle(Message& message)
{
    const std::int64_t now = RemotePresence::nowMs();
    if (auto* w = std::get_if<Welcome>(&message)) {
        onWelcome(*w);
    } else if (auto* e = std::get_if<Error>(&message)) {
        onError(*e);
    } else if (auto* c = std::get_if<Challenge>(&message)) {
        if (m_options.accessKey.isEmpty() || m_welcome) {
            dropConnection(LossKind::Fatal, int(ErrorCode::AccessDenied), QStringLiteral("this room needs an access key"));
            return;
        }
        // PBKDF2 (up to a million rounds) runs on a worker, never on the caller's thread.
        m_challenged = true;
        const QByteArray nonce = randomBytes(24);
        const std::string auth = accessAuthMessage(m_room, m_doc.user(), m_doc.replica(), c->serverNonce,
                                                   std::string_view(nonce.constData(), std::size_t(nonce.size())));
        const std::uint64_t connection = m_connection;
        m_workers.start([this, connection, key = m_options.accessKey, salt = QByteArray::fromStdString(c->salt),
                         iterations = int(c->iterations), auth = QByteArray(auth.data(), qsizetype(auth.size())), nonce] {
            const scram::ClientResponse r = scram::clientResponse(key, salt, iterations, auth);
            QMetaObject::invokeMethod(this, [this, connection, r, nonce] {
                if (connection != m_connection)
                    return;
                m_expectedSignature = r.expectedServerSignature.toStdString();
                Proof proof;
                proof.clientNonce = nonce.toStdString();
                proof.clientProof = r.proof.toStdString();
                queueMessage(proof);
                flushOutbox();
            }, Qt::QueuedConnection);
        });
    } else if (auto* ping = std::get_if<Ping>(&message)) {
        queueMessage(Pong {ping->value});
    } else if (auto* pong = std::get_if<Pong>(&message)) {
        onPong(pong->value);
    } else if (auto* sc = std::get_if<SnapshotChunk>(&message)) {
        onSnapshotChunk(*sc);
    } else if (auto* tc = std::get_if<TransactionChunk>(&message)) {
        std::string error;
        const auto status = m_txChunks.add(*tc, &error);
        if (status == ChunkAssembler::Status::Error) {
            dropConnection(LossKind::Transient, ProtocolViolation, QStringLiteral("TRANSACTION_CHUNK: %1").arg(text(error)));
            return;
        }
        Q_EMIT downloadProgress(tc->offset + tc->data.size(), tc->total);
        if (status == ChunkAssembler::Status::Complete) {
            std::optional<Transaction> t = Transaction::decode(m_txChunks.take(), &error);
            if (!t) {
                dropConnection(LossKind::Transient, ProtocolViolation, QStringLiteral("a chunked transaction: %1").arg(text(error)));
                return;
            }
            applyRemote(*t, tc->seq, tc->origin);
        }
    } else if (auto* a = std::get_if<Ack>(&message)) {
        onAck(*a);
    } else if (auto* committed = std::get_if<Committed>(&message)) {
        m_connCommitted = std::max(m_connCommitted, committed->seq);
        // Everything up to a committed number was relayed to this connection before it.
        if (m_barrierDone)
            noteHeld(committed->seq);
        updateResume();
    } else if (auto* vv = std::get_if<VersionVectorExchange>(&message)) {
        onServerVector(vv->vector);
    } else if (auto* j = std::get_if<UserJoined>(&message)) {
        // The peers present at the WELCOME are in its stream state already, and each is then
        // announced by a USER_JOINED: that one names the same replica and user.
        const ReplicaStream* known = m_streams.find(j->peer);
        const bool welcomed = known && known->replica == j->replica && known->user == j->user;
        if (!welcomed && !m_streams.addPeer(j->peer, j->replica, j->user))
            report(ProtocolViolation, QStringLiteral("USER_JOINED for a peer already present"));
        PeerInfo info;
        info.peer = j->peer;
        info.user = j->user;
        info.replica = j->replica;
        info.name = text(j->name);
        info.color = j->color;
        info.role = j->role;
        info.inVr = j->inVr;
        m_peers[j->peer] = info;
        Q_EMIT peerJoined(info);
    } else if (auto* l = std::get_if<UserLeft>(&message)) {
        m_streams.removePeer(l->peer);
        m_remotePresence.removePeer(l->peer);
        for (auto it = m_transient.begin(); it != m_transient.end();) {
            if (it->second.peer == l->peer) {
                it = m_transient.erase(it);
                m_transientChanged = true;
            } else {
                ++it;
            }
        }
        if (auto it = m_peers.find(l->peer); it != m_peers.end()) {
            const PeerInfo info = it->second;
            m_peers.erase(it);
            Q_EMIT peerLeft(info, l->reason);
        }
    } else if (auto* ps = std::get_if<PresenceStatus>(&message)) {
        if (auto it = m_peers.find(ps->origin); it != m_peers.end()) {
            it->second.state = ps->state;
            it->second.inVr = ps->inVr;
            it->second.view = ps->view;
            it->second.placement = ps->placement;
            Q_EMIT peerChanged(ps->origin);
        }
    } else if (auto* pb = std::get_if<PositionsBatch>(&message)) {
        if (pb->entries.empty()) {
            // An empty batch ends the sender's drag.
            for (auto it = m_transient.begin(); it != m_transient.end();) {
                if (it->second.peer == pb->origin) {
                    it = m_transient.erase(it);
                    m_transientChanged = true;
                } else {
                    ++it;
                }
            }
        }
        for (const PositionsBatch::Entry& entry : pb->entries)
            m_transient[entry.node] = TransientPosition {entry.position, pb->origin, now};
        m_transientChanged = m_transientChanged || !pb->entries.empty();
    } else if (auto* sr = std::get_if<SetRole>(&message)) {
        if (sr->user == m_doc.user()) {
            m_requestRole = sr->role;
            if (std::exchange(m_role, sr->role) != sr->role)
                Q_EMIT roleChanged(sr->role);
        }
        for (auto& [index, peer] : m_peers) {
            if (peer.user == sr->user && peer.role != sr->role) {
                peer.role = sr->role;
                Q_EMIT peerChanged(index);
            }
        }
    } else if (auto* vl = std::get_if<VersionList>(&message)) {
        Q_EMIT versionsListed(vl->versions);
    } else if (auto* u = std::get_if<SyncUpdate>(&message)) {
        applyRemote(u->transaction, u->seq, u->origin);
    } else if (auto* su = std::get_if<SelectionUpdate>(&message)) {
        if (auto it = m_peers.find(su->origin); it != m_peers.end()) {
            it->second.selection = su->selected;
            it->second.selectionAtMs = now;
            Q_EMIT peerChanged(su->origin);
        }
    } else if (auto* up = std::get_if<UserPosition>(&message)) {
        m_remotePresence.addCursor(up->origin, up->position, now);
        Q_EMIT presenceReceived(up->origin);
    } else if (auto* vr = std::get_if<VrPresence>(&message)) {
        if (std::optional<VrPose> pose = unpackVrPose(vr->pose)) {
            m_remotePresence.addVrPose(vr->origin, *pose, now);
            Q_EMIT presenceReceived(vr->origin);
        }
    } else if (auto* nm = std::get_if<NodeMove>(&message)) {
        std::string error;
        std::optional<ExpandedMove> x = expandNodeMove(*nm, m_streams, &error);
        if (!x) {
            dropConnection(LossKind::Transient, ProtocolViolation, QStringLiteral("NODE_MOVE: %1").arg(text(error)));
            return;
        }
        applyRemote(x->transaction, x->seq, nm->origin);
    } else {
        report(ProtocolViolation, QStringLiteral("%1 is not for clients").arg(QLatin1String(messageTypeName(messageType(message)))));
    }
}

void SyncClient::onWelcome(const Welcome& w)
{
    if (m_welcome) {
        dropConnection(LossKind::Transient, ProtocolViolation, QStringLiteral("a second WELCOME"));
        return;
    }
    if (m_challenged && (m_expectedSignature.empty() || w.serverSignature != m_expectedSignature)) {
        dropConnection(LossKind::Fatal, ServerNotVerified,
                       QStringLiteral("the server could not prove that it holds this room's access key: it may not be "
                                      "the server you meant to reach"));
        return;
    }
    if (!m_streams.reset(w.streams)) {
        dropConnection(LossKind::Transient, ProtocolViolation, QStringLiteral("WELCOME with a broken stream state"));
        return;
    }
    m_welcome = w;
    m_peer = w.peer;
    m_everJoined = true;
    m_create = false;
    m_recreateAttempts = 0;
    m_roleRetries = 0;
    m_replicaTakenSinceMs = 0;
    if (!w.ownerToken.empty()) {
        m_ownerToken = w.ownerToken;
        Q_EMIT ownerTokenReceived(text(w.ownerToken));
    }
    m_requestRole = w.role;
    if (std::exchange(m_role, w.role) != w.role)
        Q_EMIT roleChanged(w.role);
    m_connCommitted = w.committed;
    const bool sameEpoch = m_helloResume && m_helloResume->epoch == w.epoch;
    switch (w.sync) {
    case SyncMode::UpToDate: m_connHeld = sameEpoch ? m_helloResume->committed : RoomSequence(0); break;
    case SyncMode::Deltas:
        if (!sameEpoch) {
            dropConnection(LossKind::Transient, ProtocolViolation, QStringLiteral("deltas of another epoch"));
            return;
        }
        m_connHeld = m_helloResume->committed;
        break;
    case SyncMode::Snapshot:
    case SyncMode::VersionVectors: m_awaitingSnapshot = true; break;
    }
    if (w.sync == SyncMode::VersionVectors) {
        // Another epoch: say what this replica holds; the server's answer says what to send.
        queueMessage(VersionVectorExchange {m_doc.versionVector()});
        m_awaitingServerVector = true;
    } else {
        for (const auto& [first, p] : m_pending)
            m_sendQueue.push_back(first);
    }
    const std::int64_t skew = std::int64_t(w.serverTimeMs) - std::int64_t(HlcClock::systemMillis());
    if (w.serverTimeMs != 0 && std::abs(skew) > 10'000)
        report(int(ErrorCode::TimestampTooFarAhead),
               QStringLiteral("this computer's clock is %1 s %2 the server's: edits may win or lose conflicts unfairly")
                   .arg(std::abs(skew) / 1000)
                   .arg(skew < 0 ? QStringLiteral("ahead of") : QStringLiteral("behind")));
    updateResume();
    sendPing(true); // its PONG comes after everything the server sent with the WELCOME
    m_pingTimer->start(std::max(100, m_options.pingIntervalMs));
    setState(State::Resyncing);
    presenceOnJoin();
    pumpTransactions();
}

void SyncClient::onError(const Error& e)
{
    const QString message = text(e.message);
    const int code = e.code;
    const auto about = MessageType(e.about);
    const bool aboutTransaction = about == MessageType::SyncUpdate || about == MessageType::AnnotationUpdate
        || about == MessageType::NodeMove || about == MessageType::TransactionChunk;
    // A failed commit that names no transaction (the bundled server's STORAGE_FULL) may
    // concern any transaction sent and not acknowledged: none of them is taken as committed
    // by a later ACK.
    const bool unnamedCommitFailure = e.transaction.isNull() && aboutTransaction
        && (e.errorCode() == ErrorCode::StorageFull || e.errorCode() == ErrorCode::Internal);
    if (!e.transaction.isNull() || unnamedCommitFailure) {
        // A refused transaction. Some refusals are final; others may pass later.
        const ErrorCode c = e.errorCode();
        const bool final = !unnamedCommitFailure
            && (c == ErrorCode::RoleRefused || c == ErrorCode::Malformed || c == ErrorCode::Oversize);
        std::vector<OpId> matching;
        if (unnamedCommitFailure) {
            for (const auto& [first, p] : m_pending)
                if (p.sent)
                    matching.push_back(first);
        } else if (m_pending.count(e.transaction)) {
            matching.push_back(e.transaction);
        }
        if (final) {
            for (const OpId id : matching)
                m_pending.erase(id);
            if (m_journal && !matching.empty())
                m_journal->remove(matching);
            for (const OpId id : matching)
                Q_EMIT transactionRefused(id, code, message);
        } else {
            for (const OpId id : matching)
                m_pending[id].refused = true;
            report(code, message);
            const int delay = c == ErrorCode::RateLimited ? 1000 : c == ErrorCode::TimestampTooFarAhead ? 10'000 : 15'000;
            if (!m_refusedRetry->isActive())
                m_refusedRetry->start(delay);
        }
        if (!e.fatal)
            return;
    }
    if (!e.fatal) {
        report(code, message);
        return;
    }
    const bool replicaHeld = m_everJoined || m_resume.isValid();
    LossKind kind = LossKind::Fatal;
    bool atOnce = false;
    QString why = message;
    switch (ErrorCode(code)) {
    case ErrorCode::ShuttingDown:
    case ErrorCode::SlowConsumer:
    case ErrorCode::ServerFull:
    case ErrorCode::Internal:
    case ErrorCode::StorageFull:
    case ErrorCode::RateLimited:
    case ErrorCode::TimestampTooFarAhead: kind = LossKind::Transient; break;
    case ErrorCode::Malformed:
        // A transaction message the server could not decode: the link's NODE_MOVE state is
        // lost with it, so resume and re-send (docs/protocol.md, "After the handshake").
        if (aboutTransaction)
            kind = LossKind::Transient;
        break;
    case ErrorCode::RoomNotFound:
        // The room this replica holds is gone (a replaced data directory): create it again
        // from this replica, which then sends what it holds (docs/protocol.md, "A new epoch").
        if (m_options.recreateIfGone && replicaHeld && m_recreateAttempts < 3) {
            ++m_recreateAttempts;
            m_create = true;
            m_ownerToken.clear(); // it proved ownership of the room that is gone
            kind = LossKind::Transient;
            atOnce = true;
            why = QStringLiteral("the room is gone from the server: creating it again from this copy");
        }
        break;
    case ErrorCode::RoomExists:
        if (m_recreateAttempts > 0 && m_recreateAttempts < 3) { // someone else re-created it first: join
            m_create = false;
            kind = LossKind::Transient;
            atOnce = true;
        }
        break;
    case ErrorCode::RoleRefused:
        // A role granted on an earlier connection that this room no longer grants (a
        // re-created room, a demotion while away): ask for the next lower one.
        if (m_everJoined && m_requestRole != Role::Viewer && m_roleRetries < 2) {
            ++m_roleRetries;
            m_requestRole = Role(int(m_requestRole) - 1);
            kind = LossKind::Transient;
            atOnce = true;
        }
        break;
    case ErrorCode::ReplicaTaken:
        // After a lost connection this is usually our own ghost, which the server drops
        // after its peer timeout; a first join with a taken id is a real clash.
        if (replicaHeld) {
            const std::int64_t now = RemotePresence::nowMs();
            if (m_replicaTakenSinceMs == 0)
                m_replicaTakenSinceMs = now;
            if (now - m_replicaTakenSinceMs < ReplicaTakenGraceMs)
                kind = LossKind::Transient;
        }
        break;
    default: break;
    }
    dropConnection(kind, code, why, atOnce);
}

void SyncClient::onAck(const Ack& a)
{
    if (m_barrierDone)
        noteHeld(a.seq);
    updateResume();
    std::vector<OpId> acked;
    for (auto it = m_pending.lower_bound(OpId {a.replica, 0}); it != m_pending.end() && it->first.replica == a.replica;) {
        const Pending& p = it->second;
        if (p.transaction.header().lastCounter() > a.counter)
            break;
        if (!p.sent || p.refused) {
            ++it;
            continue;
        }
        acked.push_back(it->first);
        const std::size_t bytes = p.transaction.bytes().size();
        if (bytes <= m_options.historyBytes) {
            m_history[it->first] = p.transaction;
            m_historyOrder.push_back(it->first);
            m_historyBytes += bytes;
        }
        it = m_pending.erase(it);
    }
    while (m_historyBytes > m_options.historyBytes && !m_historyOrder.empty()) {
        auto h = m_history.find(m_historyOrder.front());
        m_historyOrder.pop_front();
        if (h != m_history.end()) {
            m_historyBytes -= h->second.bytes().size();
            m_history.erase(h);
        }
    }
    if (acked.empty())
        return;
    if (m_journal)
        m_journal->remove(acked);
    QPointer<SyncClient> self(this);
    for (const OpId id : acked) {
        Q_EMIT acknowledged(id, a.seq);
        if (!self)
            return;
    }
    if (m_pending.empty())
        Q_EMIT allAcknowledged();
}

void SyncClient::onSnapshotChunk(const SnapshotChunk& c)
{
    ChunkAssembler& assembler = c.version == 0 ? m_snapshotChunks : m_versionChunks;
    std::string error;
    const auto status = assembler.add(c, &error);
    if (status == ChunkAssembler::Status::Error) {
        dropConnection(LossKind::Transient, ProtocolViolation, QStringLiteral("SNAPSHOT_CHUNK: %1").arg(text(error)));
        return;
    }
    Q_EMIT downloadProgress(c.offset + c.data.size(), c.total);
    if (status != ChunkAssembler::Status::Complete)
        return;
    std::optional<std::string> raw = uncompressSnapshot(assembler.take(), c.compression, m_options.maxSnapshotBytes, &error);
    if (!raw) {
        dropConnection(LossKind::Transient, ProtocolViolation, QStringLiteral("a snapshot: %1").arg(text(error)));
        return;
    }
    if (c.version != 0) {
        Q_EMIT versionFetched(c.version, QByteArray(raw->data(), qsizetype(raw->size())));
        return;
    }
    if (!m_doc.mergeSnapshot(*raw, &error)) {
        dropConnection(LossKind::Transient, ProtocolViolation, QStringLiteral("a snapshot: %1").arg(text(error)));
        return;
    }
    if (!m_frameChange)
        m_frameChange = DocumentChange {};
    m_frameChange->source = DocumentChange::Source::Snapshot;
    m_frameChange->everything = true;
    m_frameChange->positionsOnly = false;
    m_connHeld = std::max(m_connHeld.value_or(0), c.seq);
    m_awaitingSnapshot = false;
    updateResume();
    checkResynced();
}

void SyncClient::onServerVector(const VersionVector& server)
{
    if (!m_awaitingServerVector)
        return;
    m_awaitingServerVector = false;
    // Every pending transaction (a duplicate is acknowledged, which clears it), and what
    // this user made earlier that the new epoch lacks.
    std::set<OpId> send;
    for (const auto& [first, p] : m_pending)
        send.insert(first);
    for (const auto& [first, t] : m_history)
        if (!server.contains(t.header().replica, t.header().firstCounter, t.header().lastCounter()))
            send.insert(first);
    for (const OpId first : send)
        m_sendQueue.push_back(first);
    pumpTransactions();
    checkResynced();
}

void SyncClient::onPong(std::uint64_t value)
{
    const std::uint64_t now = steadyMicros();
    if (value <= now && now - value < 600'000'000ull) {
        const double ms = double(now - value) / 1000.0;
        m_rtt.add(ms);
        Q_EMIT roundTripTimeMeasured(ms);
    }
    if (value != m_barrier || m_barrierDone || !m_welcome)
        return;
    m_barrierDone = true;
    if (m_welcome->sync == SyncMode::Deltas && m_highestDelta < m_welcome->committed) {
        // The server sent only part of what was missed: resume from what arrived.
        dropConnection(LossKind::Transient, ProtocolViolation,
                       QStringLiteral("the server sent the missed transactions up to %1 of %2; resuming from there")
                           .arg(m_highestDelta)
                           .arg(m_welcome->committed),
                       true);
        return;
    }
    checkResynced();
}

void SyncClient::checkResynced()
{
    if (m_state != State::Resyncing || !m_barrierDone || m_awaitingSnapshot || m_awaitingServerVector)
        return;
    m_onlineClock.start();
    setState(State::Online);
}

void SyncClient::noteHeld(RoomSequence seq)
{
    if (m_connHeld)
        m_connHeld = std::max(*m_connHeld, seq);
}

void SyncClient::updateResume()
{
    if (!m_welcome || !m_connHeld)
        return;
    // Resume from a number that is both committed (a restarted server may give numbers it
    // had not committed to other transactions) and held.
    const RoomSequence committed = std::min(*m_connHeld, m_connCommitted);
    if (m_resume.epoch != m_welcome->epoch || m_resume.committed != committed) {
        m_resume.epoch = m_welcome->epoch;
        m_resume.committed = committed;
        m_resumeDirty = true;
    }
}

void SyncClient::applyRemote(const Transaction& t, RoomSequence seq, PeerIndex origin)
{
    m_streams.update(origin, seq, t);
    if (!m_barrierDone)
        m_highestDelta = std::max(m_highestDelta, seq);
    noteHeld(seq);
    ApplyResult result = m_doc.apply(t);
    clearTransientFor(t);
    if (result.applied) {
        if (!m_frameChange)
            m_frameChange = DocumentChange {};
        noteChange(*m_frameChange, t);
        if (isSignalConnected(QMetaMethod::fromSignal(&SyncClient::transactionApplied)))
            m_frameApplied.push_back({t, origin, seq});
    }
    for (Conflict& c : result.conflicts)
        m_frameConflicts.push_back(std::move(c));
    updateResume();
}

void SyncClient::noteChange(DocumentChange& change, const Transaction& t) const
{
    t.forEachOp([&](std::uint32_t index, const Operation& op) {
        if (op.type == OpType::SetField) {
            change.entities.push_back(op.target);
            if (op.fields.empty() || op.fields.front().ref.field != Field::Position)
                change.positionsOnly = false;
        } else {
            change.entities.push_back(t.header().opId(index));
            change.positionsOnly = false;
        }
    });
}

void SyncClient::clearTransientFor(const Transaction& t)
{
    if (m_transient.empty())
        return;
    t.forEachOp([&](std::uint32_t, const Operation& op) {
        if (op.type == OpType::SetField && !op.fields.empty()
            && (op.fields.front().ref.field == Field::Position || op.fields.front().ref.field == Field::Exists)
            && m_transient.erase(op.target))
            m_transientChanged = true;
    });
}

// ---- presence ------------------------------------------------------------------------------

void SyncClient::setCursor(Vec3 position)
{
    if (!position.isFinite() || m_out.cursor == position)
        return;
    m_out.cursor = position;
    m_out.cursorDirty = true;
    schedulePresence();
}

void SyncClient::setVrPose(const VrPose& pose)
{
    const PackedVrPose packed = packVrPose(pose);
    if (m_out.vr == packed)
        return;
    m_out.vr = packed;
    m_out.vrDirty = true;
    schedulePresence();
}

void SyncClient::setSelection(std::vector<EntityId> selected)
{
    std::sort(selected.begin(), selected.end());
    selected.erase(std::unique(selected.begin(), selected.end()), selected.end());
    if (selected == m_out.selection)
        return;
    m_out.selection = std::move(selected);
    m_out.selectionDirty = true;
    schedulePresence();
}

void SyncClient::setPresenceState(PresenceState state)
{
    if (m_out.status.state == state)
        return;
    m_out.status.state = state;
    m_out.statusDirty = true;
    schedulePresence();
}

void SyncClient::setView(std::optional<View> view)
{
    if (view && (!view->eye.isFinite() || !view->target.isFinite()))
        return;
    if (m_out.status.view == view)
        return;
    m_out.status.view = view;
    m_out.statusDirty = true;
    schedulePresence();
}

void SyncClient::setVrPlacement(std::optional<Placement> placement)
{
    if (m_out.status.placement == placement)
        return;
    m_out.status.placement = placement;
    m_out.status.inVr = m_options.inVr || placement.has_value();
    m_out.statusDirty = true;
    schedulePresence();
}

void SyncClient::dragTo(const std::vector<PositionsBatch::Entry>& positions)
{
    for (const PositionsBatch::Entry& e : positions) {
        if (!e.position.isFinite() || e.node.isNull())
            continue;
        auto [it, added] = m_out.drag.try_emplace(e.node, e.position);
        if (added || it->second != e.position) {
            it->second = e.position;
            m_out.dragDirty.insert(e.node);
        }
    }
    schedulePresence();
}

void SyncClient::endDrag()
{
    const bool sent = m_out.dragSent;
    m_out.drag.clear();
    m_out.dragDirty.clear();
    m_out.dragSent = false;
    if (sent && m_welcome)
        queueMessage(PositionsBatch {}); // after the commit: the others clear their overlay
}

void SyncClient::presenceOnJoin()
{
    // The server forgot this connection's presence with the last one: say it all again.
    const std::int64_t past = -1'000'000;
    m_out.statusDirty = true;
    m_out.statusSentMs = past;
    m_out.cursorDirty = m_out.cursor.has_value();
    m_out.cursorSentMs = past;
    m_out.vrDirty = m_out.vr.has_value();
    m_out.vrSentMs = past;
    m_out.selectionDirty = !m_out.selection.empty();
    m_out.selectionSentMs = past;
    for (const auto& [node, position] : m_out.drag)
        m_out.dragDirty.insert(node);
    m_out.dragSentMs = past;
    schedulePresence();
}

void SyncClient::schedulePresence()
{
    if (!m_welcome)
        return;
    std::int64_t due = std::numeric_limits<std::int64_t>::max();
    auto consider = [&](bool dirty, std::int64_t sentMs, int hz) {
        if (dirty)
            due = std::min(due, sentMs + 1000 / std::max(1, hz));
    };
    consider(m_out.cursorDirty, m_out.cursorSentMs, m_options.presenceHz);
    consider(m_out.vrDirty, m_out.vrSentMs, m_options.presenceHz);
    consider(!m_out.dragDirty.empty(), m_out.dragSentMs, m_options.dragHz);
    consider(m_out.selectionDirty, m_out.selectionSentMs, 10);
    consider(m_out.statusDirty, m_out.statusSentMs, 4);
    if (due == std::numeric_limits<std::int64_t>::max())
        return;
    const int delay = int(std::clamp<std::int64_t>(due - RemotePresence::nowMs(), 0, 60'000));
    if (!m_presenceTimer->isActive() || m_presenceTimer->remainingTime() > delay)
        m_presenceTimer->start(delay);
}

void SyncClient::sendDragBatch(bool all)
{
    std::vector<PositionsBatch::Entry> entries;
    if (all) {
        for (const auto& [node, position] : m_out.drag)
            entries.push_back({node, position});
    } else {
        for (const EntityId node : m_out.dragDirty)
            if (auto it = m_out.drag.find(node); it != m_out.drag.end())
                entries.push_back({node, it->second});
    }
    m_out.dragDirty.clear();
    for (std::size_t i = 0; i < entries.size(); i += MaxPositionsPerBatch) {
        PositionsBatch batch;
        batch.entries.assign(entries.begin() + std::ptrdiff_t(i),
                             entries.begin() + std::ptrdiff_t(std::min(entries.size(), i + MaxPositionsPerBatch)));
        queueMessage(batch);
    }
    m_out.dragSent = m_out.dragSent || !entries.empty();
    m_out.dragSentMs = RemotePresence::nowMs();
}

void SyncClient::sendPresence()
{
    if (!m_welcome)
        return;
    const std::int64_t now = RemotePresence::nowMs();
    auto due = [&](bool dirty, std::int64_t sentMs, int hz) { return dirty && now - sentMs >= 1000 / std::max(1, hz); };
    if (due(m_out.statusDirty, m_out.statusSentMs, 4)) {
        queueMessage(m_out.status);
        m_out.statusDirty = false;
        m_out.statusSentMs = now;
    }
    if (due(m_out.cursorDirty, m_out.cursorSentMs, m_options.presenceHz) && m_out.cursor) {
        UserPosition p;
        p.position = *m_out.cursor;
        queueMessage(p);
        m_out.cursorDirty = false;
        m_out.cursorSentMs = now;
    }
    if (due(m_out.vrDirty, m_out.vrSentMs, m_options.presenceHz) && m_out.vr) {
        VrPresence v;
        v.pose = *m_out.vr;
        queueMessage(v);
        m_out.vrDirty = false;
        m_out.vrSentMs = now;
    }
    if (due(m_out.selectionDirty, m_out.selectionSentMs, 10)) {
        SelectionUpdate s;
        s.selected = m_out.selection;
        queueMessage(s);
        m_out.selectionDirty = false;
        m_out.selectionSentMs = now;
    }
    if (due(!m_out.dragDirty.empty(), m_out.dragSentMs, m_options.dragHz))
        sendDragBatch(false);
    schedulePresence();
}

// ---- administration ----------------------------------------------------------------------

bool SyncClient::setRoomAccessKey(const QString& key)
{
    if (!m_welcome)
        return false;
    if (key.isEmpty()) {
        SetAccessKey remove;
        remove.remove = true;
        queueMessage(remove);
        QMetaObject::invokeMethod(this, &SyncClient::accessKeySent, Qt::QueuedConnection);
        return true;
    }
    const std::uint64_t connection = m_connection;
    m_workers.start([this, connection, key] {
        const scram::Verifier v = scram::makeVerifier(key, randomBytes(scram::SaltBytes), scram::DefaultIterations);
        QMetaObject::invokeMethod(this, [this, connection, v] {
            if (connection != m_connection)
                return;
            SetAccessKey set;
            set.salt = v.salt.toStdString();
            set.iterations = std::uint32_t(v.iterations);
            set.storedKey = v.storedKey.toStdString();
            set.serverKey = v.serverKey.toStdString();
            queueMessage(set);
            Q_EMIT accessKeySent();
        }, Qt::QueuedConnection);
    });
    return true;
}

bool SyncClient::setRole(UserId user, Role role)
{
    if (!m_welcome)
        return false;
    queueMessage(SetRole {user, role});
    return true;
}

bool SyncClient::removeUser(UserId user)
{
    if (!m_welcome)
        return false;
    queueMessage(RemoveUser {user});
    return true;
}

bool SyncClient::saveVersion(const std::string& name)
{
    if (!m_welcome || name.empty() || !isValidName(name))
        return false;
    queueMessage(SaveVersion {name});
    return true;
}

bool SyncClient::listVersions()
{
    if (!m_welcome)
        return false;
    queueMessage(ListVersions {});
    return true;
}

bool SyncClient::fetchVersion(VersionId id)
{
    if (!m_welcome || id == 0)
        return false;
    queueMessage(FetchVersion {id});
    return true;
}

} // namespace constellate::net
