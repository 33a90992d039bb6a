// Undo and redo per user, amid other users' edits.

#include "testsupport.h"

#include <gtest/gtest.h>

using namespace constellate;
using namespace constellate::test;

namespace {

class UndoTest : public ::testing::Test {
protected:
    ManualClock clock;
    Replica alice {0x0a, 101, clock};
    Replica bob {0x0b, 202, clock};

    void toBob(const Transaction& t) { bob.document.apply(t); }
    void toAlice(const Transaction& t) { alice.document.apply(t); }

    EntityId addNode(Replica& r, const std::string& label)
    {
        TransactionBuilder t = r.document.begin();
        const EntityId id = t.createNode({{fieldRef(Field::Label), Value(label)}});
        const Transaction sent = r.history.commit(t, "Add node");
        (&r == &alice ? bob : alice).document.apply(sent);
        clock.advance(1);
        return id;
    }
    Transaction edit(Replica& r, EntityId id, const FieldRef& f, const Value& v, const std::string& what = "Edit")
    {
        TransactionBuilder t = r.document.begin();
        r.document.set(t, id, f, v);
        const Transaction sent = r.history.commit(t, what);
        clock.advance(1);
        return sent;
    }
    static std::string labelOf(const Replica& r, EntityId id)
    {
        return std::string(r.document.label(*r.document.entity(id)));
    }
};

TEST_F(UndoTest, UndoRevertsOnlyMyOwnActionAsNewOperations)
{
    const EntityId n = addNode(alice, "a");
    toBob(edit(alice, n, fieldRef(Field::Label), Value("alice")));
    toAlice(edit(bob, n, fieldRef(Field::Color), Value::color(0x00ff00ff)));

    auto out = alice.history.undo();
    ASSERT_TRUE(out && out->transaction);
    EXPECT_TRUE(out->skipped.empty());
    EXPECT_EQ(out->description, "Edit");
    toBob(*out->transaction);
    EXPECT_EQ(labelOf(alice, n), "a");
    EXPECT_EQ(labelOf(bob, n), "a");
    // Bob's color stays.
    EXPECT_EQ(bob.document.color(*bob.document.entity(n)), 0x00ff00ffu);
    EXPECT_EQ(alice.document.canonicalHash(), bob.document.canonicalHash());
}

TEST_F(UndoTest, AFieldSomeoneElseWroteSinceIsSkippedAndReported)
{
    const EntityId n = addNode(alice, "a");
    TransactionBuilder t = alice.document.begin();
    alice.document.set(t, n, fieldRef(Field::Label), Value("alice"));
    alice.document.set(t, n, fieldRef(Field::Size), Value(3.0));
    toBob(alice.history.commit(t, "Rename and grow"));
    clock.advance(1);
    toAlice(edit(bob, n, fieldRef(Field::Label), Value("bob")));

    auto out = alice.history.undo();
    ASSERT_TRUE(out);
    ASSERT_EQ(out->skipped.size(), 1u);
    EXPECT_EQ(out->skipped[0].field, fieldRef(Field::Label));
    EXPECT_EQ(out->skipped[0].byUser, 202u);
    ASSERT_TRUE(out->transaction);
    toBob(*out->transaction);
    EXPECT_EQ(labelOf(bob, n), "bob"); // not clobbered
    EXPECT_EQ(bob.document.size(*bob.document.entity(n)), 1.0f); // size undone
}

TEST_F(UndoTest, UndoOfADeleteRestoresTheNodeAndItsEdges)
{
    const EntityId a = addNode(alice, "a");
    const EntityId b = addNode(alice, "b");
    TransactionBuilder t = alice.document.begin();
    const EntityId e = t.createEdge(a, b, false);
    toBob(alice.history.commit(t, "Connect"));
    clock.advance(1);
    toAlice(edit(bob, b, fieldRef(Field::Exists), Value(false), "Delete"));
    EXPECT_FALSE(alice.document.isVisible(e));

    auto out = bob.history.undo();
    ASSERT_TRUE(out && out->transaction);
    toAlice(*out->transaction);
    EXPECT_TRUE(alice.document.isVisible(b));
    EXPECT_TRUE(alice.document.isVisible(e));
    EXPECT_EQ(alice.document.canonicalHash(), bob.document.canonicalHash());
}

TEST_F(UndoTest, RedoReappliesAndUndoAgainReverts)
{
    const EntityId n = addNode(alice, "a");
    edit(alice, n, fieldRef(Field::Label), Value("b"));
    ASSERT_TRUE(alice.history.undo());
    EXPECT_EQ(labelOf(alice, n), "a");
    EXPECT_TRUE(alice.history.canRedo());
    clock.advance(1);
    auto redone = alice.history.redo();
    ASSERT_TRUE(redone && redone->transaction);
    EXPECT_EQ(labelOf(alice, n), "b");
    clock.advance(1);
    ASSERT_TRUE(alice.history.undo());
    EXPECT_EQ(labelOf(alice, n), "a");
    clock.advance(1);
    ASSERT_TRUE(alice.history.undo()); // the creation
    EXPECT_FALSE(alice.document.isVisible(n));
    clock.advance(1);
    ASSERT_TRUE(alice.history.redo());
    EXPECT_TRUE(alice.document.isVisible(n));
    EXPECT_EQ(labelOf(alice, n), "a");
}

TEST_F(UndoTest, RedoSkipsAFieldSomeoneWroteAfterTheUndo)
{
    const EntityId n = addNode(alice, "a");
    toBob(edit(alice, n, fieldRef(Field::Label), Value("b")));
    auto undone = alice.history.undo();
    ASSERT_TRUE(undone && undone->transaction);
    toBob(*undone->transaction);
    clock.advance(1);
    toAlice(edit(bob, n, fieldRef(Field::Label), Value("bob")));
    auto redone = alice.history.redo();
    ASSERT_TRUE(redone);
    EXPECT_FALSE(redone->transaction);
    ASSERT_EQ(redone->skipped.size(), 1u);
    EXPECT_EQ(labelOf(alice, n), "bob");
    EXPECT_FALSE(alice.history.canRedo());
}

TEST_F(UndoTest, WritingAFieldTwiceInOneActionUndoesToTheValueBefore)
{
    const EntityId n = addNode(alice, "first");
    TransactionBuilder t = alice.document.begin();
    const OpId w1 = alice.document.set(t, n, fieldRef(Field::Label), Value("second"));
    t.set(n, fieldRef(Field::Label), Value("third"), w1);
    alice.history.commit(t, "Rename twice");
    EXPECT_EQ(labelOf(alice, n), "third");
    clock.advance(1);
    ASSERT_TRUE(alice.history.undo());
    EXPECT_EQ(labelOf(alice, n), "first");
}

TEST_F(UndoTest, UndoOfAPropertyThatDidNotExistRemovesIt)
{
    const EntityId n = addNode(alice, "a");
    edit(alice, n, propertyRef("club"), Value("Officer"));
    ASSERT_TRUE(alice.history.undo());
    EXPECT_TRUE(alice.document.value(*alice.document.entity(n), propertyRef("club")).isNone());
    EXPECT_TRUE(alice.document.propertyNames(EntityKind::Node).empty());
}

TEST_F(UndoTest, ANewActionClearsRedo)
{
    const EntityId n = addNode(alice, "a");
    edit(alice, n, fieldRef(Field::Label), Value("b"));
    alice.history.undo();
    EXPECT_TRUE(alice.history.canRedo());
    edit(alice, n, fieldRef(Field::Label), Value("c"));
    EXPECT_FALSE(alice.history.canRedo());
    EXPECT_EQ(alice.history.undoText(), "Edit");
}

} // namespace

// A text longer than a transaction may carry (a pasted 70,000-byte comment) is refused at
// commit with a message, before anything changes: the document, the undo history and the
// next transaction's counters are as they were, and a normal edit goes through after it.
TEST_F(UndoTest, ATextTooLongToKeepIsRefusedAndChangesNothing)
{
    const EntityId id = addNode(alice, "short");
    const std::string hash = alice.document.canonicalHash();
    const std::uint32_t counter = alice.document.nextCounter();
    const std::string undoText = alice.history.undoText();

    TransactionBuilder t = alice.document.begin();
    alice.document.set(t, id, fieldRef(Field::Label), Value(std::string(70'000, 'x')));
    EXPECT_NE(t.oversize().find("70000 bytes"), std::string::npos) << t.oversize();
    try {
        alice.history.commit(t, "Paste");
        ADD_FAILURE() << "committed";
    } catch (const std::invalid_argument& e) {
        EXPECT_NE(std::string(e.what()).find("a document keeps"), std::string::npos) << e.what();
    }
    EXPECT_EQ(alice.document.canonicalHash(), hash);
    EXPECT_EQ(alice.document.nextCounter(), counter);
    EXPECT_EQ(alice.history.undoText(), undoText);

    TransactionBuilder names = alice.document.begin();
    alice.document.set(names, id, {Field::Property, std::string(300, 'n')}, Value(1.0));
    EXPECT_NE(names.oversize().find("property name of 300 bytes"), std::string::npos) << names.oversize();

    edit(alice, id, fieldRef(Field::Label), Value(std::string(64 * 1024, 'y')));
    EXPECT_EQ(labelOf(alice, id), std::string(64 * 1024, 'y'));
}
