#pragma once

#include "../graphsink.h"

#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace constellate {

/// Collects one node or edge while a reader walks its attributes, then hands it to the
/// sink. Readers reuse one builder, so a million nodes cost no allocations after the first.
///
/// Holds the rule every format shares: a position needs at least x and y (z defaults to
/// 0); a lone x, y or z stays a plain property. Later values for the same field or
/// property name replace earlier ones.
class RecordBuilder {
public:
    void clear();

    void setLabel(std::string_view label);
    bool hasLabel() const { return m_hasLabel; }
    /// axis 0, 1, 2 = x, y, z. The reader has checked that the value is finite as a float.
    /// `asRead` is the value as the file typed it, kept if the coordinate ends up a
    /// property (a lone x); by default the number as a double.
    void setCoordinate(int axis, double value, Value asRead = {});
    void setColor(Rgba color) { m_color = color; }
    bool hasColor() const { return m_color.has_value(); }
    void setSize(float size) { m_size = size; }
    bool hasSize() const { return m_size.has_value(); }
    void setWeight(double weight) { m_weight = weight; }
    bool hasWeight() const { return m_weight.has_value(); }
    void setDirected(bool directed) { m_directed = directed; }

    /// Adds or replaces a property. `name` must outlive the delivery unless `copyName`.
    void setProperty(std::string_view name, Value value, bool copyName = false);

    void deliverNode(GraphSink& sink, std::string_view key);
    void deliverEdge(GraphSink& sink, std::string_view source, std::string_view target);

private:
    void finishCoordinates();
    std::string_view keepName(std::string_view name);

    std::string m_label;
    bool m_hasLabel = false;
    double m_coordinates[3] = {};
    Value m_coordinatesAsRead[3];
    unsigned m_coordinateMask = 0;
    std::optional<Vec3> m_position;
    std::optional<Rgba> m_color;
    std::optional<float> m_size;
    std::optional<double> m_weight;
    std::optional<bool> m_directed;
    std::vector<PropertyRecord> m_properties;
    // Only for records with many properties, where a linear search for duplicates would
    // make a hostile file quadratic.
    std::unordered_map<std::string_view, std::size_t> m_propertyIndex;
    // Copied names; a deque so that earlier names stay where they are.
    std::deque<std::string> m_names;
    std::size_t m_namesUsed = 0;
};

/// Whether a double fits a float32 field (position, size) as a finite number.
bool isFiniteAsFloat(double v);

} // namespace constellate
