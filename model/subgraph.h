#pragma once

#include "graphdocument.h"
#include "transaction.h"

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace constellate {

/// A piece of a graph on its way through the clipboard: nodes, the edges among them and
/// the annotations on either, with every field (labels, colours, sizes, weights, text,
/// free properties, positions). It travels between documents (and rooms) in a private,
/// versioned encoding that is validated like any input, and as JSON node-link for other
/// tools (without annotations). Pasting creates it anew: new ids, one transaction.
///
/// Inside, it is a small GraphDocument of its own, so the encoding is the document's
/// snapshot (its checks included) behind a header; see docs/architecture.md, "History and
/// clipboard".
class Subgraph {
public:
    /// The private encoding's version (after the magic): append-only changes bump it.
    static constexpr std::uint8_t FormatVersion = 1;
    static constexpr std::string_view Magic = "CONSTELLATE-SUBGRAPH";

    Subgraph();
    Subgraph(Subgraph&&) noexcept;
    Subgraph& operator=(Subgraph&&) noexcept;
    ~Subgraph();

    /// The visible nodes among `ids`, the visible edges whose two ends are among them (selected
    /// or not), and the visible annotations on any of those. Other ids are ignored.
    static Subgraph copy(const GraphDocument& document, const std::vector<EntityId>& ids);
    /// Reads the private encoding. Returns nullopt and sets *error (what is wrong, for a
    /// message) on anything malformed: a wrong magic or version, a bad snapshot, strings or
    /// property counts a transaction could not carry, or no node at all.
    static std::optional<Subgraph> decode(std::string_view bytes, std::string* error);
    /// Reads JSON node-link (networkx, d3; see io/jsonnodelink.h) as another tool copies it.
    /// Nodes without positions get ImportSink's deterministic places.
    static std::optional<Subgraph> fromNodeLink(std::string_view json, std::string* error);

    /// The private encoding: Magic, u8 FormatVersion, varint n and n u64 ids of the nodes it
    /// was copied from (packed OpIds), then GraphDocument::encodeSnapshot of its graph.
    std::string encode() const;
    /// JSON node-link (networkx's layout) of its nodes and edges.
    std::string toNodeLink() const;

    std::size_t nodeCount() const;
    std::size_t edgeCount() const;
    std::size_t annotationCount() const;
    bool isEmpty() const { return nodeCount() == 0; }
    /// The centre of its nodes' bounding box, and half its diagonal.
    Vec3 center() const;
    float radius() const;
    /// The largest node size (a node's radius in world units).
    float largestNodeSize() const;
    /// True when a node it was copied from is visible in `document`: a paste into the
    /// document it came from (the editor then offsets the copy from the originals).
    bool cameFrom(const GraphDocument& document) const;

    /// Creates all of it anew in `builder` (new ids), each node moved by `offset`, edges and
    /// annotations following their new ends. Returns the new nodes' ids, in order.
    std::vector<EntityId> paste(TransactionBuilder& builder, Vec3 offset) const;

    /// Its graph (read only): tests and the editor's messages.
    const GraphDocument& graph() const { return *m_graph; }

private:
    std::unique_ptr<GraphDocument> m_graph;
    std::vector<EntityId> m_sources; ///< the nodes it was copied from, in the document it came from
};

} // namespace constellate
