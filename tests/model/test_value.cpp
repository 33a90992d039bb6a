#include "value.h"

#include <gtest/gtest.h>

#include <limits>

using namespace constellate;

TEST(Value, HoldsEachType)
{
    EXPECT_TRUE(Value().isNone());
    EXPECT_EQ(Value(true).toBool(), true);
    EXPECT_EQ(Value(std::int64_t(-5)).toInt(), -5);
    EXPECT_EQ(Value(2.5).toDouble(), 2.5);
    EXPECT_EQ(Value(Vec3 {1, 2, 3}).toVec3(), (Vec3 {1, 2, 3}));
    EXPECT_EQ(Value::color(0x11223344).toColor(), 0x11223344u);
    EXPECT_EQ(Value("short").toStringView(), "short");
    EXPECT_EQ(Value("short").type(), ValueType::String);
}

TEST(Value, ShortAndLongStringsCopyAndMove)
{
    const std::string inlineMax(14, 'x');
    const std::string heap(15, 'y');
    const std::string big(100'000, 'z');
    for (const std::string& s : {std::string(), inlineMax, heap, big, std::string("Beta \xc3\xbc")}) {
        Value a(s);
        Value b = a;
        Value c = std::move(a);
        EXPECT_EQ(b.toStringView(), s);
        EXPECT_EQ(c.toStringView(), s);
        EXPECT_TRUE(a.isNone()); // NOLINT(bugprone-use-after-move): moved-from is None
        b = c;
        c = Value(1.0);
        EXPECT_EQ(b.toStringView(), s);
        b = b; // self-assignment keeps the value
        EXPECT_EQ(b.toStringView(), s);
    }
}

TEST(Value, EqualityIsExact)
{
    EXPECT_EQ(Value("a"), Value("a"));
    EXPECT_NE(Value("a"), Value("b"));
    EXPECT_NE(Value(std::int64_t(1)), Value(1.0));
    EXPECT_NE(Value(0.0), Value(-0.0));
    const double nan = std::numeric_limits<double>::quiet_NaN();
    EXPECT_EQ(Value(nan), Value(nan));
    EXPECT_EQ(Value(), Value());
}

TEST(Value, DisplayAndNumber)
{
    EXPECT_EQ(Value(true).display(), "true");
    EXPECT_EQ(Value(std::int64_t(42)).display(), "42");
    EXPECT_EQ(Value(0.5).display(), "0.5");
    EXPECT_EQ(Value::color(0xff0000ff).display(), "#ff0000ff");
    EXPECT_EQ(Value(std::int64_t(3)).toNumber(), 3.0);
    EXPECT_EQ(Value("x").toNumber(), 0.0);
}
