#include "roomstore.h"

#include "graphdocument.h"
#include "transaction.h"
#include "versionvector.h"

#include <QCryptographicHash>
#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QRandomGenerator>
#include <QSqlDatabase>
#include <QSqlDriver>
#include <QSqlError>
#include <QSqlQuery>
#include <QUrl>
#include <QVariant>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstring>
#include <initializer_list>
#include <limits>
#include <span>

#ifdef Q_OS_UNIX
#include <fcntl.h>
#include <unistd.h>
#endif

namespace constellate::net {

namespace {

// ---- schema -------------------------------------------------------------------------------
// Each migration takes the database from the version before to `version`; they run in order,
// all pending ones in one SQLite transaction. A released migration never changes: a new
// schema is a new entry. 64-bit unsigned numbers (user ids, epoch, hlc) are stored as the
// signed 64-bit integer with the same bits.

const char* const SchemaV1[] = {
    // key: schema_version, epoch, created_ms, room_name, compacted_through
    "CREATE TABLE meta ("
    " key TEXT PRIMARY KEY NOT NULL,"
    " value NOT NULL)",
    // The log: one row per accepted transaction, its encoded bytes as they arrived.
    "CREATE TABLE ops ("
    " seq INTEGER PRIMARY KEY NOT NULL CHECK (seq > 0),"
    " replica INTEGER NOT NULL,"
    " first_counter INTEGER NOT NULL CHECK (first_counter > 0),"
    " last_counter INTEGER NOT NULL CHECK (last_counter >= first_counter),"
    " author INTEGER NOT NULL,"
    " hlc INTEGER NOT NULL,"
    " bytes BLOB NOT NULL)",
    "CREATE UNIQUE INDEX ops_by_id ON ops (replica, first_counter)",
    // Operation ids of transactions removed by compaction (ranges of counters per replica),
    // so that a re-sent copy is still recognised as a duplicate.
    "CREATE TABLE compacted_ranges ("
    " replica INTEGER NOT NULL,"
    " first_counter INTEGER NOT NULL,"
    " last_counter INTEGER NOT NULL,"
    " PRIMARY KEY (replica, first_counter)) WITHOUT ROWID",
    // The state after every transaction up to seq; data is qCompress'd.
    "CREATE TABLE snapshots ("
    " seq INTEGER PRIMARY KEY NOT NULL,"
    " created_ms INTEGER NOT NULL,"
    " raw_bytes INTEGER NOT NULL,"
    " data BLOB NOT NULL)",
    // role: RoomRole's numbers.
    "CREATE TABLE members ("
    " user_id INTEGER PRIMARY KEY NOT NULL,"
    " role INTEGER NOT NULL CHECK (role IN (1, 2, 3)),"
    " display_name TEXT NOT NULL DEFAULT '',"
    " updated_ms INTEGER NOT NULL)",
    // Only the SHA-256 of each token; a removed member's tokens go with them.
    "CREATE TABLE owner_tokens ("
    " token_sha256 BLOB PRIMARY KEY NOT NULL,"
    " user_id INTEGER NOT NULL REFERENCES members (user_id) ON DELETE CASCADE,"
    " created_ms INTEGER NOT NULL)",
    "CREATE INDEX owner_tokens_by_user ON owner_tokens (user_id)",
    // At most one row: the access key's SCRAM-SHA-256 verifier.
    "CREATE TABLE access_key ("
    " id INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),"
    " salt BLOB NOT NULL,"
    " iterations INTEGER NOT NULL,"
    " stored_key BLOB NOT NULL,"
    " server_key BLOB NOT NULL,"
    " set_ms INTEGER NOT NULL)",
    // Named versions; data is a qCompress'd snapshot. AUTOINCREMENT: ids never reused.
    "CREATE TABLE versions ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " name TEXT NOT NULL,"
    " author INTEGER NOT NULL,"
    " created_ms INTEGER NOT NULL,"
    " seq INTEGER NOT NULL,"
    " raw_bytes INTEGER NOT NULL,"
    " data BLOB NOT NULL)",
};

struct Migration {
    int version;
    std::span<const char* const> statements;
};

const Migration Migrations[] = {
    { 1, SchemaV1 },
};
static_assert(std::size(Migrations) == RoomStore::SchemaVersion, "one migration per schema version");

// ---- small helpers --------------------------------------------------------------------------

qint64 toSql(std::uint64_t v)
{
    qint64 s;
    std::memcpy(&s, &v, sizeof s);
    return s;
}

std::uint64_t fromSql(const QVariant& v)
{
    const qint64 s = v.toLongLong();
    std::uint64_t u;
    std::memcpy(&u, &s, sizeof u);
    return u;
}

qint64 seqToSql(RoomSequence seq)
{
    return qint64(std::min<RoomSequence>(seq, RoomSequence(std::numeric_limits<qint64>::max())));
}

qint64 nowMs()
{
    return QDateTime::currentMSecsSinceEpoch();
}

constexpr int SqliteFull = 13;
constexpr int SqliteCorrupt = 11;
constexpr int SqliteNotADb = 26;

int primaryCode(const QSqlError& e)
{
    bool ok = false;
    const int code = e.nativeErrorCode().toInt(&ok);
    return ok ? (code & 0xff) : -1;
}

/// SQLite's message, its code, and a hint for the codes a user can act on.
QString sqlMessage(const QSqlError& e)
{
    QString text = e.databaseText().isEmpty() ? e.driverText() : e.databaseText();
    if (text.isEmpty())
        text = QStringLiteral("unknown error");
    if (!e.nativeErrorCode().isEmpty())
        text += QStringLiteral(" (SQLite error %1)").arg(e.nativeErrorCode());
    switch (primaryCode(e)) {
    case SqliteFull:
        text += QStringLiteral("; the disk or the room's size limit is full");
        break;
    case SqliteCorrupt:
    case SqliteNotADb:
        text += QStringLiteral("; the file is damaged or not a room database");
        break;
    default:
        break;
    }
    return text;
}

/// Prepares and runs one statement with positional bindings; on failure puts SQLite's
/// message in *detail.
bool run(QSqlQuery& q, const QString& sql, std::initializer_list<QVariant> binds, QString* detail)
{
    if (!q.prepare(sql)) {
        *detail = sqlMessage(q.lastError());
        return false;
    }
    int i = 0;
    for (const QVariant& v : binds)
        q.bindValue(i++, v);
    if (!q.exec()) {
        *detail = sqlMessage(q.lastError());
        return false;
    }
    return true;
}

/// True when `q` stopped because of an error rather than at its end.
bool failedReading(const QSqlQuery& q, QString* detail)
{
    if (q.lastError().type() == QSqlError::NoError)
        return false;
    *detail = sqlMessage(q.lastError());
    return true;
}

QByteArray randomBytes(int n)
{
    std::vector<quint32> words((std::size_t(n) + 3) / 4);
    QRandomGenerator::system()->fillRange(words.data(), qsizetype(words.size()));
    QByteArray out(n, '\0');
    std::memcpy(out.data(), words.data(), std::size_t(n));
    return out;
}

QByteArray sha256(const QByteArray& data)
{
    return QCryptographicHash::hash(data, QCryptographicHash::Sha256);
}

QByteArray compress(std::string_view bytes)
{
    return qCompress(reinterpret_cast<const uchar*>(bytes.data()), qsizetype(bytes.size()), 6);
}

/// The bytes of `snapshot`, not copied: for binding and uncompressing while it lives.
QByteArray compressed(const CompressedSnapshot& snapshot)
{
    return QByteArray::fromRawData(snapshot.data.data(), qsizetype(snapshot.data.size()));
}

CompressedSnapshot toSnapshot(const QByteArray& data)
{
    return CompressedSnapshot {std::string(data.constData(), std::size_t(data.size()))};
}

/// qCompress's header: the raw size, big-endian, in the first four bytes; -1 without one.
qint64 qCompressHeader(std::string_view data)
{
    if (data.size() < 4)
        return -1;
    const auto* p = reinterpret_cast<const unsigned char*>(data.data());
    return (qint64(p[0]) << 24) | (qint64(p[1]) << 16) | (qint64(p[2]) << 8) | qint64(p[3]);
}

/// Uncompresses what compress() wrote and checks the size recorded next to it.
bool uncompress(const QByteArray& data, qint64 rawBytes, std::string* out)
{
    if (rawBytes < 0)
        return false;
    if (rawBytes == 0) {
        out->clear();
        // qCompress of nothing is a 4-byte header and an empty zlib stream.
        return data.size() >= 4 && qUncompress(data).isEmpty();
    }
    // Check the header before qUncompress allocates what it says.
    if (qCompressHeader(std::string_view(data.constData(), std::size_t(data.size()))) != rawBytes)
        return false;
    const QByteArray raw = qUncompress(data);
    if (raw.size() != rawBytes)
        return false;
    out->assign(raw.constData(), std::size_t(raw.size()));
    return true;
}

/// Makes a rename or removal in `dir` durable (POSIX needs the directory synced too).
void syncDirectory(const QString& dir)
{
#ifdef Q_OS_UNIX
    const int fd = ::open(QFile::encodeName(dir).constData(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        ::fsync(fd);
        ::close(fd);
    }
#else
    Q_UNUSED(dir);
#endif
}

const QString SidecarSuffixes[] = { QStringLiteral("-wal"), QStringLiteral("-shm"), QStringLiteral("-journal") };

QString invalidNameMessage(QStringView name)
{
    return QStringLiteral("invalid room name '%1': use 1 to %2 letters, digits, '.', '_' or '-' (not only dots)")
        .arg(name.left(RoomStore::MaxRoomNameLength + 1).toString())
        .arg(RoomStore::MaxRoomNameLength);
}

bool setError(QString* error, const QString& message)
{
    if (error)
        *error = message;
    return false;
}

} // namespace

qint64 CompressedSnapshot::rawBytes() const
{
    return qCompressHeader(data);
}

const char* roleName(RoomRole role)
{
    switch (role) {
    case RoomRole::Viewer:
        return "viewer";
    case RoomRole::Editor:
        return "editor";
    case RoomRole::Owner:
        return "owner";
    }
    return "unknown";
}

std::optional<RoomRole> roleFromNumber(int number)
{
    if (number >= int(RoomRole::Viewer) && number <= int(RoomRole::Owner))
        return RoomRole(number);
    return std::nullopt;
}

/// The connection and the statements used per transaction (prepared once).
struct RoomStore::Sql {
    QString connection;
    QSqlDatabase db;
    std::optional<QSqlQuery> findOp; ///< seq of a stored transaction by (replica, first counter)
    std::optional<QSqlQuery> insertOp;
};

// ---- files ----------------------------------------------------------------------------------

bool RoomStore::isValidRoomName(QStringView name)
{
    if (name.isEmpty() || name.size() > MaxRoomNameLength)
        return false;
    bool onlyDots = true;
    for (QChar c : name) {
        const char16_t u = c.unicode();
        const bool ok = (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') || u == '.'
            || u == '_' || u == '-';
        if (!ok)
            return false;
        if (u != '.')
            onlyDots = false;
    }
    return !onlyDots;
}

QString RoomStore::roomsDir(const QString& dataDir)
{
    return QDir::cleanPath(QFileInfo(dataDir).absoluteFilePath() + QStringLiteral("/rooms"));
}

QString RoomStore::roomPath(const QString& dataDir, QStringView roomName)
{
    return roomsDir(dataDir) + QLatin1Char('/') + roomName.toString() + QStringLiteral(".sqlite");
}

bool RoomStore::roomExists(const QString& dataDir, QStringView roomName)
{
    return isValidRoomName(roomName) && QFileInfo(roomPath(dataDir, roomName)).isFile();
}

RoomStore::RoomStore(QString roomName, QString path)
    : m_roomName(std::move(roomName))
    , m_path(std::move(path))
    , m_compacted(std::make_unique<VersionVector>())
{
}

RoomStore::~RoomStore()
{
    disconnect();
}

void RoomStore::disconnect()
{
    if (!m_sql)
        return;
    // Every query must be gone before the connection is removed.
    m_sql->findOp.reset();
    m_sql->insertOp.reset();
    m_sql->db.close();
    const QString connection = m_sql->connection;
    m_sql.reset();
    QSqlDatabase::removeDatabase(connection);
}

std::unique_ptr<RoomStore> RoomStore::create(
    const QString& dataDir, const QString& roomName, UserId owner, QString* error, std::string_view initialSnapshot)
{
    if (!isValidRoomName(roomName)) {
        setError(error, invalidNameMessage(roomName));
        return nullptr;
    }
    if (!initialSnapshot.empty()) {
        // Checked whole before anything is written: a room that cannot load is never made.
        GraphDocument probe(0xffffffffu, 0); // the server's replica id (syncserver.cpp)
        std::string problem;
        if (!probe.mergeSnapshot(initialSnapshot, &problem)) {
            setError(error, QStringLiteral("room '%1': the initial snapshot does not load: %2")
                                .arg(roomName, QString::fromStdString(problem)));
            return nullptr;
        }
    }
    const QString dir = roomsDir(dataDir);
    if (!QDir().mkpath(dir)) {
        setError(error, QStringLiteral("could not create the rooms directory %1").arg(dir));
        return nullptr;
    }
    const QString path = roomPath(dataDir, roomName);
    if (QFileInfo::exists(path)) {
        setError(error, QStringLiteral("room '%1' already exists (%2)").arg(roomName, path));
        return nullptr;
    }
    // Leftovers of a deleted room must not be taken for this one's journal.
    for (const QString& suffix : SidecarSuffixes)
        QFile::remove(path + suffix);

    // Build the file under a temporary name (rollback journal, synced), then rename it into
    // place without replacing anything: a crash leaves either no room or a complete one.
    const QString temp = path + QStringLiteral(".new-") + QString::fromLatin1(randomBytes(8).toHex());
    auto removeTemp = [&temp] {
        QFile::remove(temp);
        for (const QString& suffix : SidecarSuffixes)
            QFile::remove(temp + suffix);
    };
    {
        RoomStore init(roomName, temp);
        if (!init.connect(true, error) || !init.configure(false, error) || !init.initialize(owner, error)
            || (!initialSnapshot.empty() && !init.saveSnapshot(0, initialSnapshot, error))) {
            init.disconnect(); // closed before its files are removed
            removeTemp();
            return nullptr;
        }
    }
    QFile file(temp);
    if (!file.rename(path)) {
        const bool exists = QFileInfo::exists(path);
        removeTemp();
        setError(error,
            exists ? QStringLiteral("room '%1' already exists (%2)").arg(roomName, path)
                   : QStringLiteral("room '%1': could not rename %2 to %3: %4")
                         .arg(roomName, temp, path, file.errorString()));
        return nullptr;
    }
    syncDirectory(dir);
    return openFile(roomName, path, error);
}

std::unique_ptr<RoomStore> RoomStore::open(const QString& dataDir, const QString& roomName, QString* error)
{
    if (!isValidRoomName(roomName)) {
        setError(error, invalidNameMessage(roomName));
        return nullptr;
    }
    return openFile(roomName, roomPath(dataDir, roomName), error);
}

std::unique_ptr<RoomStore> RoomStore::openFile(const QString& roomName, const QString& path, QString* error)
{
    if (!QFileInfo(path).isFile()) {
        setError(error, QStringLiteral("room '%1' does not exist (no file %2)").arg(roomName, path));
        return nullptr;
    }
    std::unique_ptr<RoomStore> store(new RoomStore(roomName, path));
    if (!store->connect(false, error) || !store->configure(true, error) || !store->migrateAndLoad(error))
        return nullptr;
    return store;
}

QStringList RoomStore::listRooms(const QString& dataDir)
{
    QStringList rooms;
    const QDir dir(roomsDir(dataDir));
    const QString suffix = QStringLiteral(".sqlite");
    for (const QString& file : dir.entryList({ QStringLiteral("*.sqlite") }, QDir::Files | QDir::Hidden)) {
        const QString name = file.chopped(suffix.size());
        if (isValidRoomName(name))
            rooms.push_back(name);
    }
    std::sort(rooms.begin(), rooms.end());
    return rooms;
}

bool RoomStore::deleteRoom(const QString& dataDir, const QString& roomName, QString* error)
{
    if (!isValidRoomName(roomName))
        return setError(error, invalidNameMessage(roomName));
    const QString path = roomPath(dataDir, roomName);
    if (!QFileInfo(path).isFile())
        return setError(error, QStringLiteral("room '%1' does not exist (no file %2)").arg(roomName, path));
    // The journal first: a WAL left behind without its database could be replayed into a
    // new room of the same name.
    for (const QString& suffix : SidecarSuffixes) {
        QFile sidecar(path + suffix);
        if (sidecar.exists() && !sidecar.remove())
            return setError(error,
                QStringLiteral("room '%1': could not delete %2: %3")
                    .arg(roomName, sidecar.fileName(), sidecar.errorString()));
    }
    QFile file(path);
    if (!file.remove())
        return setError(
            error, QStringLiteral("room '%1': could not delete %2: %3").arg(roomName, path, file.errorString()));
    syncDirectory(roomsDir(dataDir));
    return true;
}

// ---- opening ------------------------------------------------------------------------------

QString RoomStore::describe(const QString& what, const QString& detail) const
{
    QString message = QStringLiteral("room '%1' (%2): %3").arg(m_roomName, m_path, what);
    if (!detail.isEmpty())
        message += QStringLiteral(": ") + detail;
    return message;
}

bool RoomStore::fail(QString* error, const QString& what, const QString& detail) const
{
    return setError(error, describe(what, detail));
}

bool RoomStore::connect(bool mayCreate, QString* error)
{
    static std::atomic<quint64> connections { 0 };
    m_sql = std::make_unique<Sql>();
    m_sql->connection = QStringLiteral("constellate-room-%1-%2").arg(m_roomName).arg(++connections);
    m_sql->db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), m_sql->connection);
    if (!m_sql->db.isValid())
        return fail(
            error, QStringLiteral("Qt's SQLite driver (QSQLITE) is not available"), sqlMessage(m_sql->db.lastError()));
    // A URI, so that mode=rw refuses to create a missing file (joining never creates a room).
    m_sql->db.setDatabaseName(QUrl::fromLocalFile(m_path).toString(QUrl::FullyEncoded)
        + (mayCreate ? QStringLiteral("?mode=rwc") : QStringLiteral("?mode=rw")));
    m_sql->db.setConnectOptions(QStringLiteral("QSQLITE_OPEN_URI;QSQLITE_BUSY_TIMEOUT=%1").arg(BusyTimeoutMs));
    if (!m_sql->db.open())
        return fail(error, QStringLiteral("could not open the database"), sqlMessage(m_sql->db.lastError()));
    return true;
}

bool RoomStore::configure(bool wal, QString* error)
{
    QSqlQuery q(m_sql->db);
    QString detail;
    if (!run(q, QStringLiteral("PRAGMA busy_timeout = %1").arg(BusyTimeoutMs), {}, &detail)
        || !run(q, QStringLiteral("PRAGMA foreign_keys = ON"), {}, &detail))
        return fail(error, QStringLiteral("could not read the database"), detail);
    if (wal) {
        if (!run(q, QStringLiteral("PRAGMA journal_mode = WAL"), {}, &detail))
            return fail(error, QStringLiteral("could not read the database"), detail);
        const QString mode = q.next() ? q.value(0).toString() : QString();
        if (mode.compare(QLatin1String("wal"), Qt::CaseInsensitive) != 0)
            return fail(error, QStringLiteral("could not switch to write-ahead logging"),
                QStringLiteral("journal_mode is '%1'").arg(mode));
    }
    // FULL: in WAL mode, every commit syncs the log, so it survives a power loss.
    if (!run(q, QStringLiteral("PRAGMA synchronous = FULL"), {}, &detail))
        return fail(error, QStringLiteral("could not set synchronous=FULL"), detail);
    return true;
}

template <typename Fn>
bool RoomStore::inTransaction(const QString& what, QString* error, Fn&& body)
{
    QSqlDatabase& db = m_sql->db;
    if (!db.transaction()) {
        // A transaction left open by a rollback that failed would block every later write:
        // end it and try once more.
        db.rollback();
        if (!db.transaction())
            return fail(error, QStringLiteral("could not ") + what, sqlMessage(db.lastError()));
    }
    QString detail;
    if (!body(detail)) {
        db.rollback();
        return fail(error, QStringLiteral("could not ") + what, detail);
    }
    if (!db.commit()) {
        detail = sqlMessage(db.lastError());
        db.rollback();
        return fail(error, QStringLiteral("could not ") + what, detail);
    }
    return true;
}

bool RoomStore::initialize(UserId owner, QString* error)
{
    std::uint64_t epoch = 0;
    while (epoch == 0)
        epoch = QRandomGenerator::system()->generate64();
    const bool ok = inTransaction(QStringLiteral("create the room's tables"), error, [&](QString& detail) {
        QSqlQuery q(m_sql->db);
        for (const Migration& m : Migrations)
            for (const char* statement : m.statements)
                if (!run(q, QString::fromLatin1(statement), {}, &detail))
                    return false;
        const QString insertMeta = QStringLiteral("INSERT INTO meta (key, value) VALUES (?, ?)");
        return run(q, insertMeta, { QStringLiteral("schema_version"), SchemaVersion }, &detail)
            && run(q, insertMeta, { QStringLiteral("epoch"), toSql(epoch) }, &detail)
            && run(q, insertMeta, { QStringLiteral("created_ms"), nowMs() }, &detail)
            && run(q, insertMeta, { QStringLiteral("room_name"), m_roomName }, &detail)
            && run(q, insertMeta, { QStringLiteral("compacted_through"), 0 }, &detail)
            && run(q,
                QStringLiteral("INSERT INTO members (user_id, role, display_name, updated_ms) "
                               "VALUES (?, ?, '', ?)"),
                { toSql(owner), int(RoomRole::Owner), nowMs() }, &detail);
    });
    if (ok)
        m_schemaVersion = SchemaVersion;
    return ok;
}

bool RoomStore::migrateAndLoad(QString* error)
{
    QSqlQuery q(m_sql->db);
    QString detail;
    if (!run(q, QStringLiteral("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'meta'"), {},
            &detail))
        return fail(error, QStringLiteral("could not read the database"), detail);
    if (!q.next() || q.value(0).toInt() != 1)
        return fail(error, QStringLiteral("not a Constellate room database (it has no meta table)"), {});
    if (!run(q, QStringLiteral("SELECT value FROM meta WHERE key = 'schema_version'"), {}, &detail))
        return fail(error, QStringLiteral("could not read the schema version"), detail);
    bool ok = false;
    const int version = q.next() ? q.value(0).toInt(&ok) : 0;
    if (!ok || version < 1)
        return fail(error, QStringLiteral("damaged: no valid schema version in the meta table"), {});
    if (version > SchemaVersion)
        return fail(error,
            QStringLiteral("schema version %1 is newer than this program knows (%2): a newer Constellate "
                           "wrote it; open it with that")
                .arg(version)
                .arg(SchemaVersion),
            {});
    q.finish();
    if (version < SchemaVersion) {
        const bool migrated
            = inTransaction(QStringLiteral("migrate the schema from version %1 to %2").arg(version).arg(SchemaVersion),
                error, [&](QString& d) {
                    QSqlQuery m(m_sql->db);
                    for (const Migration& migration : Migrations) {
                        if (migration.version <= version)
                            continue;
                        for (const char* statement : migration.statements)
                            if (!run(m, QString::fromLatin1(statement), {}, &d))
                                return false;
                    }
                    return run(m, QStringLiteral("UPDATE meta SET value = ? WHERE key = 'schema_version'"),
                        { SchemaVersion }, &d);
                });
        if (!migrated)
            return false;
    }
    m_schemaVersion = SchemaVersion;
    if (!loadState(&detail))
        return fail(error, QStringLiteral("could not read the room"), detail);
    return true;
}

bool RoomStore::loadState(QString* detail)
{
    QSqlQuery q(m_sql->db);
    q.setForwardOnly(true);

    if (!run(q, QStringLiteral("SELECT key, value FROM meta"), {}, detail))
        return false;
    bool haveEpoch = false, haveCompacted = false;
    while (q.next()) {
        const QString key = q.value(0).toString();
        if (key == QLatin1String("epoch")) {
            m_epoch = fromSql(q.value(1));
            haveEpoch = m_epoch != 0;
        } else if (key == QLatin1String("compacted_through")) {
            m_compactedThrough = RoomSequence(std::max<qint64>(0, q.value(1).toLongLong()));
            haveCompacted = true;
        }
    }
    if (failedReading(q, detail))
        return false;
    if (!haveEpoch || !haveCompacted) {
        *detail = QStringLiteral("the meta table lacks the epoch or the compaction point");
        return false;
    }

    if (!run(q,
            QStringLiteral("SELECT max(seq), count(*), total(last_counter - first_counter + 1), "
                           "total(length(bytes)) FROM ops"),
            {}, detail)
        || !q.next())
        return false;
    const RoomSequence maxSeq = RoomSequence(std::max<qint64>(0, q.value(0).toLongLong()));
    m_stats.logTransactions = std::uint64_t(q.value(1).toLongLong());
    m_stats.logOperations = std::uint64_t(q.value(2).toDouble());
    m_stats.logBytes = std::uint64_t(q.value(3).toDouble());

    if (!run(q, QStringLiteral("SELECT seq, length(data) FROM snapshots ORDER BY seq DESC LIMIT 1"), {}, detail))
        return false;
    if (q.next()) {
        m_snapshotSeq = RoomSequence(std::max<qint64>(0, q.value(0).toLongLong()));
        m_stats.snapshotBytes = std::uint64_t(q.value(1).toLongLong());
    } else if (failedReading(q, detail)) {
        return false;
    }

    m_committedSeq = std::max({ maxSeq, m_compactedThrough, m_snapshotSeq.value_or(0) });
    m_lastAssigned = m_committedSeq;
    m_stats.committedSeq = m_committedSeq;
    m_stats.compactedThrough = m_compactedThrough;

    if (!run(q, QStringLiteral("SELECT replica, first_counter, last_counter FROM compacted_ranges"), {}, detail))
        return false;
    while (q.next()) {
        const qint64 first = q.value(1).toLongLong(), last = q.value(2).toLongLong();
        if (first < 1 || last < first || last > qint64(std::numeric_limits<std::uint32_t>::max())) {
            *detail = QStringLiteral("damaged compacted_ranges row");
            return false;
        }
        m_compacted->add(ReplicaId(q.value(0).toLongLong()), std::uint32_t(first), std::uint32_t(last));
    }
    if (failedReading(q, detail))
        return false;

    if (!run(q, QStringLiteral("SELECT user_id, role, display_name FROM members"), {}, detail))
        return false;
    while (q.next()) {
        const auto role = roleFromNumber(q.value(1).toInt());
        if (!role) {
            *detail = QStringLiteral("a member has an unknown role (%1)").arg(q.value(1).toString());
            return false;
        }
        const UserId user = fromSql(q.value(0));
        m_members[user] = { user, *role, q.value(2).toString() };
    }
    if (failedReading(q, detail))
        return false;

    if (!reloadTokens(detail))
        return false;

    if (!run(q, QStringLiteral("SELECT salt, iterations, stored_key, server_key FROM access_key WHERE id = 1"), {},
            detail))
        return false;
    if (q.next()) {
        scram::Verifier v { q.value(0).toByteArray(), q.value(1).toInt(), q.value(2).toByteArray(),
            q.value(3).toByteArray() };
        if (v.iterations < 1 || v.storedKey.size() != scram::KeyBytes || v.serverKey.size() != scram::KeyBytes) {
            *detail = QStringLiteral("the access key's verifier is damaged");
            return false;
        }
        m_accessKey = std::move(v);
    } else if (failedReading(q, detail)) {
        return false;
    }
    q.finish();

    if (!reloadVersionStats(detail))
        return false;

    m_sql->findOp.emplace(m_sql->db);
    m_sql->insertOp.emplace(m_sql->db);
    if (!m_sql->findOp->prepare(QStringLiteral("SELECT seq FROM ops WHERE replica = ? AND first_counter = ?"))
        || !m_sql->insertOp->prepare(QStringLiteral("INSERT INTO ops (seq, replica, first_counter, last_counter, "
                                                    "author, hlc, bytes) VALUES (?, ?, ?, ?, ?, ?, ?)"))) {
        *detail = sqlMessage(
            m_sql->findOp->lastError().isValid() ? m_sql->findOp->lastError() : m_sql->insertOp->lastError());
        return false;
    }
    return true;
}

bool RoomStore::reloadTokens(QString* detail)
{
    QSqlQuery q(m_sql->db);
    if (!run(q, QStringLiteral("SELECT token_sha256, user_id FROM owner_tokens"), {}, detail))
        return false;
    std::map<QByteArray, UserId> tokens;
    while (q.next())
        tokens[q.value(0).toByteArray()] = fromSql(q.value(1));
    if (failedReading(q, detail))
        return false;
    m_ownerTokens = std::move(tokens);
    return true;
}

bool RoomStore::reloadVersionStats(QString* detail)
{
    QSqlQuery q(m_sql->db);
    if (!run(q, QStringLiteral("SELECT count(*), total(length(data)) FROM versions"), {}, detail) || !q.next())
        return false;
    m_stats.versions = std::uint64_t(q.value(0).toLongLong());
    m_stats.versionBytes = std::uint64_t(q.value(1).toDouble());
    return true;
}

// ---- settings -------------------------------------------------------------------------------

QString RoomStore::journalMode() const
{
    QSqlQuery q(m_sql->db);
    QString detail;
    if (!run(q, QStringLiteral("PRAGMA journal_mode"), {}, &detail) || !q.next())
        return {};
    return q.value(0).toString();
}

int RoomStore::synchronous() const
{
    QSqlQuery q(m_sql->db);
    QString detail;
    if (!run(q, QStringLiteral("PRAGMA synchronous"), {}, &detail) || !q.next())
        return -1;
    return q.value(0).toInt();
}

QString RoomStore::settingsReport() const
{
    QStringList parts;
    QSqlQuery q(m_sql->db);
    QString detail;
    for (const char* pragma : { "journal_mode", "synchronous", "foreign_keys", "busy_timeout", "page_size" }) {
        const QString name = QString::fromLatin1(pragma);
        const QString value = run(q, QStringLiteral("PRAGMA ") + name, {}, &detail) && q.next() ? q.value(0).toString()
                                                                                                : QStringLiteral("?");
        parts << name + QLatin1Char('=') + value;
    }
    parts << QStringLiteral("schema_version=%1").arg(m_schemaVersion);
    return parts.join(QLatin1Char(' '));
}

bool RoomStore::setSizeLimit(qint64 maxBytes, QString* error)
{
    QSqlQuery q(m_sql->db);
    QString detail;
    if (!run(q, QStringLiteral("PRAGMA page_size"), {}, &detail) || !q.next())
        return fail(error, QStringLiteral("could not read the page size"), detail);
    const qint64 pageSize = std::max<qint64>(512, q.value(0).toLongLong());
    // SQLite's largest page count; a lower value than the pages in use is raised to them.
    const qint64 pages = maxBytes <= 0 ? qint64(4294967294) : std::max<qint64>(1, maxBytes / pageSize);
    if (!run(q, QStringLiteral("PRAGMA max_page_count = %1").arg(pages), {}, &detail))
        return fail(error, QStringLiteral("could not set the size limit"), detail);
    return true;
}

bool RoomStore::checkIntegrity(QString* error) const
{
    QSqlQuery q(m_sql->db);
    QString detail;
    if (!run(q, QStringLiteral("PRAGMA integrity_check"), {}, &detail))
        return fail(error, QStringLiteral("could not check integrity"), detail);
    QStringList problems;
    while (q.next()) {
        const QString line = q.value(0).toString();
        if (line != QLatin1String("ok"))
            problems << line;
    }
    if (failedReading(q, &detail))
        return fail(error, QStringLiteral("could not check integrity"), detail);
    if (!problems.isEmpty())
        return fail(error, QStringLiteral("the database is damaged"), problems.join(QStringLiteral("; ")));
    return true;
}

// ---- the log ----------------------------------------------------------------------------------

std::optional<AppendResult> RoomStore::append(const Transaction& t, QString* error)
{
    const TransactionHeader& h = t.header();
    if (t.isEmpty() || h.firstCounter == 0) {
        fail(error, QStringLiteral("cannot log an empty transaction"), {});
        return std::nullopt;
    }
    const std::uint64_t key = h.opId(0).packed();
    if (auto it = m_pendingIndex.find(key); it != m_pendingIndex.end())
        return AppendResult { it->second, true };
    if (m_compacted->contains(h.replica, h.firstCounter, h.firstCounter))
        return AppendResult { m_compactedThrough, true };

    QSqlQuery& find = *m_sql->findOp;
    find.bindValue(0, qint64(h.replica));
    find.bindValue(1, qint64(h.firstCounter));
    if (!find.exec()) {
        fail(error,
            QStringLiteral("could not look up transaction %1").arg(QString::fromStdString(h.opId(0).toString())),
            sqlMessage(find.lastError()));
        return std::nullopt;
    }
    if (find.next()) {
        const RoomSequence seq = RoomSequence(find.value(0).toLongLong());
        find.finish();
        return AppendResult { seq, true };
    }
    QString detail;
    if (failedReading(find, &detail)) {
        fail(error, QStringLiteral("could not look up a transaction"), detail);
        return std::nullopt;
    }
    find.finish();

    const RoomSequence seq = ++m_lastAssigned;
    m_pending.push_back({ seq, h.replica, h.firstCounter, h.lastCounter(), h.author, h.hlc.raw(), t.bytes() });
    m_pendingIndex.emplace(key, seq);
    return AppendResult { seq, false };
}

std::optional<RoomSequence> RoomStore::commit(QString* error)
{
    if (m_pending.empty())
        return m_committedSeq;
    const RoomSequence first = m_pending.front().seq, last = m_pending.back().seq;
    const std::uint64_t rows = m_pending.size();
    std::uint64_t ops = 0, bytes = 0;
    const bool ok = inTransaction(
        QStringLiteral("commit %1 transaction(s) (seq %2 to %3)").arg(m_pending.size()).arg(first).arg(last), error,
        [&](QString& detail) {
            QSqlQuery& insert = *m_sql->insertOp;
            for (const Pending& p : m_pending) {
                insert.bindValue(0, seqToSql(p.seq));
                insert.bindValue(1, qint64(p.replica));
                insert.bindValue(2, qint64(p.firstCounter));
                insert.bindValue(3, qint64(p.lastCounter));
                insert.bindValue(4, toSql(p.author));
                insert.bindValue(5, toSql(p.hlc));
                insert.bindValue(6, QByteArray::fromRawData(p.bytes.data(), qsizetype(p.bytes.size())));
                if (!insert.exec()) {
                    detail = sqlMessage(insert.lastError());
                    insert.finish();
                    return false;
                }
                ops += p.lastCounter - p.firstCounter + 1;
                bytes += p.bytes.size();
            }
            insert.finish();
            return true;
        });
    // Either way the batch leaves the queue; m_lastAssigned stays where it is, so failed
    // numbers are not handed out again by this object.
    m_pending.clear();
    m_pendingIndex.clear();
    if (!ok) {
        ++m_stats.failedCommits;
        return std::nullopt;
    }
    m_committedSeq = last;
    m_stats.committedSeq = last;
    m_stats.logTransactions += rows;
    m_stats.logOperations += ops;
    m_stats.logBytes += bytes;
    ++m_stats.commits;
    return m_committedSeq;
}

std::optional<LogRead> RoomStore::opsAfter(
    RoomSequence seq, std::size_t maxCount, QString* error, std::size_t maxBytes) const
{
    LogRead read;
    if (seq < m_compactedThrough) {
        read.compacted = true;
        return read;
    }
    QSqlQuery q(m_sql->db);
    q.setForwardOnly(true);
    QString detail;
    if (!run(q, QStringLiteral("SELECT seq, bytes FROM ops WHERE seq > ? ORDER BY seq LIMIT ?"),
            { seqToSql(seq),
                maxCount == 0 ? qint64(-1)
                              : qint64(std::min<std::size_t>(maxCount, std::numeric_limits<qint64>::max())) },
            &detail)) {
        fail(error, QStringLiteral("could not read the log after seq %1").arg(seq), detail);
        return std::nullopt;
    }
    std::size_t total = 0;
    while ((maxBytes == 0 || total < maxBytes) && q.next()) {
        const QByteArray bytes = q.value(1).toByteArray();
        read.transactions.push_back({ RoomSequence(q.value(0).toLongLong()), bytes.toStdString() });
        total += std::size_t(bytes.size());
    }
    if (failedReading(q, &detail)) {
        fail(error, QStringLiteral("could not read the log after seq %1").arg(seq), detail);
        return std::nullopt;
    }
    // Appended but not yet committed (group commit): in memory, after everything on disk.
    const RoomSequence after = read.transactions.empty() ? seq : read.transactions.back().seq;
    for (const Pending& p : m_pending) {
        if (p.seq <= after)
            continue;
        if ((maxBytes != 0 && total >= maxBytes) || (maxCount != 0 && read.transactions.size() >= maxCount))
            break;
        read.transactions.push_back({ p.seq, p.bytes });
        total += p.bytes.size();
    }
    return read;
}

// ---- snapshots and compaction ---------------------------------------------------------------

bool RoomStore::saveSnapshot(RoomSequence seq, std::string_view bytes, QString* error)
{
    return saveSnapshot(seq, toSnapshot(compress(bytes)), error);
}

bool RoomStore::saveSnapshot(RoomSequence seq, const CompressedSnapshot& snapshot, QString* error)
{
    const qint64 rawBytes = snapshot.rawBytes();
    if (rawBytes < 0)
        return fail(error, QStringLiteral("cannot save a snapshot at seq %1").arg(seq),
            QStringLiteral("its compressed bytes have no header"));
    if (seq > m_committedSeq)
        return fail(error, QStringLiteral("cannot save a snapshot at seq %1").arg(seq),
            QStringLiteral("only seq %1 is committed").arg(m_committedSeq));
    if (m_snapshotSeq && seq < *m_snapshotSeq)
        return fail(error, QStringLiteral("cannot save a snapshot at seq %1").arg(seq),
            QStringLiteral("a newer one (seq %1) exists").arg(*m_snapshotSeq));
    const QByteArray data = compressed(snapshot);
    const bool ok = inTransaction(QStringLiteral("save a snapshot at seq %1").arg(seq), error, [&](QString& detail) {
        QSqlQuery q(m_sql->db);
        return run(q, QStringLiteral("DELETE FROM snapshots"), {}, &detail)
            && run(q, QStringLiteral("INSERT INTO snapshots (seq, created_ms, raw_bytes, data) VALUES (?, ?, ?, ?)"),
                { seqToSql(seq), nowMs(), rawBytes, data }, &detail);
    });
    if (!ok)
        return false;
    m_snapshotSeq = seq;
    m_stats.snapshotBytes = std::uint64_t(data.size());
    return true;
}

std::optional<StoredSnapshot> RoomStore::latestSnapshot(QString* error) const
{
    QSqlQuery q(m_sql->db);
    q.setForwardOnly(true);
    QString detail;
    if (!run(q, QStringLiteral("SELECT seq, raw_bytes, data FROM snapshots ORDER BY seq DESC LIMIT 1"), {}, &detail)) {
        fail(error, QStringLiteral("could not read the latest snapshot"), detail);
        return std::nullopt;
    }
    StoredSnapshot snapshot;
    if (!q.next()) {
        if (failedReading(q, &detail)) {
            fail(error, QStringLiteral("could not read the latest snapshot"), detail);
            return std::nullopt;
        }
        return snapshot;
    }
    snapshot.exists = true;
    snapshot.seq = RoomSequence(std::max<qint64>(0, q.value(0).toLongLong()));
    if (!uncompress(q.value(2).toByteArray(), q.value(1).toLongLong(), &snapshot.bytes)) {
        fail(error, QStringLiteral("the snapshot at seq %1 is damaged").arg(snapshot.seq),
            QStringLiteral("it does not uncompress to its recorded size"));
        return std::nullopt;
    }
    return snapshot;
}

bool RoomStore::compactThrough(RoomSequence seq, QString* error)
{
    if (seq <= m_compactedThrough)
        return true;
    if (!m_snapshotSeq || *m_snapshotSeq < seq)
        return fail(error, QStringLiteral("cannot compact the log through seq %1").arg(seq),
            m_snapshotSeq ? QStringLiteral("the latest snapshot is at seq %1").arg(*m_snapshotSeq)
                          : QStringLiteral("there is no snapshot"));
    VersionVector compacted = *m_compacted;
    std::uint64_t rows = 0, ops = 0, bytes = 0;
    const bool ok
        = inTransaction(QStringLiteral("compact the log through seq %1").arg(seq), error, [&](QString& detail) {
              QSqlQuery q(m_sql->db);
              q.setForwardOnly(true);
              if (!run(q,
                      QStringLiteral("SELECT replica, first_counter, last_counter, length(bytes) FROM ops "
                                     "WHERE seq <= ?"),
                      { seqToSql(seq) }, &detail))
                  return false;
              while (q.next()) {
                  const std::uint32_t first = std::uint32_t(q.value(1).toLongLong());
                  const std::uint32_t last = std::uint32_t(q.value(2).toLongLong());
                  compacted.add(ReplicaId(q.value(0).toLongLong()), first, last);
                  ++rows;
                  ops += last - first + 1;
                  bytes += std::uint64_t(q.value(3).toLongLong());
              }
              if (failedReading(q, &detail))
                  return false;
              if (!run(q, QStringLiteral("DELETE FROM ops WHERE seq <= ?"), { seqToSql(seq) }, &detail)
                  || !run(q, QStringLiteral("DELETE FROM compacted_ranges"), {}, &detail))
                  return false;
              bool inserted = true;
              compacted.forEachRange([&](ReplicaId replica, std::uint32_t first, std::uint32_t last) {
                  inserted = inserted
                      && run(q,
                          QStringLiteral("INSERT INTO compacted_ranges (replica, first_counter, "
                                         "last_counter) VALUES (?, ?, ?)"),
                          { qint64(replica), qint64(first), qint64(last) }, &detail);
              });
              return inserted
                  && run(q, QStringLiteral("UPDATE meta SET value = ? WHERE key = 'compacted_through'"),
                      { seqToSql(seq) }, &detail);
          });
    if (!ok)
        return false;
    *m_compacted = std::move(compacted);
    m_compactedThrough = seq;
    m_stats.compactedThrough = seq;
    m_stats.logTransactions -= std::min(rows, m_stats.logTransactions);
    m_stats.logOperations -= std::min(ops, m_stats.logOperations);
    m_stats.logBytes -= std::min(bytes, m_stats.logBytes);
    return true;
}

std::optional<RoomSequence> RoomStore::loadDocument(GraphDocument& document, QString* error) const
{
    const std::optional<StoredSnapshot> snapshot = latestSnapshot(error);
    if (!snapshot)
        return std::nullopt;
    RoomSequence from = 0;
    if (snapshot->exists) {
        std::string problem;
        if (!document.mergeSnapshot(snapshot->bytes, &problem)) {
            fail(error, QStringLiteral("the snapshot at seq %1 is damaged").arg(snapshot->seq),
                QString::fromStdString(problem));
            return std::nullopt;
        }
        from = snapshot->seq;
    }
    if (from < m_compactedThrough) {
        fail(error, QStringLiteral("damaged: the log is compacted through seq %1").arg(m_compactedThrough),
            snapshot->exists ? QStringLiteral("but the latest snapshot is at seq %1").arg(from)
                             : QStringLiteral("but there is no snapshot"));
        return std::nullopt;
    }
    QSqlQuery q(m_sql->db);
    q.setForwardOnly(true);
    QString detail;
    if (!run(q, QStringLiteral("SELECT seq, replica, first_counter, bytes FROM ops WHERE seq > ? ORDER BY seq"),
            { seqToSql(from) }, &detail)) {
        fail(error, QStringLiteral("could not read the log"), detail);
        return std::nullopt;
    }
    while (q.next()) {
        const RoomSequence seq = RoomSequence(q.value(0).toLongLong());
        std::string problem;
        std::optional<Transaction> t = Transaction::decode(q.value(3).toByteArray().toStdString(), &problem);
        if (t
            && (t->header().replica != ReplicaId(q.value(1).toLongLong())
                || t->header().firstCounter != std::uint32_t(q.value(2).toLongLong()))) {
            problem = "its operation id does not match its row";
            t.reset();
        }
        if (!t) {
            fail(error, QStringLiteral("the transaction at seq %1 is damaged").arg(seq),
                QString::fromStdString(problem));
            return std::nullopt;
        }
        document.apply(*t);
    }
    if (failedReading(q, &detail)) {
        fail(error, QStringLiteral("could not read the log"), detail);
        return std::nullopt;
    }
    return m_committedSeq;
}

// ---- members ---------------------------------------------------------------------------------

bool RoomStore::setMember(UserId user, RoomRole role, const QString& displayName, QString* error)
{
    const bool ok = inTransaction(
        QStringLiteral("set member %1").arg(user, 16, 16, QLatin1Char('0')), error, [&](QString& detail) {
            QSqlQuery q(m_sql->db);
            return run(q,
                QStringLiteral("INSERT INTO members (user_id, role, display_name, updated_ms) "
                               "VALUES (?, ?, coalesce(?, ''), ?) ON CONFLICT (user_id) DO UPDATE SET "
                               "role = excluded.role, display_name = excluded.display_name, "
                               "updated_ms = excluded.updated_ms"),
                { toSql(user), int(role), displayName, nowMs() }, &detail);
        });
    if (ok)
        m_members[user] = { user, role, displayName };
    return ok;
}

bool RoomStore::setRole(UserId user, RoomRole role, QString* error)
{
    const auto it = m_members.find(user);
    return setMember(user, role, it == m_members.end() ? QString() : it->second.displayName, error);
}

bool RoomStore::removeMember(UserId user, QString* error)
{
    const QString what = QStringLiteral("remove member %1").arg(user, 16, 16, QLatin1Char('0'));
    if (!m_members.count(user))
        return fail(error, what, QStringLiteral("not a member"));
    const bool ok = inTransaction(what, error, [&](QString& detail) {
        QSqlQuery q(m_sql->db);
        return run(q, QStringLiteral("DELETE FROM members WHERE user_id = ?"), { toSql(user) }, &detail);
    });
    if (!ok)
        return false;
    m_members.erase(user);
    std::erase_if(m_ownerTokens, [user](const auto& entry) { return entry.second == user; });
    return true;
}

std::optional<RoomMember> RoomStore::member(UserId user) const
{
    const auto it = m_members.find(user);
    if (it == m_members.end())
        return std::nullopt;
    return it->second;
}

std::optional<RoomRole> RoomStore::role(UserId user) const
{
    const auto it = m_members.find(user);
    if (it == m_members.end())
        return std::nullopt;
    return it->second.role;
}

std::vector<RoomMember> RoomStore::members() const
{
    std::vector<RoomMember> out;
    out.reserve(m_members.size());
    for (const auto& [user, m] : m_members)
        out.push_back(m);
    return out;
}

// ---- owner tokens ---------------------------------------------------------------------------

std::optional<QString> RoomStore::createOwnerToken(UserId user, QString* error)
{
    const QString what = QStringLiteral("create an owner token for %1").arg(user, 16, 16, QLatin1Char('0'));
    if (!m_members.count(user)) {
        fail(error, what, QStringLiteral("not a member"));
        return std::nullopt;
    }
    const QByteArray token = randomBytes(32);
    const QByteArray hash = sha256(token);
    const bool ok = inTransaction(what, error, [&](QString& detail) {
        QSqlQuery q(m_sql->db);
        return run(q, QStringLiteral("INSERT INTO owner_tokens (token_sha256, user_id, created_ms) VALUES (?, ?, ?)"),
            { hash, toSql(user), nowMs() }, &detail);
    });
    if (!ok)
        return std::nullopt;
    m_ownerTokens[hash] = user;
    return QString::fromLatin1(token.toHex());
}

std::optional<UserId> RoomStore::checkOwnerToken(QStringView token) const
{
    if (token.size() != 64)
        return std::nullopt;
    for (QChar c : token)
        if (c.unicode() > 0x7f || !std::isxdigit(int(c.unicode())))
            return std::nullopt;
    const auto it = m_ownerTokens.find(sha256(QByteArray::fromHex(token.toLatin1())));
    if (it == m_ownerTokens.end())
        return std::nullopt;
    return it->second;
}

bool RoomStore::revokeOwnerTokens(UserId user, QString* error)
{
    const bool ok = inTransaction(QStringLiteral("revoke the owner tokens of %1").arg(user, 16, 16, QLatin1Char('0')),
        error, [&](QString& detail) {
            QSqlQuery q(m_sql->db);
            return run(q, QStringLiteral("DELETE FROM owner_tokens WHERE user_id = ?"), { toSql(user) }, &detail);
        });
    if (ok)
        std::erase_if(m_ownerTokens, [user](const auto& entry) { return entry.second == user; });
    return ok;
}

// ---- access key ------------------------------------------------------------------------------

bool RoomStore::setAccessKey(const QString& key, QString* error, int iterations)
{
    if (key.isEmpty())
        return fail(error, QStringLiteral("set the access key"), QStringLiteral("the key is empty (clear it instead)"));
    if (iterations < scram::DefaultIterations || iterations > scram::MaxIterations)
        return fail(error, QStringLiteral("set the access key"),
            QStringLiteral("iterations must be %1 to %2").arg(scram::DefaultIterations).arg(scram::MaxIterations));
    return setAccessKeyVerifier(scram::makeVerifier(key, randomBytes(scram::SaltBytes), iterations), error);
}

bool RoomStore::setAccessKeyVerifier(const scram::Verifier& v, QString* error)
{
    const QString what = QStringLiteral("set the access key");
    if (v.salt.isEmpty() || v.iterations < scram::DefaultIterations || v.iterations > scram::MaxIterations
        || v.storedKey.size() != 32 || v.serverKey.size() != 32)
        return fail(error, what, QStringLiteral("the verifier is malformed"));
    const bool ok = inTransaction(what, error, [&](QString& detail) {
        QSqlQuery q(m_sql->db);
        return run(q,
            QStringLiteral("INSERT OR REPLACE INTO access_key (id, salt, iterations, stored_key, server_key, "
                           "set_ms) VALUES (1, ?, ?, ?, ?, ?)"),
            { v.salt, v.iterations, v.storedKey, v.serverKey, nowMs() }, &detail);
    });
    if (ok)
        m_accessKey = v;
    return ok;
}

bool RoomStore::clearAccessKey(QString* error)
{
    const bool ok = inTransaction(QStringLiteral("clear the access key"), error, [&](QString& detail) {
        QSqlQuery q(m_sql->db);
        return run(q, QStringLiteral("DELETE FROM access_key"), {}, &detail);
    });
    if (ok)
        m_accessKey.reset();
    return ok;
}

// ---- named versions ------------------------------------------------------------------------

std::optional<qint64> RoomStore::saveVersion(
    const QString& name, UserId author, RoomSequence seq, std::string_view snapshotBytes, QString* error)
{
    return saveVersion(name, author, seq, toSnapshot(compress(snapshotBytes)), error);
}

std::optional<qint64> RoomStore::saveVersion(
    const QString& name, UserId author, RoomSequence seq, const CompressedSnapshot& snapshot, QString* error)
{
    const QString trimmed = name.trimmed();
    if (trimmed.isEmpty() || trimmed.size() > MaxVersionNameLength) {
        fail(error, QStringLiteral("cannot save version '%1'").arg(name.left(MaxVersionNameLength)),
            QStringLiteral("a name has 1 to %1 characters").arg(MaxVersionNameLength));
        return std::nullopt;
    }
    const qint64 rawBytes = snapshot.rawBytes();
    if (rawBytes < 0) {
        fail(error, QStringLiteral("cannot save version '%1'").arg(trimmed),
            QStringLiteral("its compressed bytes have no header"));
        return std::nullopt;
    }
    const QByteArray data = compressed(snapshot);
    qint64 id = 0;
    const bool ok = inTransaction(QStringLiteral("save version '%1'").arg(trimmed), error, [&](QString& detail) {
        QSqlQuery q(m_sql->db);
        if (!run(q,
                QStringLiteral("INSERT INTO versions (name, author, created_ms, seq, raw_bytes, data) "
                               "VALUES (?, ?, ?, ?, ?, ?)"),
                { trimmed, toSql(author), nowMs(), seqToSql(seq), rawBytes, data }, &detail))
            return false;
        id = q.lastInsertId().toLongLong();
        return true;
    });
    if (!ok)
        return std::nullopt;
    ++m_stats.versions;
    m_stats.versionBytes += std::uint64_t(data.size());
    return id;
}

std::optional<std::vector<RoomVersionInfo>> RoomStore::listVersions(QString* error) const
{
    QSqlQuery q(m_sql->db);
    q.setForwardOnly(true);
    QString detail;
    std::vector<RoomVersionInfo> out;
    if (run(q, QStringLiteral("SELECT id, name, author, created_ms, seq FROM versions ORDER BY id"), {}, &detail)) {
        while (q.next())
            out.push_back({ q.value(0).toLongLong(), q.value(1).toString(), fromSql(q.value(2)),
                q.value(3).toLongLong(), RoomSequence(std::max<qint64>(0, q.value(4).toLongLong())) });
        if (!failedReading(q, &detail))
            return out;
    }
    fail(error, QStringLiteral("could not list the versions"), detail);
    return std::nullopt;
}

std::optional<std::string> RoomStore::version(qint64 id, QString* error) const
{
    const std::optional<StoredVersion> stored = storedVersion(id, error);
    if (!stored)
        return std::nullopt;
    const CompressedSnapshot& c = stored->snapshot;
    std::string bytes;
    if (!uncompress(compressed(c), c.rawBytes(), &bytes)) {
        fail(error, QStringLiteral("could not read version %1").arg(id),
            QStringLiteral("damaged: it does not uncompress to its recorded size"));
        return std::nullopt;
    }
    return bytes;
}

std::optional<StoredVersion> RoomStore::storedVersion(qint64 id, QString* error) const
{
    const QString what = QStringLiteral("could not read version %1").arg(id);
    QSqlQuery q(m_sql->db);
    q.setForwardOnly(true);
    QString detail;
    if (!run(q, QStringLiteral("SELECT seq, raw_bytes, data FROM versions WHERE id = ?"), { id }, &detail)) {
        fail(error, what, detail);
        return std::nullopt;
    }
    if (!q.next()) {
        fail(error, what, failedReading(q, &detail) ? detail : QStringLiteral("no such version"));
        return std::nullopt;
    }
    StoredVersion v;
    v.seq = RoomSequence(std::max<qint64>(0, q.value(0).toLongLong()));
    v.snapshot = toSnapshot(q.value(2).toByteArray());
    if (v.snapshot.rawBytes() < 0 || v.snapshot.rawBytes() != q.value(1).toLongLong()) {
        fail(error, what, QStringLiteral("damaged: its header does not match its recorded size"));
        return std::nullopt;
    }
    return v;
}

bool RoomStore::deleteVersion(qint64 id, QString* error)
{
    int removed = 0;
    const bool ok = inTransaction(QStringLiteral("delete version %1").arg(id), error, [&](QString& detail) {
        QSqlQuery q(m_sql->db);
        if (!run(q, QStringLiteral("DELETE FROM versions WHERE id = ?"), { id }, &detail))
            return false;
        removed = q.numRowsAffected();
        return true;
    });
    if (!ok)
        return false;
    if (removed == 0)
        return fail(error, QStringLiteral("could not delete version %1").arg(id), QStringLiteral("no such version"));
    QString detail;
    reloadVersionStats(&detail);
    return true;
}

RoomStats RoomStore::stats() const
{
    RoomStats s = m_stats;
    QSqlQuery q(m_sql->db);
    QString detail;
    qint64 pages = 0, pageSize = 0;
    if (run(q, QStringLiteral("PRAGMA page_count"), {}, &detail) && q.next())
        pages = q.value(0).toLongLong();
    if (run(q, QStringLiteral("PRAGMA page_size"), {}, &detail) && q.next())
        pageSize = q.value(0).toLongLong();
    s.fileBytes = std::uint64_t(std::max<qint64>(0, pages * pageSize));
    return s;
}

} // namespace constellate::net
