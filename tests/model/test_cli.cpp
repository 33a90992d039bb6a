// constellate-cli as people and scripts use it: the real binary, real files.

#include <QFile>
#include <QProcess>
#include <QTemporaryDir>

#include <gtest/gtest.h>

#include <fstream>

namespace {

struct CliRun {
    int exitCode;
    std::string out, err;
};

CliRun cli(const QStringList& args)
{
    QProcess p;
    p.start(QStringLiteral(CONSTELLATE_CLI), args);
    EXPECT_TRUE(p.waitForFinished(60'000));
    return {p.exitCode(), p.readAllStandardOutput().toStdString(), p.readAllStandardError().toStdString()};
}

const QString Graphs = QStringLiteral(CONSTELLATE_TEST_GRAPHS);

} // namespace

TEST(Cli, InfoPrintsCountsDirectednessAndAttributes)
{
    const CliRun r = cli({"info", Graphs + "/karate.graphml"});
    EXPECT_EQ(r.exitCode, 0) << r.err;
    EXPECT_NE(r.out.find("34 nodes, 78 edges, undirected"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("node attributes: club"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("edge attributes: weight"), std::string::npos) << r.out;

    const CliRun d = cli({"info", Graphs + "/typed-directed.json"});
    EXPECT_EQ(d.exitCode, 0) << d.err;
    EXPECT_NE(d.out.find("3 nodes, 3 edges, directed"), std::string::npos) << d.out;
}

TEST(Cli, ABadFileExitsNonZeroNamingFileAndLine)
{
    QTemporaryDir dir;
    const std::string path = dir.filePath("broken.json").toStdString();
    std::ofstream(path) << "{\n \"nodes\": [\n  {\"id\": 1},\n  {\"id\": 2,,}\n ]\n}\n";
    const CliRun r = cli({"info", QString::fromStdString(path)});
    EXPECT_EQ(r.exitCode, 1);
    EXPECT_NE(r.err.find(path + ":4:"), std::string::npos) << r.err;
    EXPECT_TRUE(r.out.empty());
}

TEST(Cli, ConvertBetweenFormats)
{
    QTemporaryDir dir;
    const QString out = dir.filePath("lesmis.gexf");
    const CliRun r = cli({"convert", Graphs + "/lesmis.json", out});
    EXPECT_EQ(r.exitCode, 0) << r.err;
    const CliRun info = cli({"info", out});
    EXPECT_NE(info.out.find("77 nodes, 254 edges, undirected"), std::string::npos) << info.out;

    const QString native = dir.filePath("lesmis.constellate");
    EXPECT_EQ(cli({"convert", out, native}).exitCode, 0);
    EXPECT_NE(cli({"info", native}).out.find("77 nodes, 254 edges"), std::string::npos);
}

TEST(Cli, UsageErrorsExitWithTwo)
{
    EXPECT_EQ(cli({}).exitCode, 2);
    EXPECT_EQ(cli({"frobnicate"}).exitCode, 2);
    EXPECT_EQ(cli({"info"}).exitCode, 2);
    EXPECT_EQ(cli({"convert", Graphs + "/karate.gml", "/tmp/x.unknown"}).exitCode, 2);
    const CliRun help = cli({"help"});
    EXPECT_EQ(help.exitCode, 0);
    EXPECT_NE(help.out.find("convert IN OUT"), std::string::npos);
}

TEST(Cli, LayoutWritesNewPositionsTheSameForTheSameSeed)
{
    QTemporaryDir dir;
    auto bytes = [](const QString& path) {
        QFile f(path);
        return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
    };
    const QString a = dir.filePath("a.gexf"), b = dir.filePath("b.gexf"), c = dir.filePath("c.gexf");
    const CliRun r = cli({"layout", Graphs + "/karate.graphml", a, "--seed", "9"});
    EXPECT_EQ(r.exitCode, 0) << r.err;
    EXPECT_NE(r.out.find("34 nodes, 78 edges"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("settled after"), std::string::npos) << r.out;
    EXPECT_NE(cli({"info", a}).out.find("34 nodes, 78 edges"), std::string::npos);
    EXPECT_EQ(cli({"layout", Graphs + "/karate.graphml", b, "--seed", "9"}).exitCode, 0);
    EXPECT_EQ(cli({"layout", Graphs + "/karate.graphml", c, "--seed", "10"}).exitCode, 0);
    EXPECT_FALSE(bytes(a).isEmpty());
    EXPECT_EQ(bytes(a), bytes(b));
    EXPECT_NE(bytes(a), bytes(c));
    EXPECT_NE(bytes(a), bytes(Graphs + "/karate.gexf"));

    const CliRun capped = cli({"layout", Graphs + "/lesmis.json", dir.filePath("l.graphml"), "--iterations-max", "3"});
    EXPECT_EQ(capped.exitCode, 0) << capped.err;
    EXPECT_NE(capped.out.find("not settled: stopped at the cap of 3 iterations"), std::string::npos) << capped.out;
}

TEST(Cli, LayoutUsageErrors)
{
    QTemporaryDir dir;
    EXPECT_EQ(cli({"layout", Graphs + "/karate.graphml"}).exitCode, 2);
    EXPECT_EQ(cli({"layout", Graphs + "/karate.graphml", dir.filePath("x.csv")}).exitCode, 2);
    EXPECT_EQ(cli({"layout", Graphs + "/karate.graphml", dir.filePath("x.gexf"), "--seed", "-1"}).exitCode, 2);
    EXPECT_EQ(cli({"layout", Graphs + "/karate.graphml", dir.filePath("x.gexf"), "--iterations-max", "0"}).exitCode, 2);
    EXPECT_EQ(cli({"convert", Graphs + "/karate.graphml", dir.filePath("x.gexf"), "--seed", "1"}).exitCode, 2);
    const CliRun missing = cli({"layout", dir.filePath("missing.graphml"), dir.filePath("x.gexf")});
    EXPECT_EQ(missing.exitCode, 1);
    EXPECT_FALSE(QFile::exists(dir.filePath("x.gexf")));
}
