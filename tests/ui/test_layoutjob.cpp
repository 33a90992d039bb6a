// LayoutJob: snapshots arrive on the UI thread in step order, the result is the engine's to
// the bit, cancel stops promptly and reports nothing (the document is untouched), stop
// reports where it was, and the final positions commit as one undo step.

#include "eventloopwait.h"

#include "documentio.h"
#include "editorsession.h"
#include "graphdocument.h"
#include "layout/forcelayout.h"
#include "layoutjob.h"

#include <QCoreApplication>
#include <QThread>

#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

using namespace constellate;
using namespace constellate::ui;
using constellate::test::waitFor;

namespace {

const std::string Graphs = CONSTELLATE_TEST_GRAPHS;

/// Everything a job said, checked as it arrives.
struct JobLog {
    std::vector<int> iterations;
    std::vector<double> progress;
    std::vector<std::vector<Vec3>> snapshots;
    bool offThread = false;
    int finishedCount = 0;
    int snapshotsAfterFinish = 0;
    LayoutJob::Outcome outcome = LayoutJob::Outcome::NotStarted;
    std::vector<Vec3> final;

    void connectTo(LayoutJob& job)
    {
        QObject::connect(&job, &LayoutJob::snapshot, &job,
                         [this](const std::vector<Vec3>& positions, int iteration, double fraction) {
                             offThread = offThread || QThread::currentThread() != qApp->thread();
                             snapshotsAfterFinish += finishedCount;
                             iterations.push_back(iteration);
                             progress.push_back(fraction);
                             snapshots.push_back(positions);
                         });
        QObject::connect(&job, &LayoutJob::finished, &job,
                         [this](LayoutJob::Outcome o, const std::vector<Vec3>& positions) {
                             offThread = offThread || QThread::currentThread() != qApp->thread();
                             ++finishedCount;
                             outcome = o;
                             final = positions;
                         });
    }
};

layout::LayoutGraph graphOf(const std::string& file, std::unique_ptr<GraphDocument>* keep = nullptr)
{
    auto doc = std::make_unique<GraphDocument>(1, 1);
    importGraphFile(*doc, Graphs + "/" + file);
    layout::LayoutGraph g = layout::layoutGraphFromDocument(*doc);
    if (keep)
        *keep = std::move(doc);
    return g;
}

bool bitwiseEqual(const std::vector<Vec3>& a, const std::vector<Vec3>& b)
{
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(Vec3)) == 0;
}

} // namespace

TEST(LayoutJob, SnapshotsArriveInOrderOnTheUiThreadAndTheResultIsTheEngines)
{
    const layout::LayoutGraph g = graphOf("lesmis.graphml");
    LayoutJob job;
    job.setSnapshotIntervalMs(0); // every step, as far as the UI thread keeps up
    JobLog log;
    log.connectTo(job);
    job.start(g, 42);
    EXPECT_TRUE(job.isRunning());
    EXPECT_EQ(job.nodeIds(), g.ids);
    EXPECT_EQ(log.finishedCount, 0); // never from inside start()
    ASSERT_TRUE(waitFor([&] { return log.finishedCount > 0; }, 60'000));
    QCoreApplication::processEvents(); // anything late would show now

    EXPECT_EQ(log.finishedCount, 1);
    EXPECT_EQ(log.outcome, LayoutJob::Outcome::Settled);
    EXPECT_FALSE(log.offThread);
    EXPECT_EQ(log.snapshotsAfterFinish, 0);
    ASSERT_FALSE(log.iterations.empty());
    for (std::size_t i = 1; i < log.iterations.size(); ++i) {
        EXPECT_LT(log.iterations[i - 1], log.iterations[i]);
        EXPECT_LE(log.progress[i - 1], log.progress[i]);
    }
    EXPECT_EQ(log.iterations.back(), job.iterations()); // the last step is always shown
    EXPECT_EQ(log.progress.back(), 1.0);

    // The engine alone, same graph and seed: the same bits.
    layout::ForceLayout engine(g, 42);
    while (engine.step() == layout::LayoutState::Running) {
    }
    EXPECT_EQ(engine.iteration(), job.iterations());
    std::vector<Vec3> expected;
    engine.copyFreePositions(expected);
    EXPECT_TRUE(bitwiseEqual(log.final, expected));
    EXPECT_TRUE(bitwiseEqual(log.snapshots.back(), expected));
}

TEST(LayoutJob, CancelStopsPromptlyAndReportsNothing)
{
    std::unique_ptr<GraphDocument> doc;
    const layout::LayoutGraph g = graphOf("ba-10k.graphml", &doc);
    const std::string hash = doc->canonicalHash();
    LayoutJob job;
    JobLog log;
    log.connectTo(job);
    layout::ForceLayoutOptions o;
    o.maxIterations = 100'000; // it would run for minutes
    job.start(g, 1, o);
    ASSERT_TRUE(waitFor([&] { return !log.iterations.empty(); }, 60'000));
    job.cancel();
    ASSERT_TRUE(waitFor([&] { return log.finishedCount > 0; }, 60'000));
    const std::size_t seen = log.snapshots.size();
    QCoreApplication::processEvents();

    EXPECT_EQ(log.outcome, LayoutJob::Outcome::Cancelled);
    EXPECT_EQ(job.outcome(), LayoutJob::Outcome::Cancelled);
    EXPECT_TRUE(log.final.empty());
    EXPECT_EQ(log.snapshots.size(), seen); // nothing after the cancel
    EXPECT_LT(job.iterations(), 1000);     // it stopped within a step, far from the cap
    EXPECT_EQ(doc->canonicalHash(), hash); // the job never touches a document
    job.cancel();                          // later calls change nothing
    QCoreApplication::processEvents();
    EXPECT_EQ(log.finishedCount, 1);
}

TEST(LayoutJob, StopReportsThePositionsReached)
{
    const layout::LayoutGraph g = graphOf("ba-10k.graphml");
    LayoutJob job;
    JobLog log;
    log.connectTo(job);
    layout::ForceLayoutOptions o;
    o.maxIterations = 100'000;
    job.start(g, 5, o);
    ASSERT_TRUE(waitFor([&] { return !log.iterations.empty(); }, 60'000));
    job.stop();
    ASSERT_TRUE(waitFor([&] { return log.finishedCount > 0; }, 60'000));
    EXPECT_EQ(log.outcome, LayoutJob::Outcome::Stopped);
    ASSERT_EQ(log.final.size(), g.nodeCount());
    EXPECT_TRUE(bitwiseEqual(log.final, log.snapshots.back()));

    // As many steps of the engine give the same positions.
    layout::ForceLayout engine(g, 5, o);
    for (int i = 0; i < job.iterations(); ++i)
        engine.step();
    std::vector<Vec3> expected;
    engine.copyFreePositions(expected);
    EXPECT_TRUE(bitwiseEqual(log.final, expected));
}

TEST(LayoutJob, PinnedNodesAreNotReportedAndTheResultCommitsAsOneUndoStep)
{
    EditorSession session(Profile {7, QStringLiteral("Tester"), 0});
    importGraphFile(session.document(), Graphs + "/karate.graphml");
    std::vector<EntityId> nodes;
    session.document().forEach(EntityKind::Node, [&](const GraphDocument::Entity& e) { nodes.push_back(e.id); }, true);
    session.setField({nodes[0]}, {Field::Property, "pinned"}, Value(true), QStringLiteral("Pin"));
    std::vector<Vec3> before;
    for (const EntityId id : nodes)
        before.push_back(session.document().position(*session.document().entity(id)));

    LayoutJob job;
    JobLog log;
    log.connectTo(job);
    job.start(layout::layoutGraphFromDocument(session.document()), 3);
    ASSERT_EQ(job.nodeIds(), std::vector<EntityId>(nodes.begin() + 1, nodes.end()));
    ASSERT_TRUE(waitFor([&] { return log.finishedCount > 0; }, 60'000));
    ASSERT_EQ(log.outcome, LayoutJob::Outcome::Settled);
    ASSERT_EQ(log.final.size(), nodes.size() - 1);
    for (const std::vector<Vec3>& s : log.snapshots)
        EXPECT_EQ(s.size(), nodes.size() - 1);

    std::vector<std::pair<EntityId, Vec3>> moved;
    for (std::size_t i = 0; i < job.nodeIds().size(); ++i)
        moved.emplace_back(job.nodeIds()[i], log.final[i]);
    session.moveNodes(moved, QStringLiteral("Auto-Layout"));
    EXPECT_EQ(session.undoText(), QStringLiteral("Auto-Layout"));
    const GraphDocument& doc = session.document();
    EXPECT_EQ(doc.position(*doc.entity(nodes[0])), before[0]);
    EXPECT_EQ(doc.position(*doc.entity(nodes[1])), log.final[0]);

    session.undo(); // one step puts every node back
    for (std::size_t i = 0; i < nodes.size(); ++i)
        EXPECT_EQ(doc.position(*doc.entity(nodes[i])), before[i]) << i;
    EXPECT_EQ(session.undoText(), QStringLiteral("Pin"));
}

TEST(LayoutJob, AnEmptyGraphFinishesSettledAndBadInputFails)
{
    LayoutJob empty;
    JobLog log;
    log.connectTo(empty);
    empty.start({}, 1);
    ASSERT_TRUE(waitFor([&] { return log.finishedCount > 0; }));
    EXPECT_EQ(log.outcome, LayoutJob::Outcome::Settled);
    EXPECT_TRUE(log.final.empty());

    layout::LayoutGraph bad;
    bad.positions = {{0, 0, 0}};
    bad.edges = {{0, 7, 1.0f}};
    LayoutJob job;
    JobLog badLog;
    badLog.connectTo(job);
    job.start(bad, 1);
    ASSERT_TRUE(waitFor([&] { return badLog.finishedCount > 0; }));
    EXPECT_EQ(badLog.outcome, LayoutJob::Outcome::Failed);
    EXPECT_TRUE(job.message().contains(QStringLiteral("edge")));
    EXPECT_THROW(job.start({}, 1), std::logic_error);
}

TEST(LayoutJob, DeletingARunningJobStopsItsWorker)
{
    const layout::LayoutGraph g = graphOf("ba-10k.graphml");
    int snapshots = 0;
    {
        LayoutJob job;
        QObject::connect(&job, &LayoutJob::snapshot, &job, [&] { ++snapshots; });
        job.start(g, 1);
        ASSERT_TRUE(waitFor([&] { return snapshots > 0; }, 60'000));
    }
    QCoreApplication::processEvents(); // nothing is delivered to the deleted job
    SUCCEED();
}
