#pragma once

#include "graphdocument.h"

#include <QDateTime>
#include <QObject>
#include <QString>
#include <QTimer>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

class QLockFile;

namespace constellate::ui {

class ExportJob;

/// An autosave left behind by an editor session that is no longer running.
struct RecoveryEntry {
    QString snapshotPath; ///< ID.constellate: a native file
    QString sidecarPath; ///< ID.json: what the fields below come from (may be missing)
    QString lockPath; ///< ID.lock: held by the session while it runs
    QString origin; ///< the file path or room URL the session edited; empty: untitled
    QString title; ///< the window title then
    QDateTime savedAt; ///< of the last autosave (the snapshot file's time without a sidecar)
    qint64 pid = 0; ///< of the session that wrote it
};

/// Autosave and crash recovery for one editor session. Every interval (60 s by default),
/// if the document changed since the last autosave, its native snapshot is taken on the UI
/// thread and compressed and written on a worker, atomically (QSaveFile), to
/// DIR/ID.constellate, with a JSON sidecar DIR/ID.json (origin, title, time, PID). While the
/// session lives it holds DIR/ID.lock (a QLockFile): a session that crashed leaves its files
/// unlocked, and findRecoverable() lists them at the next start.
///
/// Never loses data: a new autosave replaces the old one by rename, only once it is
/// complete; an adopted entry (recovered from a crash) is deleted only after this session's
/// own autosave succeeded, or on discard(). Destroying the Autosaver without discard()
/// keeps the files (recoverable next time).
class Autosaver : public QObject {
    Q_OBJECT
public:
    /// QStandardPaths::AppDataLocation + "/recovery".
    static QString defaultDirectory();

    /// Creates `directory` if needed and locks this session's id in it. The timer runs from
    /// here; it saves only when there is a source and something changed.
    explicit Autosaver(QString directory = defaultDirectory(), QObject* parent = nullptr);
    ~Autosaver() override;

    /// What to save: called on the UI thread at each autosave, returns encodeSnapshot().
    void setSnapshotSource(std::function<std::string()> source);
    /// Same, from a document (which must outlive this, or be replaced/unset first).
    void setDocument(const GraphDocument* document);
    /// What the sidecar says: the original file path or room URL, and a display title.
    void setOrigin(QString origin, QString title);
    void setInterval(std::chrono::milliseconds interval);
    std::chrono::milliseconds interval() const { return std::chrono::milliseconds(m_timer.interval()); }

    /// Call on every change of the document.
    void markDirty() { ++m_generation; }
    bool isDirty() const { return m_generation != m_savedGeneration; }
    /// Changes so far: take it with a Save's snapshot, give it back to markSaved().
    quint64 generation() const { return m_generation; }
    /// After a successful Save of the snapshot taken at `generation`: if nothing changed
    /// since, the document is safe in its file and the recovery files go.
    void markSaved(quint64 generation);

    /// Autosaves now if something changed and no autosave is being written: true when one
    /// was started (saved() follows). What the timer calls.
    bool saveNow();
    bool isSaving() const { return m_job != nullptr; }

    /// A clean exit (or the document closed with its changes saved or dropped): removes
    /// this session's recovery files and those of adopted entries. Autosaving goes on for
    /// later changes.
    void discard();

    /// This session now holds a recovered entry's content (see recover()): the entry is
    /// locked so no other editor recovers it too, the document is marked dirty, and the
    /// entry's files are removed once this session's own autosave succeeded.
    bool adopt(const RecoveryEntry& entry);

    QString directory() const { return m_directory; }
    QString snapshotPath() const;
    QString sidecarPath() const;

    /// Autosaves in `directory` whose session is no longer running (its lock is free or
    /// stale), newest first. Never lists a live session's files.
    static std::vector<RecoveryEntry> findRecoverable(const QString& directory = defaultDirectory());
    /// Merges an entry's snapshot into `document` (loadNative). False with `error` set
    /// when the file is unreadable or damaged; the document is unchanged then.
    static bool recover(const RecoveryEntry& entry, GraphDocument& document, QString* error);
    /// Deletes an entry's files (the user chose not to recover it); nothing when its lock
    /// is held (adopted by a running session meanwhile).
    static void remove(const RecoveryEntry& entry);

Q_SIGNALS:
    /// After each autosave: ok, or why it failed (the next interval tries again).
    void saved(bool ok, const QString& message);

private:
    void onWriteFinished(quint64 generation, bool ok, const QString& message);
    bool writeSidecar(QString* error) const;
    void removeAdopted();
    void stopWriting();

    QString m_directory;
    QString m_id;
    std::unique_ptr<QLockFile> m_lock;
    std::function<std::string()> m_source;
    QString m_origin;
    QString m_title;
    QTimer m_timer;
    quint64 m_generation = 0;
    quint64 m_savedGeneration = 0;
    std::unique_ptr<ExportJob> m_job;
    struct Adopted {
        RecoveryEntry entry;
        std::unique_ptr<QLockFile> lock;
    };
    std::vector<Adopted> m_adopted;
};

} // namespace constellate::ui
