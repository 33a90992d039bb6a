// Reverting to a named version: the writes that make a document show the version again,
// as one transaction of new operations (one undo step, synced like any edit).
//
// "Shows the version again" is visibleStateHash() equality: the same visible entities, by
// id, with the same endpoints and field values. canonicalHash() cannot be equal (the
// revert writes with new timestamps), and need not be.

#include "revert.h"
#include "documentio.h"
#include "testsupport.h"

#include <gtest/gtest.h>

#include <map>
#include <random>

using namespace constellate;
using namespace constellate::test;

namespace {

class RevertTest : public ::testing::Test {
protected:
    ManualClock clock;
    Replica alice {0x0a, 101, clock};
    Replica bob {0x0b, 202, clock};

    /// Commits on `from` (one undo step) and delivers to the other.
    Transaction commit(Replica& from, TransactionBuilder& t, const std::string& what = "Edit")
    {
        const Transaction sent = from.history.commit(t, what);
        (&from == &alice ? bob : alice).document.apply(sent);
        clock.advance(1);
        return sent;
    }
    Transaction set(Replica& from, EntityId id, const FieldRef& f, const Value& v)
    {
        TransactionBuilder t = from.document.begin();
        from.document.set(t, id, f, v);
        return commit(from, t);
    }
    /// The version as the editor gets it: a snapshot merged into a document of its own.
    static std::unique_ptr<GraphDocument> versionOf(const GraphDocument& doc)
    {
        auto v = std::make_unique<GraphDocument>(0x99, 0);
        std::string error;
        EXPECT_TRUE(v->mergeSnapshot(doc.encodeSnapshot(), &error)) << error;
        return v;
    }
    static std::string labelOf(const GraphDocument& d, EntityId id) { return std::string(d.label(*d.entity(id))); }
};

TEST_F(RevertTest, DeletesWhatIsNewRestoresWhatWasDeletedAndWritesBackChangedFields)
{
    TransactionBuilder t = alice.document.begin();
    const EntityId a = t.createNode({{fieldRef(Field::Label), Value("a")}, {propertyRef("club"), Value(std::int64_t(3))}});
    const EntityId b = t.createNode({{fieldRef(Field::Label), Value("b")}});
    const EntityId c = t.createNode({{fieldRef(Field::Label), Value("c")}, {fieldRef(Field::Position), Value(Vec3 {1, 2, 3})}});
    const EntityId ab = t.createEdge(a, b, true, {{fieldRef(Field::Weight), Value(2.0)}});
    const EntityId bc = t.createEdge(b, c, false);
    const EntityId note = t.createAnnotation(a, AnnotationKind::Comment, {{fieldRef(Field::Text), Value("first")}});
    commit(alice, t, "Build");
    const auto version = versionOf(alice.document);
    const std::string versionHash = visibleStateHash(*version);

    // Both edit after the version was saved.
    set(bob, b, fieldRef(Field::Exists), Value(false)); // hides ab and bc with it
    set(alice, a, fieldRef(Field::Label), Value("renamed"));
    set(bob, a, fieldRef(Field::Color), Value::color(0xff0000ffu));
    set(alice, a, propertyRef("club"), Value());
    set(bob, c, propertyRef("score"), Value(0.5));
    set(alice, c, fieldRef(Field::Position), Value(Vec3 {9, 9, 9}));
    set(bob, note, fieldRef(Field::Text), Value("second thoughts"));
    TransactionBuilder more = bob.document.begin();
    const EntityId d = more.createNode({{fieldRef(Field::Label), Value("d")}});
    const EntityId ad = more.createEdge(a, d, false);
    const EntityId tag = more.createAnnotation(c, AnnotationKind::Tag, {{fieldRef(Field::Text), Value("new")}});
    commit(bob, more);
    set(alice, bc, fieldRef(Field::Label), Value("edited while hidden"));
    ASSERT_EQ(alice.document.canonicalHash(), bob.document.canonicalHash());
    const std::string editedHash = visibleStateHash(alice.document);
    ASSERT_NE(editedHash, versionHash);

    RevertSummary summary;
    TransactionBuilder revert = revertTo(alice.document, *version, &summary);
    EXPECT_EQ(summary.deleted, 3u);  // d, its edge, the tag on c
    EXPECT_EQ(summary.restored, 1u); // b (its edges come back with it)
    EXPECT_EQ(summary.changed, 4u);  // a, c, the comment, bc's label
    EXPECT_EQ(summary.created, 0u);
    EXPECT_EQ(summary.operations, revert.opCount());
    // Reading both documents changed neither.
    EXPECT_EQ(visibleStateHash(alice.document), editedHash);
    EXPECT_EQ(visibleStateHash(*version), versionHash);

    // One step, for Bob too, and no false conflict for the fields Bob wrote.
    const Transaction sent = alice.history.commit(revert, "Revert");
    const ApplyResult atBob = bob.document.apply(sent);
    EXPECT_TRUE(atBob.applied);
    EXPECT_TRUE(atBob.conflicts.empty());
    EXPECT_EQ(visibleStateHash(alice.document), versionHash);
    EXPECT_EQ(visibleStateHash(bob.document), versionHash);
    EXPECT_EQ(alice.document.canonicalHash(), bob.document.canonicalHash());
    EXPECT_NE(alice.document.canonicalHash(), version->canonicalHash()); // new stamps
    EXPECT_TRUE(alice.document.isVisible(b));
    EXPECT_TRUE(alice.document.isVisible(ab));
    EXPECT_TRUE(alice.document.isVisible(bc));
    EXPECT_FALSE(alice.document.isVisible(d));
    EXPECT_FALSE(alice.document.isVisible(ad));
    EXPECT_FALSE(alice.document.isVisible(tag));
    EXPECT_EQ(labelOf(alice.document, a), "a");
    EXPECT_EQ(alice.document.value(*alice.document.entity(a), propertyRef("club")), Value(std::int64_t(3)));
    EXPECT_TRUE(alice.document.value(*alice.document.entity(c), propertyRef("score")).isNone());
    EXPECT_EQ(alice.document.position(*alice.document.entity(c)), (Vec3 {1, 2, 3}));
    EXPECT_EQ(alice.document.text(*alice.document.entity(note)), "first");

    // Nothing left to revert.
    EXPECT_TRUE(revertTo(alice.document, *version).opCount() == 0);

    // Undo of the revert brings back what was there before it, for both.
    auto undone = alice.history.undo();
    ASSERT_TRUE(undone && undone->transaction);
    EXPECT_TRUE(undone->skipped.empty());
    bob.document.apply(*undone->transaction);
    EXPECT_EQ(visibleStateHash(alice.document), editedHash);
    EXPECT_EQ(visibleStateHash(bob.document), editedHash);
}

TEST_F(RevertTest, AnEdgeTheVersionHidBehindADeletedNodeStaysAsItWas)
{
    TransactionBuilder t = alice.document.begin();
    const EntityId a = t.createNode();
    const EntityId b = t.createNode();
    const EntityId ab = t.createEdge(a, b, false);
    commit(alice, t);
    set(alice, b, fieldRef(Field::Exists), Value(false)); // the edge exists but is hidden
    const auto version = versionOf(alice.document);
    set(bob, b, fieldRef(Field::Exists), Value(true));
    ASSERT_TRUE(alice.document.isVisible(ab));

    RevertSummary summary;
    TransactionBuilder revert = revertTo(alice.document, *version, &summary);
    EXPECT_EQ(summary.deleted, 1u); // b only: the edge follows it
    EXPECT_EQ(revert.opCount(), 1u);
    alice.history.commit(revert, "Revert");
    EXPECT_FALSE(alice.document.isVisible(ab));
    EXPECT_TRUE(alice.document.value(*alice.document.entity(ab), fieldRef(Field::Exists)).toBool());
    EXPECT_EQ(visibleStateHash(alice.document), visibleStateHash(*version));
}

TEST_F(RevertTest, WhatTheDocumentNeverSawIsCreatedAnewAndWhatHangsOnItFollowsTheNewIds)
{
    // A room that began a new epoch: this document shares only node s with the version,
    // whose replica made the rest.
    TransactionBuilder t = alice.document.begin();
    const EntityId s = t.createNode({{fieldRef(Field::Label), Value("shared")}});
    const Transaction createS = commit(alice, t);
    GraphDocument other(0x0c, 303, clock.clock());
    other.apply(createS);
    TransactionBuilder u = other.begin();
    const EntityId tNode = u.createNode({{fieldRef(Field::Label), Value("theirs")},
                                         {fieldRef(Field::Color), Value::color(0x123456ffu)},
                                         {fieldRef(Field::Position), Value(Vec3 {4, 5, 6})},
                                         {propertyRef("kind"), Value("leaf")}});
    const EntityId st = u.createEdge(s, tNode, true, {{fieldRef(Field::Weight), Value(7.5)}, {propertyRef("w"), Value(true)}});
    u.createAnnotation(st, AnnotationKind::Highlight, {{fieldRef(Field::Color), Value::color(0xffff00ffu)}});
    other.commit(u);
    const auto version = versionOf(other);
    // Meanwhile, here: s deleted, another node made.
    set(alice, s, fieldRef(Field::Exists), Value(false));
    TransactionBuilder mine = alice.document.begin();
    const EntityId extra = mine.createNode({{fieldRef(Field::Label), Value("extra")}});
    commit(alice, mine);

    RevertSummary summary;
    TransactionBuilder revert = revertTo(alice.document, *version, &summary);
    EXPECT_EQ(summary.created, 3u);  // t, the edge, the highlight
    EXPECT_EQ(summary.restored, 1u); // s
    EXPECT_EQ(summary.deleted, 1u);  // extra
    alice.history.commit(revert, "Revert");
    EXPECT_FALSE(alice.document.isVisible(extra));
    EXPECT_FALSE(alice.document.entity(tNode)); // a new id, not theirs
    // Same graph, read as plain data (ids differ for what was created anew).
    const GraphData now = exportGraphData(alice.document), then = exportGraphData(*version);
    EXPECT_EQ(now.nodes, then.nodes);
    EXPECT_EQ(now.edges, then.edges);
    std::vector<const GraphDocument::Entity*> edges, notes;
    alice.document.forEach(EntityKind::Edge, [&](const GraphDocument::Entity& e) { edges.push_back(&e); });
    alice.document.forEach(EntityKind::Annotation, [&](const GraphDocument::Entity& e) { notes.push_back(&e); });
    ASSERT_EQ(edges.size(), 1u);
    EXPECT_EQ(edges[0]->a, s); // the shared node keeps its id
    EXPECT_TRUE(alice.document.directed(*edges[0]));
    ASSERT_EQ(notes.size(), 1u);
    EXPECT_EQ(notes[0]->a, edges[0]->id);
    EXPECT_EQ(alice.document.annotationKind(*notes[0]), AnnotationKind::Highlight);
    EXPECT_EQ(alice.document.color(*notes[0]), 0xffff00ffu);
    // Undo removes what it created.
    auto undone = alice.history.undo();
    ASSERT_TRUE(undone && undone->transaction);
    EXPECT_EQ(alice.document.count(EntityKind::Edge), 0u);
    EXPECT_TRUE(alice.document.isVisible(extra));
}

TEST_F(RevertTest, TheVisibleStateHashIgnoresStampsAndHiddenThingsButNotValues)
{
    TransactionBuilder t = alice.document.begin();
    const EntityId a = t.createNode({{fieldRef(Field::Label), Value("a")}});
    const EntityId gone = t.createNode({{fieldRef(Field::Label), Value("gone")}});
    commit(alice, t);
    set(alice, gone, fieldRef(Field::Exists), Value(false));
    const std::string before = visibleStateHash(alice.document);
    const std::string canonical = alice.document.canonicalHash();

    // A write and its undo: other stamps, the same look.
    set(alice, a, fieldRef(Field::Label), Value("b"));
    EXPECT_NE(visibleStateHash(alice.document), before);
    auto undone = alice.history.undo();
    ASSERT_TRUE(undone && undone->transaction);
    bob.document.apply(*undone->transaction);
    EXPECT_EQ(visibleStateHash(alice.document), before);
    EXPECT_NE(alice.document.canonicalHash(), canonical);
    // A deleted node's fields do not show.
    set(alice, gone, fieldRef(Field::Label), Value("still gone"));
    EXPECT_EQ(visibleStateHash(alice.document), before);
    // A property does.
    set(alice, a, propertyRef("p"), Value(std::int64_t(1)));
    EXPECT_NE(visibleStateHash(alice.document), before);
    // Bob holds the same operations: the same look.
    EXPECT_EQ(visibleStateHash(bob.document), visibleStateHash(alice.document));
}

/// What differs between what two documents show (for a failure's message).
std::string describeDifference(const GraphDocument& x, const GraphDocument& y)
{
    std::string out;
    auto list = [](const GraphDocument& d) {
        std::map<EntityId, std::string> m;
        for (const EntityKind k : {EntityKind::Node, EntityKind::Edge, EntityKind::Annotation})
            d.forEach(k, [&](const GraphDocument::Entity& e) {
                std::string s = std::string(entityKindName(e.kind)) + " " + e.a.toString() + " " + e.b.toString();
                for (int f = 1; f < 7; ++f)
                    if (fieldAppliesTo(Field(f), e.kind))
                        s += " " + std::string(fieldName(Field(f))) + "=" + d.value(e, {Field(f), {}}).display();
                d.forEachProperty(e, [&](std::string_view n, const Value& v) { s += " " + std::string(n) + "=" + v.display(); });
                m[e.id] = s;
            });
        return m;
    };
    const auto a = list(x), b = list(y);
    for (const auto& [id, s] : a)
        if (!b.count(id) || b.at(id) != s)
            out += "\n  now " + id.toString() + ": " + s + (b.count(id) ? "\n  was " + b.at(id) : std::string(" (not in the version)"));
    for (const auto& [id, s] : b)
        if (!a.count(id))
            out += "\n  missing " + id.toString() + ": " + s;
    return out;
}

/// Random edits by two users, a version in the middle, more random edits, a revert: the
/// document shows the version, at both users, and undo shows what was there before.
TEST_F(RevertTest, RandomHistoriesRevertExactly)
{
    std::mt19937 rng(std::getenv("CONSTELLATE_REVERT_SEED") ? std::atoi(std::getenv("CONSTELLATE_REVERT_SEED")) : 20240617);
    const int rounds = std::getenv("CONSTELLATE_REVERT_ROUNDS") ? std::atoi(std::getenv("CONSTELLATE_REVERT_ROUNDS")) : 10;
    const char* names[] = {"club", "score", "flag", "note"};
    auto pick = [&](std::size_t n) { return std::size_t(rng() % n); };
    std::vector<EntityId> deleted;
    auto randomEdits = [&](int count) {
        for (int i = 0; i < count; ++i) {
            Replica& who = pick(2) ? alice : bob;
            std::vector<EntityId> all;
            for (const EntityKind k : {EntityKind::Node, EntityKind::Edge, EntityKind::Annotation})
                who.document.forEach(k, [&](const GraphDocument::Entity& e) { all.push_back(e.id); }, true);
            std::vector<EntityId> nodes;
            who.document.forEach(EntityKind::Node, [&](const GraphDocument::Entity& e) { nodes.push_back(e.id); }, true);
            TransactionBuilder t = who.document.begin();
            switch (all.empty() ? 0 : pick(7)) {
            case 0: t.createNode({{fieldRef(Field::Label), Value("n" + std::to_string(i))}}); break;
            case 1:
                if (nodes.size() >= 2)
                    t.createEdge(nodes[pick(nodes.size())], nodes[pick(nodes.size())], pick(2), {{fieldRef(Field::Weight), Value(double(pick(9)))}});
                break;
            case 2: t.createAnnotation(all[pick(all.size())], AnnotationKind(pick(3)), {{fieldRef(Field::Text), Value("t")}}); break;
            case 3:
                // delete, or restore something deleted earlier
                if (!deleted.empty() && pick(2)) {
                    const EntityId id = deleted[pick(deleted.size())];
                    if (!who.document.value(*who.document.entity(id), fieldRef(Field::Exists)).toBool())
                        who.document.set(t, id, fieldRef(Field::Exists), Value(true));
                } else {
                    deleted.push_back(all[pick(all.size())]);
                    who.document.set(t, deleted.back(), fieldRef(Field::Exists), Value(false));
                }
                break;
            case 4: {
                const EntityId id = all[pick(all.size())];
                const EntityKind k = who.document.entity(id)->kind;
                if (k == EntityKind::Annotation)
                    who.document.set(t, id, fieldRef(Field::Text), Value("x" + std::to_string(i)));
                else
                    who.document.set(t, id, fieldRef(Field::Label), Value("l" + std::to_string(i)));
                break;
            }
            case 5: {
                const EntityId id = all[pick(all.size())];
                if (who.document.entity(id)->kind != EntityKind::Annotation)
                    who.document.set(t, id, propertyRef(names[pick(4)]), pick(3) ? Value(std::int64_t(pick(5))) : Value());
                break;
            }
            case 6:
                if (!nodes.empty())
                    who.document.set(t, nodes[pick(nodes.size())], fieldRef(Field::Position),
                                     Value(Vec3 {float(pick(10)), float(pick(10)), 0}));
                break;
            }
            if (t.opCount() > 0)
                commit(who, t);
        }
    };
    for (int round = 0; round < rounds; ++round) {
        randomEdits(60);
        const auto version = versionOf(alice.document);
        randomEdits(60);
        const std::string edited = visibleStateHash(alice.document);
        Replica& reverter = round % 2 ? bob : alice;
        TransactionBuilder revert = revertTo(reverter.document, *version);
        const Transaction sent = commit(reverter, revert, "Revert");
        ASSERT_EQ(visibleStateHash(alice.document), visibleStateHash(*version)) << "round " << round << describeDifference(alice.document, *version);
        ASSERT_EQ(visibleStateHash(bob.document), visibleStateHash(*version)) << "round " << round;
        auto undone = reverter.history.undo();
        if (!sent.isEmpty()) {
            ASSERT_TRUE(undone && undone->transaction);
            (&reverter == &alice ? bob : alice).document.apply(*undone->transaction);
        }
        ASSERT_EQ(visibleStateHash(alice.document), edited) << "round " << round;
        ASSERT_EQ(visibleStateHash(bob.document), edited) << "round " << round;
    }
}

} // namespace
