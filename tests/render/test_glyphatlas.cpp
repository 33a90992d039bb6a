// GlyphAtlas: real fonts through Qt (a QGuiApplication, no GL): the distance field's sign,
// the metrics, code points beyond Latin-1, and a build on a worker thread.

#include "glyphatlas.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <future>

using namespace constellate::render;

namespace {

const GlyphAtlas& defaultAtlas()
{
    static const GlyphAtlas atlas = GlyphAtlas::build({});
    return atlas;
}

int texel(const GlyphAtlas& atlas, const Glyph& g, float fx, float fy)
{
    const int x = g.atlasRect[0] + int(fx * float(g.atlasRect[2] - 1) + 0.5f);
    const int y = g.atlasRect[1] + int(fy * float(g.atlasRect[3] - 1) + 0.5f);
    return atlas.image().pixelColor(x, y).red();
}

} // namespace

TEST(GlyphAtlas, BuildsLatinWithSaneMetrics)
{
    const GlyphAtlas& atlas = defaultAtlas();
    ASSERT_TRUE(atlas.isValid()) << atlas.error();
    EXPECT_TRUE(atlas.error().empty());
    EXPECT_EQ(atlas.image().format(), QImage::Format_Grayscale8);
    EXPECT_EQ(atlas.image().width(), 1024);
    EXPECT_LE(atlas.image().height(), 1024) << "Latin-1 fits in 1024x1024";
    const GlyphTable& t = atlas.table();
    EXPECT_EQ(t.emPixels, 32.0f);
    EXPECT_GT(t.ascent, 20.0f);
    EXPECT_GT(t.descent, 3.0f);
    for (const char32_t c : { U'A', U'g', U'0', U'\u00e9', U'\u00ff', U'\u2026' }) {
        const Glyph* g = t.find(c);
        ASSERT_NE(g, nullptr) << std::uint32_t(c);
        EXPECT_NE(g, &t.fallbackGlyph()) << std::uint32_t(c);
        EXPECT_GT(g->advance, 8.0f);
        EXPECT_LT(g->advance, 40.0f);
        EXPECT_GT(g->size.x, 2.0f * t.spread);
        EXPECT_EQ(g->size.x, float(g->atlasRect[2]));
        EXPECT_EQ(g->size.y, float(g->atlasRect[3]));
        EXPECT_LE(g->atlasRect[0] + g->atlasRect[2], atlas.image().width());
        EXPECT_LE(g->atlasRect[1] + g->atlasRect[3], atlas.image().height());
        if (c != U'\u2026') { // the ellipsis' dots sit on the baseline
            EXPECT_LT(g->offset.y, -10.0f - t.spread) << "the quad's top is well above the baseline";
        }
    }
    // 'g' reaches below the baseline, 'A' does not (beyond the spread).
    const Glyph* g = t.find(U'g');
    const Glyph* a = t.find(U'A');
    EXPECT_GT(g->offset.y + g->size.y, t.spread + 3.0f);
    EXPECT_LE(a->offset.y + a->size.y, t.spread + 1.0f);
    // A space is blank: an advance, no quad.
    const Glyph* space = t.find(U' ');
    ASSERT_NE(space, nullptr);
    EXPECT_GT(space->advance, 4.0f);
    EXPECT_EQ(space->size.x, 0.0f);
    EXPECT_EQ(t.find(U'\u65e5'), nullptr) << "not asked for: unknown, so the layout asks for it";
}

TEST(GlyphAtlas, TheFieldIsAboveHalfInsideAndBelowOutside)
{
    const GlyphAtlas& atlas = defaultAtlas();
    ASSERT_TRUE(atlas.isValid()) << atlas.error();
    const GlyphTable& t = atlas.table();
    // 'I' is a bar through its cell's centre; 'O' has a hole there. The bar is about 4
    // pixels wide at 32 pixels: its middle is 2 pixels in, 0.5 + 2 / (2 * 6) of the way.
    const Glyph& bar = *t.find(U'I');
    const Glyph& ring = *t.find(U'O');
    EXPECT_GT(texel(atlas, bar, 0.5f, 0.5f), 135);
    EXPECT_LT(texel(atlas, ring, 0.5f, 0.5f), 96);
    // The row through the ring's centre crosses its stroke.
    int stroke = 0;
    for (float f = 0.0f; f <= 0.5f; f += 0.02f)
        stroke = std::max(stroke, texel(atlas, ring, f, 0.5f));
    EXPECT_GT(stroke, 135);
    for (const Glyph* glyph : { &bar, &ring, t.find(U'W'), t.find(U'g') }) {
        // The cell's border is a spread away from the outline: fully outside.
        for (float f = 0.0f; f <= 1.0f; f += 0.1f) {
            EXPECT_LT(texel(atlas, *glyph, f, 0.0f), 40);
            EXPECT_LT(texel(atlas, *glyph, f, 1.0f), 40);
            EXPECT_LT(texel(atlas, *glyph, 0.0f, f), 40);
            EXPECT_LT(texel(atlas, *glyph, 1.0f, f), 40);
        }
    }
    // The field rises steadily from the left border into the bar.
    int last = -1;
    for (float f = 0.0f; f <= 0.5f; f += 0.05f) {
        const int v = texel(atlas, bar, f, 0.5f);
        EXPECT_GE(v, last - 2) << f;
        last = v;
    }
    EXPECT_GT(last, 135) << "inside the bar";
    // Both sides of the edge occur: it is a distance field, not a mask.
    int between = 0;
    for (int x = bar.atlasRect[0]; x < bar.atlasRect[0] + bar.atlasRect[2]; ++x) {
        const int v = atlas.image().pixelColor(x, bar.atlasRect[1] + bar.atlasRect[3] / 2).red();
        between += v > 30 && v < 225;
    }
    EXPECT_GE(between, 4);
}

TEST(GlyphAtlas, CodePointsBeyondLatinAreAddedOnRequest)
{
    const std::vector<char32_t> extra { U'\u0416', U'\u65e5', U'\u672c', U'\U0001F600', U'\u0007' };
    const GlyphAtlas atlas = GlyphAtlas::build({}, extra);
    ASSERT_TRUE(atlas.isValid()) << atlas.error();
    const GlyphTable& t = atlas.table();
    for (const char32_t c : extra)
        EXPECT_NE(t.find(c), nullptr) << std::uint32_t(c) << ": known, if only as the box";
    const Glyph* zhe = t.find(U'\u0416');
    EXPECT_NE(zhe, &t.fallbackGlyph()) << "Cyrillic is in every DejaVu";
    EXPECT_EQ(t.find(U'\u0007'), &t.fallbackGlyph()) << "a control character draws the box";
    EXPECT_GT(t.fallbackGlyph().size.x, 0.0f);
    const std::vector<char32_t> all = t.codePoints();
    EXPECT_NE(std::find(all.begin(), all.end(), U'\u65e5'), all.end());
}

TEST(GlyphAtlas, BuildsOnAWorkerThread)
{
    auto future = std::async(std::launch::async, [] { return GlyphAtlas::build({}); });
    const GlyphAtlas atlas = future.get();
    ASSERT_TRUE(atlas.isValid()) << atlas.error();
    EXPECT_EQ(atlas.image(), defaultAtlas().image()) << "deterministic, whatever the thread";
}

TEST(GlyphAtlas, DecodesUtf8)
{
    EXPECT_EQ(decodeUtf8("a\xc3\xb6\xe6\x97\xa5\xf0\x9f\x98\x80"), U"a\u00f6\u65e5\U0001F600");
    EXPECT_EQ(decodeUtf8("\xff"
                         "a\xc3"),
        U"\ufffda\ufffd");
    EXPECT_EQ(decodeUtf8("\xc0\xaf"), U"\ufffd\ufffd") << "overlong";
    EXPECT_EQ(decodeUtf8("\xed\xa0\x80"), U"\ufffd\ufffd\ufffd") << "a surrogate";
    EXPECT_EQ(decodeUtf8(""), U"");
}
