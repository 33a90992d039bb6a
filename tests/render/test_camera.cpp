#include "camera.h"

#include <glm/gtc/constants.hpp>
#include <gtest/gtest.h>

#include <cmath>
#include <random>

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

TEST(Camera, LookFromPutsTheEyeWhereAsked)
{
    std::mt19937 rng(99);
    std::uniform_real_distribution<float> pos(-100.0f, 100.0f);
    for (int i = 0; i < 200; ++i) {
        const glm::vec3 eye {pos(rng), pos(rng), pos(rng)};
        const glm::vec3 target {pos(rng), pos(rng), pos(rng)};
        Camera c;
        c.orbit(1.0f, 0.5f);
        c.lookFrom(eye, target);
        expectNear(c.eyePosition(), eye, 1e-3f * glm::distance(eye, target) + 1e-3f);
        expectNear(c.target(), target);
        // The target is in the middle of the screen and the view's eye is the given one.
        const View v = c.view(Aspect);
        expectNear(v.eyePosition(), eye, 1e-2f);
        const glm::vec3 p = v.project(target, Viewport);
        EXPECT_NEAR(p.x, 400.0f, 0.05f);
        EXPECT_NEAR(p.y, 300.0f, 0.05f);
    }
    // Straight down: the pitch stays short of the pole, the eye as near as it allows.
    Camera c;
    c.lookFrom({0, 10, 0}, {0, 0, 0});
    EXPECT_NEAR(glm::distance(c.eyePosition(), glm::vec3(0, 10, 0)), 0.0f, 0.02f);
    EXPECT_TRUE(std::isfinite(c.view(Aspect).view[1][1]));
}

TEST(Camera, FlyMovesAlongTheViewAxes)
{
    Camera c;
    c.setTarget({1, 2, 3});
    c.setDistance(10);
    c.orbit(0.8f, -0.3f);
    const View before = c.view(Aspect);
    const glm::vec3 eye = c.eyePosition();
    // Forward, right and up are the view's -z, +x and +y in the world.
    const glm::mat4 toWorld = glm::inverse(before.view);
    expectNear(c.forward(), glm::vec3(toWorld * glm::vec4(0, 0, -1, 0)));
    expectNear(c.right(), glm::vec3(toWorld * glm::vec4(1, 0, 0, 0)));
    expectNear(c.up(), glm::vec3(toWorld * glm::vec4(0, 1, 0, 0)));

    c.fly({0, 0, 2.5f}); // W
    expectNear(c.eyePosition(), eye + 2.5f * c.forward());
    EXPECT_NEAR(c.distance(), 10.0f, 1e-5f) << "flying keeps the distance to the target";
    c.fly({-1, 0, 0}); // A
    c.fly({0, 0.5f, 0}); // E
    expectNear(c.eyePosition(), eye + 2.5f * c.forward() - c.right() + 0.5f * c.up());
    // Moving does not turn: the same direction of view.
    expectNear(c.forward(), glm::vec3(toWorld * glm::vec4(0, 0, -1, 0)));
}

TEST(Camera, LookTurnsTheViewAboutTheEye)
{
    Camera c;
    c.setDistance(10);
    const glm::vec3 eye = c.eyePosition(); // (0, 0, 10), looking down -z
    c.look(0.3f, 0.0f);
    expectNear(c.eyePosition(), eye);
    EXPECT_LT(c.forward().x, -0.25f) << "positive yaw turns left";
    c.look(0.0f, 0.2f);
    expectNear(c.eyePosition(), eye);
    EXPECT_GT(c.forward().y, 0.15f) << "positive pitch looks up";
    EXPECT_NEAR(c.distance(), 10.0f, 1e-4f);
    // Looking far up stops short of the pole, with the eye still in place.
    c.look(0.0f, 10.0f);
    expectNear(c.eyePosition(), eye);
    EXPECT_LT(c.forward().y, 1.0f);
    EXPECT_GT(c.forward().y, 0.99f);
    // Back to orbiting: around the new target.
    const glm::vec3 target = c.target();
    c.orbit(0.5f, 0.0f);
    expectNear(c.target(), target);
}
