// constellate-cli's live-room commands, run as the real program against the real server
// process on a loopback port: create, import, export, info, watch, and their errors. The
// profile (owner tokens) lives in a temporary XDG_CONFIG_HOME.

#include "documentio.h"
#include "testclient.h"

#include <QProcess>
#include <QTcpServer>
#include <QTemporaryDir>

#include <gtest/gtest.h>

#include <csignal>

using namespace constellate;
using namespace constellate::test;

namespace {

struct CliResult {
    int code = -1;
    QString out;
    QString err;
};

class CliRoomsTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        ASSERT_TRUE(data.isValid() && profile.isValid());
        ASSERT_TRUE(server.start());
    }
    QProcessEnvironment environment() const
    {
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("XDG_CONFIG_HOME"), profile.path());
        env.remove(QStringLiteral("CONSTELLATE_ROOM_KEY"));
        return env;
    }
    /// Runs constellate-cli to its end, keeping the event loop turning (the server is
    /// another process; in-process clients of a test must keep answering meanwhile).
    CliResult cli(const QStringList& args, int timeoutMs = 60'000)
    {
        QProcess p;
        p.setProcessEnvironment(environment());
        p.start(QStringLiteral(CONSTELLATE_CLI), args);
        CliResult r;
        if (!p.waitForStarted(10'000))
            return r;
        waitFor([&] { return p.state() == QProcess::NotRunning; }, timeoutMs);
        if (p.state() != QProcess::NotRunning) {
            p.kill();
            p.waitForFinished();
        }
        r.code = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
        r.out = QString::fromUtf8(p.readAllStandardOutput());
        r.err = QString::fromUtf8(p.readAllStandardError());
        return r;
    }
    QString url(const QString& room) const { return server.url(room).toString(); }
    QString graph(const char* name) const { return QStringLiteral(CONSTELLATE_TEST_GRAPHS "/") + QLatin1String(name); }

    QTemporaryDir data;
    QTemporaryDir profile;
    ServerProcess server {data.path()};
};

std::string describe(const CliResult& r)
{
    return "exit " + std::to_string(r.code) + "\nstdout:\n" + r.out.toStdString() + "stderr:\n" + r.err.toStdString();
}

} // namespace

TEST_F(CliRoomsTest, CreateImportInfoExportRoundTrip)
{
    const CliResult created = cli({"create", "--url", url("atlas"), "--name", "admin"});
    ASSERT_EQ(created.code, 0) << describe(created);
    EXPECT_TRUE(created.out.contains(QLatin1String("created room atlas"))) << describe(created);
    // The owner token went to the profile.
    QFile conf(profile.filePath(QStringLiteral("Constellate/constellate.conf")));
    ASSERT_TRUE(conf.open(QIODevice::ReadOnly));
    EXPECT_TRUE(conf.readAll().contains("ownerTokens")) << "no owner token in the profile";

    const CliResult imported = cli({"import", graph("lesmis.gexf"), "--url", url("atlas")});
    ASSERT_EQ(imported.code, 0) << describe(imported);
    EXPECT_TRUE(imported.out.contains(QLatin1String("durably committed"))) << describe(imported);

    const CliResult info = cli({"info", "--url", url("atlas")});
    ASSERT_EQ(info.code, 0) << describe(info);
    EXPECT_TRUE(info.out.contains(QLatin1String("77 nodes, 254 edges"))) << describe(info);
    // The hash is the room's: a client joining now holds the same document.
    TestClient probe(0x7e57, 0x7e57, "probe");
    ASSERT_TRUE(probe.join(server.url("atlas"), false));
    ASSERT_TRUE(waitFor([&] { return probe.doc.count(EntityKind::Node) == 77u; }));
    EXPECT_TRUE(info.out.contains(QString::fromStdString("hash " + probe.doc.canonicalHash()))) << describe(info);

    for (const char* name : {"out.graphml", "out.constellate"}) {
        const QString path = data.filePath(QLatin1String(name));
        const CliResult exported = cli({"export", path, "--url", url("atlas")});
        ASSERT_EQ(exported.code, 0) << describe(exported);
        GraphDocument back(1, 1);
        const ImportReport r = importGraphFile(back, path.toStdString());
        EXPECT_EQ(r.nodes, 77u) << name;
        EXPECT_EQ(r.edges, 254u) << name;
        if (QLatin1String(name).endsWith(QLatin1String(".constellate"))) {
            EXPECT_EQ(back.canonicalHash(), probe.doc.canonicalHash()) << "the native file keeps everything";
        }
    }
}

TEST_F(CliRoomsTest, ImportWithCreateMakesTheRoom)
{
    const CliResult r = cli({"import", graph("karate.graphml"), "--create", "--url", url("karate")});
    ASSERT_EQ(r.code, 0) << describe(r);
    const CliResult info = cli({"info", "--url", url("karate")});
    ASSERT_EQ(info.code, 0) << describe(info);
    EXPECT_TRUE(info.out.contains(QLatin1String("34 nodes, 78 edges"))) << describe(info);
}

TEST_F(CliRoomsTest, WatchPrintsJoinsOperationsAndLeavesUntilStopped)
{
    ASSERT_EQ(cli({"create", "--url", url("live")}).code, 0);
    QProcess watch;
    watch.setProcessEnvironment(environment());
    watch.start(QStringLiteral(CONSTELLATE_CLI), {"watch", "--url", url("live")});
    QString out;
    ASSERT_TRUE(waitFor([&] {
        out += QString::fromUtf8(watch.readAllStandardOutput());
        return out.contains(QLatin1String("watching live"));
    })) << out.toStdString() << watch.readAllStandardError().toStdString();

    {
        TestClient editor(0xed, 0xed, "editor");
        ASSERT_TRUE(editor.join(server.url("live"), false));
        editor.addNode("hello");
        ASSERT_TRUE(waitFor([&] {
            out += QString::fromUtf8(watch.readAllStandardOutput());
            return out.contains(QLatin1String("op ")) && out.contains(QLatin1String("created 1 node"));
        })) << out.toStdString();
        EXPECT_TRUE(out.contains(QLatin1String("join editor (editor)"))) << out.toStdString();
    } // the editor leaves
    ASSERT_TRUE(waitFor([&] {
        out += QString::fromUtf8(watch.readAllStandardOutput());
        return out.contains(QLatin1String("leave editor"));
    })) << out.toStdString();

    ::kill(pid_t(watch.processId()), SIGTERM);
    ASSERT_TRUE(waitFor([&] { return watch.state() == QProcess::NotRunning; }));
    EXPECT_EQ(watch.exitStatus(), QProcess::NormalExit);
    EXPECT_EQ(watch.exitCode(), 0);
    out += QString::fromUtf8(watch.readAllStandardOutput());
    EXPECT_TRUE(out.contains(QLatin1String("stopped"))) << out.toStdString();
}

TEST_F(CliRoomsTest, AccessKeyIsSetByCreateAndNeededToJoin)
{
    const CliResult created = cli({"create", "--url", url("vault"), "--key", "open sesame"});
    ASSERT_EQ(created.code, 0) << describe(created);
    EXPECT_TRUE(created.out.contains(QLatin1String("access key set"))) << describe(created);

    // Another profile (no owner token): the key is needed.
    QTemporaryDir other;
    QProcessEnvironment env = environment();
    env.insert(QStringLiteral("XDG_CONFIG_HOME"), other.path());
    auto runAs = [&](const QStringList& args) {
        QProcess p;
        p.setProcessEnvironment(env);
        p.start(QStringLiteral(CONSTELLATE_CLI), args);
        waitFor([&] { return p.state() == QProcess::NotRunning; }, 60'000);
        return std::make_pair(p.exitCode(), QString::fromUtf8(p.readAllStandardError()));
    };
    const auto [noKey, noKeyErr] = runAs({"info", "--url", url("vault")});
    EXPECT_EQ(noKey, 1);
    EXPECT_TRUE(noKeyErr.contains(QLatin1String("access key"))) << noKeyErr.toStdString();
    const auto [wrong, wrongErr] = runAs({"info", "--url", url("vault"), "--key", "guess"});
    EXPECT_EQ(wrong, 1);
    EXPECT_TRUE(wrongErr.contains(QLatin1String("wrong access key"))) << wrongErr.toStdString();
    env.insert(QStringLiteral("CONSTELLATE_ROOM_KEY"), QStringLiteral("open sesame"));
    const auto [right, rightErr] = runAs({"info", "--url", url("vault")});
    EXPECT_EQ(right, 0) << rightErr.toStdString();
}

TEST_F(CliRoomsTest, ErrorsAreClearAndExitCodesTellThemApart)
{
    // Usage errors: 2, before any connection.
    for (const QStringList& args : {QStringList {"info", "--url", "http://127.0.0.1:1/rooms/x"},
                                    QStringList {"info", "--url", "ws://127.0.0.1:1/elsewhere"},
                                    QStringList {"import", "--url", url("x")},
                                    QStringList {"export", "out.unknown", "--url", url("x")},
                                    QStringList {"create", "--url", url("x"), "--create"},
                                    QStringList {"watch"},
                                    QStringList {"info", "file.graphml", "--name", "x"},
                                    QStringList {"info", "--url", url("x"), "--timeout", "soon"}}) {
        const CliResult r = cli(args);
        EXPECT_EQ(r.code, 2) << args.join(' ').toStdString() << "\n" << describe(r);
        EXPECT_FALSE(r.err.isEmpty());
    }
    // The work failed: 1, with the server's or the network's reason.
    const CliResult missing = cli({"import", graph("karate.graphml"), "--url", url("typo")});
    EXPECT_EQ(missing.code, 1) << describe(missing);
    EXPECT_TRUE(missing.err.contains(QLatin1String("does not exist"))) << describe(missing);

    ASSERT_EQ(cli({"create", "--url", url("taken")}).code, 0);
    const CliResult again = cli({"create", "--url", url("taken")});
    EXPECT_EQ(again.code, 1) << describe(again);
    EXPECT_TRUE(again.err.contains(QLatin1String("exists"))) << describe(again);

    const CliResult noFile = cli({"import", data.filePath(QStringLiteral("absent.graphml")), "--url", url("taken")});
    EXPECT_EQ(noFile.code, 1) << describe(noFile);
    EXPECT_TRUE(noFile.err.contains(QLatin1String("no such file"))) << describe(noFile);
    QFile bad(data.filePath(QStringLiteral("bad.graphml")));
    ASSERT_TRUE(bad.open(QIODevice::WriteOnly));
    bad.write("<?xml version=\"1.0\"?>\n<graphml><graph><node id=\"a\"><data key=");
    bad.close();
    const CliResult badFile = cli({"import", bad.fileName(), "--url", url("taken")});
    EXPECT_EQ(badFile.code, 1) << describe(badFile);
    EXPECT_TRUE(badFile.err.contains(QLatin1String("bad.graphml:"))) << "names the file and line\n" << describe(badFile);
    const CliResult info = cli({"info", "--url", url("taken")});
    EXPECT_TRUE(info.out.contains(QLatin1String("0 nodes"))) << "a bad file imports nothing\n" << describe(info);

    // Nothing listens on this port: gives up after --timeout with the last problem.
    QTcpServer probe;
    ASSERT_TRUE(probe.listen(QHostAddress::LocalHost, 0));
    const quint16 closed = probe.serverPort();
    probe.close();
    const CliResult unreachable = cli({"info", "--url", QStringLiteral("ws://127.0.0.1:%1/rooms/x").arg(closed), "--timeout", "2"});
    EXPECT_EQ(unreachable.code, 1) << describe(unreachable);
    EXPECT_TRUE(unreachable.err.contains(QLatin1String("gave up after 2 s"))) << describe(unreachable);
}
