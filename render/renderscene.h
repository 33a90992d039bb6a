#pragma once

#include "geometry.h"

#include "graphdocument.h"
#include "types.h"

#include <glm/glm.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

namespace constellate::render {

/// One node as the GPU draws it: a sphere impostor. Bound attribute by attribute with
/// offsetof (see scenerenderer.cpp); the layout is part of the shaders' interface.
struct NodeInstance {
    glm::vec3 position;
    float radius;
    std::uint8_t color[4]; ///< R, G, B, A (sRGB)
};
static_assert(sizeof(NodeInstance) == 20);

/// One edge as the GPU draws it: a screen-space quad from source to target, and an
/// arrowhead at the target's surface when directed.
struct EdgeInstance {
    glm::vec3 source;
    glm::vec3 target;
    std::uint8_t color[4];  ///< R, G, B, A (sRGB)
    float targetRadius;     ///< where the arrowhead's tip sits
    std::uint32_t flags;    ///< bit 0: directed
};
static_assert(sizeof(EdgeInstance) == 36);

/// A contiguous run of instances [first, first + count) that changed.
struct InstanceRange {
    std::uint32_t first = 0;
    std::uint32_t count = 0;
    friend bool operator==(const InstanceRange&, const InstanceRange&) = default;
};

/// The CPU side of what is drawn: one instance per visible node and edge of a
/// GraphDocument, with an entity id -> instance index map so that a change to a few
/// entities touches only their instances (and the edges that hang on a moved node).
///
/// It records what changed since the renderer last took it (takeChanges()), so the
/// renderer re-uploads only those ranges. Not thread-safe: build and update it on the
/// document's thread, and hand changes to the GL thread (today they are the same).
///
/// A node's size is its sphere's radius in world units.
class RenderScene {
public:
    /// What changed since the last takeChanges().
    struct Changes {
        bool nodesRebuilt = false; ///< the node instance array was rebuilt: upload all of it
        bool edgesRebuilt = false;
        std::vector<InstanceRange> nodeRanges; ///< otherwise these ranges, sorted, disjoint
        std::vector<InstanceRange> edgeRanges;
        bool any() const { return nodesRebuilt || edgesRebuilt || !nodeRanges.empty() || !edgeRanges.empty(); }
    };

    /// Rebuilds every instance from the document's visible nodes and edges.
    void rebuild(const GraphDocument& document);
    /// Re-reads the given nodes (moved, recoloured, resized) and updates their instances
    /// and those of their edges in place. A node that appeared or disappeared changes
    /// which instances exist: the scene is rebuilt (and edges with it). A node given here
    /// loses its override (overridePositions()): it is drawn where the document says.
    void updateNodes(const GraphDocument& document, std::span<const EntityId> ids);
    /// Re-reads the given edges (recoloured, deleted, restored); like updateNodes.
    void updateEdges(const GraphDocument& document, std::span<const EntityId> ids);

    /// Draws the given nodes at these world positions instead of the document's (someone's
    /// live drag, not yet committed), moving their edges' ends with them; recorded as
    /// changed ranges like updateNodes(). The document is not touched. Ids that are not
    /// drawn are ignored. An override lasts until updateNodes() names the node,
    /// clearOverrides() or rebuild().
    void overridePositions(std::span<const std::pair<EntityId, glm::vec3>> positions);
    /// Dims what is not in `kept` (a search's matches): nodes not in it, and edges neither
    /// in it nor joining two kept nodes, are drawn in their colour mixed most of the way
    /// towards `background`. nullopt: nothing is dimmed. Rebuilds the scene (one upload).
    void setDimming(const GraphDocument& document, std::optional<std::unordered_set<EntityId>> kept, Rgba background);
    bool isDimming() const { return m_kept.has_value(); }

    /// Puts every overridden node back where the document says.
    void clearOverrides(const GraphDocument& document);
    bool isOverridden(EntityId id) const { return m_overridden.contains(id); }
    std::size_t overrideCount() const { return m_overridden.size(); }

    std::span<const NodeInstance> nodes() const { return m_nodes; }
    std::span<const EdgeInstance> edges() const { return m_edges; }
    /// Which node an instance draws (same order as nodes()).
    std::span<const EntityId> nodeIds() const { return m_nodeIds; }
    std::span<const EntityId> edgeIds() const { return m_edgeIds; }
    /// Each node instance's label (UTF-8, maybe empty), kept up to date like the instances.
    std::span<const std::string> nodeLabels() const { return m_nodeLabels; }
    /// The instance index of a visible node (-1: not drawn).
    std::int64_t nodeIndex(EntityId id) const;
    std::int64_t edgeIndex(EntityId id) const;

    /// Increases on every change of any instance (the picking index uses it to know it
    /// is stale).
    std::uint64_t version() const { return m_version; }

    /// Records every instance as changed, as rebuild() does: for a copy of the scene handed
    /// to another renderer (the headset's), which must upload all of it.
    void markAllChanged();

    /// Hands over and clears what changed. Ranges of at most `mergeGap` unchanged
    /// instances between two changed ones are merged (one upload instead of two).
    Changes takeChanges(std::uint32_t mergeGap = 8);

    /// A sphere around every node (its radius included); radius 0 when there are none.
    Sphere bounds() const;
    /// A sphere around the given entities as drawn (to frame a selection): nodes, and both
    /// ends of edges; ids not drawn are skipped. Radius 0 when none is drawn.
    Sphere bounds(std::span<const EntityId> ids) const;
    /// A sphere around the given instances (RenderScene::bounds() uses it).
    static Sphere boundsOf(std::span<const NodeInstance> nodes);

    static NodeInstance nodeInstance(const GraphDocument& document, const GraphDocument::Entity& node);

private:
    void markNode(std::uint32_t index);
    void markEdge(std::uint32_t index);
    void fillEdge(std::uint32_t index, const GraphDocument& document, const GraphDocument::Entity& edge);
    void moveEdgeEnds(std::uint32_t index);
    /// Mixes a dimmed entity's colour towards the background.
    void dim(std::uint8_t color[4]) const;

    std::vector<NodeInstance> m_nodes;
    std::vector<EntityId> m_nodeIds;
    std::vector<std::string> m_nodeLabels;
    std::unordered_map<EntityId, std::uint32_t> m_nodeIndex;
    std::vector<EdgeInstance> m_edges;
    std::vector<EntityId> m_edgeIds;
    std::unordered_map<EntityId, std::uint32_t> m_edgeIndex;
    // Per node instance, the edge instances that touch it (CSR: offsets, then indices).
    std::vector<std::uint32_t> m_incidentOffsets;
    std::vector<std::uint32_t> m_incident;
    // Per edge instance, its source and target node instances.
    std::vector<std::pair<std::uint32_t, std::uint32_t>> m_edgeEnds;
    std::unordered_set<EntityId> m_overridden;
    std::optional<std::unordered_set<EntityId>> m_kept; ///< set: what is not in it is dimmed
    std::uint8_t m_dimBackground[4] = {0, 0, 0, 255};

    bool m_nodesRebuilt = false;
    bool m_edgesRebuilt = false;
    std::vector<std::uint32_t> m_dirtyNodes; // instance indices, unsorted, maybe repeated
    std::vector<std::uint32_t> m_dirtyEdges;
    std::uint64_t m_version = 0;
};

/// Converts 0xRRGGBBAA to the R, G, B, A bytes the shaders read.
void unpackColor(Rgba color, std::uint8_t out[4]);

} // namespace constellate::render
