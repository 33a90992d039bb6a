#include "camera.h"

#include <glm/gtc/constants.hpp>
#include <gtest/gtest.h>

#include <cmath>

using namespace constellate::render;

namespace {
constexpr glm::vec2 Viewport {800.0f, 600.0f};
constexpr float Aspect = 800.0f / 600.0f;

void expectNear(glm::vec3 a, glm::vec3 b, float eps = 1e-3f)
{
    EXPECT_NEAR(a.x, b.x, eps);
    EXPECT_NEAR(a.y, b.y, eps);
    EXPECT_NEAR(a.z, b.z, eps);
}
} // namespace

TEST(Camera, DefaultLooksAtTargetFromPlusZ)
{
    Camera c;
    c.setTarget({1, 2, 3});
    c.setDistance(5);
    expectNear(c.eyePosition(), {1, 2, 8});
    const View v = c.view(Aspect);
    expectNear(v.eyePosition(), {1, 2, 8});
    const glm::vec3 p = v.project({1, 2, 3}, Viewport);
    EXPECT_NEAR(p.x, 400.0f, 0.01f);
    EXPECT_NEAR(p.y, 300.0f, 0.01f);
    EXPECT_GT(p.z, -1.0f);
    EXPECT_LT(p.z, 1.0f);
}

TEST(Camera, OrbitTurnsAroundTheTarget)
{
    Camera c;
    c.setDistance(10);
    c.orbit(glm::half_pi<float>(), 0.0f);
    expectNear(c.eyePosition(), {10, 0, 0});
    c.orbit(0.0f, glm::radians(30.0f));
    EXPECT_NEAR(c.eyePosition().y, 10.0f * std::sin(glm::radians(30.0f)), 1e-3f);
    EXPECT_NEAR(glm::length(c.eyePosition()), 10.0f, 1e-3f);
    // The target stays in the middle of the screen whatever the angles.
    const glm::vec3 p = c.view(Aspect).project({0, 0, 0}, Viewport);
    EXPECT_NEAR(p.x, 400.0f, 0.01f);
    EXPECT_NEAR(p.y, 300.0f, 0.01f);
}

TEST(Camera, PitchStopsShortOfThePoles)
{
    Camera c;
    c.orbit(0.0f, 10.0f);
    EXPECT_LT(c.pitch(), glm::half_pi<float>());
    EXPECT_GT(c.pitch(), glm::radians(89.0f));
    c.orbit(0.0f, -20.0f);
    EXPECT_GT(c.pitch(), -glm::half_pi<float>());
    // Still a valid view: no NaN in the matrices.
    const View v = c.view(Aspect);
    EXPECT_TRUE(std::isfinite(v.view[0][0]) && std::isfinite(v.view[2][1]));
}

TEST(Camera, PanMovesWhatIsUnderTheCursorWithIt)
{
    Camera c;
    c.setTarget({0, 0, 0});
    c.setDistance(20);
    c.orbit(0.7f, 0.3f);
    const glm::vec3 before = c.view(Aspect).project({0, 0, 0}, Viewport);
    c.pan({25.0f, -40.0f}, Viewport.y);
    const glm::vec3 after = c.view(Aspect).project({0, 0, 0}, Viewport);
    EXPECT_NEAR(after.x - before.x, 25.0f, 0.05f);
    EXPECT_NEAR(after.y - before.y, -40.0f, 0.05f);
    EXPECT_NEAR(c.distance(), 20.0f, 1e-4f);
}

TEST(Camera, ZoomScalesTheDistanceWithinLimits)
{
    Camera c;
    c.setDistance(10);
    c.zoom(0.5f);
    EXPECT_FLOAT_EQ(c.distance(), 5.0f);
    c.zoom(1e-12f);
    EXPECT_FLOAT_EQ(c.distance(), Camera::MinDistance);
    c.zoom(1e30f);
    EXPECT_FLOAT_EQ(c.distance(), Camera::MaxDistance);
}

// Framing: every point of the sphere is on screen, and it fills the narrower side.
TEST(Camera, FrameShowsTheWholeSphereTightly)
{
    for (const float aspect : {Aspect, 0.5f, 1.0f, 2.5f}) {
        Camera c;
        c.orbit(0.4f, -0.2f);
        const Sphere s {{10, -5, 3}, 7.0f};
        c.frame(s, aspect);
        const View v = c.view(aspect);
        const glm::vec2 vp {600.0f * aspect, 600.0f};
        float maxNdc = 0.0f;
        for (int i = 0; i < 2000; ++i) {
            // Points spread over the sphere (a Fibonacci lattice).
            const float z = 1.0f - 2.0f * (float(i) + 0.5f) / 2000.0f;
            const float r = std::sqrt(1.0f - z * z);
            const float phi = float(i) * 2.39996323f;
            const glm::vec3 p = s.center + s.radius * glm::vec3(r * std::cos(phi), r * std::sin(phi), z);
            const glm::vec3 px = v.project(p, vp);
            const glm::vec2 ndc = View::pixelToNdc(glm::vec2(px), vp);
            maxNdc = std::max({maxNdc, std::abs(ndc.x), std::abs(ndc.y)});
            EXPECT_GT(px.z, -1.0f) << "in front of the near plane";
            EXPECT_LT(px.z, 1.0f) << "before the far plane";
        }
        EXPECT_LE(maxNdc, 1.0f) << "aspect " << aspect;
        EXPECT_GT(maxNdc, 0.85f) << "aspect " << aspect << ": framed too loosely";
        expectNear(c.target(), s.center);
    }
}

TEST(Camera, RayThroughAPixelPassesThroughWhatIsDrawnThere)
{
    Camera c;
    c.setDistance(30);
    c.orbit(1.1f, 0.4f);
    const View v = c.view(Aspect);
    const glm::vec3 world {3, -2, 5};
    const glm::vec3 px = v.project(world, Viewport);
    const Ray ray = v.rayThroughPixel(glm::vec2(px), Viewport);
    EXPECT_NEAR(glm::length(ray.direction), 1.0f, 1e-5f);
    const float t = glm::dot(world - ray.origin, ray.direction);
    EXPECT_GT(t, 0.0f);
    EXPECT_LT(glm::distance(ray.at(t), world), 1e-3f);
    // The centre pixel's ray goes through the target.
    const Ray centre = v.rayThroughPixel(Viewport * 0.5f, Viewport);
    const float tc = glm::dot(c.target() - centre.origin, centre.direction);
    EXPECT_LT(glm::distance(centre.at(tc), c.target()), 1e-3f);
}
