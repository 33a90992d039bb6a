// TLS on the server's one port: reading certificates and keys, the front door over TLS in
// this process, and the real server process with wss:// and https:// clients. The
// certificates are in tests/data/tls (see its README.md); everything stays on loopback.

#include "httpfrontdoor.h"
#include "testclient.h"
#include "tlscredentials.h"

#include <QDir>
#include <QFile>
#include <QSslConfiguration>
#include <QSslSocket>
#include <QTcpSocket>

#include <gtest/gtest.h>

#include <algorithm>

using namespace constellate;
using namespace constellate::test;
using constellate::net::HttpFrontDoor;
using constellate::net::TlsCredentials;

namespace {

QString tlsFile(const char* name)
{
    return QStringLiteral(CONSTELLATE_TEST_DATA "/tls/") + QLatin1String(name);
}

/// A client configuration that trusts the test certificate (and nothing else).
QSslConfiguration trusting(const char* certificate = "cert.pem")
{
    QSslConfiguration c = QSslConfiguration::defaultConfiguration();
    c.setCaCertificates(QSslCertificate::fromPath(tlsFile(certificate)));
    return c;
}

QString write(const QTemporaryDir& dir, const QString& name, const QByteArray& content)
{
    const QString path = dir.filePath(name);
    QFile f(path);
    EXPECT_TRUE(f.open(QIODevice::WriteOnly));
    f.write(content);
    return path;
}

QByteArray readAll(const QString& path)
{
    QFile f(path);
    EXPECT_TRUE(f.open(QIODevice::ReadOnly)) << path.toStdString();
    return f.readAll();
}

/// Sends `request` over TLS and returns the raw reply (or why there is none). Event-driven
/// throughout, so the server may run in this very thread.
QByteArray httpsRequest(quint16 port, const QByteArray& request, const QSslConfiguration& configuration = trusting())
{
    QSslSocket s;
    s.setSslConfiguration(configuration);
    s.connectToHostEncrypted(QStringLiteral("127.0.0.1"), port);
    if (!waitFor([&] { return s.isEncrypted() || s.state() == QAbstractSocket::UnconnectedState; }) || !s.isEncrypted())
        return "no TLS: " + s.errorString().toUtf8();
    s.write(request);
    QByteArray reply;
    waitFor([&] {
        reply += s.readAll();
        return s.state() == QAbstractSocket::UnconnectedState;
    });
    return reply + s.readAll();
}

/// The same over plain TCP, to a port that expects TLS.
QByteArray plainRequest(quint16 port, const QByteArray& request)
{
    QTcpSocket s;
    s.connectToHost(QHostAddress::LocalHost, port);
    if (!waitFor([&] { return s.state() == QAbstractSocket::ConnectedState; }))
        return "not connected";
    s.write(request);
    QByteArray reply;
    waitFor([&] {
        reply += s.readAll();
        return s.state() == QAbstractSocket::UnconnectedState;
    });
    return reply + s.readAll();
}

QUrl wssUrl(quint16 port, const QString& room)
{
    return QUrl(QStringLiteral("wss://127.0.0.1:%1/rooms/%2").arg(port).arg(room));
}

} // namespace

// ---- reading the files ------------------------------------------------------------------

TEST(TlsCredentials, ReadsRsaAndEcKeysInEveryPemForm)
{
    QString error;
    const auto rsa = TlsCredentials::load(tlsFile("cert.pem"), tlsFile("key.pem"), &error);
    ASSERT_TRUE(rsa) << error.toStdString();
    EXPECT_EQ(rsa->key.algorithm(), QSsl::Rsa);
    EXPECT_EQ(rsa->chain.size(), 1);
    const auto ec = TlsCredentials::load(tlsFile("ec-cert.pem"), tlsFile("ec-key.pem"), &error);
    ASSERT_TRUE(ec) << error.toStdString();
    EXPECT_EQ(ec->key.algorithm(), QSsl::Ec);

    // The files are PKCS#8 ("BEGIN PRIVATE KEY"); PKCS#1 and SEC1 ("BEGIN RSA/EC PRIVATE
    // KEY"), a key and certificates in one file, and a chain of two work as well.
    QTemporaryDir dir;
    const QString rsaTraditional = write(dir, "rsa.pem", rsa->key.toPem());
    const QString ecTraditional = write(dir, "ec.pem", ec->key.toPem());
    ASSERT_TRUE(rsa->key.toPem().startsWith("-----BEGIN RSA PRIVATE KEY-----"));
    ASSERT_TRUE(ec->key.toPem().startsWith("-----BEGIN EC PRIVATE KEY-----"));
    EXPECT_TRUE(TlsCredentials::load(tlsFile("cert.pem"), rsaTraditional, &error)) << error.toStdString();
    EXPECT_TRUE(TlsCredentials::load(tlsFile("ec-cert.pem"), ecTraditional, &error)) << error.toStdString();
    const QString combined = write(dir, "combined.pem", readAll(tlsFile("cert.pem")) + readAll(tlsFile("ec-cert.pem"))
                                                            + readAll(tlsFile("key.pem")));
    const auto both = TlsCredentials::load(combined, combined, &error);
    ASSERT_TRUE(both) << error.toStdString();
    EXPECT_EQ(both->chain.size(), 2);
}

TEST(TlsCredentials, RefusesBadFilesNamingThem)
{
    QTemporaryDir dir;
    const QString text = write(dir, "notes.txt", "this is not a certificate\n");
    const QString der = write(dir, "cert.der", QSslCertificate::fromPath(tlsFile("cert.pem")).value(0).toDer());
    const QSslKey key = TlsCredentials::load(tlsFile("cert.pem"), tlsFile("key.pem"), nullptr)->key;
    const QString encrypted = write(dir, "encrypted.pem", key.toPem("secret"));
    const QString missing = dir.filePath("missing.pem");
    const QString aDirectory = dir.path();

    struct Case {
        QString cert, key, culprit, says;
    };
    const std::vector<Case> cases {
        {missing, tlsFile("key.pem"), missing, "does not exist"},
        {tlsFile("cert.pem"), missing, missing, "does not exist"},
        {tlsFile("cert.pem"), aDirectory, aDirectory, "cannot read"},
        {text, tlsFile("key.pem"), text, "no PEM certificate"},
        {der, tlsFile("key.pem"), der, "DER"},
        {tlsFile("cert.pem"), text, text, "no PEM private key"},
        {tlsFile("cert.pem"), tlsFile("cert.pem"), tlsFile("cert.pem"), "no PEM private key"},
        {tlsFile("cert.pem"), encrypted, encrypted, "passphrase"},
        {tlsFile("cert.pem"), tlsFile("other-key.pem"), tlsFile("other-key.pem"), "does not belong"},
        {tlsFile("ec-cert.pem"), tlsFile("other-ec-key.pem"), tlsFile("other-ec-key.pem"), "does not belong"},
        {tlsFile("cert.pem"), tlsFile("ec-key.pem"), tlsFile("ec-key.pem"), "does not belong"},
        {tlsFile("expired-cert.pem"), tlsFile("key.pem"), tlsFile("expired-cert.pem"), "expired on 2001-01-01"},
    };
    for (const Case& c : cases) {
        QString error;
        EXPECT_FALSE(TlsCredentials::load(c.cert, c.key, &error)) << c.cert.toStdString() << " " << c.key.toStdString();
        EXPECT_TRUE(error.contains(QLatin1Char('\'') + c.culprit + QLatin1Char('\''))) << error.toStdString();
        EXPECT_TRUE(error.contains(c.says)) << error.toStdString();
    }
}

// ---- the front door over TLS, in this process ---------------------------------------------

namespace {

class TlsFrontDoorTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        door.addRoute("/healthz", [] { return HttpFrontDoor::Response {200, "text/plain", "ok\n"}; });
        QString error;
        const auto tls = TlsCredentials::load(tlsFile("cert.pem"), tlsFile("key.pem"), &error);
        ASSERT_TRUE(tls) << error.toStdString();
        ASSERT_TRUE(door.listen(QHostAddress::LocalHost, 0, *tls, &error)) << error.toStdString();
        ASSERT_TRUE(door.usesTls());
    }
    HttpFrontDoor door;
};

} // namespace

TEST_F(TlsFrontDoorTest, AnswersHttpsAndHandsWssUpgradesOver)
{
    const QByteArray ok = httpsRequest(door.port(), "GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n");
    EXPECT_TRUE(ok.startsWith("HTTP/1.1 200 OK\r\n")) << ok.toStdString();
    EXPECT_TRUE(ok.endsWith("\r\n\r\nok\n")) << ok.toStdString();
    EXPECT_TRUE(httpsRequest(door.port(), "GET /nothing HTTP/1.1\r\n\r\n").startsWith("HTTP/1.1 404"));

    QWebSocket* server = nullptr;
    QObject::connect(&door, &HttpFrontDoor::webSocketConnected, [&](QWebSocket* s) { server = s; });
    QWebSocket client;
    client.setSslConfiguration(trusting());
    client.open(wssUrl(door.port(), "lobby"));
    ASSERT_TRUE(waitFor([&] { return server && client.state() == QAbstractSocket::ConnectedState; }));
    EXPECT_EQ(server->requestUrl().path(), QStringLiteral("/rooms/lobby"));
    EXPECT_EQ(server->requestUrl().scheme(), QStringLiteral("wss"));

    QByteArray atServer, atClient;
    QObject::connect(server, &QWebSocket::binaryMessageReceived, [&](const QByteArray& m) { atServer = m; });
    QObject::connect(&client, &QWebSocket::binaryMessageReceived, [&](const QByteArray& m) { atClient = m; });
    client.sendBinaryMessage("\x01\x02\x03");
    ASSERT_TRUE(waitFor([&] { return !atServer.isEmpty(); }));
    EXPECT_EQ(atServer, QByteArray("\x01\x02\x03"));
    server->sendBinaryMessage(QByteArray(100'000, 'x')); // several TLS records
    ASSERT_TRUE(waitFor([&] { return !atClient.isEmpty(); }));
    EXPECT_EQ(atClient, QByteArray(100'000, 'x'));
    delete server;
}

TEST_F(TlsFrontDoorTest, PlainTextIsToldToUseTlsAndTheDoorKeepsServing)
{
    const QByteArray reply = plainRequest(door.port(), "GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n");
    EXPECT_TRUE(reply.startsWith("HTTP/1.1 400 Bad Request\r\n")) << reply.toStdString();
    EXPECT_TRUE(reply.contains("use https:// or wss://")) << reply.toStdString();

    QWebSocket plain;
    bool everConnected = false;
    QObject::connect(&plain, &QWebSocket::connected, [&] { everConnected = true; });
    plain.open(QUrl(QStringLiteral("ws://127.0.0.1:%1/rooms/lobby").arg(door.port())));
    ASSERT_TRUE(waitFor([&] { return plain.error() != QAbstractSocket::UnknownSocketError
                                     && plain.state() == QAbstractSocket::UnconnectedState; }));
    EXPECT_FALSE(everConnected);

    // A client that does not trust the certificate fails its own handshake.
    EXPECT_TRUE(httpsRequest(door.port(), "GET /healthz HTTP/1.1\r\n\r\n", QSslConfiguration::defaultConfiguration())
                    .startsWith("no TLS"));

    EXPECT_TRUE(httpsRequest(door.port(), "GET /healthz HTTP/1.1\r\n\r\n").endsWith("\r\n\r\nok\n"));
}

// ---- the real server process -------------------------------------------------------------

namespace {

class ServerTlsTest : public ::testing::Test {
protected:
    void SetUp() override { ASSERT_TRUE(server.start()) << log().toStdString(); }
    /// Everything the server has logged so far.
    QString log()
    {
        m_log += server.log();
        return m_log;
    }
    QTemporaryDir dir;
    ServerProcess server {dir.path(), {"--tls-cert", tlsFile("cert.pem"), "--tls-key", tlsFile("key.pem")}};

private:
    QString m_log;
};

} // namespace

TEST_F(ServerTlsTest, TwoWssClientsEditTogetherAndHttpsAnswers)
{
    TestClient alice(0xa1, 1, "alice");
    alice.socket.setSslConfiguration(trusting());
    ASSERT_TRUE(alice.join(wssUrl(server.port(), "lab"), true)) << log().toStdString();
    EXPECT_EQ(alice.welcome->role, Role::Owner);
    const EntityId a = alice.addNode("a");
    ASSERT_TRUE(waitFor([&] { return alice.acknowledged(alice.sent.back()); }));

    TestClient bob(0xb0, 2, "bob");
    bob.socket.setSslConfiguration(trusting());
    ASSERT_TRUE(bob.join(wssUrl(server.port(), "lab"), false));
    EXPECT_TRUE(bob.doc.isVisible(a));
    ASSERT_TRUE(waitFor([&] { return !alice.joined.empty(); }));
    EXPECT_EQ(alice.joined[0].name, "bob");

    // A transaction each way, relayed and acknowledged over TLS.
    alice.move(a, Vec3 {1, 2, 3});
    const EntityId b = bob.addNode("b");
    ASSERT_TRUE(waitFor([&] {
        return alice.doc.isVisible(b) && alice.doc.canonicalHash() == bob.doc.canonicalHash()
            && alice.acknowledged(alice.sent.back()) && bob.acknowledged(bob.sent.back());
    }));
    EXPECT_FALSE(bob.sequences.empty());

    const QByteArray health = httpsRequest(server.port(), "GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n");
    EXPECT_TRUE(health.startsWith("HTTP/1.1 200 OK\r\n")) << health.toStdString();
    EXPECT_TRUE(health.endsWith("\r\n\r\nok\n")) << health.toStdString();
    EXPECT_TRUE(httpsRequest(server.port(), "GET /metrics HTTP/1.1\r\n\r\n").contains("constellate_connections 2"));
}

TEST_F(ServerTlsTest, PlainAndUntrustingClientsFailCleanlyWhileTheServerServes)
{
    QWebSocket plain;
    bool everConnected = false;
    QObject::connect(&plain, &QWebSocket::connected, [&] { everConnected = true; });
    plain.open(server.url("lab"));
    ASSERT_TRUE(waitFor([&] { return plain.error() != QAbstractSocket::UnknownSocketError
                                     && plain.state() == QAbstractSocket::UnconnectedState; }));
    EXPECT_FALSE(everConnected);
    EXPECT_TRUE(plainRequest(server.port(), "GET /healthz HTTP/1.1\r\n\r\n").startsWith("HTTP/1.1 400"));

    QWebSocket untrusting; // the default CA bundle does not know our certificate
    QObject::connect(&untrusting, &QWebSocket::connected, [&] { everConnected = true; });
    untrusting.open(wssUrl(server.port(), "lab"));
    ASSERT_TRUE(waitFor([&] { return untrusting.error() != QAbstractSocket::UnknownSocketError
                                     && untrusting.state() == QAbstractSocket::UnconnectedState; }));
    EXPECT_FALSE(everConnected);

    TestClient alice(0xa1, 1, "alice");
    alice.socket.setSslConfiguration(trusting());
    ASSERT_TRUE(alice.join(wssUrl(server.port(), "lab"), true));
    alice.addNode("a");
    ASSERT_TRUE(waitFor([&] { return alice.acknowledged(alice.sent.back()); }));

    // One line each: the plain-text requests and the refused handshake.
    ASSERT_TRUE(waitFor([&] { return log().count(QStringLiteral("TLS handshake with 127.0.0.1")) >= 1; }))
        << log().toStdString();
    EXPECT_EQ(log().count(QStringLiteral("plain text from 127.0.0.1")), 2) << log().toStdString();
    EXPECT_EQ(log().count(QStringLiteral("TLS handshake with 127.0.0.1")), 1) << log().toStdString();
}

TEST_F(ServerTlsTest, StalledHandshakesTimeOutWithoutHoldingUpOthers)
{
    // More silent connections than QTcpServer's 30 pending ones, and one that stops in the
    // middle of its ClientHello.
    std::vector<std::unique_ptr<QTcpSocket>> silent;
    for (int i = 0; i < 40; ++i) {
        silent.push_back(std::make_unique<QTcpSocket>());
        silent.back()->connectToHost(QHostAddress::LocalHost, server.port());
    }
    ASSERT_TRUE(waitFor([&] {
        return std::all_of(silent.begin(), silent.end(),
                           [](const auto& s) { return s->state() == QAbstractSocket::ConnectedState; });
    }));
    silent.front()->write("\x16\x03\x01\x02\x00", 5); // a record header, then nothing
    QElapsedTimer elapsed;
    elapsed.start();

    TestClient alice(0xa1, 1, "alice");
    alice.socket.setSslConfiguration(trusting());
    ASSERT_TRUE(alice.join(wssUrl(server.port(), "lab"), true));
    EXPECT_TRUE(httpsRequest(server.port(), "GET /healthz HTTP/1.1\r\n\r\n").endsWith("\r\n\r\nok\n"));
    EXPECT_LT(elapsed.elapsed(), HttpFrontDoor::HeadTimeoutMs / 2);

    ASSERT_TRUE(waitFor(
        [&] {
            return std::all_of(silent.begin(), silent.end(),
                               [](const auto& s) { return s->state() == QAbstractSocket::UnconnectedState; });
        },
        HttpFrontDoor::HeadTimeoutMs + 5'000));
    EXPECT_GE(elapsed.elapsed(), HttpFrontDoor::HeadTimeoutMs - 1'000);
    ASSERT_TRUE(waitFor([&] { return log().count(QStringLiteral("not done within")) == 40; })) << log().toStdString();
    EXPECT_EQ(log().count(QStringLiteral("TLS handshake with")), 40) << log().toStdString();
    EXPECT_EQ(alice.socket.state(), QAbstractSocket::ConnectedState);
}

TEST(ServerTlsOptions, BadFilesAndHalfTheOptionsExitWithCode2)
{
    QTemporaryDir dir;
    const QString garbage
        = write(dir, "garbage-key.pem", "-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n");
    const QString missing = dir.filePath("missing-cert.pem");
    struct Case {
        QStringList args;
        QString says;
    };
    const std::vector<Case> cases {
        {{"--tls-cert", tlsFile("cert.pem")}, "--tls-cert and --tls-key go together"},
        {{"--tls-key", tlsFile("key.pem")}, "--tls-cert and --tls-key go together"},
        {{"--tls-cert", missing, "--tls-key", tlsFile("key.pem")}, missing},
        {{"--tls-cert", tlsFile("cert.pem"), "--tls-key", garbage}, garbage},
        {{"--tls-cert", tlsFile("cert.pem"), "--tls-key", tlsFile("other-key.pem")}, tlsFile("other-key.pem")},
        {{"--tls-cert", tlsFile("expired-cert.pem"), "--tls-key", tlsFile("key.pem")}, tlsFile("expired-cert.pem")},
    };
    for (const Case& c : cases) {
        QProcess p;
        p.start(QStringLiteral(CONSTELLATE_SERVER),
                QStringList {"--port", "0", "--bind", "127.0.0.1", "--data-dir", dir.path()} + c.args);
        ASSERT_TRUE(p.waitForFinished(10'000)) << c.args.join(' ').toStdString();
        const QString err = QString::fromUtf8(p.readAllStandardError());
        EXPECT_EQ(p.exitStatus(), QProcess::NormalExit);
        EXPECT_EQ(p.exitCode(), 2) << err.toStdString();
        EXPECT_TRUE(err.contains(c.says)) << err.toStdString();
        EXPECT_FALSE(p.readAllStandardOutput().contains("listening"));
    }
}
