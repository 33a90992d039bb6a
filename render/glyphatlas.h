#pragma once

#include <QImage>
#include <QString>

#include <glm/glm.hpp>

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

namespace constellate::render {

/// One glyph of a GlyphTable, in atlas pixels at the table's emPixels (the layout scales
/// them to the label's pixel size). y grows downwards, the pen sits on the baseline.
struct Glyph {
    float advance = 0.0f; ///< how far the pen moves
    glm::vec2 offset { 0.0f }; ///< from the pen to the quad's top-left corner (the spread included)
    glm::vec2 size { 0.0f }; ///< the quad; zero for blanks (space), which draw nothing
    std::array<std::uint16_t, 4> atlasRect {}; ///< x, y, width, height in atlas texels (= size)
};

/// The metrics LabelLayout needs, without the image: plain data, so a test can fill one
/// by hand without fonts. Code points below 256 are looked up in a table, others in a map.
struct GlyphTable {
    float emPixels = 32.0f; ///< the font's pixel size when the glyphs were rasterized
    float ascent = 0.0f; ///< above the baseline, atlas pixels
    float descent = 0.0f; ///< below the baseline, atlas pixels (positive)
    float spread = 6.0f; ///< the distance field's reach each side of an edge, atlas pixels
    std::vector<Glyph> glyphs;
    std::uint32_t fallback = 0; ///< the glyph drawn for code points no font has (a box)

    /// The glyph of a code point, or null if the table does not know it yet (code points no
    /// font has are known: they map to the fallback).
    const Glyph* find(char32_t codePoint) const
    {
        if (codePoint < m_latin.size()) {
            const std::int32_t i = m_latin[codePoint];
            return i < 0 ? nullptr : &glyphs[std::size_t(i)];
        }
        const auto it = m_others.find(codePoint);
        return it == m_others.end() ? nullptr : &glyphs[it->second];
    }
    bool contains(char32_t codePoint) const { return find(codePoint) != nullptr; }
    const Glyph& fallbackGlyph() const { return glyphs[fallback]; }
    /// Maps a code point to glyphs[index].
    void map(char32_t codePoint, std::uint32_t index);
    /// Every code point the table maps, in no particular order.
    std::vector<char32_t> codePoints() const;

private:
    std::array<std::int32_t, 256> m_latin = makeEmptyLatin();
    std::unordered_map<char32_t, std::uint32_t> m_others;
    static std::array<std::int32_t, 256> makeEmptyLatin()
    {
        std::array<std::int32_t, 256> a {};
        a.fill(-1);
        return a;
    }
};

/// A signed-distance-field glyph atlas: a single-channel image (0.5 = the glyph's edge,
/// above inside, below outside, reaching `spread` atlas pixels either side) and the
/// GlyphTable that says where each glyph is.
///
/// Made by build(), which uses Qt's text engine (QTextLayout, so missing characters fall
/// back to other installed fonts) and no GL: it may run on any thread while a
/// QGuiApplication exists. An atlas is never changed once built; to add code points, build
/// a new one with them (build(options, old.table().codePoints() + new ones)) and swap it in.
class GlyphAtlas {
public:
    struct Options {
        QString family; ///< empty: the system's general font
        int emPixels = 32; ///< rasterized font size (a cell is about 48 px with the spread)
        int spread = 6; ///< atlas pixels
        int supersample = 4; ///< the outline is rasterized this many times finer
        int atlasWidth = 1024; ///< the height grows (powers of two, up to 4096) as needed
    };

    GlyphAtlas() = default;

    /// Rasterizes ASCII, Latin-1, U+2026 (the ellipsis of long labels), U+FFFD and `extra` code points into a new
    /// atlas. Without a usable font the atlas is invalid and error() says why.
    static GlyphAtlas build(const Options& options, std::span<const char32_t> extra = {});

    bool isValid() const { return !m_image.isNull() && !m_table.glyphs.empty(); }
    const std::string& error() const { return m_error; }
    const GlyphTable& table() const { return m_table; }
    /// QImage::Format_Grayscale8, atlasWidth wide, top row first; row v of the image is
    /// texel row v of the texture (uploaded as is: texel y grows downwards like the image).
    const QImage& image() const { return m_image; }
    const Options& options() const { return m_options; }

private:
    Options m_options;
    GlyphTable m_table;
    QImage m_image;
    std::string m_error;
};

/// Decodes UTF-8 into code points; malformed bytes become U+FFFD.
std::u32string decodeUtf8(std::string_view text);
/// The same into `out` (cleared first, its storage reused).
void decodeUtf8(std::string_view text, std::u32string& out);

} // namespace constellate::render
