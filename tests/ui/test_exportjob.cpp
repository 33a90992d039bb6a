// ExportJob: every format written on the worker reads back with the same counts (and the
// same bytes as exportGraphFile), Save then open gives the same document, and a failed or
// cancelled export leaves no partial file and the old target as it was.

#include "filetestsupport.h"

#include "documentio.h"
#include "exportjob.h"
#include "importjob.h"

#include <QDir>
#include <QTemporaryDir>

#include <gtest/gtest.h>

#include <unistd.h>

using namespace constellate;
using namespace constellate::ui;
using constellate::test::fixedDocument;
using constellate::test::waitFinished;

namespace {

const QString Graphs = QStringLiteral(CONSTELLATE_TEST_GRAPHS);

QByteArray contents(const QString& path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

QStringList entries(const QString& dir)
{
    return QDir(dir).entryList(QDir::AllEntries | QDir::Hidden | QDir::NoDotAndDotDot, QDir::Name);
}

std::unique_ptr<GraphDocument> lesmis()
{
    auto doc = fixedDocument();
    importGraphFile(*doc, (Graphs + QStringLiteral("/lesmis.gexf")).toStdString());
    return doc;
}

std::unique_ptr<GraphDocument> big(int nodes)
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("big.graphml"));
    test::writeBigGraphMl(path, nodes);
    auto doc = fixedDocument();
    importGraphFile(*doc, path.toStdString());
    return doc;
}

} // namespace

TEST(ExportJob, EveryFormatRoundTripsItsCounts)
{
    QTemporaryDir dir;
    auto doc = lesmis();
    for (const char* ext : { "graphml", "gexf", "json", "gml", "csv" }) {
        SCOPED_TRACE(ext);
        const QString path = dir.filePath(QStringLiteral("out.") + QLatin1String(ext));
        ExportJob job(*doc, path);
        qint64 lastDone = -1, lastTotal = -1;
        QObject::connect(&job, &FileTask::progress, [&](qint64 done, qint64 total) {
            lastDone = done;
            lastTotal = total;
        });
        job.start();
        ASSERT_TRUE(waitFinished(job));
        ASSERT_TRUE(job.succeeded()) << job.message().toStdString();
        EXPECT_EQ(job.format(), formatFromPath(path.toStdString()));
        EXPECT_EQ(job.bytesWritten(), QFileInfo(path).size());
        EXPECT_EQ(lastDone, job.bytesWritten());
        EXPECT_EQ(lastTotal, job.bytesWritten());

        const QString reference = dir.filePath(QStringLiteral("reference.") + QLatin1String(ext));
        exportGraphFile(*doc, reference.toStdString());
        EXPECT_EQ(contents(path), contents(reference));

        auto back = fixedDocument();
        const ImportReport r = importGraphFile(*back, path.toStdString());
        EXPECT_EQ(r.nodes, 77u);
        EXPECT_EQ(r.edges, 254u);
        EXPECT_EQ(back->count(EntityKind::Node), doc->count(EntityKind::Node));
        EXPECT_EQ(back->count(EntityKind::Edge), doc->count(EntityKind::Edge));
    }
}

TEST(ExportJob, SaveThenOpenGivesTheSameDocument)
{
    QTemporaryDir dir;
    auto doc = lesmis();
    // A later edit, so the file holds more than one transaction's worth.
    TransactionBuilder edit = doc->begin();
    edit.createNode({ { { Field::Label, {} }, Value("added") } });
    doc->commit(edit);

    const QString path = dir.filePath(QStringLiteral("saved.constellate"));
    ExportJob save(*doc, path);
    save.start();
    ASSERT_TRUE(waitFinished(save));
    ASSERT_TRUE(save.succeeded()) << save.message().toStdString();
    EXPECT_EQ(save.format(), GraphFormat::Native);
    // The same bytes as the synchronous saveNative.
    const QString reference = dir.filePath(QStringLiteral("reference.constellate"));
    saveNative(*doc, reference.toStdString());
    EXPECT_EQ(contents(path), contents(reference));

    auto opened = fixedDocument(99);
    ImportJob open(*opened, path);
    open.start();
    ASSERT_TRUE(waitFinished(open));
    ASSERT_TRUE(open.succeeded()) << open.message().toStdString();
    EXPECT_EQ(opened->canonicalHash(), doc->canonicalHash());

    auto loaded = fixedDocument(98);
    loadNative(*loaded, path.toStdString());
    EXPECT_EQ(loaded->canonicalHash(), doc->canonicalHash());
}

TEST(ExportJob, TargetFolderThatCannotHoldFilesFailsAndLeavesNothing)
{
    QTemporaryDir dir;
    auto doc = lesmis();
    const QString notAFolder = dir.filePath(QStringLiteral("plain-file"));
    {
        QFile f(notAFolder);
        ASSERT_TRUE(f.open(QIODevice::WriteOnly));
        f.write("x");
    }
    const QString targets[] = { notAFolder + QStringLiteral("/out.graphml"),
        dir.filePath(QStringLiteral("missing/out.gexf")), dir.filePath(QStringLiteral("missing/out.constellate")) };
    for (const QString& target : targets) {
        SCOPED_TRACE(target.toStdString());
        ExportJob job(*doc, target);
        job.start();
        ASSERT_TRUE(waitFinished(job));
        EXPECT_EQ(job.outcome(), FileTask::Outcome::Failed);
        EXPECT_TRUE(job.message().startsWith(QStringLiteral("cannot write ") + target + QStringLiteral(": ")))
            << job.message().toStdString();
        EXPECT_GT(job.message().size(), (QStringLiteral("cannot write ") + target + QStringLiteral(": ")).size());
        EXPECT_EQ(entries(dir.path()), QStringList { QStringLiteral("plain-file") });
    }
}

TEST(ExportJob, ReadOnlyFolderFailsAndLeavesNothing)
{
    if (geteuid() == 0)
        GTEST_SKIP() << "root writes into read-only folders";
    QTemporaryDir dir;
    const QString folder = dir.filePath(QStringLiteral("readonly"));
    ASSERT_TRUE(QDir().mkpath(folder));
    ASSERT_TRUE(QFile::setPermissions(folder, QFile::ReadOwner | QFile::ExeOwner));
    auto doc = lesmis();
    const QString target = folder + QStringLiteral("/out.graphml");
    ExportJob job(*doc, target);
    job.start();
    ASSERT_TRUE(waitFinished(job));
    EXPECT_EQ(job.outcome(), FileTask::Outcome::Failed);
    EXPECT_TRUE(job.message().startsWith(QStringLiteral("cannot write ") + target)) << job.message().toStdString();
    EXPECT_TRUE(entries(folder).isEmpty());
    QFile::setPermissions(folder, QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
}

TEST(ExportJob, UnknownExtensionFails)
{
    QTemporaryDir dir;
    auto doc = lesmis();
    ExportJob job(*doc, dir.filePath(QStringLiteral("out.txt")));
    job.start();
    ASSERT_TRUE(waitFinished(job));
    EXPECT_EQ(job.outcome(), FileTask::Outcome::Failed);
    EXPECT_TRUE(job.message().contains(QStringLiteral("unknown file type"))) << job.message().toStdString();
    EXPECT_TRUE(entries(dir.path()).isEmpty());
}

TEST(ExportJob, CancelledExportKeepsTheOldFile)
{
    QTemporaryDir dir;
    auto doc = big(100'000);
    for (const char* name : { "out.graphml", "out.constellate" }) {
        SCOPED_TRACE(name);
        const QString target = dir.filePath(QLatin1String(name));
        {
            QFile f(target);
            ASSERT_TRUE(f.open(QIODevice::WriteOnly));
            f.write("old content");
        }
        // Cancelled before it starts: the worker stops before it opens the file.
        ExportJob early(*doc, target);
        early.cancel();
        early.start();
        ASSERT_TRUE(waitFinished(early));
        EXPECT_TRUE(early.wasCancelled());
        EXPECT_EQ(contents(target), QByteArray("old content"));
        EXPECT_EQ(entries(dir.path()).size(), 1);

        // Cancelled at its first progress: either it stopped (old file kept) or it had
        // already committed (then it says so, and the file is whole).
        ExportJob late(*doc, target);
        QObject::connect(&late, &FileTask::progress, &late, &FileTask::cancel);
        late.start();
        ASSERT_TRUE(waitFinished(late));
        if (late.wasCancelled()) {
            EXPECT_EQ(contents(target), QByteArray("old content"));
        } else {
            ASSERT_TRUE(late.succeeded()) << late.message().toStdString();
            EXPECT_EQ(QFileInfo(target).size(), late.bytesWritten());
        }
        EXPECT_EQ(entries(dir.path()).size(), 1);
        QFile::remove(target);
    }
}

TEST(ExportJob, ExplicitDataAndSnapshotConstructors)
{
    QTemporaryDir dir;
    auto doc = lesmis();
    const QString json = dir.filePath(QStringLiteral("data.json"));
    ExportJob fromData(exportGraphData(*doc), json, GraphFormat::Json);
    fromData.start();
    const QString native = dir.filePath(QStringLiteral("snap.constellate"));
    ExportJob fromSnapshot(ExportJob::Snapshot { doc->encodeSnapshot() }, native);
    fromSnapshot.start();
    ASSERT_TRUE(waitFinished(fromData));
    ASSERT_TRUE(waitFinished(fromSnapshot));
    ASSERT_TRUE(fromData.succeeded()) << fromData.message().toStdString();
    ASSERT_TRUE(fromSnapshot.succeeded()) << fromSnapshot.message().toStdString();
    auto back = fixedDocument();
    EXPECT_EQ(importGraphFile(*back, json.toStdString()).nodes, 77u);
    auto snap = fixedDocument(5);
    loadNative(*snap, native.toStdString());
    EXPECT_EQ(snap->canonicalHash(), doc->canonicalHash());

    // Graph data cannot become a native file.
    ExportJob wrong(exportGraphData(*doc), dir.filePath(QStringLiteral("wrong.constellate")), GraphFormat::Native);
    wrong.start();
    ASSERT_TRUE(waitFinished(wrong));
    EXPECT_EQ(wrong.outcome(), FileTask::Outcome::Failed);
}
