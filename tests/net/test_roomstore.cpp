// RoomStore: durable storage of one room in SQLite, on real files in a temporary directory.

#include "roomstore.h"

#include "graphdocument.h"
#include "transaction.h"

#include <QDir>
#include <QFile>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QVariant>

#include <gtest/gtest.h>

#include <random>

using namespace constellate;
using namespace constellate::net;

namespace {

FieldRef ref(Field f)
{
    return { f, {} };
}

/// A plain connection to a room file, to look at (or tamper with) what the store wrote.
class RawDatabase {
public:
    explicit RawDatabase(const QString& path)
        : m_name(QStringLiteral("test-raw-%1").arg(++s_count))
    {
        m_db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), m_name);
        m_db.setDatabaseName(path);
        EXPECT_TRUE(m_db.open());
    }
    ~RawDatabase()
    {
        m_db.close();
        m_db = QSqlDatabase();
        QSqlDatabase::removeDatabase(m_name);
    }
    bool exec(const QString& sql, const QVariantList& binds = {})
    {
        QSqlQuery q(m_db);
        q.prepare(sql);
        for (int i = 0; i < binds.size(); ++i)
            q.bindValue(i, binds[i]);
        const bool ok = q.exec();
        EXPECT_TRUE(ok) << sql.toStdString() << ": " << q.lastError().text().toStdString();
        return ok;
    }
    QVariant scalar(const QString& sql)
    {
        QSqlQuery q(m_db);
        if (!q.exec(sql) || !q.next())
            return {};
        return q.value(0);
    }

private:
    static inline int s_count = 0;
    QString m_name;
    QSqlDatabase m_db;
};

/// Several replicas editing one graph; each transaction is seen by all of them at once, and
/// kept in `log` in the order made.
class EditSession {
public:
    explicit EditSession(unsigned seed, int writers = 3)
        : m_rng(seed)
    {
        for (int i = 0; i < writers; ++i)
            m_writers.push_back(std::make_unique<GraphDocument>(ReplicaId(0x100 + i), UserId(1000 + i)));
    }

    /// One random action by a random writer: create a node or an edge, relabel, delete or
    /// restore a node. `labelBytes` makes big transactions.
    Transaction step(std::size_t labelBytes = 0)
    {
        GraphDocument& w = *m_writers[m_rng() % m_writers.size()];
        TransactionBuilder t = w.begin();
        const int action = m_nodes.size() < 3 ? 0 : int(m_rng() % 4);
        const auto pick = [&] { return m_nodes[m_rng() % m_nodes.size()]; };
        const std::string label
            = labelBytes ? std::string(labelBytes, char('a' + m_rng() % 26)) : "n" + std::to_string(log.size());
        switch (action) {
        case 0:
            m_nodes.push_back(t.createNode({ { ref(Field::Label), Value(label) },
                { ref(Field::Position), Value(Vec3 { float(log.size()), 1, 2 }) } }));
            break;
        case 1:
            t.createEdge(pick(), pick(), m_rng() % 2 == 0, { { ref(Field::Weight), Value(2.5) } });
            break;
        case 2:
            w.set(t, pick(), ref(Field::Label), Value(label));
            break;
        default:
            w.set(t, pick(), ref(Field::Exists), Value(m_rng() % 3 != 0));
            break;
        }
        log.push_back(w.commit(t));
        for (auto& other : m_writers)
            if (other.get() != &w)
                other->apply(log.back());
        return log.back();
    }

    const GraphDocument& document() const { return *m_writers.front(); }
    std::vector<Transaction> log;

private:
    std::mt19937 m_rng;
    std::vector<std::unique_ptr<GraphDocument>> m_writers;
    std::vector<EntityId> m_nodes;
};

class RoomStoreTest : public ::testing::Test {
protected:
    QTemporaryDir dir;
    QString dataDir() const { return dir.path(); }

    std::unique_ptr<RoomStore> create(const QString& name = QStringLiteral("room"), UserId owner = 42)
    {
        QString error;
        auto store = RoomStore::create(dataDir(), name, owner, &error);
        EXPECT_TRUE(store) << error.toStdString();
        return store;
    }
    std::unique_ptr<RoomStore> reopen(const QString& name = QStringLiteral("room"))
    {
        QString error;
        auto store = RoomStore::open(dataDir(), name, &error);
        EXPECT_TRUE(store) << error.toStdString();
        return store;
    }
    static AppendResult append(RoomStore& store, const Transaction& t)
    {
        QString error;
        const auto r = store.append(t, &error);
        EXPECT_TRUE(r) << error.toStdString();
        return r.value_or(AppendResult {});
    }
    static RoomSequence commit(RoomStore& store)
    {
        QString error;
        const auto seq = store.commit(&error);
        EXPECT_TRUE(seq) << error.toStdString();
        return seq.value_or(0);
    }
    static std::vector<LoggedTransaction> allOps(const RoomStore& store, RoomSequence after = 0)
    {
        QString error;
        const auto read = store.opsAfter(after, 0, &error);
        EXPECT_TRUE(read) << error.toStdString();
        return read ? read->transactions : std::vector<LoggedTransaction> {};
    }
    static std::string loadHash(const RoomStore& store, RoomSequence* seq = nullptr)
    {
        GraphDocument doc(0x5e7e, 0);
        QString error;
        const auto loaded = store.loadDocument(doc, &error);
        EXPECT_TRUE(loaded) << error.toStdString();
        if (seq)
            *seq = loaded.value_or(0);
        return doc.canonicalHash();
    }
};

// ---- names and files ------------------------------------------------------------------------

TEST(RoomName, ValidAndInvalid)
{
    for (const char* ok : { "a", "lesmis", "Room-1_2.v3", ".hidden", "a..b", "..a", "-", "_" })
        EXPECT_TRUE(RoomStore::isValidRoomName(QString::fromLatin1(ok))) << ok;
    EXPECT_TRUE(RoomStore::isValidRoomName(QString(128, QLatin1Char('x'))));
    for (const char* bad : { "", ".", "..", "...", "a/b", "a b", "a\\b", "a:b", "a\nb", "../x", "r\xc3\xa9" })
        EXPECT_FALSE(RoomStore::isValidRoomName(QString::fromUtf8(bad))) << bad;
    EXPECT_FALSE(RoomStore::isValidRoomName(QString(129, QLatin1Char('x'))));
    EXPECT_FALSE(RoomStore::isValidRoomName(QStringLiteral("a\u0000b")));
}

TEST_F(RoomStoreTest, CreateOpenAndMissingRooms)
{
    QString error;
    EXPECT_FALSE(RoomStore::open(dataDir(), QStringLiteral("nope"), &error));
    EXPECT_TRUE(error.contains(QLatin1String("does not exist"))) << error.toStdString();
    EXPECT_FALSE(QFile::exists(RoomStore::roomPath(dataDir(), u"nope"))) << "joining must not create a room";

    auto store = create(QStringLiteral("lesmis"), 7);
    ASSERT_TRUE(store);
    EXPECT_EQ(store->path(), RoomStore::roomPath(dataDir(), u"lesmis"));
    EXPECT_TRUE(store->path().endsWith(QLatin1String("/rooms/lesmis.sqlite")));
    EXPECT_EQ(store->schemaVersion(), RoomStore::SchemaVersion);
    EXPECT_EQ(store->committedSeq(), 0u);
    EXPECT_EQ(store->role(7), RoomRole::Owner);

    error.clear();
    EXPECT_FALSE(RoomStore::create(dataDir(), QStringLiteral("lesmis"), 8, &error));
    EXPECT_TRUE(error.contains(QLatin1String("already exists"))) << error.toStdString();

    EXPECT_TRUE(reopen(QStringLiteral("lesmis")));
    create(QStringLiteral(".b"));
    create(QStringLiteral("a"));
    EXPECT_EQ(RoomStore::listRooms(dataDir()), (QStringList { ".b", "a", "lesmis" }));
    EXPECT_TRUE(RoomStore::roomExists(dataDir(), u"a"));
    EXPECT_TRUE(RoomStore::listRooms(dataDir() + QStringLiteral("/elsewhere")).isEmpty());

    store.reset();
    ASSERT_TRUE(RoomStore::deleteRoom(dataDir(), QStringLiteral("lesmis"), &error)) << error.toStdString();
    EXPECT_EQ(RoomStore::listRooms(dataDir()), (QStringList { ".b", "a" }));
    EXPECT_FALSE(RoomStore::open(dataDir(), QStringLiteral("lesmis"), &error));
    EXPECT_FALSE(RoomStore::deleteRoom(dataDir(), QStringLiteral("lesmis"), &error));
    EXPECT_TRUE(error.contains(QLatin1String("does not exist"))) << error.toStdString();
    // Nothing but rooms in the directory: no temporary files left behind.
    EXPECT_EQ(QDir(RoomStore::roomsDir(dataDir())).entryList(QDir::Files | QDir::Hidden),
        (QStringList { ".b.sqlite", "a.sqlite" }));
}

TEST_F(RoomStoreTest, InvalidNamesAreRefusedEverywhere)
{
    for (const QString& name :
        { QStringLiteral(".."), QStringLiteral("../escape"), QStringLiteral(""), QStringLiteral("a b") }) {
        QString error;
        EXPECT_FALSE(RoomStore::create(dataDir(), name, 1, &error));
        EXPECT_TRUE(error.contains(QLatin1String("invalid room name"))) << error.toStdString();
        error.clear();
        EXPECT_FALSE(RoomStore::open(dataDir(), name, &error));
        EXPECT_TRUE(error.contains(QLatin1String("invalid room name"))) << error.toStdString();
        error.clear();
        EXPECT_FALSE(RoomStore::deleteRoom(dataDir(), name, &error));
        EXPECT_TRUE(error.contains(QLatin1String("invalid room name"))) << error.toStdString();
    }
    EXPECT_FALSE(QFile::exists(dataDir() + QStringLiteral("/escape.sqlite")));
}

TEST_F(RoomStoreTest, PragmasAreReadBack)
{
    auto store = create();
    ASSERT_TRUE(store);
    EXPECT_EQ(store->journalMode(), QStringLiteral("wal"));
    EXPECT_EQ(store->synchronous(), 2); // FULL
    const QString report = store->settingsReport();
    EXPECT_TRUE(report.contains(QLatin1String("journal_mode=wal"))) << report.toStdString();
    EXPECT_TRUE(report.contains(QLatin1String("synchronous=2"))) << report.toStdString();
    EXPECT_TRUE(report.contains(QLatin1String("foreign_keys=1"))) << report.toStdString();
    EXPECT_TRUE(report.contains(QStringLiteral("busy_timeout=%1").arg(RoomStore::BusyTimeoutMs)))
        << report.toStdString();

    store = reopen();
    ASSERT_TRUE(store);
    EXPECT_EQ(store->journalMode(), QStringLiteral("wal"));
    EXPECT_EQ(store->synchronous(), 2);
}

TEST_F(RoomStoreTest, EpochIsKeptAndNewForANewStore)
{
    auto store = create();
    ASSERT_TRUE(store);
    const std::uint64_t epoch = store->epoch();
    EXPECT_NE(epoch, 0u);
    store = reopen();
    ASSERT_TRUE(store);
    EXPECT_EQ(store->epoch(), epoch);
    store.reset();
    QString error;
    ASSERT_TRUE(RoomStore::deleteRoom(dataDir(), QStringLiteral("room"), &error)) << error.toStdString();
    store = create();
    ASSERT_TRUE(store);
    EXPECT_NE(store->epoch(), epoch);
}

TEST_F(RoomStoreTest, ARoomCreatedFromASnapshotStartsAsItAndItsLogContinuesAfterIt)
{
    // A replica's copy (a host handover): every operation with its ids and stamps.
    EditSession session(7);
    for (int i = 0; i < 30; ++i)
        session.step();
    const std::string copy = session.document().encodeSnapshot();
    QString error;
    auto store = RoomStore::create(dataDir(), QStringLiteral("copy"), 42, &error, copy);
    ASSERT_TRUE(store) << error.toStdString();
    EXPECT_EQ(store->committedSeq(), 0u);
    EXPECT_TRUE(allOps(*store).empty());
    EXPECT_EQ(loadHash(*store), session.document().canonicalHash());
    EXPECT_EQ(store->role(42), RoomRole::Owner);

    // New transactions are numbered from 1, after the first state, and load on top of it.
    const Transaction more = session.step();
    EXPECT_EQ(append(*store, more).seq, 1u);
    EXPECT_EQ(commit(*store), 1u);
    store = reopen(QStringLiteral("copy"));
    ASSERT_TRUE(store);
    RoomSequence seq = 0;
    EXPECT_EQ(loadHash(*store, &seq), session.document().canonicalHash());
    EXPECT_EQ(seq, 1u);

    // A snapshot that does not load makes no room at all.
    std::string damaged = copy;
    damaged.resize(damaged.size() / 2);
    EXPECT_FALSE(RoomStore::create(dataDir(), QStringLiteral("damaged"), 42, &error, damaged));
    EXPECT_TRUE(error.contains(QLatin1String("initial snapshot does not load"))) << error.toStdString();
    EXPECT_FALSE(RoomStore::roomExists(dataDir(), QStringLiteral("damaged")));
    EXPECT_TRUE(QDir(RoomStore::roomsDir(dataDir())).entryList({QStringLiteral("damaged*")}, QDir::Files).isEmpty());
}

// ---- the log ------------------------------------------------------------------------------------

TEST_F(RoomStoreTest, AppendCommitReopenContinuesWithoutLossOrDuplicates)
{
    EditSession session(1);
    auto store = create();
    ASSERT_TRUE(store);
    for (int i = 0; i < 10; ++i) {
        const AppendResult r = append(*store, session.step());
        EXPECT_EQ(r.seq, RoomSequence(i + 1));
        EXPECT_FALSE(r.duplicate);
    }
    EXPECT_EQ(store->pendingCount(), 10u);
    EXPECT_EQ(store->committedSeq(), 0u) << "nothing is committed before commit()";
    EXPECT_EQ(store->stats().logTransactions, 0u) << "nothing is on disk before commit()";
    EXPECT_EQ(allOps(*store).size(), 10u) << "what is queued is read with the log";
    EXPECT_EQ(commit(*store), 10u);
    EXPECT_EQ(store->pendingCount(), 0u);
    EXPECT_EQ(commit(*store), 10u) << "an empty commit changes nothing";

    store = reopen();
    ASSERT_TRUE(store);
    EXPECT_EQ(store->committedSeq(), 10u);
    const auto ops = allOps(*store);
    ASSERT_EQ(ops.size(), 10u);
    for (std::size_t i = 0; i < ops.size(); ++i) {
        EXPECT_EQ(ops[i].seq, RoomSequence(i + 1));
        EXPECT_EQ(ops[i].bytes, session.log[i].bytes());
    }

    // A client re-sends what it had sent before the restart: recognised, not stored again.
    const AppendResult again = append(*store, session.log[3]);
    EXPECT_TRUE(again.duplicate);
    EXPECT_EQ(again.seq, 4u);
    // New transactions continue after the highest committed number.
    EXPECT_EQ(append(*store, session.step()).seq, 11u);
    EXPECT_EQ(commit(*store), 11u);
    store = reopen();
    ASSERT_TRUE(store);
    EXPECT_EQ(allOps(*store).size(), 11u);
    EXPECT_EQ(store->stats().logTransactions, 11u);
    EXPECT_EQ(loadHash(*store), session.document().canonicalHash());
}

TEST_F(RoomStoreTest, DuplicatesInTheQueueAreNotQueuedTwice)
{
    EditSession session(2);
    auto store = create();
    ASSERT_TRUE(store);
    const Transaction a = session.step();
    const Transaction b = session.step();
    EXPECT_EQ(append(*store, a).seq, 1u);
    const AppendResult dup = append(*store, a);
    EXPECT_TRUE(dup.duplicate);
    EXPECT_EQ(dup.seq, 1u);
    EXPECT_EQ(append(*store, b).seq, 2u);
    EXPECT_EQ(store->pendingCount(), 2u);
    EXPECT_EQ(commit(*store), 2u);
    const AppendResult stored = append(*store, b);
    EXPECT_TRUE(stored.duplicate);
    EXPECT_EQ(stored.seq, 2u);
    EXPECT_EQ(store->pendingCount(), 0u);
    EXPECT_EQ(allOps(*store).size(), 2u);

    QString error;
    EXPECT_FALSE(store->append(Transaction(), &error));
    EXPECT_TRUE(error.contains(QLatin1String("empty"))) << error.toStdString();
}

TEST_F(RoomStoreTest, GroupCommitWritesManyTransactionsInOneCommit)
{
    EditSession session(3);
    auto store = create();
    ASSERT_TRUE(store);
    const std::uint64_t commitsBefore = store->stats().commits;
    for (int i = 0; i < 1000; ++i)
        append(*store, session.step());
    EXPECT_EQ(commit(*store), 1000u);
    EXPECT_EQ(store->stats().commits, commitsBefore + 1);
    EXPECT_EQ(store->stats().logTransactions, 1000u);
    EXPECT_GT(store->stats().logBytes, 1000u);
    EXPECT_GT(store->stats().fileBytes, store->stats().logBytes);

    QString error;
    const auto page = store->opsAfter(100, 50, &error);
    ASSERT_TRUE(page) << error.toStdString();
    ASSERT_EQ(page->transactions.size(), 50u);
    EXPECT_EQ(page->transactions.front().seq, 101u);
    EXPECT_EQ(page->transactions.back().seq, 150u);
    EXPECT_FALSE(page->compacted);
    const auto bounded = store->opsAfter(0, 0, &error, 1);
    ASSERT_TRUE(bounded);
    EXPECT_EQ(bounded->transactions.size(), 1u) << "a byte bound still returns one transaction";
    const auto tail = store->opsAfter(1000, 10, &error);
    ASSERT_TRUE(tail);
    EXPECT_TRUE(tail->transactions.empty());
    // Appended, not yet committed (group commit): read too, after what is on disk.
    append(*store, session.step());
    append(*store, session.step());
    const auto withPending = store->opsAfter(999, 0, &error);
    ASSERT_TRUE(withPending);
    ASSERT_EQ(withPending->transactions.size(), 3u);
    EXPECT_EQ(withPending->transactions[1].seq, 1001u);
    EXPECT_EQ(withPending->transactions[2].seq, 1002u);
    EXPECT_EQ(commit(*store), 1002u);

    store = reopen();
    ASSERT_TRUE(store);
    EXPECT_EQ(store->committedSeq(), 1002u);
    EXPECT_EQ(loadHash(*store), session.document().canonicalHash());
}

TEST_F(RoomStoreTest, FullDiskRefusesTheBatchAndCorruptsNothing)
{
    EditSession session(4);
    auto store = create();
    ASSERT_TRUE(store);
    for (int i = 0; i < 20; ++i)
        append(*store, session.step());
    ASSERT_EQ(commit(*store), 20u);
    const std::string hashAt20 = loadHash(*store);

    // No room to grow: the next pages a write needs are refused with SQLITE_FULL.
    QString error;
    ASSERT_TRUE(store->setSizeLimit(qint64(store->stats().fileBytes), &error)) << error.toStdString();
    std::vector<Transaction> refused;
    for (int i = 0; i < 50; ++i) {
        refused.push_back(session.step(8000));
        EXPECT_EQ(append(*store, refused.back()).seq, RoomSequence(21 + i));
    }
    EXPECT_FALSE(store->commit(&error));
    EXPECT_TRUE(error.contains(QLatin1String("full"))) << error.toStdString();
    EXPECT_TRUE(error.contains(QLatin1String("SQLite error 13"))) << error.toStdString();
    EXPECT_TRUE(error.contains(QLatin1String("room.sqlite"))) << error.toStdString();
    EXPECT_EQ(store->committedSeq(), 20u);
    EXPECT_EQ(store->pendingCount(), 0u) << "the failed batch is dropped";
    EXPECT_EQ(store->lastAssignedSeq(), 70u);
    EXPECT_EQ(store->stats().failedCommits, 1u);
    EXPECT_EQ(allOps(*store).size(), 20u) << "all or nothing: no part of the batch is stored";
    EXPECT_TRUE(store->checkIntegrity(&error)) << error.toStdString();
    EXPECT_EQ(loadHash(*store), hashAt20);

    // Failed numbers are not handed out again by this store, which stays usable: a small
    // transaction still fits.
    const Transaction small = session.step();
    EXPECT_EQ(append(*store, small).seq, 71u);
    EXPECT_EQ(commit(*store), 71u);

    // Reopened (a restart after space was freed): everything committed is there, and
    // numbering continues after the highest committed number.
    store = reopen();
    ASSERT_TRUE(store);
    EXPECT_TRUE(store->checkIntegrity(&error)) << error.toStdString();
    EXPECT_EQ(store->committedSeq(), 71u);
    const auto ops = allOps(*store);
    ASSERT_EQ(ops.size(), 21u);
    EXPECT_EQ(ops[19].seq, 20u);
    EXPECT_EQ(ops[20].seq, 71u);
    // The senders re-send what was never acknowledged; it is stored now.
    for (const Transaction& t : refused)
        EXPECT_FALSE(append(*store, t).duplicate);
    EXPECT_TRUE(append(*store, small).duplicate);
    EXPECT_EQ(commit(*store), 121u);
    EXPECT_EQ(loadHash(*store), session.document().canonicalHash());
    EXPECT_NE(loadHash(*store), hashAt20);
}

TEST_F(RoomStoreTest, CompactionAndLoadGiveTheSameDocumentAsEveryOperation)
{
    EditSession session(5);
    for (int i = 0; i < 400; ++i)
        session.step();
    auto store = create();
    ASSERT_TRUE(store);
    for (std::size_t i = 0; i < session.log.size(); ++i) {
        append(*store, session.log[i]);
        if (i % 37 == 0)
            commit(*store);
    }
    ASSERT_EQ(commit(*store), 400u);
    const std::string expected = session.document().canonicalHash();
    EXPECT_EQ(loadHash(*store), expected);

    QString error;
    EXPECT_FALSE(store->compactThrough(100, &error)) << "no snapshot covers it";
    EXPECT_TRUE(error.contains(QLatin1String("no snapshot"))) << error.toStdString();
    EXPECT_FALSE(store->saveSnapshot(401, "x", &error)) << "not committed";

    // The state after the first 250 transactions.
    GraphDocument at250(0x5a, 0);
    for (int i = 0; i < 250; ++i)
        at250.apply(session.log[std::size_t(i)]);
    ASSERT_TRUE(store->saveSnapshot(250, at250.encodeSnapshot(), &error)) << error.toStdString();
    EXPECT_FALSE(store->saveSnapshot(200, at250.encodeSnapshot(), &error)) << "older than the latest";
    EXPECT_FALSE(store->compactThrough(251, &error));
    ASSERT_TRUE(store->compactThrough(250, &error)) << error.toStdString();
    EXPECT_EQ(store->compactedThrough(), 250u);
    EXPECT_EQ(store->stats().logTransactions, 150u);
    EXPECT_LT(store->stats().snapshotBytes, at250.encodeSnapshot().size());

    const auto latest = store->latestSnapshot(&error);
    ASSERT_TRUE(latest && latest->exists);
    EXPECT_EQ(latest->seq, 250u);
    EXPECT_EQ(latest->bytes, at250.encodeSnapshot());

    // A client behind the compaction point gets told to take the snapshot.
    const auto behind = store->opsAfter(249, 0, &error);
    ASSERT_TRUE(behind);
    EXPECT_TRUE(behind->compacted);
    EXPECT_TRUE(behind->transactions.empty());
    EXPECT_EQ(allOps(*store, 250).size(), 150u);

    RoomSequence seq = 0;
    EXPECT_EQ(loadHash(*store, &seq), expected);
    EXPECT_EQ(seq, 400u);

    store = reopen();
    ASSERT_TRUE(store);
    EXPECT_EQ(store->committedSeq(), 400u);
    EXPECT_EQ(store->compactedThrough(), 250u);
    GraphDocument loaded(0x5e, 0);
    ASSERT_TRUE(store->loadDocument(loaded, &error)) << error.toStdString();
    EXPECT_EQ(loaded.canonicalHash(), expected);
    EXPECT_EQ(loaded.versionVector(), session.document().versionVector());

    // A compacted transaction re-sent is still a duplicate, after a restart too.
    const AppendResult dup = append(*store, session.log[10]);
    EXPECT_TRUE(dup.duplicate);
    EXPECT_EQ(dup.seq, 250u);
    EXPECT_EQ(store->pendingCount(), 0u);

    // Compacting everything: numbering still continues after the highest committed.
    ASSERT_TRUE(store->saveSnapshot(400, session.document().encodeSnapshot(), &error)) << error.toStdString();
    ASSERT_TRUE(store->compactThrough(400, &error)) << error.toStdString();
    EXPECT_EQ(store->stats().logTransactions, 0u);
    store = reopen();
    ASSERT_TRUE(store);
    EXPECT_EQ(store->committedSeq(), 400u);
    EXPECT_EQ(loadHash(*store), expected);
    EXPECT_EQ(append(*store, session.step()).seq, 401u);
    EXPECT_EQ(commit(*store), 401u);
    EXPECT_EQ(loadHash(*store), session.document().canonicalHash());
}

// ---- members, tokens, access key -----------------------------------------------------------------

TEST_F(RoomStoreTest, RolesPerUser)
{
    auto store = create(QStringLiteral("room"), 1);
    ASSERT_TRUE(store);
    QString error;
    ASSERT_TRUE(store->setMember(2, RoomRole::Editor, QStringLiteral("Zoë"), &error)) << error.toStdString();
    ASSERT_TRUE(store->setMember(3, RoomRole::Viewer, QStringLiteral("Bob"), &error));
    ASSERT_TRUE(store->setRole(3, RoomRole::Editor, &error));
    // The whole 64-bit range of user ids.
    ASSERT_TRUE(store->setRole(0xffffffffffffffffull, RoomRole::Viewer, &error)) << error.toStdString();
    EXPECT_EQ(store->member(3), (RoomMember { 3, RoomRole::Editor, QStringLiteral("Bob") }));
    EXPECT_FALSE(store->member(99));
    EXPECT_FALSE(store->role(99));

    store = reopen();
    ASSERT_TRUE(store);
    const std::vector<RoomMember> expected { { 1, RoomRole::Owner, QString() },
        { 2, RoomRole::Editor, QStringLiteral("Zoë") }, { 3, RoomRole::Editor, QStringLiteral("Bob") },
        { 0xffffffffffffffffull, RoomRole::Viewer, QString() } };
    EXPECT_EQ(store->members(), expected);

    ASSERT_TRUE(store->removeMember(2, &error));
    EXPECT_FALSE(store->removeMember(2, &error));
    EXPECT_TRUE(error.contains(QLatin1String("not a member"))) << error.toStdString();
    store = reopen();
    ASSERT_TRUE(store);
    EXPECT_EQ(store->members().size(), 3u);
    EXPECT_FALSE(store->role(2));

    RawDatabase raw(store->path());
    EXPECT_EQ(raw.scalar(QStringLiteral("SELECT role FROM members WHERE user_id = 1")).toInt(), 3);
    EXPECT_EQ(roleFromNumber(3), RoomRole::Owner);
    EXPECT_FALSE(roleFromNumber(0));
    EXPECT_FALSE(roleFromNumber(4));
}

TEST_F(RoomStoreTest, OwnerTokenIsShownOnceAndStoredHashed)
{
    auto store = create(QStringLiteral("room"), 1);
    ASSERT_TRUE(store);
    QString error;
    const auto token = store->createOwnerToken(1, &error);
    ASSERT_TRUE(token) << error.toStdString();
    EXPECT_EQ(token->size(), 64);
    EXPECT_EQ(store->checkOwnerToken(*token), UserId(1));
    EXPECT_EQ(store->checkOwnerToken(token->toUpper()), UserId(1));
    QString wrong = *token;
    wrong[0] = wrong[0] == QLatin1Char('0') ? QLatin1Char('1') : QLatin1Char('0');
    EXPECT_FALSE(store->checkOwnerToken(wrong));
    EXPECT_FALSE(store->checkOwnerToken(token->left(63)));
    EXPECT_FALSE(store->checkOwnerToken(token->left(63) + QLatin1Char('g')));
    EXPECT_FALSE(store->checkOwnerToken(u""));
    EXPECT_FALSE(store->createOwnerToken(99, &error)) << "only for members";

    const auto second = store->createOwnerToken(1, &error);
    ASSERT_TRUE(second);
    EXPECT_NE(*second, *token);

    store = reopen();
    ASSERT_TRUE(store);
    EXPECT_EQ(store->checkOwnerToken(*token), UserId(1));
    {
        // Only hashes in the file, never the token.
        RawDatabase raw(store->path());
        EXPECT_EQ(raw.scalar(QStringLiteral("SELECT count(*) FROM owner_tokens")).toInt(), 2);
        EXPECT_EQ(raw.scalar(QStringLiteral("SELECT length(token_sha256) FROM owner_tokens LIMIT 1")).toInt(), 32);
    }
    store.reset();
    QFile file(RoomStore::roomPath(dataDir(), u"room"));
    ASSERT_TRUE(file.open(QIODevice::ReadOnly));
    const QByteArray content = file.readAll();
    EXPECT_FALSE(content.contains(QByteArray::fromHex(token->toLatin1())));
    EXPECT_FALSE(content.contains(token->toLatin1()));

    store = reopen();
    ASSERT_TRUE(store);
    ASSERT_TRUE(store->revokeOwnerTokens(1, &error));
    EXPECT_FALSE(store->checkOwnerToken(*token));
    const auto third = store->createOwnerToken(1, &error);
    ASSERT_TRUE(third);
    // Removing the member removes their tokens (a foreign key: foreign_keys=ON at work).
    ASSERT_TRUE(store->removeMember(1, &error));
    EXPECT_FALSE(store->checkOwnerToken(*third));
    store = reopen();
    ASSERT_TRUE(store);
    EXPECT_FALSE(store->checkOwnerToken(*third));
}

TEST_F(RoomStoreTest, AccessKeyKeepsOnlyAVerifier)
{
    auto store = create();
    ASSERT_TRUE(store);
    QString error;
    EXPECT_FALSE(store->hasAccessKey());
    EXPECT_FALSE(store->setAccessKey(QString(), &error));
    EXPECT_FALSE(store->setAccessKey(QStringLiteral("k"), &error, 10)) << "too few iterations";
    ASSERT_TRUE(store->setAccessKey(QStringLiteral("correct horse"), &error)) << error.toStdString();
    ASSERT_TRUE(store->hasAccessKey());
    const scram::Verifier v = *store->accessKeyVerifier();
    EXPECT_EQ(v.salt.size(), scram::SaltBytes);
    EXPECT_EQ(v.iterations, scram::DefaultIterations);
    EXPECT_EQ(v.storedKey.size(), scram::KeyBytes);
    EXPECT_EQ(v.serverKey.size(), scram::KeyBytes);

    const QByteArray auth = "client nonce,server nonce,binding";
    const scram::ClientResponse good
        = scram::clientResponse(QStringLiteral("correct horse"), v.salt, v.iterations, auth);
    EXPECT_TRUE(scram::verifyClientProof(v.storedKey, auth, good.proof));
    EXPECT_EQ(scram::serverSignature(v.serverKey, auth), good.expectedServerSignature);
    EXPECT_FALSE(scram::verifyClientProof(
        v.storedKey, auth, scram::clientProof(QStringLiteral("wrong horse"), v.salt, v.iterations, auth)));
    EXPECT_FALSE(scram::verifyClientProof(v.storedKey, auth + "x", good.proof)) << "bound to this exchange";

    store = reopen();
    ASSERT_TRUE(store);
    EXPECT_EQ(store->accessKeyVerifier(), v);
    {
        RawDatabase raw(store->path());
        EXPECT_EQ(raw.scalar(QStringLiteral("SELECT count(*) FROM access_key")).toInt(), 1);
    }
    ASSERT_TRUE(store->setAccessKey(QStringLiteral("another"), &error));
    EXPECT_NE(store->accessKeyVerifier()->salt, v.salt) << "a new salt each time";
    ASSERT_TRUE(store->clearAccessKey(&error));
    EXPECT_FALSE(store->hasAccessKey());
    store = reopen();
    ASSERT_TRUE(store);
    EXPECT_FALSE(store->hasAccessKey());
}

TEST(Scram, Rfc7677TestVector)
{
    const QByteArray salt = QByteArray::fromBase64("W22ZaJ0SNY7soEsUEjb6gQ==");
    const QByteArray clientFirstBare = "n=user,r=rOprNGfwEbeRWgbNEkqO";
    const QByteArray serverFirst
        = "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
    const QByteArray clientFinalWithoutProof = "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
    const QByteArray authMessage = clientFirstBare + ',' + serverFirst + ',' + clientFinalWithoutProof;

    const QByteArray proof = scram::clientProof(QStringLiteral("pencil"), salt, 4096, authMessage);
    EXPECT_EQ(proof.toBase64(), QByteArray("dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="));

    const scram::Verifier v = scram::makeVerifier(QStringLiteral("pencil"), salt, 4096);
    EXPECT_TRUE(scram::verifyClientProof(v.storedKey, authMessage, proof));
    EXPECT_EQ(scram::serverSignature(v.serverKey, authMessage).toBase64(),
        QByteArray("6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="));
    EXPECT_EQ(scram::clientResponse(QStringLiteral("pencil"), salt, 4096, authMessage).expectedServerSignature,
        scram::serverSignature(v.serverKey, authMessage));

    QByteArray tampered = proof;
    tampered[5] = char(tampered[5] ^ 1);
    EXPECT_FALSE(scram::verifyClientProof(v.storedKey, authMessage, tampered));
    EXPECT_FALSE(scram::verifyClientProof(v.storedKey, authMessage, proof.left(31)));
    EXPECT_FALSE(scram::verifyClientProof(QByteArray(), authMessage, proof));
    EXPECT_TRUE(scram::saltedPassword(QStringLiteral("pencil"), salt, 0).isEmpty());
    EXPECT_TRUE(scram::constantTimeEquals("abc", "abc"));
    EXPECT_FALSE(scram::constantTimeEquals("abc", "abd"));
    EXPECT_FALSE(scram::constantTimeEquals("abc", "ab"));
}

// ---- named versions -------------------------------------------------------------------------

TEST_F(RoomStoreTest, NamedVersions)
{
    EditSession session(6);
    auto store = create();
    ASSERT_TRUE(store);
    for (int i = 0; i < 30; ++i)
        append(*store, session.step());
    commit(*store);
    const std::string first = session.document().encodeSnapshot();
    QString error;
    const auto id1 = store->saveVersion(QStringLiteral("  draft 1 "), 1000, 30, first, &error);
    ASSERT_TRUE(id1) << error.toStdString();
    for (int i = 0; i < 30; ++i)
        append(*store, session.step());
    commit(*store);
    const std::string second = session.document().encodeSnapshot();
    const auto id2 = store->saveVersion(QStringLiteral("Ünïcode ✓"), 1001, 60, second, &error);
    ASSERT_TRUE(id2);
    EXPECT_GT(*id2, *id1);
    EXPECT_FALSE(store->saveVersion(QStringLiteral("   "), 1, 60, second, &error));
    EXPECT_FALSE(store->saveVersion(QString(201, QLatin1Char('v')), 1, 60, second, &error));
    EXPECT_EQ(store->stats().versions, 2u);

    store = reopen();
    ASSERT_TRUE(store);
    const auto list = store->listVersions(&error);
    ASSERT_TRUE(list) << error.toStdString();
    ASSERT_EQ(list->size(), 2u);
    EXPECT_EQ((*list)[0].id, *id1);
    EXPECT_EQ((*list)[0].name, QStringLiteral("draft 1"));
    EXPECT_EQ((*list)[0].author, 1000u);
    EXPECT_EQ((*list)[0].seq, 30u);
    EXPECT_GT((*list)[0].createdMs, 0);
    EXPECT_EQ((*list)[1].name, QStringLiteral("Ünïcode ✓"));
    EXPECT_EQ((*list)[1].seq, 60u);
    EXPECT_EQ(store->version(*id1, &error), first);
    EXPECT_EQ(store->version(*id2, &error), second);

    // A version loads as the document it was.
    GraphDocument doc(0x77, 0);
    std::string problem;
    ASSERT_TRUE(doc.mergeSnapshot(*store->version(*id2, &error), &problem)) << problem;
    EXPECT_EQ(doc.canonicalHash(), session.document().canonicalHash());

    EXPECT_FALSE(store->version(12345, &error));
    EXPECT_TRUE(error.contains(QLatin1String("no such version"))) << error.toStdString();
    ASSERT_TRUE(store->deleteVersion(*id2, &error));
    EXPECT_FALSE(store->deleteVersion(*id2, &error));
    EXPECT_EQ(store->stats().versions, 1u);
    const auto id3 = store->saveVersion(QStringLiteral("after"), 1, 60, second, &error);
    ASSERT_TRUE(id3);
    EXPECT_GT(*id3, *id2) << "ids are never reused";

    // As stored, ready to send: qCompress's format, the wire's Compression::Zlib.
    const auto stored = store->storedVersion(*id1, &error);
    ASSERT_TRUE(stored) << error.toStdString();
    EXPECT_EQ(stored->seq, 30u);
    EXPECT_EQ(stored->snapshot.rawBytes(), qint64(first.size()));
    EXPECT_EQ(qUncompress(QByteArray::fromStdString(stored->snapshot.data)).toStdString(), first);
    // Compressed elsewhere (the server's pool) and handed over: kept as it is.
    const auto id4 = store->saveVersion(QStringLiteral("compressed by the caller"), 1, 30, stored->snapshot, &error);
    ASSERT_TRUE(id4) << error.toStdString();
    EXPECT_EQ(store->version(*id4, &error), first);
    EXPECT_FALSE(store->saveVersion(QStringLiteral("no header"), 1, 30, CompressedSnapshot {"ab"}, &error));
    EXPECT_TRUE(error.contains(QLatin1String("no header"))) << error.toStdString();
    // A row whose recorded size and header disagree is refused by name, not sent.
    {
        RawDatabase raw(store->path());
        raw.exec(QStringLiteral("UPDATE versions SET raw_bytes = raw_bytes + 1 WHERE id = ?"), {*id4});
    }
    EXPECT_FALSE(store->storedVersion(*id4, &error));
    EXPECT_TRUE(error.contains(QLatin1String("damaged"))) << error.toStdString();
    EXPECT_TRUE(error.contains(QString::number(*id4))) << error.toStdString();
}

// ---- schema and damaged files -------------------------------------------------------------------

TEST_F(RoomStoreTest, NewerSchemaIsRefused)
{
    create().reset();
    {
        RawDatabase raw(RoomStore::roomPath(dataDir(), u"room"));
        raw.exec(
            QStringLiteral("UPDATE meta SET value = ? WHERE key = 'schema_version'"), { RoomStore::SchemaVersion + 1 });
    }
    QString error;
    EXPECT_FALSE(RoomStore::open(dataDir(), QStringLiteral("room"), &error));
    EXPECT_TRUE(error.contains(QLatin1String("newer"))) << error.toStdString();
    EXPECT_TRUE(error.contains(QLatin1String("room.sqlite"))) << error.toStdString();
}

// A room file as schema version 1 wrote it (a frozen copy: if the schema changes, this stays
// and a migration makes it current).
TEST_F(RoomStoreTest, VersionOneFileOpens)
{
    EditSession session(7);
    const Transaction t1 = session.step();
    const Transaction t2 = session.step();
    QDir().mkpath(RoomStore::roomsDir(dataDir()));
    {
        RawDatabase raw(RoomStore::roomPath(dataDir(), u"old"));
        for (const char* sql : {
                 "CREATE TABLE meta (key TEXT PRIMARY KEY NOT NULL, value NOT NULL)",
                 "CREATE TABLE ops (seq INTEGER PRIMARY KEY NOT NULL CHECK (seq > 0), replica INTEGER NOT NULL,"
                 " first_counter INTEGER NOT NULL CHECK (first_counter > 0),"
                 " last_counter INTEGER NOT NULL CHECK (last_counter >= first_counter), author INTEGER NOT NULL,"
                 " hlc INTEGER NOT NULL, bytes BLOB NOT NULL)",
                 "CREATE UNIQUE INDEX ops_by_id ON ops (replica, first_counter)",
                 "CREATE TABLE compacted_ranges (replica INTEGER NOT NULL, first_counter INTEGER NOT NULL,"
                 " last_counter INTEGER NOT NULL, PRIMARY KEY (replica, first_counter)) WITHOUT ROWID",
                 "CREATE TABLE snapshots (seq INTEGER PRIMARY KEY NOT NULL, created_ms INTEGER NOT NULL,"
                 " raw_bytes INTEGER NOT NULL, data BLOB NOT NULL)",
                 "CREATE TABLE members (user_id INTEGER PRIMARY KEY NOT NULL,"
                 " role INTEGER NOT NULL CHECK (role IN (1, 2, 3)), display_name TEXT NOT NULL DEFAULT '',"
                 " updated_ms INTEGER NOT NULL)",
                 "CREATE TABLE owner_tokens (token_sha256 BLOB PRIMARY KEY NOT NULL,"
                 " user_id INTEGER NOT NULL REFERENCES members (user_id) ON DELETE CASCADE,"
                 " created_ms INTEGER NOT NULL)",
                 "CREATE INDEX owner_tokens_by_user ON owner_tokens (user_id)",
                 "CREATE TABLE access_key (id INTEGER PRIMARY KEY NOT NULL CHECK (id = 1), salt BLOB NOT NULL,"
                 " iterations INTEGER NOT NULL, stored_key BLOB NOT NULL, server_key BLOB NOT NULL,"
                 " set_ms INTEGER NOT NULL)",
                 "CREATE TABLE versions (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL,"
                 " author INTEGER NOT NULL, created_ms INTEGER NOT NULL, seq INTEGER NOT NULL,"
                 " raw_bytes INTEGER NOT NULL, data BLOB NOT NULL)",
                 "INSERT INTO meta VALUES ('schema_version', 1), ('epoch', -81985529216486896),"
                 " ('created_ms', 1700000000000), ('room_name', 'old'), ('compacted_through', 0)",
                 "INSERT INTO members VALUES (42, 3, 'Ada', 1700000000000)",
             })
            raw.exec(QString::fromLatin1(sql));
        for (const Transaction* t : { &t1, &t2 })
            raw.exec(QStringLiteral("INSERT INTO ops VALUES (NULL, ?, ?, ?, ?, ?, ?)"),
                { qint64(t->header().replica), qint64(t->header().firstCounter), qint64(t->header().lastCounter()),
                    qint64(t->header().author), qint64(t->header().hlc.raw()), QByteArray::fromStdString(t->bytes()) });
    }
    auto store = reopen(QStringLiteral("old"));
    ASSERT_TRUE(store);
    EXPECT_EQ(store->schemaVersion(), RoomStore::SchemaVersion);
    EXPECT_EQ(store->epoch(), 0xfedcba9876543210ull);
    EXPECT_EQ(store->committedSeq(), 2u);
    EXPECT_EQ(store->member(42), (RoomMember { 42, RoomRole::Owner, QStringLiteral("Ada") }));
    EXPECT_EQ(loadHash(*store), session.document().canonicalHash());
    EXPECT_TRUE(append(*store, t2).duplicate);
    EXPECT_EQ(append(*store, session.step()).seq, 3u);
    EXPECT_EQ(commit(*store), 3u);
}

TEST_F(RoomStoreTest, GarbageFilesGiveErrorsNotCrashes)
{
    QDir().mkpath(RoomStore::roomsDir(dataDir()));
    std::mt19937 rng(8);
    QByteArray garbage(64 * 1024, '\0');
    for (char& c : garbage)
        c = char(rng());
    const auto writeFile = [&](const QString& name, const QByteArray& content) {
        QFile f(RoomStore::roomPath(dataDir(), name));
        ASSERT_TRUE(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
        f.write(content);
    };

    writeFile(QStringLiteral("garbage"), garbage);
    QString error;
    EXPECT_FALSE(RoomStore::open(dataDir(), QStringLiteral("garbage"), &error));
    EXPECT_TRUE(error.contains(QLatin1String("garbage.sqlite"))) << error.toStdString();
    EXPECT_TRUE(error.contains(QLatin1String("not a database"))) << error.toStdString();
    QFile check(RoomStore::roomPath(dataDir(), u"garbage"));
    ASSERT_TRUE(check.open(QIODevice::ReadOnly));
    EXPECT_EQ(check.readAll(), garbage) << "a failed open changes nothing";

    // Looks like SQLite at the start, garbage after.
    QByteArray header = QByteArray("SQLite format 3") + '\0' + garbage;
    writeFile(QStringLiteral("header"), header);
    error.clear();
    EXPECT_FALSE(RoomStore::open(dataDir(), QStringLiteral("header"), &error));
    EXPECT_FALSE(error.isEmpty());

    writeFile(QStringLiteral("empty"), {});
    error.clear();
    EXPECT_FALSE(RoomStore::open(dataDir(), QStringLiteral("empty"), &error));
    EXPECT_TRUE(error.contains(QLatin1String("not a Constellate room"))) << error.toStdString();

    // Another program's SQLite database.
    {
        RawDatabase raw(RoomStore::roomPath(dataDir(), u"foreign"));
        raw.exec(QStringLiteral("CREATE TABLE t (x)"));
    }
    error.clear();
    EXPECT_FALSE(RoomStore::open(dataDir(), QStringLiteral("foreign"), &error));
    EXPECT_TRUE(error.contains(QLatin1String("not a Constellate room"))) << error.toStdString();
}

TEST_F(RoomStoreTest, TruncatedDatabaseGivesAnError)
{
    EditSession session(9);
    auto store = create();
    ASSERT_TRUE(store);
    for (int i = 0; i < 300; ++i)
        append(*store, session.step(300));
    ASSERT_EQ(commit(*store), 300u);
    store.reset(); // the last connection checkpoints the log into the file
    const QString path = RoomStore::roomPath(dataDir(), u"room");
    ASSERT_FALSE(QFile::exists(path + QStringLiteral("-wal")));
    QFile file(path);
    const qint64 size = file.size();
    ASSERT_GT(size, 100 * 1024);
    ASSERT_TRUE(file.resize(size / 2));

    QString error;
    auto damaged = RoomStore::open(dataDir(), QStringLiteral("room"), &error);
    if (damaged) {
        GraphDocument doc(1, 0);
        EXPECT_FALSE(damaged->loadDocument(doc, &error));
    }
    EXPECT_TRUE(error.contains(QLatin1String("room.sqlite"))) << error.toStdString();
    EXPECT_TRUE(error.contains(QLatin1String("damaged"))) << error.toStdString();
}

TEST_F(RoomStoreTest, DamagedRowsAreReportedByLoad)
{
    EditSession session(10);
    auto store = create();
    ASSERT_TRUE(store);
    for (int i = 0; i < 20; ++i)
        append(*store, session.step());
    commit(*store);
    QString error;
    ASSERT_TRUE(store->saveSnapshot(10, session.document().encodeSnapshot(), &error));
    store.reset();
    {
        RawDatabase raw(RoomStore::roomPath(dataDir(), u"room"));
        raw.exec(QStringLiteral("UPDATE ops SET bytes = X'01020304' WHERE seq = 15"));
    }
    store = reopen();
    ASSERT_TRUE(store);
    GraphDocument doc(1, 0);
    EXPECT_FALSE(store->loadDocument(doc, &error));
    EXPECT_TRUE(error.contains(QLatin1String("seq 15 is damaged"))) << error.toStdString();
    store.reset();
    {
        RawDatabase raw(RoomStore::roomPath(dataDir(), u"room"));
        raw.exec(QStringLiteral("UPDATE snapshots SET data = substr(data, 1, 20)"));
    }
    store = reopen();
    ASSERT_TRUE(store);
    GraphDocument doc2(1, 0);
    error.clear();
    EXPECT_FALSE(store->loadDocument(doc2, &error));
    EXPECT_TRUE(error.contains(QLatin1String("snapshot at seq 10 is damaged"))) << error.toStdString();
    EXPECT_FALSE(store->latestSnapshot(&error));
}

} // namespace
