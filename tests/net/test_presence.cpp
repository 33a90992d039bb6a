// VR presence quantization: positions within 0.5 mm, rotations within the bound that
// 32 bits of smallest-three give (docs/protocol.md, "VR_PRESENCE"), over random and
// worst-case poses; and the edge cases (identity, q and -q, clamping, bad bits).

#include "presence.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

using namespace constellate;
using namespace constellate::net::protocol;

namespace {

Quat normalized(double x, double y, double z, double w)
{
    const double n = std::sqrt(x * x + y * y + z * z + w * w);
    return {float(x / n), float(y / n), float(z / n), float(w / n)};
}

Quat randomRotation(std::mt19937_64& rng)
{
    std::normal_distribution<double> g;
    return normalized(g(rng), g(rng), g(rng), g(rng));
}

double roundTripDegrees(Quat q)
{
    const std::optional<Quat> back = unpackRotation(packRotation(q));
    EXPECT_TRUE(back);
    return back ? rotationAngleDegrees(q, *back) : 180.0;
}

double distance(Vec3 a, Vec3 b)
{
    const double dx = double(a.x) - b.x, dy = double(a.y) - b.y, dz = double(a.z) - b.z;
    return std::max({std::fabs(dx), std::fabs(dy), std::fabs(dz)});
}

} // namespace

TEST(Presence, TheRotationBoundIsWhatTheBitsGive)
{
    // Half a level: the largest rounding error of one component.
    const double e = std::sqrt(2.0) / (2.0 * (RotationLevels - 1));
    const double firstOrder = 4.0 * std::sqrt(3.0) * e * 180.0 / 3.14159265358979323846;
    EXPECT_NEAR(firstOrder, 0.1728, 0.0001);
    EXPECT_GE(MaxRotationErrorDegrees, firstOrder);
    EXPECT_LE(MaxRotationErrorDegrees, firstOrder * 1.02) << "the bound should stay tight";
    EXPECT_LT(RotationBitsLimit, std::uint64_t(1) << 32);
    EXPECT_GE((std::uint64_t(RotationLevels) + 1) * (RotationLevels + 1) * (RotationLevels + 1), std::uint64_t(1) << 32)
        << "as many levels as fit";
}

TEST(Presence, RandomRotationsStayWithinTheBound)
{
    std::mt19937_64 rng(7);
    double worst = 0, sumSquares = 0;
    const int n = 1'000'000;
    for (int i = 0; i < n; ++i) {
        const double a = roundTripDegrees(randomRotation(rng));
        worst = std::max(worst, a);
        sumSquares += a * a;
    }
    std::printf("rotation error over %d random rotations: max %.4f deg, rms %.4f deg (bound %.4f)\n", n, worst,
                std::sqrt(sumSquares / n), MaxRotationErrorDegrees);
    EXPECT_LE(worst, MaxRotationErrorDegrees);
}

TEST(Presence, WorstCaseRotationsStayWithinTheBound)
{
    // The error is largest when the left-out component is smallest (all four near 1/2:
    // rebuilding it amplifies the others' rounding) and each of the three sits halfway
    // between two levels.
    std::mt19937_64 rng(11);
    std::uniform_real_distribution<double> jitter(-0.003, 0.003);
    double worst = 0;
    for (int i = 0; i < 300'000; ++i) {
        const double s = i % 2 ? 1.0 : -1.0;
        const Quat q = normalized(0.5 + jitter(rng), s * (0.5 + jitter(rng)), 0.5 + jitter(rng), 0.5 + jitter(rng));
        worst = std::max(worst, roundTripDegrees(q));
    }
    // Components exactly halfway between levels, the fourth just large enough to be left out.
    const double step = std::sqrt(2.0) / (RotationLevels - 1);
    for (int k = 1100; k < 1300; ++k) {
        const double c = (k + 0.5) * step - std::sqrt(0.5);
        if (3 * c * c >= 0.75)
            break;
        worst = std::max(worst, roundTripDegrees(normalized(c, c, c, std::sqrt(1 - 3 * c * c))));
        worst = std::max(worst, roundTripDegrees(normalized(c, -c, c, std::sqrt(1 - 3 * c * c))));
    }
    std::printf("worst-case search: max %.4f deg (bound %.4f)\n", worst, MaxRotationErrorDegrees);
    EXPECT_LE(worst, MaxRotationErrorDegrees);
    EXPECT_GT(worst, 0.12) << "the search should come near the bound";
}

TEST(Presence, SpecialRotations)
{
    // No rotation travels exactly (level 812 is 0).
    const std::optional<Quat> identity = unpackRotation(packRotation({}));
    ASSERT_TRUE(identity);
    EXPECT_EQ(*identity, (Quat {0, 0, 0, 1}));
    // q and -q are one rotation and pack alike.
    const Quat q = normalized(0.1, -0.7, 0.2, 0.6);
    EXPECT_EQ(packRotation(q), packRotation({-q.x, -q.y, -q.z, -q.w}));
    // Half turns (w = 0) and unnormalized input.
    EXPECT_LE(roundTripDegrees({1, 0, 0, 0}), MaxRotationErrorDegrees);
    EXPECT_LE(roundTripDegrees(normalized(0, 0.7071, 0.7071, 0)), MaxRotationErrorDegrees);
    const std::optional<Quat> scaled = unpackRotation(packRotation({0, 0, 0, 5}));
    EXPECT_EQ(*scaled, (Quat {0, 0, 0, 1}));
    // Garbage becomes no rotation rather than garbage on the wire.
    EXPECT_EQ(packRotation({NAN, 0, 0, 1}), packRotation({}));
    EXPECT_EQ(packRotation({0, 0, 0, 0}), packRotation({}));
    EXPECT_EQ(packRotation({INFINITY, 0, 0, 0}), packRotation({}));
    // Bits a packer never writes are refused.
    EXPECT_FALSE(unpackRotation({4, 0}));
    EXPECT_FALSE(unpackRotation({0, std::uint32_t(RotationBitsLimit)}));
    EXPECT_FALSE(unpackRotation({0, 0xffffffffu}));
    EXPECT_FALSE(unpackRotation({3, std::uint32_t(RotationBitsLimit - 1)})) << "squares add up to 1.5";
    EXPECT_TRUE(unpackRotation({3, 812u * RotationLevels * RotationLevels + 812u * RotationLevels + 812u}));
}

TEST(Presence, PositionsWithinHalfAMillimetre)
{
    std::mt19937_64 rng(3);
    std::uniform_real_distribution<float> room(-30.f, 30.f);
    std::uniform_real_distribution<float> reach(-1.5f, 1.5f);
    // float32 itself rounds a 30 m coordinate to 2 micrometres.
    const double tolerance = MaxPositionErrorMetres + 4e-6;
    double worstHead = 0, worstHand = 0;
    for (int i = 0; i < 200'000; ++i) {
        VrPose p;
        p.head.position = {room(rng), room(rng) / 10, room(rng)};
        p.head.orientation = randomRotation(rng);
        p.left = Pose {{p.head.position.x + reach(rng), p.head.position.y + reach(rng), p.head.position.z + reach(rng)},
                       randomRotation(rng)};
        if (i % 3)
            p.right = Pose {{p.head.position.x + reach(rng), p.head.position.y - 0.5f, p.head.position.z + reach(rng)},
                            randomRotation(rng)};
        const std::optional<VrPose> back = unpackVrPose(packVrPose(p));
        ASSERT_TRUE(back);
        worstHead = std::max(worstHead, distance(p.head.position, back->head.position));
        ASSERT_TRUE(back->left);
        EXPECT_EQ(bool(back->right), bool(p.right));
        worstHand = std::max(worstHand, distance(p.left->position, back->left->position));
        if (p.right)
            worstHand = std::max(worstHand, distance(p.right->position, back->right->position));
        EXPECT_LE(rotationAngleDegrees(p.left->orientation, back->left->orientation), MaxRotationErrorDegrees);
    }
    std::printf("position error: head %.4f mm, hands %.4f mm\n", worstHead * 1000, worstHand * 1000);
    EXPECT_LE(worstHead, tolerance);
    EXPECT_LE(worstHand, tolerance) << "hands are packed from the head as decoded: no added error";
}

TEST(Presence, PositionsOutOfRangeAreClamped)
{
    VrPose p;
    p.head.position = {40, -50, NAN};
    p.left = Pose {{40 + 33, 0, 0}, {}};
    const PackedVrPose packed = packVrPose(p);
    EXPECT_EQ(packed.head.position, (PackedPosition {32767, -32767, 0}));
    const VrPose back = *unpackVrPose(packed);
    EXPECT_FLOAT_EQ(back.head.position.x, 32.767f);
    EXPECT_FLOAT_EQ(back.head.position.z, 0.f);
    EXPECT_EQ(packed.left->position[0], 32767) << "73 m from the origin is 40.233 m from the clamped head";
    EXPECT_EQ(packMillimetres({0.0004f, -0.0006f, 0.0015f}), (PackedPosition {0, -1, 2}));
}
