#include "glyphatlas.h"

#include <QFontDatabase>
#include <QPainter>
#include <QPainterPath>
#include <QRawFont>
#include <QTextLayout>

#include <algorithm>
#include <cmath>
#include <limits>
#include <unordered_set>

namespace constellate::render {

void GlyphTable::map(char32_t codePoint, std::uint32_t index)
{
    if (codePoint < m_latin.size())
        m_latin[codePoint] = std::int32_t(index);
    else
        m_others[codePoint] = index;
}

std::vector<char32_t> GlyphTable::codePoints() const
{
    std::vector<char32_t> out;
    for (std::size_t c = 0; c < m_latin.size(); ++c)
        if (m_latin[c] >= 0)
            out.push_back(char32_t(c));
    for (const auto& [c, index] : m_others)
        out.push_back(c);
    return out;
}

std::u32string decodeUtf8(std::string_view text)
{
    std::u32string out;
    decodeUtf8(text, out);
    return out;
}

void decodeUtf8(std::string_view text, std::u32string& out)
{
    out.clear();
    const auto* s = reinterpret_cast<const unsigned char*>(text.data());
    const std::size_t n = text.size();
    for (std::size_t i = 0; i < n;) {
        const unsigned char b = s[i];
        int length = b < 0x80 ? 1 : (b >> 5) == 0x6 ? 2 : (b >> 4) == 0xe ? 3 : (b >> 3) == 0x1e ? 4 : 0;
        if (length == 0 || i + std::size_t(length) > n) {
            out.push_back(U'\uFFFD');
            ++i;
            continue;
        }
        char32_t c = length == 1 ? b : b & (0x7f >> length);
        bool ok = true;
        for (int k = 1; k < length; ++k) {
            const unsigned char t = s[i + std::size_t(k)];
            ok = ok && (t & 0xc0) == 0x80;
            c = (c << 6) | (t & 0x3f);
        }
        // Overlong forms, surrogates and values past U+10FFFF are malformed too.
        static constexpr char32_t minimum[5] = { 0, 0, 0x80, 0x800, 0x10000 };
        if (!ok || c < minimum[length] || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) {
            out.push_back(U'\uFFFD');
            ++i;
            continue;
        }
        out.push_back(c);
        i += std::size_t(length);
    }
}

namespace {

/// Squared Euclidean distance transform of one line (Felzenszwalb and Huttenlocher):
/// d[q] = min over p of (q - p)^2 + f[p].
void distanceTransform1d(const float* f, float* d, int n, int* v, float* z)
{
    int k = 0;
    v[0] = 0;
    z[0] = -std::numeric_limits<float>::infinity();
    z[1] = std::numeric_limits<float>::infinity();
    auto intersection = [&](int q, int p) {
        return ((f[q] + float(q) * float(q)) - (f[p] + float(p) * float(p))) / float(2 * q - 2 * p);
    };
    for (int q = 1; q < n; ++q) {
        float s = intersection(q, v[k]);
        while (s <= z[k]) { // z[0] is -infinity: k never goes below 0
            --k;
            s = intersection(q, v[k]);
        }
        ++k;
        v[k] = q;
        z[k] = s;
        z[k + 1] = std::numeric_limits<float>::infinity();
    }
    k = 0;
    for (int q = 0; q < n; ++q) {
        while (z[k + 1] < float(q))
            ++k;
        const float dq = float(q - v[k]);
        d[q] = dq * dq + f[v[k]];
    }
}

/// Squared distance from each pixel to the nearest pixel where `target` holds.
std::vector<float> squaredDistanceTo(const std::vector<std::uint8_t>& inside, int w, int h, bool target)
{
    constexpr float far = 1e20f;
    std::vector<float> grid(std::size_t(w) * std::size_t(h));
    for (std::size_t i = 0; i < grid.size(); ++i)
        grid[i] = (inside[i] != 0) == target ? 0.0f : far;
    const auto n = std::size_t(std::max(w, h));
    std::vector<float> f(n), d(n), z(n + 1);
    std::vector<int> v(n);
    for (int x = 0; x < w; ++x) {
        for (int y = 0; y < h; ++y)
            f[std::size_t(y)] = grid[std::size_t(y) * std::size_t(w) + std::size_t(x)];
        distanceTransform1d(f.data(), d.data(), h, v.data(), z.data());
        for (int y = 0; y < h; ++y)
            grid[std::size_t(y) * std::size_t(w) + std::size_t(x)] = d[std::size_t(y)];
    }
    for (int y = 0; y < h; ++y) {
        float* row = grid.data() + std::size_t(y) * std::size_t(w);
        std::copy(row, row + w, f.begin());
        distanceTransform1d(f.data(), row, w, v.data(), z.data());
    }
    return grid;
}

struct Pending {
    std::vector<char32_t> codePoints; // several when they share a glyph (the fallback)
    QPainterPath path;
    float advance = 0.0f;
    int x0 = 0, y0 = 0, w = 0, h = 0; // the cell, relative to the pen, in atlas pixels
    int atlasX = -1, atlasY = -1;
};

/// The outline of a code point and its advance, from the primary font or, failing that,
/// from whichever installed font Qt's font merging picks. False: no font has it.
bool outline(char32_t c, const QFont& font, const QRawFont& primary, QPainterPath& path, float& advance)
{
    auto fromRaw = [&](const QRawFont& raw, quint32 index) {
        if (index == 0)
            return false;
        const QList<QPointF> advances = raw.advancesForGlyphIndexes(QList<quint32> { index });
        advance = advances.isEmpty() ? 0.0f : float(advances.front().x());
        path = raw.pathForGlyph(index);
        return true;
    };
    const QString text = QString::fromUcs4(&c, 1);
    if (primary.supportsCharacter(uint(c))) {
        const QList<quint32> indexes = primary.glyphIndexesForString(text);
        if (indexes.size() == 1 && fromRaw(primary, indexes.front()))
            return true;
    }
    QTextLayout layout(text, font);
    layout.beginLayout();
    layout.createLine();
    layout.endLayout();
    const QList<QGlyphRun> runs = layout.glyphRuns();
    if (runs.size() != 1 || runs.front().glyphIndexes().size() != 1)
        return false;
    return fromRaw(runs.front().rawFont(), runs.front().glyphIndexes().front());
}

void rasterize(const Pending& glyph, int spread, int supersample, QImage& atlas)
{
    const int S = supersample;
    const int hw = glyph.w * S, hh = glyph.h * S;
    QImage hi(hw, hh, QImage::Format_Grayscale8);
    hi.fill(0);
    {
        QPainter painter(&hi);
        painter.setRenderHint(QPainter::Antialiasing);
        painter.scale(S, S);
        painter.translate(-glyph.x0, -glyph.y0);
        painter.fillPath(glyph.path, Qt::white);
    }
    std::vector<std::uint8_t> inside(std::size_t(hw) * std::size_t(hh));
    for (int y = 0; y < hh; ++y) {
        const uchar* row = hi.constScanLine(y);
        for (int x = 0; x < hw; ++x)
            inside[std::size_t(y) * std::size_t(hw) + std::size_t(x)] = row[x] >= 128;
    }
    const std::vector<float> toInside = squaredDistanceTo(inside, hw, hh, true);
    const std::vector<float> toOutside = squaredDistanceTo(inside, hw, hh, false);
    auto signedDistance = [&](int x, int y) {
        const std::size_t i = std::size_t(y) * std::size_t(hw) + std::size_t(x);
        // Between a pixel centre and its nearest opposite one, the edge is half a pixel short.
        return inside[i] ? std::sqrt(toOutside[i]) - 0.5f : 0.5f - std::sqrt(toInside[i]);
    };
    const float scale = 1.0f / (float(S) * 2.0f * float(spread));
    for (int ty = 0; ty < glyph.h; ++ty) {
        uchar* row = atlas.scanLine(glyph.atlasY + ty) + glyph.atlasX;
        for (int tx = 0; tx < glyph.w; ++tx) {
            // The texel's centre lies between four fine pixels: their mean.
            const int cx = tx * S + S / 2, cy = ty * S + S / 2;
            const int px = std::max(cx - 1, 0), py = std::max(cy - 1, 0);
            const float d = 0.25f
                * (signedDistance(px, py) + signedDistance(cx, py) + signedDistance(px, cy) + signedDistance(cx, cy));
            const float value = std::clamp(0.5f + d * scale, 0.0f, 1.0f);
            row[tx] = uchar(std::lround(value * 255.0f));
        }
    }
}

} // namespace

GlyphAtlas GlyphAtlas::build(const Options& options, std::span<const char32_t> extra)
{
    GlyphAtlas atlas;
    atlas.m_options = options;
    QFont font
        = options.family.isEmpty() ? QFontDatabase::systemFont(QFontDatabase::GeneralFont) : QFont(options.family);
    font.setPixelSize(options.emPixels);
    font.setStyleStrategy(QFont::PreferOutline);
    const QRawFont primary = QRawFont::fromFont(font);
    if (!primary.isValid()) {
        atlas.m_error = "no usable font for labels (family \"" + font.family().toStdString() + "\")";
        return atlas;
    }
    GlyphTable& table = atlas.m_table;
    table.emPixels = float(options.emPixels);
    table.ascent = float(primary.ascent());
    table.descent = float(primary.descent());
    table.spread = float(options.spread);

    std::vector<char32_t> wanted;
    for (char32_t c = 0x20; c < 0x7f; ++c)
        wanted.push_back(c);
    for (char32_t c = 0xa0; c <= 0xff; ++c)
        wanted.push_back(c);
    wanted.push_back(U'\u2026');
    wanted.push_back(U'\uFFFD');
    wanted.insert(wanted.end(), extra.begin(), extra.end());
    std::unordered_set<char32_t> seen;

    std::vector<Pending> glyphs;
    // glyphs[0] is the fallback: an outlined box, as fonts draw a missing glyph.
    {
        Pending box;
        const float em = float(options.emPixels);
        const QRectF outer(0.08 * em, -0.72 * em, 0.5 * em, 0.72 * em);
        const qreal stroke = std::max(1.5, 0.07 * em);
        box.path.addRect(outer);
        box.path.addRect(outer.adjusted(stroke, stroke, -stroke, -stroke));
        box.path.setFillRule(Qt::OddEvenFill);
        box.advance = 0.66f * em;
        glyphs.push_back(std::move(box));
    }
    for (const char32_t c : wanted) {
        if (!seen.insert(c).second)
            continue;
        Pending g;
        // Control characters and code points no font has draw the box.
        if (c < 0x20 || (c >= 0x7f && c < 0xa0) || !outline(c, font, primary, g.path, g.advance)) {
            glyphs[0].codePoints.push_back(c);
            continue;
        }
        g.codePoints.push_back(c);
        glyphs.push_back(std::move(g));
    }

    // Cells: the outline's box grown by the spread; blanks (space) get none.
    const int spread = options.spread;
    for (Pending& g : glyphs) {
        if (g.path.isEmpty())
            continue;
        const QRectF r = g.path.boundingRect();
        g.x0 = int(std::floor(r.left())) - spread;
        g.y0 = int(std::floor(r.top())) - spread;
        g.w = int(std::ceil(r.right())) + spread - g.x0;
        g.h = int(std::ceil(r.bottom())) + spread - g.y0;
    }

    // Shelf packing, the fallback first (so it always has a place), then tallest first,
    // one texel apart so that linear filtering never bleeds.
    std::vector<std::size_t> order(glyphs.size());
    for (std::size_t i = 0; i < order.size(); ++i)
        order[i] = i;
    std::stable_sort(
        order.begin() + 1, order.end(), [&](std::size_t a, std::size_t b) { return glyphs[a].h > glyphs[b].h; });
    constexpr int MaxHeight = 4096;
    const int width = options.atlasWidth;
    int x = 1, y = 1, shelf = 0;
    for (const std::size_t i : order) {
        Pending& g = glyphs[i];
        if (g.w == 0 || g.w + 2 > width)
            continue;
        if (x + g.w + 1 > width) {
            x = 1;
            y += shelf + 1;
            shelf = 0;
        }
        if (y + g.h + 1 > MaxHeight)
            continue; // full: this glyph draws the box (below)
        g.atlasX = x;
        g.atlasY = y;
        x += g.w + 1;
        shelf = std::max(shelf, g.h);
    }
    int height = 64;
    while (height < y + shelf + 1)
        height *= 2;
    atlas.m_image = QImage(width, height, QImage::Format_Grayscale8);
    atlas.m_image.fill(0);

    // What found no place draws the box too.
    for (std::size_t i = 1; i < glyphs.size(); ++i) {
        Pending& g = glyphs[i];
        if (g.w != 0 && g.atlasX < 0) {
            glyphs[0].codePoints.insert(glyphs[0].codePoints.end(), g.codePoints.begin(), g.codePoints.end());
            g.codePoints.clear();
        }
    }
    for (std::size_t i = 0; i < glyphs.size(); ++i) {
        const Pending& g = glyphs[i];
        const bool blank = g.w == 0;
        if (i > 0 && g.codePoints.empty())
            continue;
        if (!blank)
            rasterize(g, spread, std::max(1, options.supersample), atlas.m_image);
        Glyph out;
        out.advance = g.advance;
        if (!blank) {
            out.offset = { float(g.x0), float(g.y0) };
            out.size = { float(g.w), float(g.h) };
            out.atlasRect
                = { std::uint16_t(g.atlasX), std::uint16_t(g.atlasY), std::uint16_t(g.w), std::uint16_t(g.h) };
        }
        const auto index = std::uint32_t(table.glyphs.size());
        table.glyphs.push_back(out);
        for (const char32_t c : g.codePoints)
            table.map(c, index);
    }
    table.fallback = 0;
    return atlas;
}

} // namespace constellate::render
