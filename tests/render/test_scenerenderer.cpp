// Pixel tests: the renderer draws into an offscreen framebuffer (Mesa llvmpipe under Xvfb
// in CI) and we read colours back where the camera maths says things are.

#include "camera.h"
#include "offscreentarget.h"
#include "rendertestsupport.h"
#include "scenerenderer.h"

#include <QColor>
#include <QImage>

#include <gtest/gtest.h>

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
