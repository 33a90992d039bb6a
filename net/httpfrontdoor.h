#pragma once

#include <QByteArray>
#include <QHostAddress>
#include <QObject>
#include <QPointer>
#include <QString>

#include <functional>

class QTcpServer;
class QTcpSocket;
class QWebSocket;
class QWebSocketServer;

namespace constellate::net {

/// One port for plain HTTP and WebSockets. QWebSocketServer alone cannot answer plain
/// HTTP, so a QTcpServer accepts, peeks at the request head without consuming it, answers
/// GET requests it has a handler for, and hands WebSocket upgrades (GET /rooms/NAME) to
/// QWebSocketServer::handleConnection(), which then reads the same bytes itself.
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
    bool listen(const QHostAddress& address, quint16 port, QString* error);
    quint16 port() const;
    void close();

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
    std::vector<std::pair<QByteArray, Handler>> m_routes;
};

} // namespace constellate::net
