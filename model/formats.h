#pragma once

#include "graphdata.h"
#include "graphsink.h"

#include <stdexcept>
#include <string>
#include <string_view>

namespace constellate {

/// The graph file formats we read and write. Chosen by file extension.
enum class GraphFormat {
    Unknown,
    GraphMl, ///< .graphml
    Gexf,    ///< .gexf (read: 1.1, 1.2, 1.3; write: 1.2 with viz)
    Json,    ///< .json (node-link: networkx, d3, 3d-force-graph)
    Gml,     ///< .gml
    Csv,     ///< .csv (edge list: source,target[,weight])
    Native,  ///< .constellate (everything, including merge metadata; see nativeformat.h)
};

GraphFormat formatFromPath(std::string_view path);
const char* formatName(GraphFormat f);
/// "GraphML (.graphml), GEXF (.gexf), ..." for messages.
std::string supportedFormatsText();

/// A file that could not be read: names the file, the line (and column where known,
/// both 1-based; 0 = unknown) and what is wrong. what() gives "FILE:LINE:COL: message".
class ImportError : public std::runtime_error {
public:
    ImportError(std::string file, int line, int column, std::string message);
    const std::string& file() const { return m_file; }
    int line() const { return m_line; }
    int column() const { return m_column; }
    const std::string& message() const { return m_message; }

private:
    std::string m_file;
    int m_line;
    int m_column;
    std::string m_message;
};

/// Could not write a file (I/O error, or a format that cannot hold the graph).
class ExportError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// Reads a graph file in an interchange format (not Native) into a sink. Throws
/// ImportError. `displayName` names the file in errors (defaults to the path).
void readGraphFile(const std::string& path, GraphSink& sink, GraphFormat format = GraphFormat::Unknown);
/// Same, from bytes in memory (the format must be given).
void readGraph(std::string_view bytes, GraphFormat format, const std::string& displayName, GraphSink& sink);

/// Writes a graph in an interchange format (not Native). Throws ExportError.
void writeGraphFile(const std::string& path, const GraphData& graph, GraphFormat format = GraphFormat::Unknown);
std::string writeGraph(const GraphData& graph, GraphFormat format);

} // namespace constellate
