#pragma once

#include "types.h"
#include "value.h"

#include <optional>
#include <span>
#include <string_view>

namespace constellate {

/// One free property of a node or an edge, as a file reader found it.
struct PropertyRecord {
    std::string_view name;
    Value value;
};

/// A node as a file reader found it. Views are valid only during the sink call.
/// `key` is the file's own node id ("0", "n12", "Alpha"): edges name nodes by it.
struct NodeRecord {
    std::string_view key;
    std::optional<std::string_view> label;
    std::optional<Vec3> position;
    std::optional<Rgba> color;
    std::optional<float> size;
    std::span<const PropertyRecord> properties;
};

/// An edge as a file reader found it. Views are valid only during the sink call.
struct EdgeRecord {
    std::string_view sourceKey;
    std::string_view targetKey;
    std::optional<bool> directed; ///< unset: the graph's default
    std::optional<std::string_view> label;
    std::optional<Rgba> color;
    std::optional<double> weight;
    std::span<const PropertyRecord> properties;
};

/// Where file readers deliver what they read, in file order. Readers stream into it, so
/// that a large file never has to exist twice in memory.
///
/// Contract for sinks: an edge may name a node key that was not (yet) declared; the sink
/// then creates that node (as networkx does). A node key declared twice merges the later
/// attributes into the earlier node.
class GraphSink {
public:
    virtual ~GraphSink() = default;
    /// The graph's default for edges without their own `directed`. Called at most once,
    /// before the first edge.
    virtual void setDirected(bool directed) = 0;
    virtual void addNode(const NodeRecord& node) = 0;
    virtual void addEdge(const EdgeRecord& edge) = 0;
};

} // namespace constellate
