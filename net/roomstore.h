#pragma once

#include "scram.h"
#include "types.h"

#include <QString>
#include <QStringList>
#include <QStringView>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace constellate {
class GraphDocument;
class Transaction;
class VersionVector;
} // namespace constellate

namespace constellate::net {

/// A room's sequence number: the order in which the server accepted transactions. 1 is the
/// first; 0 means "before everything". Never reused for committed data.
using RoomSequence = std::uint64_t;

/// What a user may do in a room. The numbers are stored in room databases: never renumber.
enum class RoomRole : std::uint8_t {
    Viewer = 1, ///< reads, sends presence
    Editor = 2, ///< also edits and saves named versions
    Owner = 3, ///< also changes roles, removes users, sets the access key
};
const char* roleName(RoomRole role);
std::optional<RoomRole> roleFromNumber(int number);

/// A user known to a room.
struct RoomMember {
    UserId user = 0;
    RoomRole role = RoomRole::Viewer;
    QString displayName;
    friend bool operator==(const RoomMember&, const RoomMember&) = default;
};

/// What append() did with a transaction.
struct AppendResult {
    /// The transaction's sequence number. For a duplicate: the one it already has, or, when
    /// the original was compacted into a snapshot, the compaction point (it is in the room
    /// at or before that number).
    RoomSequence seq = 0;
    bool duplicate = false;
};

/// One transaction of the log, as its encoded bytes (model/transaction.h).
struct LoggedTransaction {
    RoomSequence seq = 0;
    std::string bytes;
};

/// What opsAfter() found.
struct LogRead {
    std::vector<LoggedTransaction> transactions; ///< in sequence order; gaps are possible
    /// True when transactions after the asked-for number were compacted away: send the
    /// latest snapshot (and what follows it) instead.
    bool compacted = false;
};

/// The room's state after every transaction up to `seq` (GraphDocument::encodeSnapshot).
struct StoredSnapshot {
    bool exists = false; ///< false: no snapshot saved yet
    RoomSequence seq = 0;
    std::string bytes; ///< uncompressed
};

/// Snapshot bytes compressed as the store keeps them, which is also how the wire's
/// Compression::Zlib carries them: qCompress's format, the raw size (big-endian) in the
/// first four bytes, then one zlib stream (protocol::compressSnapshot writes it). The server
/// compresses off the storage thread and hands the store this, so that compressing a large
/// room (0.3 s at 100,000 nodes) never holds up every room's commits.
struct CompressedSnapshot {
    std::string data;
    /// The size the data uncompresses to, from its header; -1 when it has none.
    qint64 rawBytes() const;
};

/// A named version as stored.
struct StoredVersion {
    RoomSequence seq = 0;
    CompressedSnapshot snapshot;
};

/// A named version as listed (its bytes come from RoomStore::version()).
struct RoomVersionInfo {
    qint64 id = 0;
    QString name;
    UserId author = 0;
    qint64 createdMs = 0; ///< milliseconds since the Unix epoch
    RoomSequence seq = 0; ///< the room's sequence number the version was saved at
};

/// Sizes for /metrics and `rooms list`.
struct RoomStats {
    RoomSequence committedSeq = 0;
    RoomSequence compactedThrough = 0;
    std::uint64_t logTransactions = 0; ///< transactions held in the log (not compacted)
    std::uint64_t logOperations = 0; ///< their operations
    std::uint64_t logBytes = 0; ///< their encoded bytes
    std::uint64_t snapshotBytes = 0; ///< the latest snapshot, compressed
    std::uint64_t versions = 0;
    std::uint64_t versionBytes = 0; ///< compressed
    std::uint64_t fileBytes = 0; ///< pages in use times page size (WAL included)
    std::uint64_t commits = 0; ///< successful commit() calls that wrote something, this process
    std::uint64_t failedCommits = 0; ///< this process
};

/// Durable storage of one room in one SQLite database file (Qt Sql, QSQLITE):
/// `DATA_DIR/rooms/<room name>.sqlite`, in WAL mode with synchronous=FULL, so that a
/// committed transaction survives a crash or power loss.
///
/// It holds the room's log (every accepted transaction, by sequence number), the latest
/// snapshot and compaction point, the members and their roles, owner tokens (hashed), the
/// access key's SCRAM verifier and named versions. The schema is versioned (meta table,
/// migrations applied in order at open); a file from a newer schema is refused.
///
/// Errors: every call that can fail takes a `QString* error` (may be null) and says on
/// failure what failed, in which file, with SQLite's message. Nothing here throws, and a
/// damaged or foreign file gives an error, never a crash.
///
/// Threads: Qt Sql lets a connection be used only on the thread that opened it, so create or
/// open the store on the thread that will use it (the server's storage thread) and use it
/// there only. Needs no event loop and no QCoreApplication. Each store has its own named
/// connection, removed in the destructor. Keep one store per room open at a time: sequence
/// numbers are handed out in memory.
///
/// Writing the log is two steps: append() numbers a transaction and queues it in memory
/// (the server may relay it at once), commit() writes everything queued in one SQLite
/// transaction (one fsync for all of them). If commit() fails (a full disk, an I/O error)
/// nothing of that batch is stored, the database stays as it was, and the queued
/// transactions are dropped: their senders get no acknowledgement and will re-send them.
/// Their sequence numbers are never handed out again by this store object (numbering
/// continues above every number it ever gave), so what the server relayed under a number
/// that failed is never confused with something else in this process. After a restart,
/// numbering continues after the highest committed number (so a number whose commit failed
/// may be given again then: it never named committed data). Clients must therefore resume
/// from the committed number they were told, never from a relayed one.
class RoomStore {
public:
    static constexpr int SchemaVersion = 1;
    static constexpr int MaxRoomNameLength = 128;
    static constexpr int MaxVersionNameLength = 200;
    static constexpr int BusyTimeoutMs = 5000;

    /// 1 to 128 characters of A-Z a-z 0-9 . _ - and not only dots (so never "." or "..").
    static bool isValidRoomName(QStringView name);
    /// DATA_DIR/rooms
    static QString roomsDir(const QString& dataDir);
    /// DATA_DIR/rooms/NAME.sqlite (the name is not checked here).
    static QString roomPath(const QString& dataDir, QStringView roomName);
    static bool roomExists(const QString& dataDir, QStringView roomName);

    /// Creates a room; fails if it exists. `owner` becomes its first member, with the owner
    /// role. The file appears complete or not at all (built under a temporary name, then
    /// renamed without replacing anything). With `initialSnapshot` (GraphDocument::
    /// encodeSnapshot bytes: a replica's copy with its operation ids and stamps, a host
    /// handover) the room starts as that state, stored as the snapshot at sequence 0, and
    /// the log continues after it; a snapshot that does not load fails the creation.
    static std::unique_ptr<RoomStore> create(const QString& dataDir, const QString& roomName, UserId owner,
        QString* error, std::string_view initialSnapshot = {});
    /// Opens an existing room; fails if it does not exist (and then creates nothing), if the
    /// file is not a room database, is damaged, or comes from a newer schema.
    static std::unique_ptr<RoomStore> open(const QString& dataDir, const QString& roomName, QString* error);
    /// The rooms in a data directory, sorted (none when the directory does not exist).
    static QStringList listRooms(const QString& dataDir);
    /// Deletes a room's files. The room must not be open anywhere.
    static bool deleteRoom(const QString& dataDir, const QString& roomName, QString* error);

    RoomStore(const RoomStore&) = delete;
    RoomStore& operator=(const RoomStore&) = delete;
    ~RoomStore();

    const QString& roomName() const { return m_roomName; }
    const QString& path() const { return m_path; }
    /// Random 64 bits made when the room's store was created; a new store has a new one.
    std::uint64_t epoch() const { return m_epoch; }
    int schemaVersion() const { return m_schemaVersion; }

    // ---- settings ---------------------------------------------------------------------
    /// Read back from SQLite: "wal" when all is well.
    QString journalMode() const;
    /// Read back from SQLite: 2 (FULL) when all is well; -1 on error.
    int synchronous() const;
    /// One line: journal_mode, synchronous, foreign_keys, busy_timeout, page_size, schema.
    QString settingsReport() const;
    /// Caps the database at about `maxBytes` (PRAGMA max_page_count; 0 removes the cap): a
    /// write past it fails as a full disk would. Not persistent: applies to this connection.
    bool setSizeLimit(qint64 maxBytes, QString* error);
    /// PRAGMA integrity_check over the whole file (slow on big rooms: administration).
    bool checkIntegrity(QString* error) const;

    // ---- the log ------------------------------------------------------------------------
    /// Numbers a transaction and queues it for commit(). A transaction whose (replica, first
    /// counter) is already stored, queued or compacted is not queued again: the result says
    /// duplicate. Fails on an empty transaction or when the database cannot be read.
    std::optional<AppendResult> append(const Transaction& t, QString* error);
    /// Writes everything queued in one SQLite transaction. Returns the highest committed
    /// sequence number (unchanged when nothing was queued). On failure: see the class comment.
    std::optional<RoomSequence> commit(QString* error);
    /// The highest sequence number stored durably.
    RoomSequence committedSeq() const { return m_committedSeq; }
    /// The highest number handed out by append() (committed, queued or failed).
    RoomSequence lastAssignedSeq() const { return m_lastAssigned; }
    std::size_t pendingCount() const { return m_pending.size(); }
    /// Transactions up to here were removed from the log; a snapshot covers them.
    RoomSequence compactedThrough() const { return m_compactedThrough; }
    /// Transactions after `seq`, in order, the appended ones not yet committed included
    /// (the relay has sent those too): at most `maxCount` (0: no limit) and, when
    /// `maxBytes` is not 0, no more once their bytes reach it (at least one). If the log
    /// was compacted past `seq`, returns none with `compacted` set.
    std::optional<LogRead> opsAfter(
        RoomSequence seq, std::size_t maxCount, QString* error, std::size_t maxBytes = 0) const;

    // ---- snapshots and compaction --------------------------------------------------------
    /// Stores the state after every transaction up to `seq` (bytes from
    /// GraphDocument::encodeSnapshot; they may hold more, such as transactions still queued:
    /// merging is idempotent). `seq` must be committed and not older than the latest
    /// snapshot; older snapshots are removed. Stored compressed (qCompress).
    bool saveSnapshot(RoomSequence seq, std::string_view bytes, QString* error);
    /// The same with bytes compressed already (the raw size is taken from their header).
    bool saveSnapshot(RoomSequence seq, const CompressedSnapshot& snapshot, QString* error);
    /// The latest snapshot (exists = false when none was saved).
    std::optional<StoredSnapshot> latestSnapshot(QString* error) const;
    /// Deletes the log's transactions up to `seq`; a snapshot at `seq` or later must exist.
    /// Their operation ids are remembered (as ranges), so re-sent copies stay duplicates.
    bool compactThrough(RoomSequence seq, QString* error);
    /// Loads the room into `document` (normally a new one): the latest snapshot, then every
    /// transaction after it. Returns the committed sequence number. On error (a damaged
    /// snapshot or transaction) the document holds a partial state: discard it.
    std::optional<RoomSequence> loadDocument(GraphDocument& document, QString* error) const;

    // ---- members and roles ------------------------------------------------------------
    /// Adds or updates a member: role and display name.
    bool setMember(UserId user, RoomRole role, const QString& displayName, QString* error);
    /// Changes a role, keeping the display name (adds the user with an empty one if new).
    bool setRole(UserId user, RoomRole role, QString* error);
    /// Removes a member and their owner tokens. Fails if they are not a member.
    bool removeMember(UserId user, QString* error);
    std::optional<RoomMember> member(UserId user) const;
    std::optional<RoomRole> role(UserId user) const;
    /// All members, by user id.
    std::vector<RoomMember> members() const;

    // ---- owner tokens -----------------------------------------------------------------------
    /// A new random 32-byte token for a member, as 64 lower-case hex digits. It is returned
    /// only here: the store keeps its SHA-256 alone. Someone holding it proves to be `user`.
    std::optional<QString> createOwnerToken(UserId user, QString* error);
    /// The member a token belongs to (none for an unknown or malformed token).
    std::optional<UserId> checkOwnerToken(QStringView token) const;
    /// Forgets every token of a user.
    bool revokeOwnerTokens(UserId user, QString* error);

    // ---- access key ---------------------------------------------------------------------
    /// Sets the room's access key: stores only a SCRAM-SHA-256 verifier (random salt of
    /// scram::SaltBytes, `iterations`, StoredKey, ServerKey). Fails on an empty key.
    bool setAccessKey(const QString& key, QString* error, int iterations = scram::DefaultIterations);
    /// Sets the access key from a verifier made elsewhere (an owner's SET_ACCESS_KEY: the key
    /// itself never reaches the server).
    bool setAccessKeyVerifier(const scram::Verifier& verifier, QString* error);
    bool clearAccessKey(QString* error);
    bool hasAccessKey() const { return m_accessKey.has_value(); }
    std::optional<scram::Verifier> accessKeyVerifier() const { return m_accessKey; }

    // ---- named versions ---------------------------------------------------------------------
    /// Keeps a snapshot under a name (1 to 200 characters after trimming); returns its id.
    /// Ids are never reused, also after deleteVersion().
    std::optional<qint64> saveVersion(
        const QString& name, UserId author, RoomSequence seq, std::string_view snapshotBytes, QString* error);
    /// The same with bytes compressed already (the raw size is taken from their header).
    std::optional<qint64> saveVersion(
        const QString& name, UserId author, RoomSequence seq, const CompressedSnapshot& snapshot, QString* error);
    /// All versions, oldest first.
    std::optional<std::vector<RoomVersionInfo>> listVersions(QString* error) const;
    /// A version's snapshot bytes (uncompressed); fails for an unknown id.
    std::optional<std::string> version(qint64 id, QString* error) const;
    /// A version as stored, compressed, ready to send; its header is checked against the
    /// recorded size (the receiver's uncompress checks the rest). Fails for an unknown id.
    std::optional<StoredVersion> storedVersion(qint64 id, QString* error) const;
    bool deleteVersion(qint64 id, QString* error);

    RoomStats stats() const;

private:
    struct Sql;
    struct Pending {
        RoomSequence seq;
        ReplicaId replica;
        std::uint32_t firstCounter;
        std::uint32_t lastCounter;
        UserId author;
        std::uint64_t hlc;
        std::string bytes;
    };

    RoomStore(QString roomName, QString path);
    static std::unique_ptr<RoomStore> openFile(const QString& roomName, const QString& path, QString* error);
    bool connect(bool mayCreate, QString* error);
    void disconnect();
    bool configure(bool wal, QString* error);
    bool initialize(UserId owner, QString* error);
    bool migrateAndLoad(QString* error);
    bool loadState(QString* error);
    /// "room 'NAME' (PATH): WHAT: SQLITE MESSAGE"
    QString describe(const QString& what, const QString& detail) const;
    bool fail(QString* error, const QString& what, const QString& detail) const;
    /// Runs `body` inside one SQLite transaction; on any failure rolls back and reports
    /// "could not <what>". `body` returns false and sets `detail` on failure.
    template <typename Fn>
    bool inTransaction(const QString& what, QString* error, Fn&& body);
    bool reloadTokens(QString* detail);
    bool reloadVersionStats(QString* detail);

    QString m_roomName;
    QString m_path;
    std::unique_ptr<Sql> m_sql;
    std::uint64_t m_epoch = 0;
    int m_schemaVersion = 0;

    RoomSequence m_committedSeq = 0;
    RoomSequence m_lastAssigned = 0;
    RoomSequence m_compactedThrough = 0;
    std::optional<RoomSequence> m_snapshotSeq; ///< the latest snapshot's
    std::vector<Pending> m_pending;
    std::unordered_map<std::uint64_t, RoomSequence> m_pendingIndex; ///< OpId::packed of first op -> seq
    std::unique_ptr<VersionVector> m_compacted; ///< operation ids removed by compaction

    std::map<UserId, RoomMember> m_members;
    std::map<QByteArray, UserId> m_ownerTokens; ///< SHA-256 of the token -> user
    std::optional<scram::Verifier> m_accessKey;

    RoomStats m_stats; ///< counters kept up to date (fileBytes is read on demand)
};

} // namespace constellate::net
