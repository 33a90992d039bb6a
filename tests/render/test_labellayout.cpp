// LabelLayout without GL or fonts: a hand-made GlyphTable, an orbit camera, and checks on
// which labels are chosen and where their glyphs go.

#include "camera.h"
#include "labellayout.h"

#include <gtest/gtest.h>

#include <algorithm>

using namespace constellate;
using namespace constellate::render;

namespace {

constexpr glm::vec2 Viewport { 800, 600 };

/// Every printable ASCII character: 6 px advance, a 10x14 quad; space is blank. At the
/// labels' 13 px the table's 10 px em is scaled by 1.3.
GlyphTable fakeTable()
{
    GlyphTable t;
    t.emPixels = 10;
    t.ascent = 8;
    t.descent = 2;
    t.spread = 2;
    Glyph box;
    box.advance = 7;
    box.offset = { -1, -9 };
    box.size = { 8, 12 };
    box.atlasRect = { 0, 0, 8, 12 };
    t.glyphs.push_back(box);
    t.fallback = 0;
    Glyph space;
    space.advance = 4;
    t.glyphs.push_back(space);
    t.map(U' ', 1);
    for (char32_t c = 0x21; c < 0x7f; ++c) {
        Glyph g;
        g.advance = 6;
        g.offset = { -2, -10 };
        g.size = { 10, 14 };
        g.atlasRect = { std::uint16_t(10 * (c - 0x20)), 20, 10, 14 };
        t.map(c, std::uint32_t(t.glyphs.size()));
        t.glyphs.push_back(g);
    }
    return t;
}

NodeInstance node(glm::vec3 p, float radius)
{
    NodeInstance n {};
    n.position = p;
    n.radius = radius;
    return n;
}

class LabelLayoutTest : public ::testing::Test {
protected:
    LabelLayoutTest()
    {
        m_camera.setTarget({ 0, 0, 0 });
        m_camera.setDistance(20);
        m_camera.setSceneRadius(15);
        m_input.view = m_camera.view(Viewport.x / Viewport.y);
        m_input.viewport = Viewport;
    }

    const LabelLayout::Result& run()
    {
        m_input.nodes = m_nodes;
        m_input.labels = m_labels;
        m_input.selected = m_selected;
        m_input.textItems = m_items;
        m_layout.layout(m_input, m_table, m_options, m_result);
        return m_result;
    }
    std::uint32_t add(glm::vec3 p, float radius, std::string label)
    {
        m_nodes.push_back(node(p, radius));
        m_labels.push_back(std::move(label));
        return std::uint32_t(m_nodes.size() - 1);
    }
    bool labelled(std::uint32_t i) const
    {
        return std::find(m_result.labelledNodes.begin(), m_result.labelledNodes.end(), i)
            != m_result.labelledNodes.end();
    }

    GlyphTable m_table = fakeTable();
    Camera m_camera;
    LabelOptions m_options;
    LabelLayout m_layout;
    LabelLayout::Input m_input;
    LabelLayout::Result m_result;
    std::vector<NodeInstance> m_nodes;
    std::vector<std::string> m_labels;
    std::vector<std::uint32_t> m_selected;
    std::vector<TextItem> m_items;
};

} // namespace

TEST_F(LabelLayoutTest, OneGlyphPerVisibleCharacterRightOfTheNode)
{
    add({ 0, 0, 0 }, 1.0f, "ab c");
    const auto& r = run();
    ASSERT_EQ(r.labelledNodes, std::vector<std::uint32_t> { 0 });
    ASSERT_EQ(r.glyphs.size(), 3u) << "the space draws nothing";
    const glm::vec3 centre = m_input.view.project({ 0, 0, 0 }, Viewport);
    const float radiusPx = m_input.view.project({ 1, 0, 0 }, Viewport).x - centre.x;
    const float s = 13.0f / 10.0f;
    // The first glyph's quad starts at silhouette + gap + the glyph's own offset.
    EXPECT_NEAR(r.glyphs[0].pixelOffset.x, radiusPx + LabelLayout::GapPixels - 2 * s, 0.5f);
    EXPECT_NEAR(r.glyphs[1].pixelOffset.x - r.glyphs[0].pixelOffset.x, 6 * s, 1e-3f);
    EXPECT_NEAR(r.glyphs[2].pixelOffset.x - r.glyphs[1].pixelOffset.x, (6 + 4) * s, 1e-3f) << "the space advanced";
    // Vertically centred on the node: the line (ascent + descent) spans -6.5 .. 6.5 px.
    EXPECT_NEAR(r.glyphs[0].pixelOffset.y, -0.5f * 10 * s + 8 * s - 10 * s, 1e-3f);
    EXPECT_EQ(r.glyphs[0].pixelSize, glm::vec2(10 * s, 14 * s));
    EXPECT_EQ(r.glyphs[1].atlasRect[0], 10 * ('b' - 0x20));
    EXPECT_EQ(r.glyphs[0].flags, 0u);
    EXPECT_EQ(r.glyphs[0].color[0], 0xe8) << "the default light text colour";
    // The anchor is the sphere's point nearest the eye (camera on +z).
    EXPECT_NEAR(r.glyphs[0].anchor.z, 1.0f, 1e-4f);
    EXPECT_TRUE(r.missing.empty());
}

TEST_F(LabelLayoutTest, TheScaleEnlargesForHighDpi)
{
    add({ 0, 0, 0 }, 1.0f, "a");
    m_options.scale = 2.0f;
    const auto& r = run();
    ASSERT_EQ(r.glyphs.size(), 1u);
    EXPECT_NEAR(r.glyphs[0].pixelSize.x, 26.0f, 1e-4f);
}

TEST_F(LabelLayoutTest, TheGlyphBudgetIsRespected)
{
    // A 10 x 10 grid of far apart nodes with 4-glyph labels: no two overlap.
    for (int y = 0; y < 10; ++y)
        for (int x = 0; x < 10; ++x)
            add({ -10.0f + 2.0f * float(x), -7.0f + 1.5f * float(y), 0 }, 0.2f, "node");
    m_options.glyphBudget = 1000;
    EXPECT_EQ(run().labelledNodes.size(), 100u) << "all fit";
    m_options.glyphBudget = 42;
    const auto& r = run();
    EXPECT_LE(r.glyphs.size(), 42u);
    EXPECT_EQ(r.labelledNodes.size(), 10u);
    m_options.glyphBudget = 3;
    EXPECT_TRUE(run().glyphs.empty()) << "no label is cut in the middle";
}

TEST_F(LabelLayoutTest, SelectedThenHoveredThenLargeAndNear)
{
    const std::uint32_t big = add({ -5, 3, 5 }, 2.0f, "big");
    const std::uint32_t small = add({ 5, -3, -10 }, 0.1f, "far");
    const std::uint32_t hovered = add({ 5, 3, -10 }, 0.1f, "hov");
    m_options.glyphBudget = 3; // one label
    EXPECT_EQ(run().labelledNodes, std::vector<std::uint32_t> { big }) << "the largest on screen";

    m_input.hovered = hovered;
    EXPECT_EQ(run().labelledNodes, std::vector<std::uint32_t> { hovered });

    m_selected = { small };
    EXPECT_EQ(run().labelledNodes, std::vector<std::uint32_t> { small }) << "selection beats hover and size";

    m_options.glyphBudget = 9;
    EXPECT_EQ(run().labelledNodes, (std::vector<std::uint32_t> { small, hovered, big }));
}

TEST_F(LabelLayoutTest, NearerWinsBetweenEqualSizes)
{
    const std::uint32_t farther = add({ -4, 2, -5 }, 1.0f, "far");
    const std::uint32_t nearer = add({ 4, -2, 5 }, 1.0f, "near");
    m_options.glyphBudget = 4;
    EXPECT_EQ(run().labelledNodes, std::vector<std::uint32_t> { nearer });
    (void)farther;
}

TEST_F(LabelLayoutTest, OverlappingLabelsAreDecluttered)
{
    // Two nodes a pixel or two apart on screen: only the larger one's label shows.
    const std::uint32_t a = add({ 0, 0, 0 }, 0.3f, "alpha");
    const std::uint32_t b = add({ 0.05f, 0.05f, 0 }, 0.2f, "beta");
    auto r = run();
    EXPECT_EQ(r.labelledNodes, std::vector<std::uint32_t> { a });
    // Far enough apart vertically: both.
    m_nodes[b].position = { 0, 3, 0 };
    r = run();
    EXPECT_EQ(r.labelledNodes.size(), 2u);
    // A selected node's label wins the place.
    m_nodes[b].position = { 0.05f, 0.05f, 0 };
    m_selected = { b };
    EXPECT_EQ(run().labelledNodes, std::vector<std::uint32_t> { b });
}

TEST_F(LabelLayoutTest, LabelsBehindTheEyeOrOffScreenAreCulled)
{
    const std::uint32_t behind = add({ 0, 0, 30 }, 1.0f, "behind"); // the eye is at z = 20
    const std::uint32_t left = add({ -200, 0, 0 }, 1.0f, "left");
    const std::uint32_t above = add({ 0, 200, 0 }, 1.0f, "above");
    const std::uint32_t visible = add({ 0, 0, 0 }, 1.0f, "seen");
    m_selected = { behind, left, above };
    const auto& r = run();
    EXPECT_EQ(r.labelledNodes, std::vector<std::uint32_t> { visible });
    for (const GlyphInstance& g : r.glyphs)
        EXPECT_LT(g.anchor.z, 20.0f);
}

TEST_F(LabelLayoutTest, EmptyLabelsAndNoViewportDrawNothing)
{
    add({ 0, 0, 0 }, 1.0f, "");
    EXPECT_TRUE(run().glyphs.empty());
    add({ 1, 0, 0 }, 1.0f, "x");
    m_input.viewport = { 0, 0 };
    EXPECT_TRUE(run().glyphs.empty());
}

TEST_F(LabelLayoutTest, NameplatesComeFirstInTheirColourOverEverything)
{
    const std::uint32_t selected = add({ 0, 0, 0 }, 0.5f, "label");
    m_selected = { selected };
    const glm::vec3 nodePixel = m_input.view.project({ 0, 0, 0 }, Viewport);
    TextItem plate;
    plate.text = "Ada";
    plate.color = 0x00ff00ff;
    // Centred where the selected node's label goes: the label must give way.
    plate.anchor = { 0, 0, 0 };
    plate.pixelOffset = { 40.0f, 0.0f };
    m_items = { plate };
    auto r = run();
    EXPECT_EQ(r.textItemsShown, 1u);
    EXPECT_TRUE(r.labelledNodes.empty()) << "the label overlapped the nameplate";
    ASSERT_EQ(r.glyphs.size(), 3u);
    EXPECT_EQ(r.glyphs[0].flags, 1u);
    EXPECT_EQ(r.glyphs[0].color[0], 0);
    EXPECT_EQ(r.glyphs[0].color[1], 0xff);
    // Centred on anchor + offset: 3 advances of 7.8 px wide.
    const float s = 1.3f;
    EXPECT_NEAR(r.glyphs[0].pixelOffset.x, 40.0f - 1.5f * 6 * s - 2 * s, 1e-3f);
    (void)nodePixel;

    // The budget goes to the nameplate first.
    m_items[0].pixelOffset = { 0, -100 };
    m_options.glyphBudget = 5;
    r = run();
    EXPECT_EQ(r.textItemsShown, 1u);
    EXPECT_TRUE(r.labelledNodes.empty()) << "5 glyphs of budget, 3 taken";
    m_options.glyphBudget = 8;
    EXPECT_EQ(run().labelledNodes.size(), 1u);

    // Node labels off (View > Labels): the nameplate stays.
    m_options.nodeLabels = false;
    r = run();
    EXPECT_EQ(r.textItemsShown, 1u);
    EXPECT_TRUE(r.labelledNodes.empty());
    EXPECT_EQ(r.glyphs.size(), 3u);
    m_options.nodeLabels = true;

    // Behind the eye: not shown.
    m_items[0].anchor = { 0, 0, 40 };
    EXPECT_EQ(run().textItemsShown, 0u);
}

TEST_F(LabelLayoutTest, UnknownCodePointsDrawTheFallbackAndAreReported)
{
    add({ 0, 0, 0 }, 1.0f, "a\xc3\xb6\xe6\x97\xa5\xff"); // a, ö, 日, a malformed byte
    const auto& r = run();
    ASSERT_EQ(r.glyphs.size(), 4u);
    EXPECT_EQ(r.glyphs[1].atlasRect[0], 0) << "the fallback box";
    EXPECT_EQ(r.missing, (std::vector<char32_t> { U'\u00f6', U'\u65e5', U'\ufffd' }));
}

TEST_F(LabelLayoutTest, LongLabelsEndInAnEllipsis)
{
    add({ -10, 0, 0 }, 0.1f, std::string(200, 'x'));
    const auto& r = run();
    EXPECT_EQ(r.glyphs.size(), 64u);
    EXPECT_EQ(r.missing, std::vector<char32_t> { U'\u2026' });
}

TEST_F(LabelLayoutTest, ManyNodesStayWithinBudgetAndDoNotOverlap)
{
    for (int i = 0; i < 20000; ++i)
        add({ float(i % 200) * 0.1f - 10.0f, float(i / 200) * 0.1f - 5.0f, float(i % 7) - 3.0f }, 0.05f,
            "n" + std::to_string(i));
    m_options.glyphBudget = 2000;
    const auto& r = run();
    EXPECT_LE(r.glyphs.size(), 2000u);
    EXPECT_GT(r.labelledNodes.size(), 20u);
    EXPECT_LT(r.labelledNodes.size(), 20000u);
}
