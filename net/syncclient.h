#pragma once

#include "graphdocument.h"
#include "journal.h"
#include "nodemove.h"
#include "protocol.h"
#include "reconnectbackoff.h"
#include "remotepresence.h"
#include "roundtriptimes.h"

#include <QByteArray>
#include <QDateTime>
#include <QElapsedTimer>
#include <QList>
#include <QObject>
#include <QSslCertificate>
#include <QString>
#include <QThreadPool>
#include <QUrl>

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

class QTimer;
class QWebSocket;

namespace constellate::net {

class JournalWriter;

/// How a SyncClient joins and behaves. The user and replica ids are the document's.
struct SyncClientOptions {
    QUrl url;                  ///< ws://HOST:PORT/rooms/NAME
    std::string displayName;   ///< at most 64 bytes of UTF-8, no control characters
    Rgba color = 0x4e79a7ff;
    protocol::Role role = protocol::Role::Editor; ///< requested; Owner needs ownerToken (or createRoom)
    bool createRoom = false;   ///< create it on the first connection (ROOM_EXISTS if it exists)
    /// When a room this client held a replica of is gone (a server whose data directory was
    /// replaced), create it again from this replica (docs/protocol.md, "A new epoch").
    bool recreateIfGone = true;
    std::string ownerToken;    ///< proves ownership; a created room's arrives by ownerTokenReceived
    QString accessKey;         ///< answers the room's access-key challenge (SCRAM; never sent)
    bool inVr = false;
    /// Where the journal lives (the profile's directory); empty: no journal, so pending
    /// operations live in memory only and do not survive a restart.
    QString journalDir;

    int initialRetryMs = 1000;  ///< reconnect backoff: from this, doubling ...
    int maxRetryMs = 30'000;    ///< ... up to this, with jitter
    int stableAfterMs = 10'000; ///< online this long: the backoff starts over at the next loss
    int pingIntervalMs = 5000;
    std::size_t rttWindow = 32; ///< pings in the rolling median and 95th percentile
    int handshakeTimeoutMs = 20'000; ///< from opening the socket to WELCOME
    int silenceTimeoutMs = 60'000;   ///< nothing heard while joined: the connection is dead
    int presenceHz = 60;        ///< cursor and VR pose sends at most
    int dragHz = 60;            ///< POSITIONS_BATCH sends at most
    int presenceDelayMs = 100;  ///< RemotePresence's interpolation delay
    int transientExpiryMs = 5000; ///< a remote drag's positions without a refresh are dropped
    std::size_t maxMessageBytes = protocol::DefaultMaxMessageBytes; ///< both ways; larger transactions go in chunks
    std::size_t maxSnapshotBytes = std::size_t(1) << 30;             ///< uncompressed
    std::size_t historyBytes = 32u * 1024 * 1024; ///< own acknowledged transactions kept to restore a new epoch
    bool watchNetwork = true;   ///< reconnect at once when QNetworkInformation says the network is back
    /// wss://: certificates trusted besides the system's (a self-signed server's own).
    QList<QSslCertificate> caCertificates;
    protocol::VersionRange versions = protocol::SupportedVersions; ///< tests only
};

/// What changed in the document, for views: the entities created or written (the same id
/// may appear more than once), or `everything` after a snapshot was merged.
struct DocumentChange {
    enum class Source : std::uint8_t {
        Local,    ///< submit(): this user's own edit
        Remote,   ///< other replicas' transactions from the server
        Snapshot, ///< a snapshot was merged (joining, a compacted log, a new epoch)
        Journal,  ///< pending transactions re-applied from the journal at start
    };
    Source source = Source::Remote;
    std::vector<EntityId> entities;
    bool positionsOnly = true; ///< every write was a node position (a renderer's fast path)
    bool everything = false;
};

/// Someone else in the room, as USER_JOINED and their presence describe them.
struct PeerInfo {
    protocol::PeerIndex peer = 0;
    UserId user = 0;
    ReplicaId replica = 0;
    QString name;
    Rgba color = 0;
    protocol::Role role = protocol::Role::Editor;
    bool inVr = false;
    protocol::PresenceState state = protocol::PresenceState::Online;
    std::optional<protocol::View> view;
    std::optional<protocol::Placement> placement; ///< maps their VR pose into the graph
    std::vector<EntityId> selection;
    std::int64_t selectionAtMs = 0; ///< RemotePresence::nowMs() of its last renewal
};

/// A node's position during someone else's drag or layout (never stored).
struct TransientPosition {
    Vec3 position;
    protocol::PeerIndex peer = 0;
    std::int64_t receivedMs = 0; ///< RemotePresence::nowMs()
};

/// The client side of sync (docs/architecture.md, "Client library"): joins a room over a
/// WebSocket, keeps the caller's GraphDocument in step with it, and never makes the caller
/// wait for the network. Local transactions are applied at once, journaled on disk until
/// the server acknowledges them, and sent; everyone else's are merged as they arrive.
/// Connections that drop are resumed with backoff; handshake refusals stop and say why.
///
/// Lives on one thread with an event loop (a widget app's main thread, or a
/// QCoreApplication for a command-line tool), like the document it references, which
/// must outlive it. Nothing here blocks that thread on the network or the disk: sockets
/// are asynchronous, the journal is written on its own thread, key derivation runs on a
/// worker.
class SyncClient : public QObject {
    Q_OBJECT
public:
    enum class State {
        Offline,      ///< not trying: before start(), after stop(), or after a refusal (see failed())
        Connecting,   ///< opening the socket, handshake
        Resyncing,    ///< joined; catching up (snapshot, deltas, version vectors) and re-sending
        Online,       ///< in step: edits travel as they are made
        Reconnecting, ///< waiting for the next try (nextRetry())
    };
    Q_ENUM(State)
    /// Codes of failed() and problem() that are not the protocol's (those are below 1000).
    enum ClientCode : int {
        JournalFailed = 1000,     ///< the journal cannot be read or written
        CounterReuse = 1001,      ///< the document would reuse operation ids the journal saw
        ServerNotVerified = 1002, ///< the server could not prove it holds the room's access key
        InvalidUrl = 1003,        ///< not ws://HOST:PORT/rooms/NAME
        ConnectionLost = 1004,    ///< the socket failed or closed (transient)
        NoAnswer = 1005,          ///< handshake or liveness timeout (transient)
        ProtocolViolation = 1006, ///< the server sent what cannot be decoded or applied (transient)
        CertificateNotTrusted = 1007, ///< wss://: the server's certificate does not check out
    };

    /// Opens the journal (if options.journalDir is set) and applies its pending
    /// transactions to `document` at once, so that they are there before any new local
    /// edit. Use a document whose counters are reserved (FileCounterReservation) when a
    /// replica id is used again after a restart.
    SyncClient(GraphDocument& document, SyncClientOptions options, QObject* parent = nullptr);
    /// Writes the journal out and closes the connection (pending transactions stay journaled).
    ~SyncClient() override;

    // ---- connection ---------------------------------------------------------------------
    void start();
    void stop();
    /// Tries now instead of at nextRetry() (a "reconnect" button; also when the network returns).
    void reconnectNow();
    /// Drops the connection as a network failure would (tests, "reconnect" menus); it
    /// reconnects with backoff.
    void abortConnection();
    /// Follows the room to another server: a host handover (docs/architecture.md, "LAN
    /// sessions and handover"). The document, the pending edits, the history and the resume
    /// point stay; the next HELLO goes to `url` (the same room name) with this replica's
    /// resume point, so a server of another epoch syncs by version vector and only what it
    /// lacks is sent. `ownerToken` and `role` are what to ask for there. Connects at once
    /// (also after stop() or a failure). False (and nothing changes) when `url` names another room.
    bool moveTo(const QUrl& url, const std::string& ownerToken, protocol::Role role);

    State state() const { return m_state; }
    QDateTime nextRetry() const { return m_nextRetry; }
    /// The last problem or failure (code and message) for a status line.
    int lastErrorCode() const { return m_lastErrorCode; }
    QString lastError() const { return m_lastError; }
    const RoundTripTimes& roundTripTimes() const { return m_rtt; }

    const SyncClientOptions& options() const { return m_options; }
    const std::string& roomName() const { return m_room; }
    GraphDocument& document() { return m_doc; }
    protocol::Role role() const { return m_role; }
    protocol::PeerIndex peerIndex() const { return m_peer; }
    /// The owner token of a room this client created (or the one it was given).
    const std::string& ownerToken() const { return m_ownerToken; }
    /// Where the next connection resumes (epoch 0: it joins as a newcomer).
    const ResumePoint& resumePoint() const { return m_resume; }

    // ---- editing ------------------------------------------------------------------------
    /// A local transaction, made on this document by GraphDocument::commit or
    /// UndoHistory::commit (applied here if it was not): journaled, then sent, or kept until
    /// the connection is back. One transaction is one undo step and travels whole (in
    /// chunks with uploadProgress when larger than a message).
    void submit(const Transaction& transaction);
    /// GraphDocument::commit, then submit().
    Transaction commit(TransactionBuilder& builder);
    /// Local transactions not acknowledged yet.
    std::size_t pendingCount() const { return m_pending.size(); }

    // ---- presence out: throttled, coalesced (only the latest matters) ------------------------
    void setCursor(Vec3 position);
    void setVrPose(const protocol::VrPose& pose);
    void setSelection(std::vector<EntityId> selected);
    void setPresenceState(protocol::PresenceState state);
    void setView(std::optional<protocol::View> view);
    void setVrPlacement(std::optional<protocol::Placement> placement);

    // ---- live drag ----------------------------------------------------------------------
    /// Transient positions while dragging (or laying out): sent at up to dragHz, never
    /// stored. The release is an ordinary transaction (submit), then endDrag().
    void dragTo(const std::vector<protocol::PositionsBatch::Entry>& positions);
    /// Ends the drag: unsent positions are dropped and the others clear their overlay.
    void endDrag();

    // ---- presence in ------------------------------------------------------------------
    const std::map<protocol::PeerIndex, PeerInfo>& peers() const { return m_peers; }
    /// Smoothed cursors and VR poses of the others, for the renderer's display time.
    const RemotePresence& remotePresence() const { return m_remotePresence; }
    /// Nodes others are dragging right now, with their transient positions: draw these
    /// instead of the document's until they disappear (on the commit, or when the dragger
    /// ends or leaves).
    const std::unordered_map<EntityId, TransientPosition>& transientPositions() const { return m_transient; }

    // ---- room administration (false when not joined) ----------------------------------------
    /// Owner: sets the room's access key (only a SCRAM verifier leaves this machine), or
    /// removes it when `key` is empty.
    bool setRoomAccessKey(const QString& key);
    bool setRole(UserId user, protocol::Role role);
    bool removeUser(UserId user);
    bool saveVersion(const std::string& name);
    bool listVersions();
    bool fetchVersion(protocol::VersionId id);

Q_SIGNALS:
    /// `nextRetry` is valid in Reconnecting.
    void stateChanged(constellate::net::SyncClient::State state, const QDateTime& nextRetry);
    /// Fatal: the client stopped (Offline) and will not retry by itself; show the message.
    /// `code`: a protocol ErrorCode, or a ClientCode.
    void failed(int code, const QString& message);
    /// Transient: retried or carried on (a status line's business).
    void problem(int code, const QString& message);
    void documentChanged(const constellate::net::DocumentChange& change);
    /// One transaction from elsewhere that changed the document (not a duplicate), in the
    /// order applied: for an event log (`constellate-cli watch`) or latency measurements.
    /// `origin`: the sender's peer index (0: from the log); `seq`: the room's number.
    void transactionApplied(const constellate::Transaction& transaction, constellate::net::protocol::PeerIndex origin,
                            quint64 seq);
    /// Another user's write replaced one of this user's that they had not seen.
    void conflictsDetected(const std::vector<constellate::Conflict>& conflicts);
    /// The server will never accept this local transaction (a viewer's edit, ...): it was
    /// dropped from the journal; the document still holds it until the editor reverts it.
    void transactionRefused(constellate::OpId firstOp, int code, const QString& message);
    /// A local transaction is durably committed on the server.
    void acknowledged(constellate::OpId firstOp, quint64 sequence);
    void allAcknowledged();
    /// A chunked local transaction being sent (bytes handed to the socket of `total`).
    void uploadProgress(quint64 sent, quint64 total);
    /// A chunked snapshot or transaction arriving.
    void downloadProgress(quint64 received, quint64 total);
    void roundTripTimeMeasured(double milliseconds);
    void peerJoined(const constellate::net::PeerInfo& peer);
    void peerLeft(const constellate::net::PeerInfo& peer, constellate::net::protocol::LeaveReason reason);
    /// Presence status, selection or role of a peer changed.
    void peerChanged(constellate::net::protocol::PeerIndex peer);
    /// A remote cursor or VR pose arrived (draw RemotePresence at display rate).
    void presenceReceived(constellate::net::protocol::PeerIndex peer);
    void transientPositionsChanged();
    void roleChanged(constellate::net::protocol::Role role);
    /// Keep it in the profile: it proves ownership of the room later.
    void ownerTokenReceived(const QString& token);
    /// setRoomAccessKey()'s SET_ACCESS_KEY is on its way (the verifier takes a moment to
    /// derive): what is sent after this reaches the server after it.
    void accessKeySent();
    void versionsListed(const std::vector<constellate::net::protocol::VersionInfo>& versions);
    /// A fetched named version: GraphDocument::encodeSnapshot bytes (uncompressed).
    void versionFetched(constellate::net::protocol::VersionId id, const QByteArray& snapshot);

private:
    struct Pending {
        Transaction transaction;
        bool sent = false;    ///< on this connection
        bool refused = false; ///< on this connection, for a reason that may pass
    };
    struct Upload {
        OpId first;
        std::vector<std::string> chunks;
        std::size_t next = 0;
        std::uint64_t total = 0;
        std::uint64_t sent = 0;
    };
    enum class LossKind { Transient, Fatal, Stopped };

    // connection
    void setState(State s);
    void connectNow();
    void onSocketConnected();
    void onSocketClosed(const QString& why);
    void dropConnection(LossKind kind, int code, const QString& message, bool retryAtOnce = false);
    void resetConnectionState();
    void scheduleRetry(bool atOnce);
    void sendHello();
    void housekeeping();
    void sendPing(bool barrier);
    void fail(int code, const QString& message);
    void report(int code, const QString& message);

    // outgoing
    template<typename M>
    void queueMessage(const M& m);
    void queueEncoded(std::string message);
    void scheduleFlush();
    void flushOutbox();
    void queueTransaction(OpId first);
    void pumpTransactions();
    void pumpUpload();
    bool onlyAnnotations(const Transaction& t) const;
    void journalAppend(const Transaction& t);
    void flushJournalBatch();
    void saveResumePoint(bool force);

    // incoming
    void onFrame(const QByteArray& frame);
    void handle(protocol::Message& m);
    void onWelcome(const protocol::Welcome& w);
    void onError(const protocol::Error& e);
    void onAck(const protocol::Ack& a);
    void onSnapshotChunk(const protocol::SnapshotChunk& c);
    void onServerVector(const VersionVector& server);
    void onPong(std::uint64_t value);
    void applyRemote(const Transaction& t, RoomSequence seq, protocol::PeerIndex origin);
    void noteHeld(RoomSequence seq);
    void updateResume();
    void checkResynced();
    void noteChange(DocumentChange& change, const Transaction& t) const;
    void clearTransientFor(const Transaction& t);
    void emitFrameChanges();
    void retryRefused(int delayMs);

    // presence
    void schedulePresence();
    void sendPresence();
    void presenceOnJoin();
    void sendDragBatch(bool all);

    GraphDocument& m_doc;
    SyncClientOptions m_options;
    std::string m_room;
    std::unique_ptr<JournalWriter> m_journal;
    QThreadPool m_workers; ///< key derivation; waited for in the destructor

    std::vector<std::pair<int, QString>> m_startupProblems; ///< reported by start()
    std::optional<std::pair<int, QString>> m_fatalAtStart;

    // connection
    State m_state = State::Offline;
    QDateTime m_nextRetry;
    QWebSocket* m_socket = nullptr;
    std::uint64_t m_connection = 0; ///< numbers attempts: late callbacks of old ones are ignored
    bool m_stopped = true;
    bool m_create = false;
    bool m_everJoined = false;
    int m_recreateAttempts = 0;
    int m_roleRetries = 0;
    std::int64_t m_replicaTakenSinceMs = 0;
    protocol::Role m_requestRole;
    protocol::Role m_role;
    std::string m_ownerToken;
    ReconnectBackoff m_backoff;
    QTimer* m_retryTimer = nullptr;
    QTimer* m_pingTimer = nullptr;
    QTimer* m_housekeeping = nullptr;
    QTimer* m_presenceTimer = nullptr;
    QElapsedTimer m_attemptClock;  ///< since the socket was opened
    QElapsedTimer m_lastHeard;     ///< since the last frame arrived
    QElapsedTimer m_onlineClock;   ///< since Online
    int m_lastErrorCode = 0;
    QString m_lastError;
    std::optional<int> m_lossCode; ///< a fatal ERROR's classification, before the socket closes
    RoundTripTimes m_rtt;

    // handshake and catch-up, per connection
    std::optional<protocol::Welcome> m_welcome;
    protocol::PeerIndex m_peer = 0;
    std::optional<protocol::Resume> m_helloResume;
    std::string m_expectedSignature; ///< after a PROOF
    bool m_challenged = false;
    bool m_awaitingSnapshot = false;
    bool m_awaitingServerVector = false;
    std::uint64_t m_barrier = 0; ///< the PING whose PONG ends the catch-up
    bool m_barrierDone = false;
    std::optional<RoomSequence> m_connHeld; ///< every transaction up to here is in the document
    RoomSequence m_connCommitted = 0;
    RoomSequence m_highestDelta = 0;
    protocol::StreamState m_streams;
    protocol::ReplicaStream m_outbound;
    protocol::ChunkAssembler m_snapshotChunks;
    protocol::ChunkAssembler m_versionChunks;
    protocol::ChunkAssembler m_txChunks;

    // resume
    ResumePoint m_resume;
    bool m_resumeDirty = false;
    QElapsedTimer m_resumeSaved;

    // local transactions
    std::map<OpId, Pending> m_pending;
    std::map<OpId, Transaction> m_history; ///< acknowledged, for a new epoch
    std::deque<OpId> m_historyOrder;
    std::size_t m_historyBytes = 0;
    std::deque<OpId> m_sendQueue;
    std::optional<Upload> m_upload;
    std::vector<Transaction> m_journalBatch;
    bool m_journalFlushScheduled = false;
    QTimer* m_refusedRetry = nullptr;

    // outgoing frame
    std::vector<std::string> m_outbox;
    bool m_flushScheduled = false;

    // incoming, gathered per frame
    std::optional<DocumentChange> m_frameChange;
    std::vector<Conflict> m_frameConflicts;
    struct Applied {
        Transaction transaction;
        protocol::PeerIndex origin;
        RoomSequence seq;
    };
    std::vector<Applied> m_frameApplied; ///< only while transactionApplied has a receiver
    bool m_transientChanged = false;

    // presence
    std::map<protocol::PeerIndex, PeerInfo> m_peers;
    RemotePresence m_remotePresence;
    std::unordered_map<EntityId, TransientPosition> m_transient;
    struct Outgoing {
        std::optional<Vec3> cursor;
        bool cursorDirty = false;
        std::int64_t cursorSentMs = -1'000'000;
        std::optional<protocol::PackedVrPose> vr;
        bool vrDirty = false;
        std::int64_t vrSentMs = -1'000'000;
        std::vector<EntityId> selection;
        bool selectionDirty = false;
        std::int64_t selectionSentMs = -1'000'000;
        protocol::PresenceStatus status;
        bool statusDirty = false;
        std::int64_t statusSentMs = -1'000'000;
        std::map<EntityId, Vec3> drag;      ///< the latest position of every dragged node
        std::set<EntityId> dragDirty;       ///< moved since the last batch
        bool dragSent = false;              ///< a batch went out in this drag
        std::int64_t dragSentMs = -1'000'000;
    } m_out;
};

} // namespace constellate::net
