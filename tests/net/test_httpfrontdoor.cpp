// One port for plain HTTP and WebSockets, over real loopback sockets.

#include "httpfrontdoor.h"
#include "eventloopwait.h"

#include <QTcpSocket>
#include <QWebSocket>

#include <gtest/gtest.h>

using namespace constellate::net;
using constellate::test::waitFor;

namespace {

QByteArray httpGet(quint16 port, const QByteArray& request)
{
    QTcpSocket s;
    s.connectToHost(QHostAddress::LocalHost, port);
    EXPECT_TRUE(s.waitForConnected(5000));
    s.write(request);
    QByteArray reply;
    waitFor([&] {
        reply += s.readAll();
        return s.state() == QAbstractSocket::UnconnectedState;
    });
    return reply + s.readAll();
}

class FrontDoorTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        door.addRoute("/healthz", [] { return HttpFrontDoor::Response {200, "text/plain", "ok\n"}; });
        QString error;
        ASSERT_TRUE(door.listen(QHostAddress::LocalHost, 0, &error)) << error.toStdString();
    }
    HttpFrontDoor door;
};

} // namespace

TEST_F(FrontDoorTest, AnswersPlainHttp)
{
    const QByteArray ok = httpGet(door.port(), "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_TRUE(ok.startsWith("HTTP/1.1 200 OK\r\n")) << ok.toStdString();
    EXPECT_TRUE(ok.endsWith("\r\n\r\nok\n")) << ok.toStdString();

    EXPECT_TRUE(httpGet(door.port(), "GET /nothing HTTP/1.1\r\n\r\n").startsWith("HTTP/1.1 404"));
    EXPECT_TRUE(httpGet(door.port(), "POST /healthz HTTP/1.1\r\n\r\n").startsWith("HTTP/1.1 405"));
    EXPECT_TRUE(httpGet(door.port(), "garbage\r\n\r\n").startsWith("HTTP/1.1 400"));
    EXPECT_TRUE(httpGet(door.port(), "GET /" + QByteArray(20'000, 'a')).startsWith("HTTP/1.1 431"));
}

TEST_F(FrontDoorTest, HandsWebSocketUpgradesOverWithTheirPath)
{
    QWebSocket* server = nullptr;
    QObject::connect(&door, &HttpFrontDoor::webSocketConnected, [&](QWebSocket* s) { server = s; });
    QWebSocket client;
    client.open(QUrl(QStringLiteral("ws://127.0.0.1:%1/rooms/lobby").arg(door.port())));
    ASSERT_TRUE(waitFor([&] { return server && client.state() == QAbstractSocket::ConnectedState; }));
    EXPECT_EQ(server->requestUrl().path(), QStringLiteral("/rooms/lobby"));

    QByteArray received;
    QObject::connect(server, &QWebSocket::binaryMessageReceived, [&](const QByteArray& m) { received = m; });
    client.sendBinaryMessage("\x01\x02\x03");
    ASSERT_TRUE(waitFor([&] { return !received.isEmpty(); }));
    EXPECT_EQ(received, QByteArray("\x01\x02\x03"));
    delete server;
}
