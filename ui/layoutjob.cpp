#include "layoutjob.h"

#include <QThread>

#include <chrono>
#include <exception>
#include <stdexcept>

namespace constellate::ui {

LayoutJob::LayoutJob(QObject* parent) : QObject(parent) { }

LayoutJob::~LayoutJob()
{
    shutdown();
}

const char* LayoutJob::outcomeName(Outcome outcome)
{
    switch (outcome) {
    case Outcome::NotStarted: return "not started";
    case Outcome::Running: return "running";
    case Outcome::Settled: return "settled";
    case Outcome::Capped: return "capped";
    case Outcome::Stopped: return "stopped";
    case Outcome::Cancelled: return "cancelled";
    case Outcome::Failed: return "failed";
    }
    return "?";
}

void LayoutJob::shutdown()
{
    if (!m_thread)
        return;
    m_cancel = true;
    m_thread->wait();
    disconnect(m_thread.get(), nullptr, this, nullptr);
    m_thread.reset();
}

void LayoutJob::start(layout::LayoutGraph graph, std::uint64_t seed, layout::ForceLayoutOptions options)
{
    if (m_outcome != Outcome::NotStarted)
        throw std::logic_error("LayoutJob::start called twice");
    m_outcome = Outcome::Running;
    m_ids.clear();
    if (graph.ids.size() == graph.nodeCount()) {
        for (std::size_t i = 0; i < graph.nodeCount(); ++i)
            if (!graph.isPinned(i))
                m_ids.push_back(graph.ids[i]);
    }
    m_graph = std::move(graph);
    m_thread.reset(QThread::create([this, seed, options] { runWorker(seed, options); }));
    connect(m_thread.get(), &QThread::finished, this, &LayoutJob::onWorkerFinished, Qt::QueuedConnection);
    m_thread->start();
}

void LayoutJob::cancel()
{
    m_cancel = true;
}

void LayoutJob::stop()
{
    m_stop = true;
}

void LayoutJob::runWorker(std::uint64_t seed, layout::ForceLayoutOptions options)
{
    using Clock = std::chrono::steady_clock;
    try {
        layout::ForceLayout engine(std::move(m_graph), seed, options);
        const auto interval = std::chrono::milliseconds(m_intervalMs);
        Clock::time_point lastPublished = Clock::now();
        while (engine.state() == layout::LayoutState::Running && !m_cancel && !m_stop) {
            engine.step();
            const Clock::time_point now = Clock::now();
            const bool last = engine.state() != layout::LayoutState::Running || m_stop;
            if (m_cancel)
                break;
            if (last || now - lastPublished >= interval) {
                Frame frame;
                engine.copyFreePositions(frame.positions);
                frame.iteration = engine.iteration();
                frame.progress = engine.progress();
                publish(std::move(frame));
                lastPublished = now;
            }
        }
        m_workerState = engine.state();
        m_workerIterations = engine.iteration();
        if (!m_cancel)
            engine.copyFreePositions(m_workerFinal);
    } catch (const std::exception& e) {
        m_workerError = e.what();
        if (m_workerError.empty())
            m_workerError = "layout failed";
    }
}

void LayoutJob::publish(Frame frame)
{
    std::lock_guard lock(m_frameMutex);
    m_pending = std::move(frame);
    m_pendingSet = true;
    if (m_deliveryPosted)
        return;
    m_deliveryPosted = true;
    // Posted to this object: dropped with it if it is deleted before the event loop runs.
    // Events posted from one thread arrive in order, so the thread's finished() (queued
    // after this) comes after the last snapshot.
    QMetaObject::invokeMethod(this, &LayoutJob::deliverSnapshot, Qt::QueuedConnection);
}

void LayoutJob::deliverSnapshot()
{
    Frame frame;
    {
        std::lock_guard lock(m_frameMutex);
        m_deliveryPosted = false;
        if (!m_pendingSet)
            return;
        frame = std::move(m_pending);
        m_pending = Frame {};
        m_pendingSet = false;
    }
    if (m_outcome != Outcome::Running || m_cancel)
        return;
    m_iterations = frame.iteration;
    Q_EMIT snapshot(frame.positions, frame.iteration, frame.progress);
}

void LayoutJob::onWorkerFinished()
{
    if (m_thread) {
        m_thread->wait();
        m_thread.release()->deleteLater();
    }
    // A snapshot still waiting (posted just before the thread ended) goes out first.
    deliverSnapshot();
    m_iterations = m_workerIterations;
    if (!m_workerError.empty()) {
        finish(Outcome::Failed, {}, QString::fromStdString(m_workerError));
        return;
    }
    if (m_cancel) {
        finish(Outcome::Cancelled, {}, QStringLiteral("Cancelled after %1 steps").arg(m_iterations));
        return;
    }
    switch (m_workerState) {
    case layout::LayoutState::Settled:
        finish(Outcome::Settled, std::move(m_workerFinal), QStringLiteral("Settled after %1 steps").arg(m_iterations));
        break;
    case layout::LayoutState::Capped:
        finish(Outcome::Capped, std::move(m_workerFinal),
               QStringLiteral("Stopped at the cap of %1 steps before settling").arg(m_iterations));
        break;
    case layout::LayoutState::Running:
        finish(Outcome::Stopped, std::move(m_workerFinal), QStringLiteral("Stopped after %1 steps").arg(m_iterations));
        break;
    }
}

void LayoutJob::finish(Outcome outcome, std::vector<Vec3> positions, QString message)
{
    m_outcome = outcome;
    m_message = std::move(message);
    Q_EMIT finished(outcome, positions);
}

} // namespace constellate::ui
