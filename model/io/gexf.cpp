#include "gexf.h"

#include "fielduse.h"
#include "recordbuilder.h"
#include "textscan.h"
#include "xmlscanner.h"

#include <cmath>
#include <deque>
#include <unordered_map>

namespace constellate {

namespace {

enum class AttrType { Bool, Int, Double, String };

struct Attr {
    std::string id;
    std::string title;
    AttrType type = AttrType::String;
    bool hasDefault = false;
    std::string defaultText;
    const char* defaultAt = nullptr;
};

// GEXF 1.1-1.3 type names. Lists, dates, URIs and anything newer stay text.
AttrType attrTypeFromName(std::string_view t)
{
    if (t == "boolean")
        return AttrType::Bool;
    if (t == "integer" || t == "long" || t == "short" || t == "byte" || t == "biginteger")
        return AttrType::Int;
    if (t == "float" || t == "double" || t == "bigdecimal")
        return AttrType::Double;
    return AttrType::String;
}

// One class of attributes (node or edge): declarations, and which ones the current
// element has set.
struct AttrClass {
    std::deque<Attr> attrs; // a deque: the index and property records hold views
    std::unordered_map<std::string_view, std::size_t> index;
    std::vector<std::uint32_t> seen;
    bool anyDefault = false;

    std::size_t add(std::string_view id, std::string_view title, AttrType type)
    {
        if (const auto it = index.find(id); it != index.end()) {
            Attr& a = attrs[it->second];
            a.title = title;
            a.type = type;
            return it->second;
        }
        Attr& a = attrs.emplace_back();
        a.id = id;
        a.title = title;
        a.type = type;
        index[a.id] = attrs.size() - 1;
        seen.push_back(0);
        return attrs.size() - 1;
    }
};

class GexfReader {
public:
    GexfReader(const TextScan& text, GraphSink& sink)
        : m_xml(text)
        , m_sink(sink)
    {
    }

    void read()
    {
        m_xml.next();
        if (m_xml.name() != "gexf")
            m_xml.fail(m_xml.tagStart(), "not a GEXF file: the root element is <" + std::string(m_xml.name()) + ">");
        bool graphRead = false;
        while (m_xml.next() == XmlScanner::Event::StartElement) {
            if (m_xml.name() == "graph" && !graphRead) {
                readGraph();
                graphRead = true;
            } else {
                m_xml.skipElement(); // meta, or a second graph
            }
        }
        m_xml.next();
    }

private:
    void readGraph()
    {
        bool directed = false;
        if (const XmlScanner::Attribute* type = m_xml.findAttribute("defaultedgetype")) {
            if (type->value == "directed")
                directed = true;
            else if (type->value != "undirected" && type->value != "mutual" && type->value != "mixed")
                m_xml.fail(type->at, "defaultedgetype must be directed, undirected or mutual");
        }
        m_sink.setDirected(directed);
        while (m_xml.next() == XmlScanner::Event::StartElement) {
            const std::string_view name = m_xml.name();
            if (name == "attributes")
                readAttributes();
            else if (name == "nodes")
                readNodes();
            else if (name == "edges")
                readEdges();
            else
                m_xml.skipElement();
        }
    }

    void readAttributes()
    {
        const auto cls = m_xml.attribute("class");
        AttrClass* target = nullptr;
        if (!cls || *cls == "node")
            target = &m_nodeAttrs;
        else if (*cls == "edge")
            target = &m_edgeAttrs;
        if (!target) {
            m_xml.skipElement();
            return;
        }
        while (m_xml.next() == XmlScanner::Event::StartElement) {
            if (m_xml.name() != "attribute") {
                m_xml.skipElement();
                continue;
            }
            const auto id = m_xml.attribute("id");
            if (!id)
                m_xml.fail(m_xml.tagStart(), "<attribute> without an id");
            const auto title = m_xml.attribute("title");
            const auto type = m_xml.attribute("type");
            const std::size_t index = target->add(*id, title ? *title : *id, attrTypeFromName(type ? *type : "string"));
            while (m_xml.next() == XmlScanner::Event::StartElement) {
                if (m_xml.name() == "default") {
                    Attr& a = target->attrs[index];
                    a.defaultText = m_xml.readText();
                    a.defaultAt = m_xml.textStart();
                    a.hasDefault = true;
                    target->anyDefault = true;
                } else {
                    m_xml.skipElement(); // options
                }
            }
        }
    }

    void readNodes()
    {
        while (m_xml.next() == XmlScanner::Event::StartElement) {
            if (m_xml.name() == "node")
                readNode();
            else
                m_xml.skipElement();
        }
    }

    void readEdges()
    {
        while (m_xml.next() == XmlScanner::Event::StartElement) {
            if (m_xml.name() == "edge")
                readEdge();
            else
                m_xml.skipElement();
        }
    }

    void readNode()
    {
        const auto id = m_xml.attribute("id");
        if (!id)
            m_xml.fail(m_xml.tagStart(), "<node> without an id attribute");
        m_key.assign(*id);
        m_record.clear();
        if (const auto label = m_xml.attribute("label"))
            m_record.setLabel(*label);
        ++m_stamp;
        while (m_xml.next() == XmlScanner::Event::StartElement) {
            const std::string_view name = m_xml.name();
            if (name == "attvalues")
                readAttValues(m_nodeAttrs);
            else if (name == "color")
                readColor();
            else if (name == "position")
                readPosition();
            else if (name == "size")
                readSize();
            else if (name == "nodes" || name == "edges")
                m_xml.fail(m_xml.tagStart(), "nested nodes (hierarchical graphs) are not supported");
            else
                m_xml.skipElement(); // shape, spells, parents
        }
        applyDefaults(m_nodeAttrs);
        m_record.deliverNode(m_sink, m_key);
    }

    void readEdge()
    {
        const char* at = m_xml.tagStart();
        const auto source = m_xml.attribute("source");
        const auto target = m_xml.attribute("target");
        if (!source || !target)
            m_xml.fail(at, "<edge> without source and target attributes");
        m_source.assign(*source);
        m_target.assign(*target);
        m_record.clear();
        if (const XmlScanner::Attribute* type = m_xml.findAttribute("type")) {
            if (type->value == "directed")
                m_record.setDirected(true);
            else if (type->value == "undirected" || type->value == "mutual")
                m_record.setDirected(false);
            else
                m_xml.fail(type->at, "edge type must be directed, undirected or mutual");
        }
        if (const auto label = m_xml.attribute("label"))
            m_record.setLabel(*label);
        if (const XmlScanner::Attribute* weight = m_xml.findAttribute("weight"))
            m_record.setWeight(number(*weight, "weight"));
        ++m_stamp;
        while (m_xml.next() == XmlScanner::Event::StartElement) {
            const std::string_view name = m_xml.name();
            if (name == "attvalues")
                readAttValues(m_edgeAttrs);
            else if (name == "color")
                readColor();
            else
                m_xml.skipElement(); // thickness, shape, spells
        }
        applyDefaults(m_edgeAttrs);
        m_record.deliverEdge(m_sink, m_source, m_target);
    }

    void readAttValues(AttrClass& cls)
    {
        while (m_xml.next() == XmlScanner::Event::StartElement) {
            if (m_xml.name() != "attvalue") {
                m_xml.skipElement();
                continue;
            }
            // GEXF 1.0 named the attribute with "id", later versions with "for".
            const XmlScanner::Attribute* ref = m_xml.findAttribute("for");
            if (!ref)
                ref = m_xml.findAttribute("id");
            const XmlScanner::Attribute* value = m_xml.findAttribute("value");
            if (!ref || !value)
                m_xml.fail(m_xml.tagStart(), "<attvalue> needs for and value attributes");
            std::size_t index;
            if (const auto it = cls.index.find(ref->value); it != cls.index.end())
                index = it->second;
            else
                index = cls.add(ref->value, ref->value, AttrType::String); // undeclared: text
            cls.seen[index] = m_stamp;
            const Attr& a = cls.attrs[index];
            m_record.setProperty(a.title, typedValue(a, value->value, value->at));
            m_xml.skipElement();
        }
    }

    void applyDefaults(AttrClass& cls)
    {
        if (!cls.anyDefault)
            return;
        for (std::size_t i = 0; i < cls.attrs.size(); ++i) {
            const Attr& a = cls.attrs[i];
            if (a.hasDefault && cls.seen[i] != m_stamp)
                m_record.setProperty(a.title, typedValue(a, a.defaultText, a.defaultAt));
        }
    }

    Value typedValue(const Attr& a, std::string_view text, const char* at)
    {
        switch (a.type) {
        case AttrType::String:
            return Value(text);
        case AttrType::Bool: {
            bool b;
            if (!parseBoolText(trimSpace(text), b))
                m_xml.fail(at, "invalid boolean '" + std::string(text) + "' for '" + a.title + "'");
            return Value(b);
        }
        case AttrType::Int: {
            std::int64_t i;
            if (parseInt64(trimSpace(text), i))
                return Value(i);
            double d;
            if (parseDouble(trimSpace(text), d) && std::isfinite(d) && d == std::floor(d))
                return Value(d); // a biginteger past 64 bits
            m_xml.fail(at, "invalid integer '" + std::string(text) + "' for '" + a.title + "'");
        }
        case AttrType::Double: {
            double d;
            if (!parseDouble(trimSpace(text), d))
                m_xml.fail(at, "invalid number '" + std::string(text) + "' for '" + a.title + "'");
            return Value(d);
        }
        }
        return Value(text);
    }

    double number(const XmlScanner::Attribute& a, const char* what)
    {
        double d;
        if (!parseDouble(trimSpace(a.value), d))
            m_xml.fail(a.at, std::string("invalid number '") + std::string(a.value) + "' for " + what);
        return d;
    }

    void readColor()
    {
        Rgba rgb = 0;
        std::uint32_t alpha = 0xff;
        if (const XmlScanner::Attribute* hex = m_xml.findAttribute("hex")) {
            // GEXF 1.3: "#rrggbb" (the '#' is sometimes left out).
            std::string text(trimSpace(hex->value));
            if (!text.empty() && text[0] != '#')
                text.insert(text.begin(), '#');
            const auto c = parseHexColor(text);
            if (!c)
                m_xml.fail(hex->at, "invalid color '" + std::string(hex->value) + "'");
            rgb = *c >> 8;
            alpha = *c & 0xff;
        } else {
            for (const char* channel : { "r", "g", "b" }) {
                std::uint32_t v = 0;
                if (const XmlScanner::Attribute* a = m_xml.findAttribute(channel)) {
                    const double d = number(*a, "a color component");
                    if (!(d >= 0 && d <= 255) || d != std::floor(d))
                        m_xml.fail(a->at, "color component must be an integer from 0 to 255");
                    v = std::uint32_t(d);
                }
                rgb = (rgb << 8) | v;
            }
        }
        if (const XmlScanner::Attribute* a = m_xml.findAttribute("a")) {
            const double d = number(*a, "alpha");
            if (!(d >= 0 && d <= 1))
                m_xml.fail(a->at, "alpha must be from 0 to 1");
            alpha = std::uint32_t(std::lround(d * 255));
        }
        m_record.setColor((rgb << 8) | alpha);
        m_xml.skipElement();
    }

    void readPosition()
    {
        static constexpr const char* Axes[3] = { "x", "y", "z" };
        for (int axis = 0; axis < 3; ++axis) {
            double v = 0;
            if (const XmlScanner::Attribute* a = m_xml.findAttribute(Axes[axis])) {
                v = number(*a, "a position");
                if (!isFiniteAsFloat(v))
                    m_xml.fail(a->at, "non-finite position coordinate '" + std::string(a->value) + "'");
            }
            m_record.setCoordinate(axis, v);
        }
        m_xml.skipElement();
    }

    void readSize()
    {
        if (const XmlScanner::Attribute* a = m_xml.findAttribute("value")) {
            const double v = number(*a, "size");
            if (!isFiniteAsFloat(v))
                m_xml.fail(a->at, "non-finite size '" + std::string(a->value) + "'");
            m_record.setSize(float(v));
        }
        m_xml.skipElement();
    }

    XmlScanner m_xml;
    GraphSink& m_sink;
    AttrClass m_nodeAttrs;
    AttrClass m_edgeAttrs;
    std::uint32_t m_stamp = 0;
    RecordBuilder m_record;
    std::string m_key;
    std::string m_source;
    std::string m_target;
};

// --- writing ---

struct Declared {
    std::string id;
    ValueType type;
};

void declareAttributes(std::string& out, const char* cls, const std::vector<std::pair<std::string, ValueType>>& keys,
    std::unordered_map<std::string, Declared>& ids)
{
    if (keys.empty())
        return;
    out += "    <attributes class=\"";
    out += cls;
    out += "\" mode=\"static\">\n";
    for (const auto& [name, type] : keys) {
        Declared d { std::to_string(ids.size()), type };
        out += "      <attribute id=\"" + d.id + "\" title=\"";
        appendXmlEscaped(out, name, true);
        out += "\" type=\"";
        out += xmlTypeName(type);
        out += "\"/>\n";
        ids.emplace(name, std::move(d));
    }
    out += "    </attributes>\n";
}

void writeAttValues(std::string& out, const std::vector<GraphData::Property>& props,
    const std::unordered_map<std::string, Declared>& ids)
{
    bool open = false;
    for (const GraphData::Property& p : props) {
        const auto it = ids.find(p.name);
        if (it == ids.end() || p.value.isNone())
            continue;
        const std::size_t mark = out.size();
        out += open ? "" : "        <attvalues>\n";
        out += "          <attvalue for=\"" + it->second.id + "\" value=\"";
        if (!appendTypedXmlValue(out, it->second.type, p.value, true)) {
            out.resize(mark);
            continue;
        }
        out += "\"/>\n";
        open = true;
    }
    if (open)
        out += "        </attvalues>\n";
}

void writeVizColor(std::string& out, Rgba c)
{
    out += "        <viz:color r=\"" + std::to_string(c >> 24) + "\" g=\"" + std::to_string((c >> 16) & 0xff)
        + "\" b=\"" + std::to_string((c >> 8) & 0xff) + "\" a=\"";
    appendDouble(out, double(c & 0xff) / 255.0);
    out += "\"/>\n";
}

} // namespace

void readGexf(std::string_view bytes, const std::string& fileName, GraphSink& sink)
{
    const TextScan text(bytes, fileName);
    GexfReader(text, sink).read();
}

std::string writeGexf(const GraphData& graph)
{
    std::string out;
    out.reserve(512 + graph.nodes.size() * 160 + graph.edges.size() * 80);
    out += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
           "<gexf xmlns=\"http://www.gexf.net/1.2draft\" xmlns:viz=\"http://www.gexf.net/1.2draft/viz\" "
           "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "
           "xsi:schemaLocation=\"http://www.gexf.net/1.2draft http://www.gexf.net/1.2draft/gexf.xsd\" "
           "version=\"1.2\">\n"
           "  <meta>\n    <creator>Constellate</creator>\n  </meta>\n";
    out += graph.directed ? "  <graph defaultedgetype=\"directed\" mode=\"static\">\n"
                          : "  <graph defaultedgetype=\"undirected\" mode=\"static\">\n";
    std::unordered_map<std::string, Declared> nodeIds, edgeIds;
    declareAttributes(out, "node", graph.nodePropertyKeys(), nodeIds);
    declareAttributes(out, "edge", graph.edgePropertyKeys(), edgeIds);

    out += "    <nodes>\n";
    for (const GraphData::Node& n : graph.nodes) {
        out += "      <node id=\"";
        appendXmlEscaped(out, n.key, true);
        if (n.label) {
            out += "\" label=\"";
            appendXmlEscaped(out, *n.label, true);
        }
        out += "\">\n";
        writeAttValues(out, n.properties, nodeIds);
        if (n.color)
            writeVizColor(out, *n.color);
        if (n.position) {
            out += "        <viz:position x=\"";
            appendFloat(out, n.position->x);
            out += "\" y=\"";
            appendFloat(out, n.position->y);
            out += "\" z=\"";
            appendFloat(out, n.position->z);
            out += "\"/>\n";
        }
        if (n.size) {
            out += "        <viz:size value=\"";
            appendFloat(out, *n.size);
            out += "\"/>\n";
        }
        out += "      </node>\n";
    }
    out += "    </nodes>\n    <edges>\n";
    std::size_t edgeId = 0;
    for (const GraphData::Edge& e : graph.edges) {
        out += "      <edge id=\"" + std::to_string(edgeId++) + "\" source=\"";
        appendXmlEscaped(out, graph.nodes.at(e.source).key, true);
        out += "\" target=\"";
        appendXmlEscaped(out, graph.nodes.at(e.target).key, true);
        if (e.directed != graph.directed)
            out += e.directed ? "\" type=\"directed" : "\" type=\"undirected";
        if (e.label) {
            out += "\" label=\"";
            appendXmlEscaped(out, *e.label, true);
        }
        if (e.weight) {
            out += "\" weight=\"";
            appendDouble(out, *e.weight);
        }
        out += "\">\n";
        writeAttValues(out, e.properties, edgeIds);
        if (e.color)
            writeVizColor(out, *e.color);
        out += "      </edge>\n";
    }
    out += "    </edges>\n  </graph>\n</gexf>\n";
    return out;
}

} // namespace constellate
