#include "httpfrontdoor.h"

#include <QTcpServer>
#include <QTcpSocket>
#include <QTimer>
#include <QWebSocket>
#include <QWebSocketServer>

namespace constellate::net {

namespace {

QByteArray reason(int status)
{
    switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 431: return "Request Header Fields Too Large";
    default: return "Error";
    }
}

} // namespace

HttpFrontDoor::HttpFrontDoor(QObject* parent)
    : QObject(parent)
    , m_tcp(new QTcpServer(this))
    , m_ws(new QWebSocketServer(QStringLiteral("constellate-server"), QWebSocketServer::NonSecureMode, this))
{
    connect(m_tcp, &QTcpServer::newConnection, this, &HttpFrontDoor::onNewConnection);
    connect(m_ws, &QWebSocketServer::newConnection, this, [this] {
        while (QWebSocket* s = m_ws->nextPendingConnection())
            Q_EMIT webSocketConnected(s);
    });
}

HttpFrontDoor::~HttpFrontDoor() = default;

void HttpFrontDoor::addRoute(const QByteArray& path, Handler handler)
{
    m_routes.emplace_back(path, std::move(handler));
}

bool HttpFrontDoor::listen(const QHostAddress& address, quint16 port, QString* error)
{
    if (!m_tcp->listen(address, port)) {
        if (error)
            *error = QStringLiteral("cannot listen on %1 port %2: %3")
                         .arg(address.toString())
                         .arg(port)
                         .arg(m_tcp->errorString());
        return false;
    }
    return true;
}

quint16 HttpFrontDoor::port() const
{
    return m_tcp->serverPort();
}

void HttpFrontDoor::close()
{
    m_tcp->close();
}

void HttpFrontDoor::onNewConnection()
{
    while (QTcpSocket* socket = m_tcp->nextPendingConnection()) {
        // Small frames go out at once: with Nagle's algorithm a frame waits for the
        // previous one's ACK (docs/benchmarks.md measured p99 12 ms -> 0.7 ms in a busy room).
        socket->setSocketOption(QAbstractSocket::LowDelayOption, 1);
        // Peek until the head is complete; nothing is consumed, so a WebSocket upgrade can
        // be handed over with its bytes intact.
        connect(socket, &QTcpSocket::readyRead, this, [this, socket] { onReadable(socket); });
        connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
        QTimer::singleShot(HeadTimeoutMs, socket, [this, socket] {
            if (socket->property("constellate.handled").toBool())
                return;
            answer(socket, 408, "text/plain; charset=utf-8", "request head not received in time\n");
        });
        if (socket->bytesAvailable())
            onReadable(socket);
    }
}

void HttpFrontDoor::onReadable(QTcpSocket* socket)
{
    if (socket->property("constellate.handled").toBool())
        return;
    const QByteArray peeked = socket->peek(MaxHeadBytes + 4);
    const qsizetype end = peeked.indexOf("\r\n\r\n");
    if (end < 0) {
        if (peeked.size() > MaxHeadBytes)
            answer(socket, 431, "text/plain; charset=utf-8", "request head too large\n");
        return;
    }
    const QByteArray head = peeked.left(end);
    const QList<QByteArray> lines = head.split('\n');
    const QList<QByteArray> request = lines.value(0).trimmed().split(' ');
    if (request.size() != 3 || !request[2].startsWith("HTTP/1.")) {
        answer(socket, 400, "text/plain; charset=utf-8", "malformed request line\n");
        return;
    }
    const QByteArray& method = request[0];
    QByteArray path = request[1];
    if (const qsizetype q = path.indexOf('?'); q >= 0)
        path.truncate(q);

    bool upgrade = false;
    for (qsizetype i = 1; i < lines.size(); ++i) {
        const QByteArray line = lines[i].trimmed().toLower();
        if (line.startsWith("upgrade:") && line.contains("websocket"))
            upgrade = true;
    }
    if (upgrade) {
        socket->setProperty("constellate.handled", true);
        disconnect(socket, nullptr, this, nullptr);
        disconnect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
        m_ws->handleConnection(socket); // QWebSocketServer owns it from here
        return;
    }
    if (method != "GET" && method != "HEAD") {
        answer(socket, 405, "text/plain; charset=utf-8", "only GET is served here\n");
        return;
    }
    for (const auto& [route, handler] : m_routes) {
        if (route == path) {
            const Response r = handler();
            answer(socket, r.status, r.contentType, method == "HEAD" ? QByteArray() : r.body);
            return;
        }
    }
    answer(socket, 404, "text/plain; charset=utf-8",
           "not found: this server answers GET /healthz, GET /metrics and WebSocket upgrades at /rooms/NAME\n");
}

void HttpFrontDoor::answer(QTcpSocket* socket, int status, const QByteArray& contentType, const QByteArray& body)
{
    socket->setProperty("constellate.handled", true);
    socket->readAll();
    QByteArray out = "HTTP/1.1 " + QByteArray::number(status) + ' ' + reason(status) + "\r\nContent-Type: "
        + contentType + "\r\nContent-Length: " + QByteArray::number(body.size())
        + "\r\nConnection: close\r\nCache-Control: no-store\r\n\r\n" + body;
    socket->write(out);
    socket->disconnectFromHost();
}

} // namespace constellate::net
