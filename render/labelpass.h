#pragma once

#include "glyphatlas.h"
#include "labellayout.h"
#include "labelrenderer.h"
#include "renderscene.h"
#include "view.h"

#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace constellate::render {

/// The label part of SceneRenderer's frame: keeps a copy of the node instances and labels
/// (updated by the same changed ranges as the GPU buffers), builds the glyph atlas on a
/// worker thread and swaps it in whole when done (and again when labels need code points
/// it lacks), lays labels out for each view and draws them with a LabelRenderer.
///
/// GL thread only, like SceneRenderer; the atlas-ready callback runs on the worker.
class LabelPass {
public:
    LabelPass();
    /// Waits for an atlas build in flight (it touches no GL and nothing of this object's),
    /// and for its callback.
    ~LabelPass();
    LabelPass(const LabelPass&) = delete;
    LabelPass& operator=(const LabelPass&) = delete;

    /// Compiles the label program in the current context and starts building the atlas
    /// (on failure, error() says why and no labels are drawn).
    bool initialize(std::uint32_t viewBlockBinding, GlyphAtlas::Options atlasOptions = {});
    /// Why labels do not show (no font, atlas too large), or empty; a shader error makes
    /// initialize() fail instead.
    const std::string& error() const;

    void setOptions(const LabelOptions& options);
    const LabelOptions& options() const { return m_options; }
    void setHighlights(LabelHighlights highlights);
    void setTextItems(std::vector<TextItem> items) { m_textItems = std::move(items); }
    /// Called on the worker thread when an atlas build finishes (the ui schedules a
    /// repaint: the atlas is swapped in by the next frame).
    void setAtlasReadyCallback(std::function<void()> callback);

    /// Takes the scene's changes (as SceneRenderer::upload took them).
    void upload(const RenderScene& scene, const RenderScene::Changes& changes);
    /// Lays out and draws labels for one view (the target framebuffer, viewport and
    /// ViewBlock bound). Returns the draw calls made (0 or 1).
    int render(const View& view, glm::vec2 viewport);

    /// True once an atlas is in use.
    bool ready() const { return m_renderer.hasAtlas(); }
    /// Blocks until the atlas being built (if any) is done and swaps it in.
    void waitForAtlas();

    std::size_t glyphsDrawn() const { return m_glyphsDrawn; }
    std::size_t labelsShown() const { return m_labelsShown; }
    /// The last frame's layout (tests, benchmarks).
    const LabelLayout::Result& lastLayout() const { return m_result; }

private:
    void startBuild();
    void swapInIfBuilt(bool wait);
    void resolveHighlights(const RenderScene& scene);

    LabelRenderer m_renderer;
    LabelLayout m_layout;
    LabelLayout::Result m_result;
    LabelOptions m_options;
    GlyphAtlas::Options m_atlasOptions;
    GlyphTable m_table; // of the atlas in use
    std::vector<char32_t> m_extraCodePoints; // asked for beyond Latin-1
    std::future<GlyphAtlas> m_building; // valid while a build's result is not taken
    std::thread m_worker;
    std::shared_ptr<std::function<void()>> m_atlasReady;
    std::string m_error;

    std::vector<NodeInstance> m_nodes;
    std::vector<std::string> m_labels;
    bool m_stale = true; // m_nodes/m_labels need a full copy
    LabelHighlights m_highlights;
    bool m_highlightsDirty = false;
    std::vector<std::uint32_t> m_selected;
    std::int64_t m_hovered = -1;
    std::vector<TextItem> m_textItems;

    std::size_t m_glyphsDrawn = 0;
    std::size_t m_labelsShown = 0;
};

} // namespace constellate::render
