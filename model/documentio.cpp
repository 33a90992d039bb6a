#include "documentio.h"

#include <QByteArray>
#include <QFile>
#include <QSaveFile>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numbers>
#include <unordered_set>

namespace constellate {

std::string ImportReport::directedness() const
{
    if (directedEdges == 0)
        return "undirected";
    return directedEdges == edges ? "directed" : "mixed";
}

// ---- import -----------------------------------------------------------------------------

ImportSink::ImportSink(TransactionBuilder& builder) : m_builder(builder) {}

void ImportSink::setDirected(bool directed)
{
    m_directed = directed;
}

Vec3 ImportSink::initialPosition(std::size_t index)
{
    // Fibonacci directions on the sphere, radius growing with the cube root of the
    // index: each shell is as dense as the ones inside it.
    const double i = double(index) + 0.5;
    const double golden = std::numbers::pi * (3.0 - std::sqrt(5.0));
    const double z = 1.0 - 2.0 * std::fmod(i * 0.6180339887498949, 1.0);
    const double ring = std::sqrt(std::max(0.0, 1.0 - z * z));
    const double radius = 1.6 * std::cbrt(i);
    return {float(radius * ring * std::cos(golden * i)), float(radius * ring * std::sin(golden * i)),
            float(radius * z)};
}

void ImportSink::noteAttribute(std::vector<std::string>& list, std::string_view name)
{
    if (std::find(list.begin(), list.end(), name) == list.end())
        list.emplace_back(name);
}

EntityId ImportSink::nodeFor(std::string_view key, bool* created)
{
    if (!m_nodes.find(key))
        checkTexts("node", key, std::nullopt, {});
    if (const EntityId* known = m_nodes.find(key)) {
        *created = false;
        return *known;
    }
    *created = true;
    const Vec3 pos = initialPosition(m_report.nodes++);
    const EntityId id = m_builder.beginCreateNode(2);
    m_builder.addField(Field::Position, Value(pos));
    m_builder.addField(Field::Label, Value(key));
    m_nodes.tryEmplace(key, id);
    return id;
}

void ImportSink::checkTexts(std::string_view what, std::string_view key, std::optional<std::string_view> label,
                            std::span<const PropertyRecord> properties) const
{
    const TransactionLimits limits;
    const auto name = [&] {
        const std::string_view shown = key.substr(0, 40);
        return std::string(what) + " \"" + std::string(shown) + (key.size() > shown.size() ? "...\"" : "\"");
    };
    const auto tooLong = [&](std::string_view field, std::size_t bytes, std::size_t limit) {
        throw std::invalid_argument(name() + ": its " + std::string(field) + " is " + std::to_string(bytes)
                                    + " bytes long, more than the " + std::to_string(limit) + " a document keeps");
    };
    if (label && label->size() > limits.maxStringBytes)
        tooLong("label", label->size(), limits.maxStringBytes);
    if (!label && what == "node" && key.size() > limits.maxStringBytes)
        tooLong("id (its label)", key.size(), limits.maxStringBytes);
    for (const PropertyRecord& p : properties) {
        if (p.name.size() > limits.maxNameBytes)
            tooLong("property name \"" + std::string(p.name.substr(0, 40)) + "...\"", p.name.size(), limits.maxNameBytes);
        if (p.value.type() == ValueType::String && p.value.toStringView().size() > limits.maxStringBytes)
            tooLong("property \"" + std::string(p.name) + "\"", p.value.toStringView().size(), limits.maxStringBytes);
    }
}

void ImportSink::addNode(const NodeRecord& node)
{
    checkTexts("node", node.key, node.label, node.properties);
    const EntityId* existing = m_nodes.find(node.key);
    const bool known = existing != nullptr;
    const std::uint32_t fieldCount = 2 + (node.color ? 1 : 0) + (node.size ? 1 : 0) + std::uint32_t(node.properties.size());
    EntityId id;
    auto write = [&](Field f, const Value& v) {
        if (known)
            m_builder.set(id, {f, {}}, v, id);
        else
            m_builder.addField(f, v);
    };
    if (known) {
        id = *existing;
    } else {
        id = m_builder.beginCreateNode(fieldCount);
        m_nodes.tryEmplace(node.key, id);
    }
    const Vec3 pos = node.position ? *node.position : initialPosition(known ? 0 : m_report.nodes);
    if (!known)
        ++m_report.nodes;
    if (!known || node.position)
        write(Field::Position, Value(pos));
    if (!known || node.label)
        write(Field::Label, Value(node.label ? *node.label : node.key));
    if (node.color)
        write(Field::Color, Value::color(*node.color));
    if (node.size)
        write(Field::Size, Value(double(*node.size)));
    for (const PropertyRecord& p : node.properties) {
        if (known)
            m_builder.set(id, {Field::Property, std::string(p.name)}, p.value, id);
        else
            m_builder.addProperty(p.name, p.value);
        noteAttribute(m_report.nodeAttributes, p.name);
    }
    if (node.label)
        noteAttribute(m_report.nodeAttributes, "label");
    if (node.position)
        noteAttribute(m_report.nodeAttributes, "position");
    if (node.color)
        noteAttribute(m_report.nodeAttributes, "color");
    if (node.size)
        noteAttribute(m_report.nodeAttributes, "size");
}

void ImportSink::addEdge(const EdgeRecord& edge)
{
    checkTexts("edge", std::string(edge.sourceKey) + " -> " + std::string(edge.targetKey), edge.label, edge.properties);
    bool created = false;
    const EntityId source = nodeFor(edge.sourceKey, &created);
    const EntityId target = nodeFor(edge.targetKey, &created);
    const bool directed = edge.directed.value_or(m_directed);
    const std::uint32_t fieldCount = (edge.label ? 1 : 0) + (edge.color ? 1 : 0) + (edge.weight ? 1 : 0)
        + std::uint32_t(edge.properties.size());
    m_builder.beginCreateEdge(source, target, directed, fieldCount);
    if (edge.label) {
        m_builder.addField(Field::Label, Value(*edge.label));
        noteAttribute(m_report.edgeAttributes, "label");
    }
    if (edge.color) {
        m_builder.addField(Field::Color, Value::color(*edge.color));
        noteAttribute(m_report.edgeAttributes, "color");
    }
    if (edge.weight) {
        m_builder.addField(Field::Weight, Value(*edge.weight));
        noteAttribute(m_report.edgeAttributes, "weight");
    }
    for (const PropertyRecord& p : edge.properties) {
        m_builder.addProperty(p.name, p.value);
        noteAttribute(m_report.edgeAttributes, p.name);
    }
    ++m_report.edges;
    if (directed)
        ++m_report.directedEdges;
}

namespace {

ImportReport reportFromDocument(const GraphDocument& document)
{
    ImportReport r;
    r.format = GraphFormat::Native;
    document.forEach(EntityKind::Edge, [&](const GraphDocument::Entity& e) {
        ++r.edges;
        if (document.directed(e))
            ++r.directedEdges;
    });
    r.nodes = document.count(EntityKind::Node);
    r.nodeAttributes = document.propertyNames(EntityKind::Node);
    r.edgeAttributes = document.propertyNames(EntityKind::Edge);
    return r;
}

} // namespace

ImportReport importGraphFile(GraphDocument& document, const std::string& path, Transaction* transaction,
                             std::vector<LocalChange>* changes)
{
    const GraphFormat format = formatFromPath(path);
    if (format == GraphFormat::Native) {
        loadNative(document, path);
        return reportFromDocument(document);
    }
    TransactionBuilder builder = document.begin();
    ImportSink sink(builder);
    try {
        readGraphFile(path, sink, format);
    } catch (const std::invalid_argument& e) {
        // A value the document refuses (say, a negative size) that the reader let through.
        throw ImportError(path, 0, 0, e.what());
    }
    ImportReport report = sink.report();
    report.format = format;
    Transaction t = document.commit(builder, changes);
    if (transaction)
        *transaction = std::move(t);
    return report;
}

// ---- export -----------------------------------------------------------------------------

GraphData exportGraphData(const GraphDocument& document)
{
    GraphData g;
    std::unordered_map<EntityId, std::size_t> index;
    std::unordered_set<std::string_view> labels;
    bool labelsAreKeys = true;
    document.forEach(EntityKind::Node, [&](const GraphDocument::Entity& e) {
        const std::string_view label = document.label(e);
        if (label.empty() || !labels.insert(label).second)
            labelsAreKeys = false;
        index.emplace(e.id, g.nodes.size());
        GraphData::Node n;
        n.label = std::string(label);
        n.position = document.position(e);
        if (!document.value(e, {Field::Color, {}}).isNone())
            n.color = document.color(e);
        if (!document.value(e, {Field::Size, {}}).isNone())
            n.size = document.size(e);
        document.forEachProperty(e, [&](std::string_view name, const Value& v) {
            n.properties.push_back({std::string(name), v});
        });
        g.nodes.push_back(std::move(n));
    }, true);
    for (std::size_t i = 0; i < g.nodes.size(); ++i)
        g.nodes[i].key = labelsAreKeys ? *g.nodes[i].label : "n" + std::to_string(i);

    std::size_t directed = 0;
    document.forEach(EntityKind::Edge, [&](const GraphDocument::Entity& e) {
        GraphData::Edge out;
        out.source = index.at(e.a);
        out.target = index.at(e.b);
        out.directed = document.directed(e);
        directed += out.directed;
        if (const std::string_view l = document.label(e); !l.empty())
            out.label = std::string(l);
        if (!document.value(e, {Field::Color, {}}).isNone())
            out.color = document.color(e);
        if (!document.value(e, {Field::Weight, {}}).isNone())
            out.weight = document.weight(e);
        document.forEachProperty(e, [&](std::string_view name, const Value& v) {
            out.properties.push_back({std::string(name), v});
        });
        g.edges.push_back(std::move(out));
    }, true);
    g.directed = !g.edges.empty() && directed * 2 > g.edges.size();
    return g;
}

void exportGraphFile(const GraphDocument& document, const std::string& path)
{
    const GraphFormat format = formatFromPath(path);
    if (format == GraphFormat::Native)
        saveNative(document, path);
    else
        writeGraphFile(path, exportGraphData(document), format);
}

// ---- native -----------------------------------------------------------------------------

namespace {
constexpr char NativeMagic[12] = {'C', 'O', 'N', 'S', 'T', 'E', 'L', 'L', 'A', 'T', 'E', '\0'};
/// 2: the snapshot inside is GraphDocument's snapshot version 2. Version 1 files (snapshot
/// version 1) are still read; a version 1 reader refuses version 2 files as newer.
constexpr std::uint32_t NativeVersion = 2;
} // namespace

std::string nativeFileBytes(std::string_view snapshot)
{
    std::string out(NativeMagic, sizeof NativeMagic);
    const std::uint32_t version = NativeVersion;
    out.append(reinterpret_cast<const char*>(&version), 4);
    const QByteArray packed = qCompress(reinterpret_cast<const uchar*>(snapshot.data()), qsizetype(snapshot.size()), 6);
    out.append(packed.constData(), std::size_t(packed.size()));
    return out;
}

std::string nativeSnapshotFromFileBytes(std::string_view bytes, const std::string& displayName)
{
    const std::string_view magic(NativeMagic, sizeof NativeMagic);
    if (bytes.size() < sizeof NativeMagic + 4 || bytes.substr(0, sizeof NativeMagic) != magic)
        throw ImportError(displayName, 0, 0, "not a Constellate file (no CONSTELLATE header)");
    std::uint32_t version = 0;
    std::memcpy(&version, bytes.data() + sizeof NativeMagic, 4);
    if (version == 0 || version > NativeVersion)
        throw ImportError(displayName, 0, 0,
                          "written by a newer Constellate (file format " + std::to_string(version)
                              + ", this version reads up to " + std::to_string(NativeVersion) + ")");
    const std::string_view packed = bytes.substr(sizeof NativeMagic + 4);
    const QByteArray snapshot = qUncompress(reinterpret_cast<const uchar*>(packed.data()), qsizetype(packed.size()));
    if (snapshot.isEmpty())
        throw ImportError(displayName, 0, 0, "the file is damaged (its compressed content does not unpack)");
    return std::string(snapshot.constData(), std::size_t(snapshot.size()));
}

void saveNative(const GraphDocument& document, const std::string& path)
{
    const std::string out = nativeFileBytes(document.encodeSnapshot());
    QSaveFile f(QString::fromStdString(path));
    if (!f.open(QIODevice::WriteOnly) || f.write(out.data(), qint64(out.size())) != qint64(out.size()) || !f.commit())
        throw ExportError("cannot write " + path + ": " + f.errorString().toStdString());
}

void loadNative(GraphDocument& document, const std::string& path)
{
    QFile f(QString::fromStdString(path));
    if (!f.open(QIODevice::ReadOnly))
        throw ImportError(path, 0, 0, "cannot open: " + f.errorString().toStdString());
    const QByteArray bytes = f.readAll();
    const std::string snapshot
        = nativeSnapshotFromFileBytes(std::string_view(bytes.constData(), std::size_t(bytes.size())), path);
    std::string error;
    if (!document.mergeSnapshot(snapshot, &error))
        throw ImportError(path, 0, 0, "the file is damaged: " + error);
}

} // namespace constellate
