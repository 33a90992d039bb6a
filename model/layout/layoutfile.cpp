#include "layoutfile.h"

#include "identity.h"

#include <chrono>
#include <stdexcept>

namespace constellate::layout {

bool formatKeepsPositions(GraphFormat format)
{
    return format != GraphFormat::Unknown && format != GraphFormat::Csv;
}

LayoutFileReport layoutGraphFile(const std::string& in, const std::string& out, std::uint64_t seed,
                                 const ForceLayoutOptions& options,
                                 const std::function<void(const ForceLayout&)>& onStep)
{
    if (!formatKeepsPositions(formatFromPath(out)))
        throw std::invalid_argument("'" + out + "' would not keep positions (" + supportedFormatsText()
                                    + "; CSV edge lists hold none)");
    LayoutFileReport report;
    GraphDocument document(newReplicaId(), newUserId());
    report.import = importGraphFile(document, in);

    LayoutGraph graph = layoutGraphFromDocument(document);
    const std::vector<EntityId> ids = graph.ids;
    for (std::size_t i = 0; i < graph.nodeCount(); ++i)
        report.pinned += graph.isPinned(i) ? 1 : 0;
    const auto started = std::chrono::steady_clock::now();
    ForceLayout layout(std::move(graph), seed, options);
    while (layout.state() == LayoutState::Running) {
        layout.step();
        if (onStep)
            onStep(layout);
    }
    report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    report.state = layout.state();
    report.iterations = layout.iteration();

    TransactionBuilder b = document.begin();
    for (const std::uint32_t node : layout.freeNodes())
        document.set(b, ids[node], {Field::Position, {}}, Value(layout.position(node)));
    if (b.opCount() > 0)
        document.commit(b);
    exportGraphFile(document, out);
    return report;
}

} // namespace constellate::layout
