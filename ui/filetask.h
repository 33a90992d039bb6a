#pragma once

#include <QObject>
#include <QString>

#include <atomic>
#include <memory>
#include <string>

class QThread;

namespace constellate::ui {

/// A file operation that runs on its own worker thread and reports back on the thread that
/// made it (the UI thread): the base of ImportJob and ExportJob. Connect progress() to a
/// QProgressDialog and its canceled() to cancel(); finished() comes exactly once per
/// start(), always later from the event loop (never from inside start()).
///
/// Deleting a running task cancels it and waits for its worker.
class FileTask : public QObject {
    Q_OBJECT
public:
    enum class Outcome { NotStarted, Running, Succeeded, Failed, Cancelled };

    ~FileTask() override;

    /// Starts the work. Call once, on the thread that owns the task.
    void start();

    Outcome outcome() const { return m_outcome; }
    bool isRunning() const { return m_outcome == Outcome::Running; }
    bool succeeded() const { return m_outcome == Outcome::Succeeded; }
    bool wasCancelled() const { return m_outcome == Outcome::Cancelled; }
    /// What finished() said: a summary, the error ("FILE:LINE:COL: ..." for a bad file), or "Cancelled".
    const QString& message() const { return m_message; }
    const QString& path() const { return m_path; }

public Q_SLOTS:
    /// Asks the worker to stop. Without effect once finished() was emitted. Any thread.
    void cancel();

Q_SIGNALS:
    /// `done` of `total` (bytes or steps; total 0 = not known yet). Coalesced: the worker
    /// posts at most one pending update at a time, so a slow receiver never falls behind.
    void progress(qint64 done, qint64 total);
    void finished(bool ok, const QString& message);

protected:
    /// Thrown by checkCancelled() out of whatever the worker is doing.
    struct Cancelled { };

    explicit FileTask(QString path, QObject* parent = nullptr);

    /// On the UI thread, in start(), before the worker starts: take what the worker needs
    /// from UI-thread objects. May throw std::exception (the task then fails).
    virtual void prepare() { }
    /// On the worker thread. Throws Cancelled (via checkCancelled) or std::exception.
    virtual void work() = 0;
    /// On the UI thread once work() returned: finish (apply to a document, ...) and return
    /// the success message. May throw std::exception (the task then fails).
    virtual QString complete() = 0;
    /// True when a cancel() that arrives after work() returned still cancels (nothing was
    /// done that cannot be left undone, as for an import not yet applied); false when the
    /// work's effect is already final (a file committed).
    virtual bool cancelAfterWork() const { return true; }

    /// Worker helpers.
    bool cancelRequested() const { return m_cancel.load(std::memory_order_relaxed); }
    void checkCancelled() const;
    void reportProgress(qint64 done, qint64 total);

    /// Cancels and joins the worker. Derived destructors call it first, so that the worker
    /// never runs work() on a half-destroyed object.
    void shutdown();

private:
    void runWorker();
    void onWorkerFinished();
    void finish(Outcome outcome, QString message);

    QString m_path;
    Outcome m_outcome = Outcome::NotStarted;
    QString m_message;
    std::unique_ptr<QThread> m_thread;
    std::atomic<bool> m_cancel { false };
    std::atomic<bool> m_progressPending { false };
    std::atomic<qint64> m_done { 0 };
    std::atomic<qint64> m_total { 0 };
    // Written by the worker, read on the UI thread after the worker finished.
    bool m_workerCancelled = false;
    bool m_workerFailed = false;
    std::string m_workerError;
};

} // namespace constellate::ui
