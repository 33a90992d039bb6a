#pragma once

#include "../graphdata.h"
#include "../graphsink.h"

#include <string>
#include <string_view>

namespace constellate {

/// GML, as networkx writes it: graph [ directed 1 node [ id 0 label "0" ... ] edge [ source
/// 0 target 1 ... ] ]. The node key is its id (an integer in canonical form, or a string);
/// "label" becomes the label; graphics [ x y z fill ] the position (x and y needed) and color;
/// a numeric "size" the size. Edge "weight" becomes the weight, "label" the label, graphics
/// fill the color, a 0/1 "directed" the edge's direction. Other integers, reals and strings
/// become properties; other nested lists are ignored. Strings are decoded as networkx
/// encodes them (&amp;, &quot;, &#233;; unknown entities stay as written).
///
/// Writing: ASCII with character references; every node gets a label (the key when it has
/// none), because networkx requires one; booleans become 0/1; property names GML cannot
/// spell are left out.

/// Reads GML from bytes in memory into a sink; throws ImportError naming
/// `fileName`, line and column.
void readGml(std::string_view bytes, const std::string& fileName, GraphSink& sink);
/// Writes a graph as GML.
std::string writeGml(const GraphData& graph);

} // namespace constellate
