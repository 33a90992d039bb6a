#include "labellayout.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace constellate::render {

namespace {

constexpr std::size_t MaxLabelCodePoints = 64; // longer labels end in an ellipsis
constexpr std::size_t FirstChunk = 4096;
// After this many candidates in a row found no room, the screen is taken as full: the rest
// (all of lower priority) are not tried. Bounds a frame's work on huge graphs.
constexpr std::size_t MaxConsecutiveMisses = 2000;
// And at most this many are tried in all (a 1920x1080 screen holds about 2500 labels).
constexpr std::size_t MaxAttempts = 16384;

/// A line of text measured and ready to place: its code points (fallback substituted),
/// its width and the number of quads it needs.
struct Measured {
    float width = 0.0f;
    std::size_t quads = 0;
};

} // namespace

void LabelLayout::layout(const Input& input, const GlyphTable& glyphs, const LabelOptions& options, Result& result)
{
    result.glyphs.clear();
    result.labelledNodes.clear();
    result.textItemsShown = 0;
    result.textItemBoxes.assign(input.textItems.size(), glm::vec4(0.0f));
    result.missing.clear();
    m_missing.clear();
    const glm::vec2 viewport = input.viewport;
    if (viewport.x < 1.0f || viewport.y < 1.0f || glyphs.glyphs.empty() || options.glyphBudget == 0)
        return;

    const float scale = options.scale > 0.0f ? options.scale : 1.0f;
    const glm::mat4 viewProjection = input.view.projection * input.view.view;
    const bool orthographic = input.view.projection[3][3] != 0.0f;
    const glm::mat4 toWorld = glm::inverse(input.view.view);
    const glm::vec3 eye(toWorld[3]);
    const glm::vec3 back(toWorld[2]); // towards the viewer, for orthographic views
    const float pixelsPerUnitAtW1 = input.view.projection[1][1] * 0.5f * viewport.y;

    // The occupancy grid, one byte per cell.
    const int gridW = int(std::ceil(viewport.x / CellPixels));
    const int gridH = int(std::ceil(viewport.y / CellPixels));
    m_grid.assign(std::size_t(gridW) * std::size_t(gridH), 0);
    std::size_t budget = options.glyphBudget;

    auto project = [&](glm::vec3 p, glm::vec2& pixel, float& w) {
        const glm::vec4 clip = viewProjection * glm::vec4(p, 1.0f);
        if (clip.w <= 0.0f || clip.z < -clip.w || clip.z > clip.w)
            return false; // behind the eye, before the near plane or past the far one
        w = clip.w;
        pixel = { (clip.x / clip.w + 1.0f) * 0.5f * viewport.x, (1.0f - clip.y / clip.w) * 0.5f * viewport.y };
        return true;
    };

    // Code points of `text` into m_text (fallback noted), measured at `size` pixels.
    auto measure = [&](const std::string& text, float size) {
        decodeUtf8(text, m_text);
        if (m_text.size() > MaxLabelCodePoints) {
            m_text.resize(MaxLabelCodePoints - 1);
            m_text.push_back(U'\u2026');
        }
        const float s = size / glyphs.emPixels;
        Measured m;
        for (char32_t& c : m_text) {
            if (c == U'\t' || c == U'\n' || c == U'\r')
                c = U' ';
            const Glyph* g = glyphs.find(c);
            if (!g) {
                m_missing.push_back(c);
                g = &glyphs.fallbackGlyph();
            }
            m.width += g->advance * s;
            m.quads += g->size.x > 0.0f ? 1 : 0;
        }
        return m;
    };

    auto gridRange = [&](float lo, float hi, int cells, int& first, int& last) {
        first = std::max(0, int(std::floor(lo / CellPixels)));
        last = std::min(cells - 1, int(std::floor(hi / CellPixels)));
        return first <= last;
    };

    // Places m_text with its top-left corner at `corner` (pixels from the anchor's pixel
    // `pixel`): false if off screen, over the budget, or (unless forced) over another label.
    auto place = [&](const Measured& m, glm::vec2 pixel, glm::vec2 corner, float size, glm::vec3 anchor,
                     const std::uint8_t color[4], std::uint32_t flags, bool force) {
        if (m.quads > budget || m.width <= 0.0f)
            return false;
        const float s = size / glyphs.emPixels;
        const float height = (glyphs.ascent + glyphs.descent) * s;
        const glm::vec2 lo = pixel + corner;
        const glm::vec2 hi = lo + glm::vec2(m.width, height);
        int x0, x1, y0, y1;
        if (!gridRange(lo.x, hi.x, gridW, x0, x1) || !gridRange(lo.y, hi.y, gridH, y0, y1))
            return false; // wholly off screen
        if (!force) {
            for (int y = y0; y <= y1; ++y) {
                const std::uint8_t* row = m_grid.data() + std::size_t(y) * std::size_t(gridW);
                for (int x = x0; x <= x1; ++x)
                    if (row[x])
                        return false;
            }
        }
        for (int y = y0; y <= y1; ++y)
            std::fill_n(m_grid.data() + std::size_t(y) * std::size_t(gridW) + x0, x1 - x0 + 1, std::uint8_t(1));

        float pen = corner.x;
        const float baseline = corner.y + glyphs.ascent * s;
        for (const char32_t c : m_text) {
            const Glyph* g = glyphs.find(c);
            if (!g)
                g = &glyphs.fallbackGlyph();
            if (g->size.x > 0.0f) {
                GlyphInstance& out = result.glyphs.emplace_back();
                out.anchor = anchor;
                out.pixelOffset = { pen + g->offset.x * s, baseline + g->offset.y * s };
                out.pixelSize = g->size * s;
                std::copy(g->atlasRect.begin(), g->atlasRect.end(), out.atlasRect);
                std::copy(color, color + 4, out.color);
                out.flags = flags;
            }
            pen += g->advance * s;
        }
        budget -= m.quads;
        return true;
    };

    // Text items first (nameplates over everything, then annotations), then node labels.
    for (std::size_t i = 0; i < input.textItems.size(); ++i) {
        const TextItem& item = input.textItems[i];
        glm::vec2 pixel;
        float w;
        if (!project(item.anchor, pixel, w))
            continue;
        const float size = (item.pixelSize > 0.0f ? item.pixelSize : options.pixelSize) * scale;
        const Measured m = measure(item.text, size);
        const float height = (glyphs.ascent + glyphs.descent) * size / glyphs.emPixels;
        const glm::vec2 corner = item.pixelOffset * scale - 0.5f * glm::vec2(m.width, height);
        std::uint8_t color[4];
        unpackColor(item.color, color);
        if (place(m, pixel, corner, size, item.anchor, color, item.overScene ? 1u : 0u, !item.declutter)) {
            ++result.textItemsShown;
            result.textItemBoxes[i] = glm::vec4(pixel + corner, pixel + corner + glm::vec2(m.width, height));
        }
    }

    if (!options.nodeLabels)
        return; // nameplates only
    const std::size_t nodeCount = input.nodes.size();
    const std::size_t labelCount = std::min(nodeCount, input.labels.size());
    const float size = options.pixelSize * scale;
    const float lineHeight = (glyphs.ascent + glyphs.descent) * size / glyphs.emPixels;
    const float gap = GapPixels * scale;
    std::uint8_t textColor[4];
    unpackColor(options.textColor, textColor);

    // A node's label: to the right of its silhouette, vertically centred. The anchor is
    // the sphere's point nearest the eye: the node's own sphere never hides its label, a
    // node in front of it does.
    auto tryNode = [&](const Candidate& c) {
        const glm::vec2 corner(c.radiusPixels + gap, -0.5f * lineHeight);
        // Cheap rejection before the text is decoded: the box's first column taken.
        {
            const glm::vec2 lo = c.pixel + corner;
            int x0, x1, y0, y1;
            if (gridRange(lo.x, lo.x, gridW, x0, x1) && gridRange(lo.y, lo.y + lineHeight, gridH, y0, y1))
                for (int y = y0; y <= y1; ++y)
                    if (m_grid[std::size_t(y) * std::size_t(gridW) + std::size_t(x0)])
                        return false;
        }
        const NodeInstance& node = input.nodes[c.node];
        const Measured m = measure(input.labels[c.node], size);
        glm::vec3 towardsEye = orthographic ? back : eye - node.position;
        const float distance = glm::length(towardsEye);
        const float lift = orthographic ? node.radius : std::min(node.radius, 0.9f * distance);
        const glm::vec3 anchor = distance > 0.0f ? node.position + towardsEye / distance * lift : node.position;
        if (!place(m, c.pixel, corner, size, anchor, textColor, 0u, false))
            return false;
        result.labelledNodes.push_back(c.node);
        return true;
    };

    auto candidate = [&](std::uint32_t i, Candidate& c) {
        const NodeInstance& node = input.nodes[i];
        float w;
        if (!project(node.position, c.pixel, w))
            return false;
        c.node = i;
        c.radiusPixels = std::min(node.radius * pixelsPerUnitAtW1 / w, viewport.x);
        // Cheap screen test before any text is looked at: the label's row must be on
        // screen, and its start left of the right edge.
        const float halfLine = 0.5f * lineHeight;
        if (c.pixel.y + halfLine < 0.0f || c.pixel.y - halfLine > viewport.y)
            return false;
        const float start = c.pixel.x + c.radiusPixels + gap;
        if (start > viewport.x || start + float(input.labels[i].size()) * size < 0.0f)
            return false;
        // Projected size, nearer nodes favoured beyond their size.
        c.score = c.radiusPixels / std::sqrt(std::max(w, 1e-6f));
        return true;
    };

    // Selected nodes (the best of them first), then the hovered one, before all others;
    // m_priority marks them so that the general pass skips them.
    const bool anyPriority = !input.selected.empty() || input.hovered >= 0;
    if (anyPriority) {
        m_priority.assign(labelCount, 0);
        m_candidates.clear();
        for (const std::uint32_t i : input.selected) {
            Candidate c;
            if (i < labelCount && !m_priority[i] && !input.labels[i].empty() && candidate(i, c))
                m_candidates.push_back(c);
            if (i < labelCount)
                m_priority[i] = 1;
        }
        std::sort(m_candidates.begin(), m_candidates.end(), [](const Candidate& a, const Candidate& b) {
            return a.score > b.score || (a.score == b.score && a.node < b.node);
        });
        for (const Candidate& c : m_candidates)
            tryNode(c);
        const auto h = std::uint64_t(input.hovered);
        if (input.hovered >= 0 && h < labelCount && !m_priority[h]) {
            m_priority[h] = 1;
            Candidate c;
            if (!input.labels[h].empty() && candidate(std::uint32_t(h), c))
                tryNode(c);
        }
    }

    m_candidates.clear();
    for (std::uint32_t i = 0; i < labelCount; ++i) {
        if (input.labels[i].empty() || (anyPriority && m_priority[i]))
            continue;
        Candidate c;
        if (candidate(i, c))
            m_candidates.push_back(c);
    }

    // Best first, a chunk at a time: only as much is ordered as the budget can use. A
    // chunk is the best candidates left, found in linear time with a histogram of the
    // scores' bits (for non-negative floats, their order as integers), then sorted.
    const auto better = [](const Candidate& a, const Candidate& b) {
        return a.score > b.score || (a.score == b.score && a.node < b.node);
    };
    // 32640 buckets for finite scores >= 0, each about 0.5 % wide.
    constexpr std::uint32_t Buckets = 0x8000;
    auto bucket = [](float score) { return std::bit_cast<std::uint32_t>(score) >> 16; };
    std::size_t begin = 0;
    std::size_t chunk = FirstChunk;
    std::size_t misses = 0;
    const std::size_t tried = std::min(m_candidates.size(), MaxAttempts);
    while (begin < tried && budget > 0 && misses < MaxConsecutiveMisses) {
        const auto first = m_candidates.begin() + std::ptrdiff_t(begin);
        auto last = m_candidates.end();
        chunk = std::min(chunk, tried - begin);
        if (m_candidates.size() - begin > chunk) {
            m_histogram.assign(Buckets, 0);
            for (auto it = first; it != last; ++it)
                ++m_histogram[bucket(it->score)];
            std::uint32_t threshold = Buckets;
            for (std::size_t taken = 0; threshold > 0 && taken < chunk;)
                taken += m_histogram[--threshold];
            last = std::partition(first, last, [&](const Candidate& c) { return bucket(c.score) >= threshold; });
        }
        std::sort(first, last, better);
        for (auto it = first; it != last && budget > 0 && misses < MaxConsecutiveMisses; ++it)
            misses = tryNode(*it) ? 0 : misses + 1;
        begin = std::size_t(last - m_candidates.begin());
        chunk *= 4;
    }

    std::sort(m_missing.begin(), m_missing.end());
    m_missing.erase(std::unique(m_missing.begin(), m_missing.end()), m_missing.end());
    result.missing = m_missing;
}

} // namespace constellate::render
