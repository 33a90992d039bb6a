#pragma once

#include "../graphdata.h"
#include "../graphsink.h"

#include <string>
#include <string_view>

namespace constellate {

/// GraphML (http://graphml.graphdrawing.org), as networkx, Gephi, yEd and Cytoscape write it.
///
/// Reading: typed <key>s (attr.type boolean, int, long, float, double, string; anything
/// else is text) with <default>s, for node, edge, graph or all; edgedefault (missing =
/// undirected, as networkx reads it) and a per-edge `directed`. Node data named "label"
/// becomes the label; "x", "y" (and "z", default 0) numbers the position; "color"
/// ("#rrggbb" or "#rrggbbaa") the color; "size" the size. Edge data "weight" becomes the
/// weight, "label" the label, "color" the color. Values that do not fit a field ("red" as a
/// color, a lone "x") and all other data become properties of the key's type. Graph-level
/// data is ignored, as is data holding markup (yFiles). Only the first <graph> is read;
/// nested graphs, hyperedges and ports are refused.
///
/// Writing: one key per field in use and per property name (typed by its first value),
/// colors as "#rrggbbaa"; a property named like a field in use is left out.

/// Reads GraphML from bytes in memory into a sink; throws ImportError naming
/// `fileName`, line and column.
void readGraphMl(std::string_view bytes, const std::string& fileName, GraphSink& sink);
/// Writes a graph as GraphML.
std::string writeGraphMl(const GraphData& graph);

} // namespace constellate
