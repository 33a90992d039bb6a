// Readers on the real files in tests/data/graphs (counts as in its README.md), the
// hand-written GEXF 1.3 fixture, format features, and the formats.h API.

#include "formatfixtures.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>

using namespace constellate;
using namespace constellate::test;

namespace {

struct RealFile {
    const char* name;
    std::size_t nodes;
    std::size_t edges;
    bool directed;
};

// tests/data/graphs/README.md; the .json, .gml and .csv files hold the .graphml graphs.
constexpr RealFile RealFiles[] = {
    { "ba-10k.graphml", 10000, 29991, false },
    { "davis.graphml", 32, 89, false },
    { "florentine.graphml", 15, 20, false },
    { "karate.graphml", 34, 78, false },
    { "lesmis.graphml", 77, 254, false },
    { "typed-directed.graphml", 3, 3, true },
    { "davis.gexf", 32, 89, false },
    { "florentine.gexf", 15, 20, false },
    { "karate.gexf", 34, 78, false },
    { "lesmis.gexf", 77, 254, false },
    { "typed-directed.gexf", 3, 3, true },
    { "davis.json", 32, 89, false },
    { "florentine.json", 15, 20, false },
    { "karate.json", 34, 78, false },
    { "lesmis.json", 77, 254, false },
    { "typed-directed.json", 3, 3, true },
    { "davis.gml", 32, 89, false },
    { "florentine.gml", 15, 20, false },
    { "karate.gml", 34, 78, false },
    { "lesmis.gml", 77, 254, false },
    { "davis.csv", 32, 89, false },
    { "florentine.csv", 15, 20, false },
    { "karate.csv", 34, 78, false },
    { "lesmis.csv", 77, 254, false },
};

std::string stem(const std::string& name)
{
    return name.substr(0, name.find('.'));
}

std::string extension(const std::string& name)
{
    return name.substr(name.find('.') + 1);
}

} // namespace

TEST(RealFiles, CountsAndDirection)
{
    for (const RealFile& f : RealFiles) {
        SCOPED_TRACE(f.name);
        const GraphData g = readFile(graphPath(f.name));
        EXPECT_EQ(g.nodes.size(), f.nodes);
        EXPECT_EQ(g.edges.size(), f.edges);
        EXPECT_EQ(g.directed, f.directed);
        for (const GraphData::Edge& e : g.edges)
            EXPECT_EQ(e.directed, f.directed);
    }
}

TEST(RealFiles, AttributeNames)
{
    // README: node and edge attributes of each graph, per format.
    for (const RealFile& f : RealFiles) {
        SCOPED_TRACE(f.name);
        const std::string s = stem(f.name), ext = extension(f.name);
        const GraphData g = readFile(graphPath(f.name));
        std::vector<std::string> nodeKeys, edgeKeys;
        for (const auto& [name, type] : g.nodePropertyKeys())
            nodeKeys.push_back(name);
        for (const auto& [name, type] : g.edgePropertyKeys())
            edgeKeys.push_back(name);
        std::sort(nodeKeys.begin(), nodeKeys.end());
        std::vector<std::string> expectNode, expectEdge;
        if (s == "davis" && ext != "csv")
            expectNode = { "bipartite" };
        if (s == "karate" && ext != "csv")
            expectNode = { "club" };
        if (s == "typed-directed") {
            expectNode = { "count", "flag", "weight" }; // and label, a field
            expectEdge = { "kind", "w" };
        }
        EXPECT_EQ(nodeKeys, expectNode);
        std::sort(edgeKeys.begin(), edgeKeys.end());
        EXPECT_EQ(edgeKeys, expectEdge);

        const bool weighted = (s == "karate" || s == "lesmis") && ext != "csv";
        for (const GraphData::Edge& e : g.edges)
            EXPECT_EQ(e.weight.has_value(), weighted);
        const bool viz = ext == "gexf" && s != "typed-directed";
        for (const GraphData::Node& n : g.nodes) {
            EXPECT_EQ(n.position.has_value(), viz) << n.key;
            EXPECT_EQ(n.color.has_value(), viz) << n.key;
            EXPECT_EQ(n.size.has_value(), viz) << n.key;
        }
    }
}

TEST(RealFiles, TypedDirectedValues)
{
    for (const char* name : { "typed-directed.graphml", "typed-directed.gexf", "typed-directed.json" }) {
        SCOPED_TRACE(name);
        const GraphData g = readFile(graphPath(name));
        ASSERT_EQ(g.nodes.size(), 3u);
        const GraphData::Node* a = findNode(g, "a");
        const GraphData::Node* b = findNode(g, "b");
        const GraphData::Node* c = findNode(g, "c");
        ASSERT_TRUE(a && b && c);
        EXPECT_EQ(a->label, "Alpha");
        EXPECT_EQ(b->label, "Beta \xc3\xbc");
        EXPECT_EQ(c->label, "Gamma <&>");
        EXPECT_EQ(*findProperty(a->properties, "weight"), Value(1.5));
        EXPECT_EQ(*findProperty(b->properties, "weight"), Value(2.0));
        EXPECT_EQ(*findProperty(c->properties, "weight"), Value(0.0));
        EXPECT_EQ(*findProperty(a->properties, "count"), Value(std::int64_t(3)));
        EXPECT_EQ(*findProperty(b->properties, "count"), Value(std::int64_t(-1)));
        EXPECT_EQ(*findProperty(c->properties, "count"), Value(std::int64_t(0)));
        EXPECT_EQ(*findProperty(a->properties, "flag"), Value(true));
        EXPECT_EQ(*findProperty(b->properties, "flag"), Value(false));
        EXPECT_EQ(*findProperty(c->properties, "flag"), Value(true));
        EXPECT_EQ(findProperty(a->properties, "label"), nullptr);

        ASSERT_EQ(g.edges.size(), 3u);
        EXPECT_EQ(edgeText(g, 0), "a->b");
        EXPECT_EQ(edgeText(g, 1), "b->c");
        EXPECT_EQ(edgeText(g, 2), "c->a");
        EXPECT_EQ(*findProperty(g.edges[0].properties, "kind"), Value("depends"));
        EXPECT_EQ(*findProperty(g.edges[1].properties, "kind"), Value("calls"));
        EXPECT_EQ(*findProperty(g.edges[2].properties, "kind"), Value("loops"));
        EXPECT_EQ(*findProperty(g.edges[0].properties, "w"), Value(0.5));
        EXPECT_EQ(*findProperty(g.edges[1].properties, "w"), Value(1.25));
        EXPECT_EQ(*findProperty(g.edges[2].properties, "w"), Value(-2.0));
        for (const GraphData::Edge& e : g.edges) {
            EXPECT_TRUE(e.directed);
            EXPECT_FALSE(e.weight.has_value());
        }
    }
}

TEST(RealFiles, KarateWeightsAndClubs)
{
    for (const char* name : { "karate.graphml", "karate.gexf", "karate.json", "karate.gml" }) {
        SCOPED_TRACE(name);
        const GraphData g = readFile(graphPath(name));
        ASSERT_EQ(g.edges.size(), 78u);
        EXPECT_EQ(edgeText(g, 0), "0->1");
        EXPECT_EQ(g.edges[0].weight, 4.0);
        double total = 0;
        for (const GraphData::Edge& e : g.edges)
            total += e.weight.value_or(0);
        EXPECT_EQ(total, 231.0); // sum of Zachary's interaction counts
        EXPECT_EQ(*findProperty(findNode(g, "0")->properties, "club"), Value("Mr. Hi"));
        EXPECT_EQ(*findProperty(findNode(g, "33")->properties, "club"), Value("Officer"));
    }
    const GraphData csv = readFile(graphPath("karate.csv"));
    EXPECT_EQ(edgeText(csv, 0), "0->1");
    EXPECT_FALSE(csv.edges[0].weight.has_value());
}

TEST(RealFiles, GexfViz)
{
    const GraphData g = readFile(graphPath("karate.gexf"));
    const GraphData::Node* n = findNode(g, "0");
    ASSERT_TRUE(n && n->position);
    EXPECT_EQ(
        *n->position, (Vec3 { float(-35.905298861730216), float(10.250657766655236), float(27.214489918081924) }));
    EXPECT_EQ(n->color, Rgba(0xc85028ff));
    EXPECT_EQ(n->size, 5.0f);
    EXPECT_EQ(n->label, "0");

    const GraphData davis = readFile(graphPath("davis.gexf"));
    const GraphData::Node* evelyn = findNode(davis, "Evelyn Jefferson");
    ASSERT_TRUE(evelyn && evelyn->position);
    EXPECT_EQ(evelyn->position->z, float(-57.77814985421389));
    EXPECT_EQ(*findProperty(evelyn->properties, "bipartite"), Value(std::int64_t(0)));
}

TEST(RealFiles, GmlKeysAreIdsAndLabelsAreLabels)
{
    const GraphData g = readFile(graphPath("lesmis.gml"));
    const GraphData::Node* n = findNode(g, "0");
    ASSERT_TRUE(n);
    EXPECT_EQ(n->label, "Napoleon");
    EXPECT_EQ(g.edges[0].weight, 1.0);
    EXPECT_EQ(edgeText(g, 0), "0->1");
}

TEST(RealFiles, SameGraphInEveryFormat)
{
    // The node-link, GML (by label) and CSV files hold the GraphML graph: same edges.
    for (const char* s : { "davis", "florentine", "karate", "lesmis" }) {
        SCOPED_TRACE(s);
        const GraphData ref = readFile(graphPath(std::string(s) + ".graphml"));
        for (const char* ext : { "gexf", "json", "gml", "csv" }) {
            SCOPED_TRACE(ext);
            const GraphData g = readFile(graphPath(std::string(s) + "." + ext));
            ASSERT_EQ(g.edges.size(), ref.edges.size());
            auto name = [&](const GraphData& d, std::size_t i) {
                const GraphData::Node& node = d.nodes[i];
                return std::string(ext) == "gml" && &d == &g ? *node.label : node.key;
            };
            for (std::size_t i = 0; i < g.edges.size(); ++i) {
                EXPECT_EQ(name(g, g.edges[i].source), name(ref, ref.edges[i].source));
                EXPECT_EQ(name(g, g.edges[i].target), name(ref, ref.edges[i].target));
            }
        }
    }
}

TEST(Gexf13, HandwrittenFixture)
{
    const GraphData g = readFile(dataPath("gexf13-handwritten.gexf"));
    EXPECT_TRUE(g.directed);
    ASSERT_EQ(g.nodes.size(), 5u);
    const GraphData::Node& paris = g.nodes[0];
    EXPECT_EQ(paris.key, "paris");
    EXPECT_EQ(paris.label, "Paris");
    EXPECT_EQ(*findProperty(paris.properties, "population"), Value(std::int64_t(2148000)));
    EXPECT_EQ(*findProperty(paris.properties, "ratio"), Value(0.25));
    EXPECT_EQ(*findProperty(paris.properties, "capital"), Value(true));
    EXPECT_EQ(*findProperty(paris.properties, "rank"), Value(std::int64_t(1)));
    EXPECT_EQ(*findProperty(paris.properties, "code"), Value("P"));
    EXPECT_EQ(*findProperty(paris.properties, "tags"), Value("[culture,food]"));
    EXPECT_EQ(*findProperty(paris.properties, "big"), Value(1.2345678901234568e29));
    EXPECT_EQ(*findProperty(paris.properties, "precise"), Value(3.141592653589793));
    EXPECT_EQ(*findProperty(paris.properties, "level"), Value(std::int64_t(-7)));
    EXPECT_EQ(*findProperty(paris.properties, "homepage"), Value("https://www.paris.fr/"));
    EXPECT_EQ(*findProperty(paris.properties, "note"), Value("none")); // default
    EXPECT_EQ(paris.color, Rgba(0xefad4299)); // a=0.6 -> 153
    EXPECT_EQ(paris.position, (Vec3 { 15.783598f, 40.109245f, 0.0f }));
    EXPECT_EQ(paris.size, 2.0375757f);

    const GraphData::Node& lyon = g.nodes[1];
    EXPECT_EQ(lyon.label, "Lyon & Villeurbanne");
    EXPECT_EQ(*findProperty(lyon.properties, "note"), Value("second <city>"));
    EXPECT_EQ(*findProperty(lyon.properties, "capital"), Value(false)); // default
    EXPECT_EQ(lyon.color, Rgba(0x1f77b4ff));
    EXPECT_EQ(lyon.position, (Vec3 { -10.5f, 3.25f, 0.0f }));

    const GraphData::Node& grenoble = g.nodes[2];
    EXPECT_EQ(grenoble.label, "Grenoble \xe2\x9b\xb0 Is\xc3\xa8re");
    EXPECT_EQ(grenoble.color, Rgba(0x2ca02c80));
    EXPECT_EQ(grenoble.position, (Vec3 { 100.0f, -0.25f, 7.0f }));
    EXPECT_FALSE(grenoble.size.has_value());

    const GraphData::Node& nice = g.nodes[3];
    EXPECT_FALSE(nice.label.has_value());
    EXPECT_FALSE(nice.position.has_value());
    EXPECT_EQ(nice.properties.size(), 2u); // the two defaults
    EXPECT_EQ(g.nodes[4].key, "marseille"); // named only by an edge
    EXPECT_TRUE(g.nodes[4].properties.empty());

    ASSERT_EQ(g.edges.size(), 4u);
    EXPECT_EQ(edgeText(g, 0), "paris->lyon");
    EXPECT_TRUE(g.edges[0].directed);
    EXPECT_EQ(g.edges[0].weight, 2.5);
    EXPECT_EQ(g.edges[0].label, "TGV");
    EXPECT_EQ(g.edges[0].color, Rgba(0xff0000ff));
    EXPECT_EQ(*findProperty(g.edges[0].properties, "kind"), Value("rail"));
    EXPECT_EQ(*findProperty(g.edges[0].properties, "since"), Value(std::int64_t(1981)));
    EXPECT_FALSE(g.edges[1].directed);
    EXPECT_EQ(*findProperty(g.edges[1].properties, "kind"), Value("road"));
    EXPECT_FALSE(g.edges[2].directed); // mutual
    EXPECT_TRUE(g.edges[3].directed);
    EXPECT_EQ(g.edges[3].weight, 0.75);
}

TEST(GraphMl, MappedFieldsDefaultsAndXmlFeatures)
{
    const std::string file = R"(<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE graphml [ <!ELEMENT graphml ANY> ]>
<?some-tool keep="me"?>
<gml:graphml xmlns:gml="http://graphml.graphdrawing.org/xmlns" xmlns:y="http://www.yworks.com/xml/graphml">
  <!-- keys of every type, one with a default -->
  <gml:key id="l" for="node" attr.name="label" attr.type="string"/>
  <gml:key id="x" for="node" attr.name="x" attr.type="double"/>
  <gml:key id="y" for="node" attr.name="y" attr.type="float"/>
  <gml:key id="z" for="node" attr.name="z" attr.type="int"/>
  <gml:key id="c" for="node" attr.name="color" attr.type="string"/>
  <gml:key id="s" for="node" attr.name="size" attr.type="double"/>
  <gml:key id="k" for='all' attr.name='kind' attr.type='string'><gml:default>plain</gml:default></gml:key>
  <gml:key id="b" for="node" attr.name="ok" attr.type="boolean"/>
  <gml:key id="n" for="node" attr.name="n" attr.type="long"/>
  <gml:key id="w" for="edge" attr.name="weight" attr.type="int"/>
  <gml:key id="el" for="edge" attr.name="label" attr.type="string"/>
  <gml:key id="ec" for="edge" attr.name="color" attr.type="string"/>
  <gml:key id="g" yfiles.type="nodegraphics"/>
  <gml:graph id="G" edgedefault="undirected">
    <gml:data key="k">graph-level, ignored</gml:data>
    <gml:node id="a&amp;b">
      <gml:data key="l"><![CDATA[Label <with> markup]]></gml:data>
      <gml:data key="x"> 1.5 </gml:data><gml:data key="y">-2</gml:data><gml:data key="z">3</gml:data>
      <gml:data key="c">#FF8000</gml:data>
      <gml:data key="s">2.5</gml:data>
      <gml:data key="b">True</gml:data>
      <gml:data key="n">-9000000000</gml:data>
      <gml:data key="g"><y:ShapeNode><y:Geometry x="1" y="2"/></y:ShapeNode></gml:data>
    </gml:node>
    <gml:node id='q"uote'>
      <gml:data key="x">7</gml:data>
      <gml:data key="c">red</gml:data>
      <gml:data key="k">special &#x263A; &#9731;</gml:data>
      <gml:data key="b">0</gml:data>
    </gml:node>
    <gml:edge source="a&amp;b" target='q"uote' directed="true">
      <gml:data key="w">3</gml:data>
      <gml:data key="el">first &lt;edge&gt;</gml:data>
      <gml:data key="ec">#00ff0080</gml:data>
    </gml:edge>
    <gml:edge id="e2" source="q&quot;uote" target="implicit"/>
  </gml:graph>
</gml:graphml>
)";
    const GraphData g = readBytes(file, GraphFormat::GraphMl);
    EXPECT_FALSE(g.directed);
    ASSERT_EQ(g.nodes.size(), 3u);
    const GraphData::Node& a = g.nodes[0];
    EXPECT_EQ(a.key, "a&b");
    EXPECT_EQ(a.label, "Label <with> markup");
    EXPECT_EQ(a.position, (Vec3 { 1.5f, -2.0f, 3.0f }));
    EXPECT_EQ(a.color, Rgba(0xff8000ff));
    EXPECT_EQ(a.size, 2.5f);
    EXPECT_EQ(*findProperty(a.properties, "kind"), Value("plain"));
    EXPECT_EQ(*findProperty(a.properties, "ok"), Value(true));
    EXPECT_EQ(*findProperty(a.properties, "n"), Value(std::int64_t(-9000000000)));
    EXPECT_EQ(findProperty(a.properties, "g"), nullptr); // yFiles markup: skipped

    const GraphData::Node& q = g.nodes[1];
    EXPECT_EQ(q.key, "q\"uote");
    EXPECT_FALSE(q.position.has_value()); // x without y: a property
    EXPECT_EQ(*findProperty(q.properties, "x"), Value(7.0));
    EXPECT_EQ(*findProperty(q.properties, "color"), Value("red")); // not a hex color
    EXPECT_EQ(*findProperty(q.properties, "kind"), Value("special \xe2\x98\xba \xe2\x98\x83"));
    EXPECT_EQ(*findProperty(q.properties, "ok"), Value(false));
    EXPECT_EQ(g.nodes[2].key, "implicit");

    ASSERT_EQ(g.edges.size(), 2u);
    EXPECT_TRUE(g.edges[0].directed);
    EXPECT_EQ(g.edges[0].weight, 3.0);
    EXPECT_EQ(g.edges[0].label, "first <edge>");
    EXPECT_EQ(g.edges[0].color, Rgba(0x00ff0080));
    EXPECT_EQ(*findProperty(g.edges[0].properties, "kind"), Value("plain"));
    EXPECT_FALSE(g.edges[1].directed);
    EXPECT_EQ(edgeText(g, 1), "q\"uote->implicit");
}

TEST(GraphMl, FirstGraphOnlyAndUndeclaredKeys)
{
    const GraphData g = readBytes("<graphml><graph edgedefault='directed'><node id='a'><data key='nope'>v</data></node>"
                                  "</graph><graph><node id='b'/></graph></graphml>",
        GraphFormat::GraphMl);
    ASSERT_EQ(g.nodes.size(), 1u);
    EXPECT_TRUE(g.directed);
    EXPECT_EQ(*findProperty(g.nodes[0].properties, "nope"), Value("v"));
}

TEST(Json, D3AndForceGraphConventions)
{
    // "edges" for links, no ids (links by index), name/val/value, link ends as objects,
    // "directed" after the arrays, nested values, escapes.
    const std::string file = R"({
  "nodes": [
    {"name": "zero", "val": 3, "group": 1},
    {"name": "one", "label": "One \u00e9\ud83d\ude00", "size": 2, "val": 9, "x": 1, "y": 2.5e1},
    {"name": "two", "meta": {"a": [1, 2, {"b": null}], "s": "x y"}, "color": "#102030", "z": 4}
  ],
  "edges": [
    {"source": 0, "target": 1, "value": 2},
    {"source": {"id": "1", "index": 1}, "target": 2, "weight": 0.5, "value": 7, "label": "tab\there"}
  ],
  "directed": true,
  "graph": {"name": "d3"}
})";
    const GraphData g = readBytes(file, GraphFormat::Json);
    EXPECT_TRUE(g.directed);
    ASSERT_EQ(g.nodes.size(), 3u);
    EXPECT_EQ(g.nodes[0].key, "0");
    EXPECT_EQ(g.nodes[0].label, "zero");
    EXPECT_EQ(g.nodes[0].size, 3.0f);
    EXPECT_EQ(*findProperty(g.nodes[0].properties, "group"), Value(std::int64_t(1)));
    EXPECT_EQ(g.nodes[1].label, "One \xc3\xa9\xf0\x9f\x98\x80");
    EXPECT_EQ(*findProperty(g.nodes[1].properties, "name"), Value("one"));
    EXPECT_EQ(g.nodes[1].size, 2.0f);
    EXPECT_EQ(*findProperty(g.nodes[1].properties, "val"), Value(std::int64_t(9)));
    EXPECT_EQ(g.nodes[1].position, (Vec3 { 1, 25, 0 }));
    EXPECT_EQ(*findProperty(g.nodes[2].properties, "meta"), Value(R"({"a":[1,2,{"b":null}],"s":"x y"})"));
    EXPECT_EQ(g.nodes[2].color, Rgba(0x102030ff));
    EXPECT_EQ(*findProperty(g.nodes[2].properties, "z"), Value(std::int64_t(4)));
    EXPECT_FALSE(g.nodes[2].position.has_value());

    ASSERT_EQ(g.edges.size(), 2u);
    EXPECT_EQ(edgeText(g, 0), "0->1");
    EXPECT_EQ(g.edges[0].weight, 2.0);
    EXPECT_EQ(edgeText(g, 1), "1->2");
    EXPECT_EQ(g.edges[1].weight, 0.5);
    EXPECT_EQ(*findProperty(g.edges[1].properties, "value"), Value(std::int64_t(7)));
    EXPECT_EQ(g.edges[1].label, "tab\there");
}

TEST(Json, NumberAndStringIdsShareTheirText)
{
    // Ids are compared by their text: 0 and "0" name one node (networkx would keep two,
    // but no real file mixes them); 1.0 and 1 do not.
    const GraphData g
        = readBytes(R"({"directed": false, "nodes": [{"id": 0}, {"id": "0", "label": "again"}, {"id": 1.0}],
        "links": [{"source": 1, "target": "0"}], "multigraph": true})",
            GraphFormat::Json);
    ASSERT_EQ(g.nodes.size(), 3u);
    EXPECT_EQ(g.nodes[0].label, "again");
    EXPECT_EQ(g.nodes[1].key, "1.0");
    EXPECT_EQ(g.nodes[2].key, "1");
}

TEST(Json, PythonNonFiniteNumbersAsProperties)
{
    const GraphData g = readBytes(
        R"({"nodes": [{"id": "a", "p": NaN, "q": -Infinity, "big": 123456789012345678901234}]})", GraphFormat::Json);
    EXPECT_TRUE(std::isnan(findProperty(g.nodes[0].properties, "p")->toDouble()));
    EXPECT_EQ(*findProperty(g.nodes[0].properties, "q"), Value(-HUGE_VAL));
    EXPECT_EQ(*findProperty(g.nodes[0].properties, "big"), Value(1.2345678901234568e23));
}

TEST(Gml, GraphicsEntitiesAndComments)
{
    const std::string file
        = "# a comment\nCreator \"hand\"\ngraph [\n  node [ id 1 label \"caf&#233; &quot;x&quot; &amp; &unknown;\"\n"
          "    graphics [ x 1.0 y -2. z .5 fill \"#aabbcc\" w 3 ]\n    extra [ nested [ deep 1 ] ]\n"
          "    big 99999999999999999999 small -3 real 1.5E3 name \"n\" inf -INF nan NAN\n  ]\n"
          "  edge [ source 1 target \"two\" weight 2 label \"e\" graphics [ fill \"#010203\" ] key 0 ]\n"
          "  directed 1\n]\n";
    const GraphData g = readBytes(file, GraphFormat::Gml);
    EXPECT_TRUE(g.directed);
    ASSERT_EQ(g.nodes.size(), 2u);
    const GraphData::Node& n = g.nodes[0];
    EXPECT_EQ(n.key, "1");
    EXPECT_EQ(n.label, "caf\xc3\xa9 \"x\" & &unknown;");
    EXPECT_EQ(n.position, (Vec3 { 1.0f, -2.0f, 0.5f }));
    EXPECT_EQ(n.color, Rgba(0xaabbccff));
    EXPECT_EQ(*findProperty(n.properties, "big"), Value(1e20));
    EXPECT_EQ(*findProperty(n.properties, "small"), Value(std::int64_t(-3)));
    EXPECT_EQ(*findProperty(n.properties, "real"), Value(1500.0));
    EXPECT_EQ(*findProperty(n.properties, "name"), Value("n"));
    EXPECT_EQ(*findProperty(n.properties, "inf"), Value(-HUGE_VAL));
    EXPECT_TRUE(std::isnan(findProperty(n.properties, "nan")->toDouble()));
    EXPECT_EQ(findProperty(n.properties, "extra"), nullptr);
    ASSERT_EQ(g.edges.size(), 1u);
    EXPECT_EQ(edgeText(g, 0), "1->two");
    EXPECT_TRUE(g.edges[0].directed);
    EXPECT_EQ(g.edges[0].weight, 2.0);
    EXPECT_EQ(g.edges[0].color, Rgba(0x010203ff));
    EXPECT_EQ(*findProperty(g.edges[0].properties, "key"), Value(std::int64_t(0))); // not a multigraph
}

TEST(Csv, HeaderQuotingAndBlankLines)
{
    const GraphData g = readBytes("Source,TARGET,weight\r\n\r\na,b,1.5\n  \n\"c,d\",\"say \"\"hi\"\"\",\n"
                                  "\"multi\nline\",e,-2e3\nf,g",
        GraphFormat::Csv);
    EXPECT_FALSE(g.directed);
    ASSERT_EQ(g.edges.size(), 4u);
    EXPECT_EQ(edgeText(g, 0), "a->b");
    EXPECT_EQ(g.edges[0].weight, 1.5);
    EXPECT_EQ(edgeText(g, 1), "c,d->say \"hi\"");
    EXPECT_FALSE(g.edges[1].weight.has_value());
    EXPECT_EQ(edgeText(g, 2), "multi\nline->e");
    EXPECT_EQ(g.edges[2].weight, -2000.0);
    EXPECT_EQ(edgeText(g, 3), "f->g");
    EXPECT_FALSE(g.edges[2].directed);

    // Only the exact column names make a header; after it, they are node names.
    const GraphData h = readBytes("source,target\nsource,target\n", GraphFormat::Csv);
    ASSERT_EQ(h.edges.size(), 1u);
    EXPECT_EQ(edgeText(h, 0), "source->target");
    EXPECT_IMPORT_ERROR("source,target,w\n", GraphFormat::Csv, 1, 15, "invalid weight");
}

TEST(GraphDataSink, ImplicitNodesAndMergedDuplicates)
{
    GraphData g;
    GraphDataSink sink(g);
    sink.setDirected(true);
    const PropertyRecord first[] = { { "a", Value(std::int64_t(1)) }, { "b", Value("x") } };
    NodeRecord n;
    n.key = "n";
    n.label = "first";
    n.properties = first;
    sink.addNode(n);
    EdgeRecord e;
    e.sourceKey = "n";
    e.targetKey = "m";
    sink.addEdge(e);
    e.directed = false;
    e.sourceKey = "m";
    e.targetKey = "n";
    sink.addEdge(e);
    const PropertyRecord second[] = { { "b", Value("y") }, { "c", Value(true) }, { "a", Value() } };
    NodeRecord again;
    again.key = "n";
    again.position = Vec3 { 1, 2, 3 };
    again.properties = second;
    sink.addNode(again);

    ASSERT_EQ(g.nodes.size(), 2u);
    EXPECT_EQ(g.nodes[0].label, "first");
    EXPECT_EQ(g.nodes[0].position, (Vec3 { 1, 2, 3 }));
    ASSERT_EQ(g.nodes[0].properties.size(), 2u);
    EXPECT_EQ(g.nodes[0].properties[0], (GraphData::Property { "b", Value("y") }));
    EXPECT_EQ(g.nodes[0].properties[1], (GraphData::Property { "c", Value(true) }));
    EXPECT_EQ(g.nodes[1].key, "m");
    ASSERT_EQ(g.edges.size(), 2u);
    EXPECT_TRUE(g.edges[0].directed);
    EXPECT_FALSE(g.edges[1].directed);

    // Replay gives the same graph.
    GraphData copy;
    GraphDataSink copySink(copy);
    g.replay(copySink);
    EXPECT_EQ(copy.directed, g.directed);
    EXPECT_EQ(copy.nodes, g.nodes);
    EXPECT_EQ(copy.edges, g.edges);

    const auto keys = g.nodePropertyKeys();
    ASSERT_EQ(keys.size(), 2u);
    EXPECT_EQ(keys[0], (std::pair<std::string, ValueType> { "b", ValueType::String }));
    EXPECT_EQ(keys[1], (std::pair<std::string, ValueType> { "c", ValueType::Bool }));
}

TEST(FormatsApi, FormatFromPath)
{
    EXPECT_EQ(formatFromPath("a/b/Graph.GraphML"), GraphFormat::GraphMl);
    EXPECT_EQ(formatFromPath("x.gexf"), GraphFormat::Gexf);
    EXPECT_EQ(formatFromPath("x.JSON"), GraphFormat::Json);
    EXPECT_EQ(formatFromPath("x.gml"), GraphFormat::Gml);
    EXPECT_EQ(formatFromPath("x.tar.csv"), GraphFormat::Csv);
    EXPECT_EQ(formatFromPath("doc.Constellate"), GraphFormat::Native);
    EXPECT_EQ(formatFromPath("x.txt"), GraphFormat::Unknown);
    EXPECT_EQ(formatFromPath("dir.graphml/file"), GraphFormat::Unknown);
    EXPECT_EQ(formatFromPath("noext"), GraphFormat::Unknown);
    EXPECT_STREQ(formatName(GraphFormat::GraphMl), "GraphML");
    EXPECT_EQ(supportedFormatsText(),
        "GraphML (.graphml), GEXF (.gexf), JSON node-link (.json), GML (.gml), CSV edge list (.csv)");
}

TEST(FormatsApi, ImportErrorText)
{
    EXPECT_STREQ(ImportError("f.gml", 3, 7, "bad").what(), "f.gml:3:7: bad");
    EXPECT_STREQ(ImportError("f.gml", 3, 0, "bad").what(), "f.gml:3: bad");
    EXPECT_STREQ(ImportError("f.gml", 0, 0, "bad").what(), "f.gml: bad");
    const ImportError e("f", 1, 2, "m");
    EXPECT_EQ(e.file(), "f");
    EXPECT_EQ(e.line(), 1);
    EXPECT_EQ(e.column(), 2);
    EXPECT_EQ(e.message(), "m");
}

TEST(FormatsApi, ReadGraphFileRefusals)
{
    GraphData g;
    GraphDataSink sink(g);
    try {
        readGraphFile("/nonexistent/dir/missing.graphml", sink);
        FAIL() << "no error";
    } catch (const ImportError& e) {
        EXPECT_EQ(e.file(), "/nonexistent/dir/missing.graphml");
        EXPECT_EQ(e.line(), 0);
        EXPECT_NE(e.message().find("cannot open"), std::string::npos) << e.what();
    }
    try {
        readGraphFile(graphPath("karate.graphml"), sink, GraphFormat::Native);
        FAIL() << "no error";
    } catch (const ImportError& e) {
        EXPECT_NE(e.message().find("use the document's native reader"), std::string::npos) << e.what();
    }
    try {
        readGraphFile("notes.txt", sink);
        FAIL() << "no error";
    } catch (const ImportError& e) {
        EXPECT_NE(e.message().find(supportedFormatsText()), std::string::npos) << e.what();
    }
    try {
        readGraphFile(CONSTELLATE_TEST_GRAPHS, sink, GraphFormat::GraphMl); // a directory
        FAIL() << "no error";
    } catch (const ImportError& e) {
        EXPECT_EQ(e.line(), 0) << e.what();
    }
    EXPECT_TRUE(g.nodes.empty());
    // An explicit format overrides the extension.
    const std::string tmp = (std::filesystem::temp_directory_path() / "constellate-test-formats.txt").string();
    {
        std::ofstream out(tmp);
        out << "a,b\n";
    }
    readGraphFile(tmp, sink, GraphFormat::Csv);
    EXPECT_EQ(g.edges.size(), 1u);
    std::remove(tmp.c_str());
}

TEST(FormatsApi, WriteGraphFileErrors)
{
    const GraphData g = readFile(graphPath("florentine.graphml"));
    try {
        writeGraphFile("/nonexistent/dir/out.graphml", g);
        FAIL() << "no error";
    } catch (const ExportError& e) {
        EXPECT_NE(std::string(e.what()).find("/nonexistent/dir/out.graphml"), std::string::npos) << e.what();
    }
    EXPECT_THROW(writeGraphFile("out.txt", g), ExportError);
    EXPECT_THROW(writeGraphFile("out.constellate", g), ExportError);
    EXPECT_THROW(writeGraph(g, GraphFormat::Native), ExportError);

    const auto dir = std::filesystem::temp_directory_path() / "constellate-test-write";
    std::filesystem::create_directories(dir);
    const std::string path = (dir / "f.GEXF").string();
    writeGraphFile(path, g);
    EXPECT_EQ(readFile(path).edges.size(), 20u);
    std::filesystem::remove_all(dir);
}
