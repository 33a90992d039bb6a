#include "graphml.h"

#include "fielduse.h"
#include "recordbuilder.h"
#include "textscan.h"
#include "xmlscanner.h"

#include <cmath>
#include <deque>
#include <unordered_map>

namespace constellate {

namespace {

enum class KeyType { Bool, Int, Double, String };
// Which record field a key feeds, instead of a free property.
enum class Role { None, Label, X, Y, Z, Color, Size, Weight };

constexpr unsigned ForGraph = 1, ForNode = 2, ForEdge = 4, ForAll = 7;

struct Key {
    std::string id;
    std::string name;
    KeyType type = KeyType::String;
    unsigned domains = ForAll;
    Role nodeRole = Role::None;
    Role edgeRole = Role::None;
    bool hasDefault = false;
    std::string defaultText;
    const char* defaultAt = nullptr;
};

KeyType keyTypeFromName(std::string_view t)
{
    if (t == "boolean")
        return KeyType::Bool;
    if (t == "int" || t == "long")
        return KeyType::Int;
    if (t == "float" || t == "double")
        return KeyType::Double;
    return KeyType::String;
}

Role nodeRoleFor(std::string_view name)
{
    if (name == "label")
        return Role::Label;
    if (name == "x")
        return Role::X;
    if (name == "y")
        return Role::Y;
    if (name == "z")
        return Role::Z;
    if (name == "color")
        return Role::Color;
    if (name == "size")
        return Role::Size;
    return Role::None;
}

Role edgeRoleFor(std::string_view name)
{
    if (name == "label")
        return Role::Label;
    if (name == "weight")
        return Role::Weight;
    if (name == "color")
        return Role::Color;
    return Role::None;
}

class GraphMlReader {
public:
    GraphMlReader(const TextScan& text, GraphSink& sink)
        : m_xml(text)
        , m_sink(sink)
    {
    }

    void read()
    {
        m_xml.next();
        if (m_xml.name() != "graphml")
            m_xml.fail(m_xml.tagStart(), "not a GraphML file: the root element is <" + std::string(m_xml.name()) + ">");
        bool graphRead = false;
        while (m_xml.next() == XmlScanner::Event::StartElement) {
            const std::string_view name = m_xml.name();
            if (name == "key") {
                readKey();
            } else if (name == "graph" && !graphRead) {
                // A file may hold several graphs; like networkx, we read the first.
                readGraph();
                graphRead = true;
            } else {
                m_xml.skipElement();
            }
        }
        m_xml.next(); // EndDocument, or an error for anything after the root element
    }

private:
    void readKey()
    {
        const char* at = m_xml.tagStart();
        const auto id = m_xml.attribute("id");
        if (!id)
            m_xml.fail(at, "<key> without an id attribute");
        Key& key = m_keys.emplace_back();
        key.id = *id;
        const auto name = m_xml.attribute("attr.name");
        key.name = name ? *name : *id;
        if (const auto type = m_xml.attribute("attr.type"))
            key.type = keyTypeFromName(*type);
        if (const auto domain = m_xml.attribute("for")) {
            if (*domain == "node")
                key.domains = ForNode;
            else if (*domain == "edge")
                key.domains = ForEdge;
            else if (*domain == "graph")
                key.domains = ForGraph;
            else if (*domain == "all")
                key.domains = ForAll;
            else
                key.domains = 0; // hyperedge, port, graphml: nothing we read
        }
        key.nodeRole = nodeRoleFor(key.name);
        key.edgeRole = edgeRoleFor(key.name);
        m_keyIndex[key.id] = m_keys.size() - 1;
        m_seen.push_back(0);
        while (m_xml.next() == XmlScanner::Event::StartElement) {
            if (m_xml.name() == "default") {
                key.defaultText = m_xml.readText();
                key.defaultAt = m_xml.textStart();
                key.hasDefault = true;
                m_nodeDefaults |= (key.domains & ForNode) != 0;
                m_edgeDefaults |= (key.domains & ForEdge) != 0;
            } else {
                m_xml.skipElement();
            }
        }
    }

    void readGraph()
    {
        const auto edgeDefault = m_xml.attribute("edgedefault");
        // Missing edgedefault: undirected, as networkx reads it.
        m_sink.setDirected(edgeDefault && *edgeDefault == "directed");
        while (m_xml.next() == XmlScanner::Event::StartElement) {
            const std::string_view name = m_xml.name();
            if (name == "node")
                readNode();
            else if (name == "edge")
                readEdge();
            else if (name == "hyperedge")
                m_xml.fail(m_xml.tagStart(), "hyperedges are not supported");
            else
                m_xml.skipElement(); // data (graph attributes), desc, locator
        }
    }

    void readNode()
    {
        const char* at = m_xml.tagStart();
        const auto id = m_xml.attribute("id");
        if (!id)
            m_xml.fail(at, "<node> without an id attribute");
        m_key.assign(*id);
        m_record.clear();
        ++m_stamp;
        while (m_xml.next() == XmlScanner::Event::StartElement) {
            const std::string_view name = m_xml.name();
            if (name == "data")
                readData(ForNode);
            else if (name == "graph")
                m_xml.fail(m_xml.tagStart(), "nested graphs are not supported");
            else if (name == "port")
                m_xml.fail(m_xml.tagStart(), "ports are not supported");
            else
                m_xml.skipElement();
        }
        if (m_nodeDefaults)
            applyDefaults(ForNode);
        m_record.deliverNode(m_sink, m_key);
    }

    void readEdge()
    {
        const char* at = m_xml.tagStart();
        const auto source = m_xml.attribute("source");
        const auto target = m_xml.attribute("target");
        if (!source || !target)
            m_xml.fail(at, "<edge> without source and target attributes");
        if (m_xml.findAttribute("sourceport") || m_xml.findAttribute("targetport"))
            m_xml.fail(at, "ports are not supported");
        m_source.assign(*source);
        m_target.assign(*target);
        m_record.clear();
        if (const XmlScanner::Attribute* directed = m_xml.findAttribute("directed")) {
            bool d;
            if (!parseBoolText(directed->value, d))
                m_xml.fail(directed->at, "directed must be true or false");
            m_record.setDirected(d);
        }
        ++m_stamp;
        while (m_xml.next() == XmlScanner::Event::StartElement) {
            const std::string_view name = m_xml.name();
            if (name == "data")
                readData(ForEdge);
            else if (name == "graph")
                m_xml.fail(m_xml.tagStart(), "nested graphs are not supported");
            else
                m_xml.skipElement();
        }
        if (m_edgeDefaults)
            applyDefaults(ForEdge);
        m_record.deliverEdge(m_sink, m_source, m_target);
    }

    void readData(unsigned domain)
    {
        const auto keyId = m_xml.attribute("key");
        if (!keyId)
            m_xml.fail(m_xml.tagStart(), "<data> without a key attribute");
        std::size_t index;
        if (const auto it = m_keyIndex.find(*keyId); it != m_keyIndex.end()) {
            index = it->second;
        } else {
            // Undeclared key: keep the value as a string named by the key id.
            Key& key = m_keys.emplace_back();
            key.id = *keyId;
            key.name = *keyId;
            m_keyIndex[key.id] = index = m_keys.size() - 1;
            m_seen.push_back(0);
        }
        bool hadChildren = false;
        const std::string_view text = m_xml.readText(&hadChildren);
        m_seen[index] = m_stamp;
        // yFiles and similar tools put their own markup in data: nothing we can map.
        if (hadChildren)
            return;
        apply(m_keys[index], domain, text, m_xml.textStart());
    }

    void applyDefaults(unsigned domain)
    {
        for (std::size_t i = 0; i < m_keys.size(); ++i) {
            const Key& key = m_keys[i];
            if (key.hasDefault && (key.domains & domain) && m_seen[i] != m_stamp)
                apply(key, domain, key.defaultText, key.defaultAt);
        }
    }

    void apply(const Key& key, unsigned domain, std::string_view text, const char* at)
    {
        const Role role = domain == ForNode ? key.nodeRole : key.edgeRole;
        double number;
        switch (role) {
        case Role::None:
            break;
        case Role::Label:
            m_record.setLabel(text);
            return;
        case Role::X:
        case Role::Y:
        case Role::Z:
            if (parseDouble(trimSpace(text), number)) {
                if (!isFiniteAsFloat(number))
                    m_xml.fail(at, "non-finite position coordinate '" + std::string(text) + "'");
                m_record.setCoordinate(int(role) - int(Role::X), number, typedValue(key, text, at));
                return;
            }
            break;
        case Role::Color:
            if (const auto c = parseHexColor(trimSpace(text))) {
                m_record.setColor(*c);
                return;
            }
            break;
        case Role::Size:
            if (parseDouble(trimSpace(text), number) && isFiniteAsFloat(number)) {
                m_record.setSize(float(number));
                return;
            }
            break;
        case Role::Weight:
            if (parseDouble(trimSpace(text), number)) {
                m_record.setWeight(number);
                return;
            }
            break;
        }
        // Not a usable field value ("red" as a color): a property of the declared type,
        // which also reports numbers that do not parse.
        m_record.setProperty(key.name, typedValue(key, text, at));
    }

    Value typedValue(const Key& key, std::string_view text, const char* at)
    {
        switch (key.type) {
        case KeyType::String:
            return Value(text);
        case KeyType::Bool: {
            bool b;
            if (!parseBoolText(trimSpace(text), b))
                m_xml.fail(at, "invalid boolean '" + std::string(text) + "' for '" + key.name + "'");
            return Value(b);
        }
        case KeyType::Int: {
            std::int64_t i;
            if (parseInt64(trimSpace(text), i))
                return Value(i);
            // Past 64 bits (Python ints have no limit): keep the magnitude as a double.
            double d;
            if (parseDouble(trimSpace(text), d) && std::isfinite(d) && d == std::floor(d))
                return Value(d);
            m_xml.fail(at, "invalid integer '" + std::string(text) + "' for '" + key.name + "'");
        }
        case KeyType::Double: {
            double d;
            if (!parseDouble(trimSpace(text), d))
                m_xml.fail(at, "invalid number '" + std::string(text) + "' for '" + key.name + "'");
            return Value(d);
        }
        }
        return Value(text);
    }

    XmlScanner m_xml;
    GraphSink& m_sink;
    std::deque<Key> m_keys; // a deque: m_keyIndex holds views of the ids
    std::unordered_map<std::string_view, std::size_t> m_keyIndex;
    // m_seen[key] == m_stamp: the current element had data for that key (defaults skip it).
    std::vector<std::uint32_t> m_seen;
    std::uint32_t m_stamp = 0;
    bool m_nodeDefaults = false;
    bool m_edgeDefaults = false;
    RecordBuilder m_record;
    std::string m_key;
    std::string m_source;
    std::string m_target;
};

// --- writing ---

struct WriteKey {
    std::string id;
    std::string name;
    ValueType type;
};

void declareKey(std::string& out, const std::string& id, const char* domain, std::string_view name, const char* type)
{
    out += "  <key id=\"";
    out += id;
    out += "\" for=\"";
    out += domain;
    out += "\" attr.name=\"";
    appendXmlEscaped(out, name, true);
    out += "\" attr.type=\"";
    out += type;
    out += "\"/>\n";
}

void openData(std::string& out, const std::string& keyId)
{
    out += "      <data key=\"";
    out += keyId;
    out += "\">";
}

} // namespace

void readGraphMl(std::string_view bytes, const std::string& fileName, GraphSink& sink)
{
    const TextScan text(bytes, fileName);
    GraphMlReader(text, sink).read();
}

std::string writeGraphMl(const GraphData& graph)
{
    const FieldUse use = FieldUse::of(graph);
    std::string out;
    out.reserve(256 + graph.nodes.size() * 96 + graph.edges.size() * 96);
    out += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
           "<graphml xmlns=\"http://graphml.graphdrawing.org/xmlns\" "
           "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "
           "xsi:schemaLocation=\"http://graphml.graphdrawing.org/xmlns "
           "http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd\">\n";

    int nextId = 0;
    auto newId = [&] { return "d" + std::to_string(nextId++); };
    std::string labelKey, xKey, yKey, zKey, colorKey, sizeKey;
    std::string edgeLabelKey, edgeColorKey, weightKey;
    if (use.nodeLabel)
        declareKey(out, labelKey = newId(), "node", "label", "string");
    if (use.nodePosition) {
        declareKey(out, xKey = newId(), "node", "x", "float");
        declareKey(out, yKey = newId(), "node", "y", "float");
        declareKey(out, zKey = newId(), "node", "z", "float");
    }
    if (use.nodeColor)
        declareKey(out, colorKey = newId(), "node", "color", "string");
    if (use.nodeSize)
        declareKey(out, sizeKey = newId(), "node", "size", "float");
    if (use.edgeLabel)
        declareKey(out, edgeLabelKey = newId(), "edge", "label", "string");
    if (use.edgeWeight)
        declareKey(out, weightKey = newId(), "edge", "weight", "double");
    if (use.edgeColor)
        declareKey(out, edgeColorKey = newId(), "edge", "color", "string");

    // A property named like a field in use would read back as that field: left out.
    auto nodeNameTaken = [&](std::string_view n) {
        return (use.nodeLabel && n == "label") || (use.nodePosition && (n == "x" || n == "y" || n == "z"))
            || (use.nodeColor && n == "color") || (use.nodeSize && n == "size");
    };
    auto edgeNameTaken = [&](std::string_view n) {
        return (use.edgeLabel && n == "label") || (use.edgeWeight && n == "weight") || (use.edgeColor && n == "color");
    };
    std::unordered_map<std::string, WriteKey> nodeKeys, edgeKeys;
    for (const auto& [name, type] : graph.nodePropertyKeys()) {
        if (nodeNameTaken(name))
            continue;
        WriteKey k { newId(), name, type };
        declareKey(out, k.id, "node", name, xmlTypeName(type));
        nodeKeys.emplace(name, std::move(k));
    }
    for (const auto& [name, type] : graph.edgePropertyKeys()) {
        if (edgeNameTaken(name))
            continue;
        WriteKey k { newId(), name, type };
        declareKey(out, k.id, "edge", name, xmlTypeName(type));
        edgeKeys.emplace(name, std::move(k));
    }

    out += graph.directed ? "  <graph edgedefault=\"directed\">\n" : "  <graph edgedefault=\"undirected\">\n";
    auto writeProperties
        = [&](const std::vector<GraphData::Property>& props, const std::unordered_map<std::string, WriteKey>& keys) {
              for (const GraphData::Property& p : props) {
                  const auto it = keys.find(p.name);
                  if (it == keys.end() || p.value.isNone())
                      continue;
                  const std::size_t mark = out.size();
                  openData(out, it->second.id);
                  if (!appendTypedXmlValue(out, it->second.type, p.value, false)) {
                      out.resize(mark);
                      continue;
                  }
                  out += "</data>\n";
              }
          };
    for (const GraphData::Node& n : graph.nodes) {
        out += "    <node id=\"";
        appendXmlEscaped(out, n.key, true);
        out += "\">\n";
        if (n.label) {
            openData(out, labelKey);
            appendXmlEscaped(out, *n.label, false);
            out += "</data>\n";
        }
        if (n.position) {
            openData(out, xKey);
            appendFloat(out, n.position->x);
            out += "</data>\n";
            openData(out, yKey);
            appendFloat(out, n.position->y);
            out += "</data>\n";
            openData(out, zKey);
            appendFloat(out, n.position->z);
            out += "</data>\n";
        }
        if (n.color) {
            openData(out, colorKey);
            appendHexColor(out, *n.color, false);
            out += "</data>\n";
        }
        if (n.size) {
            openData(out, sizeKey);
            appendFloat(out, *n.size);
            out += "</data>\n";
        }
        writeProperties(n.properties, nodeKeys);
        out += "    </node>\n";
    }
    for (const GraphData::Edge& e : graph.edges) {
        out += "    <edge source=\"";
        appendXmlEscaped(out, graph.nodes.at(e.source).key, true);
        out += "\" target=\"";
        appendXmlEscaped(out, graph.nodes.at(e.target).key, true);
        if (e.directed != graph.directed)
            out += e.directed ? "\" directed=\"true" : "\" directed=\"false";
        out += "\">\n";
        if (e.label) {
            openData(out, edgeLabelKey);
            appendXmlEscaped(out, *e.label, false);
            out += "</data>\n";
        }
        if (e.weight) {
            openData(out, weightKey);
            appendDouble(out, *e.weight);
            out += "</data>\n";
        }
        if (e.color) {
            openData(out, edgeColorKey);
            appendHexColor(out, *e.color, false);
            out += "</data>\n";
        }
        writeProperties(e.properties, edgeKeys);
        out += "    </edge>\n";
    }
    out += "  </graph>\n</graphml>\n";
    return out;
}

} // namespace constellate
