#pragma once

#include "glyphatlas.h"
#include "labellayout.h"

#include <cstdint>
#include <memory>
#include <span>
#include <string>

namespace constellate::render {

/// Draws GlyphInstances with OpenGL 3.3 core: the atlas as a GL_R8 texture, every glyph
/// in one instanced draw call as a screen-aligned quad, its signed distance field smoothed
/// with fwidth and ringed with a halo so that text reads on any background.
///
/// Glyphs are depth-tested (LEQUAL) against what was drawn before them but write no
/// depth, so overlapping glyphs never cut each other; instances with flag bit 0 are drawn
/// at the near plane, over everything. Same threading rule as SceneRenderer: one context,
/// current, on its thread.
class LabelRenderer {
public:
    LabelRenderer();
    ~LabelRenderer();
    LabelRenderer(const LabelRenderer&) = delete;
    LabelRenderer& operator=(const LabelRenderer&) = delete;

    /// Compiles the program in the current context; its ViewBlock is read from uniform
    /// buffer binding `viewBlockBinding`. On failure returns false and error() says why.
    bool initialize(std::uint32_t viewBlockBinding);
    bool isInitialized() const;
    const std::string& error() const;

    /// Uploads the atlas' image as the glyph texture (replacing any before). False (and
    /// error()) if the context cannot hold it.
    bool setAtlas(const GlyphAtlas& atlas);
    bool hasAtlas() const;

    /// Replaces the glyphs to draw.
    void upload(std::span<const GlyphInstance> glyphs);
    /// Draws the glyphs last uploaded into the bound framebuffer and viewport, with the
    /// ViewBlock buffer bound by the caller. Returns the number of draw calls (0 or 1).
    /// Leaves blending off, depth writes on, the depth function GL_LESS.
    int draw(const LabelOptions& options);

private:
    struct Gl;
    std::unique_ptr<Gl> m_gl;
};

} // namespace constellate::render
