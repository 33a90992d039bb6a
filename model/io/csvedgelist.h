#pragma once

#include "../graphdata.h"
#include "../graphsink.h"

#include <string>
#include <string_view>

namespace constellate {

/// CSV edge lists: "source,target" or "source,target,weight" per line (RFC 4180 quoting,
/// blank lines skipped), as networkx's write_edgelist(delimiter=",") writes them. A first
/// line of exactly "source,target[,weight]" (any case) is a header. Undirected; nodes exist
/// through their edges.
///
/// Writing: a weight column when any edge has a weight (empty where one has none); isolated
/// nodes, labels and properties cannot be written.

/// Reads CSV edge list from bytes in memory into a sink; throws ImportError naming
/// `fileName`, line and column.
void readCsvEdgeList(std::string_view bytes, const std::string& fileName, GraphSink& sink);
/// Writes a graph as CSV edge list.
std::string writeCsvEdgeList(const GraphData& graph);

} // namespace constellate
