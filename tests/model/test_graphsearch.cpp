// GraphSearch: the query language of the editor's search field, on a real document.

#include "documentio.h"
#include "graphdocument.h"
#include "graphsearch.h"

#include <gtest/gtest.h>

#include <algorithm>

using namespace constellate;

namespace {

FieldValue field(Field f, Value v)
{
    return {{f, {}}, std::move(v)};
}

FieldValue property(std::string name, Value v)
{
    return {{Field::Property, std::move(name)}, std::move(v)};
}

class GraphSearchTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        TransactionBuilder t = doc.begin();
        paris = t.createNode({field(Field::Label, "Paris"), property("country", "France"),
                              property("population", std::int64_t(2'100'000)), field(Field::Size, 3.0)});
        lyon = t.createNode({field(Field::Label, "Lyon"), property("country", "France"),
                             property("population", std::int64_t(520'000)), field(Field::Size, 1.5)});
        rome = t.createNode({field(Field::Label, "Rome"), property("country", "Italy"), property("capital", true)});
        nameless = t.createNode();
        road = t.createEdge(paris, lyon, false, {field(Field::Label, "A6 motorway"), field(Field::Weight, 4.5)});
        rail = t.createEdge(paris, rome, true, {field(Field::Weight, 1.0)});
        note = t.createAnnotation(rome, AnnotationKind::Comment, {field(Field::Text, "Visit the Colosseum")});
        doc.commit(t);
    }

    std::vector<EntityId> find(std::string_view query)
    {
        GraphSearch s;
        EXPECT_TRUE(s.parse(query)) << query << ": " << s.error();
        return s.run(doc);
    }

    static std::vector<EntityId> sorted(std::vector<EntityId> v)
    {
        std::sort(v.begin(), v.end());
        return v;
    }

    GraphDocument doc {0x51, 7};
    EntityId paris, lyon, rome, nameless, road, rail, note;
};

TEST_F(GraphSearchTest, PlainTextMatchesLabelsPropertiesAndAnnotationsIgnoringCase)
{
    EXPECT_EQ(find("paris"), sorted({paris}));
    EXPECT_EQ(find("FRANCE"), sorted({paris, lyon}));          // a string property
    EXPECT_EQ(find("motor"), sorted({road}));                   // an edge's label
    EXPECT_EQ(find("colosseum"), sorted({rome}));               // a comment on Rome
    EXPECT_EQ(find("o"), sorted({lyon, rome, road}));           // Lyon, Rome, motorway: not Paris, France
}

TEST_F(GraphSearchTest, TermsAreAndedAndCanBeNegatedOrQuoted)
{
    EXPECT_EQ(find("france -paris"), sorted({lyon}));
    EXPECT_EQ(find("\"a6 motorway\""), sorted({road}));
    EXPECT_EQ(find("\"a6  motorway\""), std::vector<EntityId> {}); // the spaces are part of the term
    EXPECT_EQ(find("france lyon"), sorted({lyon}));
}

TEST_F(GraphSearchTest, NamedPropertiesContainEqualAndCompare)
{
    EXPECT_EQ(find("country:fra"), sorted({paris, lyon}));
    EXPECT_EQ(find("country=france"), sorted({paris, lyon}));
    EXPECT_EQ(find("country=fra"), std::vector<EntityId> {});
    EXPECT_EQ(find("population>1000000"), sorted({paris}));
    EXPECT_EQ(find("population<=520000"), sorted({lyon}));
    EXPECT_EQ(find("population=520000"), sorted({lyon}));
    EXPECT_EQ(find("weight>=4.5"), sorted({road}));
    EXPECT_EQ(find("size>2"), sorted({paris}));
    EXPECT_EQ(find("label:ome"), sorted({rome}));
    EXPECT_EQ(find("has:capital"), sorted({rome}));
    EXPECT_EQ(find("-has:country"), sorted({nameless, road, rail}));
    EXPECT_EQ(find("capital=true"), sorted({rome}));
    // Property names are case-sensitive, as in every file format.
    EXPECT_EQ(find("Country:fra"), std::vector<EntityId> {});
}

TEST_F(GraphSearchTest, DeletedEntitiesAreNotFound)
{
    TransactionBuilder t = doc.begin();
    doc.set(t, lyon, {Field::Exists, {}}, Value(false));
    doc.commit(t);
    EXPECT_EQ(find("france"), sorted({paris}));
    EXPECT_EQ(find("motorway"), std::vector<EntityId> {}); // the road hung on Lyon
}

TEST_F(GraphSearchTest, MalformedQueriesSayWhyAndEmptyMatchesNothing)
{
    GraphSearch s;
    EXPECT_FALSE(s.parse("\"open"));
    EXPECT_NE(s.error().find("quote"), std::string::npos);
    EXPECT_FALSE(s.parse("weight>heavy"));
    EXPECT_NE(s.error().find("not a number"), std::string::npos);
    EXPECT_FALSE(s.parse("size<"));
    EXPECT_FALSE(s.parse("has:"));
    EXPECT_TRUE(s.parse("   "));
    EXPECT_TRUE(s.isEmpty());
    EXPECT_TRUE(s.run(doc).empty());
}

TEST(GraphSearchFiles, FindsNodesOfARealGraphByProperty)
{
    // karate.graphml (networkx): each node has a "club" of "Mr. Hi" or "Officer".
    GraphDocument doc(0x52, 1);
    importGraphFile(doc, CONSTELLATE_TEST_GRAPHS "/karate.graphml");
    GraphSearch s;
    ASSERT_TRUE(s.parse("club=\"Mr. Hi\""));
    const std::size_t hi = s.run(doc).size();
    ASSERT_TRUE(s.parse("club=officer"));
    const std::size_t officer = s.run(doc).size();
    EXPECT_EQ(hi, 17u);
    EXPECT_EQ(officer, 17u);
}

} // namespace
