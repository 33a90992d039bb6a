#pragma once

// The client's offline journal: the local transactions the server has not acknowledged
// yet, and where to resume, in one append-only file per room and replica. An editor
// closed while offline sends what it holds when it is opened again. Format and recovery
// rules: docs/architecture.md, "Client library".

#include "protocol.h"
#include "transaction.h"
#include "types.h"
#include "versionvector.h"

#include <QFile>
#include <QLockFile>
#include <QString>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace constellate::net {

/// Where a client may resume a room: the epoch it last saw and a committed sequence number
/// up to which its document held every transaction. Valid only for a document that holds
/// at least `held` (the document's version vector when the point was recorded).
struct ResumePoint {
    protocol::Epoch epoch = 0;   ///< 0: none
    RoomSequence committed = 0;
    VersionVector held;
    bool isValid() const { return epoch != 0; }
    friend bool operator==(const ResumePoint&, const ResumePoint&) = default;
};

/// What opening a journal found wrong and repaired.
struct JournalRecovery {
    std::uint64_t tornBytes = 0;    ///< an incomplete last record (a crash while writing): cut off
    std::uint64_t damagedBytes = 0; ///< from the first record that failed its checksum to the end
    std::uint64_t damagedAt = 0;    ///< its offset in the file
    QString damagedCopy;            ///< the damaged file as it was, kept for inspection
    bool isClean() const { return tornBytes == 0 && damagedBytes == 0; }
};

/// One room's journal for one replica (a file; not thread-safe: one thread uses it).
///
/// File: a header ("CSTLJRNL", u32 format 1, u32 replica, str room, u32 CRC-32 of the
/// header), then records: u32 length of what follows the CRC, u32 CRC-32 of it, u8 type and
/// the payload. Types: 1 a pending transaction (its bytes), 2 transactions acknowledged
/// (varint n, n x (u32 replica, varint first counter)), 3 a resume point (u64 epoch, varint
/// committed, u32 highest counter, then a VERSION_VECTOR body). append() writes, flushes and
/// fsyncs; acknowledgements and resume points are only flushed (losing them in a crash
/// costs a duplicate send or an older resume point, never data). Opening cuts off a torn
/// tail, and at the first record whose checksum fails keeps a copy of the file and rewrites
/// it with what came before.
class Journal {
public:
    Journal();
    ~Journal();
    Journal(const Journal&) = delete;
    Journal& operator=(const Journal&) = delete;

    /// "ROOM-rREPLICA.journal" (room names are safe file names: see isValidRoomName).
    static QString fileName(std::string_view room, ReplicaId replica);

    /// Opens the file, creating it (and its directory) when missing, and reads it. False
    /// with *error when it cannot be used: not a journal, another room's or replica's, in
    /// use by another journal (a lock file beside it), I/O.
    bool open(const QString& path, std::string_view room, ReplicaId replica, QString* error);
    bool isOpen() const { return m_file != nullptr; }
    void close();
    const QString& path() const { return m_path; }
    const JournalRecovery& recovery() const { return m_recovery; }

    /// Transactions not yet acknowledged, by their first operation (per replica, the order
    /// they were made in).
    const std::map<OpId, Transaction>& pending() const { return m_pending; }
    /// The latest resume points recorded, oldest first (at most MaxResumePoints).
    const std::vector<ResumePoint>& resumePoints() const { return m_resumePoints; }
    /// The highest operation counter of this journal's replica ever written here: a
    /// document of that replica must continue after it.
    std::uint32_t highestCounter() const { return m_highestCounter; }

    /// Appends transactions, then flushes and fsyncs: durable when it returns true.
    /// Transactions already pending are skipped.
    bool append(const std::vector<Transaction>& batch, QString* error);
    /// Drops acknowledged transactions (by first operation; unknown ones are ignored).
    bool remove(const std::vector<OpId>& firstOps, QString* error);
    bool saveResumePoint(const ResumePoint& point, QString* error);
    /// Rewrites the file with only what is live (pending transactions, resume points).
    /// Also done by remove() and saveResumePoint() when most of the file is dead.
    bool compact(QString* error);

    std::uint64_t fileBytes() const { return m_fileBytes; }
    std::uint64_t deadBytes() const { return m_deadBytes; }

    static constexpr std::size_t MaxResumePoints = 4;
    static constexpr std::uint32_t MaxRecordBytes = 512u * 1024 * 1024;
    /// CRC-32 (IEEE 802.3, as zlib computes it).
    static std::uint32_t crc32(std::string_view data, std::uint32_t crc = 0);

private:
    enum RecordType : std::uint8_t { TransactionRecord = 1, RemovedRecord = 2, ResumeRecord = 3 };
    std::string header() const;
    static void appendRecord(std::string& out, RecordType type, std::string_view payload);
    static std::string resumePayload(const ResumePoint& p, std::uint32_t highestCounter);
    bool read(const QByteArray& bytes, QString* error);
    bool writeRecords(const std::string& records, bool sync, QString* error);
    bool rewrite(QString* error);
    bool maybeCompact(QString* error);
    void notePending(Transaction t, std::size_t recordBytes);

    QString m_path;
    std::string m_room;
    ReplicaId m_replica = 0;
    std::unique_ptr<QLockFile> m_lock;
    std::unique_ptr<QFile> m_file;
    JournalRecovery m_recovery;
    std::map<OpId, Transaction> m_pending;
    std::map<OpId, std::size_t> m_recordBytes; ///< of each pending transaction's record
    std::vector<ResumePoint> m_resumePoints;
    std::uint32_t m_highestCounter = 0;
    std::uint64_t m_fileBytes = 0;
    std::uint64_t m_deadBytes = 0; ///< bytes a rewrite would drop
};

} // namespace constellate::net
