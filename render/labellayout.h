#pragma once

#include "glyphatlas.h"
#include "renderscene.h"
#include "types.h"
#include "view.h"

#include <glm/glm.hpp>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace constellate::render {

/// One glyph as the GPU draws it: a screen-aligned quad whose corner sits `pixelOffset`
/// pixels (y down) from where `anchor` projects, textured from the atlas. Bound attribute
/// by attribute with offsetof (labelrenderer.cpp); the layout is part of the shader's
/// interface.
struct GlyphInstance {
    glm::vec3 anchor; ///< world position; its depth is the glyph's depth
    glm::vec2 pixelOffset; ///< top-left corner from the anchor's pixel, y down
    glm::vec2 pixelSize; ///< quad width and height in pixels
    std::uint16_t atlasRect[4]; ///< x, y, width, height in atlas texels
    std::uint8_t color[4]; ///< R, G, B, A (sRGB)
    std::uint32_t flags; ///< bit 0: drawn over everything (no depth test)
};
static_assert(sizeof(GlyphInstance) == 44);

/// Text that is not a node's label: a person's nameplate above their cursor or headset
/// (by default: shown before any label within the glyph budget, never decluttered away,
/// drawn over the scene), or an annotation's text (`declutter`, depth-tested).
struct TextItem {
    glm::vec3 anchor { 0.0f }; ///< world position
    glm::vec2 pixelOffset { 0.0f }; ///< from the anchor's pixel to the text's centre, logical pixels, y down
    std::string text; ///< UTF-8, one line
    Rgba color = 0xffffffff;
    float pixelSize = 0.0f; ///< logical pixels; 0: LabelOptions::pixelSize
    /// Dropped when it would overlap text placed before it (items are placed in order,
    /// all before node labels); false: always shown (nameplates).
    bool declutter = false;
    /// Drawn over everything; false: hidden by what is nearer (depth-tested at the anchor).
    bool overScene = true;
};

/// Which nodes the user is looking at: their labels come first. Entity ids, as the ui
/// knows them; SceneRenderer resolves them to instances at upload().
struct LabelHighlights {
    std::vector<EntityId> selected;
    EntityId hovered {}; ///< null: none
};

/// How labels are drawn. Pixel quantities are logical pixels: multiplied by `scale`
/// (the device pixel ratio) for the framebuffer.
struct LabelOptions {
    bool enabled = true;     ///< false: no text at all
    bool nodeLabels = true;  ///< false: only the text items (nameplates)
    std::size_t glyphBudget = 20000; ///< glyphs per frame, nameplates included
    float pixelSize = 13.0f; ///< the font's pixel size (em)
    float scale = 1.0f; ///< device pixels per logical pixel
    Rgba textColor = 0xe8eaf0ff; ///< node labels: light, for the dark background
    Rgba haloColor = 0x000000c0; ///< the outline around every glyph
    float haloPixels = 1.5f; ///< its width (at most about the atlas' spread)
};

/// Chooses which labels to show in one frame and lays out their glyphs. Pure CPU (no GL,
/// no fonts: it reads a GlyphTable), so tests run without a display.
///
/// Order: text items (nameplates), then selected nodes, the hovered node, then the rest by
/// a score of projected radius favouring nearer nodes. A label is drawn to the right of
/// its node's sphere, vertically centred on it; it is dropped when behind the eye, wholly
/// off screen, over the glyph budget, or overlapping a label placed before it (an
/// occupancy grid of 4-pixel cells: the declutter). Keeps its scratch arrays between
/// frames; not thread-safe.
class LabelLayout {
public:
    struct Input {
        std::span<const NodeInstance> nodes;
        std::span<const std::string> labels; ///< per node instance (UTF-8); may be shorter
        std::span<const std::uint32_t> selected; ///< node instance indices
        std::int64_t hovered = -1; ///< node instance index, -1: none
        std::span<const TextItem> textItems;
        View view;
        glm::vec2 viewport { 0.0f }; ///< framebuffer pixels
    };
    struct Result {
        std::vector<GlyphInstance> glyphs;
        std::vector<std::uint32_t> labelledNodes; ///< node instances labelled, in placement order
        std::size_t textItemsShown = 0;
        /// Per text item, in input order: where it was drawn, in framebuffer pixels (x0, y0,
        /// x1, y1; y down); all zero when it was not shown. Picking of annotations uses it.
        std::vector<glm::vec4> textItemBoxes;
        /// Code points the table does not know (drawn as the fallback for now): build an
        /// atlas with them.
        std::vector<char32_t> missing;
    };

    /// Lays out one frame into `result` (cleared first, its storage reused).
    void layout(const Input& input, const GlyphTable& glyphs, const LabelOptions& options, Result& result);

    static constexpr float CellPixels = 4.0f; ///< declutter grid resolution
    static constexpr float GapPixels = 4.0f; ///< between a sphere's silhouette and its label (logical)

private:
    struct Candidate {
        float score;
        std::uint32_t node;
        glm::vec2 pixel; ///< the node centre's pixel
        float radiusPixels; ///< projected radius
    };
    std::vector<Candidate> m_candidates;
    std::vector<std::uint8_t> m_grid;
    std::vector<std::uint32_t> m_histogram;
    std::vector<std::uint8_t> m_priority; // per node: selected or hovered
    std::u32string m_text;
    std::vector<char32_t> m_missing;
};

} // namespace constellate::render
