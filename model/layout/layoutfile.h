#pragma once

#include "documentio.h"
#include "formats.h"
#include "layout/forcelayout.h"

#include <cstdint>
#include <functional>
#include <string>

namespace constellate::layout {

/// True for the formats whose writers keep 3D node positions (all but CSV edge lists).
bool formatKeepsPositions(GraphFormat format);

/// What layoutGraphFile() did.
struct LayoutFileReport {
    ImportReport import;
    std::size_t pinned = 0;
    LayoutState state = LayoutState::Running;
    int iterations = 0;
    double seconds = 0; ///< the layout alone (not reading or writing)
};

/// constellate-cli's `layout`: reads `in` (any supported format), lays it out from the
/// positions it has (ForceLayout; nodes whose `pinned` property is true stay put) and writes
/// `out` (format by extension) with the new positions. `onStep` runs after every step (for
/// progress). Throws ImportError, ExportError, or std::invalid_argument for an output format
/// that keeps no positions.
LayoutFileReport layoutGraphFile(const std::string& in, const std::string& out, std::uint64_t seed,
                                 const ForceLayoutOptions& options = {},
                                 const std::function<void(const ForceLayout&)>& onStep = {});

} // namespace constellate::layout
