#pragma once

#include "metrics.h"
#include "tlscredentials.h"

#include <QHostAddress>
#include <QObject>
#include <QThreadPool>
#include <QString>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <vector>

class QThread;
class QWebSocket;

namespace constellate {
class Transaction;
namespace net::protocol {
struct DecodeError;
struct PresenceStatus;
struct Welcome;
}
}

namespace constellate::net {

class FanOutWriter;
class HttpFrontDoor;
struct LogRead;
class StorageWorker;
struct CompressedSnapshot;

/// How a server runs: what `constellate-server` takes on its command line, and what the
/// editor's host mode (#5) sets.
struct ServerOptions {
    QHostAddress bind = QHostAddress::Any;
    quint16 port = 7878;          ///< 0: any free port (see SyncServer::port())
    QString dataDir;              ///< rooms live in DATA_DIR/rooms/NAME.sqlite
    int maxClients = 1000;
    std::size_t maxMessageBytes = 1024 * 1024;
    /// A client whose unsent data passes this first loses stale presence, then, past four
    /// times it, the connection (it resumes later).
    std::size_t sendQueueBytes = 4 * 1024 * 1024;
    int pingIntervalMs = 15'000;
    int peerTimeoutMs = 45'000;   ///< nothing heard for this long: dropped
    int helloTimeoutMs = 10'000;  ///< a connection that says nothing useful is closed
    /// Committed transactions between snapshots (the log is compacted into them).
    std::uint64_t snapshotEvery = 20'000;
    /// Presence messages per second per client and type that are relayed (more are dropped).
    int presenceHz = 120;
    /// Messages per second a client may send before it is told to slow down.
    int messagesPerSecond = 5'000;
    /// Certificate and key for wss:// and https:// on the one port; empty: ws:// and http://.
    TlsCredentials tls;
    /// A turn with frames for at least this many plain-TCP recipients is written on two
    /// threads (FanOutWriter); 0 keeps every write on the relay thread.
    std::size_t parallelFanOutFrom = 64;
    /// A joined user who sends no edit or presence for this long is announced away (a
    /// PRESENCE_STATUS on their behalf) until they do; 0: never.
    int awayAfterMs = 120'000;
    /// Storage threads; each room's store lives on one of them (by its name's hash), so that
    /// busy rooms' commits, each with its own fsync, overlap instead of queueing.
    int storageThreads = 4;
};

/// The sync server: rooms of clients over WebSockets, every accepted transaction
/// sequenced, relayed at once, committed to the room's SQLite database on a storage
/// thread and acknowledged after the commit. HTTP on the same port: /healthz, /metrics.
/// See docs/protocol.md for what goes over the wire and docs/architecture.md for why.
class SyncServer : public QObject {
    Q_OBJECT
public:
    explicit SyncServer(ServerOptions options, QObject* parent = nullptr);
    ~SyncServer() override;

    bool start(QString* error);
    quint16 port() const;
    const ServerMetrics& metrics() const { return m_metrics; }
    /// Stops accepting, commits what is pending, closes every connection with a reason,
    /// then calls `done` (on this object's thread).
    void shutdown(std::function<void()> done);

Q_SIGNALS:
    /// Who is in a room changed (a join or a leave), or its access key was set or removed:
    /// `people` connected now, `accessKey` whether joiners need one, the room's epoch. Host
    /// mode announces this on the LAN (ui/, net/lanbeacon.h).
    void roomChanged(const QString& room, int people, bool accessKey, quint64 epoch);

private:
    struct Session;
    struct Room;
    void onConnected(QWebSocket* socket);
    void onFrame(Session& s, const QByteArray& frame);
    void handleMessage(Session& s, std::uint8_t type, std::string_view body);
    void handleHello(Session& s, std::string_view body);
    void finishJoin(Session& s, Room& room, bool created, const QString& ownerToken);
    void deltasReady(QWebSocket* socket, std::uint64_t serial, const QString& roomName, std::uint64_t through,
                     protocol::Welcome welcome, std::optional<LogRead> read);
    void announceJoin(Session& s, Room& room, bool created);
    void insertHeld(Session& s, const std::string& bytes, std::size_t messages);
    void markDirty(Session& s);
    void handleTransactionBytes(Session& s, std::string bytes);
    void acceptTransaction(Session& s, constellate::Transaction t);
    void malformedTransaction(Session& s, const protocol::DecodeError& e, std::uint8_t type);
    void relayPresence(Session& s, std::uint8_t type, std::string_view body);
    void announceStatus(Session& s, protocol::PresenceStatus status);
    void handleAdmin(Session& s, std::uint8_t type, std::string_view body);
    void sendError(Session& s, int code, const std::string& message, std::uint8_t about = 0, bool fatal = false);
    void queue(Session& s, std::string_view message, bool presence = false);
    void scheduleFlush();
    void flush();
    static std::size_t frameHeader(unsigned char* header, std::uint64_t payloadSize);
    void finishTurn(Session& s);
    static std::int64_t backlog(const Session& s);
    void drop(Session& s, int closeCode, const QString& reason);
    void leave(Session& s, int leaveReason);
    void emitRoomChanged(const Room& room);
    void openRoom(const QString& name, bool create, Session& s);
    void commitDone(Room& room, std::uint64_t committed, const std::string& error, std::uint64_t firstFailed,
                    std::uint64_t lastFailed);
    void sendSnapshot(Session& s, Room& room);
    /// `joinerWaits`: compressed on every core; else (made ahead) on one.
    void startSnapshot(Room& room, bool joinerWaits);
    void prepareSnapshotWhenQuiet(Room& room);
    /// Encodes the room's current snapshot here and compresses it on m_compressors with
    /// `threads`; there `alsoOnPool` (if any) gets it, then snapshotReady() here.
    void compressSnapshotOffThread(Room& room, int threads,
                                   std::function<void(const std::shared_ptr<const CompressedSnapshot>&)> alsoOnPool);
    void snapshotReady(const QString& roomName, std::uint64_t seq, const std::string& compressed);
    /// Runs `store` on the storage thread with the room's current snapshot, compressed: the
    /// one made for joins when it is current, else one compressed on m_compressors (which
    /// then serves joins too). The storage thread never compresses: that would hold up every
    /// room's commits for as long as it takes.
    void storeSnapshot(Room& room, std::function<void(StorageWorker&, const CompressedSnapshot&)> store);
    void tick();
    Room* roomOf(const QString& name);
    /// The session of `socket` if it is still connection number `serial`, else null.
    Session* sessionOf(QWebSocket* socket, std::uint64_t serial);

    ServerOptions m_options;
    ServerMetrics m_metrics;
    HttpFrontDoor* m_door = nullptr;
    std::unique_ptr<FanOutWriter> m_fanOut;
    QThreadPool m_compressors; ///< snapshot compression, off the relay thread
    /// The storage thread of a room's store.
    StorageWorker* storageFor(const QString& room) const;
    std::vector<QThread*> m_storageThreads;
    std::vector<StorageWorker*> m_storageWorkers;
    std::map<QWebSocket*, std::unique_ptr<Session>> m_sessions;
    std::map<QString, std::unique_ptr<Room>> m_rooms;
    std::vector<QWebSocket*> m_dirty; ///< sessions with something in `out`
    std::uint64_t m_sessionSerial = 0; ///< the last Session::serial given
    bool m_flushScheduled = false;
    bool m_shuttingDown = false;
};

} // namespace constellate::net
