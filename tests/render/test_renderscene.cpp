#include "pickgrid.h"
#include "renderscene.h"
#include "rendertestsupport.h"

#include <gtest/gtest.h>

using namespace constellate;
using namespace constellate::render;
using namespace constellate::render::test;

namespace {
std::uint32_t index(const RenderScene& s, EntityId id)
{
    const std::int64_t i = s.nodeIndex(id);
    EXPECT_GE(i, 0);
    return std::uint32_t(i);
}
} // namespace

TEST(RenderScene, HoldsVisibleNodesAndEdgesWithTheirLooks)
{
    GraphDocument doc(1, 1);
    const EntityId a = addNode(doc, {1, 2, 3}, 0xff000080, 2.5);
    const EntityId b = addNode(doc, {4, 5, 6});
    const EntityId gone = addNode(doc, {7, 8, 9});
    const EntityId ab = addEdge(doc, a, b, true, 0x00ff00ff);
    const EntityId toGone = addEdge(doc, a, gone);
    deleteEntity(doc, gone);

    RenderScene scene;
    scene.rebuild(doc);
    ASSERT_EQ(scene.nodes().size(), 2u);
    ASSERT_EQ(scene.edges().size(), 1u) << "an edge to a deleted node is not drawn";
    EXPECT_EQ(scene.nodeIndex(gone), -1);
    EXPECT_EQ(scene.edgeIndex(toGone), -1);

    const NodeInstance& na = scene.nodes()[index(scene, a)];
    EXPECT_EQ(na.position, glm::vec3(1, 2, 3));
    EXPECT_FLOAT_EQ(na.radius, 2.5f);
    EXPECT_EQ(na.color[0], 0xff);
    EXPECT_EQ(na.color[1], 0x00);
    EXPECT_EQ(na.color[3], 0x80);
    const NodeInstance& nb = scene.nodes()[index(scene, b)];
    EXPECT_FLOAT_EQ(nb.radius, GraphDocument::DefaultNodeSize);

    const EdgeInstance& e = scene.edges()[0];
    EXPECT_EQ(scene.edgeIds()[0], ab);
    EXPECT_EQ(e.source, glm::vec3(1, 2, 3));
    EXPECT_EQ(e.target, glm::vec3(4, 5, 6));
    EXPECT_EQ(e.flags, 1u);
    EXPECT_FLOAT_EQ(e.targetRadius, 1.0f);
    EXPECT_EQ(e.color[1], 0xff);

    const RenderScene::Changes c = scene.takeChanges();
    EXPECT_TRUE(c.nodesRebuilt);
    EXPECT_TRUE(c.edgesRebuilt);
    EXPECT_FALSE(scene.takeChanges().any()) << "changes are handed over once";
}

TEST(RenderScene, MovingANodeTouchesOnlyItAndItsEdges)
{
    GraphDocument doc(1, 1);
    std::vector<EntityId> nodes;
    for (int i = 0; i < 100; ++i)
        nodes.push_back(addNode(doc, {float(i), 0, 0}));
    std::vector<EntityId> edges;
    for (int i = 0; i + 1 < 100; ++i)
        edges.push_back(addEdge(doc, nodes[i], nodes[i + 1]));
    RenderScene scene;
    scene.rebuild(doc);
    scene.takeChanges();
    const std::uint64_t version = scene.version();

    moveNode(doc, nodes[50], {50, 10, 0});
    scene.updateNodes(doc, std::span(&nodes[50], 1));
    EXPECT_GT(scene.version(), version);
    EXPECT_EQ(scene.nodes()[index(scene, nodes[50])].position, glm::vec3(50, 10, 0));
    const EdgeInstance& in = scene.edges()[std::size_t(scene.edgeIndex(edges[49]))];
    const EdgeInstance& out = scene.edges()[std::size_t(scene.edgeIndex(edges[50]))];
    EXPECT_EQ(in.target, glm::vec3(50, 10, 0));
    EXPECT_EQ(out.source, glm::vec3(50, 10, 0));

    const RenderScene::Changes c = scene.takeChanges(0);
    EXPECT_FALSE(c.nodesRebuilt);
    EXPECT_FALSE(c.edgesRebuilt);
    ASSERT_EQ(c.nodeRanges.size(), 1u);
    EXPECT_EQ(c.nodeRanges[0], (InstanceRange {index(scene, nodes[50]), 1}));
    // Two edges, adjacent in id order: one range of two.
    ASSERT_EQ(c.edgeRanges.size(), 1u);
    EXPECT_EQ(c.edgeRanges[0].count, 2u);
}

TEST(RenderScene, ACopyForAnotherRendererIsAllChanged)
{
    GraphDocument doc(1, 1);
    const EntityId a = addNode(doc, {0, 0, 0});
    const EntityId b = addNode(doc, {1, 0, 0});
    addEdge(doc, a, b);
    RenderScene scene;
    scene.rebuild(doc);
    scene.takeChanges();
    moveNode(doc, b, {2, 0, 0});
    scene.updateNodes(doc, std::span(&b, 1));

    RenderScene copy = scene; // what the headset's renderer gets: it has uploaded nothing yet
    const std::uint64_t version = copy.version();
    copy.markAllChanged();
    EXPECT_GT(copy.version(), version);
    const RenderScene::Changes c = copy.takeChanges();
    EXPECT_TRUE(c.nodesRebuilt);
    EXPECT_TRUE(c.edgesRebuilt);
    EXPECT_TRUE(c.nodeRanges.empty());
    EXPECT_FALSE(copy.takeChanges().any());
    // The original keeps its own record.
    EXPECT_FALSE(scene.takeChanges(0).nodesRebuilt);
}

TEST(RenderScene, NearbyChangesMergeIntoOneRange)
{
    GraphDocument doc(1, 1);
    std::vector<EntityId> nodes;
    for (int i = 0; i < 50; ++i)
        nodes.push_back(addNode(doc, {float(i), 0, 0}));
    RenderScene scene;
    scene.rebuild(doc);
    scene.takeChanges();
    const std::vector<EntityId> moved {nodes[3], nodes[5], nodes[40], nodes[5]};
    for (const EntityId id : moved)
        moveNode(doc, id, {0, 1, 0});
    scene.updateNodes(doc, moved);
    const RenderScene::Changes c = scene.takeChanges(4);
    ASSERT_EQ(c.nodeRanges.size(), 2u);
    EXPECT_EQ(c.nodeRanges[0], (InstanceRange {index(scene, nodes[3]), 3}));
    EXPECT_EQ(c.nodeRanges[1], (InstanceRange {index(scene, nodes[40]), 1}));
}

TEST(RenderScene, AppearingAndDisappearingRebuild)
{
    GraphDocument doc(1, 1);
    const EntityId a = addNode(doc, {0, 0, 0});
    const EntityId b = addNode(doc, {1, 0, 0});
    const EntityId ab = addEdge(doc, a, b);
    RenderScene scene;
    scene.rebuild(doc);
    scene.takeChanges();

    deleteEntity(doc, b);
    scene.updateNodes(doc, std::span(&b, 1));
    EXPECT_EQ(scene.nodes().size(), 1u);
    EXPECT_EQ(scene.edges().size(), 0u) << "the edge went with its endpoint";
    EXPECT_TRUE(scene.takeChanges().nodesRebuilt);

    setField(doc, b, Field::Exists, Value(true));
    scene.updateNodes(doc, std::span(&b, 1));
    EXPECT_EQ(scene.nodes().size(), 2u);
    EXPECT_EQ(scene.edges().size(), 1u);

    const EntityId c = addNode(doc, {2, 0, 0});
    const EntityId bc = addEdge(doc, b, c, true);
    const EntityId created[] = {c};
    scene.updateNodes(doc, created);
    EXPECT_EQ(scene.nodes().size(), 3u);
    EXPECT_EQ(scene.edges().size(), 2u);
    EXPECT_GE(scene.edgeIndex(bc), 0);

    setField(doc, ab, Field::Color, Value::color(0x123456ff));
    scene.takeChanges();
    scene.updateEdges(doc, std::span(&ab, 1));
    const RenderScene::Changes ch = scene.takeChanges();
    EXPECT_FALSE(ch.edgesRebuilt);
    ASSERT_EQ(ch.edgeRanges.size(), 1u);
    EXPECT_EQ(scene.edges()[std::size_t(scene.edgeIndex(ab))].color[0], 0x12);
}

TEST(RenderScene, BoundsEncloseEveryNode)
{
    GraphDocument doc(1, 1);
    RenderScene scene;
    scene.rebuild(doc);
    EXPECT_EQ(scene.bounds().radius, 0.0f);
    addNode(doc, {-10, 0, 0}, 0xffffffff, 1.0);
    addNode(doc, {10, 0, 0}, 0xffffffff, 3.0);
    addNode(doc, {0, 5, 2}, 0xffffffff, 0.5);
    scene.rebuild(doc);
    const Sphere s = scene.bounds();
    for (const NodeInstance& n : scene.nodes())
        EXPECT_LE(glm::distance(s.center, n.position) + n.radius, s.radius + 1e-4f);
    EXPECT_LT(s.radius, 15.0f);
}

// The picking index follows the scene: after a move it answers at the new place.
TEST(RenderScene, PickingFollowsAMove)
{
    GraphDocument doc(1, 1);
    const EntityId a = addNode(doc, {0, 0, 0});
    addNode(doc, {10, 0, 0});
    RenderScene scene;
    scene.rebuild(doc);
    PickGrid grid;
    grid.update(scene);
    const Ray down {{0, 0, 50}, {0, 0, -1}};
    ASSERT_TRUE(grid.pick(down));
    EXPECT_EQ(scene.nodeIds()[grid.pick(down)->index], a);

    moveNode(doc, a, {0, 20, 0});
    scene.updateNodes(doc, std::span(&a, 1));
    grid.update(scene);
    EXPECT_FALSE(grid.pick(down));
    const auto hit = grid.pick({{0, 20, 50}, {0, 0, -1}});
    ASSERT_TRUE(hit);
    EXPECT_EQ(scene.nodeIds()[hit->index], a);
}

TEST(RenderScene, OverridesMoveNodesAndTheirEdgesUntilTheDocumentSpeaks)
{
    GraphDocument doc(1, 1);
    std::vector<EntityId> ids;
    for (int i = 0; i < 40; ++i)
        ids.push_back(addNode(doc, {float(i), 0, 0}));
    const EntityId ab = addEdge(doc, ids[3], ids[4]);
    const EntityId ca = addEdge(doc, ids[30], ids[3], true);
    RenderScene scene;
    scene.rebuild(doc);
    scene.takeChanges();
    const std::uint64_t version = scene.version();

    const std::vector<std::pair<EntityId, glm::vec3>> live {{ids[3], {3, 7, 0}}, {EntityId {9, 9}, {1, 1, 1}}};
    scene.overridePositions(live);
    EXPECT_GT(scene.version(), version);
    EXPECT_TRUE(scene.isOverridden(ids[3]));
    EXPECT_EQ(scene.overrideCount(), 1u) << "an id not drawn is ignored";
    EXPECT_EQ(scene.nodes()[index(scene, ids[3])].position, glm::vec3(3, 7, 0));
    const EdgeInstance& e1 = scene.edges()[std::size_t(scene.edgeIndex(ab))];
    const EdgeInstance& e2 = scene.edges()[std::size_t(scene.edgeIndex(ca))];
    EXPECT_EQ(e1.source, glm::vec3(3, 7, 0));
    EXPECT_EQ(e1.target, glm::vec3(4, 0, 0));
    EXPECT_EQ(e2.target, glm::vec3(3, 7, 0));
    EXPECT_EQ(doc.position(*doc.entity(ids[3])).y, 0.0) << "the document is untouched";

    RenderScene::Changes c = scene.takeChanges();
    EXPECT_FALSE(c.nodesRebuilt);
    EXPECT_EQ(c.nodeRanges, (std::vector<InstanceRange> {{index(scene, ids[3]), 1}}));
    ASSERT_FALSE(c.edgeRanges.empty());
    std::uint32_t edgeCount = 0;
    for (const InstanceRange& r : c.edgeRanges)
        edgeCount += r.count;
    EXPECT_EQ(edgeCount, 2u);

    // A recolour of the edge keeps the overridden end; the other end's move keeps it too.
    scene.updateEdges(doc, std::span(&ab, 1));
    EXPECT_EQ(scene.edges()[std::size_t(scene.edgeIndex(ab))].source, glm::vec3(3, 7, 0));
    scene.updateNodes(doc, std::span(&ids[4], 1));
    EXPECT_EQ(scene.edges()[std::size_t(scene.edgeIndex(ab))].source, glm::vec3(3, 7, 0));

    // The document's word for the node ends the override.
    scene.updateNodes(doc, std::span(&ids[3], 1));
    EXPECT_FALSE(scene.isOverridden(ids[3]));
    EXPECT_EQ(scene.nodes()[index(scene, ids[3])].position, glm::vec3(3, 0, 0));
    EXPECT_EQ(scene.edges()[std::size_t(scene.edgeIndex(ab))].source, glm::vec3(3, 0, 0));
    EXPECT_EQ(scene.edges()[std::size_t(scene.edgeIndex(ca))].target, glm::vec3(3, 0, 0));

    // clearOverrides puts every overridden node back.
    const std::vector<std::pair<EntityId, glm::vec3>> two {{ids[1], {0, 0, 9}}, {ids[2], {0, 0, 8}}};
    scene.overridePositions(two);
    scene.clearOverrides(doc);
    EXPECT_EQ(scene.overrideCount(), 0u);
    EXPECT_EQ(scene.nodes()[index(scene, ids[1])].position, glm::vec3(1, 0, 0));
    EXPECT_EQ(scene.nodes()[index(scene, ids[2])].position, glm::vec3(2, 0, 0));
}

TEST(RenderScene, BoundsOfASelection)
{
    GraphDocument doc(1, 1);
    const EntityId a = addNode(doc, {0, 0, 0}, GraphDocument::DefaultNodeColor, 1.0);
    const EntityId b = addNode(doc, {10, 0, 0}, GraphDocument::DefaultNodeColor, 1.0);
    const EntityId c = addNode(doc, {100, 0, 0}, GraphDocument::DefaultNodeColor, 1.0);
    const EntityId bc = addEdge(doc, b, c);
    RenderScene scene;
    scene.rebuild(doc);
    const std::vector<EntityId> two {a, b, EntityId {7, 7}};
    const Sphere s = scene.bounds(two);
    EXPECT_NEAR(s.center.x, 5.0f, 1e-4f);
    EXPECT_NEAR(s.radius, 6.0f, 1e-4f);
    const Sphere edge = scene.bounds(std::span(&bc, 1));
    EXPECT_NEAR(edge.center.x, 55.0f, 1e-4f) << "an edge: both of its ends";
    EXPECT_NEAR(edge.radius, 46.0f, 1e-4f);
    EXPECT_EQ(scene.bounds(std::span<const EntityId> {}).radius, 0.0f);
    (void)c;
}

TEST(RenderScene, KeepsEachNodesLabelUpToDate)
{
    GraphDocument doc(1, 1);
    const EntityId a = addNode(doc, { 0, 0, 0 });
    const EntityId b = addNode(doc, { 1, 0, 0 });
    setField(doc, b, Field::Label, Value("Bee"));
    RenderScene scene;
    scene.rebuild(doc);
    ASSERT_EQ(scene.nodeLabels().size(), 2u);
    EXPECT_EQ(scene.nodeLabels()[scene.nodeIndex(a)], "");
    EXPECT_EQ(scene.nodeLabels()[scene.nodeIndex(b)], "Bee");
    scene.takeChanges();
    setField(doc, a, Field::Label, Value("\xc3\x84h")); // "Äh"
    scene.updateNodes(doc, std::span(&a, 1));
    EXPECT_EQ(scene.nodeLabels()[scene.nodeIndex(a)], "\xc3\x84h");
    const RenderScene::Changes changes = scene.takeChanges();
    EXPECT_EQ(changes.nodeRanges, (std::vector<InstanceRange> { { std::uint32_t(scene.nodeIndex(a)), 1 } }))
        << "a renamed node is a changed instance, so the renderer's copy follows";
}
