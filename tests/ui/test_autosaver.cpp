// Autosaver: writes after a change (driven by saveNow, not the timer), a session that
// died leaves an entry that is found and recovers the document, a live session's files
// are never offered, adopting and discarding remove what they should and nothing more.

#include "filetestsupport.h"

#include "autosaver.h"
#include "documentio.h"

#include <QDir>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QProcessEnvironment>
#include <QTemporaryDir>

#include <gtest/gtest.h>

#include <cstdlib>

using namespace constellate;
using namespace constellate::ui;
using constellate::test::fixedDocument;
using constellate::test::waitFor;

namespace {

const QString Graphs = QStringLiteral(CONSTELLATE_TEST_GRAPHS);
const char* ChildDirVariable = "CONSTELLATE_AUTOSAVER_CHILD_DIR";

std::unique_ptr<GraphDocument> karate()
{
    auto doc = fixedDocument();
    importGraphFile(*doc, (Graphs + QStringLiteral("/karate.graphml")).toStdString());
    return doc;
}

/// Calls saveNow() and waits for saved(); returns its ok.
bool autosave(Autosaver& saver, QString* message = nullptr)
{
    bool done = false, ok = false;
    auto connection = QObject::connect(&saver, &Autosaver::saved, [&](bool success, const QString& m) {
        done = true;
        ok = success;
        if (message)
            *message = m;
    });
    const bool started = saver.saveNow();
    EXPECT_TRUE(started);
    if (started) {
        EXPECT_TRUE(waitFor([&] { return done; }, 60'000));
    }
    QObject::disconnect(connection);
    return ok;
}

QStringList files(const QString& dir, const QString& pattern)
{
    return QDir(dir).entryList({ pattern }, QDir::Files);
}

} // namespace

TEST(Autosaver, WritesOnlyAfterAChange)
{
    QTemporaryDir dir;
    auto doc = karate();
    Autosaver saver(dir.path());
    EXPECT_EQ(saver.interval(), std::chrono::seconds(60));
    saver.setDocument(doc.get());
    saver.setOrigin(QStringLiteral("/home/someone/karate.graphml"), QStringLiteral("karate.graphml"));
    EXPECT_FALSE(saver.saveNow()); // nothing changed yet
    saver.markDirty();
    QString message;
    ASSERT_TRUE(autosave(saver, &message)) << message.toStdString();
    EXPECT_FALSE(saver.isDirty());
    EXPECT_FALSE(saver.saveNow());

    ASSERT_TRUE(QFile::exists(saver.snapshotPath()));
    auto recovered = fixedDocument(8);
    loadNative(*recovered, saver.snapshotPath().toStdString());
    EXPECT_EQ(recovered->canonicalHash(), doc->canonicalHash());

    QFile sidecar(saver.sidecarPath());
    ASSERT_TRUE(sidecar.open(QIODevice::ReadOnly));
    const QJsonObject o = QJsonDocument::fromJson(sidecar.readAll()).object();
    EXPECT_EQ(o.value(QStringLiteral("origin")).toString(), QStringLiteral("/home/someone/karate.graphml"));
    EXPECT_EQ(o.value(QStringLiteral("title")).toString(), QStringLiteral("karate.graphml"));
    EXPECT_EQ(qint64(o.value(QStringLiteral("pid")).toDouble()), QCoreApplication::applicationPid());
    EXPECT_TRUE(QDateTime::fromString(o.value(QStringLiteral("savedAt")).toString(), Qt::ISODateWithMs).isValid());

    // A later change replaces the autosave with the new content.
    TransactionBuilder edit = doc->begin();
    edit.createNode({ { { Field::Label, {} }, Value("later") } });
    doc->commit(edit);
    saver.markDirty();
    ASSERT_TRUE(autosave(saver));
    auto again = fixedDocument(8);
    loadNative(*again, saver.snapshotPath().toStdString());
    EXPECT_EQ(again->canonicalHash(), doc->canonicalHash());
    EXPECT_EQ(files(dir.path(), QStringLiteral("*.constellate")).size(), 1);
}

TEST(Autosaver, LiveSessionIsNotOfferedAndDiscardRemovesItsFiles)
{
    QTemporaryDir dir;
    auto doc = karate();
    Autosaver saver(dir.path());
    saver.setDocument(doc.get());
    saver.markDirty();
    ASSERT_TRUE(autosave(saver));
    EXPECT_TRUE(Autosaver::findRecoverable(dir.path()).empty());
    RecoveryEntry live;
    live.snapshotPath = saver.snapshotPath();
    live.sidecarPath = saver.sidecarPath();
    live.lockPath
        = QDir(dir.path()).filePath(QFileInfo(saver.snapshotPath()).completeBaseName() + QStringLiteral(".lock"));
    Autosaver::remove(live);
    EXPECT_TRUE(QFile::exists(saver.snapshotPath())); // locked: not removed

    saver.discard();
    EXPECT_FALSE(QFile::exists(saver.snapshotPath()));
    EXPECT_FALSE(QFile::exists(saver.sidecarPath()));
    EXPECT_TRUE(files(dir.path(), QStringLiteral("*.constellate")).isEmpty());
    EXPECT_TRUE(files(dir.path(), QStringLiteral("*.json")).isEmpty());
    EXPECT_FALSE(saver.isDirty());
}

TEST(Autosaver, ExitWithoutDiscardKeepsARecoverableEntry)
{
    QTemporaryDir dir;
    auto doc = karate();
    QString snapshot;
    {
        Autosaver saver(dir.path());
        saver.setDocument(doc.get());
        saver.setOrigin(QString(), QStringLiteral("Untitled"));
        saver.markDirty();
        ASSERT_TRUE(autosave(saver));
        snapshot = saver.snapshotPath();
    }
    const std::vector<RecoveryEntry> found = Autosaver::findRecoverable(dir.path());
    ASSERT_EQ(found.size(), 1u);
    EXPECT_EQ(QFileInfo(found[0].snapshotPath).canonicalFilePath(), QFileInfo(snapshot).canonicalFilePath());
    EXPECT_EQ(found[0].title, QStringLiteral("Untitled"));
    auto recovered = fixedDocument(8);
    QString error;
    ASSERT_TRUE(Autosaver::recover(found[0], *recovered, &error)) << error.toStdString();
    EXPECT_EQ(recovered->canonicalHash(), doc->canonicalHash());
    Autosaver::remove(found[0]);
    EXPECT_TRUE(Autosaver::findRecoverable(dir.path()).empty());
    EXPECT_TRUE(files(dir.path(), QStringLiteral("*")).isEmpty());
}

TEST(Autosaver, MarkSavedRemovesTheAutosaveOnlyWhenNothingChangedSince)
{
    QTemporaryDir dir;
    auto doc = karate();
    Autosaver saver(dir.path());
    saver.setDocument(doc.get());
    saver.markDirty();
    ASSERT_TRUE(autosave(saver));
    const quint64 atSave = saver.generation();
    saver.markDirty(); // changed after the Save's snapshot was taken
    saver.markSaved(atSave);
    EXPECT_TRUE(QFile::exists(saver.snapshotPath()));
    EXPECT_TRUE(saver.isDirty());
    saver.markSaved(saver.generation());
    EXPECT_FALSE(QFile::exists(saver.snapshotPath()));
    EXPECT_FALSE(saver.isDirty());
}

TEST(Autosaver, FailedWriteIsReportedAndRetried)
{
    QTemporaryDir dir;
    const QString blocked = dir.filePath(QStringLiteral("recovery"));
    auto doc = karate();
    Autosaver saver(blocked);
    saver.setDocument(doc.get());
    // The directory goes away and a plain file takes its place: nothing can be written.
    ASSERT_TRUE(QDir(blocked).removeRecursively());
    {
        QFile f(blocked);
        ASSERT_TRUE(f.open(QIODevice::WriteOnly));
    }
    saver.markDirty();
    QString message;
    EXPECT_FALSE(autosave(saver, &message));
    EXPECT_TRUE(message.contains(QStringLiteral("cannot write"))) << message.toStdString();
    EXPECT_TRUE(saver.isDirty()); // the next interval tries again
}

// Run in a child process by DeadSessionIsFoundAndRecovered: autosaves, then dies without
// cleaning up (as a crash would). Skipped in a normal run.
TEST(AutosaverChild, AutosavesThenDies)
{
    const QString dir = qEnvironmentVariable(ChildDirVariable);
    if (dir.isEmpty())
        GTEST_SKIP() << "run by Autosaver.DeadSessionIsFoundAndRecovered";
    auto doc = karate();
    auto* saver = new Autosaver(dir);
    saver->setDocument(doc.get());
    saver->setOrigin(QStringLiteral("ws://localhost:7878/rooms/karate"), QStringLiteral("karate (room)"));
    saver->markDirty();
    ASSERT_TRUE(autosave(*saver));
    std::_Exit(0);
}

TEST(Autosaver, DeadSessionIsFoundAndRecovered)
{
    QTemporaryDir dir;
    QProcess child;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QString::fromLatin1(ChildDirVariable), dir.path());
    child.setProcessEnvironment(env);
    child.setProcessChannelMode(QProcess::MergedChannels);
    child.start(QCoreApplication::applicationFilePath(), { QStringLiteral("--gtest_filter=AutosaverChild.*") });
    ASSERT_TRUE(child.waitForStarted(30'000));
    const qint64 pid = child.processId();
    ASSERT_TRUE(child.waitForFinished(120'000));
    ASSERT_EQ(child.exitCode(), 0) << child.readAll().toStdString();
    // What a crash leaves: the snapshot, its sidecar and the dead session's lock.
    ASSERT_EQ(files(dir.path(), QStringLiteral("*.lock")).size(), 1) << child.readAll().toStdString();

    const std::vector<RecoveryEntry> found = Autosaver::findRecoverable(dir.path());
    ASSERT_EQ(found.size(), 1u);
    const RecoveryEntry& entry = found[0];
    EXPECT_EQ(entry.pid, pid);
    EXPECT_EQ(entry.origin, QStringLiteral("ws://localhost:7878/rooms/karate"));
    EXPECT_EQ(entry.title, QStringLiteral("karate (room)"));
    EXPECT_TRUE(entry.savedAt.isValid());

    auto recovered = fixedDocument(8);
    QString error;
    ASSERT_TRUE(Autosaver::recover(entry, *recovered, &error)) << error.toStdString();
    EXPECT_EQ(recovered->canonicalHash(), karate()->canonicalHash());

    // The new session adopts it: no one else is offered it now, and it goes only once the
    // new session's own autosave is written.
    Autosaver saver(dir.path());
    saver.setDocument(recovered.get());
    ASSERT_TRUE(saver.adopt(entry));
    EXPECT_TRUE(saver.isDirty());
    EXPECT_TRUE(Autosaver::findRecoverable(dir.path()).empty());
    EXPECT_TRUE(QFile::exists(entry.snapshotPath));
    ASSERT_TRUE(autosave(saver));
    EXPECT_FALSE(QFile::exists(entry.snapshotPath));
    EXPECT_FALSE(QFile::exists(entry.sidecarPath));
    EXPECT_EQ(
        files(dir.path(), QStringLiteral("*.constellate")), QStringList { QFileInfo(saver.snapshotPath()).fileName() });

    saver.discard();
    EXPECT_TRUE(files(dir.path(), QStringLiteral("*.constellate")).isEmpty());
    EXPECT_TRUE(files(dir.path(), QStringLiteral("*.json")).isEmpty());
}

TEST(Autosaver, SnapshotWithoutLockOrSidecarIsRecoverable)
{
    // A session killed between its first snapshot and its sidecar, on a machine whose lock
    // files were cleaned: the snapshot alone is still offered.
    QTemporaryDir dir;
    auto doc = karate();
    const QString path = dir.filePath(QStringLiteral("orphan.constellate"));
    saveNative(*doc, path.toStdString());
    const std::vector<RecoveryEntry> found = Autosaver::findRecoverable(dir.path());
    ASSERT_EQ(found.size(), 1u);
    EXPECT_TRUE(found[0].title.isEmpty());
    EXPECT_TRUE(found[0].savedAt.isValid());
    auto recovered = fixedDocument(8);
    ASSERT_TRUE(Autosaver::recover(found[0], *recovered, nullptr));
    EXPECT_EQ(recovered->canonicalHash(), doc->canonicalHash());
}
