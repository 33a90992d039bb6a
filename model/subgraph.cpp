#include "subgraph.h"

#include "bytecodec.h"
#include "documentio.h"
#include "formats.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <unordered_map>

namespace constellate {

namespace {

/// The replica of a subgraph's own little document (it never meets another replica).
constexpr ReplicaId ClipReplica = 1;

/// Every set field of an entity that a create can carry: core fields, then properties.
std::vector<FieldValue> fieldsOf(const GraphDocument& doc, const GraphDocument::Entity& e)
{
    std::vector<FieldValue> fields;
    for (int f = int(Field::Position); f < int(Field::Property); ++f) {
        if (!fieldAppliesTo(Field(f), e.kind))
            continue;
        Value v = doc.value(e, {Field(f), {}});
        if (Field(f) == Field::Position && v.isNone())
            v = Value(Vec3 {}); // where the document draws it
        if (!v.isNone())
            fields.push_back({{Field(f), {}}, std::move(v)});
    }
    doc.forEachProperty(e, [&](std::string_view name, const Value& v) {
        // Built apart, then moved in: GCC 12 at -O3 warns falsely (maybe-uninitialized) on the
        // braced temporary in push_back({{...}, v}).
        FieldValue field {FieldRef {Field::Property, std::string(name)}, v};
        fields.push_back(std::move(field));
    });
    return fields;
}

/// A create with its fields; past what one create may carry, the rest follow as writes.
template<typename Create>
EntityId createWith(TransactionBuilder& b, std::vector<FieldValue> fields, Create&& create)
{
    const std::size_t limit = TransactionLimits {}.maxFieldsPerOp;
    std::vector<FieldValue> rest;
    if (fields.size() > limit) {
        rest.assign(fields.begin() + std::ptrdiff_t(limit), fields.end());
        fields.resize(limit);
    }
    const EntityId id = create(fields);
    for (const FieldValue& fv : rest)
        b.set(id, fv.ref, fv.value, {});
    return id;
}

std::unique_ptr<GraphDocument> emptyGraph()
{
    return std::make_unique<GraphDocument>(ClipReplica, UserId(0));
}

/// What a transaction could not carry (a paste is one): empty when all is well.
std::string checkTransportable(const GraphDocument& graph)
{
    const TransactionLimits limits;
    std::string why;
    for (const EntityKind kind : {EntityKind::Node, EntityKind::Edge, EntityKind::Annotation}) {
        graph.forEach(kind, [&](const GraphDocument::Entity& e) {
            if (!why.empty())
                return;
            for (const GraphDocument::Register& r : e.registers) {
                if (r.value.isNone())
                    continue;
                if (r.value.type() == ValueType::String && r.value.toStringView().size() > limits.maxStringBytes)
                    why = std::string("a text of more than ") + std::to_string(limits.maxStringBytes) + " bytes";
                if (r.key >= GraphDocument::PropertyKeyBase
                    && graph.propertyName(r.key).size() > limits.maxNameBytes)
                    why = std::string("a property name of more than ") + std::to_string(limits.maxNameBytes) + " bytes";
            }
        });
    }
    return why;
}

std::string checkTransportable(const GraphData& data)
{
    const TransactionLimits limits;
    auto tooLong = [&](std::string_view text) { return text.size() > limits.maxStringBytes; };
    auto badProperties = [&](const std::vector<GraphData::Property>& properties) -> std::string {
        for (const GraphData::Property& p : properties) {
            if (p.name.size() > limits.maxNameBytes)
                return "a property name of more than " + std::to_string(limits.maxNameBytes) + " bytes";
            if (p.value.type() == ValueType::String && tooLong(p.value.toStringView()))
                return "a text of more than " + std::to_string(limits.maxStringBytes) + " bytes";
        }
        return {};
    };
    const std::string longText = "a text of more than " + std::to_string(limits.maxStringBytes) + " bytes";
    for (const GraphData::Node& n : data.nodes) {
        if (tooLong(n.key) || (n.label && tooLong(*n.label)))
            return longText;
        if (std::string why = badProperties(n.properties); !why.empty())
            return why;
    }
    for (const GraphData::Edge& e : data.edges) {
        if (e.label && tooLong(*e.label))
            return longText;
        if (std::string why = badProperties(e.properties); !why.empty())
            return why;
    }
    return {};
}

} // namespace

Subgraph::Subgraph() : m_graph(emptyGraph()) {}
Subgraph::Subgraph(Subgraph&&) noexcept = default;
Subgraph& Subgraph::operator=(Subgraph&&) noexcept = default;
Subgraph::~Subgraph() = default;

Subgraph Subgraph::copy(const GraphDocument& document, const std::vector<EntityId>& ids)
{
    Subgraph s;
    for (const EntityId id : ids)
        if (const GraphDocument::Entity* e = document.entity(id); e && e->kind == EntityKind::Node && document.isVisible(*e))
            s.m_sources.push_back(id);
    std::sort(s.m_sources.begin(), s.m_sources.end());
    s.m_sources.erase(std::unique(s.m_sources.begin(), s.m_sources.end()), s.m_sources.end());

    TransactionBuilder b = s.m_graph->begin();
    std::unordered_map<EntityId, EntityId> copied; // document id -> id in the subgraph
    for (const EntityId id : s.m_sources) {
        const GraphDocument::Entity& e = *document.entity(id);
        copied.emplace(id, createWith(b, fieldsOf(document, e), [&](const auto& f) { return b.createNode(f); }));
    }
    // The edges among the copied nodes, and the annotations on what was copied, in id order
    // (a scan: a selection's edges are not indexed by node).
    document.forEach(EntityKind::Edge, [&](const GraphDocument::Entity& e) {
        auto a = copied.find(e.a), z = copied.find(e.b);
        if (a == copied.end() || z == copied.end())
            return;
        const EntityId from = a->second, to = z->second;
        copied.emplace(e.id, createWith(b, fieldsOf(document, e), [&](const auto& f) {
            return b.createEdge(from, to, document.directed(e), f);
        }));
    }, true);
    document.forEach(EntityKind::Annotation, [&](const GraphDocument::Entity& e) {
        auto on = copied.find(e.a);
        if (on == copied.end())
            return;
        const EntityId target = on->second;
        createWith(b, fieldsOf(document, e), [&](const auto& f) {
            return b.createAnnotation(target, document.annotationKind(e), f);
        });
    }, true);
    s.m_graph->commit(b);
    return s;
}

std::string Subgraph::encode() const
{
    std::string out(Magic);
    ByteWriter w(out);
    w.u8(FormatVersion);
    w.varint(m_sources.size());
    for (const EntityId id : m_sources)
        w.u64(id.packed());
    out += m_graph->encodeSnapshot();
    return out;
}

std::optional<Subgraph> Subgraph::decode(std::string_view bytes, std::string* error)
{
    auto fail = [&](std::string why) -> std::optional<Subgraph> {
        if (error)
            *error = std::move(why);
        return std::nullopt;
    };
    if (!bytes.starts_with(Magic))
        return fail("not a Constellate subgraph");
    ByteReader r(bytes.substr(Magic.size()));
    const std::uint8_t version = r.u8();
    if (!r.ok())
        return fail("truncated after its header");
    if (version != FormatVersion)
        return fail("subgraph format version " + std::to_string(version) + " (this editor reads "
                    + std::to_string(FormatVersion) + "): copy it again from this version of Constellate");
    const std::uint64_t count = r.varint();
    if (!r.ok() || count > r.remaining() / 8)
        return fail("the list of original nodes is " + (r.ok() ? std::string("longer than the data") : r.error()));
    Subgraph s;
    s.m_sources.reserve(std::size_t(count));
    for (std::uint64_t i = 0; i < count; ++i)
        s.m_sources.push_back(OpId::fromPacked(r.u64()));
    const std::string_view snapshot = bytes.substr(Magic.size() + r.offset());
    std::string why;
    if (!s.m_graph->mergeSnapshot(snapshot, &why))
        return fail("its graph: " + why);
    if (why = checkTransportable(*s.m_graph); !why.empty())
        return fail("it holds " + why + ", more than an edit can carry");
    if (s.isEmpty())
        return fail("it holds no node");
    return s;
}

std::optional<Subgraph> Subgraph::fromNodeLink(std::string_view json, std::string* error)
{
    GraphData data;
    try {
        GraphDataSink collect(data);
        readGraph(json, GraphFormat::Json, "the clipboard", collect);
    } catch (const std::exception& e) {
        if (error)
            *error = e.what();
        return std::nullopt;
    }
    // Checked before it becomes a transaction: a value past the limits would not decode
    // (applying stops there), so it is refused whole here.
    if (std::string why = checkTransportable(data); !why.empty()) {
        if (error)
            *error = "the clipboard's graph holds " + why + ", more than an edit can carry";
        return std::nullopt;
    }
    Subgraph s;
    TransactionBuilder b = s.m_graph->begin();
    ImportSink sink(b);
    data.replay(sink);
    s.m_graph->commit(b);
    if (s.isEmpty()) {
        if (error)
            *error = "the clipboard's graph has no node";
        return std::nullopt;
    }
    return s;
}

std::string Subgraph::toNodeLink() const
{
    return writeGraph(exportGraphData(*m_graph), GraphFormat::Json);
}

std::size_t Subgraph::nodeCount() const
{
    return m_graph->count(EntityKind::Node);
}

std::size_t Subgraph::edgeCount() const
{
    return m_graph->count(EntityKind::Edge);
}

std::size_t Subgraph::annotationCount() const
{
    return m_graph->count(EntityKind::Annotation);
}

Vec3 Subgraph::center() const
{
    constexpr float Inf = std::numeric_limits<float>::infinity();
    Vec3 lo {Inf, Inf, Inf}, hi {-Inf, -Inf, -Inf};
    m_graph->forEach(EntityKind::Node, [&](const GraphDocument::Entity& e) {
        const Vec3 p = m_graph->position(e);
        lo = {std::min(lo.x, p.x), std::min(lo.y, p.y), std::min(lo.z, p.z)};
        hi = {std::max(hi.x, p.x), std::max(hi.y, p.y), std::max(hi.z, p.z)};
    });
    if (lo.x > hi.x)
        return {};
    return {(lo.x + hi.x) / 2, (lo.y + hi.y) / 2, (lo.z + hi.z) / 2};
}

float Subgraph::radius() const
{
    const Vec3 c = center();
    float r = 0;
    m_graph->forEach(EntityKind::Node, [&](const GraphDocument::Entity& e) {
        const Vec3 p = m_graph->position(e);
        r = std::max(r, std::sqrt((p.x - c.x) * (p.x - c.x) + (p.y - c.y) * (p.y - c.y) + (p.z - c.z) * (p.z - c.z)));
    });
    return r;
}

float Subgraph::largestNodeSize() const
{
    float largest = 0;
    m_graph->forEach(EntityKind::Node, [&](const GraphDocument::Entity& e) { largest = std::max(largest, m_graph->size(e)); });
    return largest;
}

bool Subgraph::cameFrom(const GraphDocument& document) const
{
    return std::any_of(m_sources.begin(), m_sources.end(), [&](EntityId id) {
        const GraphDocument::Entity* e = document.entity(id);
        return e && e->kind == EntityKind::Node && document.isVisible(*e);
    });
}

std::vector<EntityId> Subgraph::paste(TransactionBuilder& builder, Vec3 offset) const
{
    const GraphDocument& g = *m_graph;
    std::unordered_map<EntityId, EntityId> pasted; // subgraph id -> new id
    std::vector<EntityId> nodes;
    g.forEach(EntityKind::Node, [&](const GraphDocument::Entity& e) {
        std::vector<FieldValue> fields = fieldsOf(g, e);
        for (FieldValue& fv : fields)
            if (fv.ref.field == Field::Position) {
                const Vec3 p = fv.value.toVec3();
                fv.value = Value(Vec3 {p.x + offset.x, p.y + offset.y, p.z + offset.z});
            }
        const EntityId id = createWith(builder, std::move(fields), [&](const auto& f) { return builder.createNode(f); });
        pasted.emplace(e.id, id);
        nodes.push_back(id);
    }, true);
    g.forEach(EntityKind::Edge, [&](const GraphDocument::Entity& e) {
        const EntityId from = pasted.at(e.a), to = pasted.at(e.b); // visible: both ends are nodes here
        pasted.emplace(e.id, createWith(builder, fieldsOf(g, e), [&](const auto& f) {
            return builder.createEdge(from, to, g.directed(e), f);
        }));
    }, true);
    g.forEach(EntityKind::Annotation, [&](const GraphDocument::Entity& e) {
        const EntityId target = pasted.at(e.a);
        createWith(builder, fieldsOf(g, e), [&](const auto& f) {
            return builder.createAnnotation(target, g.annotationKind(e), f);
        });
    }, true);
    return nodes;
}

} // namespace constellate
