// Pixel tests: the renderer draws into an offscreen framebuffer (Mesa llvmpipe under Xvfb
// in CI) and we read colours back where the camera maths says things are.

#include "camera.h"
#include "offscreentarget.h"
#include "rendertestsupport.h"
#include "scenerenderer.h"

#include <QColor>
#include <QImage>

#include <glm/gtc/constants.hpp>
#include <gtest/gtest.h>

#include <cstdlib>
#include <utility>
#include <vector>

using namespace constellate;
using namespace constellate::render;
using namespace constellate::render::test;

namespace {

constexpr int Size = 256;
constexpr Rgba Background = 0x202020ff;
constexpr Rgba Red = 0xff0000ff;
constexpr Rgba Green = 0x00ff00ff;
constexpr Rgba Yellow = 0xffff00ff;

std::string describe(QColor c)
{
    return "rgb(" + std::to_string(c.red()) + ", " + std::to_string(c.green()) + ", " + std::to_string(c.blue()) + ")";
}

bool isRedish(QColor c)
{
    return c.red() > 150 && c.green() < 80 && c.blue() < 80;
}
bool isGreenish(QColor c)
{
    return c.green() > 150 && c.red() < 80 && c.blue() < 80;
}
bool isBackground(QColor c)
{
    return c.red() == 0x20 && c.green() == 0x20 && c.blue() == 0x20;
}

class SceneRendererTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        ASSERT_TRUE(m_target.create(QSize(Size, Size))) << m_target.error();
        ASSERT_TRUE(m_renderer.initialize()) << m_renderer.error();
        m_renderer.setBackground(Background);
        m_camera.setTarget({0, 0, 0});
        m_camera.setDistance(20);
        m_camera.setSceneRadius(10);
    }

    View view() const { return m_camera.view(1.0f); }
    glm::vec2 pixelOf(glm::vec3 world) const { return glm::vec2(view().project(world, {Size, Size})); }

    QImage draw()
    {
        m_renderer.upload(m_scene);
        m_renderer.render(view(), m_target.target());
        return m_target.image();
    }
    static QColor at(const QImage& image, glm::vec2 p) { return image.pixelColor(int(p.x), int(p.y)); }

    OffscreenTarget m_target;
    SceneRenderer m_renderer;
    Camera m_camera;
    GraphDocument m_doc {1, 1};
    RenderScene m_scene;
};

} // namespace

TEST_F(SceneRendererTest, ReportsTheContext)
{
    EXPECT_FALSE(m_renderer.glDescription().empty());
    std::printf("GL: %s\n", m_renderer.glDescription().c_str());
}

TEST_F(SceneRendererTest, ANodeShowsInItsColourWhereTheCameraPutsIt)
{
    const glm::vec3 where {3, 2, 0};
    addNode(m_doc, {where.x, where.y, where.z}, Red, 1.5);
    m_scene.rebuild(m_doc);
    const QImage image = draw();
    EXPECT_EQ(m_renderer.stats().drawCalls, 1);

    const glm::vec2 centre = pixelOf(where);
    EXPECT_GT(centre.x, Size / 2 + 10) << "right of the middle";
    EXPECT_LT(centre.y, Size / 2 - 10) << "above the middle";
    EXPECT_TRUE(isRedish(at(image, centre))) << describe(at(image, centre));
    EXPECT_TRUE(isBackground(image.pixelColor(2, 2))) << describe(image.pixelColor(2, 2));
    EXPECT_TRUE(isBackground(image.pixelColor(Size - 3, Size - 3)));
    EXPECT_TRUE(isBackground(at(image, pixelOf({-3, -2, 0})))) << "nothing at the mirror place";
    // The silhouette is a disc of the projected radius: inside at 80 %, outside at 120 %.
    const float radiusPx = pixelOf(where + glm::vec3(1.5f, 0, 0)).x - centre.x;
    EXPECT_TRUE(isRedish(at(image, centre + glm::vec2(0.8f * radiusPx, 0))));
    EXPECT_TRUE(isBackground(at(image, centre + glm::vec2(1.2f * radiusPx, 0))));
    EXPECT_TRUE(isBackground(at(image, centre + glm::vec2(0.75f * radiusPx, 0.75f * radiusPx))))
        << "a disc, not the square impostor";
}

TEST_F(SceneRendererTest, ANearNodeHidesAFarOneWhateverTheOrder)
{
    // The far, larger green node is drawn after the red one (id order): only depth keeps
    // it behind.
    addNode(m_doc, {0, 0, 2}, Red, 1.0);
    addNode(m_doc, {0, 0, -4}, Green, 2.0);
    m_scene.rebuild(m_doc);
    const QImage image = draw();
    const glm::vec2 centre = pixelOf({0, 0, 2});
    EXPECT_TRUE(isRedish(at(image, centre))) << describe(at(image, centre));
    // Green shows around the red disc, where nothing is in front of it.
    const glm::vec2 rim = pixelOf({0, 1.6f, -4});
    EXPECT_TRUE(isGreenish(at(image, rim))) << describe(at(image, rim));
}

TEST_F(SceneRendererTest, IntersectingSpheresCutEachOtherByTrueDepth)
{
    // Two equal spheres overlapping in depth: the impostors' written depth (not the flat
    // quads') decides, so each is in front on its own side.
    addNode(m_doc, {-0.8f, 0, 1.0f}, Red, 1.5);
    addNode(m_doc, {0.8f, 0, -1.0f}, Green, 1.5);
    m_scene.rebuild(m_doc);
    const QImage image = draw();
    EXPECT_TRUE(isRedish(at(image, pixelOf({-0.8f, 0, 1.0f}))));
    EXPECT_TRUE(isGreenish(at(image, pixelOf({1.2f, 0, -1.0f}))));
}

TEST_F(SceneRendererTest, MovingANodeUploadsOneInstanceAndMovesItsPixels)
{
    std::vector<EntityId> ids;
    for (int i = 0; i < 50; ++i) // others, out of the way, so the buffer is not trivial
        ids.push_back(addNode(m_doc, {-8.0f + 0.3f * float(i), -8.0f, 0}, Yellow, 0.1));
    const EntityId red = addNode(m_doc, {-4, 0, 0}, Red, 1.0);
    m_scene.rebuild(m_doc);
    QImage image = draw();
    EXPECT_TRUE(isRedish(at(image, pixelOf({-4, 0, 0}))));
    EXPECT_TRUE(isBackground(at(image, pixelOf({4, 0, 0}))));

    moveNode(m_doc, red, {4, 0, 0});
    m_scene.updateNodes(m_doc, std::span(&red, 1));
    image = draw();
    EXPECT_EQ(m_renderer.stats().nodeBytesUploaded, sizeof(NodeInstance)) << "one instance, not the array";
    EXPECT_EQ(m_renderer.stats().bufferUpdates, 1);
    EXPECT_TRUE(isBackground(at(image, pixelOf({-4, 0, 0})))) << describe(at(image, pixelOf({-4, 0, 0})));
    EXPECT_TRUE(isRedish(at(image, pixelOf({4, 0, 0})))) << describe(at(image, pixelOf({4, 0, 0})));

    // Nothing changed: nothing uploaded, same picture.
    const QImage again = draw();
    EXPECT_EQ(m_renderer.stats().nodeBytesUploaded, 0u);
    EXPECT_EQ(again, image);
}

TEST_F(SceneRendererTest, EdgesAreDrawnBetweenNodesWithArrowheadsWhenDirected)
{
    m_renderer.setEdgeWidth(3.0f);
    const EntityId a = addNode(m_doc, {-6, 3, 0}, Red, 0.5);
    const EntityId b = addNode(m_doc, {6, 3, 0}, Red, 0.5);
    const EntityId c = addNode(m_doc, {-6, -3, 0}, Red, 0.5);
    const EntityId d = addNode(m_doc, {6, -3, 0}, Red, 0.5);
    addEdge(m_doc, a, b, false, Yellow);
    addEdge(m_doc, c, d, true, Green);
    m_scene.rebuild(m_doc);
    const QImage image = draw();
    EXPECT_EQ(m_renderer.stats().drawCalls, 2) << "one for all nodes, one for all edges";

    const QColor mid = at(image, pixelOf({0, 3, 0}));
    EXPECT_GT(mid.red(), 200);
    EXPECT_GT(mid.green(), 200);
    EXPECT_LT(mid.blue(), 60);
    EXPECT_TRUE(isGreenish(at(image, pixelOf({0, -3, 0}))));
    EXPECT_TRUE(isBackground(at(image, pixelOf({0, 0, 0}))));

    // Three pixels off the line, eleven before the target's surface: inside the 12-pixel
    // arrowhead of the directed edge (4.4 pixels wide there on each side), outside the
    // 3-pixel line of the undirected one.
    const glm::vec2 nearB = pixelOf({5.5f, 3, 0}) + glm::vec2(-11, 3);
    const glm::vec2 nearD = pixelOf({5.5f, -3, 0}) + glm::vec2(-11, 3);
    EXPECT_TRUE(isBackground(at(image, nearB))) << describe(at(image, nearB));
    EXPECT_TRUE(isGreenish(at(image, nearD))) << describe(at(image, nearD));
}

// Large graphs draw thin edges as lines (the level of detail of setEdgeLinesFrom): forced
// here for four nodes. The bodies show along the line, the directed edge keeps its
// arrowhead, and the line stops where the arrowhead starts.
TEST_F(SceneRendererTest, ThinEdgesOfALargeGraphAreLinesWithTheirArrowheads)
{
    m_renderer.setEdgeLinesFrom(0);
    const EntityId a = addNode(m_doc, {-6, 3, 0}, Red, 0.5);
    const EntityId b = addNode(m_doc, {6, 3, 0}, Red, 0.5);
    const EntityId c = addNode(m_doc, {-6, -3, 0}, Red, 0.5);
    const EntityId d = addNode(m_doc, {6, -3, 0}, Red, 0.5);
    addEdge(m_doc, a, b, false, Yellow);
    addEdge(m_doc, c, d, true, Green);
    m_scene.rebuild(m_doc);
    const QImage image = draw();
    EXPECT_TRUE(m_renderer.stats().edgesAsLines);
    EXPECT_EQ(m_renderer.stats().drawCalls, 3) << "nodes, edge lines, arrowheads";

    // Somewhere within a pixel of the middle of each line, its colour.
    auto near = [&](glm::vec2 p, auto test) {
        for (int dy = -1; dy <= 1; ++dy)
            if (test(at(image, p + glm::vec2(0, dy))))
                return true;
        return false;
    };
    EXPECT_TRUE(near(pixelOf({0, 3, 0}), [](QColor px) { return px.red() > 200 && px.green() > 200 && px.blue() < 60; }));
    EXPECT_TRUE(near(pixelOf({0, -3, 0}), [&](QColor px) { return isGreenish(px); }));
    EXPECT_TRUE(isBackground(at(image, pixelOf({0, 0, 0}))));
    // Three pixels off the line near the target: inside the directed edge's arrowhead, but
    // beside the undirected edge's one-pixel line.
    const glm::vec2 nearB = pixelOf({5.5f, 3, 0}) + glm::vec2(-11, 3);
    const glm::vec2 nearD = pixelOf({5.5f, -3, 0}) + glm::vec2(-11, 3);
    EXPECT_TRUE(isBackground(at(image, nearB))) << describe(at(image, nearB));
    EXPECT_TRUE(isGreenish(at(image, nearD))) << describe(at(image, nearD));

    // Wider edges stay quads whatever the count.
    m_renderer.setEdgeWidth(3.0f);
    draw();
    EXPECT_FALSE(m_renderer.stats().edgesAsLines);
}

// The lines path draws arrowheads from a copy of the directed edges' instances: moving a
// node re-uploads its edges and the copies of the directed ones among them, and the
// arrowhead goes with the edge; without directed edges there is no arrowhead pass.
TEST_F(SceneRendererTest, ArrowheadsOfLinesFollowTheirEdges)
{
    m_renderer.setEdgeLinesFrom(0);
    const EntityId a = addNode(m_doc, {-6, 3, 0}, Red, 0.5);
    const EntityId b = addNode(m_doc, {6, 3, 0}, Red, 0.5);
    const EntityId c = addNode(m_doc, {-6, -3, 0}, Red, 0.5);
    addEdge(m_doc, a, b, false, Yellow);
    m_scene.rebuild(m_doc);
    draw();
    EXPECT_EQ(m_renderer.stats().drawCalls, 2) << "nodes and edge lines; no directed edge, no arrowheads";

    // A directed edge from c to a node d; then d moves up: the arrowhead is drawn at its new place.
    const EntityId d = addNode(m_doc, {6, -3, 0}, Red, 0.5);
    addEdge(m_doc, c, d, true, Green);
    m_scene.rebuild(m_doc);
    QImage image = draw();
    EXPECT_EQ(m_renderer.stats().drawCalls, 3);
    const glm::vec2 before = pixelOf({5.5f, -3, 0}) + glm::vec2(-11, 3);
    EXPECT_TRUE(isGreenish(at(image, before))) << describe(at(image, before));

    moveNode(m_doc, d, {6, -1, 0});
    m_scene.updateNodes(m_doc, std::span(&d, 1));
    image = draw();
    EXPECT_EQ(m_renderer.stats().edgeBytesUploaded, 2 * sizeof(EdgeInstance)) << "the edge and its arrowhead's copy";
    EXPECT_EQ(m_renderer.stats().lineBytesUploaded, 32u) << "the edge's two line vertices, 16 bytes each";
    EXPECT_TRUE(isBackground(at(image, before))) << describe(at(image, before));
    // The arrowhead of the edge from (-6, -3) to (6, -1), a little before its tip, on the line.
    const glm::vec2 tip = pixelOf({5.5f, -1.0f - 2.0f / 12.0f * 0.5f, 0});
    const glm::vec2 back = pixelOf({-6, -3, 0});
    const glm::vec2 along = glm::normalize(tip - back);
    const glm::vec2 inside = tip - along * 6.0f;
    EXPECT_TRUE(isGreenish(at(image, inside))) << describe(at(image, inside));
}

// The headset case: two views side by side in one framebuffer, each clearing and
// drawing only its own half.
TEST_F(SceneRendererTest, TwoViewsShareOneFramebuffer)
{
    addNode(m_doc, {0, 0, 0}, Red, 2.0);
    m_scene.rebuild(m_doc);
    m_renderer.upload(m_scene);
    RenderTarget left = m_target.target();
    left.width = Size / 2;
    RenderTarget right = left;
    right.x = Size / 2;
    const View eye = m_camera.view(0.5f);
    m_renderer.render(eye, left);
    m_renderer.setBackground(0x0000ffff);
    m_renderer.render(eye, right);
    const QImage image = m_target.image();
    EXPECT_TRUE(isRedish(image.pixelColor(Size / 4, Size / 2)));
    EXPECT_TRUE(isRedish(image.pixelColor(3 * Size / 4, Size / 2)));
    EXPECT_TRUE(isBackground(image.pixelColor(2, 2))) << "the left half kept its own clear colour";
    EXPECT_EQ(image.pixelColor(Size - 3, 2), QColor(0, 0, 255));
}

// Overlays: outlines, avatars, transient positions.

namespace {
constexpr Rgba Magenta = 0xff00ffff;
constexpr Rgba Cyan = 0x00ffffff;

bool isColour(QColor c, Rgba expected, int tolerance = 12)
{
    return std::abs(c.red() - int((expected >> 24) & 0xff)) <= tolerance
        && std::abs(c.green() - int((expected >> 16) & 0xff)) <= tolerance
        && std::abs(c.blue() - int((expected >> 8) & 0xff)) <= tolerance;
}
bool isBluish(QColor c)
{
    return c.blue() > 150 && c.red() < 80 && c.green() < 120;
}
} // namespace

class OverlayTest : public SceneRendererTest {
protected:
    /// How far from the centre's pixel, along `direction`, the sphere's silhouette is: the
    /// pixel whose ray passes at `radius` from the centre (an ellipse off the view axis).
    float silhouettePixels(glm::vec3 centre, float radius, glm::vec2 direction) const
    {
        float inside = 0.0f, outside = 4.0f * Size;
        for (int i = 0; i < 40; ++i) {
            const float mid = 0.5f * (inside + outside);
            const Ray ray = view().rayThroughPixel(pixelOf(centre) + mid * direction, {Size, Size});
            const glm::vec3 oc = centre - ray.origin;
            const float gap = glm::length(oc - glm::dot(oc, ray.direction) * ray.direction);
            (gap < radius ? inside : outside) = mid;
        }
        return inside;
    }
    float radiusPixels(glm::vec3 centre, float radius) const { return silhouettePixels(centre, radius, {1, 0}); }
    /// Pixels `outside` pixels out of the silhouette, in four directions.
    std::vector<QColor> around(const QImage& image, glm::vec3 centre, float radius, float outside) const
    {
        std::vector<QColor> out;
        for (const glm::vec2 d : {glm::vec2(1, 0), glm::vec2(-1, 0), glm::vec2(0, 1), glm::vec2(0, -1)})
            out.push_back(at(image, pixelOf(centre) + (silhouettePixels(centre, radius, d) + outside) * d));
        return out;
    }
};

TEST_F(OverlayTest, ASelectedNodeIsRingedInTheSelectionColour)
{
    const glm::vec3 where {-4, 0, 0};
    const EntityId a = addNode(m_doc, {where.x, where.y, where.z}, Red, 2.0);
    addNode(m_doc, {5, 0, 0}, Red, 2.0);
    m_scene.rebuild(m_doc);

    QImage image = draw();
    for (const QColor c : around(image, where, 2.0f, 1.5f))
        EXPECT_TRUE(isBackground(c)) << "no ring when nothing is selected: " << describe(c);
    EXPECT_EQ(m_renderer.stats().drawCalls, 1);

    Highlights h;
    h.selected = {a};
    m_renderer.setHighlights(h);
    image = draw();
    EXPECT_EQ(m_renderer.stats().drawCalls, 2) << "nodes, then one call for the rings";
    for (const QColor c : around(image, where, 2.0f, 1.5f))
        EXPECT_TRUE(isColour(c, h.selectedColor)) << describe(c);
    for (const QColor c : around(image, where, 2.0f, 6.0f))
        EXPECT_TRUE(isBackground(c)) << "the ring is a few pixels wide: " << describe(c);
    EXPECT_TRUE(isRedish(at(image, pixelOf(where)))) << "the node itself is not covered";
    for (const QColor c : around(image, {5, 0, 0}, 2.0f, 1.5f))
        EXPECT_TRUE(isBackground(c)) << "the other node is not ringed: " << describe(c);

    // Hover is a ring of its own colour.
    h.selected.clear();
    h.hoveredNode = a;
    m_renderer.setHighlights(h);
    image = draw();
    for (const QColor c : around(image, where, 2.0f, 1.5f))
        EXPECT_TRUE(isColour(c, h.hoveredColor)) << describe(c);

    m_renderer.setHighlights({});
    image = draw();
    for (const QColor c : around(image, where, 2.0f, 1.5f))
        EXPECT_TRUE(isBackground(c)) << describe(c);
}

TEST_F(OverlayTest, RemoteSelectionsAreRingedInTheirUsersColoursOutsideTheLocalOne)
{
    const EntityId a = addNode(m_doc, {-4, 0, 0}, Red, 2.0);
    const EntityId b = addNode(m_doc, {5, 0, 0}, Red, 2.0);
    m_scene.rebuild(m_doc);
    Highlights h;
    h.selected = {a};
    h.remote = {{Magenta, {a, b}}, {Cyan, {b}}};
    m_renderer.setHighlights(h);
    const QImage image = draw();
    EXPECT_EQ(m_renderer.stats().drawCalls, 2) << "all rings in one call";
    // a: local selection innermost, then the magenta user.
    for (const QColor c : around(image, {-4, 0, 0}, 2.0f, 1.5f))
        EXPECT_TRUE(isColour(c, h.selectedColor)) << describe(c);
    for (const QColor c : around(image, {-4, 0, 0}, 2.0f, 4.5f))
        EXPECT_TRUE(isColour(c, Magenta)) << describe(c);
    // b: magenta, then cyan.
    for (const QColor c : around(image, {5, 0, 0}, 2.0f, 1.5f))
        EXPECT_TRUE(isColour(c, Magenta)) << describe(c);
    for (const QColor c : around(image, {5, 0, 0}, 2.0f, 4.5f))
        EXPECT_TRUE(isColour(c, Cyan)) << describe(c);
    for (const QColor c : around(image, {5, 0, 0}, 2.0f, 8.0f))
        EXPECT_TRUE(isBackground(c)) << describe(c);
}

TEST_F(OverlayTest, OutlinesFollowMovedAndOverriddenNodes)
{
    const EntityId a = addNode(m_doc, {-4, 0, 0}, Red, 1.5);
    m_scene.rebuild(m_doc);
    Highlights h;
    h.selected = {a};
    m_renderer.setHighlights(h);
    QImage image = draw();
    EXPECT_TRUE(isColour(around(image, {-4, 0, 0}, 1.5f, 1.5f)[0], h.selectedColor));

    moveNode(m_doc, a, {4, 3, 0});
    m_scene.updateNodes(m_doc, std::span(&a, 1));
    image = draw();
    EXPECT_TRUE(isBackground(around(image, {-4, 0, 0}, 1.5f, 1.5f)[0]));
    for (const QColor c : around(image, {4, 3, 0}, 1.5f, 1.5f))
        EXPECT_TRUE(isColour(c, h.selectedColor)) << describe(c);

    const std::pair<EntityId, glm::vec3> live {a, {-3, -4, 0}};
    m_scene.overridePositions(std::span(&live, 1));
    image = draw();
    for (const QColor c : around(image, {-3, -4, 0}, 1.5f, 1.5f))
        EXPECT_TRUE(isColour(c, h.selectedColor)) << describe(c);
}

TEST_F(OverlayTest, SelectedAndHoveredEdgesAreDrawnWiderInTheirHighlightColour)
{
    const EntityId a = addNode(m_doc, {-6, 3, 0}, Red, 0.5);
    const EntityId b = addNode(m_doc, {6, 3, 0}, Red, 0.5);
    const EntityId c = addNode(m_doc, {-6, -3, 0}, Red, 0.5);
    const EntityId d = addNode(m_doc, {6, -3, 0}, Red, 0.5);
    const EntityId top = addEdge(m_doc, a, b, false, Green);
    const EntityId bottom = addEdge(m_doc, c, d, true, Green);
    m_scene.rebuild(m_doc);
    Highlights h;
    h.selected = {top};
    h.hoveredEdge = bottom;
    m_renderer.setHighlights(h);
    const QImage image = draw();
    EXPECT_EQ(m_renderer.stats().drawCalls, 3) << "nodes, edges, highlighted edges";
    for (const glm::vec3 p : {glm::vec3(0, 3, 0), glm::vec3(-3, 3, 0)}) {
        EXPECT_TRUE(isColour(at(image, pixelOf(p)), h.selectedColor)) << describe(at(image, pixelOf(p)));
        // Two pixels off the line: outside a 1.5-pixel edge, inside a 5-pixel one.
        EXPECT_TRUE(isColour(at(image, pixelOf(p) + glm::vec2(0, 2)), h.selectedColor));
        EXPECT_TRUE(isBackground(at(image, pixelOf(p) + glm::vec2(0, 5))));
    }
    EXPECT_TRUE(isColour(at(image, pixelOf({0, -3, 0})), h.hoveredColor));
    EXPECT_TRUE(isColour(at(image, pixelOf({0, -3, 0}) + glm::vec2(0, -2)), h.hoveredColor));
}

TEST_F(OverlayTest, ARemoteCursorIsASphereInItsUsersColour)
{
    addNode(m_doc, {-5, -5, 0}, Red, 1.0);
    m_scene.rebuild(m_doc);
    Avatar desktop;
    desktop.color = Cyan;
    desktop.cursor = glm::vec3(4, 3, 0);
    desktop.scale = 4.0f; // radius 1
    m_renderer.setAvatars({desktop});
    QImage image = draw();
    EXPECT_EQ(m_renderer.stats().drawCalls, 2);
    const QColor centre = at(image, pixelOf({4, 3, 0}));
    EXPECT_TRUE(centre.green() > 150 && centre.blue() > 150 && centre.red() < 80) << describe(centre);
    EXPECT_TRUE(isBackground(at(image, pixelOf({4, 3, 0}) + glm::vec2(1.3f * radiusPixels({4, 3, 0}, 1.0f), 0))));
    EXPECT_TRUE(isBackground(at(image, pixelOf({-4, 3, 0})))) << "nothing at the mirror place";
    ASSERT_TRUE(desktop.nameplateAnchor());
    EXPECT_GT(desktop.nameplateAnchor()->y, 4.0f) << "the nameplate is above the cursor";

    m_renderer.setAvatars({});
    image = draw();
    EXPECT_TRUE(isBackground(at(image, pixelOf({4, 3, 0}))));
    EXPECT_EQ(m_renderer.stats().drawCalls, 1);
}

TEST_F(OverlayTest, AVrAvatarHasARedLeftHandAndABlueRightHand)
{
    m_scene.rebuild(m_doc); // an empty document: only the avatar
    Avatar vr;
    vr.color = Green;
    vr.scale = 10.0f; // head radius 1.2, hands 0.45
    // Facing the camera (which looks down -z from +z): its left hand is on the screen's right.
    const glm::quat facingPlusZ = glm::angleAxis(glm::pi<float>(), glm::vec3(0, 1, 0));
    vr.head = Avatar::Pose {{0, 3, 0}, facingPlusZ};
    vr.leftHand = Avatar::Pose {{4, -2, 0}, facingPlusZ};
    vr.rightHand = Avatar::Pose {{-4, -2, 0}, facingPlusZ};
    m_renderer.setAvatars({vr});
    const QImage image = draw();
    EXPECT_EQ(m_renderer.stats().drawCalls, 1) << "one call for all avatar spheres";
    const QColor left = at(image, pixelOf({4, -2, 0}));
    const QColor right = at(image, pixelOf({-4, -2, 0}));
    EXPECT_TRUE(isRedish(left)) << describe(left);
    EXPECT_TRUE(isBluish(right)) << describe(right);
    // The visor faces the camera: dark in the middle of the head, the user's colour around.
    const QColor visor = at(image, pixelOf({0, 3, 0}));
    EXPECT_LT(visor.green(), 60) << describe(visor);
    EXPECT_TRUE(isGreenish(at(image, pixelOf({0, 3 + 1.0f, 0})))) << describe(at(image, pixelOf({0, 4, 0})));
    // The pointers taper towards the camera (the hands point at it): still the hand colour.
    EXPECT_TRUE(isRedish(at(image, pixelOf({4, -2, 0.8f}))));
}

TEST_F(OverlayTest, AnOverrideMovesTheNodesPixelsWithoutTouchingTheDocument)
{
    const EntityId a = addNode(m_doc, {-4, 0, 0}, Red, 1.0);
    const EntityId b = addNode(m_doc, {4, -4, 0}, Green, 0.5);
    addEdge(m_doc, a, b, false, Yellow);
    m_scene.rebuild(m_doc);
    QImage image = draw();
    EXPECT_TRUE(isRedish(at(image, pixelOf({-4, 0, 0}))));

    const std::pair<EntityId, glm::vec3> live {a, {4, 4, 0}};
    m_scene.overridePositions(std::span(&live, 1));
    image = draw();
    EXPECT_TRUE(isBackground(at(image, pixelOf({-4, 0, 0})))) << describe(at(image, pixelOf({-4, 0, 0})));
    EXPECT_TRUE(isRedish(at(image, pixelOf({4, 4, 0}))));
    EXPECT_TRUE(isColour(at(image, pixelOf({4, 0, 0})), Yellow, 40)) << "the edge follows";
    EXPECT_TRUE(isBackground(at(image, pixelOf({0, -2, 0})))) << "from its old place no more";
    const Vec3 stored = m_doc.position(*m_doc.entity(a));
    EXPECT_EQ(stored.x, -4.0);
    EXPECT_EQ(stored.y, 0.0);

    // The document's position again.
    m_scene.updateNodes(m_doc, std::span(&a, 1));
    image = draw();
    EXPECT_TRUE(isRedish(at(image, pixelOf({-4, 0, 0}))));
    EXPECT_TRUE(isBackground(at(image, pixelOf({4, 4, 0}))));
}

TEST(OpenGlRenderer, IsNamedAndSoftwareRenderersAreToldApart)
{
    const std::string name = openGlRendererName();
    ASSERT_FALSE(name.empty()) << "no OpenGL 3.3 core context";
    // Under Xvfb there is no GPU: Mesa's llvmpipe draws, and multisampling is left off.
    if (name.find("llvmpipe") != std::string::npos) {
        EXPECT_TRUE(isSoftwareRenderer(name));
    }
    EXPECT_TRUE(isSoftwareRenderer("llvmpipe (LLVM 15.0.6, 256 bits)"));
    EXPECT_TRUE(isSoftwareRenderer("Software Rasterizer"));
    EXPECT_TRUE(isSoftwareRenderer("GDI Generic"));
    EXPECT_FALSE(isSoftwareRenderer("AMD Radeon RX 7900 XTX (radeonsi, navi31, LLVM 15.0.7, DRM 3.54)"));
    EXPECT_FALSE(isSoftwareRenderer("NVIDIA GeForce RTX 4070/PCIe/SSE2"));
    EXPECT_FALSE(isSoftwareRenderer("Mesa Intel(R) UHD Graphics 620 (KBL GT2)"));
}
