#include "filetask.h"

#include <QThread>

#include <exception>
#include <stdexcept>

namespace constellate::ui {

FileTask::FileTask(QString path, QObject* parent)
    : QObject(parent)
    , m_path(std::move(path))
{
}

FileTask::~FileTask()
{
    shutdown();
}

void FileTask::shutdown()
{
    if (!m_thread)
        return;
    m_cancel = true;
    m_thread->wait();
    // Its finished() may be queued still: it must not reach onWorkerFinished after this.
    disconnect(m_thread.get(), nullptr, this, nullptr);
    m_thread.reset();
}

void FileTask::start()
{
    if (m_outcome != Outcome::NotStarted)
        throw std::logic_error("FileTask::start called twice");
    m_outcome = Outcome::Running;
    try {
        prepare();
    } catch (const std::exception& e) {
        QMetaObject::invokeMethod(
            this, [this, message = QString::fromStdString(e.what())] { finish(Outcome::Failed, message); },
            Qt::QueuedConnection);
        return;
    }
    m_thread.reset(QThread::create([this] { runWorker(); }));
    connect(m_thread.get(), &QThread::finished, this, &FileTask::onWorkerFinished, Qt::QueuedConnection);
    m_thread->start();
}

void FileTask::cancel()
{
    m_cancel = true;
}

void FileTask::checkCancelled() const
{
    if (cancelRequested())
        throw Cancelled {};
}

void FileTask::reportProgress(qint64 done, qint64 total)
{
    m_done = done;
    m_total = total;
    if (m_progressPending.exchange(true))
        return;
    // Posted to this object: dropped with it if it is deleted before the event loop runs.
    QMetaObject::invokeMethod(
        this,
        [this] {
            m_progressPending = false;
            if (m_outcome == Outcome::Running)
                Q_EMIT progress(m_done.load(), m_total.load());
        },
        Qt::QueuedConnection);
}

void FileTask::runWorker()
{
    try {
        work();
    } catch (const Cancelled&) {
        m_workerCancelled = true;
    } catch (const std::exception& e) {
        m_workerFailed = true;
        m_workerError = e.what();
    } catch (...) {
        m_workerFailed = true;
        m_workerError = "unexpected error";
    }
}

void FileTask::onWorkerFinished()
{
    if (m_thread) {
        m_thread->wait();
        m_thread.release()->deleteLater();
    }
    if (m_workerCancelled || (cancelRequested() && !m_workerFailed && cancelAfterWork())) {
        finish(Outcome::Cancelled, QStringLiteral("Cancelled"));
        return;
    }
    if (m_workerFailed) {
        finish(Outcome::Failed, QString::fromStdString(m_workerError));
        return;
    }
    try {
        finish(Outcome::Succeeded, complete());
    } catch (const std::exception& e) {
        finish(Outcome::Failed, QString::fromStdString(e.what()));
    }
}

void FileTask::finish(Outcome outcome, QString message)
{
    m_outcome = outcome;
    m_message = std::move(message);
    Q_EMIT finished(outcome == Outcome::Succeeded, m_message);
}

} // namespace constellate::ui
