#include "gml.h"

#include "fielduse.h"
#include "recordbuilder.h"
#include "textscan.h"

#include <charconv>
#include <cmath>
#include <cstring>

namespace constellate {

namespace {

// Deeper list nesting than any GML file needs; the limit keeps hostile input off the stack.
constexpr int MaxDepth = 256;

struct Token {
    enum class Kind { End, Key, Int, Real, String, Open, Close } kind = Kind::End;
    std::string_view text; ///< the token as written (a string without its quotes)
    const char* at = nullptr;
    std::int64_t integer = 0;
    double real = 0;
    bool intOverflow = false; ///< an integer past 64 bits, kept as `real`
};

bool isKeyStart(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}
bool isKeyChar(char c)
{
    return isKeyStart(c) || (c >= '0' && c <= '9');
}
bool isDigit(char c)
{
    return c >= '0' && c <= '9';
}

class GmlReader {
public:
    GmlReader(const TextScan& text, GraphSink& sink)
        : m_text(text)
        , m_sink(sink)
        , m_p(text.begin())
        , m_end(text.end())
    {
    }

    void read()
    {
        m_text.requireUtf8();
        bool graphRead = false;
        for (;;) {
            const Token key = next();
            if (key.kind == Token::Kind::End)
                break;
            if (key.kind != Token::Kind::Key)
                fail(key.at, "expected a key");
            const Token value = nextValue();
            if (key.text == "graph" && value.kind == Token::Kind::Open && !graphRead) {
                readGraph();
                graphRead = true;
            } else if (value.kind == Token::Kind::Open) {
                skipList(value.at, 0); // Creator, Version and other top-level keys
            }
        }
        if (!graphRead)
            fail(m_end, "no 'graph [ ... ]' in the file");
    }

private:
    [[noreturn]] void fail(const char* at, const std::string& message) const { m_text.fail(at, message); }

    void readGraph()
    {
        const char* open = m_p - 1;
        for (;;) {
            const Token key = next();
            if (key.kind == Token::Kind::Close)
                break;
            if (key.kind == Token::Kind::End)
                fail(open, "unexpected end of file: the graph's '[' is not closed");
            if (key.kind != Token::Kind::Key)
                fail(key.at, "expected a key or ']'");
            if (key.text == "edge")
                announceDirected(true);
            const Token value = nextValue();
            if (key.text == "directed" && value.kind == Token::Kind::Int) {
                if (!m_directedKnown) {
                    m_directed = value.integer != 0;
                    m_directedKnown = true;
                }
            } else if (key.text == "multigraph" && value.kind == Token::Kind::Int) {
                m_multigraph = value.integer != 0;
            } else if (key.text == "node" && value.kind == Token::Kind::Open) {
                readElement(key.at, false);
            } else if (key.text == "edge" && value.kind == Token::Kind::Open) {
                readElement(key.at, true);
            } else if (value.kind == Token::Kind::Open) {
                skipList(value.at, 0);
            }
        }
        announceDirected(false);
    }

    // The default must reach the sink before the first edge. networkx writes "directed"
    // first, or not at all; otherwise, from just after the first "edge" key, the rest of
    // the graph is searched once.
    void announceDirected(bool searchAhead)
    {
        if (m_announced)
            return;
        if (!m_directedKnown && searchAhead) {
            const char* save = m_p;
            const Token edge = nextValue();
            if (edge.kind == Token::Kind::Open)
                skipList(edge.at, 0);
            for (;;) {
                const Token key = next();
                if (key.kind != Token::Kind::Key)
                    break;
                const Token value = nextValue();
                if (value.kind == Token::Kind::Open) {
                    skipList(value.at, 0);
                } else if (key.text == "directed" && value.kind == Token::Kind::Int) {
                    m_directed = value.integer != 0;
                    m_directedKnown = true;
                    break;
                }
            }
            m_p = save;
        }
        m_announced = true;
        m_sink.setDirected(m_directed);
    }

    void readElement(const char* at, bool edge)
    {
        m_record.clear();
        bool hasId = false, hasSource = false, hasTarget = false;
        for (;;) {
            const Token key = next();
            if (key.kind == Token::Kind::Close)
                break;
            if (key.kind == Token::Kind::End)
                fail(at,
                    std::string("unexpected end of file: the ") + (edge ? "edge" : "node") + "'s '[' is not closed");
            if (key.kind != Token::Kind::Key)
                fail(key.at, "expected a key or ']'");
            const Token value = nextValue();
            const std::string_view k = key.text;
            const bool isKey = edge ? (k == "source" || k == "target") : k == "id";
            if (value.kind == Token::Kind::Open && !isKey) {
                if (k == "graphics")
                    readGraphics(value.at, edge);
                else
                    skipList(value.at, 0);
                continue;
            }
            if (!edge && k == "id") {
                keyText(value, m_id, "a node id");
                hasId = true;
            } else if (edge && (k == "source" || k == "target")) {
                keyText(value, k == "source" ? m_source : m_target, "an edge end");
                (k == "source" ? hasSource : hasTarget) = true;
            } else if (k == "label") {
                std::string label;
                scalarText(value, label);
                m_record.setLabel(label);
            } else if (!edge && k == "size" && isNumber(value) && isFiniteAsFloat(numberOf(value))) {
                m_record.setSize(float(numberOf(value)));
            } else if (edge && k == "weight" && isNumber(value)) {
                m_record.setWeight(numberOf(value));
            } else if (edge && k == "directed" && value.kind == Token::Kind::Int
                && (value.integer == 0 || value.integer == 1)) {
                m_record.setDirected(value.integer == 1);
            } else if (edge && k == "key" && m_multigraph) {
                // networkx's multi-edge key: structure, not data.
            } else {
                m_record.setProperty(k, valueOf(value));
            }
        }
        if (edge) {
            if (!hasSource || !hasTarget)
                fail(at, "an edge needs a source and a target");
            m_record.deliverEdge(m_sink, m_source, m_target);
        } else {
            if (!hasId)
                fail(at, "a node needs an id");
            m_record.deliverNode(m_sink, m_id);
        }
    }

    // graphics [ x 1.0 y 2.0 z 0.0 fill "#ff0000" ... ]: position and color; the rest
    // (w, h, type, outline...) is drawing detail we ignore.
    void readGraphics(const char* open, bool edge)
    {
        for (;;) {
            const Token key = next();
            if (key.kind == Token::Kind::Close)
                return;
            if (key.kind == Token::Kind::End)
                fail(open, "unexpected end of file: '[' is not closed");
            if (key.kind != Token::Kind::Key)
                fail(key.at, "expected a key or ']'");
            const Token value = nextValue();
            if (value.kind == Token::Kind::Open) {
                skipList(value.at, 1);
            } else if (!edge && key.text.size() == 1 && key.text[0] >= 'x' && key.text[0] <= 'z' && isNumber(value)) {
                const double d = numberOf(value);
                if (!isFiniteAsFloat(d))
                    fail(value.at, "non-finite position coordinate");
                m_record.setCoordinate(key.text[0] - 'x', d);
            } else if (key.text == "fill" && value.kind == Token::Kind::String) {
                std::string text;
                decodeString(value.text, text);
                if (const auto c = parseHexColor(text))
                    m_record.setColor(*c);
            }
        }
    }

    static bool isNumber(const Token& t) { return t.kind == Token::Kind::Int || t.kind == Token::Kind::Real; }
    static double numberOf(const Token& t)
    {
        return t.kind == Token::Kind::Int && !t.intOverflow ? double(t.integer) : t.real;
    }

    // Ids: integers by their decimal value (so "+5" and "5" name one node), strings decoded.
    void keyText(const Token& t, std::string& out, const char* what)
    {
        out.clear();
        if (t.kind == Token::Kind::Int && !t.intOverflow)
            appendInt(out, t.integer);
        else if (t.kind == Token::Kind::String)
            decodeString(t.text, out);
        else if (isNumber(t))
            out.assign(t.text);
        else
            fail(t.at, std::string(what) + " must be an integer or a string");
    }

    void scalarText(const Token& t, std::string& out)
    {
        out.clear();
        if (t.kind == Token::Kind::String)
            decodeString(t.text, out);
        else
            out.assign(t.text);
    }

    Value valueOf(const Token& t)
    {
        switch (t.kind) {
        case Token::Kind::Int:
            return t.intOverflow ? Value(t.real) : Value(t.integer);
        case Token::Kind::Real:
            return Value(t.real);
        default: {
            std::string s;
            decodeString(t.text, s);
            return Value(s);
        }
        }
    }

    // What networkx's writer escapes: &amp; &quot; and character references. Like
    // networkx's reader, a reference we do not know is left as written.
    static void decodeString(std::string_view s, std::string& out)
    {
        std::size_t i = 0;
        while (i < s.size()) {
            const std::size_t amp = s.find('&', i);
            if (amp == std::string_view::npos) {
                out.append(s.substr(i));
                return;
            }
            out.append(s.substr(i, amp - i));
            i = amp + 1;
            const std::size_t semi = s.find(';', i);
            if (semi == std::string_view::npos || semi - i > 10) {
                out += '&';
                continue;
            }
            const std::string_view name = s.substr(i, semi - i);
            std::uint32_t cp = 0;
            bool ok = false;
            if (name.size() > 1 && name[0] == '#') {
                const bool hex = name[1] == 'x' || name[1] == 'X';
                const std::string_view digits = name.substr(hex ? 2 : 1);
                const auto r = std::from_chars(digits.data(), digits.data() + digits.size(), cp, hex ? 16 : 10);
                ok = !digits.empty() && r.ec == std::errc {} && r.ptr == digits.data() + digits.size() && cp != 0
                    && isScalarValue(cp);
            } else {
                static constexpr std::pair<std::string_view, char> Named[]
                    = { { "amp", '&' }, { "quot", '"' }, { "lt", '<' }, { "gt", '>' }, { "apos", '\'' } };
                for (const auto& [n, c] : Named) {
                    if (name == n) {
                        cp = std::uint32_t(c);
                        ok = true;
                    }
                }
            }
            if (!ok) {
                out += '&';
                continue;
            }
            appendUtf8(out, cp);
            i = semi + 1;
        }
    }

    void skipList(const char* open, int depth)
    {
        if (depth > MaxDepth)
            fail(open, "lists nested too deeply");
        for (;;) {
            const Token key = next();
            if (key.kind == Token::Kind::Close)
                return;
            if (key.kind == Token::Kind::End)
                fail(open, "unexpected end of file: '[' is not closed");
            if (key.kind != Token::Kind::Key)
                fail(key.at, "expected a key or ']'");
            const Token value = nextValue();
            if (value.kind == Token::Kind::Open)
                skipList(value.at, depth + 1);
        }
    }

    // A value: a number, a string, '[', or the bare words INF and NAN (as networkx writes).
    Token nextValue()
    {
        Token t = next();
        if (t.kind == Token::Kind::Key && (t.text == "INF" || t.text == "NAN")) {
            t.kind = Token::Kind::Real;
            t.real = t.text == "INF" ? HUGE_VAL : std::nan("");
            return t;
        }
        if (t.kind == Token::Kind::End)
            fail(t.at, "unexpected end of file: expected a value");
        if (t.kind == Token::Kind::Key || t.kind == Token::Kind::Close)
            fail(t.at, "expected a value (a number, a \"string\" or '[')");
        return t;
    }

    Token next()
    {
        for (;;) {
            while (m_p < m_end && isSpace(*m_p))
                ++m_p;
            if (m_p < m_end && *m_p == '#') {
                while (m_p < m_end && *m_p != '\n' && *m_p != '\r')
                    ++m_p;
                continue;
            }
            break;
        }
        Token t;
        t.at = m_p;
        if (m_p == m_end)
            return t;
        const char c = *m_p;
        if (c == '[') {
            ++m_p;
            t.kind = Token::Kind::Open;
        } else if (c == ']') {
            ++m_p;
            t.kind = Token::Kind::Close;
        } else if (c == '"') {
            const void* close = std::memchr(m_p + 1, '"', std::size_t(m_end - m_p - 1));
            if (!close)
                fail(m_p, "unterminated string");
            t.kind = Token::Kind::String;
            t.text = { m_p + 1, std::size_t(static_cast<const char*>(close) - m_p - 1) };
            m_p = static_cast<const char*>(close) + 1;
        } else if (isKeyStart(c)) {
            const char* s = m_p;
            while (m_p < m_end && isKeyChar(*m_p))
                ++m_p;
            t.kind = Token::Kind::Key;
            t.text = { s, std::size_t(m_p - s) };
        } else if (isDigit(c) || c == '+' || c == '-' || c == '.') {
            number(t);
        } else {
            fail(m_p, "unexpected character '" + std::string(1, c) + "'");
        }
        return t;
    }

    void number(Token& t)
    {
        const char* s = m_p;
        const char* p = m_p;
        if (*p == '+' || *p == '-')
            ++p;
        if (std::size_t(m_end - p) >= 3 && (std::memcmp(p, "INF", 3) == 0 || std::memcmp(p, "NAN", 3) == 0)) {
            t.kind = Token::Kind::Real;
            t.real = p[0] == 'N' ? std::nan("") : (*s == '-' ? -HUGE_VAL : HUGE_VAL);
            p += 3;
        } else {
            const char* digits = p;
            while (p < m_end && isDigit(*p))
                ++p;
            bool real = false;
            bool any = p > digits;
            if (p < m_end && *p == '.') {
                real = true;
                ++p;
                const char* fraction = p;
                while (p < m_end && isDigit(*p))
                    ++p;
                any |= p > fraction;
            }
            if (!any)
                fail(s, "expected a number");
            if (p < m_end && (*p == 'e' || *p == 'E')) {
                real = true;
                ++p;
                if (p < m_end && (*p == '+' || *p == '-'))
                    ++p;
                const char* exponent = p;
                while (p < m_end && isDigit(*p))
                    ++p;
                if (p == exponent)
                    fail(p, "expected digits in the exponent");
            }
            const std::string_view text(s, std::size_t(p - s));
            if (!real) {
                t.kind = Token::Kind::Int;
                if (!parseInt64(text, t.integer)) {
                    t.intOverflow = true;
                    parseDouble(text, t.real);
                }
            } else {
                t.kind = Token::Kind::Real;
                if (!parseDouble(text, t.real))
                    t.real = *s == '-' ? -HUGE_VAL : HUGE_VAL; // past the double range
            }
        }
        if (p < m_end && !isSpace(*p) && *p != '[' && *p != ']' && *p != '"' && *p != '#')
            fail(p, "unexpected character after a number");
        t.text = { s, std::size_t(p - s) };
        m_p = p;
    }

    const TextScan& m_text;
    GraphSink& m_sink;
    const char* m_p;
    const char* const m_end;
    bool m_directed = false;
    bool m_directedKnown = false;
    bool m_announced = false;
    bool m_multigraph = false;
    RecordBuilder m_record;
    std::string m_id, m_source, m_target;
};

// --- writing ---

// GML is ASCII: everything else, and the quote, becomes a character reference (what
// networkx writes and reads).
void appendGmlString(std::string& out, std::string_view s)
{
    out += '"';
    std::size_t i = 0;
    while (i < s.size()) {
        const unsigned char c = static_cast<unsigned char>(s[i]);
        if (c >= 0x20 && c < 0x7f && c != '"' && c != '&') {
            out += char(c);
            ++i;
            continue;
        }
        char32_t cp = 0xfffd;
        int len = decodeUtf8(s, i, cp);
        if (len == 0) {
            cp = 0xfffd;
            len = 1;
        }
        out += "&#";
        appendInt(out, std::int64_t(cp));
        out += ';';
        i += std::size_t(len);
    }
    out += '"';
}

// A real must look like one ("1.0", "1.0e+20", "+INF") or GML reads it as an integer.
// Floats (positions, sizes) are written as the shortest text of the float.
void appendGmlReal(std::string& out, double v, bool isFloat = false)
{
    if (std::isnan(v)) {
        out += "NAN";
        return;
    }
    if (std::isinf(v)) {
        out += v < 0 ? "-INF" : "+INF";
        return;
    }
    std::string text;
    if (isFloat)
        appendFloat(text, float(v));
    else
        appendDouble(text, v);
    if (text.find('.') == std::string::npos) {
        const std::size_t e = text.find_first_of("eE");
        text.insert(e == std::string::npos ? text.size() : e, ".0");
    }
    out += text;
}

void appendGmlValue(std::string& out, const Value& v)
{
    switch (v.type()) {
    case ValueType::Bool:
        out += v.toBool() ? '1' : '0';
        break;
    case ValueType::Int:
        appendInt(out, v.toInt());
        break;
    case ValueType::Double:
        appendGmlReal(out, v.toDouble());
        break;
    default: {
        std::string text;
        appendValueText(text, v);
        appendGmlString(out, text);
    }
    }
}

// A node key that is a plain integer is written as one (as networkx does); anything else
// as a string.
void appendGmlId(std::string& out, const std::string& key)
{
    std::int64_t i;
    std::string canonical;
    if (parseInt64(key, i)) {
        appendInt(canonical, i);
        if (canonical == key) {
            out += key;
            return;
        }
    }
    appendGmlString(out, key);
}

bool isGmlKey(std::string_view k)
{
    if (k.empty() || !((k[0] >= 'A' && k[0] <= 'Z') || (k[0] >= 'a' && k[0] <= 'z')))
        return false;
    for (const char c : k) {
        if (!isKeyChar(c))
            return false;
    }
    return k != "INF" && k != "NAN";
}

void appendGraphics(std::string& out, const std::optional<Vec3>& position, const std::optional<Rgba>& color)
{
    if (!position && !color)
        return;
    out += "    graphics [\n";
    if (position) {
        out += "      x ";
        appendGmlReal(out, double(position->x), true);
        out += "\n      y ";
        appendGmlReal(out, double(position->y), true);
        out += "\n      z ";
        appendGmlReal(out, double(position->z), true);
        out += '\n';
    }
    if (color) {
        std::string hex;
        appendHexColor(hex, *color, true);
        out += "      fill ";
        appendGmlString(out, hex);
        out += '\n';
    }
    out += "    ]\n";
}

} // namespace

void readGml(std::string_view bytes, const std::string& fileName, GraphSink& sink)
{
    const TextScan text(bytes, fileName);
    GmlReader(text, sink).read();
}

std::string writeGml(const GraphData& graph)
{
    const FieldUse use = FieldUse::of(graph);
    std::string out;
    out.reserve(64 + graph.nodes.size() * 64 + graph.edges.size() * 64);
    out += "graph [\n";
    out += graph.directed ? "  directed 1\n" : "  directed 0\n";
    if (use.parallelEdges)
        out += "  multigraph 1\n";
    for (const GraphData::Node& n : graph.nodes) {
        out += "  node [\n    id ";
        appendGmlId(out, n.key);
        // networkx requires a label on every node: the key stands in for a missing one.
        out += "\n    label ";
        appendGmlString(out, n.label ? *n.label : n.key);
        out += '\n';
        appendGraphics(out, n.position, n.color);
        if (n.size) {
            out += "    size ";
            appendGmlReal(out, double(*n.size), true);
            out += '\n';
        }
        for (const GraphData::Property& p : n.properties) {
            const std::string& k = p.name;
            if (!isGmlKey(k) || k == "id" || k == "label" || k == "graphics" || k == "size" || p.value.isNone())
                continue;
            out += "    " + k + ' ';
            appendGmlValue(out, p.value);
            out += '\n';
        }
        out += "  ]\n";
    }
    for (const GraphData::Edge& e : graph.edges) {
        out += "  edge [\n    source ";
        appendGmlId(out, graph.nodes.at(e.source).key);
        out += "\n    target ";
        appendGmlId(out, graph.nodes.at(e.target).key);
        out += '\n';
        if (e.directed != graph.directed)
            out += e.directed ? "    directed 1\n" : "    directed 0\n";
        if (e.label) {
            out += "    label ";
            appendGmlString(out, *e.label);
            out += '\n';
        }
        if (e.weight) {
            out += "    weight ";
            appendGmlReal(out, *e.weight);
            out += '\n';
        }
        appendGraphics(out, std::nullopt, e.color);
        for (const GraphData::Property& p : e.properties) {
            const std::string& k = p.name;
            if (!isGmlKey(k) || k == "source" || k == "target" || k == "label" || k == "weight" || k == "graphics"
                || k == "directed" || k == "key" || p.value.isNone())
                continue;
            out += "    " + k + ' ';
            appendGmlValue(out, p.value);
            out += '\n';
        }
        out += "  ]\n";
    }
    out += "]\n";
    return out;
}

} // namespace constellate
