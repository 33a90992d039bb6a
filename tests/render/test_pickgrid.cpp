#include "camera.h"
#include "pickgrid.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

using namespace constellate::render;

namespace {
NodeInstance node(glm::vec3 p, float r)
{
    NodeInstance n {};
    n.position = p;
    n.radius = r;
    return n;
}
} // namespace

TEST(PickGrid, EmptyPicksNothing)
{
    PickGrid grid;
    grid.build({});
    EXPECT_FALSE(grid.pick({{0, 0, 10}, {0, 0, -1}}));
}

TEST(PickGrid, PicksTheNearestOfSpheresInLine)
{
    const std::vector<NodeInstance> nodes {node({0, 0, 0}, 1), node({0, 0, 5}, 1), node({0, 0, -5}, 1),
                                           node({10, 0, 0}, 1)};
    PickGrid grid;
    grid.build(nodes);
    const auto hit = grid.pick({{0, 0, 20}, {0, 0, -1}});
    ASSERT_TRUE(hit);
    EXPECT_EQ(hit->index, 1u);
    EXPECT_NEAR(hit->distance, 14.0f, 1e-4f);
    // From the other side, the other end.
    const auto back = grid.pick({{0, 0, -20}, {0, 0, 1}});
    ASSERT_TRUE(back);
    EXPECT_EQ(back->index, 2u);
    // Just past a sphere's edge: a miss.
    EXPECT_FALSE(grid.pick({{1.01f, 0, 20}, {0, 0, -1}}));
    // Pointing away: a miss.
    EXPECT_FALSE(grid.pick({{0, 0, 20}, {0, 0, 1}}));
}

TEST(PickGrid, ALargeSphereSpanningManyCellsIsFound)
{
    std::vector<NodeInstance> nodes;
    for (int i = 0; i < 1000; ++i)
        nodes.push_back(node({float(i % 10) * 10.0f, float(i / 10 % 10) * 10.0f, float(i / 100) * 10.0f}, 0.5f));
    nodes.push_back(node({45, 45, 45}, 30.0f)); // covers most of the grid
    PickGrid grid;
    grid.build(nodes);
    const auto hit = grid.pick({{45, 45, 200}, {0, 0, -1}});
    ASSERT_TRUE(hit);
    EXPECT_EQ(hit->index, 1000u);
    EXPECT_NEAR(hit->distance, 200.0f - 75.0f, 1e-3f);
}

// The grid answers exactly as testing every sphere does, for random scenes and rays
// (from outside the grid, from inside it, along axes).
TEST(PickGrid, AgreesWithTheLinearScan)
{
    std::mt19937 rng(12345);
    std::uniform_real_distribution<float> pos(-50.0f, 50.0f);
    std::uniform_real_distribution<float> rad(0.2f, 3.0f);
    std::normal_distribution<float> dir(0.0f, 1.0f);
    for (const int count : {1, 10, 500, 5000}) {
        std::vector<NodeInstance> nodes;
        for (int i = 0; i < count; ++i)
            nodes.push_back(node({pos(rng), pos(rng), pos(rng) * 0.2f}, rad(rng))); // a flat-ish slab
        PickGrid grid;
        grid.build(nodes);
        int hits = 0;
        for (int i = 0; i < 2000; ++i) {
            Ray ray;
            ray.origin = i % 3 == 0 ? glm::vec3(pos(rng), pos(rng), pos(rng)) : glm::vec3(pos(rng), pos(rng), 120.0f);
            if (i % 3 == 0)
                ray.direction = glm::normalize(glm::vec3(dir(rng), dir(rng), dir(rng)));
            else if (i % 3 == 1)
                ray.direction = {0, 0, -1};
            else
                ray.direction = glm::normalize(glm::vec3(0.3f * dir(rng), 0.3f * dir(rng), -1.0f));
            const auto a = grid.pick(ray);
            const auto b = PickGrid::pickLinear(nodes, ray);
            ASSERT_EQ(bool(a), bool(b)) << "count " << count << " ray " << i;
            if (a) {
                ++hits;
                EXPECT_NEAR(a->distance, b->distance, 1e-3f);
                if (a->index != b->index) { // only a tie may pick another sphere
                    EXPECT_NEAR(a->distance, b->distance, 1e-4f);
                }
            }
        }
        if (count >= 500) {
            EXPECT_GT(hits, 100) << "the test should hit something";
        }
    }
}

TEST(PickGrid, PicksWhatTheCameraShowsUnderTheCursor)
{
    std::vector<NodeInstance> nodes;
    for (int i = 0; i < 100; ++i)
        nodes.push_back(node({float(i % 10) * 4.0f, float(i / 10) * 4.0f, 0.0f}, 1.0f));
    PickGrid grid;
    grid.build(nodes);
    Camera camera;
    camera.frame({{18, 18, 0}, 30}, 1.0f);
    camera.orbit(0.3f, 0.2f);
    const View v = camera.view(1.0f);
    const glm::vec2 viewport {500, 500};
    for (const std::uint32_t i : {0u, 37u, 99u}) {
        const glm::vec3 px = v.project(nodes[i].position, viewport);
        const auto hit = grid.pick(v.rayThroughPixel(glm::vec2(px), viewport));
        ASSERT_TRUE(hit);
        EXPECT_EQ(hit->index, i);
    }
}

// Box selection: the centres that project into the rectangle, and only those in front.
TEST(NodesInRect, MatchesProjectingEveryCentre)
{
    std::mt19937 rng(7);
    std::uniform_real_distribution<float> pos(-30.0f, 30.0f);
    std::vector<NodeInstance> nodes;
    for (int i = 0; i < 3000; ++i)
        nodes.push_back(node({pos(rng), pos(rng), pos(rng)}, 0.5f));
    Camera camera;
    camera.setDistance(25); // the eye is inside the cloud: some nodes are behind it
    camera.setSceneRadius(40);
    camera.orbit(0.5f, 0.2f);
    constexpr glm::vec2 Viewport {640, 480};
    const View view = camera.view(Viewport.x / Viewport.y);
    const PixelRect rect {{500, 400}, {120, 90}}; // dragged up and left
    const std::vector<std::uint32_t> inside = nodesInRect(nodes, view, Viewport, rect);
    std::vector<std::uint32_t> expected;
    const glm::vec3 eye = view.eyePosition();
    const glm::vec3 forward = camera.target() - eye;
    int behindButInRect = 0;
    for (std::uint32_t i = 0; i < nodes.size(); ++i) {
        const glm::vec3 p = view.project(nodes[i].position, Viewport);
        const bool inRect = p.x >= 120 && p.x <= 500 && p.y >= 90 && p.y <= 400;
        const bool inFront = glm::dot(nodes[i].position - eye, forward) > 0.0f;
        if (inRect && !inFront)
            ++behindButInRect;
        if (inRect && inFront && p.z >= -1.0f && p.z <= 1.0f)
            expected.push_back(i);
    }
    EXPECT_EQ(inside, expected);
    EXPECT_GT(expected.size(), 100u);
    EXPECT_GT(behindButInRect, 0) << "the test must have nodes behind the eye that project into the rectangle";
    EXPECT_TRUE(nodesInRect(nodes, view, Viewport, {{10, 10}, {10, 10}}).size() <= 1u);
}
