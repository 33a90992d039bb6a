#include "camera.h"
#include "edgepicktree.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

using namespace constellate::render;

namespace {
EdgeInstance edge(glm::vec3 a, glm::vec3 b)
{
    EdgeInstance e {};
    e.source = a;
    e.target = b;
    return e;
}
} // namespace

TEST(EdgePickTree, EmptyPicksNothing)
{
    EdgePickTree tree;
    tree.build({});
    EXPECT_FALSE(tree.pick({{0, 0, 10}, {0, 0, -1}}, {0.5f, 0.0f}));
    EXPECT_EQ(tree.boxCount(), 0u);
}

TEST(EdgePickTree, PicksTheEdgeNearestTheRayWithinTolerance)
{
    const std::vector<EdgeInstance> edges {edge({-5, 0, 0}, {5, 0, 0}), edge({-5, 0.3f, -2}, {5, 0.3f, -2}),
                                           edge({0, -5, 1}, {0, 5, 1})};
    EdgePickTree tree;
    tree.build(edges);
    // Straight down at x = 2, y = 0.1: edge 0 is 0.1 away, edge 1 0.2, edge 2 far.
    const auto hit = tree.pick({{2, 0.1f, 10}, {0, 0, -1}}, {0.25f, 0.0f});
    ASSERT_TRUE(hit);
    EXPECT_EQ(hit->index, 0u);
    EXPECT_NEAR(hit->offset, 0.1f, 1e-5f);
    EXPECT_NEAR(hit->distance, 10.0f, 1e-4f);
    EXPECT_NEAR(hit->along, 0.7f, 1e-5f);
    // Nearer to edge 1 than to edge 0.
    const auto second = tree.pick({{2, 0.25f, 10}, {0, 0, -1}}, {0.25f, 0.0f});
    ASSERT_TRUE(second);
    EXPECT_EQ(second->index, 1u);
    // Too far from all of them, and past an edge's end.
    EXPECT_FALSE(tree.pick({{2, 1.0f, 10}, {0, 0, -1}}, {0.25f, 0.0f}));
    EXPECT_FALSE(tree.pick({{5.5f, 0, 10}, {0, 0, -1}}, {0.25f, 0.0f}));
    // Pointing away: nothing (the ray starts at its origin).
    EXPECT_FALSE(tree.pick({{2, 0.1f, 10}, {0, 0, 1}}, {0.25f, 0.0f}));
    // A ray along an edge picks it.
    const auto along = tree.pick({{-10, 0, 0}, {1, 0, 0}}, {0.01f, 0.0f});
    ASSERT_TRUE(along);
    EXPECT_EQ(along->index, 0u);
}

TEST(EdgePickTree, PixelToleranceFromTheView)
{
    Camera camera;
    camera.setDistance(20);
    constexpr glm::vec2 Viewport {400, 300};
    const View view = camera.view(Viewport.x / Viewport.y);
    const std::vector<EdgeInstance> edges {edge({-5, 0, 0}, {5, 0, 0})};
    EdgePickTree tree;
    tree.build(edges);
    const glm::vec2 onLine = glm::vec2(view.project({1, 0, 0}, Viewport));
    EXPECT_TRUE(tree.pick(view, onLine, Viewport, 4.0f));
    EXPECT_TRUE(tree.pick(view, onLine + glm::vec2(0, 3.5f), Viewport, 4.0f)) << "3.5 pixels off: within 4";
    EXPECT_FALSE(tree.pick(view, onLine + glm::vec2(0, 4.5f), Viewport, 4.0f)) << "4.5 pixels off: not";
    // The same number of pixels at twice the distance.
    camera.setDistance(40);
    const View far = camera.view(Viewport.x / Viewport.y);
    const glm::vec2 farLine = glm::vec2(far.project({1, 0, 0}, Viewport));
    EXPECT_TRUE(tree.pick(far, farLine + glm::vec2(0, 3.5f), Viewport, 4.0f));
    EXPECT_FALSE(tree.pick(far, farLine + glm::vec2(0, 4.5f), Viewport, 4.0f));
}

TEST(EdgePickTree, UpdatesFromTheSceneOnlyWhenItChanged)
{
    EdgePickTree tree;
    RenderScene scene;
    tree.update(scene);
    EXPECT_FALSE(tree.pick({{0, 0, 10}, {0, 0, -1}}, {1.0f, 0.0f}));
}

// The tree answers exactly as testing every edge does, for random scenes (short and long
// edges) and rays, with constant and cone tolerances.
TEST(EdgePickTree, AgreesWithTheLinearScan)
{
    std::mt19937 rng(2024);
    std::uniform_real_distribution<float> pos(-50.0f, 50.0f);
    std::uniform_real_distribution<float> unit(0.0f, 1.0f);
    std::normal_distribution<float> dir(0.0f, 1.0f);
    for (const int count : {1, 10, 300, 5000}) {
        std::vector<EdgeInstance> edges;
        for (int i = 0; i < count; ++i) {
            const glm::vec3 a {pos(rng), pos(rng), pos(rng) * 0.3f};
            // Mostly short edges, some spanning the scene.
            const glm::vec3 b = unit(rng) < 0.9f ? a + glm::vec3(dir(rng), dir(rng), dir(rng)) * 4.0f
                                                 : glm::vec3(pos(rng), pos(rng), pos(rng));
            edges.push_back(edge(a, b));
        }
        EdgePickTree tree;
        tree.build(edges);
        int hits = 0;
        for (int i = 0; i < 1500; ++i) {
            Ray ray;
            ray.origin = i % 3 == 0 ? glm::vec3(pos(rng), pos(rng), pos(rng)) : glm::vec3(pos(rng), pos(rng), 120.0f);
            ray.direction = i % 3 == 0 ? glm::normalize(glm::vec3(dir(rng), dir(rng), dir(rng)))
                                       : glm::normalize(glm::vec3(dir(rng) * 0.2f, dir(rng) * 0.2f, -1.0f));
            const PickTolerance tolerance = i % 2 == 0 ? PickTolerance {0.3f, 0.0f} : PickTolerance {0.01f, 0.004f};
            const auto expected = EdgePickTree::pickLinear(edges, ray, tolerance);
            const auto got = tree.pick(ray, tolerance);
            ASSERT_EQ(bool(expected), bool(got)) << "count " << count << " ray " << i;
            if (expected) {
                ++hits;
                EXPECT_EQ(got->index, expected->index);
                EXPECT_EQ(got->distance, expected->distance);
            }
        }
        if (count >= 300) {
            EXPECT_GT(hits, 30) << "the test must exercise hits";
        }
    }
}
