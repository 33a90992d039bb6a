// Writers: every format written and read back by our readers gives the same graph (up to
// what the format cannot hold), and networkx, when installed, reads what we write.

#include "formatfixtures.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

using namespace constellate;
using namespace constellate::test;

namespace {

constexpr GraphFormat Writable[]
    = { GraphFormat::GraphMl, GraphFormat::Gexf, GraphFormat::Json, GraphFormat::Gml, GraphFormat::Csv };

const char* const SourceFiles[] = { "ba-10k.graphml", "davis.graphml", "florentine.graphml", "karate.graphml",
    "lesmis.graphml", "typed-directed.graphml", "davis.gexf", "karate.gexf", "lesmis.gexf", "typed-directed.gexf",
    "karate.json", "typed-directed.json", "lesmis.gml", "karate.csv" };

GraphData::Node node(std::string key)
{
    GraphData::Node n;
    n.key = std::move(key);
    return n;
}

// A graph that uses every field, every value type and the characters each format must
// escape.
GraphData everything()
{
    GraphData g;
    g.directed = true;
    GraphData::Node a = node("a");
    a.label = "Alpha <&> \"quoted\" 'single' caf\xc3\xa9 \xf0\x9f\x9a\x80 tab\there\nnewline\r\ncrlf";
    a.position = Vec3 { 1.5f, -2.25f, 1e-7f };
    a.color = 0x11223344;
    a.size = 0.1f;
    a.properties = { { "flag", Value(true) }, { "count", Value(std::int64_t(-9007199254740993)) },
        { "ratio", Value(2.0) }, { "tiny", Value(5e-324) }, { "huge", Value(1.7976931348623157e308) },
        { "inf", Value(-HUGE_VAL) }, { "text", Value("  spaced, \"quoted\" & <tagged>  ") }, { "empty", Value("") } };
    GraphData::Node b = node("node, with \"comma\"");
    b.label = "";
    b.color = 0xff0000ff;
    b.properties = { { "flag", Value(false) }, { "count", Value(std::int64_t(7)) } };
    GraphData::Node c = node("  spaced key\t");
    c.position = Vec3 { 0, 0, 0 };
    GraphData::Node d = node("12");
    d.size = 30;
    d.properties = { { "ratio", Value(-0.5) } };
    GraphData::Node e = node("007");
    GraphData::Node f = node("\xce\xb1\xce\xb2\xce\xb3 <x>");
    g.nodes = { a, b, c, d, e, f };

    auto edge = [&](std::size_t s, std::size_t t, bool directed) {
        GraphData::Edge x;
        x.source = s;
        x.target = t;
        x.directed = directed;
        return x;
    };
    GraphData::Edge e0 = edge(0, 1, true);
    e0.weight = 2.5;
    e0.label = "first & <only>";
    e0.color = 0x00ff0080;
    e0.properties = { { "kind", Value("calls") }, { "n", Value(std::int64_t(3)) } };
    GraphData::Edge e1 = edge(1, 0, false);
    e1.weight = -HUGE_VAL;
    GraphData::Edge e2 = edge(0, 1, true); // parallel to e0
    e2.weight = 0.1;
    e2.properties = { { "kind", Value("again") } };
    GraphData::Edge e3 = edge(2, 2, true); // a self-loop
    e3.weight = 1e21;
    GraphData::Edge e4 = edge(3, 4, true);
    e4.weight = 3;
    GraphData::Edge e5 = edge(5, 3, false);
    e5.weight = 0;
    g.edges = { e0, e1, e2, e3, e4, e5 };
    return g;
}

void expectSameNodes(const GraphData& expected, const GraphData& actual)
{
    ASSERT_EQ(actual.nodes.size(), expected.nodes.size());
    for (std::size_t i = 0; i < expected.nodes.size(); ++i) {
        const GraphData::Node& x = expected.nodes[i];
        const GraphData::Node& y = actual.nodes[i];
        SCOPED_TRACE("node " + x.key);
        EXPECT_EQ(y.key, x.key);
        EXPECT_EQ(y.label, x.label);
        EXPECT_EQ(y.position, x.position);
        EXPECT_EQ(y.color, x.color);
        EXPECT_EQ(y.size, x.size);
        ASSERT_EQ(y.properties.size(), x.properties.size());
        for (std::size_t k = 0; k < x.properties.size(); ++k) {
            EXPECT_EQ(y.properties[k].name, x.properties[k].name);
            EXPECT_EQ(y.properties[k].value, x.properties[k].value)
                << x.properties[k].name << ": " << y.properties[k].value.display() << " vs "
                << x.properties[k].value.display();
        }
    }
}

void expectSameEdges(const GraphData& expected, const GraphData& actual)
{
    ASSERT_EQ(actual.edges.size(), expected.edges.size());
    for (std::size_t i = 0; i < expected.edges.size(); ++i) {
        SCOPED_TRACE("edge " + std::to_string(i) + " " + edgeText(expected, i));
        EXPECT_EQ(edgeText(actual, i), edgeText(expected, i));
        const GraphData::Edge& x = expected.edges[i];
        const GraphData::Edge& y = actual.edges[i];
        EXPECT_EQ(y.directed, x.directed);
        EXPECT_EQ(y.label, x.label);
        EXPECT_EQ(y.color, x.color);
        EXPECT_EQ(y.weight, x.weight);
        ASSERT_EQ(y.properties.size(), x.properties.size());
        for (std::size_t k = 0; k < x.properties.size(); ++k) {
            EXPECT_EQ(y.properties[k].name, x.properties[k].name);
            EXPECT_EQ(y.properties[k].value, x.properties[k].value) << x.properties[k].name;
        }
    }
}

// What a format keeps of a graph, as our reader will find it.
GraphData expectedAfter(const GraphData& g, GraphFormat format)
{
    GraphData e = g;
    if (format == GraphFormat::Gml) {
        // GML: every node has a label (networkx needs one) and booleans are integers.
        for (GraphData::Node& n : e.nodes) {
            if (!n.label)
                n.label = n.key;
            for (GraphData::Property& p : n.properties) {
                if (p.value.type() == ValueType::Bool)
                    p.value = Value(std::int64_t(p.value.toBool()));
            }
        }
    }
    if (format == GraphFormat::Csv) {
        // CSV: the edges' ends and weights, undirected; nodes in order of first mention.
        GraphData c;
        GraphDataSink sink(c);
        sink.setDirected(false);
        for (const GraphData::Edge& x : g.edges) {
            EdgeRecord r;
            r.sourceKey = g.nodes[x.source].key;
            r.targetKey = g.nodes[x.target].key;
            r.weight = x.weight;
            sink.addEdge(r);
        }
        return c;
    }
    return e;
}

void expectRoundTrip(const GraphData& g, GraphFormat format, const std::string& what)
{
    SCOPED_TRACE(what + " as " + formatName(format));
    const std::string bytes = writeGraph(g, format);
    GraphData back;
    try {
        back = readBytes(bytes, format);
    } catch (const ImportError& e) {
        FAIL() << e.what() << "\n" << bytes.substr(0, 2000);
    }
    const GraphData expected = expectedAfter(g, format);
    EXPECT_EQ(back.directed, expected.directed);
    expectSameNodes(expected, back);
    expectSameEdges(expected, back);
}

} // namespace

TEST(RoundTrip, RealFilesInEveryFormat)
{
    for (const char* name : SourceFiles) {
        const GraphData g = readFile(graphPath(name));
        for (const GraphFormat format : Writable)
            expectRoundTrip(g, format, name);
    }
}

TEST(RoundTrip, EveryFieldTypeAndCharacter)
{
    const GraphData g = everything();
    for (const GraphFormat format : Writable)
        expectRoundTrip(g, format, "everything");
}

TEST(RoundTrip, EmptyGraph)
{
    GraphData g;
    for (const GraphFormat format : Writable)
        expectRoundTrip(g, format, "empty");
    g.directed = true;
    g.nodes.push_back(node("lonely"));
    for (const GraphFormat format : { GraphFormat::GraphMl, GraphFormat::Gexf, GraphFormat::Json, GraphFormat::Gml })
        expectRoundTrip(g, format, "one node");
}

TEST(RoundTrip, MultigraphFlags)
{
    const GraphData g = everything();
    EXPECT_NE(writeGraph(g, GraphFormat::Json).find("\"multigraph\": true"), std::string::npos);
    EXPECT_NE(writeGraph(g, GraphFormat::Gml).find("multigraph 1"), std::string::npos);
    const GraphData simple = readFile(graphPath("karate.graphml"));
    EXPECT_NE(writeGraph(simple, GraphFormat::Json).find("\"multigraph\": false"), std::string::npos);
    EXPECT_EQ(writeGraph(simple, GraphFormat::Gml).find("multigraph"), std::string::npos);
}

TEST(RoundTrip, WhatFormatsCannotHold)
{
    // Characters XML cannot hold become U+FFFD; GML drops property names it cannot
    // spell; property values that do not fit their key's type are left out.
    GraphData g;
    GraphData::Node n = node("bell\x07");
    n.label = std::string("nul\0byte", 8);
    n.properties = { { "bad name", Value(1) }, { "mixed", Value(std::int64_t(1)) } };
    GraphData::Node m = node("m");
    m.properties = { { "mixed", Value("text") } };
    g.nodes = { n, m };
    const GraphData xml = readBytes(writeGraph(g, GraphFormat::GraphMl), GraphFormat::GraphMl);
    EXPECT_EQ(xml.nodes[0].key, "bell\xef\xbf\xbd");
    EXPECT_EQ(xml.nodes[0].label,
        "nul\xef\xbf\xbd"
        "byte");
    EXPECT_EQ(findProperty(xml.nodes[1].properties, "mixed"), nullptr);
    const GraphData gexf = readBytes(writeGraph(g, GraphFormat::Gexf), GraphFormat::Gexf);
    EXPECT_EQ(gexf.nodes[0].key, "bell\xef\xbf\xbd");
    const GraphData json = readBytes(writeGraph(g, GraphFormat::Json), GraphFormat::Json);
    EXPECT_EQ(json.nodes[0].key, "bell\x07");
    EXPECT_EQ(json.nodes[0].label, std::string("nul\0byte", 8));
    EXPECT_EQ(*findProperty(json.nodes[1].properties, "mixed"), Value("text"));
    const GraphData gml = readBytes(writeGraph(g, GraphFormat::Gml), GraphFormat::Gml);
    EXPECT_EQ(gml.nodes[0].key, "bell\x07");
    EXPECT_EQ(findProperty(gml.nodes[0].properties, "bad name"), nullptr);
}

TEST(RoundTrip, WrittenFilesAreReadAgainFromDisk)
{
    const GraphData g = readFile(graphPath("lesmis.gexf"));
    const auto dir = std::filesystem::temp_directory_path() / "constellate-test-roundtrip";
    std::filesystem::create_directories(dir);
    for (const char* ext : { "graphml", "gexf", "json", "gml", "csv" }) {
        const std::string path = (dir / (std::string("lesmis.") + ext)).string();
        writeGraphFile(path, g);
        EXPECT_EQ(readFile(path).edges.size(), 254u) << path;
    }
    std::filesystem::remove_all(dir);
}

namespace {

bool haveNetworkx()
{
    return std::system("python3 -c 'import networkx' >/dev/null 2>&1") == 0;
}

// Reads each file with networkx and prints: path, nodes, edges, directed, weight sum.
constexpr const char* NetworkxScript = R"PY(
import json, sys
import networkx as nx
for path in sys.argv[1:]:
    ext = path.rsplit('.', 1)[1]
    if ext == 'graphml':
        g = nx.read_graphml(path)
    elif ext == 'gexf':
        g = nx.read_gexf(path)
    elif ext == 'gml':
        g = nx.read_gml(path)
    elif ext == 'json':
        with open(path, encoding='utf-8') as f:
            data = json.load(f)
        try:
            g = nx.node_link_graph(data, edges='links')
        except TypeError:
            g = nx.node_link_graph(data)
    else:
        with open(path, encoding='utf-8') as f:
            weighted = f.readline().count(',') == 2
        g = nx.read_edgelist(path, delimiter=',', nodetype=str,
                             data=[('weight', float)] if weighted else False)
    w = sum(d.get('weight', 0) for _, _, d in g.edges(data=True))
    print(path, g.number_of_nodes(), g.number_of_edges(), int(g.is_directed()), repr(float(w)), sep='\t')
)PY";

} // namespace

TEST(RoundTrip, NetworkxReadsWhatWeWrite)
{
    if (!haveNetworkx())
        GTEST_SKIP() << "python3 with networkx is not installed";
    const auto dir = std::filesystem::temp_directory_path() / "constellate-test-networkx";
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);

    // A graph networkx can hold (one direction, no parallel edges) with hard characters.
    GraphData special = everything();
    special.edges.erase(special.edges.begin() + 1, special.edges.begin() + 3);
    special.edges.back().directed = true;

    struct Expect {
        std::size_t nodes, edges;
        bool directed;
        double weight;
    };
    std::map<std::string, Expect> expected;
    std::string args;
    auto add = [&](const GraphData& g, const std::string& name, bool csv) {
        for (const GraphFormat format : Writable) {
            if (format == GraphFormat::Csv && !csv)
                continue;
            const std::string ext = format == GraphFormat::GraphMl ? "graphml"
                : format == GraphFormat::Gexf                      ? "gexf"
                : format == GraphFormat::Json                      ? "json"
                : format == GraphFormat::Gml                       ? "gml"
                                                                   : "csv";
            const std::string path = (dir / (name + "." + ext)).string();
            writeGraphFile(path, g, format);
            const GraphData e = expectedAfter(g, format);
            double w = 0;
            for (const GraphData::Edge& x : e.edges)
                w += x.weight.value_or(0);
            expected[path] = { e.nodes.size(), e.edges.size(), e.directed, w };
            args += " '" + path + "'";
        }
    };
    for (const char* name : { "karate.graphml", "lesmis.gexf", "typed-directed.json", "davis.gml" })
        add(readFile(graphPath(name)), std::string(name).substr(0, std::string(name).find('.')), true);
    // networkx's edge list reader knows no CSV quoting: the special keys skip CSV.
    add(special, "special", false);

    const std::string script = (dir / "check.py").string();
    {
        std::ofstream out(script);
        out << NetworkxScript;
    }
    const std::string command = "python3 '" + script + "'" + args + " 2>&1";
    FILE* pipe = popen(command.c_str(), "r");
    ASSERT_NE(pipe, nullptr);
    std::string output;
    char buffer[4096];
    while (const std::size_t n = fread(buffer, 1, sizeof buffer, pipe))
        output.append(buffer, n);
    const int status = pclose(pipe);
    ASSERT_EQ(status, 0) << output;

    std::istringstream lines(output);
    std::string line;
    std::size_t seen = 0;
    while (std::getline(lines, line)) {
        std::istringstream fields(line);
        std::string path, weight;
        std::size_t nodes = 0, edges = 0;
        int directed = 0;
        std::getline(fields, path, '\t');
        fields >> nodes >> edges >> directed >> weight;
        const auto it = expected.find(path);
        ASSERT_NE(it, expected.end()) << line;
        SCOPED_TRACE(path);
        EXPECT_EQ(nodes, it->second.nodes);
        EXPECT_EQ(edges, it->second.edges);
        EXPECT_EQ(directed != 0, it->second.directed);
        const double w = std::strtod(weight.c_str(), nullptr);
        EXPECT_TRUE(w == it->second.weight || std::fabs(w - it->second.weight) <= 1e-9 * std::fabs(w)) << weight;
        ++seen;
    }
    EXPECT_EQ(seen, expected.size()) << output;
    std::filesystem::remove_all(dir);
}
