#include "csvedgelist.h"

#include "fielduse.h"
#include "recordbuilder.h"
#include "textscan.h"

#include <cstring>

namespace constellate {

namespace {

constexpr int MaxFields = 3;

bool equalsLower(std::string_view s, std::string_view lower)
{
    if (s.size() != lower.size())
        return false;
    for (std::size_t i = 0; i < s.size(); ++i) {
        char c = s[i];
        if (c >= 'A' && c <= 'Z')
            c = char(c - 'A' + 'a');
        if (c != lower[i])
            return false;
    }
    return true;
}

class CsvReader {
public:
    CsvReader(const TextScan& text, GraphSink& sink)
        : m_text(text)
        , m_sink(sink)
        , m_p(text.begin())
        , m_end(text.end())
    {
    }

    void read()
    {
        m_text.requireUtf8();
        if (m_end - m_p >= 3 && std::string_view(m_p, 3) == "\xef\xbb\xbf")
            m_p += 3;
        m_sink.setDirected(false); // an edge list says nothing about direction
        bool first = true;
        while (m_p < m_end) {
            if (skipBlankLine())
                continue;
            const char* lineStart = m_p;
            const int count = readRecord();
            if (first) {
                first = false;
                // networkx writes no header; people often do. Only the exact column names
                // count, so that a node named "source" is not lost.
                if ((count == 2 || count == 3) && equalsLower(m_fields[0], "source")
                    && equalsLower(m_fields[1], "target") && (count == 2 || equalsLower(m_fields[2], "weight")))
                    continue;
            }
            if (count < 2)
                m_text.fail(lineStart, "expected source,target[,weight]");
            m_record.clear();
            if (count == 3) {
                const std::string_view w = trimSpace(m_fields[2]);
                if (!w.empty()) {
                    double weight;
                    if (!parseDouble(w, weight))
                        m_text.fail(m_fieldAt[2], "invalid weight '" + std::string(m_fields[2]) + "'");
                    m_record.setWeight(weight);
                }
            }
            m_record.deliverEdge(m_sink, m_fields[0], m_fields[1]);
        }
    }

private:
    // Skips a line that holds only spaces or tabs.
    bool skipBlankLine()
    {
        const char* p = m_p;
        while (p < m_end && (*p == ' ' || *p == '\t'))
            ++p;
        if (p < m_end && *p != '\n' && *p != '\r')
            return false;
        if (p < m_end && *p == '\r')
            ++p;
        if (p < m_end && *p == '\n')
            ++p;
        m_p = p;
        return true;
    }

    // One record (RFC 4180: quoted fields may hold commas, doubled quotes and line
    // breaks). Leaves m_p at the start of the next line; returns the field count.
    int readRecord()
    {
        int count = 0;
        for (;;) {
            if (count == MaxFields)
                m_text.fail(m_p, "too many fields: expected source,target[,weight]");
            std::string& buffer = m_buffers[count];
            m_fieldAt[count] = m_p;
            if (m_p < m_end && *m_p == '"') {
                const char* open = m_p++;
                const char* start = m_p;
                bool escaped = false;
                for (;;) {
                    const char* q = static_cast<const char*>(std::memchr(m_p, '"', std::size_t(m_end - m_p)));
                    if (!q)
                        m_text.fail(open, "unterminated quoted field");
                    if (q + 1 < m_end && q[1] == '"') {
                        if (!escaped)
                            buffer.assign(start, q + 1);
                        else
                            buffer.append(m_p, q + 1);
                        escaped = true;
                        m_p = q + 2;
                        continue;
                    }
                    if (escaped)
                        buffer.append(m_p, q);
                    m_fields[count]
                        = escaped ? std::string_view(buffer) : std::string_view(start, std::size_t(q - start));
                    m_p = q + 1;
                    break;
                }
                if (m_p < m_end && *m_p != ',' && *m_p != '\n' && *m_p != '\r')
                    m_text.fail(m_p, "expected ',' or the end of the line after a quoted field");
            } else {
                const char* start = m_p;
                while (m_p < m_end && *m_p != ',' && *m_p != '\n' && *m_p != '\r')
                    ++m_p;
                m_fields[count] = { start, std::size_t(m_p - start) };
            }
            ++count;
            if (m_p < m_end && *m_p == ',') {
                ++m_p;
                continue;
            }
            if (m_p < m_end && *m_p == '\r')
                ++m_p;
            if (m_p < m_end && *m_p == '\n')
                ++m_p;
            return count;
        }
    }

    const TextScan& m_text;
    GraphSink& m_sink;
    const char* m_p;
    const char* const m_end;
    std::string_view m_fields[MaxFields];
    const char* m_fieldAt[MaxFields] = {};
    std::string m_buffers[MaxFields];
    RecordBuilder m_record;
};

void appendCsvField(std::string& out, std::string_view s)
{
    // Quoted when needed (RFC 4180), and when spaces at an end would otherwise be lost
    // to tools that trim.
    const bool quote = s.find_first_of(",\"\r\n") != std::string_view::npos
        || (!s.empty() && (isSpace(s.front()) || isSpace(s.back())));
    if (!quote) {
        out += s;
        return;
    }
    out += '"';
    for (const char c : s) {
        if (c == '"')
            out += '"';
        out += c;
    }
    out += '"';
}

} // namespace

void readCsvEdgeList(std::string_view bytes, const std::string& fileName, GraphSink& sink)
{
    const TextScan text(bytes, fileName);
    CsvReader(text, sink).read();
}

std::string writeCsvEdgeList(const GraphData& graph)
{
    const bool weights = FieldUse::of(graph).edgeWeight;
    std::string out;
    out.reserve(graph.edges.size() * 24);
    for (const GraphData::Edge& e : graph.edges) {
        appendCsvField(out, graph.nodes.at(e.source).key);
        out += ',';
        appendCsvField(out, graph.nodes.at(e.target).key);
        if (weights) {
            out += ',';
            if (e.weight)
                appendDouble(out, *e.weight);
        }
        out += '\n';
    }
    return out;
}

} // namespace constellate
