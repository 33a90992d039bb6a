#pragma once

#include "renderscene.h"
#include "types.h"

#include <glm/glm.hpp>

#include <cstdint>
#include <optional>
#include <vector>

namespace constellate::render {

/// One outline ring around a node's silhouette as the GPU draws it: a camera-facing
/// annulus of constant pixel width (SceneRenderer::setOutlineWidth) just outside the
/// sphere. Bound like NodeInstance (offsetof, divisor 1).
struct RingInstance {
    glm::vec3 center;
    float radius; ///< the node's radius: the ring starts at its silhouette
    std::uint8_t color[4]; ///< R, G, B, A (sRGB)
    float ring; ///< 0: innermost, touching the silhouette; k: k ring widths further out
};
static_assert(sizeof(RingInstance) == 24);

/// What is outlined: the local user's hover and selection and other users' selections.
/// Ids may name nodes or edges; ids not drawn are skipped.
///
/// A node gets one ring per highlight it has, concentric, innermost first in this order:
/// local selection, hover, then each remote user in the order of `remote` (several users
/// selecting one node: several rings, one per user), then each of `marks` (highlight
/// annotations, search matches). An edge has one colour, the first of the same order, and
/// is drawn wider (SceneRenderer::setHighlightedEdgeWidth).
struct Highlights {
    std::optional<EntityId> hoveredNode;
    std::optional<EntityId> hoveredEdge;
    std::vector<EntityId> selected; ///< the local user's selection
    /// Another user's selection, in that user's colour.
    struct Remote {
        Rgba color = 0xffffffff;
        std::vector<EntityId> ids;
        friend bool operator==(const Remote&, const Remote&) = default;
    };
    std::vector<Remote> remote;
    /// Marks that are not anyone's selection, outermost: highlight annotations in their
    /// colours, the matches of a search.
    std::vector<Remote> marks;
    Rgba selectedColor = 0xffd21eff; ///< bright yellow
    Rgba hoveredColor = 0xa8d4ffff; ///< pale blue: softer than the selection

    friend bool operator==(const Highlights&, const Highlights&) = default;
    bool empty() const
    {
        return !hoveredNode && !hoveredEdge && selected.empty() && remote.empty() && marks.empty();
    }
};

/// The instances that draw `highlights` over `scene` as it is now (outlines follow moved
/// and overridden nodes when rebuilt after the scene changed).
struct HighlightInstances {
    std::vector<RingInstance> rings;
    std::vector<EdgeInstance> edges; ///< copies of the scene's edges in their highlight colour
};
HighlightInstances highlightInstances(const RenderScene& scene, const Highlights& highlights);

} // namespace constellate::render
