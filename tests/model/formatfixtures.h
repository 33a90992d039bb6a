#pragma once

// Shared by the file format tests: reading fixtures, finding nodes and properties,
// catching ImportErrors.

#include "formats.h"
#include "graphdata.h"

#include <gtest/gtest.h>

#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>

namespace constellate::test {

inline std::string graphPath(const std::string& name)
{
    return std::string(CONSTELLATE_TEST_GRAPHS) + "/" + name;
}

// Hand-written fixtures in tests/data.
inline std::string dataPath(const std::string& name)
{
    return std::string(CONSTELLATE_TEST_DATA) + "/" + name;
}

inline std::string fileBytes(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

inline GraphData readFile(const std::string& path)
{
    GraphData g;
    GraphDataSink sink(g);
    readGraphFile(path, sink);
    return g;
}

inline GraphData readBytes(std::string_view bytes, GraphFormat format)
{
    GraphData g;
    GraphDataSink sink(g);
    readGraph(bytes, format, "test", sink);
    return g;
}

/// The ImportError reading `bytes` raises, or nothing (the caller asserts).
inline std::optional<ImportError> importError(std::string_view bytes, GraphFormat format)
{
    try {
        readBytes(bytes, format);
    } catch (const ImportError& e) {
        return e;
    }
    return std::nullopt;
}

inline const GraphData::Node* findNode(const GraphData& g, std::string_view key)
{
    for (const GraphData::Node& n : g.nodes) {
        if (n.key == key)
            return &n;
    }
    return nullptr;
}

inline const Value* findProperty(const std::vector<GraphData::Property>& props, std::string_view name)
{
    for (const GraphData::Property& p : props) {
        if (p.name == name)
            return &p.value;
    }
    return nullptr;
}

/// Edge i as "source->target" by node keys, for readable assertions.
inline std::string edgeText(const GraphData& g, std::size_t i)
{
    const GraphData::Edge& e = g.edges.at(i);
    return g.nodes.at(e.source).key + "->" + g.nodes.at(e.target).key;
}

} // namespace constellate::test

// Asserts that reading `bytes` as `format` fails at LINE:COL with a message holding `text`.
#define EXPECT_IMPORT_ERROR(bytes, format, line_, column_, text)                                                       \
    do {                                                                                                               \
        const auto error_ = ::constellate::test::importError((bytes), (format));                                       \
        ASSERT_TRUE(error_.has_value()) << "no error for: " << (bytes);                                                \
        EXPECT_EQ(error_->line(), (line_)) << error_->what();                                                          \
        EXPECT_EQ(error_->column(), (column_)) << error_->what();                                                      \
        EXPECT_NE(error_->message().find(text), std::string::npos) << error_->what();                                  \
    } while (false)
