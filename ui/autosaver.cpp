#include "autosaver.h"

#include "documentio.h"
#include "exportjob.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLockFile>
#include <QSaveFile>
#include <QStandardPaths>
#include <QUuid>

#include <algorithm>

namespace constellate::ui {

namespace {

constexpr int DefaultIntervalMs = 60'000;
const QString SnapshotSuffix = QStringLiteral(".constellate");
const QString SidecarSuffix = QStringLiteral(".json");
const QString LockSuffix = QStringLiteral(".lock");

/// A lock that only a dead owner gives up: no age limit, so a session that runs for days
/// (and never touches its lock file) keeps it.
std::unique_ptr<QLockFile> tryLock(const QString& path)
{
    auto lock = std::make_unique<QLockFile>(path);
    lock->setStaleLockTime(0);
    if (!lock->tryLock(0))
        return nullptr;
    return lock;
}

} // namespace

QString Autosaver::defaultDirectory()
{
    return QStandardPaths::writableLocation(QStandardPaths::AppDataLocation) + QStringLiteral("/recovery");
}

Autosaver::Autosaver(QString directory, QObject* parent)
    : QObject(parent)
    , m_directory(std::move(directory))
    , m_id(QUuid::createUuid().toString(QUuid::WithoutBraces))
{
    QDir().mkpath(m_directory);
    m_lock = tryLock(QDir(m_directory).filePath(m_id + LockSuffix));
    m_timer.setInterval(DefaultIntervalMs);
    connect(&m_timer, &QTimer::timeout, this, [this] { saveNow(); });
    m_timer.start();
}

Autosaver::~Autosaver()
{
    stopWriting();
}

QString Autosaver::snapshotPath() const
{
    return QDir(m_directory).filePath(m_id + SnapshotSuffix);
}

QString Autosaver::sidecarPath() const
{
    return QDir(m_directory).filePath(m_id + SidecarSuffix);
}

void Autosaver::setSnapshotSource(std::function<std::string()> source)
{
    m_source = std::move(source);
}

void Autosaver::setDocument(const GraphDocument* document)
{
    if (document)
        m_source = [document] { return document->encodeSnapshot(); };
    else
        m_source = nullptr;
}

void Autosaver::setOrigin(QString origin, QString title)
{
    m_origin = std::move(origin);
    m_title = std::move(title);
}

void Autosaver::setInterval(std::chrono::milliseconds interval)
{
    m_timer.setInterval(int(std::clamp<std::chrono::milliseconds::rep>(interval.count(), 1, 24 * 3600 * 1000)));
}

bool Autosaver::saveNow()
{
    if (m_job || !m_source || !isDirty())
        return false;
    const quint64 generation = m_generation;
    m_job = std::make_unique<ExportJob>(ExportJob::Snapshot { m_source() }, snapshotPath());
    connect(m_job.get(), &FileTask::finished, this,
        [this, generation](bool ok, const QString& message) { onWriteFinished(generation, ok, message); });
    m_job->start();
    return true;
}

void Autosaver::onWriteFinished(quint64 generation, bool ok, const QString& message)
{
    // Called from the job's own signal: it is deleted once that returns.
    m_job.release()->deleteLater();
    if (!ok) {
        Q_EMIT saved(false, QStringLiteral("Autosave failed: %1").arg(message));
        return;
    }
    m_savedGeneration = generation;
    QString error;
    const bool sidecar = writeSidecar(&error);
    removeAdopted();
    if (!sidecar) {
        Q_EMIT saved(false, QStringLiteral("Autosaved, without its description: %1").arg(error));
        return;
    }
    Q_EMIT saved(true, QStringLiteral("Autosaved to %1").arg(snapshotPath()));
}

bool Autosaver::writeSidecar(QString* error) const
{
    QJsonObject o;
    o[QStringLiteral("format")] = QStringLiteral("constellate-recovery");
    o[QStringLiteral("version")] = 1;
    o[QStringLiteral("origin")] = m_origin;
    o[QStringLiteral("title")] = m_title;
    o[QStringLiteral("savedAt")] = QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs);
    o[QStringLiteral("pid")] = QCoreApplication::applicationPid();
    o[QStringLiteral("snapshot")] = QFileInfo(snapshotPath()).fileName();
    const QByteArray bytes = QJsonDocument(o).toJson();
    QSaveFile f(sidecarPath());
    if (f.open(QIODevice::WriteOnly) && f.write(bytes) == bytes.size() && f.commit())
        return true;
    *error = QStringLiteral("cannot write %1: %2").arg(sidecarPath(), f.errorString());
    return false;
}

void Autosaver::stopWriting()
{
    if (!m_job)
        return;
    disconnect(m_job.get(), nullptr, this, nullptr);
    m_job.reset(); // cancels, and waits for the worker
}

void Autosaver::markSaved(quint64 generation)
{
    if (generation != m_generation)
        return;
    stopWriting();
    QFile::remove(snapshotPath());
    QFile::remove(sidecarPath());
    removeAdopted();
    m_savedGeneration = generation;
}

void Autosaver::discard()
{
    stopWriting();
    QFile::remove(snapshotPath());
    QFile::remove(sidecarPath());
    removeAdopted();
    m_savedGeneration = m_generation;
}

bool Autosaver::adopt(const RecoveryEntry& entry)
{
    std::unique_ptr<QLockFile> lock = tryLock(entry.lockPath);
    if (!lock)
        return false;
    m_adopted.push_back({ entry, std::move(lock) });
    markDirty();
    return true;
}

void Autosaver::removeAdopted()
{
    for (Adopted& a : m_adopted) {
        QFile::remove(a.entry.snapshotPath);
        QFile::remove(a.entry.sidecarPath);
        a.lock.reset(); // unlocks: removes the lock file
    }
    m_adopted.clear();
}

std::vector<RecoveryEntry> Autosaver::findRecoverable(const QString& directory)
{
    std::vector<RecoveryEntry> out;
    const QDir dir(directory);
    const QFileInfoList files = dir.entryInfoList({ QStringLiteral("*") + SnapshotSuffix }, QDir::Files);
    for (const QFileInfo& file : files) {
        const QString id = file.completeBaseName();
        RecoveryEntry e;
        e.snapshotPath = file.absoluteFilePath();
        e.sidecarPath = dir.absoluteFilePath(id + SidecarSuffix);
        e.lockPath = dir.absoluteFilePath(id + LockSuffix);
        // Free or stale (its process is gone): the session is over. Held: it runs.
        if (!tryLock(e.lockPath))
            continue;
        e.savedAt = file.lastModified().toUTC();
        QFile sidecar(e.sidecarPath);
        if (sidecar.open(QIODevice::ReadOnly)) {
            const QJsonObject o = QJsonDocument::fromJson(sidecar.readAll()).object();
            e.origin = o.value(QStringLiteral("origin")).toString();
            e.title = o.value(QStringLiteral("title")).toString();
            e.pid = qint64(o.value(QStringLiteral("pid")).toDouble());
            const QDateTime at
                = QDateTime::fromString(o.value(QStringLiteral("savedAt")).toString(), Qt::ISODateWithMs);
            if (at.isValid())
                e.savedAt = at.toUTC();
        }
        out.push_back(std::move(e));
    }
    std::sort(
        out.begin(), out.end(), [](const RecoveryEntry& a, const RecoveryEntry& b) { return a.savedAt > b.savedAt; });
    return out;
}

bool Autosaver::recover(const RecoveryEntry& entry, GraphDocument& document, QString* error)
{
    try {
        loadNative(document, entry.snapshotPath.toStdString());
    } catch (const std::exception& e) {
        if (error)
            *error = QString::fromStdString(e.what());
        return false;
    }
    return true;
}

void Autosaver::remove(const RecoveryEntry& entry)
{
    std::unique_ptr<QLockFile> lock = tryLock(entry.lockPath);
    if (!lock)
        return; // adopted or in use meanwhile
    QFile::remove(entry.snapshotPath);
    QFile::remove(entry.sidecarPath);
}

} // namespace constellate::ui
