// Import into the document and export from it: every real file, the native format's exact
// round trip, and a bad file leaving the document as it was.

#include "documentio.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>

#include <gtest/gtest.h>

#include <fstream>

using namespace constellate;

namespace {

const std::string Graphs = CONSTELLATE_TEST_GRAPHS;

struct Expected {
    const char* name;
    std::size_t nodes, edges;
    bool directed;
};
const Expected RealGraphs[] = {
    {"davis", 32, 89, false},  {"florentine", 15, 20, false}, {"karate", 34, 78, false},
    {"lesmis", 77, 254, false}, {"typed-directed", 3, 3, true},
};

std::string tempPath(const QTemporaryDir& dir, const std::string& name)
{
    return dir.filePath(QString::fromStdString(name)).toStdString();
}

} // namespace

TEST(DocumentImport, EveryRealFileInEveryFormat)
{
    for (const Expected& g : RealGraphs) {
        for (const char* ext : {"graphml", "gexf", "json", "gml", "csv"}) {
            const std::string path = Graphs + "/" + g.name + "." + ext;
            if (!QFile::exists(QString::fromStdString(path)))
                continue; // typed-directed has no .gml or .csv
            SCOPED_TRACE(path);
            GraphDocument doc(1, 1);
            const ImportReport r = importGraphFile(doc, path);
            // A CSV edge list only has the nodes its edges name; all of these graphs are connected.
            EXPECT_EQ(r.nodes, g.nodes);
            EXPECT_EQ(r.edges, g.edges);
            EXPECT_EQ(doc.count(EntityKind::Node), g.nodes);
            EXPECT_EQ(doc.count(EntityKind::Edge), g.edges);
            // CSV edge lists say nothing about direction.
            if (std::string(ext) != "csv") {
                EXPECT_EQ(r.directedness(), g.directed ? "directed" : "undirected");
            }
        }
    }
}

TEST(DocumentImport, LargeRealFile)
{
    GraphDocument doc(1, 1);
    const ImportReport r = importGraphFile(doc, Graphs + "/ba-10k.graphml");
    EXPECT_EQ(r.nodes, 10'000u);
    EXPECT_EQ(r.edges, 29'991u);
    EXPECT_EQ(doc.count(EntityKind::Edge), 29'991u);
}

TEST(DocumentImport, FieldsAndTypedProperties)
{
    GraphDocument doc(1, 1);
    const ImportReport r = importGraphFile(doc, Graphs + "/typed-directed.graphml");
    EXPECT_EQ(r.nodeAttributes, (std::vector<std::string> {"weight", "count", "flag", "label"}));
    std::vector<std::string> labels;
    doc.forEach(EntityKind::Node, [&](const GraphDocument::Entity& e) {
        labels.emplace_back(doc.label(e));
        if (doc.label(e) == "Alpha") {
            EXPECT_EQ(doc.value(e, {Field::Property, "count"}), Value(std::int64_t(3)));
            EXPECT_EQ(doc.value(e, {Field::Property, "flag"}), Value(true));
            EXPECT_EQ(doc.value(e, {Field::Property, "weight"}), Value(1.5));
        }
    }, true);
    EXPECT_EQ(labels, (std::vector<std::string> {"Alpha", "Beta \xc3\xbc", "Gamma <&>"}));
    doc.forEach(EntityKind::Edge, [&](const GraphDocument::Entity& e) {
        EXPECT_TRUE(doc.directed(e));
        EXPECT_EQ(doc.value(e, {Field::Property, "kind"}).type(), ValueType::String);
        EXPECT_EQ(doc.value(e, {Field::Property, "w"}).type(), ValueType::Double);
    });
}

TEST(DocumentImport, GexfPositionsColorsAndSizesAreKept)
{
    GraphDocument doc(1, 1);
    importGraphFile(doc, Graphs + "/karate.gexf");
    bool found = false;
    doc.forEach(EntityKind::Node, [&](const GraphDocument::Entity& e) {
        if (doc.label(e) != "0")
            return;
        found = true;
        const Vec3 p = doc.position(e);
        EXPECT_NEAR(p.x, -35.905298861730216, 1e-4);
        EXPECT_NEAR(p.y, 10.250657766655236, 1e-4);
        EXPECT_NEAR(p.z, 27.214489918081924, 1e-4);
        EXPECT_EQ(doc.color(e), 0xc85028ffu);
        EXPECT_EQ(doc.size(e), 5.0f);
    });
    EXPECT_TRUE(found);
    double weights = 0;
    doc.forEach(EntityKind::Edge, [&](const GraphDocument::Entity& e) { weights += doc.weight(e); });
    EXPECT_GT(weights, 78.0); // karate's weights are 1..7
}

TEST(DocumentImport, PlacementWithoutPositionsIsDeterministicAndSpread)
{
    GraphDocument a(1, 1), b(2, 2);
    importGraphFile(a, Graphs + "/lesmis.graphml");
    importGraphFile(b, Graphs + "/lesmis.graphml");
    std::vector<Vec3> pa, pb;
    a.forEach(EntityKind::Node, [&](const GraphDocument::Entity& e) { pa.push_back(a.position(e)); }, true);
    b.forEach(EntityKind::Node, [&](const GraphDocument::Entity& e) { pb.push_back(b.position(e)); }, true);
    EXPECT_EQ(pa, pb);
    for (std::size_t i = 0; i < pa.size(); ++i)
        for (std::size_t j = i + 1; j < pa.size(); ++j)
            EXPECT_FALSE(pa[i] == pa[j]) << i << " and " << j << " share a place";
}

// A text longer than a transaction may carry (a 64 KiB label, a 256-byte property name)
// would be dropped when the import's transaction is applied: the import is refused, saying
// which node or edge and which text, and the document stays as it was.
TEST(DocumentImport, TextsTooLongForTheDocumentAreRefusedByName)
{
    QTemporaryDir dir;
    GraphDocument doc(1, 1);
    importGraphFile(doc, Graphs + "/florentine.graphml");
    const std::string before = doc.canonicalHash();
    const std::uint32_t counter = doc.nextCounter();
    const auto graphml = [&](const std::string& name, const std::string& keys, const std::string& nodeData,
                             const std::string& edgeData) {
        const std::string path = tempPath(dir, name);
        std::ofstream(path) << "<?xml version='1.0'?>\n<graphml>\n" << keys
                            << "<graph edgedefault=\"undirected\">\n<node id=\"a\">" << nodeData
                            << "</node>\n<node id=\"b\"/>\n<edge source=\"a\" target=\"b\">" << edgeData
                            << "</edge>\n</graph></graphml>\n";
        return path;
    };
    const std::string label = "<key id=\"l\" for=\"all\" attr.name=\"label\" attr.type=\"string\"/>\n";
    const std::string huge(70'000, 'x');
    const std::string longName(300, 'n');
    const struct {
        std::string path;
        std::string says;
    } cases[] = {
        {graphml("node-label.graphml", label, "<data key=\"l\">" + huge + "</data>", ""), "node \"a\": its label is 70000 bytes"},
        {graphml("edge-label.graphml", label, "", "<data key=\"l\">" + huge + "</data>"), "edge \"a -> b\": its label is 70000 bytes"},
        {graphml("name.graphml", "<key id=\"p\" for=\"node\" attr.name=\"" + longName + "\" attr.type=\"string\"/>\n",
                 "<data key=\"p\">v</data>", ""),
         "node \"a\": its property name"},
    };
    for (const auto& c : cases) {
        try {
            importGraphFile(doc, c.path);
            ADD_FAILURE() << c.path << ": no error";
        } catch (const ImportError& e) {
            EXPECT_NE(std::string(e.what()).find(c.says), std::string::npos) << e.what();
            EXPECT_NE(std::string(e.what()).find(c.path), std::string::npos) << e.what();
        }
        EXPECT_EQ(doc.canonicalHash(), before);
        EXPECT_EQ(doc.nextCounter(), counter);
    }

    // At the limit, it all arrives.
    const std::string fits(64 * 1024, 'y');
    importGraphFile(doc, graphml("fits.graphml", label, "<data key=\"l\">" + fits + "</data>", ""));
    bool found = false;
    doc.forEach(EntityKind::Node, [&](const GraphDocument::Entity& e) { found = found || doc.label(e) == fits; });
    EXPECT_TRUE(found);
}

TEST(DocumentImport, ABadFileNamesLineAndLeavesTheDocumentAsItWas)
{
    QTemporaryDir dir;
    GraphDocument doc(1, 1);
    importGraphFile(doc, Graphs + "/florentine.graphml");
    const std::string before = doc.canonicalHash();
    const std::uint32_t counter = doc.nextCounter();

    const std::string bad = tempPath(dir, "bad.graphml");
    std::ofstream(bad) << "<?xml version='1.0'?>\n<graphml>\n<graph edgedefault=\"undirected\">\n"
                          "<node id=\"a\"/>\n<node id=\"b\">\n</graph></graphml>\n";
    try {
        importGraphFile(doc, bad);
        FAIL() << "no error";
    } catch (const ImportError& e) {
        EXPECT_EQ(e.file(), bad);
        EXPECT_GT(e.line(), 0);
        EXPECT_NE(std::string(e.what()).find(bad + ":"), std::string::npos);
    }
    EXPECT_EQ(doc.canonicalHash(), before);
    EXPECT_EQ(doc.nextCounter(), counter);
    EXPECT_THROW(importGraphFile(doc, tempPath(dir, "missing.graphml")), ImportError);
    EXPECT_THROW(importGraphFile(doc, tempPath(dir, "graph.xyz")), ImportError);
    EXPECT_EQ(doc.canonicalHash(), before);
}

TEST(DocumentImport, ImportIsOneUndoableTransaction)
{
    GraphDocument doc(1, 1);
    Transaction t;
    std::vector<LocalChange> changes;
    importGraphFile(doc, Graphs + "/karate.graphml", &t, &changes);
    EXPECT_EQ(t.header().opCount, 34u + 78u);
    std::string error;
    GraphDocument other(2, 2);
    other.apply(*Transaction::decode(t.bytes(), &error));
    EXPECT_EQ(other.canonicalHash(), doc.canonicalHash());
}

TEST(NativeFormat, RoundTripsExactlyIncludingDeletedEntities)
{
    QTemporaryDir dir;
    GraphDocument doc(1, 1);
    importGraphFile(doc, Graphs + "/lesmis.gexf");
    // Delete a node: its tombstone and timestamp must survive the file.
    EntityId victim;
    doc.forEach(EntityKind::Node, [&](const GraphDocument::Entity& e) { victim = e.id; });
    TransactionBuilder t = doc.begin();
    doc.set(t, victim, {Field::Exists, {}}, Value(false));
    doc.commit(t);

    const std::string path = tempPath(dir, "lesmis.constellate");
    exportGraphFile(doc, path);
    GraphDocument loaded(2, 2);
    const ImportReport r = importGraphFile(loaded, path);
    EXPECT_EQ(r.format, GraphFormat::Native);
    EXPECT_EQ(loaded.canonicalHash(), doc.canonicalHash());
    EXPECT_EQ(loaded.versionVector(), doc.versionVector());
    EXPECT_FALSE(loaded.isVisible(victim));
    EXPECT_EQ(r.nodes, 76u);
}

TEST(NativeFormat, FilesOfTheFirstFormatStillOpen)
{
    // Written by the first release (file format 1, snapshot version 1): lesmis.gexf and
    // edits from two replicas (tests/data/native/README.md). Its canonical hash then:
    const std::string path = CONSTELLATE_TEST_DATA "/native/lesmis-snapshot-v1.constellate";
    GraphDocument old(2, 2);
    loadNative(old, path);
    EXPECT_EQ(old.canonicalHash(), "de2d7b43be943fed84d036ccd4e825ec5409d418f4b91dde457ba66de370df80");
    EXPECT_EQ(old.count(EntityKind::Node), 76u); // 77 imported, one deleted
    EXPECT_EQ(old.count(EntityKind::Annotation), 1u);
    // Saved again, it is written in today's format and reads back the same.
    QTemporaryDir dir;
    const std::string again = tempPath(dir, "again.constellate");
    saveNative(old, again);
    GraphDocument loaded(3, 3);
    loadNative(loaded, again);
    EXPECT_EQ(loaded.canonicalHash(), old.canonicalHash());
    EXPECT_EQ(loaded.versionVector(), old.versionVector());
    QFile f(QString::fromStdString(again));
    ASSERT_TRUE(f.open(QIODevice::ReadOnly));
    EXPECT_EQ(f.read(16).mid(12), QByteArray("\x02\0\0\0", 4));
}

TEST(NativeFormat, AFileFromANewerVersionSaysSo)
{
    QTemporaryDir dir;
    GraphDocument doc(1, 1);
    importGraphFile(doc, Graphs + "/karate.graphml");
    const std::string path = tempPath(dir, "newer.constellate");
    saveNative(doc, path);
    QFile f(QString::fromStdString(path));
    ASSERT_TRUE(f.open(QIODevice::ReadWrite));
    f.seek(12);
    f.write(QByteArray("\x07\0\0\0", 4));
    f.close();
    GraphDocument target(2, 2);
    try {
        loadNative(target, path);
        FAIL() << "a newer file was read";
    } catch (const ImportError& e) {
        EXPECT_NE(std::string(e.what()).find("newer Constellate"), std::string::npos) << e.what();
    }
}

TEST(NativeFormat, DamagedFilesAreRefusedAndChangeNothing)
{
    QTemporaryDir dir;
    GraphDocument doc(1, 1);
    importGraphFile(doc, Graphs + "/karate.graphml");
    const std::string path = tempPath(dir, "k.constellate");
    saveNative(doc, path);
    QFile f(QString::fromStdString(path));
    ASSERT_TRUE(f.open(QIODevice::ReadOnly));
    const QByteArray good = f.readAll();
    f.close();

    GraphDocument target(3, 3);
    const std::string empty = target.canonicalHash();
    for (const QByteArray& bad : {good.left(good.size() / 2), good.left(8), QByteArray("CONSTELLATE"),
                                  QByteArray("hello world, not a graph")}) {
        QFile out(QString::fromStdString(path));
        ASSERT_TRUE(out.open(QIODevice::WriteOnly | QIODevice::Truncate));
        out.write(bad);
        out.close();
        EXPECT_THROW(loadNative(target, path), ImportError);
        EXPECT_EQ(target.canonicalHash(), empty);
    }
}

TEST(DocumentExport, EveryFormatReadsBackTheSameGraph)
{
    QTemporaryDir dir;
    GraphDocument doc(1, 1);
    importGraphFile(doc, Graphs + "/typed-directed.graphml");
    for (const char* ext : {"graphml", "gexf", "json", "gml"}) {
        SCOPED_TRACE(ext);
        const std::string path = tempPath(dir, std::string("out.") + ext);
        exportGraphFile(doc, path);
        GraphDocument back(2, 2);
        const ImportReport r = importGraphFile(back, path);
        EXPECT_EQ(r.nodes, 3u);
        EXPECT_EQ(r.edges, 3u);
        EXPECT_EQ(r.directedness(), "directed");
        std::vector<std::string> labels;
        back.forEach(EntityKind::Node, [&](const GraphDocument::Entity& e) {
            labels.emplace_back(back.label(e));
            if (back.label(e) == "Alpha") {
                EXPECT_EQ(back.value(e, {Field::Property, "count"}), Value(std::int64_t(3)));
            }
        }, true);
        EXPECT_EQ(labels, (std::vector<std::string> {"Alpha", "Beta \xc3\xbc", "Gamma <&>"}));
    }
    const std::string csv = tempPath(dir, "out.csv");
    exportGraphFile(doc, csv);
    GraphDocument back(2, 2);
    EXPECT_EQ(importGraphFile(back, csv).edges, 3u);
}
