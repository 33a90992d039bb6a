#include "avatar.h"

#include <glm/gtc/constants.hpp>
#include <gtest/gtest.h>

using namespace constellate;
using namespace constellate::render;

TEST(Avatar, ACursorIsOneSphereOfItsColourAndScale)
{
    Avatar a;
    a.color = 0x11223344;
    a.cursor = glm::vec3(1, 2, 3);
    a.scale = 2.0f;
    const std::vector<NodeInstance> out = avatarInstances(std::span(&a, 1));
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].position, glm::vec3(1, 2, 3));
    EXPECT_FLOAT_EQ(out[0].radius, Avatar::CursorRadius * 2.0f);
    EXPECT_EQ(out[0].color[0], 0x11);
    EXPECT_EQ(out[0].color[3], 0x44);
    ASSERT_TRUE(a.nameplateAnchor());
    EXPECT_EQ(a.nameplateAnchor()->x, 1.0f);
    EXPECT_GT(a.nameplateAnchor()->y, 2.0f + out[0].radius);
}

TEST(Avatar, AHeadsetUserHasAHeadWithAVisorAndPointingHands)
{
    Avatar a;
    a.color = 0x00ff00ff;
    // Turned to look along +x; the right hand points down -y.
    a.head = Avatar::Pose {{0, 1.7f, 0}, glm::angleAxis(-glm::half_pi<float>(), glm::vec3(0, 1, 0))};
    a.leftHand = Avatar::Pose {{-0.3f, 1.2f, 0}, {}};
    a.rightHand = Avatar::Pose {{0.3f, 1.2f, 0}, glm::angleAxis(-glm::half_pi<float>(), glm::vec3(1, 0, 0))};
    const std::vector<NodeInstance> out = avatarInstances(std::span(&a, 1));
    ASSERT_EQ(out.size(), 2u + 3u + 3u);
    EXPECT_EQ(out[0].position, glm::vec3(0, 1.7f, 0));
    EXPECT_EQ(out[0].color[1], 0xff);
    EXPECT_GT(out[1].position.x, 0.05f) << "the visor is on the side the head looks to";
    EXPECT_EQ(out[1].color[0], std::uint8_t(Avatar::VisorColor >> 24));
    EXPECT_GT(out[1].radius + glm::distance(out[0].position, out[1].position), out[0].radius) << "sticks out";
    for (int i = 2; i < 5; ++i)
        EXPECT_EQ(out[std::size_t(i)].color[0], std::uint8_t(Avatar::LeftHandColor >> 24)) << "left: red";
    for (int i = 5; i < 8; ++i)
        EXPECT_EQ(out[std::size_t(i)].color[2], std::uint8_t(Avatar::RightHandColor >> 8)) << "right: blue";
    EXPECT_LT(out[3].position.z, -0.01f) << "identity: the left hand points along -z";
    EXPECT_LT(out[6].position.y, 1.19f) << "the right hand points down";
    EXPECT_LT(out[7].radius, out[5].radius) << "tapering towards where it points";
    ASSERT_TRUE(a.nameplateAnchor());
    EXPECT_GT(a.nameplateAnchor()->y, 1.7f + Avatar::HeadRadius) << "above the head";

    EXPECT_FALSE(Avatar {}.nameplateAnchor());
    EXPECT_TRUE(avatarInstances({}).empty());
}
