// The hands' logic without a headset or GL: the placement's maths, grabbing (the node keeps
// its place in the hand: inverse(grip) * node), releasing, reach, one node per hand,
// cancelling, pointing and selecting, the buttons, flying, turning and scaling.

#include "graphdocument.h"
#include "pickgrid.h"
#include "renderscene.h"
#include "vrinteraction.h"

#include <glm/gtc/quaternion.hpp>

#include <gtest/gtest.h>

using namespace constellate;
using namespace constellate::xr;

namespace {

FieldRef ref(Field f)
{
    return {f, {}};
}

EntityId addNode(GraphDocument& doc, Vec3 position, double size = 0.05)
{
    TransactionBuilder t = doc.begin();
    const EntityId id = t.createNode({{ref(Field::Position), Value(position)}, {ref(Field::Size), Value(size)}});
    doc.commit(t);
    return id;
}

void expectNear(glm::vec3 a, glm::vec3 b, float tolerance = 1e-5f)
{
    EXPECT_NEAR(a.x, b.x, tolerance);
    EXPECT_NEAR(a.y, b.y, tolerance);
    EXPECT_NEAR(a.z, b.z, tolerance);
}

const glm::quat Identity {1, 0, 0, 0};
const glm::quat QuarterTurnY = glm::angleAxis(glm::radians(90.0f), glm::vec3(0, 1, 0));

struct Hands {
    GraphDocument doc {7, 7};
    render::RenderScene scene;
    render::PickGrid pick;
    VrInteraction interaction;
    std::vector<VrEvent> events;
    VrInteraction::Input input;

    Hands() { input.head = Pose {{0, 1.6f, 0}, Identity}; }
    void rebuild() { scene.rebuild(doc); }
    void frame(float seconds = 1.0f / 90.0f)
    {
        input.seconds = seconds;
        interaction.update(input, scene, pick, events);
    }
    HandInput& right() { return input.hands[1]; }
    HandInput& left() { return input.hands[0]; }
    glm::vec3 drawn(EntityId id) const { return scene.nodes()[std::size_t(scene.nodeIndex(id))].position; }
    std::vector<VrEvent> take() { return std::exchange(events, {}); }
};

} // namespace

TEST(Placement, MapsTheRoomIntoTheGraph)
{
    Placement p;
    p.scale = 2.0f;
    p.translation = {1, 0, 0};
    p.rotation = QuarterTurnY;
    expectNear(p.toGraph(glm::vec3(1, 0, 0)), glm::vec3(1, 0, -2)); // x turned to -z, doubled, shifted
    expectNear(glm::vec3(p.matrix() * glm::vec4(1, 0, 0, 1)), p.toGraph(glm::vec3(1, 0, 0)));
    const Pose g = p.toGraph(Pose {{0, 1, 0}, QuarterTurnY});
    expectNear(g.position, glm::vec3(1, 2, 0));
    EXPECT_NEAR(glm::angle(g.orientation * glm::inverse(QuarterTurnY * QuarterTurnY)), 0.0f, 1e-5f);

    // Turned and scaled about a room point: that point stays where it was in the graph.
    const glm::vec3 pivot {0.3f, 1.5f, -0.2f};
    const Placement q = p.about(pivot, glm::angleAxis(0.7f, glm::vec3(0, 1, 0)), 3.0f);
    expectNear(q.toGraph(pivot), p.toGraph(pivot), 1e-4f);
    EXPECT_FLOAT_EQ(q.scale, 6.0f);

    // The graph's bounds in front of a standing user, 0.6 m across its radius.
    const Placement f = Placement::facing(render::Sphere {{10, 20, 30}, 6.0f});
    EXPECT_FLOAT_EQ(f.scale, 10.0f);
    expectNear(f.toGraph(glm::vec3(0, 1.2f, -1.0f)), glm::vec3(10, 20, 30), 1e-4f);
}

TEST(VrInteraction, AGrabKeepsTheNodeWhereItSitsInTheHand)
{
    Hands h;
    const EntityId node = addNode(h.doc, {0.23f, 1.2f, -0.4f});
    h.rebuild();
    // The hand 3 cm left of the node's centre, turned a quarter about y.
    h.right().grip = Pose {{0.2f, 1.2f, -0.4f}, Identity};
    h.frame();
    h.right().squeeze = 1.0f;
    h.frame();
    std::vector<VrEvent> e = h.take();
    ASSERT_EQ(e.size(), 1u);
    EXPECT_EQ(e[0].kind, VrEvent::Kind::GrabStarted);
    EXPECT_EQ(e[0].hand, Hand::Right);
    EXPECT_EQ(e[0].node, node);
    EXPECT_EQ(*h.interaction.held(Hand::Right), node);

    // The hand moves and turns: the node turns with it, around the hand.
    h.right().grip = Pose {{0.5f, 1.3f, -0.5f}, QuarterTurnY};
    h.frame();
    e = h.take();
    ASSERT_EQ(e.size(), 1u);
    EXPECT_EQ(e[0].kind, VrEvent::Kind::GrabMoved);
    const glm::vec3 expected = glm::vec3(0.5f, 1.3f, -0.5f) + QuarterTurnY * glm::vec3(0.03f, 0.0f, 0.0f);
    expectNear(e[0].position, expected);
    expectNear(h.drawn(node), expected); // drawn there at once
    // The document is not touched while held.
    EXPECT_EQ(h.doc.position(*h.doc.entity(node)), (Vec3 {0.23f, 1.2f, -0.4f}));

    // A still hand moves nothing.
    h.frame();
    EXPECT_TRUE(h.take().empty());

    // Release: one GrabEnded with the final position.
    h.right().squeeze = 0.1f;
    h.frame();
    e = h.take();
    ASSERT_EQ(e.size(), 1u);
    EXPECT_EQ(e[0].kind, VrEvent::Kind::GrabEnded);
    EXPECT_EQ(e[0].node, node);
    expectNear(e[0].position, expected);
    EXPECT_FALSE(h.interaction.held(Hand::Right));
}

TEST(VrInteraction, TheGrabFollowsTheRoomsScale)
{
    Hands h;
    h.interaction.setPlacement(Placement {10.0f, {0, 0, 0}, Identity}); // ten graph units per metre
    const EntityId node = addNode(h.doc, {2.0f, 12.0f, -4.0f}, 0.3);
    h.rebuild();
    h.right().grip = Pose {{0.2f, 1.2f, -0.4f}, Identity}; // at the node, in the graph
    h.right().squeeze = 1.0f;
    h.frame();
    ASSERT_EQ(h.take().size(), 1u);
    h.right().grip = Pose {{0.3f, 1.2f, -0.4f}, Identity}; // 10 cm right: one graph unit
    h.frame();
    expectNear(h.drawn(node), glm::vec3(3.0f, 12.0f, -4.0f), 1e-4f);
}

TEST(VrInteraction, TheNearestNodeWithinReachIsTaken)
{
    Hands h;
    const EntityId near = addNode(h.doc, {0.26f, 1.2f, -0.4f}, 0.02); // surface 4 cm away
    addNode(h.doc, {0.30f, 1.2f, -0.4f}, 0.02);                        // 8 cm away
    const EntityId far = addNode(h.doc, {-0.5f, 1.2f, -0.4f}, 0.02);
    h.rebuild();
    h.right().grip = Pose {{0.2f, 1.2f, -0.4f}, Identity};
    h.right().squeeze = 0.7f;
    h.frame();
    auto e = h.take();
    ASSERT_EQ(e.size(), 1u);
    EXPECT_EQ(e[0].node, near);

    // Out of reach: nothing.
    h.left().grip = Pose {{-0.5f, 1.2f, -0.25f}, Identity}; // 15 cm from `far`
    h.left().squeeze = 1.0f;
    h.frame();
    EXPECT_TRUE(h.take().empty());
    // Within reach of the other hand's node: not that one (one node, one hand).
    h.left().squeeze = 0.0f;
    h.frame();
    h.left().grip = Pose {{0.26f, 1.2f, -0.35f}, Identity};
    h.left().squeeze = 1.0f;
    h.frame();
    e = h.take();
    ASSERT_EQ(e.size(), 1u);
    EXPECT_NE(e[0].node, near);
    EXPECT_NE(e[0].node, far);
}

TEST(VrInteraction, SqueezeHasHysteresis)
{
    Hands h;
    addNode(h.doc, {0.2f, 1.2f, -0.4f});
    h.rebuild();
    h.right().grip = Pose {{0.2f, 1.2f, -0.4f}, Identity};
    for (const float v : {0.5f, 0.59f}) { // not yet
        h.right().squeeze = v;
        h.frame();
    }
    EXPECT_TRUE(h.take().empty());
    for (const float v : {0.6f, 0.5f, 0.45f, 0.41f}) { // pressed, and held through the middle
        h.right().squeeze = v;
        h.frame();
    }
    auto e = h.take();
    ASSERT_EQ(e.size(), 1u);
    EXPECT_EQ(e[0].kind, VrEvent::Kind::GrabStarted);
    h.right().squeeze = 0.4f;
    h.frame();
    e = h.take();
    ASSERT_EQ(e.size(), 1u);
    EXPECT_EQ(e[0].kind, VrEvent::Kind::GrabEnded);
}

TEST(VrInteraction, AGrabIsCancelledWhenTheNodeGoesOrEditingStops)
{
    Hands h;
    const EntityId node = addNode(h.doc, {0.2f, 1.2f, -0.4f});
    h.rebuild();
    h.right().grip = Pose {{0.2f, 1.2f, -0.4f}, Identity};
    h.right().squeeze = 1.0f;
    h.frame();
    h.take();
    // Someone else deletes it.
    TransactionBuilder t = h.doc.begin();
    h.doc.set(t, node, ref(Field::Exists), Value(false));
    h.doc.commit(t);
    h.rebuild();
    h.interaction.sceneChanged(h.scene, h.events);
    auto e = h.take();
    ASSERT_EQ(e.size(), 1u);
    EXPECT_EQ(e[0].kind, VrEvent::Kind::GrabCancelled);
    // Releasing later ends nothing more.
    h.right().squeeze = 0.0f;
    h.frame();
    EXPECT_TRUE(h.take().empty());

    // A viewer grabs nothing, and turning editing off lets go.
    const EntityId other = addNode(h.doc, {0.2f, 1.2f, -0.4f});
    h.rebuild();
    h.right().squeeze = 1.0f;
    h.frame();
    ASSERT_EQ(h.take().size(), 1u);
    h.interaction.setEditable(false, h.events);
    e = h.take();
    ASSERT_EQ(e.size(), 1u);
    EXPECT_EQ(e[0].kind, VrEvent::Kind::GrabCancelled);
    EXPECT_EQ(e[0].node, other);
    h.right().squeeze = 0.0f;
    h.frame();
    h.right().squeeze = 1.0f;
    h.frame();
    EXPECT_TRUE(h.take().empty());
}

TEST(VrInteraction, HeldNodesStayInTheHandWhenTheSceneIsReplaced)
{
    Hands h;
    const EntityId node = addNode(h.doc, {0.2f, 1.2f, -0.4f});
    h.rebuild();
    h.right().grip = Pose {{0.2f, 1.2f, -0.4f}, Identity};
    h.right().squeeze = 1.0f;
    h.frame();
    h.right().grip = Pose {{0.4f, 1.2f, -0.4f}, Identity};
    h.frame();
    h.rebuild(); // a copy of the document's scene arrives: the node where the document has it
    h.interaction.sceneChanged(h.scene, h.events);
    expectNear(h.drawn(node), glm::vec3(0.4f, 1.2f, -0.4f));
}

TEST(VrInteraction, TheAimRayPointsAndTheButtonsAsk)
{
    Hands h;
    const EntityId node = addNode(h.doc, {0.0f, 1.2f, -2.0f}, 0.2);
    h.rebuild();
    h.right().aim = Pose {{0.0f, 1.2f, -0.3f}, Identity}; // along -z: at the node
    h.frame();
    EXPECT_EQ(h.interaction.hovered(), node);
    EXPECT_TRUE(h.take().empty());
    h.right().trigger = 0.9f;
    h.frame();
    auto e = h.take();
    ASSERT_EQ(e.size(), 1u);
    EXPECT_EQ(e[0].kind, VrEvent::Kind::Select);
    EXPECT_EQ(e[0].node, node);
    EXPECT_FALSE(e[0].add);
    h.frame(); // held: once
    EXPECT_TRUE(h.take().empty());
    h.right().trigger = 0.0f;
    h.right().primary = true; // A: add to the selection
    h.frame();
    e = h.take();
    ASSERT_EQ(e.size(), 1u);
    EXPECT_EQ(e[0].node, node);
    EXPECT_TRUE(e[0].add);

    // Pointing at nothing: the trigger clears the selection (a null node).
    h.right().aim = Pose {{0.0f, 1.2f, -0.3f}, QuarterTurnY};
    h.right().primary = false;
    h.right().trigger = 1.0f;
    h.frame();
    e = h.take();
    ASSERT_EQ(e.size(), 1u);
    EXPECT_TRUE(e[0].node.isNull());
    EXPECT_FALSE(h.interaction.hovered());

    h.right().secondary = true; // B
    h.left().secondary = true;  // Y
    h.left().primary = true;    // X
    h.frame();
    e = h.take();
    ASSERT_EQ(e.size(), 3u);
    EXPECT_EQ(e[0].command, VrCommand::ToggleLabels);
    EXPECT_EQ(e[1].command, VrCommand::Redo);
    EXPECT_EQ(e[2].command, VrCommand::Undo);
}

TEST(VrInteraction, TheThumbsticksFlyTurnAndScale)
{
    Hands h;
    h.rebuild();
    const glm::vec3 head = h.input.head->position;
    // Left stick forward for a second: 1.5 m along the gaze (-z), in graph units of the room.
    h.left().thumbstick = {0.0f, 1.0f};
    for (int i = 0; i < 10; ++i)
        h.frame(0.1f);
    expectNear(h.interaction.placement().toGraph(head), head + glm::vec3(0, 0, -1.5f), 1e-3f);
    h.left().thumbstick = {0.05f, 0.1f}; // within the dead zone
    const Placement still = h.interaction.placement();
    h.frame(0.1f);
    EXPECT_EQ(h.interaction.placement(), still);

    // Right stick to the right: the view turns right, about the head.
    h.left().thumbstick = {0.0f, 0.0f};
    h.right().thumbstick = {1.0f, 0.0f};
    const glm::vec3 headInGraph = h.interaction.placement().toGraph(head);
    h.frame(0.1f);
    const Placement turned = h.interaction.placement();
    expectNear(turned.toGraph(head), headInGraph, 1e-4f);
    const glm::vec3 gaze = turned.directionToGraph(glm::vec3(0, 0, -1));
    EXPECT_GT(gaze.x, 0.1f);

    // Right stick up: the graph grows around the right hand (the room shrinks in it).
    h.right().thumbstick = {0.0f, 1.0f};
    h.right().grip = Pose {{0.2f, 1.2f, -0.3f}, Identity};
    const glm::vec3 handInGraph = turned.toGraph(glm::vec3(0.2f, 1.2f, -0.3f));
    for (int i = 0; i < 10; ++i)
        h.frame(0.1f);
    EXPECT_NEAR(h.interaction.placement().scale, turned.scale * 0.5f, 1e-3f);
    expectNear(h.interaction.placement().toGraph(glm::vec3(0.2f, 1.2f, -0.3f)), handInGraph, 1e-3f);
}
