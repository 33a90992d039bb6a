// The client's offline journal: what is appended survives a reopen, acknowledgements and
// resume points are kept, a torn tail is cut off, a damaged record is set aside, and no
// truncation of the file (a crash at any byte) loses a record that was fully written.

#include "journal.h"

#include "graphdocument.h"

#include <QFile>
#include <QTemporaryDir>

#include <gtest/gtest.h>

using namespace constellate;
using namespace constellate::net;

namespace {

constexpr ReplicaId Replica = 0x0c0ffee1;
const std::string Room = "lab";

std::vector<Transaction> makeTransactions(GraphDocument& doc, int count, const std::string& prefix = "node")
{
    std::vector<Transaction> out;
    for (int i = 0; i < count; ++i) {
        TransactionBuilder b = doc.begin();
        b.createNode({{{Field::Label, {}}, Value(prefix + " " + std::to_string(i))}});
        out.push_back(doc.commit(b));
    }
    return out;
}

std::vector<std::string> pendingBytes(const Journal& j)
{
    std::vector<std::string> out;
    for (const auto& [first, t] : j.pending())
        out.push_back(t.bytes());
    return out;
}

QByteArray readFile(const QString& path)
{
    QFile f(path);
    EXPECT_TRUE(f.open(QIODevice::ReadOnly));
    return f.readAll();
}

void writeFile(const QString& path, const QByteArray& bytes)
{
    QFile f(path);
    ASSERT_TRUE(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
    ASSERT_EQ(f.write(bytes), bytes.size());
}

class JournalTest : public ::testing::Test {
protected:
    QTemporaryDir dir;
    QString path() const { return dir.filePath(Journal::fileName(Room, Replica)); }
    GraphDocument doc {Replica, 42};
};

} // namespace

TEST(JournalFormat, Crc32MatchesZlib)
{
    EXPECT_EQ(Journal::crc32("123456789"), 0xcbf43926u); // the check value of CRC-32/ISO-HDLC
    EXPECT_EQ(Journal::crc32(""), 0u);
    EXPECT_EQ(Journal::fileName("lab", 0xab), QStringLiteral("lab-r000000ab.journal"));
}

TEST_F(JournalTest, AppendRemoveAndResumePointsSurviveAReopen)
{
    const std::vector<Transaction> ts = makeTransactions(doc, 5);
    ResumePoint point;
    point.epoch = 0x1234;
    point.committed = 17;
    point.held = doc.versionVector();
    {
        Journal j;
        QString error;
        ASSERT_TRUE(j.open(path(), Room, Replica, &error)) << error.toStdString();
        EXPECT_TRUE(j.pending().empty());
        ASSERT_TRUE(j.append({ts[0], ts[1], ts[2]}, &error));
        ASSERT_TRUE(j.append({ts[3], ts[4], ts[1]}, &error)); // a duplicate is skipped
        ASSERT_TRUE(j.remove({ts[1].header().opId(0), ts[3].header().opId(0)}, &error));
        ASSERT_TRUE(j.saveResumePoint(point, &error));
    }
    Journal j;
    QString error;
    ASSERT_TRUE(j.open(path(), Room, Replica, &error)) << error.toStdString();
    EXPECT_TRUE(j.recovery().isClean());
    EXPECT_EQ(pendingBytes(j), (std::vector<std::string> {ts[0].bytes(), ts[2].bytes(), ts[4].bytes()}));
    ASSERT_EQ(j.resumePoints().size(), 1u);
    EXPECT_EQ(j.resumePoints()[0], point);
    EXPECT_EQ(j.highestCounter(), ts[4].header().lastCounter());

    // A document rebuilt from the pending transactions alone holds them again.
    GraphDocument restarted(Replica, 42);
    for (const auto& [first, t] : j.pending())
        EXPECT_TRUE(restarted.apply(t).applied);
    EXPECT_EQ(restarted.count(EntityKind::Node), 3u);
    EXPECT_GT(restarted.nextCounter(), ts[4].header().lastCounter());
}

TEST_F(JournalTest, ATornTailIsCutOffAndAppendingGoesOn)
{
    const std::vector<Transaction> ts = makeTransactions(doc, 3);
    {
        Journal j;
        QString error;
        ASSERT_TRUE(j.open(path(), Room, Replica, &error));
        ASSERT_TRUE(j.append({ts[0]}, &error));
        ASSERT_TRUE(j.append({ts[1]}, &error));
    }
    // A crash in the middle of writing the second record.
    const QByteArray whole = readFile(path());
    writeFile(path(), whole.left(whole.size() - 5));
    {
        Journal j;
        QString error;
        ASSERT_TRUE(j.open(path(), Room, Replica, &error)) << error.toStdString();
        EXPECT_GT(j.recovery().tornBytes, 0u);
        EXPECT_EQ(j.recovery().damagedBytes, 0u);
        EXPECT_EQ(pendingBytes(j), (std::vector<std::string> {ts[0].bytes()}));
        ASSERT_TRUE(j.append({ts[2]}, &error));
    }
    // A tail of zeros (a file grown but its data never written) is torn too.
    QByteArray zeros = readFile(path());
    zeros.append(QByteArray(40, '\0'));
    writeFile(path(), zeros);
    Journal j;
    QString error;
    ASSERT_TRUE(j.open(path(), Room, Replica, &error));
    EXPECT_EQ(j.recovery().tornBytes, 40u);
    EXPECT_EQ(pendingBytes(j), (std::vector<std::string> {ts[0].bytes(), ts[2].bytes()}));
}

TEST_F(JournalTest, AChecksumMismatchKeepsWhatCameBeforeAndSetsTheFileAside)
{
    const std::vector<Transaction> ts = makeTransactions(doc, 3);
    qint64 secondRecordAt = 0;
    {
        Journal j;
        QString error;
        ASSERT_TRUE(j.open(path(), Room, Replica, &error));
        ASSERT_TRUE(j.append({ts[0]}, &error));
        secondRecordAt = qint64(j.fileBytes());
        ASSERT_TRUE(j.append({ts[1]}, &error));
        ASSERT_TRUE(j.append({ts[2]}, &error));
    }
    QByteArray bytes = readFile(path());
    const QByteArray original = bytes;
    bytes[secondRecordAt + 12] = char(bytes[secondRecordAt + 12] ^ 0x40); // inside the second record
    writeFile(path(), bytes);
    {
        Journal j;
        QString error;
        ASSERT_TRUE(j.open(path(), Room, Replica, &error)) << error.toStdString();
        EXPECT_EQ(j.recovery().damagedAt, std::uint64_t(secondRecordAt));
        EXPECT_EQ(j.recovery().damagedBytes, std::uint64_t(bytes.size() - secondRecordAt));
        EXPECT_EQ(pendingBytes(j), (std::vector<std::string> {ts[0].bytes()}));
        // Nothing is destroyed silently: the damaged file is kept as it was.
        ASSERT_FALSE(j.recovery().damagedCopy.isEmpty());
        EXPECT_EQ(readFile(j.recovery().damagedCopy), bytes);
        // The highest counter is not forgotten with the records.
        EXPECT_GE(j.highestCounter(), ts[0].header().lastCounter());
    }
    // The rewritten file reads clean.
    Journal j;
    QString error;
    ASSERT_TRUE(j.open(path(), Room, Replica, &error));
    EXPECT_TRUE(j.recovery().isClean());
    EXPECT_EQ(j.pending().size(), 1u);
}

TEST_F(JournalTest, EveryTruncationKeepsExactlyTheRecordsWrittenWhole)
{
    const std::vector<Transaction> ts = makeTransactions(doc, 6);
    std::vector<std::uint64_t> ends; // file size after each record
    {
        Journal j;
        QString error;
        ASSERT_TRUE(j.open(path(), Room, Replica, &error));
        ends.push_back(j.fileBytes());
        for (const Transaction& t : ts) {
            ASSERT_TRUE(j.append({t}, &error));
            ends.push_back(j.fileBytes());
        }
    }
    const QByteArray whole = readFile(path());
    const QString copy = dir.filePath(QStringLiteral("copy-r%1.journal").arg(Replica, 8, 16, QLatin1Char('0')));
    for (qsizetype cut = 0; cut <= whole.size(); ++cut) {
        writeFile(copy, whole.left(cut));
        Journal j;
        QString error;
        ASSERT_TRUE(j.open(copy, Room, Replica, &error)) << "cut at " << cut << ": " << error.toStdString();
        std::size_t whole_records = 0;
        while (whole_records + 1 < ends.size() && ends[whole_records + 1] <= std::uint64_t(cut))
            ++whole_records;
        EXPECT_EQ(j.pending().size(), whole_records) << "cut at " << cut;
        EXPECT_EQ(j.recovery().damagedBytes, 0u) << "cut at " << cut;
    }
}

TEST_F(JournalTest, CompactionDropsWhatIsAcknowledged)
{
    GraphDocument big(Replica, 42);
    const std::vector<Transaction> ts = makeTransactions(big, 400, std::string(300, 'x'));
    Journal j;
    QString error;
    ASSERT_TRUE(j.open(path(), Room, Replica, &error));
    ASSERT_TRUE(j.append(ts, &error));
    const std::uint64_t full = j.fileBytes();
    std::vector<OpId> acked;
    for (std::size_t i = 0; i + 1 < ts.size(); ++i)
        acked.push_back(ts[i].header().opId(0));
    ASSERT_TRUE(j.remove(acked, &error));
    EXPECT_LT(j.fileBytes(), full / 10); // rewritten with the one still pending
    EXPECT_EQ(readFile(path()).size(), qint64(j.fileBytes()));
    j.close();
    Journal again;
    ASSERT_TRUE(again.open(path(), Room, Replica, &error));
    EXPECT_EQ(pendingBytes(again), (std::vector<std::string> {ts.back().bytes()}));
    EXPECT_EQ(again.highestCounter(), ts.back().header().lastCounter());
}

TEST_F(JournalTest, ForeignFilesAreRefusedAndLeftAlone)
{
    writeFile(path(), QByteArray("this is not a journal at all"));
    Journal j;
    QString error;
    EXPECT_FALSE(j.open(path(), Room, Replica, &error));
    EXPECT_TRUE(error.contains(QStringLiteral("not a Constellate journal"))) << error.toStdString();
    EXPECT_EQ(readFile(path()), QByteArray("this is not a journal at all"));

    QFile::remove(path());
    {
        Journal mine;
        ASSERT_TRUE(mine.open(path(), Room, Replica, &error));
    }
    {
        // One writer at a time.
        Journal mine;
        ASSERT_TRUE(mine.open(path(), Room, Replica, &error));
        Journal second;
        EXPECT_FALSE(second.open(path(), Room, Replica, &error));
        EXPECT_TRUE(error.contains(QStringLiteral("in use"))) << error.toStdString();
    }
    Journal other;
    EXPECT_FALSE(other.open(path(), "another-room", Replica, &error));
    EXPECT_TRUE(error.contains(QStringLiteral("belongs to room 'lab'"))) << error.toStdString();
    EXPECT_FALSE(other.open(path(), Room, Replica + 1, &error));
}
