#pragma once

#include "avatar.h"
#include "highlights.h"
#include "labellayout.h"
#include "renderscene.h"
#include "types.h"
#include "view.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace constellate::render {

/// Where a frame goes: a framebuffer object of the current context (0: the default
/// framebuffer) and the rectangle of it to draw into (the headset gives one per eye).
struct RenderTarget {
    std::uint32_t framebuffer = 0;
    int x = 0;
    int y = 0;
    int width = 0;
    int height = 0;
};

/// What the last upload and frame did: tests check incremental updates with it, and
/// the benchmark reports it.
struct RenderStats {
    std::size_t nodeBytesUploaded = 0; ///< by the last upload()
    std::size_t edgeBytesUploaded = 0; ///< with the arrowheads' copies of directed edges (lines path)
    std::size_t lineBytesUploaded = 0; ///< the lines path's vertices (two per edge), by the last upload()
    int bufferUpdates = 0;             ///< glBufferData/glBufferSubData calls of the last upload()
    int drawCalls = 0;                 ///< of the last render()
    bool edgesAsLines = false;         ///< the last render() drew edge bodies as lines
    std::size_t overlayBytesUploaded = 0; ///< outlines and avatars, by the last upload()
    std::size_t glyphsDrawn = 0;       ///< of the last render(): label and nameplate glyphs
    std::size_t labelsShown = 0;       ///< of the last render(): node labels and text items shown
};

class LabelPass;

/// Draws a RenderScene with OpenGL 3.3 core: one instanced draw call for all nodes
/// (sphere impostors that write their true depth) and one for all edges (screen-space
/// quads, with arrowheads on directed edges). Overlays add one draw call per kind, when
/// there is any: highlighted edges (wider, in their highlight colour), outline rings
/// around highlighted nodes, and the other users' avatars (spheres, by the node program).
/// The desktop view and the headset use the same renderer, each with its own View and
/// RenderTarget.
///
/// Every method must be called with the same OpenGL context current, on its thread,
/// from initialize() until the renderer is destroyed (the destructor frees GL objects
/// only if the context is current); the setters make no GL call and may be called at any
/// time on that thread.
class SceneRenderer {
public:
    SceneRenderer();
    ~SceneRenderer();
    SceneRenderer(const SceneRenderer&) = delete;
    SceneRenderer& operator=(const SceneRenderer&) = delete;

    /// Compiles the shaders and creates buffers in the current context (3.3 core or
    /// later). On failure returns false and `error()` says why.
    bool initialize();
    bool isInitialized() const;
    const std::string& error() const;
    /// GL_RENDERER and GL_VERSION of the context, for logs and benchmark reports.
    std::string glDescription() const;

    /// Uploads what changed in the scene since the last upload (only changed ranges,
    /// unless instances were added or removed) and clears the scene's change record.
    void upload(RenderScene& scene);

    static constexpr Rgba DefaultBackground = 0x1e1f24ff; ///< dark grey-blue
    void setBackground(Rgba color) { m_background = color; }
    Rgba background() const { return m_background; }
    /// Width of edges in pixels (default 1.5).
    void setEdgeWidth(float pixels) { m_edgeWidth = pixels; }
    /// From how many edges on, edges of at most 1.5 px are drawn as one-pixel lines (two
    /// vertices each instead of a quad's six: a software renderer spends half a large
    /// graph's frame on the quads); arrowheads stay triangles, drawn for the directed edges
    /// only (from a copy of their instances). The lines are plain vertices made from the
    /// instances at upload (two per edge, kept only while there are that many edges), so a
    /// change takes effect from the next upload(). Default 20,000; 0: always.
    void setEdgeLinesFrom(std::size_t edges) { m_edgeLinesFrom = edges; }

    /// What to outline (see Highlights). Kept and drawn from the next upload() on; the
    /// outlines are rebuilt whenever the scene's version changes, so they follow moved
    /// and overridden nodes. Empty Highlights: nothing outlined.
    void setHighlights(Highlights highlights);
    const Highlights& highlights() const { return m_highlights; }
    /// Width of each outline ring in pixels (default 3).
    void setOutlineWidth(float pixels) { m_outlineWidth = pixels; }
    /// Width of highlighted edges in pixels (default 5).
    void setHighlightedEdgeWidth(float pixels) { m_highlightedEdgeWidth = pixels; }
    /// The other users to draw (replaces the previous list; uploaded by the next upload()).
    /// Their nameplates are labels: see Avatar::nameplateAnchor().
    void setAvatars(std::vector<Avatar> avatars);
    const std::vector<Avatar>& avatars() const { return m_avatars; }

    /// Clears the target and draws the scene as last uploaded, seen through `view`.
    void render(const View& view, const RenderTarget& target);
    /// Waits until the GPU has finished (benchmarks; reading pixels back waits anyway).
    void finish();

    const RenderStats& stats() const { return m_stats; }

    /// Labels: node labels (RenderScene::nodeLabels()) and text items are drawn after
    /// nodes and edges, from a glyph atlas that initialize() starts building on a worker
    /// thread; until it is swapped in (or if no font is found), frames have no labels.
    void setLabelOptions(const LabelOptions& options);
    const LabelOptions& labelOptions() const;
    /// Whose labels come first; resolved to instances at the next upload().
    void setLabelHighlights(LabelHighlights highlights);
    /// Nameplates and other free text, shown before any label; replaces the last list.
    void setTextItems(std::vector<TextItem> items);
    /// Called on a worker thread whenever a glyph atlas build finishes: post a repaint.
    void setLabelAtlasReadyCallback(std::function<void()> callback);
    /// True once the atlas is in use.
    bool labelsReady() const;
    /// Blocks until the atlas being built is done and swaps it in (tests, screenshots).
    void waitForLabelAtlas();
    /// Why labels cannot show (no usable font, ...), or empty.
    const std::string& labelError() const;
    /// The last render()'s label layout (which labels, which glyphs, where).
    const LabelLayout::Result& lastLabelLayout() const;

private:
    struct Gl;
    void uploadArrows(const RenderScene& scene, const RenderScene::Changes& changes);
    void uploadLines(const RenderScene& scene, const RenderScene::Changes& changes);

    std::unique_ptr<Gl> m_gl;
    std::unique_ptr<LabelPass> m_labels;
    Rgba m_background = DefaultBackground;
    float m_edgeWidth = 1.5f;
    std::size_t m_edgeLinesFrom = 20'000;
    float m_outlineWidth = 3.0f;
    float m_highlightedEdgeWidth = 5.0f;
    Highlights m_highlights;
    bool m_highlightsChanged = false;
    std::uint64_t m_highlightedVersion = ~0ull; // the scene version the outlines were built for
    std::vector<Avatar> m_avatars;
    bool m_avatarsChanged = false;
    std::vector<std::uint32_t> m_directed; ///< the directed edges' instance indices, ascending
    RenderStats m_stats;
};

} // namespace constellate::render
