// Malformed input: every reader reports ImportError with the right line and column, and
// no input (truncated or garbled real files included) crashes or hangs a reader.

#include "formatfixtures.h"

#include <random>

using namespace constellate;
using namespace constellate::test;

TEST(GraphMlErrors, XmlWellFormedness)
{
    constexpr auto G = GraphFormat::GraphMl;
    EXPECT_IMPORT_ERROR("<?xml version=\"1.0\"?>\n<graphml>\n<graph>\n<node id=\"a\"></edge>\n</graph></graphml>", G, 4,
        14, "mismatched end tag </edge>");
    EXPECT_IMPORT_ERROR("<graphml><graph><node id=\"a\">", G, 1, 30, "<node> opened on line 1 is not closed");
    EXPECT_IMPORT_ERROR("<graphml>\n  <graph edgedefault=directed>", G, 2, 22, "expected a quoted value");
    EXPECT_IMPORT_ERROR("<graphml>\n<graph>\n<node id=\"\xff\"/>", G, 3, 11, "invalid UTF-8");
    EXPECT_IMPORT_ERROR("<graphml>\n<graph>\n<node id=\"\xc3\xbc\xe2\x82\"/>", G, 3, 12, "invalid UTF-8");
    EXPECT_IMPORT_ERROR("<graphml><graph><node id=\"a&foo;\"/></graph></graphml>", G, 1, 28, "undefined entity &foo;");
    EXPECT_IMPORT_ERROR("<graphml><graph><node id=\"a & b\"/></graph></graphml>", G, 1, 29, "'&' must start");
    EXPECT_IMPORT_ERROR("<graphml><graph><node id=\"&#0;\"/></graph></graphml>", G, 1, 27, "character reference");
    EXPECT_IMPORT_ERROR("<graphml><graph><node id=\"&#x110000;\"/></graph></graphml>", G, 1, 27, "character reference");
    EXPECT_IMPORT_ERROR("<graphml><graph><node id=\"a\" id=\"b\"/></graph></graphml>", G, 1, 30, "duplicate attribute");
    EXPECT_IMPORT_ERROR("<graphml><graph><node id=\"a\"id=\"b\"/></graph></graphml>", G, 1, 29, "expected whitespace");
    EXPECT_IMPORT_ERROR("<graphml><graph><node id></graph></graphml>", G, 1, 25, "expected '='");
    EXPECT_IMPORT_ERROR("<graphml><graph><node id=\"a<\"/></graph></graphml>", G, 1, 28, "'<' is not allowed");
    EXPECT_IMPORT_ERROR("<graphml><graph><node id=\"a/></graph></graphml>", G, 1, 30, "'<' is not allowed");
    EXPECT_IMPORT_ERROR("<graphml><graph><node id=\"a/>", G, 1, 26, "unterminated value");
    EXPECT_IMPORT_ERROR("<graphml><graph><node id=\"a\"", G, 1, 17, "unterminated start tag <node>");
    EXPECT_IMPORT_ERROR("<graphml><graph></graph></graphml><graphml/>", G, 1, 35, "after the root element");
    EXPECT_IMPORT_ERROR("<graphml></graphml>\ntext", G, 2, 1, "text after the root element");
    EXPECT_IMPORT_ERROR("junk<graphml/>", G, 1, 1, "text before the root element");
    EXPECT_IMPORT_ERROR("", G, 1, 1, "no root element");
    EXPECT_IMPORT_ERROR("<graphml><!-- never closed </graphml>", G, 1, 10, "unterminated comment");
    EXPECT_IMPORT_ERROR("<graphml><![CDATA[ x </graphml>", G, 1, 10, "unterminated CDATA");
    EXPECT_IMPORT_ERROR("<graphml><? pi </graphml>", G, 1, 10, "unterminated processing instruction");
    EXPECT_IMPORT_ERROR("<graphml></ graphml>", G, 1, 12, "expected an element name");
    EXPECT_IMPORT_ERROR("<graphml></graphml x>", G, 1, 20, "expected '>'");
    EXPECT_IMPORT_ERROR("</graphml>", G, 1, 1, "without a matching start tag");
    EXPECT_IMPORT_ERROR("<graphml><1node/></graphml>", G, 1, 11, "expected an element name");
    EXPECT_IMPORT_ERROR("<graphml><!ENTITY x></graphml>", G, 1, 10, "unexpected markup");
    EXPECT_IMPORT_ERROR("\xff\xfe<\0g\0", G, 1, 1, "UTF-16");
    EXPECT_IMPORT_ERROR("<?xml version='1.0' encoding='ISO-8859-1'?>\n<graphml>caf\xe9</graphml>", G, 2, 13,
        "declares encoding 'ISO-8859-1'");
    // Columns count characters, not bytes; CRLF and lone CR end lines.
    EXPECT_IMPORT_ERROR("<graphml>\r\n<graph>\r<node id=\"\xc3\xbc\xc3\xbc\"></nod>", G, 3, 15, "mismatched end tag");
}

TEST(GraphMlErrors, GraphMlContent)
{
    constexpr auto G = GraphFormat::GraphMl;
    EXPECT_IMPORT_ERROR("<gexf/>", G, 1, 1, "not a GraphML file");
    EXPECT_IMPORT_ERROR("<graphml><graph><node/></graph></graphml>", G, 1, 17, "<node> without an id");
    EXPECT_IMPORT_ERROR("<graphml><graph><edge source='a'/></graph></graphml>", G, 1, 17, "without source and target");
    EXPECT_IMPORT_ERROR("<graphml><graph><node id='a'><graph/></node></graph></graphml>", G, 1, 30, "nested graphs");
    EXPECT_IMPORT_ERROR("<graphml><graph><node id='a'><port name='p'/></node></graph></graphml>", G, 1, 30, "ports");
    EXPECT_IMPORT_ERROR(
        "<graphml><graph><edge source='a' target='b' sourceport='p'/></graph></graphml>", G, 1, 17, "ports");
    EXPECT_IMPORT_ERROR("<graphml><graph><hyperedge><endpoint node='a'/></hyperedge></graph></graphml>", G, 1, 17,
        "hyperedges are not supported");
    EXPECT_IMPORT_ERROR("<graphml><graph><edge source='a' target='b' directed='yes'/></graph></graphml>", G, 1, 45,
        "directed must be true or false");
    const std::string keys = "<graphml><key id='n' for='node' attr.name='n' attr.type='long'/>"
                             "<key id='b' for='node' attr.name='b' attr.type='boolean'/>"
                             "<key id='x' for='node' attr.name='x' attr.type='double'/>"
                             "<key id='d' for='node' attr.name='d' attr.type='double'/>\n<graph>\n";
    EXPECT_IMPORT_ERROR(keys + "<node id='a'><data key='n'>3x</data></node></graph></graphml>", G, 3, 28,
        "invalid integer '3x' for 'n'");
    EXPECT_IMPORT_ERROR(
        keys + "<node id='a'><data key='n'>\n   1.5</data></node></graph></graphml>", G, 4, 4, "invalid integer");
    EXPECT_IMPORT_ERROR(
        keys + "<node id='a'><data key='b'>yes</data></node></graph></graphml>", G, 3, 28, "invalid boolean");
    EXPECT_IMPORT_ERROR(
        keys + "<node id='a'><data key='d'></data></node></graph></graphml>", G, 3, 28, "invalid number");
    EXPECT_IMPORT_ERROR(
        keys + "<node id='a'><data key='x'>inf</data></node></graph></graphml>", G, 3, 28, "non-finite position");
    EXPECT_IMPORT_ERROR(
        keys + "<node id='a'><data key='x'>1e300</data></node></graph></graphml>", G, 3, 28, "non-finite position");
}

TEST(GexfErrors, Content)
{
    constexpr auto X = GraphFormat::Gexf;
    const std::string head = "<gexf><graph>\n";
    EXPECT_IMPORT_ERROR("<graphml/>", X, 1, 1, "not a GEXF file");
    EXPECT_IMPORT_ERROR("<gexf><graph defaultedgetype='sideways'/></gexf>", X, 1, 14, "defaultedgetype");
    EXPECT_IMPORT_ERROR(head + "<nodes><node label='x'/></nodes></graph></gexf>", X, 2, 8, "without an id");
    EXPECT_IMPORT_ERROR(head + "<nodes><node id='a'><viz:color r='300' g='0' b='0'/></node></nodes></graph></gexf>", X,
        2, 32, "color component");
    EXPECT_IMPORT_ERROR(head + "<nodes><node id='a'><viz:color r='1' g='0' b='0' a='2'/></node></nodes></graph></gexf>",
        X, 2, 50, "alpha");
    EXPECT_IMPORT_ERROR(
        head + "<nodes><node id='a'><viz:color hex='#12'/></node></nodes></graph></gexf>", X, 2, 32, "invalid color");
    EXPECT_IMPORT_ERROR(head + "<nodes><node id='a'><viz:position x='nan' y='1'/></node></nodes></graph></gexf>", X, 2,
        35, "non-finite position");
    EXPECT_IMPORT_ERROR(head + "<nodes><node id='a'><viz:position x='1' y='one'/></node></nodes></graph></gexf>", X, 2,
        41, "invalid number 'one'");
    EXPECT_IMPORT_ERROR(head + "<nodes><node id='a'><nodes><node id='b'/></nodes></node></nodes></graph></gexf>", X, 2,
        21, "hierarchical");
    EXPECT_IMPORT_ERROR(head + "<edges><edge source='a' target='b' weight='heavy'/></edges></graph></gexf>", X, 2, 36,
        "invalid number 'heavy' for weight");
    EXPECT_IMPORT_ERROR(
        head + "<edges><edge source='a' target='b' type='both'/></edges></graph></gexf>", X, 2, 36, "edge type");
    EXPECT_IMPORT_ERROR(head
            + "<attributes class='node'><attribute id='0' title='n' type='integer'/></attributes>\n"
              "<nodes><node id='a'><attvalues><attvalue for='0' "
              "value='1.5'/></attvalues></node></nodes></graph></gexf>",
        X, 3, 50, "invalid integer '1.5' for 'n'");
    EXPECT_IMPORT_ERROR(
        head + "<nodes><node id='a'><attvalues><attvalue value='1'/></attvalues></node></nodes></graph></gexf>", X, 2,
        32, "needs for and value");
}

TEST(JsonErrors, Syntax)
{
    constexpr auto J = GraphFormat::Json;
    EXPECT_IMPORT_ERROR("", J, 1, 1, "empty file");
    EXPECT_IMPORT_ERROR("[]", J, 1, 1, "expected a JSON object");
    EXPECT_IMPORT_ERROR("{\"nodes\": [\n  {\"id\": \"a\"},\n  {\"id\": \"b\"", J, 3, 13, "unexpected end of file");
    EXPECT_IMPORT_ERROR("{\"nodes\": [{\"id\": \"a\",}]}", J, 1, 23, "expected a member name");
    // "directed" is looked for ahead of the nodes, so that pass finds this one.
    EXPECT_IMPORT_ERROR("{\"nodes\": [{\"id\": \"a\"},]}", J, 1, 24, "expected a value");
    EXPECT_IMPORT_ERROR("{\"directed\": true, \"nodes\": [{\"id\": \"a\"},]}", J, 1, 42, "expected an object");
    EXPECT_IMPORT_ERROR("{\"nodes\": [{\"id\": \"a\" \"x\": 1}]}", J, 1, 23, "expected ',' or '}'");
    EXPECT_IMPORT_ERROR("{\"nodes\": [{\"id\" 1}]}", J, 1, 18, "expected ':'");
    EXPECT_IMPORT_ERROR("{\"nodes\": [{\"id\": \"a\\q\"}]}", J, 1, 21, "invalid escape");
    EXPECT_IMPORT_ERROR("{\"nodes\": [{\"id\": \"\\ud800x\"}]}", J, 1, 20, "unpaired surrogate");
    EXPECT_IMPORT_ERROR("{\"nodes\": [{\"id\": \"\\udc00\"}]}", J, 1, 20, "unpaired surrogate");
    EXPECT_IMPORT_ERROR("{\"nodes\": [{\"id\": \"\\u12g4\"}]}", J, 1, 20, "invalid \\u escape");
    EXPECT_IMPORT_ERROR("{\"nodes\": [{\"id\": \"a\tb\"}]}", J, 1, 21, "control character");
    EXPECT_IMPORT_ERROR("{\"nodes\": [{\"id\": \"unterminated}]}", J, 1, 19, "unterminated string");
    EXPECT_IMPORT_ERROR("{\"nodes\": [{\"id\": 01}]}", J, 1, 19, "leading zeros");
    EXPECT_IMPORT_ERROR("{\"nodes\": [{\"id\": 1.}]}", J, 1, 21, "digits after '.'");
    EXPECT_IMPORT_ERROR("{\"nodes\": [{\"id\": 1e}]}", J, 1, 21, "exponent");
    EXPECT_IMPORT_ERROR("{\"nodes\": [{\"id\": 12ab}]}", J, 1, 21, "unexpected character after a value");
    EXPECT_IMPORT_ERROR("{\"nodes\": [{\"id\": tru}]}", J, 1, 19, "expected a value");
    EXPECT_IMPORT_ERROR("{\"nodes\": []} x", J, 1, 15, "unexpected text after");
    EXPECT_IMPORT_ERROR("{\"nodes\": [{\"id\": \"\xc3\x28\"}]}", J, 1, 20, "invalid UTF-8");
    EXPECT_IMPORT_ERROR("{\"nodes\": [{\"id\": " + std::string(300, '[') + std::string(300, ']') + "}]}", J, 1, 274,
        "nesting too deep");
}

TEST(JsonErrors, Content)
{
    constexpr auto J = GraphFormat::Json;
    EXPECT_IMPORT_ERROR("{\"directed\": 1}", J, 1, 14, "\"directed\" must be true or false");
    EXPECT_IMPORT_ERROR("{\"nodes\": {}}", J, 1, 11, "expected an array");
    EXPECT_IMPORT_ERROR("{\"nodes\": [{\"id\": [1]}]}", J, 1, 19, "node id must be");
    EXPECT_IMPORT_ERROR("{\"nodes\": [{\"id\": \"a\", \"x\": 1e39, \"y\": 0}]}", J, 1, 29, "non-finite position");
    EXPECT_IMPORT_ERROR("{\"links\": [\n {\"source\": \"a\"}]}", J, 2, 2, "needs \"source\" and \"target\"");
    EXPECT_IMPORT_ERROR("{\"links\": [{\"source\": true, \"target\": 1}]}", J, 1, 23, "a link end must be");
    EXPECT_IMPORT_ERROR("{\"links\": [{\"source\": {\"name\": 1}, \"target\": 1}]}", J, 1, 23, "needs an \"id\"");
}

TEST(GmlErrors, All)
{
    constexpr auto M = GraphFormat::Gml;
    EXPECT_IMPORT_ERROR("", M, 1, 1, "no 'graph [ ... ]'");
    EXPECT_IMPORT_ERROR("graph [\n  node [ id 1 ]\n", M, 1, 7, "the graph's '[' is not closed");
    EXPECT_IMPORT_ERROR("graph [\n  node [ id 1\n", M, 2, 3, "the node's '[' is not closed");
    EXPECT_IMPORT_ERROR("graph [\n  node [ label \"x\" ]\n]", M, 2, 3, "a node needs an id");
    EXPECT_IMPORT_ERROR("graph [\n  edge [ source 1 ]\n]", M, 2, 3, "an edge needs a source and a target");
    EXPECT_IMPORT_ERROR("graph [\n  node [ id 1 label \"open\n]\n", M, 2, 21, "unterminated string");
    EXPECT_IMPORT_ERROR("graph [\n  node [ id 1 @ ]\n]", M, 2, 15, "unexpected character '@'");
    EXPECT_IMPORT_ERROR("graph [\n  node [ id 1 x y ]\n]", M, 2, 17, "expected a value");
    EXPECT_IMPORT_ERROR("graph [\n  node [ id 1 2 ]\n]", M, 2, 15, "expected a key or ']'");
    EXPECT_IMPORT_ERROR("graph [\n  node [ id 1 w 12abc ]\n]", M, 2, 19, "unexpected character after a number");
    EXPECT_IMPORT_ERROR("graph [\n  node [ id 1 w 1e ]\n]", M, 2, 19, "exponent");
    EXPECT_IMPORT_ERROR("graph [\n  node [ id [ x 1 ] ]\n]", M, 2, 13, "a node id must be");
    EXPECT_IMPORT_ERROR("graph [\n  node [ id 1 graphics [ x NAN y 0 ] ]\n]", M, 2, 28, "non-finite position");
    EXPECT_IMPORT_ERROR("graph [ node [ id \"\xe9\" ] ]", M, 1, 20, "invalid UTF-8");
    std::string deep = "graph [ ";
    for (int i = 0; i < 300; ++i)
        deep += "k [ ";
    EXPECT_IMPORT_ERROR(deep, M, 1, 11 + 4 * 257, "nested too deeply");
}

TEST(CsvErrors, All)
{
    constexpr auto C = GraphFormat::Csv;
    EXPECT_IMPORT_ERROR("a,b\nc\n", C, 2, 1, "expected source,target");
    EXPECT_IMPORT_ERROR("a,b\nc,d,1,2\n", C, 2, 7, "too many fields");
    EXPECT_IMPORT_ERROR("a,b,1\nc,d,x1\n", C, 2, 5, "invalid weight 'x1'");
    EXPECT_IMPORT_ERROR("a,b\n\"c,d\n", C, 2, 1, "unterminated quoted field");
    EXPECT_IMPORT_ERROR("a,b\n\"c\"x,d\n", C, 2, 4, "after a quoted field");
    EXPECT_IMPORT_ERROR("a,b\n\xc3\xbc,\xfe\n", C, 2, 3, "invalid UTF-8");
}

namespace {

// Checks the sink contract and otherwise keeps nothing: these tests are about the readers.
class ContractSink final : public GraphSink {
public:
    void setDirected(bool) override
    {
        EXPECT_FALSE(m_directedSet) << "setDirected called twice";
        m_directedSet = true;
    }
    void addNode(const NodeRecord&) override { }
    void addEdge(const EdgeRecord&) override { EXPECT_TRUE(m_directedSet) << "an edge before setDirected"; }

private:
    bool m_directedSet = false;
};

std::optional<ImportError> readError(std::string_view bytes, GraphFormat format)
{
    ContractSink sink;
    try {
        readGraph(bytes, format, "test", sink);
    } catch (const ImportError& e) {
        return e;
    }
    return std::nullopt;
}

// What a reader may do with any input: read it, or refuse it with an ImportError that
// points into the file. Anything else (another exception, a crash) fails the test.
void expectReadOrImportError(std::string_view bytes, GraphFormat format, const std::string& what)
{
    try {
        if (const auto e = readError(bytes, format)) {
            EXPECT_GE(e->line(), 1) << what << ": " << e->what();
            EXPECT_GE(e->column(), 1) << what << ": " << e->what();
        }
    } catch (const std::exception& e) {
        ADD_FAILURE() << what << ": not an ImportError: " << e.what();
    }
}

const char* const AllRealFiles[]
    = { "ba-10k.graphml", "davis.csv", "davis.gexf", "davis.gml", "davis.graphml", "davis.json", "florentine.csv",
          "florentine.gexf", "florentine.gml", "florentine.graphml", "florentine.json", "karate.csv", "karate.gexf",
          "karate.gml", "karate.graphml", "karate.json", "lesmis.csv", "lesmis.gexf", "lesmis.gml", "lesmis.graphml",
          "lesmis.json", "typed-directed.gexf", "typed-directed.graphml", "typed-directed.json" };

std::vector<std::size_t> cutPoints(std::size_t size)
{
    // Every byte near the start (the header and the first records), then spread evenly.
    std::vector<std::size_t> cuts;
    for (std::size_t i = 0; i < std::min<std::size_t>(size, 400); ++i)
        cuts.push_back(i);
    // A large file costs a full parse per cut: fewer cuts there (the sanitizer build
    // runs this too).
    const std::size_t spread = size > 100000 ? 12 : 60;
    for (std::size_t i = 0; i < spread; ++i)
        cuts.push_back(size * i / spread);
    cuts.push_back(size - 1);
    return cuts;
}

} // namespace

TEST(Robustness, TruncatedRealFiles)
{
    for (const char* name : AllRealFiles) {
        const std::string bytes = fileBytes(graphPath(name));
        const GraphFormat format = formatFromPath(name);
        ASSERT_FALSE(bytes.empty()) << name;
        // For the nested formats, a file cut before its last closing token is incomplete.
        const std::size_t last = bytes.find_last_not_of(" \t\r\n");
        for (const std::size_t cut : cutPoints(bytes.size())) {
            const std::string what = std::string(name) + " cut at " + std::to_string(cut);
            const std::string_view prefix(bytes.data(), cut);
            if (format == GraphFormat::Csv) {
                expectReadOrImportError(prefix, format, what);
                continue;
            }
            const auto error = readError(prefix, format);
            ASSERT_TRUE(error.has_value() || cut > last) << what;
            if (error) {
                EXPECT_GE(error->line(), 1) << what;
                EXPECT_GE(error->column(), 1) << what;
            }
        }
    }
}

TEST(Robustness, GarbledRealFiles)
{
    // Seeded, so that a failure reproduces: flip, drop, duplicate and insert bytes.
    std::mt19937 random(20240301);
    static constexpr char SpecialBytes[] = "<>&;\"'[]{}:,#\\/=!?-\n\r\t \x80\xc3\xff\x00"
                                           "0123456789.eE+";
    const std::string specials(SpecialBytes, sizeof SpecialBytes - 1);
    for (const char* name : AllRealFiles) {
        const std::string original = fileBytes(graphPath(name));
        const GraphFormat format = formatFromPath(name);
        const int rounds = original.size() > 200000 ? 4 : 60;
        for (int round = 0; round < rounds; ++round) {
            std::string bytes = original;
            const int edits = 1 + int(random() % 4);
            for (int k = 0; k < edits; ++k) {
                const std::size_t at = random() % bytes.size();
                const char c = specials[random() % specials.size()];
                switch (random() % 4) {
                case 0:
                    bytes[at] = c;
                    break;
                case 1:
                    bytes.erase(at, 1 + random() % 8);
                    break;
                case 2:
                    bytes.insert(at, bytes.substr(at, 1 + random() % 16));
                    break;
                default:
                    bytes.insert(bytes.begin() + std::ptrdiff_t(at), c);
                    break;
                }
                if (bytes.empty())
                    bytes = "x";
            }
            expectReadOrImportError(bytes, format, std::string(name) + " round " + std::to_string(round));
        }
    }
}

TEST(Robustness, EveryReaderOnEveryFile)
{
    // Each reader fed each real file (mostly the wrong format) must refuse it cleanly.
    for (const char* name : AllRealFiles) {
        const std::string bytes = fileBytes(graphPath(name));
        for (const GraphFormat format :
            { GraphFormat::GraphMl, GraphFormat::Gexf, GraphFormat::Json, GraphFormat::Gml, GraphFormat::Csv })
            expectReadOrImportError(bytes, format, std::string(name) + " as " + formatName(format));
    }
}

TEST(Robustness, HostileShapes)
{
    // Deep nesting, huge attribute lists, many properties on one record.
    std::string deep = "<graphml><graph><node id='a'><data key='k'>";
    for (int i = 0; i < 100000; ++i)
        deep += "<x>";
    expectReadOrImportError(deep, GraphFormat::GraphMl, "deep XML");
    std::string attrs = "<graphml><graph><node id='a'";
    for (int i = 0; i < 5000; ++i)
        attrs += " a" + std::to_string(i) + "='v'";
    attrs += "/></graph></graphml>";
    EXPECT_EQ(readBytes(attrs, GraphFormat::GraphMl).nodes.size(), 1u);
    std::string wide = "{\"nodes\": [{\"id\": 1";
    for (int i = 0; i < 20000; ++i)
        wide += ", \"p" + std::to_string(i % 10000) + "\": " + std::to_string(i);
    wide += "}]}";
    const GraphData g = readBytes(wide, GraphFormat::Json);
    ASSERT_EQ(g.nodes[0].properties.size(), 10000u);
    EXPECT_EQ(*findProperty(g.nodes[0].properties, "p0"), Value(std::int64_t(10000)));
    std::string deepJson = "{\"nodes\": [{\"id\": 1, \"p\": " + std::string(100000, '[');
    expectReadOrImportError(deepJson, GraphFormat::Json, "deep JSON");
    std::string deepGml = "graph [ node [ id 1 p ";
    for (int i = 0; i < 100000; ++i)
        deepGml += "[ k ";
    expectReadOrImportError(deepGml, GraphFormat::Gml, "deep GML");
}
