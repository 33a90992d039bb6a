#include "versionvector.h"

#include <gtest/gtest.h>

using namespace constellate;

TEST(VersionVector, ContiguousAndGaps)
{
    VersionVector v;
    v.add(7, 1, 3);
    EXPECT_EQ(v.contiguous(7), 3u);
    v.add(7, 6, 8);
    EXPECT_EQ(v.contiguous(7), 3u);
    EXPECT_EQ(v.highest(7), 8u);
    EXPECT_TRUE(v.hasGaps());
    EXPECT_TRUE(v.contains(7, 6, 8));
    EXPECT_FALSE(v.contains(7, 4, 4));
    EXPECT_TRUE(v.overlaps(7, 5, 6));
    EXPECT_FALSE(v.overlaps(7, 4, 5));
    v.add(7, 4, 5);
    EXPECT_EQ(v.contiguous(7), 8u);
    EXPECT_FALSE(v.hasGaps());
    EXPECT_EQ(v.contiguous(9), 0u);
}

TEST(VersionVector, CoversAndSummary)
{
    VersionVector a, b;
    a.add(1, 1, 10);
    a.add(2, 1, 5);
    b.add(1, 1, 4);
    b.add(2, 7, 9);
    EXPECT_FALSE(a.covers(b));
    a.add(2, 6, 9);
    EXPECT_TRUE(a.covers(b));
    EXPECT_FALSE(b.covers(a));
    const auto s = a.summary();
    ASSERT_EQ(s.size(), 2u);
    EXPECT_EQ(s[0], (std::pair<ReplicaId, std::uint32_t>(1, 10)));
    EXPECT_EQ(s[1], (std::pair<ReplicaId, std::uint32_t>(2, 9)));
}
