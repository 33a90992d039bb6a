#pragma once

#include "graphsink.h"

#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace constellate {

/// A plain, owning graph: what exporters write and what tests compare. Not the live
/// document (that is GraphDocument); this is a file's content in memory.
struct GraphData {
    struct Property {
        std::string name;
        Value value;
        friend bool operator==(const Property&, const Property&) = default;
    };
    struct Node {
        std::string key;
        std::optional<std::string> label;
        std::optional<Vec3> position;
        std::optional<Rgba> color;
        std::optional<float> size;
        std::vector<Property> properties;
        friend bool operator==(const Node&, const Node&) = default;
    };
    struct Edge {
        std::size_t source = 0; ///< index into nodes
        std::size_t target = 0;
        bool directed = false;
        std::optional<std::string> label;
        std::optional<Rgba> color;
        std::optional<double> weight;
        std::vector<Property> properties;
        friend bool operator==(const Edge&, const Edge&) = default;
    };

    bool directed = false; ///< the default for the graph; each edge says its own too
    std::vector<Node> nodes;
    std::vector<Edge> edges;

    /// Names of the free properties in first-seen order, with the type of their first
    /// value (a file may hold mixed types; writers that need one type per key use this).
    std::vector<std::pair<std::string, ValueType>> nodePropertyKeys() const;
    std::vector<std::pair<std::string, ValueType>> edgePropertyKeys() const;

    /// Replays this graph into a sink (node order, then edge order).
    void replay(GraphSink& sink) const;
};

/// A sink that collects into a GraphData, applying the sink contract (implicit nodes,
/// merged duplicates).
class GraphDataSink final : public GraphSink {
public:
    explicit GraphDataSink(GraphData& out) : m_out(out) {}
    void setDirected(bool directed) override;
    void addNode(const NodeRecord& node) override;
    void addEdge(const EdgeRecord& edge) override;

private:
    std::size_t nodeIndex(std::string_view key);
    GraphData& m_out;
    bool m_directedSet = false;
    std::unordered_map<std::string, std::size_t> m_index;
};

} // namespace constellate
