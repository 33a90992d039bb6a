#include "highlights.h"
#include "rendertestsupport.h"

#include <gtest/gtest.h>

using namespace constellate;
using namespace constellate::render;
using namespace constellate::render::test;

namespace {
Rgba colourOf(const std::uint8_t c[4])
{
    return (Rgba(c[0]) << 24) | (Rgba(c[1]) << 16) | (Rgba(c[2]) << 8) | Rgba(c[3]);
}
} // namespace

TEST(Highlights, RingsAreConcentricInLocalHoverRemoteOrder)
{
    GraphDocument doc(1, 1);
    const EntityId a = addNode(doc, {1, 2, 3}, 0xff0000ff, 2.0);
    const EntityId b = addNode(doc, {4, 5, 6});
    const EntityId gone = addNode(doc, {0, 0, 0});
    deleteEntity(doc, gone);
    RenderScene scene;
    scene.rebuild(doc);

    Highlights h;
    h.selected = {a, a, gone}; // a repeated id, and one not drawn
    h.hoveredNode = a;
    h.remote = {{0x00ff00ff, {b, a}}, {0x0000ffff, {a}}};
    const HighlightInstances out = highlightInstances(scene, h);
    ASSERT_EQ(out.rings.size(), 5u);
    EXPECT_TRUE(out.edges.empty());
    // a: selected (0), hovered (1), green (2), blue (3); b: green (0).
    std::vector<std::pair<Rgba, float>> ofA;
    for (const RingInstance& r : out.rings) {
        if (r.center == glm::vec3(1, 2, 3)) {
            EXPECT_FLOAT_EQ(r.radius, 2.0f);
            ofA.emplace_back(colourOf(r.color), r.ring);
        } else {
            EXPECT_EQ(r.center, glm::vec3(4, 5, 6));
            EXPECT_EQ(colourOf(r.color), 0x00ff00ffu);
            EXPECT_EQ(r.ring, 0.0f);
        }
    }
    const std::vector<std::pair<Rgba, float>> expected {
        {h.selectedColor, 0.0f}, {h.hoveredColor, 1.0f}, {0x00ff00ffu, 2.0f}, {0x0000ffffu, 3.0f}};
    EXPECT_EQ(ofA, expected);
}

TEST(Highlights, AnEdgeTakesTheFirstHighlightsColour)
{
    GraphDocument doc(1, 1);
    const EntityId a = addNode(doc, {0, 0, 0});
    const EntityId b = addNode(doc, {1, 0, 0});
    const EntityId c = addNode(doc, {2, 0, 0});
    const EntityId ab = addEdge(doc, a, b, true);
    const EntityId bc = addEdge(doc, b, c);
    RenderScene scene;
    scene.rebuild(doc);
    Highlights h;
    h.hoveredEdge = ab;
    h.remote = {{0x123456ff, {ab, bc}}};
    const HighlightInstances out = highlightInstances(scene, h);
    ASSERT_EQ(out.edges.size(), 2u);
    EXPECT_TRUE(out.rings.empty());
    EXPECT_EQ(colourOf(out.edges[0].color), h.hoveredColor);
    EXPECT_EQ(out.edges[0].flags, 1u) << "still directed";
    EXPECT_EQ(out.edges[0].target, glm::vec3(1, 0, 0));
    EXPECT_EQ(colourOf(out.edges[1].color), 0x123456ffu);
    EXPECT_TRUE(highlightInstances(scene, {}).rings.empty());
    EXPECT_TRUE(Highlights {}.empty());
}
