#pragma once

#include "formats.h"
#include "graphdocument.h"
#include "flatmap.h"
#include "graphsink.h"

#include <string>
#include <unordered_map>
#include <vector>

namespace constellate {

/// What an import found in a file.
struct ImportReport {
    GraphFormat format = GraphFormat::Unknown;
    std::size_t nodes = 0;
    std::size_t edges = 0;
    std::size_t directedEdges = 0;
    std::vector<std::string> nodeAttributes; ///< as named in the file, first-seen order
    std::vector<std::string> edgeAttributes;

    /// "directed", "undirected" or "mixed".
    std::string directedness() const;
};

/// Turns what a file reader delivers into the operations of one transaction: a node
/// per key (label = the file's label, else its key; a deterministic position when the
/// file has none), an edge per edge, free properties as typed properties.
class ImportSink final : public GraphSink {
public:
    explicit ImportSink(TransactionBuilder& builder);
    void setDirected(bool directed) override;
    void addNode(const NodeRecord& node) override;
    void addEdge(const EdgeRecord& edge) override;
    const ImportReport& report() const { return m_report; }

    /// The deterministic place of the i-th node of a file without positions: a spiral
    /// ball that grows with the cube root of the count, one unit apart on average.
    static Vec3 initialPosition(std::size_t index);

private:
    /// Refuses (std::invalid_argument, saying which node or edge) texts longer than a
    /// transaction may carry: they would be lost when the transaction is applied.
    void checkTexts(std::string_view what, std::string_view key, std::optional<std::string_view> label,
                    std::span<const PropertyRecord> properties) const;
    EntityId nodeFor(std::string_view key, bool* created);
    void noteAttribute(std::vector<std::string>& list, std::string_view name);
    TransactionBuilder& m_builder;
    bool m_directed = false;
    ImportReport m_report;
    StringMap<EntityId> m_nodes;
};

/// Imports a file into the document. Interchange formats arrive as one local
/// transaction (returned through `transaction` when given; `changes` for undo); the
/// native format is merged as a snapshot. Throws ImportError, leaving the document as
/// it was.
ImportReport importGraphFile(GraphDocument& document, const std::string& path,
                             Transaction* transaction = nullptr, std::vector<LocalChange>* changes = nullptr);

/// The visible graph as plain data: node keys are labels where those are unique and
/// non-empty, otherwise "n0", "n1", ... in id order.
GraphData exportGraphData(const GraphDocument& document);
/// Writes the document in the format of the path's extension. Throws ExportError.
void exportGraphFile(const GraphDocument& document, const std::string& path);

/// The native format: a header ("CONSTELLATE", format version) and the compressed
/// snapshot, which keeps everything merging needs (timestamps, deleted entities).
void saveNative(const GraphDocument& document, const std::string& path);
/// Merges a native file into the document. Throws ImportError.
void loadNative(GraphDocument& document, const std::string& path);

/// The bytes of a native file holding `snapshot` (GraphDocument::encodeSnapshot): the
/// header and the compressed snapshot. Pure: callable on any thread (the editor compresses
/// on a worker while the snapshot was taken on the UI thread).
std::string nativeFileBytes(std::string_view snapshot);
/// The snapshot inside a native file's bytes (checks the header and the version, and
/// unpacks). Pure, any thread. Throws ImportError naming `displayName`; the snapshot
/// itself is validated by GraphDocument::mergeSnapshot.
std::string nativeSnapshotFromFileBytes(std::string_view fileBytes, const std::string& displayName);

} // namespace constellate
