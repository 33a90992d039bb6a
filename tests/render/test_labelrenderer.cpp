// Labels in real pixels: SceneRenderer draws offscreen (Mesa llvmpipe under Xvfb) with the
// glyph atlas built from the system font, and we count text-coloured pixels where the
// layout says a label goes.

#include "camera.h"
#include "offscreentarget.h"
#include "rendertestsupport.h"
#include "scenerenderer.h"

#include <QColor>
#include <QImage>
#include <QOpenGLContext>
#include <QOpenGLFunctions>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <thread>

using namespace constellate;
using namespace constellate::render;
using namespace constellate::render::test;

namespace {

constexpr int Size = 256;
constexpr Rgba Background = 0x202020ff;
constexpr Rgba Blue = 0x2040c0ff;

bool isLight(QColor c)
{
    return c.red() > 170 && c.green() > 170 && c.blue() > 170;
}
bool isGreen(QColor c)
{
    return c.green() > 170 && c.red() < 90 && c.blue() < 90;
}

/// Pixels of `image` in [lo, hi) that satisfy `test`.
template <typename Test>
int count(const QImage& image, glm::vec2 lo, glm::vec2 hi, Test test)
{
    int n = 0;
    for (int y = std::max(0, int(lo.y)); y < std::min(image.height(), int(hi.y)); ++y)
        for (int x = std::max(0, int(lo.x)); x < std::min(image.width(), int(hi.x)); ++x)
            n += test(image.pixelColor(x, y)) ? 1 : 0;
    return n;
}

class LabelRendererTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        ASSERT_TRUE(m_target.create(QSize(Size, Size))) << m_target.error();
        ASSERT_TRUE(m_renderer.initialize()) << m_renderer.error();
        m_renderer.waitForLabelAtlas();
        ASSERT_TRUE(m_renderer.labelsReady()) << m_renderer.labelError();
        EXPECT_TRUE(m_renderer.labelError().empty()) << m_renderer.labelError();
        m_renderer.setBackground(Background);
        m_camera.setTarget({ 0, 0, 0 });
        m_camera.setDistance(20);
        m_camera.setSceneRadius(10);
    }

    View view() const { return m_camera.view(1.0f); }
    glm::vec2 pixelOf(glm::vec3 world) const { return glm::vec2(view().project(world, { Size, Size })); }

    QImage draw()
    {
        m_renderer.upload(m_scene);
        m_renderer.render(view(), m_target.target());
        QImage image = m_target.image();
        if (const char* dir = std::getenv("CONSTELLATE_TEST_SNAPSHOTS")) {
            const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
            image.save(QString("%1/%2-%3.png").arg(dir, info->name()).arg(m_snapshot++));
        }
        return image;
    }

    EntityId labelledNode(glm::vec3 where, const char* label, double size = 1.0)
    {
        const EntityId id = addNode(m_doc, { where.x, where.y, where.z }, Blue, size);
        setField(m_doc, id, Field::Label, Value(label));
        return id;
    }

    /// Where a node's label goes: right of its silhouette, a line (about 15 px) high.
    std::pair<glm::vec2, glm::vec2> labelBox(glm::vec3 where, float radius, float width) const
    {
        const glm::vec2 c = pixelOf(where);
        const float r = pixelOf(where + glm::vec3(radius, 0, 0)).x - c.x;
        return { c + glm::vec2(r + 2.0f, -9.0f), c + glm::vec2(r + 6.0f + width, 9.0f) };
    }

    OffscreenTarget m_target;
    SceneRenderer m_renderer;
    Camera m_camera;
    GraphDocument m_doc { 1, 1 };
    RenderScene m_scene;
    int m_snapshot = 0;
};

} // namespace

TEST_F(LabelRendererTest, ANodesLabelShowsLightBesideItAndNotWhenOff)
{
    labelledNode({ -4, 0, 0 }, "Hello");
    m_scene.rebuild(m_doc);
    QImage image = draw();
    EXPECT_EQ(m_renderer.stats().labelsShown, 1u);
    EXPECT_EQ(m_renderer.stats().glyphsDrawn, 5u);
    EXPECT_EQ(m_renderer.stats().drawCalls, 2) << "nodes, then all glyphs in one call";
    const auto [lo, hi] = labelBox({ -4, 0, 0 }, 1.0f, 40.0f);
    const int light = count(image, lo, hi, isLight);
    EXPECT_GT(light, 25) << "text pixels in the label's box";
    EXPECT_EQ(count(image, { 0, 0 }, { Size, lo.y - 2 }, isLight), 0) << "none above it";
    EXPECT_EQ(count(image, { 0, hi.y + 2 }, { Size, Size }, isLight), 0) << "none below it";
    // The halo: dark pixels (darker than the background) around the text.
    const int dark = count(image, lo, hi, [](QColor c) { return c.red() < 0x18 && c.green() < 0x18; });
    EXPECT_GT(dark, 10);

    LabelOptions off;
    off.enabled = false;
    m_renderer.setLabelOptions(off);
    image = draw();
    EXPECT_EQ(count(image, lo, hi, isLight), 0);
    EXPECT_EQ(m_renderer.stats().glyphsDrawn, 0u);
    EXPECT_EQ(m_renderer.stats().drawCalls, 1);

    // Turned on again, renamed meanwhile: the new label, read through updateNodes.
    const EntityId id = m_scene.nodeIds()[0];
    setField(m_doc, id, Field::Label, Value("Hi"));
    m_scene.updateNodes(m_doc, std::span(&id, 1));
    m_renderer.upload(m_scene);
    m_renderer.setLabelOptions(LabelOptions {});
    image = draw();
    EXPECT_EQ(m_renderer.stats().glyphsDrawn, 2u);
    EXPECT_GT(count(image, lo, hi, isLight), 8);
}

TEST_F(LabelRendererTest, LabelsFollowIncrementalUpdates)
{
    const EntityId id = labelledNode({ -4, 3, 0 }, "Moved");
    m_scene.rebuild(m_doc);
    QImage image = draw();
    const auto [lo, hi] = labelBox({ -4, 3, 0 }, 1.0f, 40.0f);
    EXPECT_GT(count(image, lo, hi, isLight), 25);

    moveNode(m_doc, id, { -4, -5, 0 });
    m_scene.updateNodes(m_doc, std::span(&id, 1));
    image = draw();
    EXPECT_EQ(count(image, lo, hi, isLight), 0) << "gone from the old place";
    const auto [lo2, hi2] = labelBox({ -4, -5, 0 }, 1.0f, 40.0f);
    EXPECT_GT(count(image, lo2, hi2, isLight), 25);
}

TEST_F(LabelRendererTest, ANodeInFrontHidesALabel)
{
    labelledNode({ -4, 0, 0 }, "Hidden");
    m_scene.rebuild(m_doc);
    const auto [lo, hi] = labelBox({ -4, 0, 0 }, 1.0f, 40.0f);
    ASSERT_GT(count(draw(), lo, hi, isLight), 25);
    // A big sphere nearer the eye, over the label's box.
    addNode(m_doc, { -1.0f, 0, 6 }, 0x802020ff, 1.6);
    m_scene.rebuild(m_doc);
    EXPECT_EQ(count(draw(), lo, hi, isLight), 0);
    EXPECT_EQ(m_renderer.stats().labelsShown, 1u) << "laid out, and hidden by depth";
}

TEST_F(LabelRendererTest, ANameplateShowsInItsColourOverTheScene)
{
    TextItem plate;
    plate.anchor = { 2, -4, 0 };
    plate.text = "Ada";
    plate.color = 0x20ff20ff;
    m_renderer.setTextItems({ plate });
    // A node in front of the nameplate's place: the nameplate is drawn over it.
    addNode(m_doc, { 2, -4, 5 }, 0x802020ff, 1.0);
    m_scene.rebuild(m_doc);
    QImage image = draw();
    const glm::vec2 at = pixelOf(plate.anchor);
    EXPECT_EQ(m_renderer.stats().labelsShown, 1u);
    EXPECT_GT(count(image, at - glm::vec2(20, 8), at + glm::vec2(20, 8), isGreen), 15);
    EXPECT_EQ(count(image, { 0, 0 }, { Size, Size }, isLight), 0) << "no node labels: none set";

    m_renderer.setTextItems({});
    image = draw();
    EXPECT_EQ(count(image, at - glm::vec2(20, 8), at + glm::vec2(20, 8), isGreen), 0);
}

TEST_F(LabelRendererTest, CodePointsBeyondTheAtlasAreAddedAndDrawn)
{
    labelledNode({ -4, 0, 0 }, "\xd0\x96\xd0\x96 \xe6\x97\xa5\xe6\x9c\xac"); // ЖЖ 日本
    m_scene.rebuild(m_doc);
    draw();
    EXPECT_EQ(m_renderer.stats().labelsShown, 1u) << "boxes meanwhile";
    EXPECT_EQ(m_renderer.stats().glyphsDrawn, 4u);
    EXPECT_FALSE(m_renderer.lastLabelLayout().missing.empty());
    m_renderer.waitForLabelAtlas(); // the rebuild the frame asked for
    const QImage image = draw();
    EXPECT_TRUE(m_renderer.lastLabelLayout().missing.empty());
    EXPECT_EQ(m_renderer.stats().glyphsDrawn, 4u);
    const auto [lo, hi] = labelBox({ -4, 0, 0 }, 1.0f, 60.0f);
    EXPECT_GT(count(image, lo, hi, isLight), 25);
}

TEST_F(LabelRendererTest, AHighlightedLabelWinsTheBudget)
{
    const EntityId far = labelledNode({ 3, -3, -8 }, "Far", 0.3);
    labelledNode({ -4, 2, 4 }, "Near", 1.5);
    m_scene.rebuild(m_doc);
    LabelOptions one;
    one.glyphBudget = 4;
    m_renderer.setLabelOptions(one);
    draw();
    ASSERT_EQ(m_renderer.lastLabelLayout().labelledNodes.size(), 1u);
    EXPECT_EQ(m_renderer.lastLabelLayout().labelledNodes[0], 1u);
    m_renderer.setLabelHighlights({ { far }, {} });
    draw();
    ASSERT_EQ(m_renderer.lastLabelLayout().labelledNodes.size(), 1u);
    EXPECT_EQ(m_renderer.lastLabelLayout().labelledNodes[0], 0u);
}

TEST_F(LabelRendererTest, TheAtlasReadyCallbackComesWhenTheNextFrameCanUseIt)
{
    SceneRenderer other;
    std::atomic<int> calls { 0 };
    other.setLabelAtlasReadyCallback([&] { ++calls; });
    ASSERT_TRUE(other.initialize()) << other.error();
    for (int i = 0; i < 6000 && calls == 0; ++i) // a bounded wait, not a timing check
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    ASSERT_EQ(calls, 1);
    EXPECT_FALSE(other.labelsReady()) << "swapped in by a frame, on the GL thread";
    labelledNode({ -4, 0, 0 }, "Ready");
    m_scene.rebuild(m_doc);
    other.upload(m_scene);
    other.render(view(), m_target.target());
    EXPECT_TRUE(other.labelsReady());
    EXPECT_EQ(other.stats().labelsShown, 1u);
}
