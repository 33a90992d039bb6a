#pragma once

#include "../graphdata.h"
#include "../graphsink.h"

#include <string>
#include <string_view>

namespace constellate {

/// GEXF (https://gexf.net). Reading: 1.1, 1.2draft and 1.3 (namespaces are not checked).
/// defaultedgetype and each edge's type (mutual counts as undirected); node and edge
/// label; edge weight; viz:color (r/g/b with alpha a from 0 to 1, or the 1.3 hex form),
/// viz:position (x, y, z, missing ones 0) and viz:size; <attvalue>s typed by their
/// <attribute> declaration (integer, long, short, byte, biginteger as integers; float,
/// double, bigdecimal as doubles; boolean; everything else, lists and dates included, as
/// text) with <default>s. Dynamic data (spells) is ignored; hierarchical graphs are refused.
/// Writing: GEXF 1.2draft with viz position, color and size.

/// Reads GEXF from bytes in memory into a sink; throws ImportError naming
/// `fileName`, line and column.
void readGexf(std::string_view bytes, const std::string& fileName, GraphSink& sink);
/// Writes a graph as GEXF.
std::string writeGexf(const GraphData& graph);

} // namespace constellate
