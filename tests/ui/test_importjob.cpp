// ImportJob: the real graph files give the very document importGraphFile gives, progress
// comes in bytes up to the end, a cancelled or failed import leaves the document alone,
// and a local edit made while the worker runs does not collide with the import.

#include "filetestsupport.h"

#include "documentio.h"
#include "importjob.h"
#include "undohistory.h"

#include <QFileInfo>
#include <QRegularExpression>
#include <QTemporaryDir>

#include <gtest/gtest.h>

#include <vector>

using namespace constellate;
using namespace constellate::ui;
using constellate::test::fixedDocument;
using constellate::test::waitFinished;

namespace {

const QString Graphs = QStringLiteral(CONSTELLATE_TEST_GRAPHS);

struct ProgressLog {
    std::vector<std::pair<qint64, qint64>> steps;
    void connectTo(FileTask& task)
    {
        QObject::connect(
            &task, &FileTask::progress, &task, [this](qint64 done, qint64 total) { steps.emplace_back(done, total); });
    }
};

void writeFile(const QString& path, const QByteArray& bytes)
{
    QFile f(path);
    ASSERT_TRUE(f.open(QIODevice::WriteOnly));
    ASSERT_EQ(f.write(bytes), bytes.size());
}

} // namespace

TEST(ImportJob, RealFilesGiveTheDocumentImportGraphFileGives)
{
    const char* files[] = { "lesmis.gexf", "karate.graphml", "florentine.json", "davis.gml", "lesmis.csv",
        "typed-directed.gexf", "typed-directed.graphml", "typed-directed.json" };
    for (const char* name : files) {
        SCOPED_TRACE(name);
        const QString path = Graphs + QLatin1Char('/') + QLatin1String(name);
        auto expected = fixedDocument();
        Transaction expectedTransaction;
        const ImportReport expectedReport = importGraphFile(*expected, path.toStdString(), &expectedTransaction);

        auto doc = fixedDocument();
        ImportJob job(*doc, path);
        bool ok = false;
        int finishedCount = 0;
        QObject::connect(&job, &FileTask::finished, [&](bool success, const QString&) {
            ok = success;
            ++finishedCount;
        });
        job.start();
        EXPECT_EQ(finishedCount, 0); // never from inside start()
        ASSERT_TRUE(waitFinished(job));
        ASSERT_TRUE(ok) << job.message().toStdString();
        EXPECT_EQ(finishedCount, 1);
        EXPECT_FALSE(job.wasRebuilt());
        EXPECT_EQ(doc->canonicalHash(), expected->canonicalHash());
        EXPECT_EQ(job.transaction().bytes(), expectedTransaction.bytes());
        EXPECT_EQ(job.report().nodes, expectedReport.nodes);
        EXPECT_EQ(job.report().edges, expectedReport.edges);
        EXPECT_EQ(job.report().format, formatFromPath(name));
        EXPECT_GT(job.report().nodes, 0u);
        EXPECT_EQ(doc->count(EntityKind::Node), expectedReport.nodes);
        EXPECT_FALSE(job.changes().empty());
        EXPECT_TRUE(job.message().contains(QLatin1String(name)));
    }
}

TEST(ImportJob, ChangesMakeOneUndoStep)
{
    auto doc = fixedDocument();
    UndoHistory history(*doc);
    ImportJob job(*doc, Graphs + QStringLiteral("/karate.graphml"));
    job.start();
    ASSERT_TRUE(waitFinished(job));
    ASSERT_TRUE(job.succeeded());
    history.record(job.takeChanges(), "Import karate.graphml");
    EXPECT_EQ(doc->count(EntityKind::Node), 34u);
    ASSERT_EQ(history.undoCount(), 1u);
    ASSERT_TRUE(history.undo());
    EXPECT_EQ(doc->count(EntityKind::Node), 0u);
    EXPECT_EQ(doc->count(EntityKind::Edge), 0u);
}

TEST(ImportJob, ReportsProgressInBytesToTheEnd)
{
    auto doc = fixedDocument();
    const QString path = Graphs + QStringLiteral("/ba-10k.graphml");
    ImportJob job(*doc, path);
    ProgressLog log;
    log.connectTo(job);
    job.start();
    ASSERT_TRUE(waitFinished(job));
    ASSERT_TRUE(job.succeeded()) << job.message().toStdString();
    ASSERT_FALSE(log.steps.empty());
    const qint64 size = QFileInfo(path).size();
    qint64 previous = 0;
    for (const auto& [done, total] : log.steps) {
        EXPECT_EQ(total, 2 * size); // reading, then parsing
        EXPECT_GE(done, previous);
        EXPECT_LE(done, total);
        previous = done;
    }
    EXPECT_EQ(log.steps.back().first, 2 * size);
    // Every node of this file is declared, once: one record per node and per edge.
    EXPECT_EQ(job.recordsRead(), job.report().nodes + job.report().edges);
    EXPECT_GT(job.recordsRead(), 10'000u);
    EXPECT_EQ(doc->count(EntityKind::Node), job.report().nodes);
}

TEST(ImportJob, CancelAtFirstProgressLeavesTheDocumentUntouched)
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("big.graphml"));
    test::writeBigGraphMl(path, 200'000);
    auto doc = fixedDocument();
    const std::string emptyHash = doc->canonicalHash();
    const std::uint32_t counter = doc->nextCounter();

    ImportJob job(*doc, path);
    QObject::connect(&job, &FileTask::progress, &job, &FileTask::cancel);
    bool ok = true;
    QString message;
    QObject::connect(&job, &FileTask::finished, [&](bool success, const QString& m) {
        ok = success;
        message = m;
    });
    job.start();
    ASSERT_TRUE(waitFinished(job));
    EXPECT_FALSE(ok);
    EXPECT_TRUE(job.wasCancelled());
    EXPECT_EQ(message, QStringLiteral("Cancelled"));
    EXPECT_EQ(doc->entityCount(), 0u);
    EXPECT_EQ(doc->nextCounter(), counter);
    EXPECT_EQ(doc->canonicalHash(), emptyHash);
    EXPECT_TRUE(job.transaction().isEmpty());
}

TEST(ImportJob, CancelledBeforeTheResultIsAppliedChangesNothing)
{
    // Whether or not the worker got to its end, a cancel before the UI thread applied the
    // result wins.
    auto doc = fixedDocument();
    ImportJob job(*doc, Graphs + QStringLiteral("/karate.graphml"));
    job.start();
    job.cancel();
    ASSERT_TRUE(waitFinished(job));
    EXPECT_TRUE(job.wasCancelled());
    EXPECT_EQ(doc->entityCount(), 0u);
}

TEST(ImportJob, MalformedFileGivesFileLineColumnAndChangesNothing)
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("broken.graphml"));
    writeFile(path,
        "<?xml version=\"1.0\"?>\n<graphml>\n<graph edgedefault=\"undirected\">\n"
        "<node id=\"a\"/>\n<node id=\"b\">\n<edge source=\"a\" target=\"b\"/>\n</graph>\n</graphml>\n");
    std::string expected;
    try {
        auto reference = fixedDocument();
        importGraphFile(*reference, path.toStdString());
    } catch (const ImportError& e) {
        expected = e.what();
        EXPECT_GT(e.line(), 0);
    }
    ASSERT_FALSE(expected.empty()) << "the file should be refused";

    auto doc = fixedDocument();
    ImportJob job(*doc, path);
    job.start();
    ASSERT_TRUE(waitFinished(job));
    EXPECT_EQ(job.outcome(), FileTask::Outcome::Failed);
    EXPECT_EQ(job.message().toStdString(), expected);
    EXPECT_TRUE(job.message().startsWith(path + QLatin1Char(':')));
    EXPECT_TRUE(job.message().contains(QRegularExpression(QStringLiteral("^.+:\\d+:\\d+: "))))
        << job.message().toStdString();
    EXPECT_EQ(doc->entityCount(), 0u);
}

TEST(ImportJob, MissingFileAndUnknownTypeFail)
{
    auto doc = fixedDocument();
    ImportJob missing(*doc, QStringLiteral("/nonexistent/graph.graphml"));
    missing.start();
    ASSERT_TRUE(waitFinished(missing));
    EXPECT_EQ(missing.outcome(), FileTask::Outcome::Failed);
    EXPECT_TRUE(missing.message().contains(QStringLiteral("cannot open"))) << missing.message().toStdString();

    ImportJob unknown(*doc, Graphs + QStringLiteral("/README.md"));
    unknown.start();
    ASSERT_TRUE(waitFinished(unknown));
    EXPECT_EQ(unknown.outcome(), FileTask::Outcome::Failed);
    EXPECT_TRUE(unknown.message().contains(QStringLiteral("unknown file type"))) << unknown.message().toStdString();
    EXPECT_EQ(doc->entityCount(), 0u);
}

TEST(ImportJob, LocalEditWhileReadingIsKeptAndTheImportRebuilt)
{
    const QString path = Graphs + QStringLiteral("/lesmis.graphml");
    auto doc = fixedDocument();
    ImportJob job(*doc, path);
    job.start();
    // The worker prepared counters from 1; this edit takes them first.
    TransactionBuilder edit = doc->begin();
    edit.createNode({ { { Field::Label, {} }, Value("mine") } });
    doc->commit(edit);
    ASSERT_TRUE(waitFinished(job));
    ASSERT_TRUE(job.succeeded()) << job.message().toStdString();
    EXPECT_TRUE(job.wasRebuilt());

    auto expected = fixedDocument();
    TransactionBuilder same = expected->begin();
    same.createNode({ { { Field::Label, {} }, Value("mine") } });
    expected->commit(same);
    importGraphFile(*expected, path.toStdString());
    EXPECT_EQ(doc->count(EntityKind::Node), 78u);
    EXPECT_EQ(doc->canonicalHash(), expected->canonicalHash());
}

TEST(ImportJob, NativeFileMergesTheSnapshot)
{
    QTemporaryDir dir;
    auto original = fixedDocument(3);
    importGraphFile(*original, (Graphs + QStringLiteral("/lesmis.gexf")).toStdString());
    const QString path = dir.filePath(QStringLiteral("lesmis.constellate"));
    saveNative(*original, path.toStdString());

    auto doc = fixedDocument(9);
    ImportJob job(*doc, path);
    ProgressLog log;
    log.connectTo(job);
    job.start();
    ASSERT_TRUE(waitFinished(job));
    ASSERT_TRUE(job.succeeded()) << job.message().toStdString();
    EXPECT_EQ(doc->canonicalHash(), original->canonicalHash());
    EXPECT_EQ(job.report().nodes, 77u);
    EXPECT_EQ(job.report().edges, 254u);
    EXPECT_TRUE(job.transaction().isEmpty());
    ASSERT_FALSE(log.steps.empty());
    EXPECT_EQ(log.steps.back().first, log.steps.back().second);
}

TEST(ImportJob, DamagedNativeFileChangesNothing)
{
    QTemporaryDir dir;
    const QString notNative = dir.filePath(QStringLiteral("plain.constellate"));
    writeFile(notNative, "hello");
    const QString truncated = dir.filePath(QStringLiteral("cut.constellate"));
    {
        auto original = fixedDocument();
        importGraphFile(*original, (Graphs + QStringLiteral("/karate.graphml")).toStdString());
        std::string bytes = nativeFileBytes(original->encodeSnapshot());
        bytes.resize(bytes.size() / 2);
        writeFile(truncated, QByteArray::fromStdString(bytes));
    }
    for (const QString& path : { notNative, truncated }) {
        SCOPED_TRACE(path.toStdString());
        auto doc = fixedDocument();
        ImportJob job(*doc, path);
        job.start();
        ASSERT_TRUE(waitFinished(job));
        EXPECT_EQ(job.outcome(), FileTask::Outcome::Failed);
        EXPECT_TRUE(job.message().startsWith(path + QStringLiteral(": "))) << job.message().toStdString();
        EXPECT_EQ(doc->entityCount(), 0u);
    }
}

TEST(ImportJob, DeletedWhileRunningJoinsItsWorker)
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("big.graphml"));
    test::writeBigGraphMl(path, 50'000);
    auto doc = fixedDocument();
    {
        ImportJob job(*doc, path);
        job.start();
    }
    // Nothing left to arrive for the deleted job: spinning the loop must not touch it.
    test::waitFor([] { return false; }, 50);
    EXPECT_EQ(doc->entityCount(), 0u);
}
