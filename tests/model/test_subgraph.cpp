// Subgraphs for the clipboard: what a copy takes, its private encoding (versioned and
// validated), JSON node-link for other tools, and a paste as new entities.

#include "subgraph.h"
#include "documentio.h"

#include <gtest/gtest.h>

#include <random>

using namespace constellate;

namespace {

FieldRef ref(Field f)
{
    return {f, {}};
}
FieldRef prop(std::string name)
{
    return {Field::Property, std::move(name)};
}

class SubgraphTest : public ::testing::Test {
protected:
    SubgraphTest()
    {
        TransactionBuilder t = doc.begin();
        a = t.createNode({{ref(Field::Label), Value("a")}, {ref(Field::Position), Value(Vec3 {0, 0, 0})},
                          {ref(Field::Color), Value::color(0xff0000ffu)}, {ref(Field::Size), Value(2.5)},
                          {prop("club"), Value(std::int64_t(7))}, {prop("vip"), Value(true)}});
        b = t.createNode({{ref(Field::Label), Value("b")}, {ref(Field::Position), Value(Vec3 {4, 2, 0})}});
        c = t.createNode({{ref(Field::Label), Value("c")}, {ref(Field::Position), Value(Vec3 {9, 9, 9})}});
        d = t.createNode({{ref(Field::Label), Value("d")}});
        ab = t.createEdge(a, b, true, {{ref(Field::Weight), Value(3.5)}, {ref(Field::Label), Value("knows")},
                                       {ref(Field::Color), Value::color(0x00ff00ffu)}, {prop("since"), Value(1999.5)}});
        loop = t.createEdge(a, a, false);
        bc = t.createEdge(b, c, false);
        onA = t.createAnnotation(a, AnnotationKind::Comment, {{ref(Field::Text), Value("look here")}});
        onAb = t.createAnnotation(ab, AnnotationKind::Highlight, {{ref(Field::Color), Value::color(0xffff00ffu)}});
        t.createAnnotation(c, AnnotationKind::Tag, {{ref(Field::Text), Value("not copied")}});
        doc.commit(t);
        TransactionBuilder del = doc.begin();
        doc.set(del, d, ref(Field::Exists), Value(false));
        doc.commit(del);
    }

    GraphDocument doc {0x10, 1};
    EntityId a, b, c, d, ab, loop, bc, onA, onAb;
};

TEST_F(SubgraphTest, ACopyTakesTheNodesTheEdgesAmongThemAndTheirAnnotationsWithEveryField)
{
    // A deleted node and an edge to a node not selected are left out.
    const Subgraph s = Subgraph::copy(doc, {b, a, d, bc, a});
    EXPECT_EQ(s.nodeCount(), 2u);
    EXPECT_EQ(s.edgeCount(), 2u);       // a->b and the loop on a
    EXPECT_EQ(s.annotationCount(), 2u); // the comment on a, the highlight on a->b
    EXPECT_TRUE(s.cameFrom(doc));
    EXPECT_EQ(s.center(), (Vec3 {2, 1, 0}));
    EXPECT_NEAR(s.radius(), std::sqrt(5.0f), 1e-5f);
    EXPECT_FLOAT_EQ(s.largestNodeSize(), 2.5f);

    // Everything of a and a->b came along.
    GraphData data = exportGraphData(s.graph());
    ASSERT_EQ(data.nodes.size(), 2u);
    EXPECT_EQ(data.nodes[0].label, "a");
    EXPECT_EQ(data.nodes[0].color, 0xff0000ffu);
    EXPECT_EQ(data.nodes[0].size, 2.5f);
    EXPECT_EQ(data.nodes[0].properties,
              (std::vector<GraphData::Property> {{"club", Value(std::int64_t(7))}, {"vip", Value(true)}}));
    EXPECT_EQ(data.nodes[1].position, (Vec3 {4, 2, 0}));
    ASSERT_EQ(data.edges.size(), 2u);
    const GraphData::Edge& knows = data.edges[0];
    EXPECT_TRUE(knows.directed);
    EXPECT_EQ(knows.weight, 3.5);
    EXPECT_EQ(knows.label, "knows");
    EXPECT_EQ(knows.color, 0x00ff00ffu);
    EXPECT_EQ(knows.properties, (std::vector<GraphData::Property> {{"since", Value(1999.5)}}));

    // Nothing selected that is a node: an empty subgraph.
    EXPECT_TRUE(Subgraph::copy(doc, {ab, onA, d}).isEmpty());
}

TEST_F(SubgraphTest, ThePrivateEncodingGoesBothWaysExactly)
{
    const Subgraph s = Subgraph::copy(doc, {a, b, c});
    const std::string bytes = s.encode();
    ASSERT_TRUE(bytes.starts_with(Subgraph::Magic));
    std::string error;
    const std::optional<Subgraph> back = Subgraph::decode(bytes, &error);
    ASSERT_TRUE(back) << error;
    EXPECT_EQ(back->graph().canonicalHash(), s.graph().canonicalHash());
    EXPECT_TRUE(back->cameFrom(doc));
    EXPECT_EQ(back->encode(), bytes);
    GraphDocument elsewhere(0x20, 2);
    EXPECT_FALSE(back->cameFrom(elsewhere));
}

TEST_F(SubgraphTest, APasteMakesNewEntitiesMovedByTheOffsetWithEdgesAndAnnotationsFollowing)
{
    const Subgraph s = Subgraph::copy(doc, {a, b});
    GraphDocument target(0x20, 2);
    TransactionBuilder t = target.begin();
    const std::vector<EntityId> pasted = s.paste(t, Vec3 {10, 0, -1});
    ASSERT_EQ(pasted.size(), 2u);
    EXPECT_EQ(t.opCount(), 2u + 2u + 2u); // one transaction: nodes, edges, annotations
    target.commit(t);
    for (const EntityId id : pasted)
        EXPECT_EQ(id.replica, 0x20u); // new ids, made by the target's replica
    EXPECT_EQ(target.position(*target.entity(pasted[0])), (Vec3 {10, 0, -1}));
    EXPECT_EQ(target.position(*target.entity(pasted[1])), (Vec3 {14, 2, -1}));
    EXPECT_EQ(target.label(*target.entity(pasted[0])), "a");
    std::vector<const GraphDocument::Entity*> edges;
    target.forEach(EntityKind::Edge, [&](const GraphDocument::Entity& e) { edges.push_back(&e); }, true);
    ASSERT_EQ(edges.size(), 2u);
    EXPECT_EQ(edges[0]->a, pasted[0]);
    EXPECT_EQ(edges[0]->b, pasted[1]);
    EXPECT_EQ(target.weight(*edges[0]), 3.5);
    std::vector<const GraphDocument::Entity*> notes;
    target.forEach(EntityKind::Annotation, [&](const GraphDocument::Entity& e) { notes.push_back(&e); }, true);
    ASSERT_EQ(notes.size(), 2u);
    EXPECT_EQ(notes[0]->a, pasted[0]);
    EXPECT_EQ(target.text(*notes[0]), "look here");
    EXPECT_EQ(notes[1]->a, edges[0]->id);
    EXPECT_EQ(target.annotationKind(*notes[1]), AnnotationKind::Highlight);

    // Pasted again into the document it came from: new ids there too, originals untouched.
    const std::string before = doc.canonicalHash();
    TransactionBuilder again = doc.begin();
    const std::vector<EntityId> second = s.paste(again, Vec3 {});
    doc.commit(again);
    EXPECT_NE(second[0], a);
    EXPECT_EQ(doc.count(EntityKind::Node), 3u + 2u);
    EXPECT_TRUE(doc.isVisible(a));
}

TEST_F(SubgraphTest, MalformedBytesAreRefusedWithAReason)
{
    const std::string good = Subgraph::copy(doc, {a, b}).encode();
    auto refused = [](std::string_view bytes) {
        std::string error;
        const bool ok = Subgraph::decode(bytes, &error).has_value();
        EXPECT_FALSE(ok);
        EXPECT_FALSE(error.empty());
        return error;
    };
    EXPECT_EQ(refused("a b c"), "not a Constellate subgraph");
    std::string later = good;
    later[Subgraph::Magic.size()] = char(Subgraph::FormatVersion + 1);
    EXPECT_NE(refused(later).find("format version 2"), std::string::npos);
    EXPECT_NE(refused(Subgraph().encode()).find("no node"), std::string::npos);
    // Every cut short of the whole is refused (none crashes; the sanitizer run watches).
    for (std::size_t n = 0; n < good.size(); ++n)
        refused(std::string_view(good).substr(0, n));
    // Flipped bytes: refused, or read as some other valid subgraph; never a crash.
    std::mt19937 rng(7);
    for (int i = 0; i < 3000; ++i) {
        std::string bad = good;
        bad[Subgraph::Magic.size() + rng() % (bad.size() - Subgraph::Magic.size())] ^= char(1 + rng() % 255);
        std::string error;
        if (auto s = Subgraph::decode(bad, &error)) {
            GraphDocument target(0x30, 3);
            TransactionBuilder t = target.begin();
            s->paste(t, Vec3 {});
            target.commit(t);
        } else {
            EXPECT_FALSE(error.empty());
        }
    }
    // A label longer than a transaction may carry (64 KiB) is refused here, not by the
    // server later. A document never holds one (its transactions cannot carry it), so the
    // bytes are made by hand: a 100-byte label's length and text swapped for 70,000 bytes.
    TransactionBuilder t = doc.begin();
    doc.set(t, a, ref(Field::Label), Value(std::string(100, 'x')));
    doc.commit(t);
    std::string bytes = Subgraph::copy(doc, {a}).encode();
    const std::string shortLabel = "\x64" + std::string(100, 'x');
    const auto at = bytes.find(shortLabel);
    ASSERT_NE(at, std::string::npos);
    bytes.replace(at, shortLabel.size(), "\xf0\xa2\x04" + std::string(70'000, 'x')); // varint 70000
    EXPECT_NE(refused(bytes).find("a text of more than 65536 bytes, more than an edit can carry"), std::string::npos);
}

TEST_F(SubgraphTest, JsonNodeLinkForOtherToolsAndFromThem)
{
    const Subgraph s = Subgraph::copy(doc, {a, b});
    const std::string json = s.toNodeLink();
    EXPECT_NE(json.find("\"links\""), std::string::npos);
    EXPECT_NE(json.find("\"knows\""), std::string::npos);
    std::string error;
    const std::optional<Subgraph> back = Subgraph::fromNodeLink(json, &error);
    ASSERT_TRUE(back) << error;
    const GraphData read = exportGraphData(back->graph()), written = exportGraphData(s.graph());
    EXPECT_EQ(read.nodes, written.nodes);
    EXPECT_EQ(read.edges, written.edges);
    EXPECT_EQ(back->annotationCount(), 0u); // JSON node-link has no annotations
    EXPECT_FALSE(back->cameFrom(doc));

    // What another tool copies: d3's shape, no positions.
    const auto d3 = Subgraph::fromNodeLink(R"({"nodes": [{"id": "x"}, {"id": "y"}], "links": [{"source": "x", "target": "y"}]})", &error);
    ASSERT_TRUE(d3) << error;
    EXPECT_EQ(d3->nodeCount(), 2u);
    EXPECT_EQ(d3->edgeCount(), 1u);

    EXPECT_FALSE(Subgraph::fromNodeLink("{\"nodes\": [", &error));
    EXPECT_NE(error.find("the clipboard:1:"), std::string::npos) << error;
    EXPECT_FALSE(Subgraph::fromNodeLink(R"({"nodes": [], "links": []})", &error));
    EXPECT_EQ(error, "the clipboard's graph has no node");
    // Nothing a transaction could not carry: refused whole, not cut short.
    EXPECT_FALSE(Subgraph::fromNodeLink(R"({"nodes": [{"id": "a"}, {"id": "b", "label": ")" + std::string(70'000, 'y')
                                            + R"("}], "links": []})",
                                        &error));
    EXPECT_EQ(error, "the clipboard's graph holds a text of more than 65536 bytes, more than an edit can carry");
}

} // namespace
