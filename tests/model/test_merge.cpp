// The merge rules of docs/architecture.md, one test each.

#include "testsupport.h"

#include <gtest/gtest.h>

#include <algorithm>

using namespace constellate;
using namespace constellate::test;

namespace {

class MergeTest : public ::testing::Test {
protected:
    ManualClock clock;
    Replica alice {0x0a, 101, clock};
    Replica bob {0x0b, 202, clock};

    /// Each receives what the other made.
    static void exchange(Replica& a, const Transaction& fromA, Replica& b, const Transaction& fromB)
    {
        b.document.apply(fromA);
        a.document.apply(fromB);
    }

    Transaction createNode(Replica& r, EntityId* id, const std::string& label = "n")
    {
        TransactionBuilder t = r.document.begin();
        *id = t.createNode({{fieldRef(Field::Label), Value(label)}, {fieldRef(Field::Position), Value(Vec3 {1, 2, 3})}});
        return r.document.commit(t);
    }
    Transaction write(Replica& r, EntityId id, const FieldRef& f, const Value& v)
    {
        TransactionBuilder t = r.document.begin();
        r.document.set(t, id, f, v);
        return r.document.commit(t);
    }
    Value read(const Replica& r, EntityId id, const FieldRef& f)
    {
        const auto* e = r.document.entity(id);
        return e ? r.document.value(*e, f) : Value();
    }
};

TEST_F(MergeTest, LaterTimestampWinsWhateverTheArrivalOrder)
{
    EntityId n;
    const Transaction created = createNode(alice, &n);
    bob.document.apply(created);

    const Transaction a = write(alice, n, fieldRef(Field::Label), Value("alice"));
    clock.advance(5);
    const Transaction b = write(bob, n, fieldRef(Field::Label), Value("bob"));
    exchange(alice, a, bob, b);

    EXPECT_EQ(read(alice, n, fieldRef(Field::Label)), Value("bob"));
    EXPECT_EQ(read(bob, n, fieldRef(Field::Label)), Value("bob"));
    EXPECT_EQ(alice.document.canonicalHash(), bob.document.canonicalHash());
}

TEST_F(MergeTest, EqualTimestampsAreBrokenByReplicaId)
{
    EntityId n;
    bob.document.apply(createNode(alice, &n));
    // Both clocks read the same millisecond and both have seen the same timestamps.
    const Transaction a = write(alice, n, fieldRef(Field::Label), Value("alice"));
    const Transaction b = write(bob, n, fieldRef(Field::Label), Value("bob"));
    ASSERT_EQ(a.header().hlc, b.header().hlc);
    exchange(alice, a, bob, b);
    // Bob's replica id (0x0b) is higher than Alice's (0x0a).
    EXPECT_EQ(read(alice, n, fieldRef(Field::Label)), Value("bob"));
    EXPECT_EQ(read(bob, n, fieldRef(Field::Label)), Value("bob"));
}

TEST_F(MergeTest, DuplicatesAndReorderingChangeNothing)
{
    EntityId n;
    const Transaction t1 = createNode(alice, &n);
    const Transaction t2 = write(alice, n, fieldRef(Field::Color), Value::color(0xff0000ff));
    const Transaction t3 = write(alice, n, propertyRef("club"), Value("Officer"));
    // Bob gets them backwards, twice over.
    for (const Transaction* t : {&t3, &t2, &t3, &t1, &t2, &t1}) {
        const ApplyResult r = bob.document.apply(*t);
        (void)r;
    }
    EXPECT_EQ(alice.document.canonicalHash(), bob.document.canonicalHash());
    EXPECT_TRUE(bob.document.isVisible(n));
    EXPECT_EQ(read(bob, n, propertyRef("club")), Value("Officer"));
    EXPECT_FALSE(bob.document.apply(t2).applied);
}

TEST_F(MergeTest, WritesBeforeTheCreationArriveAreKeptInvisible)
{
    EntityId n;
    const Transaction created = createNode(alice, &n);
    const Transaction moved = write(alice, n, fieldRef(Field::Position), Value(Vec3 {9, 9, 9}));
    bob.document.apply(moved);
    EXPECT_FALSE(bob.document.isVisible(n));
    EXPECT_EQ(bob.document.count(EntityKind::Node), 0u);
    bob.document.apply(created);
    EXPECT_TRUE(bob.document.isVisible(n));
    EXPECT_EQ(bob.document.position(*bob.document.entity(n)), (Vec3 {9, 9, 9}));
}

TEST_F(MergeTest, DeleteThenRestoreWithANewerTimestamp)
{
    EntityId n;
    bob.document.apply(createNode(alice, &n));
    clock.advance(1);
    const Transaction del = write(alice, n, fieldRef(Field::Exists), Value(false));
    bob.document.apply(del);
    EXPECT_FALSE(bob.document.isVisible(n));
    clock.advance(1);
    const Transaction restore = write(bob, n, fieldRef(Field::Exists), Value(true));
    alice.document.apply(restore);
    EXPECT_TRUE(alice.document.isVisible(n));
    EXPECT_TRUE(bob.document.isVisible(n));
}

TEST_F(MergeTest, ConcurrentEditOfADeletedNodeDoesNotBringItBack)
{
    EntityId n;
    bob.document.apply(createNode(alice, &n));
    clock.advance(1);
    const Transaction del = write(alice, n, fieldRef(Field::Exists), Value(false));
    clock.advance(1); // Bob's edit is newer, but of another field.
    const Transaction edit = write(bob, n, fieldRef(Field::Label), Value("renamed"));
    exchange(alice, del, bob, edit);
    EXPECT_FALSE(alice.document.isVisible(n));
    EXPECT_FALSE(bob.document.isVisible(n));
    EXPECT_EQ(alice.document.canonicalHash(), bob.document.canonicalHash());
}

TEST_F(MergeTest, EdgeIsVisibleOnlyWhileBothEndpointsExist)
{
    EntityId a, b;
    bob.document.apply(createNode(alice, &a));
    bob.document.apply(createNode(alice, &b));
    clock.advance(1);
    // Alice deletes node b while Bob, who has not seen that, connects a to b.
    const Transaction del = write(alice, b, fieldRef(Field::Exists), Value(false));
    TransactionBuilder t = bob.document.begin();
    const EntityId edge = t.createEdge(a, b, true);
    const Transaction connect = bob.document.commit(t);
    EXPECT_TRUE(bob.document.isVisible(edge));
    exchange(alice, del, bob, connect);
    EXPECT_FALSE(alice.document.isVisible(edge));
    EXPECT_FALSE(bob.document.isVisible(edge));
    EXPECT_EQ(bob.document.count(EntityKind::Edge), 0u);
    // Restoring the node brings the edge back: it was never deleted itself.
    clock.advance(1);
    alice.document.apply(write(bob, b, fieldRef(Field::Exists), Value(true)));
    EXPECT_TRUE(alice.document.isVisible(edge));
    EXPECT_EQ(alice.document.canonicalHash(), bob.document.canonicalHash());
}

TEST_F(MergeTest, AnnotationsFollowWhatTheyAreAttachedTo)
{
    EntityId n;
    bob.document.apply(createNode(alice, &n));
    TransactionBuilder t = bob.document.begin();
    const EntityId note = t.createAnnotation(n, AnnotationKind::Comment, {{fieldRef(Field::Text), Value("check this")}});
    alice.document.apply(bob.document.commit(t));
    ASSERT_TRUE(alice.document.isVisible(note));
    EXPECT_EQ(alice.document.text(*alice.document.entity(note)), "check this");
    EXPECT_EQ(alice.document.annotationKind(*alice.document.entity(note)), AnnotationKind::Comment);
    clock.advance(1);
    bob.document.apply(write(alice, n, fieldRef(Field::Exists), Value(false)));
    EXPECT_FALSE(bob.document.isVisible(note));
}

TEST_F(MergeTest, ParallelEdgesAndSelfLoopsAreAllowed)
{
    EntityId a, b;
    createNode(alice, &a);
    createNode(alice, &b);
    TransactionBuilder t = alice.document.begin();
    t.createEdge(a, b, false);
    t.createEdge(a, b, false);
    t.createEdge(b, a, true);
    t.createEdge(a, a, false);
    alice.document.commit(t);
    EXPECT_EQ(alice.document.count(EntityKind::Edge), 4u);
}

TEST_F(MergeTest, ConcurrentOverwriteIsReportedAsAConflict)
{
    EntityId n;
    bob.document.apply(createNode(alice, &n, "start"));
    const Transaction mine = write(alice, n, fieldRef(Field::Label), Value("mine"));
    clock.advance(1);
    // Bob has not seen Alice's write: his names the creation as what he replaces.
    const Transaction theirs = write(bob, n, fieldRef(Field::Label), Value("theirs"));
    bob.document.apply(mine);
    const ApplyResult r = alice.document.apply(theirs);
    ASSERT_EQ(r.conflicts.size(), 1u);
    const Conflict& c = r.conflicts.front();
    EXPECT_EQ(c.entity, n);
    EXPECT_EQ(c.field, fieldRef(Field::Label));
    EXPECT_EQ(c.mine, Value("mine"));
    EXPECT_EQ(c.theirs, Value("theirs"));
    EXPECT_EQ(c.byUser, 202u);
    EXPECT_EQ(c.byReplica, 0x0bu);
    EXPECT_EQ(c.kind, EntityKind::Node);
}

TEST_F(MergeTest, AnOverwriteOfWhatTheWriterSawIsNoConflict)
{
    EntityId n;
    bob.document.apply(createNode(alice, &n, "start"));
    bob.document.apply(write(alice, n, fieldRef(Field::Label), Value("mine")));
    clock.advance(1);
    const Transaction theirs = write(bob, n, fieldRef(Field::Label), Value("theirs"));
    EXPECT_TRUE(alice.document.apply(theirs).conflicts.empty());
    EXPECT_EQ(read(alice, n, fieldRef(Field::Label)), Value("theirs"));
}

TEST_F(MergeTest, RestoreMineAfterAConflictWins)
{
    EntityId n;
    bob.document.apply(createNode(alice, &n, "start"));
    const Transaction mine = write(alice, n, fieldRef(Field::Label), Value("mine"));
    clock.advance(1);
    const Transaction theirs = write(bob, n, fieldRef(Field::Label), Value("theirs"));
    bob.document.apply(mine);
    const ApplyResult r = alice.document.apply(theirs);
    ASSERT_EQ(r.conflicts.size(), 1u);
    // "Restore mine": a new write of the old value, naming theirs as what it replaces.
    const Transaction restore = write(alice, n, r.conflicts[0].field, r.conflicts[0].mine);
    EXPECT_TRUE(bob.document.apply(restore).conflicts.empty());
    EXPECT_EQ(read(bob, n, fieldRef(Field::Label)), Value("mine"));
}

TEST_F(MergeTest, ClockNeverRunsBackwardsAndMovesPastWhatItSees)
{
    HlcClock c(clock.clock());
    const Hlc a = c.tick();
    const Hlc b = c.tick();
    EXPECT_LT(a, b);
    EXPECT_EQ(a.millis(), b.millis());
    c.observe(Hlc::make(a.millis() + 5000, 7));
    const Hlc d = c.tick();
    EXPECT_GT(d, Hlc::make(a.millis() + 5000, 7));
    EXPECT_TRUE(HlcClock::isTooFarAhead(Hlc::make(*clock.now + 60'001, 0), *clock.now));
    EXPECT_FALSE(HlcClock::isTooFarAhead(Hlc::make(*clock.now + 60'000, 0), *clock.now));
}

TEST_F(MergeTest, SnapshotMergeEqualsApplyingTheOperations)
{
    EntityId a, b;
    const Transaction t1 = createNode(alice, &a);
    const Transaction t2 = createNode(bob, &b);
    alice.document.apply(t2);
    bob.document.apply(t1);
    clock.advance(3);
    const Transaction t3 = write(alice, b, propertyRef("score"), Value(2.5));
    const Transaction t4 = write(bob, a, fieldRef(Field::Exists), Value(false));

    Replica carol(0x0c, 303, clock);
    std::string error;
    ASSERT_TRUE(carol.document.mergeSnapshot(alice.document.encodeSnapshot(), &error)) << error;
    carol.document.apply(t4);
    ASSERT_TRUE(carol.document.mergeSnapshot(bob.document.encodeSnapshot(), &error)) << error;
    carol.document.apply(t3);
    exchange(alice, t3, bob, t4);
    EXPECT_EQ(carol.document.canonicalHash(), alice.document.canonicalHash());
    EXPECT_EQ(carol.document.canonicalHash(), bob.document.canonicalHash());
    EXPECT_EQ(carol.document.versionVector(), alice.document.versionVector());
}

TEST_F(MergeTest, MalformedSnapshotChangesNothing)
{
    EntityId n;
    createNode(alice, &n);
    const std::string snapshot = alice.document.encodeSnapshot();
    const std::string before = bob.document.canonicalHash();
    for (std::size_t cut = 0; cut < snapshot.size(); ++cut) {
        std::string error;
        EXPECT_FALSE(bob.document.mergeSnapshot(std::string_view(snapshot).substr(0, cut), &error)) << cut;
        EXPECT_FALSE(error.empty());
    }
    EXPECT_EQ(bob.document.canonicalHash(), before);
}

TEST_F(MergeTest, CountersContinueAfterWhatWasReserved)
{
    struct MemoryReservation : CounterReservation {
        std::uint32_t value = 0;
        std::uint32_t reserved() const override { return value; }
        void reserveThrough(std::uint32_t c) override { value = c; }
    } saved;
    std::uint32_t lastUsed = 0;
    {
        GraphDocument doc(0x77, 1);
        doc.setCounterReservation(&saved);
        TransactionBuilder t = doc.begin();
        t.createNode();
        lastUsed = doc.commit(t).header().lastCounter();
        EXPECT_GE(saved.value, lastUsed);
    }
    GraphDocument restarted(0x77, 1);
    restarted.setCounterReservation(&saved);
    TransactionBuilder t = restarted.begin();
    t.createNode();
    EXPECT_GT(restarted.commit(t).header().firstCounter, lastUsed);
}

} // namespace
