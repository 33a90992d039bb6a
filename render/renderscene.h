#pragma once

#include "geometry.h"

#include "graphdocument.h"
#include "types.h"

#include <glm/glm.hpp>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <unordered_map>
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
    /// which instances exist: the scene is rebuilt (and edges with it).
    void updateNodes(const GraphDocument& document, std::span<const EntityId> ids);
    /// Re-reads the given edges (recoloured, deleted, restored); like updateNodes.
    void updateEdges(const GraphDocument& document, std::span<const EntityId> ids);

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

    /// Hands over and clears what changed. Ranges of at most `mergeGap` unchanged
    /// instances between two changed ones are merged (one upload instead of two).
    Changes takeChanges(std::uint32_t mergeGap = 8);

    /// A sphere around every node (its radius included); radius 0 when there are none.
    Sphere bounds() const;

    static NodeInstance nodeInstance(const GraphDocument& document, const GraphDocument::Entity& node);

private:
    void markNode(std::uint32_t index);
    void markEdge(std::uint32_t index);
    void fillEdge(std::uint32_t index, const GraphDocument& document, const GraphDocument::Entity& edge);

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

    bool m_nodesRebuilt = false;
    bool m_edgesRebuilt = false;
    std::vector<std::uint32_t> m_dirtyNodes; // instance indices, unsorted, maybe repeated
    std::vector<std::uint32_t> m_dirtyEdges;
    std::uint64_t m_version = 0;
};

/// Converts 0xRRGGBBAA to the R, G, B, A bytes the shaders read.
void unpackColor(Rgba color, std::uint8_t out[4]);

} // namespace constellate::render
