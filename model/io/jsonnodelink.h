#pragma once

#include "../graphdata.h"
#include "../graphsink.h"

#include <string>
#include <string_view>

namespace constellate {

/// JSON node-link graphs: networkx's node_link_data ("directed", "multigraph", "graph",
/// "nodes" with "id", "links") and what d3 and 3d-force-graph use ("edges" for "links",
/// link ends given as node objects, nodes without ids named by their index).
///
/// Node keys are the ids' text: a string's contents or a number as written, so 0 and "0"
/// name one node (networkx would keep two; no real file mixes them) and 1.0 is not 1.
/// Node "label" (or "name", when there is no label) becomes the label; "x", "y" (and "z")
/// numbers the position; "color" "#rrggbb[aa]" the color; "size" (or "val") the size. Link
/// "weight" (or "value") becomes the weight, "label" the label, "color" the color, a boolean
/// "directed" the edge's direction. Other scalars become typed properties (integers, doubles,
/// booleans, strings; null is dropped); objects and arrays become their compact JSON text.
/// networkx's multigraph "key" is structure and is dropped. NaN and Infinity, which Python
/// writes, are accepted.
///
/// Writing: networkx's layout, ids as strings, "multigraph" true when edges are parallel.

/// Reads JSON node-link from bytes in memory into a sink; throws ImportError naming
/// `fileName`, line and column.
void readJsonNodeLink(std::string_view bytes, const std::string& fileName, GraphSink& sink);
/// Writes a graph as JSON node-link.
std::string writeJsonNodeLink(const GraphData& graph);

} // namespace constellate
