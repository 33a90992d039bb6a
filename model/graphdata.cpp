#include "graphdata.h"

#include <unordered_set>

namespace constellate {

namespace {

using KeyList = std::vector<std::pair<std::string, ValueType>>;

template <typename Items>
KeyList propertyKeys(const Items& items)
{
    KeyList keys;
    std::unordered_set<std::string_view> seen;
    for (const auto& item : items) {
        for (const GraphData::Property& p : item.properties) {
            if (p.value.isNone())
                continue;
            // The view points into the graph, which outlives this function.
            if (seen.insert(p.name).second)
                keys.emplace_back(p.name, p.value.type());
        }
    }
    return keys;
}

// The sink contract: a later value for a name replaces the earlier one; a None value
// removes it.
void mergeProperties(std::vector<GraphData::Property>& into, std::span<const PropertyRecord> from)
{
    for (const PropertyRecord& r : from) {
        auto it = into.begin();
        while (it != into.end() && it->name != r.name)
            ++it;
        if (r.value.isNone()) {
            if (it != into.end())
                into.erase(it);
        } else if (it != into.end()) {
            it->value = r.value;
        } else {
            into.push_back({ std::string(r.name), r.value });
        }
    }
}

void copyProperties(std::vector<GraphData::Property>& into, std::span<const PropertyRecord> from)
{
    into.reserve(from.size());
    for (const PropertyRecord& r : from) {
        if (!r.value.isNone())
            into.push_back({ std::string(r.name), r.value });
    }
}

} // namespace

std::vector<std::pair<std::string, ValueType>> GraphData::nodePropertyKeys() const
{
    return propertyKeys(nodes);
}

std::vector<std::pair<std::string, ValueType>> GraphData::edgePropertyKeys() const
{
    return propertyKeys(edges);
}

void GraphData::replay(GraphSink& sink) const
{
    sink.setDirected(directed);
    std::vector<PropertyRecord> props;
    for (const Node& n : nodes) {
        props.clear();
        for (const Property& p : n.properties)
            props.push_back({ p.name, p.value });
        NodeRecord r;
        r.key = n.key;
        if (n.label)
            r.label = *n.label;
        r.position = n.position;
        r.color = n.color;
        r.size = n.size;
        r.properties = props;
        sink.addNode(r);
    }
    for (const Edge& e : edges) {
        props.clear();
        for (const Property& p : e.properties)
            props.push_back({ p.name, p.value });
        EdgeRecord r;
        r.sourceKey = nodes.at(e.source).key;
        r.targetKey = nodes.at(e.target).key;
        // Only an edge that differs from the graph's default says so, as in a file.
        if (e.directed != directed)
            r.directed = e.directed;
        if (e.label)
            r.label = *e.label;
        r.color = e.color;
        r.weight = e.weight;
        r.properties = props;
        sink.addEdge(r);
    }
}

void GraphDataSink::setDirected(bool directed)
{
    m_out.directed = directed;
    m_directedSet = true;
}

std::size_t GraphDataSink::nodeIndex(std::string_view key)
{
    // A sink over a graph that already holds nodes finds them too.
    if (m_index.size() < m_out.nodes.size()) {
        for (std::size_t i = m_index.size(); i < m_out.nodes.size(); ++i)
            m_index.emplace(m_out.nodes[i].key, i);
    }
    const auto [it, inserted] = m_index.try_emplace(std::string(key), m_out.nodes.size());
    if (inserted) {
        GraphData::Node& n = m_out.nodes.emplace_back();
        n.key = key;
    }
    return it->second;
}

void GraphDataSink::addNode(const NodeRecord& node)
{
    const std::size_t before = m_out.nodes.size();
    const std::size_t index = nodeIndex(node.key);
    GraphData::Node& n = m_out.nodes[index];
    if (node.label)
        n.label = std::string(*node.label);
    if (node.position)
        n.position = node.position;
    if (node.color)
        n.color = node.color;
    if (node.size)
        n.size = node.size;
    if (index >= before)
        copyProperties(n.properties, node.properties);
    else
        mergeProperties(n.properties, node.properties);
}

void GraphDataSink::addEdge(const EdgeRecord& edge)
{
    GraphData::Edge e;
    e.source = nodeIndex(edge.sourceKey);
    e.target = nodeIndex(edge.targetKey);
    e.directed = edge.directed.value_or(m_out.directed);
    if (edge.label)
        e.label = std::string(*edge.label);
    e.color = edge.color;
    e.weight = edge.weight;
    copyProperties(e.properties, edge.properties);
    m_out.edges.push_back(std::move(e));
}

} // namespace constellate
