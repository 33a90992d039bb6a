#include "journal.h"

#include "bytecodec.h"

#include <QDateTime>
#include <QDir>
#include <QFileInfo>
#include <QSaveFile>

#include <algorithm>
#include <array>
#include <cstring>

#if defined(Q_OS_WIN)
#include <io.h>
#else
#include <fcntl.h>
#include <unistd.h>
#endif

namespace constellate::net {

namespace {

constexpr char Magic[8] = {'C', 'S', 'T', 'L', 'J', 'R', 'N', 'L'};
constexpr std::uint32_t FormatVersion = 1;
constexpr std::size_t RecordHeaderBytes = 8; // u32 length, u32 crc
/// Compaction pays off once this much of the file is dead (and more than half of it).
constexpr std::uint64_t CompactAfterDeadBytes = 64 * 1024;

bool syncFile(QFile& f)
{
    if (!f.flush())
        return false;
#if defined(Q_OS_WIN)
    return ::_commit(f.handle()) == 0;
#else
    return ::fsync(f.handle()) == 0;
#endif
}

/// After a rename, the directory entry must reach the disk too.
void syncDirectory(const QString& dir)
{
#if !defined(Q_OS_WIN)
    const QByteArray path = QFile::encodeName(dir);
    const int fd = ::open(path.constData(), O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
        ::fsync(fd);
        ::close(fd);
    }
#else
    (void)dir;
#endif
}

std::uint32_t readU32(const char* p)
{
    std::uint32_t v;
    std::memcpy(&v, p, 4);
    return v;
}

bool allZero(std::string_view s)
{
    return std::all_of(s.begin(), s.end(), [](char c) { return c == 0; });
}

const std::array<std::uint32_t, 256>& crcTable()
{
    static const std::array<std::uint32_t, 256> table = [] {
        std::array<std::uint32_t, 256> t {};
        for (std::uint32_t i = 0; i < 256; ++i) {
            std::uint32_t c = i;
            for (int k = 0; k < 8; ++k)
                c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
            t[i] = c;
        }
        return t;
    }();
    return table;
}

} // namespace

std::uint32_t Journal::crc32(std::string_view data, std::uint32_t crc)
{
    const auto& table = crcTable();
    crc = ~crc;
    for (const char ch : data)
        crc = table[(crc ^ std::uint8_t(ch)) & 0xff] ^ (crc >> 8);
    return ~crc;
}

Journal::Journal() = default;

Journal::~Journal()
{
    close();
}

QString Journal::fileName(std::string_view room, ReplicaId replica)
{
    return QStringLiteral("%1-r%2.journal")
        .arg(QString::fromUtf8(room.data(), qsizetype(room.size())))
        .arg(replica, 8, 16, QLatin1Char('0'));
}

void Journal::close()
{
    if (m_file) {
        m_file->flush();
        m_file.reset();
    }
    m_lock.reset();
}

std::string Journal::header() const
{
    std::string out(Magic, sizeof Magic);
    ByteWriter w(out);
    w.u32(FormatVersion);
    w.u32(m_replica);
    w.bytes(m_room);
    w.u32(crc32(out));
    return out;
}

void Journal::appendRecord(std::string& out, RecordType type, std::string_view payload)
{
    std::string body;
    body.reserve(payload.size() + 1);
    body.push_back(char(type));
    body.append(payload);
    ByteWriter w(out);
    w.u32(std::uint32_t(body.size()));
    w.u32(crc32(body));
    out.append(body);
}

std::string Journal::resumePayload(const ResumePoint& p, std::uint32_t highestCounter)
{
    std::string out;
    ByteWriter w(out);
    w.u64(p.epoch);
    w.varint(p.committed);
    w.u32(highestCounter);
    protocol::VersionVectorExchange vv {p.held};
    vv.write(out, protocol::Direction::ToServer);
    return out;
}

bool Journal::open(const QString& path, std::string_view room, ReplicaId replica, QString* error)
{
    close();
    m_path = path;
    m_room = std::string(room);
    m_replica = replica;
    m_recovery = {};
    m_pending.clear();
    m_recordBytes.clear();
    m_resumePoints.clear();
    m_highestCounter = 0;
    m_fileBytes = 0;
    m_deadBytes = 0;
    auto fail = [&](const QString& why) {
        if (error)
            *error = QStringLiteral("journal %1: %2").arg(path, why);
        m_file.reset();
        m_lock.reset();
        return false;
    };
    if (!QDir().mkpath(QFileInfo(path).absolutePath()))
        return fail(QStringLiteral("cannot create its directory"));
    // Two writers would interleave records: one journal per file, across processes too. A
    // lock left by a process that is gone is taken over.
    m_lock = std::make_unique<QLockFile>(path + QStringLiteral(".lock"));
    m_lock->setStaleLockTime(0);
    if (!m_lock->tryLock(0))
        return fail(QStringLiteral("in use by another editor of this replica"));
    QByteArray bytes;
    {
        QFile f(path);
        if (f.exists()) {
            if (!f.open(QIODevice::ReadOnly))
                return fail(f.errorString());
            bytes = f.readAll();
            if (f.error() != QFileDevice::NoError)
                return fail(f.errorString());
        }
    }
    if (!read(bytes, error)) {
        m_lock.reset();
        return false;
    }
    if (m_recovery.damagedBytes > 0 || m_fileBytes == 0) {
        // Keep what was damaged as it was, then write the file anew from what was read.
        if (m_recovery.damagedBytes > 0) {
            QString copy = path + QStringLiteral(".damaged");
            if (QFile::exists(copy))
                copy += QLatin1Char('-') + QString::number(QDateTime::currentMSecsSinceEpoch());
            QFile damaged(copy);
            if (!damaged.open(QIODevice::WriteOnly) || damaged.write(bytes) != bytes.size() || !syncFile(damaged))
                return fail(QStringLiteral("cannot keep a copy of the damaged file: %1").arg(damaged.errorString()));
            m_recovery.damagedCopy = copy;
        }
        if (!rewrite(error)) {
            m_lock.reset();
            return false;
        }
        return true;
    }
    m_file = std::make_unique<QFile>(path);
    if (!m_file->open(QIODevice::ReadWrite))
        return fail(m_file->errorString());
    if (m_recovery.tornBytes > 0) {
        // A crash while appending: cut the incomplete record off before appending after it.
        if (!m_file->resize(qint64(m_fileBytes)) || !syncFile(*m_file))
            return fail(QStringLiteral("cannot cut off a torn record: %1").arg(m_file->errorString()));
    }
    return true;
}

bool Journal::read(const QByteArray& raw, QString* error)
{
    const std::string_view bytes(raw.constData(), std::size_t(raw.size()));
    auto fail = [&](const QString& why) {
        if (error)
            *error = QStringLiteral("journal %1: %2").arg(m_path, why);
        return false;
    };
    if (bytes.empty())
        return true;
    const std::string expected = header();
    if (bytes.size() < expected.size()) {
        // Torn while the file was being created: nothing was journaled yet.
        if (std::string_view(expected).substr(0, bytes.size()) == bytes || allZero(bytes)) {
            m_recovery.tornBytes = bytes.size();
            m_fileBytes = 0;
            return true;
        }
    }
    if (bytes.size() < sizeof Magic || bytes.substr(0, sizeof Magic) != std::string_view(Magic, sizeof Magic))
        return fail(QStringLiteral("not a Constellate journal"));
    {
        ByteReader r(bytes);
        r.u64(); // magic
        const std::uint32_t format = r.u32();
        const ReplicaId replica = r.u32();
        const std::string_view room = r.bytes(protocol::MaxRoomNameBytes);
        const std::size_t crcAt = r.offset();
        const std::uint32_t crc = r.u32();
        if (!r.ok() || crc != crc32(bytes.substr(0, crcAt))) {
            // A header that does not check out: nothing in the file can be trusted.
            m_recovery.damagedBytes = bytes.size();
            m_recovery.damagedAt = 0;
            return true;
        }
        if (format != FormatVersion)
            return fail(QStringLiteral("format %1 is not one this version reads").arg(format));
        if (replica != m_replica || room != m_room)
            return fail(QStringLiteral("it belongs to room '%1', replica %2")
                            .arg(QString::fromUtf8(room.data(), qsizetype(room.size())))
                            .arg(replica, 8, 16, QLatin1Char('0')));
        m_fileBytes = r.offset();
    }
    std::vector<std::size_t> resumeRecordBytes;
    std::size_t pos = m_fileBytes;
    while (pos < bytes.size()) {
        const std::size_t rest = bytes.size() - pos;
        bool torn = false, damaged = false;
        std::uint32_t length = 0;
        if (rest < RecordHeaderBytes) {
            torn = true;
        } else {
            length = readU32(bytes.data() + pos);
            if (length == 0 || length > MaxRecordBytes)
                (allZero(bytes.substr(pos)) ? torn : damaged) = true;
            else if (length > rest - RecordHeaderBytes)
                torn = true;
        }
        std::string_view body;
        if (!torn && !damaged) {
            body = bytes.substr(pos + RecordHeaderBytes, length);
            if (crc32(body) != readU32(bytes.data() + pos + 4)) {
                // The last record may have reached the disk only in part; anything else is damage.
                (pos + RecordHeaderBytes + length == bytes.size() ? torn : damaged) = true;
            }
        }
        const std::size_t recordBytes = RecordHeaderBytes + length;
        if (!torn && !damaged) {
            const auto type = std::uint8_t(body[0]);
            const std::string_view payload = body.substr(1);
            if (type == TransactionRecord) {
                std::string why;
                std::optional<Transaction> t = Transaction::decode(std::string(payload), &why);
                if (!t)
                    damaged = true;
                else
                    notePending(std::move(*t), recordBytes);
            } else if (type == RemovedRecord) {
                ByteReader r(payload);
                const std::uint64_t n = r.varint();
                std::vector<OpId> ids;
                for (std::uint64_t i = 0; i < n && r.ok() && i <= payload.size(); ++i) {
                    const ReplicaId replica = r.u32();
                    const std::uint32_t counter = r.varint32();
                    ids.push_back({replica, counter});
                }
                if (!r.ok() || !r.atEnd() || ids.size() != n) {
                    damaged = true;
                } else {
                    for (const OpId id : ids) {
                        if (m_pending.erase(id)) {
                            m_deadBytes += m_recordBytes[id];
                            m_recordBytes.erase(id);
                        }
                    }
                    m_deadBytes += recordBytes;
                }
            } else if (type == ResumeRecord) {
                ByteReader r(payload);
                ResumePoint p;
                p.epoch = r.u64();
                p.committed = r.varint();
                const std::uint32_t highest = r.u32();
                protocol::VersionVectorExchange vv;
                protocol::DecodeError e;
                if (!r.ok()
                    || !protocol::decodeBody(payload.substr(r.offset()), protocol::Direction::ToServer, vv, &e)) {
                    damaged = true;
                } else {
                    m_highestCounter = std::max(m_highestCounter, highest);
                    p.held = std::move(vv.vector);
                    if (p.isValid()) {
                        m_resumePoints.push_back(std::move(p));
                        resumeRecordBytes.push_back(recordBytes);
                        if (m_resumePoints.size() > MaxResumePoints) {
                            m_resumePoints.erase(m_resumePoints.begin());
                            m_deadBytes += resumeRecordBytes.front();
                            resumeRecordBytes.erase(resumeRecordBytes.begin());
                        }
                    }
                }
            } else {
                // A record of a later format version, checksum intact: skipped (and dropped by
                // the next compaction).
                m_deadBytes += recordBytes;
            }
        }
        if (torn) {
            m_recovery.tornBytes = rest;
            break;
        }
        if (damaged) {
            m_recovery.damagedBytes = rest;
            m_recovery.damagedAt = pos;
            break;
        }
        pos += recordBytes;
        m_fileBytes = pos;
    }
    return true;
}

void Journal::notePending(Transaction t, std::size_t recordBytes)
{
    const TransactionHeader& h = t.header();
    if (h.replica == m_replica)
        m_highestCounter = std::max(m_highestCounter, h.lastCounter());
    const OpId first = h.opId(0);
    if (m_pending.count(first)) {
        m_deadBytes += recordBytes; // the same transaction twice: the copy is dead
        return;
    }
    m_recordBytes[first] = recordBytes;
    m_pending.emplace(first, std::move(t));
}

bool Journal::writeRecords(const std::string& records, bool sync, QString* error)
{
    if (!m_file) {
        if (error)
            *error = QStringLiteral("the journal is not open");
        return false;
    }
    bool ok = m_file->seek(qint64(m_fileBytes)) && m_file->write(records.data(), qint64(records.size())) == qint64(records.size());
    ok = ok && (sync ? syncFile(*m_file) : m_file->flush());
    if (!ok) {
        if (error)
            *error = QStringLiteral("journal %1: cannot write: %2").arg(m_path, m_file->errorString());
        // Leave no partial record behind for the next append to follow.
        m_file->resize(qint64(m_fileBytes));
        return false;
    }
    m_fileBytes += records.size();
    return true;
}

bool Journal::append(const std::vector<Transaction>& batch, QString* error)
{
    std::string records;
    std::vector<std::pair<const Transaction*, std::size_t>> added;
    for (const Transaction& t : batch) {
        if (t.isEmpty() || m_pending.count(t.header().opId(0)))
            continue;
        const std::size_t before = records.size();
        appendRecord(records, TransactionRecord, t.bytes());
        added.emplace_back(&t, records.size() - before);
    }
    if (records.empty())
        return true;
    if (!writeRecords(records, true, error))
        return false;
    for (const auto& [t, bytes] : added)
        notePending(*t, bytes);
    return true;
}

bool Journal::remove(const std::vector<OpId>& firstOps, QString* error)
{
    std::vector<OpId> known;
    for (const OpId id : firstOps)
        if (m_pending.count(id))
            known.push_back(id);
    if (known.empty())
        return true;
    std::string payload;
    ByteWriter w(payload);
    w.varint(known.size());
    for (const OpId id : known) {
        w.u32(id.replica);
        w.varint(id.counter);
    }
    std::string record;
    appendRecord(record, RemovedRecord, payload);
    if (!writeRecords(record, false, error))
        return false;
    for (const OpId id : known) {
        m_pending.erase(id);
        m_deadBytes += m_recordBytes[id];
        m_recordBytes.erase(id);
    }
    m_deadBytes += record.size();
    return maybeCompact(error);
}

bool Journal::saveResumePoint(const ResumePoint& point, QString* error)
{
    if (!point.isValid())
        return true;
    std::string record;
    appendRecord(record, ResumeRecord, resumePayload(point, m_highestCounter));
    if (!writeRecords(record, false, error))
        return false;
    m_resumePoints.push_back(point);
    if (m_resumePoints.size() > MaxResumePoints) {
        m_resumePoints.erase(m_resumePoints.begin());
        m_deadBytes += record.size(); // about the size of the one it replaces
    }
    return maybeCompact(error);
}

bool Journal::maybeCompact(QString* error)
{
    if (m_deadBytes >= CompactAfterDeadBytes && m_deadBytes * 2 > m_fileBytes)
        return compact(error);
    return true;
}

bool Journal::compact(QString* error)
{
    return rewrite(error);
}

bool Journal::rewrite(QString* error)
{
    std::string content = header();
    // The highest counter survives even when no resume point does: a record with epoch 0.
    if (m_resumePoints.empty())
        appendRecord(content, ResumeRecord, resumePayload(ResumePoint {}, m_highestCounter));
    for (const ResumePoint& p : m_resumePoints)
        appendRecord(content, ResumeRecord, resumePayload(p, m_highestCounter));
    m_recordBytes.clear();
    for (const auto& [first, t] : m_pending) {
        const std::size_t before = content.size();
        appendRecord(content, TransactionRecord, t.bytes());
        m_recordBytes[first] = content.size() - before;
    }
    m_file.reset();
    QSaveFile out(m_path);
    // QSaveFile syncs the new file before it renames it over the old one.
    if (!out.open(QIODevice::WriteOnly) || out.write(content.data(), qint64(content.size())) != qint64(content.size())
        || !out.commit()) {
        if (error)
            *error = QStringLiteral("journal %1: cannot rewrite: %2").arg(m_path, out.errorString());
        return false;
    }
    syncDirectory(QFileInfo(m_path).absolutePath());
    m_fileBytes = content.size();
    m_deadBytes = 0;
    m_file = std::make_unique<QFile>(m_path);
    if (!m_file->open(QIODevice::ReadWrite)) {
        if (error)
            *error = QStringLiteral("journal %1: %2").arg(m_path, m_file->errorString());
        m_file.reset();
        return false;
    }
    return true;
}

} // namespace constellate::net
