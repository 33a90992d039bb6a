#pragma once

#include "layout/forcelayout.h"
#include "types.h"

#include <QObject>
#include <QString>

#include <atomic>
#include <memory>
#include <mutex>
#include <vector>

class QThread;

namespace constellate::ui {

/// Runs a ForceLayout on a worker thread and reports on the thread that made it (the UI
/// thread): live positions while it settles, progress, and the outcome. The worker owns its
/// arrays; the document is never touched here. The caller takes the graph on the UI thread
/// (layoutGraphFromDocument), shows each snapshot (the view's overrides, SyncClient::dragTo
/// for the others), and on finished() commits the final positions as one undo step
/// (EditorSession::moveNodes) or, when cancelled, drops the live positions (endDrag).
///
/// Snapshots: after a step, when at least snapshotInterval() has passed since the last one
/// (and after the last step), the worker copies the free nodes' positions; the UI thread
/// gets the newest copy, so a slow receiver skips snapshots instead of falling behind. They
/// arrive in step order, and none after cancel().
///
/// finished() comes exactly once per start(), always later from the event loop. Deleting a
/// running job cancels it and waits for its worker (at most one step).
class LayoutJob : public QObject {
    Q_OBJECT
public:
    enum class Outcome {
        NotStarted,
        Running,
        Settled,   ///< the settle criterion was met
        Capped,    ///< the iteration cap was reached first
        Stopped,   ///< stop(): ended where it was, positions reported
        Cancelled, ///< cancel(): no positions reported
        Failed,    ///< bad input (message() says what)
    };

    explicit LayoutJob(QObject* parent = nullptr);
    ~LayoutJob() override;

    /// The least time between two snapshots (default 33 ms, about 30 a second; 0: every step).
    /// Set before start().
    void setSnapshotIntervalMs(int ms) { m_intervalMs = ms; }
    int snapshotIntervalMs() const { return m_intervalMs; }

    /// Starts laying out `graph` (its positions are where it starts). Call once.
    void start(layout::LayoutGraph graph, std::uint64_t seed, layout::ForceLayoutOptions options = {});

    Outcome outcome() const { return m_outcome; }
    bool isRunning() const { return m_outcome == Outcome::Running; }
    /// "Settled after 812 steps", the error, ...
    const QString& message() const { return m_message; }
    /// The ids of the free (unpinned) nodes: the order of every snapshot's positions. Set by
    /// start(); pinned nodes never move, so they are never reported.
    const std::vector<EntityId>& nodeIds() const { return m_ids; }
    /// Steps done, as of the last snapshot or finished().
    int iterations() const { return m_iterations; }
    static const char* outcomeName(Outcome outcome);

public Q_SLOTS:
    /// Stops and reports no positions: the caller puts things back as they were. Without
    /// effect once finished() was emitted. Any thread.
    void cancel();
    /// Stops after the current step and reports the positions reached (to commit).
    void stop();

Q_SIGNALS:
    /// The free nodes' positions after step `iteration` (ids: nodeIds()); `progress` is
    /// ForceLayout::progress() (an estimate in [0, 1] that never goes back).
    void snapshot(const std::vector<constellate::Vec3>& positions, int iteration, double progress);
    /// `positions` (in nodeIds() order) are the final ones for Settled, Capped and Stopped,
    /// and empty for Cancelled and Failed.
    void finished(constellate::ui::LayoutJob::Outcome outcome, const std::vector<constellate::Vec3>& positions);

private:
    struct Frame {
        std::vector<Vec3> positions;
        int iteration = 0;
        double progress = 0;
    };
    void runWorker(std::uint64_t seed, layout::ForceLayoutOptions options);
    void publish(Frame frame);
    void deliverSnapshot();
    void onWorkerFinished();
    void finish(Outcome outcome, std::vector<Vec3> positions, QString message);
    void shutdown();

    int m_intervalMs = 33;
    Outcome m_outcome = Outcome::NotStarted;
    QString m_message;
    std::vector<EntityId> m_ids;
    int m_iterations = 0;
    layout::LayoutGraph m_graph; ///< handed to the worker, which moves it into its layout
    std::unique_ptr<QThread> m_thread;
    std::atomic<bool> m_cancel {false};
    std::atomic<bool> m_stop {false};

    std::mutex m_frameMutex;
    Frame m_pending;            ///< the newest snapshot not yet delivered
    bool m_pendingSet = false;  ///< guarded by m_frameMutex
    bool m_deliveryPosted = false;

    // Written by the worker, read on the UI thread after it finished.
    layout::LayoutState m_workerState = layout::LayoutState::Running;
    std::vector<Vec3> m_workerFinal;
    int m_workerIterations = 0;
    std::string m_workerError;
};

} // namespace constellate::ui
