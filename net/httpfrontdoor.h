#pragma once

#include <QByteArray>
#include <QHostAddress>
#include <QObject>
#include <QPointer>
#include <QString>

#include <functional>
#include <map>
#include <utility>
#include <vector>

class QTcpServer;
class QTcpSocket;
class QWebSocket;
class QWebSocketServer;

namespace constellate::net {

struct TlsCredentials;

/// One port for plain HTTP and WebSockets. QWebSocketServer alone cannot answer plain
/// HTTP, so a QTcpServer accepts, peeks at the request head without consuming it, answers
/// GET requests it has a handler for, and hands WebSocket upgrades (GET /rooms/NAME) to
/// QWebSocketServer::handleConnection(), which then reads the same bytes itself. With TLS
/// the same happens after the handshake, on the decrypted bytes of a QSslSocket.
class HttpFrontDoor : public QObject {
    Q_OBJECT
public:
    /// Returns the response body and content type for a path, or an empty optional for 404.
    struct Response {
        int status = 200;
        QByteArray contentType = "text/plain; charset=utf-8";
        QByteArray body;
    };
    using Handler = std::function<Response()>;

    explicit HttpFrontDoor(QObject* parent = nullptr);
    ~HttpFrontDoor() override;

    void addRoute(const QByteArray& path, Handler handler);
    /// Plain http:// and ws://.
    bool listen(const QHostAddress& address, quint16 port, QString* error);
    /// With `tls` not empty, TLS on every connection: https:// for the routes, wss:// for
    /// the upgrades. A handshake that fails, or is not done within HeadTimeoutMs, costs the
    /// client its connection and the log one line; plain text is answered 400 in plain text.
    bool listen(const QHostAddress& address, quint16 port, const TlsCredentials& tls, QString* error);
    bool usesTls() const { return m_tls; }
    quint16 port() const;
    void close();

    /// The unencrypted TCP socket under an upgraded WebSocket, for writing frames to it
    /// directly (SyncServer's fan-out); null for TLS connections or when unknown. Call once,
    /// in the webSocketConnected handler: the front door forgets the socket then.
    QTcpSocket* takePlainSocket(const QWebSocket* socket);

    /// Limits on a request head and how long a client may take to send it.
    static constexpr int MaxHeadBytes = 16 * 1024;
    static constexpr int HeadTimeoutMs = 10'000;

Q_SIGNALS:
    /// A WebSocket connection was upgraded; the receiver takes ownership.
    void webSocketConnected(QWebSocket* socket);

private:
    void onNewConnection();
    void onReadable(QTcpSocket* socket);
    void answer(QTcpSocket* socket, int status, const QByteArray& contentType, const QByteArray& body);

    QTcpServer* m_tcp = nullptr;
    QWebSocketServer* m_ws = nullptr;
    bool m_tls = false;
    std::vector<std::pair<QByteArray, Handler>> m_routes;
    /// Plain sockets handed to QWebSocketServer, by peer address and port, until upgraded.
    std::map<std::pair<QString, quint16>, QPointer<QTcpSocket>> m_handedOver;
};

} // namespace constellate::net
