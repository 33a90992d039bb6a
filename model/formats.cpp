#include "formats.h"

#include "io/csvedgelist.h"
#include "io/gexf.h"
#include "io/gml.h"
#include "io/graphml.h"
#include "io/jsonnodelink.h"

#include <QFile>
#include <QSaveFile>

namespace constellate {

namespace {

std::string lowerAscii(std::string_view s)
{
    std::string out(s);
    for (char& c : out) {
        if (c >= 'A' && c <= 'Z')
            c = char(c - 'A' + 'a');
    }
    return out;
}

constexpr GraphFormat InterchangeFormats[]
    = { GraphFormat::GraphMl, GraphFormat::Gexf, GraphFormat::Json, GraphFormat::Gml, GraphFormat::Csv };

const char* extensionOf(GraphFormat f)
{
    switch (f) {
    case GraphFormat::GraphMl:
        return ".graphml";
    case GraphFormat::Gexf:
        return ".gexf";
    case GraphFormat::Json:
        return ".json";
    case GraphFormat::Gml:
        return ".gml";
    case GraphFormat::Csv:
        return ".csv";
    case GraphFormat::Native:
        return ".constellate";
    case GraphFormat::Unknown:
        break;
    }
    return "";
}

std::string qtString(const QString& s)
{
    return s.toStdString();
}

} // namespace

GraphFormat formatFromPath(std::string_view path)
{
    const std::size_t slash = path.find_last_of("/\\");
    const std::string_view name = slash == std::string_view::npos ? path : path.substr(slash + 1);
    const std::size_t dot = name.rfind('.');
    if (dot == std::string_view::npos)
        return GraphFormat::Unknown;
    const std::string ext = lowerAscii(name.substr(dot));
    for (const GraphFormat f : InterchangeFormats) {
        if (ext == extensionOf(f))
            return f;
    }
    if (ext == extensionOf(GraphFormat::Native))
        return GraphFormat::Native;
    return GraphFormat::Unknown;
}

const char* formatName(GraphFormat f)
{
    switch (f) {
    case GraphFormat::GraphMl:
        return "GraphML";
    case GraphFormat::Gexf:
        return "GEXF";
    case GraphFormat::Json:
        return "JSON node-link";
    case GraphFormat::Gml:
        return "GML";
    case GraphFormat::Csv:
        return "CSV edge list";
    case GraphFormat::Native:
        return "Constellate document";
    case GraphFormat::Unknown:
        break;
    }
    return "unknown format";
}

std::string supportedFormatsText()
{
    std::string text;
    for (const GraphFormat f : InterchangeFormats) {
        if (!text.empty())
            text += ", ";
        text += formatName(f);
        text += " (";
        text += extensionOf(f);
        text += ')';
    }
    return text;
}

namespace {

std::string importWhat(const std::string& file, int line, int column, const std::string& message)
{
    std::string what = file;
    if (line > 0) {
        what += ':' + std::to_string(line);
        if (column > 0)
            what += ':' + std::to_string(column);
    }
    return what + ": " + message;
}

// Refuses what readGraph/writeGraph cannot handle, with a message that says what can.
std::string unsupportedMessage(GraphFormat format)
{
    if (format == GraphFormat::Native)
        return "this is a Constellate document: use the document's native reader (this reader takes "
            + supportedFormatsText() + ")";
    return "unknown file type; supported formats: " + supportedFormatsText();
}

} // namespace

ImportError::ImportError(std::string file, int line, int column, std::string message)
    : std::runtime_error(importWhat(file, line, column, message))
    , m_file(std::move(file))
    , m_line(line)
    , m_column(column)
    , m_message(std::move(message))
{
}

void readGraphFile(const std::string& path, GraphSink& sink, GraphFormat format)
{
    if (format == GraphFormat::Unknown)
        format = formatFromPath(path);
    if (format == GraphFormat::Unknown || format == GraphFormat::Native)
        throw ImportError(path, 0, 0, unsupportedMessage(format));

    // The whole file in memory once: every reader scans bytes and hands out views.
    QFile file(QString::fromStdString(path));
    if (!file.open(QIODevice::ReadOnly))
        throw ImportError(path, 0, 0, "cannot open: " + qtString(file.errorString()));
    std::string bytes;
    const qint64 size = file.size();
    if (size > 0 && !file.isSequential()) {
        bytes.resize(std::size_t(size));
        qint64 done = 0;
        while (done < size) {
            const qint64 n = file.read(bytes.data() + done, size - done);
            if (n < 0)
                throw ImportError(path, 0, 0, "cannot read: " + qtString(file.errorString()));
            if (n == 0)
                break; // shrank while we read
            done += n;
        }
        bytes.resize(std::size_t(done));
    }
    // Pipes and files that grew: read on to the end.
    char chunk[65536];
    for (;;) {
        const qint64 n = file.read(chunk, sizeof chunk);
        if (n < 0)
            throw ImportError(path, 0, 0, "cannot read: " + qtString(file.errorString()));
        if (n == 0)
            break;
        bytes.append(chunk, std::size_t(n));
    }
    readGraph(bytes, format, path, sink);
}

void readGraph(std::string_view bytes, GraphFormat format, const std::string& displayName, GraphSink& sink)
{
    switch (format) {
    case GraphFormat::GraphMl:
        readGraphMl(bytes, displayName, sink);
        return;
    case GraphFormat::Gexf:
        readGexf(bytes, displayName, sink);
        return;
    case GraphFormat::Json:
        readJsonNodeLink(bytes, displayName, sink);
        return;
    case GraphFormat::Gml:
        readGml(bytes, displayName, sink);
        return;
    case GraphFormat::Csv:
        readCsvEdgeList(bytes, displayName, sink);
        return;
    case GraphFormat::Native:
    case GraphFormat::Unknown:
        break;
    }
    throw ImportError(displayName, 0, 0, unsupportedMessage(format));
}

std::string writeGraph(const GraphData& graph, GraphFormat format)
{
    switch (format) {
    case GraphFormat::GraphMl:
        return writeGraphMl(graph);
    case GraphFormat::Gexf:
        return writeGexf(graph);
    case GraphFormat::Json:
        return writeJsonNodeLink(graph);
    case GraphFormat::Gml:
        return writeGml(graph);
    case GraphFormat::Csv:
        return writeCsvEdgeList(graph);
    case GraphFormat::Native:
    case GraphFormat::Unknown:
        break;
    }
    throw ExportError(format == GraphFormat::Native
            ? "the Constellate document format is written by the document itself"
            : "unknown file type; supported formats: " + supportedFormatsText());
}

void writeGraphFile(const std::string& path, const GraphData& graph, GraphFormat format)
{
    if (format == GraphFormat::Unknown)
        format = formatFromPath(path);
    if (format == GraphFormat::Native)
        throw ExportError(path + ": the Constellate document format is written by the document itself");
    if (format == GraphFormat::Unknown)
        throw ExportError(path + ": unknown file type; supported formats: " + supportedFormatsText());
    const std::string bytes = writeGraph(graph, format);
    // QSaveFile writes beside the target and renames: a failed export never leaves a
    // half-written file in place of a good one.
    QSaveFile file(QString::fromStdString(path));
    if (!file.open(QIODevice::WriteOnly))
        throw ExportError("cannot write " + path + ": " + qtString(file.errorString()));
    const qint64 written = file.write(bytes.data(), qint64(bytes.size()));
    if (written != qint64(bytes.size())) {
        const std::string reason = qtString(file.errorString());
        file.cancelWriting();
        throw ExportError("cannot write " + path + ": " + reason);
    }
    if (!file.commit())
        throw ExportError("cannot write " + path + ": " + qtString(file.errorString()));
}

} // namespace constellate
