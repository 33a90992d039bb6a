#include "jsonnodelink.h"

#include "fielduse.h"
#include "recordbuilder.h"
#include "textscan.h"

#include <cmath>
#include <cstring>

namespace constellate {

namespace {

// Deeper nesting than any graph file needs; the limit keeps hostile input off the stack.
constexpr int MaxDepth = 256;

/// A scalar or compound JSON value as the reader met it.
struct JsonValue {
    enum class Kind { Null, Bool, Int, Double, String, Compound } kind = Kind::Null;
    bool boolean = false;
    std::int64_t integer = 0;
    double number = 0;
    std::string_view text; ///< string contents, a number's literal, or a compound's raw JSON
    const char* at = nullptr;
};

class JsonReader {
public:
    JsonReader(const TextScan& text, GraphSink& sink)
        : m_text(text)
        , m_sink(sink)
        , m_p(text.begin())
        , m_end(text.end())
    {
    }

    void read()
    {
        m_text.requireUtf8();
        if (m_end - m_p >= 3 && std::memcmp(m_p, "\xef\xbb\xbf", 3) == 0)
            m_p += 3;
        skipSpace();
        if (m_p == m_end)
            fail(m_p, "empty file: expected a JSON object");
        if (*m_p != '{')
            fail(m_p, "expected a JSON object with \"nodes\" and \"links\"");
        ++m_p;
        bool first = true;
        while (nextMember(first, '}')) {
            const std::string_view key = parseString(m_keyBuffer);
            expectColon();
            if (key == "directed") {
                const JsonValue v = parseScalarOrSkip();
                if (v.kind != JsonValue::Kind::Bool)
                    fail(v.at, "\"directed\" must be true or false");
                if (!m_directedKnown) {
                    m_directed = v.boolean;
                    m_directedKnown = true;
                }
            } else if (key == "multigraph") {
                const JsonValue v = parseScalarOrSkip();
                m_multigraph = v.kind == JsonValue::Kind::Bool && v.boolean;
            } else if (key == "nodes") {
                announceDirected();
                readArray(&JsonReader::readNode);
            } else if (key == "links" || key == "edges") {
                announceDirected();
                readArray(&JsonReader::readEdge);
            } else {
                skipValue(0);
            }
        }
        skipSpace();
        if (m_p != m_end)
            fail(m_p, "unexpected text after the JSON object");
        announceDirected();
    }

private:
    [[noreturn]] void fail(const char* at, const std::string& message) const { m_text.fail(at, message); }

    void skipSpace()
    {
        while (m_p < m_end && isSpace(*m_p))
            ++m_p;
    }

    // Before the first "{" member or after one: consumes the separator and says whether
    // another member follows.
    bool nextMember(bool& first, char close)
    {
        skipSpace();
        if (m_p == m_end)
            fail(m_p, "unexpected end of file: expected '" + std::string(1, close) + "'");
        if (*m_p == close) {
            ++m_p;
            return false;
        }
        if (!first) {
            if (*m_p != ',')
                fail(m_p, "expected ',' or '" + std::string(1, close) + "'");
            ++m_p;
            skipSpace();
            if (m_p == m_end)
                fail(m_p, "unexpected end of file");
        }
        first = false;
        if (close == '}' && *m_p != '"')
            fail(m_p, "expected a member name in double quotes");
        return true;
    }

    void expectColon()
    {
        skipSpace();
        if (m_p == m_end || *m_p != ':')
            fail(m_p, "expected ':' after the member name");
        ++m_p;
        skipSpace();
    }

    // The graph's default must reach the sink before the first edge. networkx writes
    // "directed" first; a file that puts it after the arrays is searched ahead once.
    void announceDirected()
    {
        if (m_announced)
            return;
        if (!m_directedKnown) {
            const char* save = m_p;
            const bool found = findDirectedAhead();
            m_p = save;
            if (!found)
                m_directed = false;
        }
        m_announced = true;
        m_sink.setDirected(m_directed);
    }

    // From inside the top-level object, after a member name and colon: skips members to
    // the end of the object looking for "directed". Errors found here are real errors.
    bool findDirectedAhead()
    {
        skipValue(0);
        bool first = false;
        while (nextMember(first, '}')) {
            const std::string_view key = parseString(m_keyBuffer);
            expectColon();
            if (key == "directed") {
                const JsonValue v = parseScalarOrSkip();
                if (v.kind == JsonValue::Kind::Bool) {
                    m_directed = v.boolean;
                    m_directedKnown = true;
                    return true;
                }
            } else {
                skipValue(0);
            }
        }
        return false;
    }

    void readArray(void (JsonReader::*element)(std::size_t))
    {
        if (m_p == m_end || *m_p != '[')
            fail(m_p, "expected an array");
        ++m_p;
        bool first = true;
        std::size_t index = 0;
        while (nextMember(first, ']')) {
            if (*m_p != '{')
                fail(m_p, "expected an object");
            (this->*element)(index++);
        }
    }

    // A node's or edge's id: a string, or a number by its literal text.
    static bool isKey(const JsonValue& v)
    {
        return v.kind == JsonValue::Kind::String || v.kind == JsonValue::Kind::Int || v.kind == JsonValue::Kind::Double;
    }

    std::string_view keep(std::string& slot, const JsonValue& v)
    {
        // Values in a scratch buffer are copied; views into the file stay views.
        if (inFile(v.text))
            return v.text;
        slot.assign(v.text);
        return slot;
    }

    void readNode(std::size_t index)
    {
        ++m_p;
        m_record.clear();
        bool hasId = false;
        // "label" wins over "name", and "size" over "val" (3d-force-graph's names): the
        // loser stays a property. Decided at the end, since members come in any order.
        std::optional<Value> name, val;
        std::optional<float> size;
        bool first = true;
        while (nextMember(first, '}')) {
            const std::string_view key = parseString(m_keyBuffer);
            const bool keyInFile = inFile(key);
            expectColon();
            const JsonValue v = parseValue();
            if (key == "id") {
                if (!isKey(v))
                    fail(v.at, "a node id must be a string or a number");
                m_idView = keep(m_id, v);
                hasId = true;
            } else if (key == "label" && isScalar(v)) {
                m_record.setLabel(labelText(v));
            } else if (key == "name" && isScalar(v)) {
                m_nameText = labelText(v);
                name = scalarValue(v);
            } else if ((key == "x" || key == "y" || key == "z") && isNumber(v)) {
                const double d = numberOf(v);
                if (!isFiniteAsFloat(d))
                    fail(v.at, "non-finite position coordinate");
                m_record.setCoordinate(key[0] - 'x', d, scalarValue(v));
            } else if (key == "color" && v.kind == JsonValue::Kind::String && parseHexColor(v.text)) {
                m_record.setColor(*parseHexColor(v.text));
            } else if (key == "size" && isNumber(v) && isFiniteAsFloat(numberOf(v))) {
                size = float(numberOf(v));
            } else if (key == "val" && isNumber(v) && isFiniteAsFloat(numberOf(v))) {
                val = scalarValue(v);
            } else {
                addProperty(key, !keyInFile, v);
            }
        }
        if (name) {
            if (m_record.hasLabel())
                m_record.setProperty("name", std::move(*name));
            else
                m_record.setLabel(m_nameText);
        }
        if (size)
            m_record.setSize(*size);
        if (val) {
            if (size)
                m_record.setProperty("val", std::move(*val));
            else
                m_record.setSize(float(val->toNumber()));
        }
        if (!hasId) {
            // d3 convention: nodes without ids are named by their index, which is what
            // links then use.
            m_id = std::to_string(index);
            m_idView = m_id;
        }
        m_record.deliverNode(m_sink, m_idView);
    }

    void readEdge(std::size_t)
    {
        const char* at = m_p;
        ++m_p;
        m_record.clear();
        bool hasSource = false, hasTarget = false;
        std::optional<Value> value; // d3's name for the weight; "weight" wins
        bool first = true;
        while (nextMember(first, '}')) {
            const std::string_view key = parseString(m_keyBuffer);
            const bool keyInFile = inFile(key);
            expectColon();
            if (key == "source" || key == "target") {
                const bool isSource = key == "source";
                const JsonValue v = parseEndpoint();
                std::string& slot = isSource ? m_source : m_target;
                (isSource ? m_sourceView : m_targetView) = keep(slot, v);
                (isSource ? hasSource : hasTarget) = true;
                continue;
            }
            const JsonValue v = parseValue();
            if (key == "weight" && isNumber(v))
                m_record.setWeight(numberOf(v));
            else if (key == "value" && isNumber(v))
                value = scalarValue(v);
            else if (key == "label" && isScalar(v))
                m_record.setLabel(labelText(v));
            else if (key == "color" && v.kind == JsonValue::Kind::String && parseHexColor(v.text))
                m_record.setColor(*parseHexColor(v.text));
            else if (key == "directed" && v.kind == JsonValue::Kind::Bool)
                m_record.setDirected(v.boolean);
            else if (key == "key" && m_multigraph)
                continue; // networkx's multi-edge key: structure, not data
            else
                addProperty(key, !keyInFile, v);
        }
        if (!hasSource || !hasTarget)
            fail(at, "a link needs \"source\" and \"target\"");
        if (value) {
            if (m_record.hasWeight())
                m_record.setProperty("value", std::move(*value));
            else
                m_record.setWeight(value->toNumber());
        }
        m_record.deliverEdge(m_sink, m_sourceView, m_targetView);
    }

    bool inFile(std::string_view s) const { return s.data() >= m_text.begin() && s.data() <= m_text.end(); }
    static bool isScalar(const JsonValue& v)
    {
        return v.kind != JsonValue::Kind::Compound && v.kind != JsonValue::Kind::Null;
    }

    static Value scalarValue(const JsonValue& v)
    {
        switch (v.kind) {
        case JsonValue::Kind::Bool:
            return Value(v.boolean);
        case JsonValue::Kind::Int:
            return Value(v.integer);
        case JsonValue::Kind::Double:
            return Value(v.number);
        default:
            return Value(v.text);
        }
    }

    // A link end: a node id, or (d3 after layout) the node object itself, named by its "id".
    JsonValue parseEndpoint()
    {
        const char* at = m_p;
        if (m_p < m_end && *m_p == '{') {
            ++m_p;
            JsonValue id;
            bool found = false;
            bool first = true;
            while (nextMember(first, '}')) {
                const std::string_view key = parseString(m_keyBuffer);
                expectColon();
                if (key == "id" && !found) {
                    id = parseValue();
                    if (id.kind == JsonValue::Kind::String && id.text.data() == m_stringBuffer.data()) {
                        m_endpointBuffer.assign(id.text);
                        id.text = m_endpointBuffer;
                    }
                    found = true;
                } else {
                    skipValue(1);
                }
            }
            if (!found || !isKey(id))
                fail(at, "a link end object needs an \"id\"");
            return id;
        }
        const JsonValue v = parseValue();
        if (!isKey(v))
            fail(v.at, "a link end must be a node id (string or number)");
        return v;
    }

    static bool isNumber(const JsonValue& v)
    {
        return v.kind == JsonValue::Kind::Int || v.kind == JsonValue::Kind::Double;
    }
    static double numberOf(const JsonValue& v) { return v.kind == JsonValue::Kind::Int ? double(v.integer) : v.number; }

    std::string labelText(const JsonValue& v)
    {
        if (v.kind == JsonValue::Kind::Bool)
            return v.boolean ? "true" : "false";
        return std::string(v.text);
    }

    void addProperty(std::string_view name, bool copyName, const JsonValue& v)
    {
        Value value;
        switch (v.kind) {
        case JsonValue::Kind::Null:
            return; // no value: nothing to keep
        case JsonValue::Kind::Bool:
        case JsonValue::Kind::Int:
        case JsonValue::Kind::Double:
        case JsonValue::Kind::String:
            value = scalarValue(v);
            break;
        case JsonValue::Kind::Compound: {
            // Nested data is kept as its compact JSON text.
            m_compact.clear();
            bool inString = false;
            for (std::size_t i = 0; i < v.text.size(); ++i) {
                const char c = v.text[i];
                if (inString) {
                    m_compact += c;
                    if (c == '\\') {
                        m_compact += v.text[++i];
                    } else if (c == '"') {
                        inString = false;
                    }
                } else if (!isSpace(c)) {
                    m_compact += c;
                    inString = c == '"';
                }
            }
            value = Value(std::string_view(m_compact));
            break;
        }
        }
        m_record.setProperty(name, std::move(value), copyName);
    }

    // Scalars are parsed; objects and arrays are checked and returned as raw text.
    JsonValue parseValue()
    {
        if (m_p == m_end)
            fail(m_p, "unexpected end of file: expected a value");
        const char c = *m_p;
        if (c == '{' || c == '[') {
            JsonValue v;
            v.at = m_p;
            v.kind = JsonValue::Kind::Compound;
            skipValue(0);
            v.text = { v.at, std::size_t(m_p - v.at) };
            return v;
        }
        return parseScalarOrSkip();
    }

    JsonValue parseScalarOrSkip()
    {
        JsonValue v;
        v.at = m_p;
        if (m_p == m_end)
            fail(m_p, "unexpected end of file: expected a value");
        const char c = *m_p;
        if (c == '"') {
            v.kind = JsonValue::Kind::String;
            v.text = parseString(m_stringBuffer);
        } else if (c == '{' || c == '[') {
            skipValue(0);
            v.kind = JsonValue::Kind::Compound;
            v.text = { v.at, std::size_t(m_p - v.at) };
        } else if (literal("true")) {
            v.kind = JsonValue::Kind::Bool;
            v.boolean = true;
        } else if (literal("false")) {
            v.kind = JsonValue::Kind::Bool;
        } else if (literal("null")) {
            v.kind = JsonValue::Kind::Null;
        } else {
            parseNumber(v);
        }
        return v;
    }

    bool literal(std::string_view word)
    {
        if (std::size_t(m_end - m_p) < word.size() || std::memcmp(m_p, word.data(), word.size()) != 0)
            return false;
        m_p += word.size();
        return true;
    }

    // JSON numbers, plus NaN, Infinity and -Infinity, which Python's json module writes.
    void parseNumber(JsonValue& v)
    {
        const char* s = m_p;
        if (literal("NaN")) {
            v.kind = JsonValue::Kind::Double;
            v.number = std::nan("");
        } else if (literal("Infinity") || literal("-Infinity")) {
            v.kind = JsonValue::Kind::Double;
            v.number = *s == '-' ? -HUGE_VAL : HUGE_VAL;
        } else {
            const char* p = m_p;
            auto digits = [&] {
                const char* d = p;
                while (p < m_end && *p >= '0' && *p <= '9')
                    ++p;
                return p > d;
            };
            if (p < m_end && *p == '-')
                ++p;
            const char* intStart = p;
            if (!digits())
                fail(s, "expected a value");
            if (*intStart == '0' && p - intStart > 1)
                fail(s, "a number must not have leading zeros");
            bool integral = true;
            if (p < m_end && *p == '.') {
                ++p;
                integral = false;
                if (!digits())
                    fail(p, "expected digits after '.'");
            }
            if (p < m_end && (*p == 'e' || *p == 'E')) {
                ++p;
                integral = false;
                if (p < m_end && (*p == '+' || *p == '-'))
                    ++p;
                if (!digits())
                    fail(p, "expected digits in the exponent");
            }
            const std::string_view text(s, std::size_t(p - s));
            m_p = p;
            if (integral && parseInt64(text, v.integer)) {
                v.kind = JsonValue::Kind::Int;
            } else {
                v.kind = JsonValue::Kind::Double;
                if (!parseDouble(text, v.number))
                    v.number = text[0] == '-' ? -HUGE_VAL : HUGE_VAL; // out of double range
            }
        }
        v.text = { s, std::size_t(m_p - s) };
        if (m_p < m_end && !isSpace(*m_p) && *m_p != ',' && *m_p != '}' && *m_p != ']')
            fail(m_p, "unexpected character after a value");
    }

    // At a '"': the string's contents, a view into the file when it has no escapes, else
    // decoded into `buffer`.
    std::string_view parseString(std::string& buffer)
    {
        const char* open = m_p;
        const char* p = ++m_p;
        while (p < m_end && *p != '"' && *p != '\\' && static_cast<unsigned char>(*p) >= 0x20)
            ++p;
        if (p < m_end && *p == '"') {
            m_p = p + 1;
            return { open + 1, std::size_t(p - open - 1) };
        }
        buffer.assign(open + 1, p);
        for (;;) {
            if (p == m_end)
                fail(open, "unterminated string");
            const char c = *p;
            if (c == '"') {
                m_p = p + 1;
                return buffer;
            }
            if (static_cast<unsigned char>(c) < 0x20)
                fail(p, "control character in a string (escape it)");
            if (c != '\\') {
                buffer += c;
                ++p;
                continue;
            }
            if (++p == m_end)
                fail(open, "unterminated string");
            switch (*p) {
            case '"':
                buffer += '"';
                break;
            case '\\':
                buffer += '\\';
                break;
            case '/':
                buffer += '/';
                break;
            case 'b':
                buffer += '\b';
                break;
            case 'f':
                buffer += '\f';
                break;
            case 'n':
                buffer += '\n';
                break;
            case 'r':
                buffer += '\r';
                break;
            case 't':
                buffer += '\t';
                break;
            case 'u': {
                const char* escape = p - 1;
                std::uint32_t cp = hex4(p + 1, escape);
                p += 4;
                if (cp >= 0xd800 && cp <= 0xdbff) {
                    if (m_end - p < 7 || p[1] != '\\' || p[2] != 'u')
                        fail(escape, "unpaired surrogate in \\u escape");
                    const std::uint32_t low = hex4(p + 3, escape);
                    if (low < 0xdc00 || low > 0xdfff)
                        fail(escape, "unpaired surrogate in \\u escape");
                    cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
                    p += 6;
                } else if (cp >= 0xdc00 && cp <= 0xdfff) {
                    fail(escape, "unpaired surrogate in \\u escape");
                }
                appendUtf8(buffer, cp);
                break;
            }
            default:
                fail(p - 1, "invalid escape in a string");
            }
            ++p;
        }
    }

    std::uint32_t hex4(const char* p, const char* escape) const
    {
        if (m_end - p < 4)
            fail(escape, "invalid \\u escape");
        std::uint32_t v = 0;
        for (int i = 0; i < 4; ++i) {
            const char c = p[i];
            int d;
            if (c >= '0' && c <= '9')
                d = c - '0';
            else if (c >= 'a' && c <= 'f')
                d = c - 'a' + 10;
            else if (c >= 'A' && c <= 'F')
                d = c - 'A' + 10;
            else
                fail(escape, "invalid \\u escape");
            v = (v << 4) | std::uint32_t(d);
        }
        return v;
    }

    void skipValue(int depth)
    {
        if (depth > MaxDepth)
            fail(m_p, "nesting too deep");
        if (m_p == m_end)
            fail(m_p, "unexpected end of file: expected a value");
        const char c = *m_p;
        if (c == '{' || c == '[') {
            const char close = c == '{' ? '}' : ']';
            ++m_p;
            bool first = true;
            while (nextMember(first, close)) {
                if (close == '}') {
                    parseString(m_skipBuffer);
                    expectColon();
                }
                skipValue(depth + 1);
            }
            return;
        }
        // Its own buffer: skipping must not clobber the member name being handled.
        if (c == '"')
            parseString(m_skipBuffer);
        else
            parseScalarOrSkip();
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
    std::string m_keyBuffer;
    std::string m_stringBuffer;
    std::string m_endpointBuffer;
    std::string m_skipBuffer;
    std::string m_compact;
    std::string m_nameText;
    std::string m_id, m_source, m_target;
    std::string_view m_idView, m_sourceView, m_targetView;
};

// --- writing ---

void appendJsonString(std::string& out, std::string_view s)
{
    static constexpr char Hex[] = "0123456789abcdef";
    out += '"';
    std::size_t i = 0;
    while (i < s.size()) {
        const unsigned char c = static_cast<unsigned char>(s[i]);
        if (c >= 0x80) {
            char32_t cp;
            const int len = decodeUtf8(s, i, cp);
            if (len == 0) {
                out += "\\ufffd"; // invalid UTF-8 cannot be written as JSON text
                ++i;
            } else {
                out.append(s.data() + i, std::size_t(len));
                i += std::size_t(len);
            }
            continue;
        }
        switch (c) {
        case '"':
            out += "\\\"";
            break;
        case '\\':
            out += "\\\\";
            break;
        case '\n':
            out += "\\n";
            break;
        case '\r':
            out += "\\r";
            break;
        case '\t':
            out += "\\t";
            break;
        case '\b':
            out += "\\b";
            break;
        case '\f':
            out += "\\f";
            break;
        default:
            if (c < 0x20) {
                out += "\\u00";
                out += Hex[c >> 4];
                out += Hex[c & 0xf];
            } else {
                out += char(c);
            }
        }
        ++i;
    }
    out += '"';
}

// Python's json module writes (and networkx reads) NaN and Infinity this way.
void appendJsonNumber(std::string& out, double v)
{
    if (std::isnan(v))
        out += "NaN";
    else if (std::isinf(v))
        out += v < 0 ? "-Infinity" : "Infinity";
    else
        appendDouble(out, v);
}

void appendJsonValue(std::string& out, const Value& v)
{
    switch (v.type()) {
    case ValueType::None:
        out += "null";
        break;
    case ValueType::Bool:
        out += v.toBool() ? "true" : "false";
        break;
    case ValueType::Int:
        appendInt(out, v.toInt());
        break;
    case ValueType::Double: {
        // A whole double keeps a ".0" so that it reads back as a double, not an integer.
        const std::size_t mark = out.size();
        appendJsonNumber(out, v.toDouble());
        if (std::isfinite(v.toDouble()) && out.find_first_of(".eE", mark) == std::string::npos)
            out += ".0";
        break;
    }
    case ValueType::Vec3: {
        const Vec3 p = v.toVec3();
        out += '[';
        appendFloat(out, p.x);
        out += ", ";
        appendFloat(out, p.y);
        out += ", ";
        appendFloat(out, p.z);
        out += ']';
        break;
    }
    default: {
        std::string text;
        appendValueText(text, v);
        appendJsonString(out, text);
    }
    }
}

void member(std::string& out, std::string_view name)
{
    out += ", ";
    appendJsonString(out, name);
    out += ": ";
}

} // namespace

void readJsonNodeLink(std::string_view bytes, const std::string& fileName, GraphSink& sink)
{
    const TextScan text(bytes, fileName);
    JsonReader(text, sink).read();
}

std::string writeJsonNodeLink(const GraphData& graph)
{
    const FieldUse use = FieldUse::of(graph);
    std::string out;
    out.reserve(128 + graph.nodes.size() * 96 + graph.edges.size() * 64);
    out += "{\"directed\": ";
    out += graph.directed ? "true" : "false";
    out += ", \"multigraph\": ";
    out += use.parallelEdges ? "true" : "false";
    out += ", \"graph\": {}, \"nodes\": [";
    bool firstNode = true;
    for (const GraphData::Node& n : graph.nodes) {
        out += firstNode ? "\n  {" : ",\n  {";
        firstNode = false;
        out += "\"id\": ";
        appendJsonString(out, n.key);
        if (n.label) {
            member(out, "label");
            appendJsonString(out, *n.label);
        }
        if (n.position) {
            member(out, "x");
            appendFloat(out, n.position->x);
            member(out, "y");
            appendFloat(out, n.position->y);
            member(out, "z");
            appendFloat(out, n.position->z);
        }
        if (n.color) {
            member(out, "color");
            std::string hex;
            appendHexColor(hex, *n.color, true);
            appendJsonString(out, hex);
        }
        if (n.size) {
            member(out, "size");
            appendFloat(out, *n.size);
        }
        for (const GraphData::Property& p : n.properties) {
            // Names the reader maps to fields are left out where they would change meaning.
            const std::string& k = p.name;
            if (k == "id" || k == "label" || k == "x" || k == "y" || k == "z" || k == "color" || k == "size"
                || (k == "name" && !n.label) || (k == "val" && !n.size) || p.value.isNone())
                continue;
            member(out, k);
            appendJsonValue(out, p.value);
        }
        out += '}';
    }
    out += "\n ], \"links\": [";
    bool firstEdge = true;
    for (const GraphData::Edge& e : graph.edges) {
        out += firstEdge ? "\n  {" : ",\n  {";
        firstEdge = false;
        out += "\"source\": ";
        appendJsonString(out, graph.nodes.at(e.source).key);
        member(out, "target");
        appendJsonString(out, graph.nodes.at(e.target).key);
        if (e.directed != graph.directed) {
            member(out, "directed");
            out += e.directed ? "true" : "false";
        }
        if (e.weight) {
            member(out, "weight");
            appendJsonValue(out, Value(*e.weight));
        }
        if (e.label) {
            member(out, "label");
            appendJsonString(out, *e.label);
        }
        if (e.color) {
            member(out, "color");
            std::string hex;
            appendHexColor(hex, *e.color, true);
            appendJsonString(out, hex);
        }
        for (const GraphData::Property& p : e.properties) {
            const std::string& k = p.name;
            if (k == "source" || k == "target" || k == "weight" || k == "label" || k == "color" || k == "directed"
                || k == "key" || (k == "value" && !e.weight) || p.value.isNone())
                continue;
            member(out, k);
            appendJsonValue(out, p.value);
        }
        out += '}';
    }
    out += "\n ]}\n";
    return out;
}

} // namespace constellate
