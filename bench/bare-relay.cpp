// bare-relay: the yardstick for constellate-server. A WebSocket relay on QWebSocketServer
// that does the least a relay can: rooms by URL path, and every binary message passed as
// it is to every other client in the room, at once. No handshake of its own, no checking,
// ordering, storing, batching or presence cap. constellate-load --bare speaks to it
// (bench/constellate-load.cpp; docs/benchmarks.md has the figures).
//
// Usage: bare-relay [--port N] [--bind ADDR] [--nodelay | --direct]
//   defaults: port 0 (any free port), 127.0.0.1, and plain QWebSocketServer
//   --nodelay  accept on a QTcpServer, set TCP_NODELAY, hand the socket to
//              QWebSocketServer::handleConnection() (what constellate-server's front door does)
//   --direct   also write each relayed frame itself: the WebSocket frame built once for all
//              receivers and send() straight to each socket whose Qt buffer is empty (falling
//              back to the QTcpSocket's buffer otherwise, so order holds). Shows what a fan-out
//              costs without QWebSocket's per-recipient copy, buffering and write notifier.
// It keeps nothing, so SIGTERM (the default action) is how it stops.

#include <QCoreApplication>
#include <QHash>
#include <QHostAddress>
#include <QList>
#include <QTcpServer>
#include <QTcpSocket>
#include <QWebSocket>
#include <QWebSocketServer>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include <sys/socket.h>

namespace {

/// The server-to-client WebSocket frame of a binary message (unmasked).
QByteArray binaryFrame(const QByteArray& payload)
{
    QByteArray frame;
    const auto n = quint64(payload.size());
    frame.reserve(payload.size() + 10);
    frame.append(char(0x82));
    if (n < 126) {
        frame.append(char(n));
    } else if (n < 65536) {
        frame.append(char(126));
        frame.append(char(n >> 8));
        frame.append(char(n & 0xff));
    } else {
        frame.append(char(127));
        for (int shift = 56; shift >= 0; shift -= 8)
            frame.append(char((n >> shift) & 0xff));
    }
    frame.append(payload);
    return frame;
}

/// Writes the frame straight to the socket when Qt holds nothing unsent for it.
void writeDirect(QTcpSocket* tcp, const QByteArray& frame)
{
    qint64 done = 0;
    if (tcp->bytesToWrite() == 0) {
        const ssize_t n = ::send(int(tcp->socketDescriptor()), frame.constData(), std::size_t(frame.size()),
                                 MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n > 0)
            done = n;
    }
    if (done < frame.size())
        tcp->write(frame.constData() + done, frame.size() - done);
}

} // namespace

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    quint16 port = 0;
    QHostAddress bind(QHostAddress::LocalHost);
    bool nodelay = false;
    bool direct = false;
    for (int i = 1; i < argc; ++i) {
        const char* a = argv[i];
        if (std::strcmp(a, "--port") == 0 && i + 1 < argc) {
            port = quint16(std::strtoul(argv[++i], nullptr, 10));
        } else if (std::strcmp(a, "--bind") == 0 && i + 1 < argc) {
            if (!bind.setAddress(QString::fromLocal8Bit(argv[++i]))) {
                std::fprintf(stderr, "bare-relay: --bind takes an IP address\n");
                return 2;
            }
        } else if (std::strcmp(a, "--nodelay") == 0) {
            nodelay = true;
        } else if (std::strcmp(a, "--direct") == 0) {
            nodelay = direct = true;
        } else {
            std::fprintf(stderr, "usage: bare-relay [--port N] [--bind ADDR] [--nodelay | --direct]\n");
            return 2;
        }
    }

    QWebSocketServer server(QStringLiteral("bare-relay"), QWebSocketServer::NonSecureMode);
    QTcpServer tcpServer;
    // --direct: the TCP socket under each WebSocket, found by the client's port (loopback:
    // one address, so the port names the connection).
    QHash<quint16, QTcpSocket*> tcpByPeerPort;
    quint16 listening = 0;
    if (nodelay) {
        if (!tcpServer.listen(bind, port)) {
            std::fprintf(stderr, "bare-relay: cannot listen: %s\n", qPrintable(tcpServer.errorString()));
            return 1;
        }
        QObject::connect(&tcpServer, &QTcpServer::newConnection, [&] {
            while (QTcpSocket* tcp = tcpServer.nextPendingConnection()) {
                tcp->setSocketOption(QAbstractSocket::LowDelayOption, 1);
                tcpByPeerPort.insert(tcp->peerPort(), tcp);
                QObject::connect(tcp, &QObject::destroyed, [&tcpByPeerPort, peer = tcp->peerPort()] {
                    tcpByPeerPort.remove(peer);
                });
                server.handleConnection(tcp);
            }
        });
        listening = tcpServer.serverPort();
    } else {
        if (!server.listen(bind, port)) {
            std::fprintf(stderr, "bare-relay: cannot listen: %s\n", qPrintable(server.errorString()));
            return 1;
        }
        listening = server.serverPort();
    }

    QHash<QString, QList<QWebSocket*>> rooms;
    QObject::connect(&server, &QWebSocketServer::newConnection, [&] {
        while (QWebSocket* socket = server.nextPendingConnection()) {
            const QString room = socket->requestUrl().path();
            rooms[room].append(socket);
            QObject::connect(socket, &QWebSocket::binaryMessageReceived,
                             [&rooms, &tcpByPeerPort, direct, room, socket](const QByteArray& m) {
                                 if (direct) {
                                     const QByteArray frame = binaryFrame(m);
                                     for (QWebSocket* other : std::as_const(rooms[room]))
                                         if (other != socket) {
                                             if (QTcpSocket* tcp = tcpByPeerPort.value(other->peerPort()))
                                                 writeDirect(tcp, frame);
                                             else
                                                 other->sendBinaryMessage(m);
                                         }
                                     return;
                                 }
                                 for (QWebSocket* other : std::as_const(rooms[room]))
                                     if (other != socket)
                                         other->sendBinaryMessage(m);
                             });
            QObject::connect(socket, &QWebSocket::disconnected, [&rooms, room, socket] {
                rooms[room].removeOne(socket);
                if (rooms[room].isEmpty())
                    rooms.remove(room);
                socket->deleteLater();
            });
        }
    });
    std::printf("bare-relay listening on port %u\n", listening);
    std::fflush(stdout);
    return app.exec();
}
