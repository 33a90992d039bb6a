#include "recordbuilder.h"

#include <cmath>

namespace constellate {

namespace {
constexpr std::size_t IndexThreshold = 16;
constexpr std::string_view AxisNames[3] = { "x", "y", "z" };
} // namespace

bool isFiniteAsFloat(double v)
{
    return std::isfinite(v) && std::isfinite(float(v));
}

void RecordBuilder::clear()
{
    m_label.clear();
    m_hasLabel = false;
    m_coordinateMask = 0;
    m_position.reset();
    m_color.reset();
    m_size.reset();
    m_weight.reset();
    m_directed.reset();
    m_properties.clear();
    m_propertyIndex.clear();
    m_namesUsed = 0;
}

void RecordBuilder::setLabel(std::string_view label)
{
    m_label.assign(label);
    m_hasLabel = true;
}

void RecordBuilder::setCoordinate(int axis, double value, Value asRead)
{
    m_coordinates[axis] = value;
    m_coordinatesAsRead[axis] = asRead.isNone() ? Value(value) : std::move(asRead);
    m_coordinateMask |= 1u << axis;
}

std::string_view RecordBuilder::keepName(std::string_view name)
{
    if (m_namesUsed == m_names.size())
        m_names.emplace_back();
    std::string& slot = m_names[m_namesUsed++];
    slot.assign(name);
    return slot;
}

void RecordBuilder::setProperty(std::string_view name, Value value, bool copyName)
{
    if (m_properties.size() < IndexThreshold) {
        for (PropertyRecord& p : m_properties) {
            if (p.name == name) {
                p.value = std::move(value);
                return;
            }
        }
    } else {
        if (m_propertyIndex.empty()) {
            for (std::size_t i = 0; i < m_properties.size(); ++i)
                m_propertyIndex.emplace(m_properties[i].name, i);
        }
        if (const auto it = m_propertyIndex.find(name); it != m_propertyIndex.end()) {
            m_properties[it->second].value = std::move(value);
            return;
        }
    }
    const std::string_view kept = copyName ? keepName(name) : name;
    m_properties.push_back({ kept, std::move(value) });
    if (!m_propertyIndex.empty())
        m_propertyIndex.emplace(kept, m_properties.size() - 1);
}

void RecordBuilder::finishCoordinates()
{
    if ((m_coordinateMask & 3) == 3) {
        const float z = (m_coordinateMask & 4) ? float(m_coordinates[2]) : 0.0f;
        m_position = Vec3 { float(m_coordinates[0]), float(m_coordinates[1]), z };
        return;
    }
    for (int axis = 0; axis < 3; ++axis) {
        if (m_coordinateMask & (1u << axis))
            setProperty(AxisNames[axis], m_coordinatesAsRead[axis]);
    }
}

void RecordBuilder::deliverNode(GraphSink& sink, std::string_view key)
{
    finishCoordinates();
    NodeRecord r;
    r.key = key;
    if (m_hasLabel)
        r.label = m_label;
    r.position = m_position;
    r.color = m_color;
    r.size = m_size;
    r.properties = m_properties;
    sink.addNode(r);
}

void RecordBuilder::deliverEdge(GraphSink& sink, std::string_view source, std::string_view target)
{
    // Edges have no position: coordinates a reader found on one are plain properties.
    for (int axis = 0; axis < 3; ++axis) {
        if (m_coordinateMask & (1u << axis))
            setProperty(AxisNames[axis], m_coordinatesAsRead[axis]);
    }
    EdgeRecord r;
    r.sourceKey = source;
    r.targetKey = target;
    r.directed = m_directed;
    if (m_hasLabel)
        r.label = m_label;
    r.color = m_color;
    r.weight = m_weight;
    r.properties = m_properties;
    sink.addEdge(r);
}

} // namespace constellate
