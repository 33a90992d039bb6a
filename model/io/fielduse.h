#pragma once

#include "../graphdata.h"

namespace constellate {

/// Which of the mapped fields a graph uses, so that writers declare only the keys and
/// columns that hold something, and mark multigraphs as such.
struct FieldUse {
    bool nodeLabel = false;
    bool nodePosition = false;
    bool nodeColor = false;
    bool nodeSize = false;
    bool edgeLabel = false;
    bool edgeColor = false;
    bool edgeWeight = false;
    bool parallelEdges = false; ///< two edges join the same nodes (the same way, if directed)

    static FieldUse of(const GraphData& graph);
};

} // namespace constellate
