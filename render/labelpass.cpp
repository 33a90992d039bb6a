#include "labelpass.h"

#include <algorithm>
#include <chrono>

namespace constellate::render {

LabelPass::LabelPass() = default;

LabelPass::~LabelPass()
{
    if (m_worker.joinable())
        m_worker.join();
}

bool LabelPass::initialize(std::uint32_t viewBlockBinding, GlyphAtlas::Options atlasOptions)
{
    if (!m_renderer.initialize(viewBlockBinding))
        return false;
    m_atlasOptions = std::move(atlasOptions);
    startBuild();
    return true;
}

const std::string& LabelPass::error() const
{
    return m_error.empty() ? m_renderer.error() : m_error;
}

void LabelPass::setOptions(const LabelOptions& options)
{
    m_options = options;
}

void LabelPass::setHighlights(LabelHighlights highlights)
{
    m_highlights = std::move(highlights);
    m_highlightsDirty = true;
}

void LabelPass::setAtlasReadyCallback(std::function<void()> callback)
{
    m_atlasReady = callback ? std::make_shared<std::function<void()>>(std::move(callback)) : nullptr;
}

void LabelPass::startBuild()
{
    // The worker gets copies of everything it reads: nothing here is shared with it.
    m_building
        = std::async(std::launch::async, [options = m_atlasOptions, extra = m_extraCodePoints, ready = m_atlasReady] {
              GlyphAtlas atlas = GlyphAtlas::build(options, extra);
              if (ready && *ready)
                  (*ready)();
              return atlas;
          });
}

void LabelPass::swapInIfBuilt(bool wait)
{
    if (!m_building.valid())
        return;
    if (!wait && m_building.wait_for(std::chrono::seconds(0)) != std::future_status::ready)
        return;
    const GlyphAtlas atlas = m_building.get();
    if (!atlas.isValid()) {
        m_error = atlas.error();
        return;
    }
    if (m_renderer.setAtlas(atlas)) {
        m_table = atlas.table(); // the image lives on in the texture only
        m_error.clear();
    }
}

void LabelPass::waitForAtlas()
{
    swapInIfBuilt(true);
}

void LabelPass::resolveHighlights(const RenderScene& scene)
{
    m_selected.clear();
    for (const EntityId id : m_highlights.selected)
        if (const std::int64_t i = scene.nodeIndex(id); i >= 0)
            m_selected.push_back(std::uint32_t(i));
    m_hovered = m_highlights.hovered.isNull() ? -1 : scene.nodeIndex(m_highlights.hovered);
    m_highlightsDirty = false;
}

void LabelPass::upload(const RenderScene& scene, const RenderScene::Changes& changes)
{
    if (changes.nodesRebuilt || m_highlightsDirty)
        resolveHighlights(scene);
    if (!m_options.enabled) {
        // Not copied while nobody looks: all of it when labels are turned on again.
        m_stale = m_stale || changes.nodesRebuilt || !changes.nodeRanges.empty();
        return;
    }
    const std::span<const NodeInstance> nodes = scene.nodes();
    const std::span<const std::string> labels = scene.nodeLabels();
    if (m_stale || changes.nodesRebuilt || m_nodes.size() != nodes.size()) {
        m_nodes.assign(nodes.begin(), nodes.end());
        m_labels.assign(labels.begin(), labels.end());
        m_stale = false;
        return;
    }
    for (const InstanceRange& r : changes.nodeRanges) {
        std::copy_n(nodes.begin() + r.first, r.count, m_nodes.begin() + r.first);
        std::copy_n(labels.begin() + r.first, r.count, m_labels.begin() + r.first);
    }
}

int LabelPass::render(const View& view, glm::vec2 viewport)
{
    m_glyphsDrawn = 0;
    m_labelsShown = 0;
    swapInIfBuilt(false);
    if (!m_options.enabled || !ready() || m_stale) {
        m_result = {};
        return 0;
    }
    LabelLayout::Input input;
    input.nodes = m_nodes;
    input.labels = m_labels;
    input.selected = m_selected;
    input.hovered = m_hovered;
    input.textItems = m_textItems;
    input.view = view;
    input.viewport = viewport;
    m_layout.layout(input, m_table, m_options, m_result);

    // Code points the atlas lacks show as boxes until a new atlas with them is swapped in.
    if (!m_result.missing.empty() && !m_building.valid()) {
        for (const char32_t c : m_result.missing)
            if (std::find(m_extraCodePoints.begin(), m_extraCodePoints.end(), c) == m_extraCodePoints.end())
                m_extraCodePoints.push_back(c);
        startBuild();
    }

    m_renderer.upload(m_result.glyphs);
    const int calls = m_renderer.draw(m_options);
    if (calls > 0) {
        m_glyphsDrawn = m_result.glyphs.size();
        m_labelsShown = m_result.labelledNodes.size() + m_result.textItemsShown;
    }
    return calls;
}

} // namespace constellate::render
