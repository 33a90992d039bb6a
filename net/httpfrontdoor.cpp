#include "httpfrontdoor.h"

#include "serverlog.h"
#include "tlscredentials.h"

#include <QSslConfiguration>
#include <QSslSocket>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTimer>
#include <QWebSocket>
#include <QWebSocketServer>

#include <unistd.h>

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

/// Hands what `ws` upgrades on as the door's webSocketConnected().
void forwardUpgrades(HttpFrontDoor* door, QWebSocketServer* ws)
{
    QObject::connect(ws, &QWebSocketServer::newConnection, door, [door, ws] {
        while (QWebSocket* s = ws->nextPendingConnection())
            Q_EMIT door->webSocketConnected(s);
    });
}

/// Accepts TCP connections and makes a QSslSocket a pending connection only once its
/// handshake is done. Not QSslServer: in Qt 6.4 it counts handshakes in progress against
/// maxPendingConnections (30), so thirty silent connections stop all accepting until
/// they time out, and it drops a plain-text request without a word to either side.
class TlsServer : public QTcpServer {
public:
    TlsServer(QSslConfiguration configuration, QObject* parent)
        : QTcpServer(parent)
        , m_configuration(std::move(configuration))
    {
    }

protected:
    void incomingConnection(qintptr descriptor) override
    {
        auto* socket = new QSslSocket(this);
        if (!socket->setSocketDescriptor(descriptor)) {
            delete socket;
            ::close(int(descriptor));
            return;
        }
        socket->setSslConfiguration(m_configuration);
        socket->setSocketOption(QAbstractSocket::LowDelayOption, 1);
        const QString peer = QStringLiteral("%1 port %2").arg(socket->peerAddress().toString()).arg(socket->peerPort());
        auto* deadline = new QTimer(socket);
        deadline->setSingleShot(true);
        connect(deadline, &QTimer::timeout, this, [socket, peer] {
            drop(socket, QStringLiteral("TLS handshake with %1 not done within %2 s: closed")
                             .arg(peer)
                             .arg(HttpFrontDoor::HeadTimeoutMs / 1000));
            socket->abort();
        });
        deadline->start(HttpFrontDoor::HeadTimeoutMs);
        connect(socket, &QSslSocket::readyRead, this, [socket, peer] {
            // Until the handshake starts, QSslSocket::peek() reads the plain socket
            // without consuming anything, so the handshake still sees every byte.
            char first = 0;
            if (socket->mode() != QSslSocket::UnencryptedMode || socket->property("constellate.dropped").toBool()
                || socket->peek(&first, 1) != 1)
                return;
            if (first == 0x16) { // a TLS handshake record: ClientHello
                socket->startServerEncryption();
                return;
            }
            // Most likely http:// or ws:// by mistake: say so in plain text.
            socket->setProperty("constellate.dropped", true);
            logInfo(QStringLiteral("plain text from %1 on the TLS port: answered 400").arg(peer));
            socket->readAll(); // unread data would make the close a reset that loses the answer
            const QByteArray body = "this port speaks TLS: use https:// or wss://\n";
            socket->write("HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: "
                          + QByteArray::number(body.size()) + "\r\nConnection: close\r\n\r\n" + body);
            socket->disconnectFromHost();
        });
        connect(socket, &QSslSocket::encrypted, this, [this, socket, deadline] {
            delete deadline;
            socket->disconnect(this);
            addPendingConnection(socket); // emits pendingConnectionAvailable()
        });
        connect(socket, &QAbstractSocket::errorOccurred, this, [socket, peer](QAbstractSocket::SocketError error) {
            // A port probe that connects and closes without a word is not worth a line.
            if (error == QAbstractSocket::RemoteHostClosedError && socket->mode() == QSslSocket::UnencryptedMode) {
                socket->setProperty("constellate.dropped", true);
                socket->deleteLater();
                return;
            }
            drop(socket, QStringLiteral("TLS handshake with %1 failed: %2").arg(peer, socket->errorString()));
        });
        connect(socket, &QAbstractSocket::disconnected, this, [socket] { socket->deleteLater(); });
    }

private:
    /// Ends a connection whose handshake failed, with one log line however many errors follow.
    static void drop(QSslSocket* socket, const QString& why)
    {
        if (!socket->property("constellate.dropped").toBool()) {
            socket->setProperty("constellate.dropped", true);
            logInfo(why);
        }
        socket->deleteLater();
    }

    QSslConfiguration m_configuration;
};

} // namespace

HttpFrontDoor::HttpFrontDoor(QObject* parent)
    : QObject(parent)
    , m_tcp(new QTcpServer(this))
    , m_ws(new QWebSocketServer(QStringLiteral("constellate-server"), QWebSocketServer::NonSecureMode, this))
{
    connect(m_tcp, &QTcpServer::newConnection, this, &HttpFrontDoor::onNewConnection);
    forwardUpgrades(this, m_ws);
}

HttpFrontDoor::~HttpFrontDoor() = default;

void HttpFrontDoor::addRoute(const QByteArray& path, Handler handler)
{
    m_routes.emplace_back(path, std::move(handler));
}

bool HttpFrontDoor::listen(const QHostAddress& address, quint16 port, QString* error)
{
    return listen(address, port, TlsCredentials {}, error);
}

bool HttpFrontDoor::listen(const QHostAddress& address, quint16 port, const TlsCredentials& tls, QString* error)
{
    if (!tls.isEmpty() && !QSslSocket::supportsSsl()) {
        const QString backend = QSslSocket::activeBackend();
        if (error)
            *error = QStringLiteral("cannot serve TLS: Qt found no TLS library (%1; is libssl3 installed?)")
                         .arg(backend.isEmpty() ? QStringLiteral("no backend") : backend);
        return false;
    }
    if (!tls.isEmpty() && !m_tls) {
        // Nothing listens yet: swap the plain servers made in the constructor for TLS ones.
        QSslConfiguration configuration = QSslConfiguration::defaultConfiguration();
        configuration.setLocalCertificateChain(tls.chain);
        configuration.setPrivateKey(tls.key);
        configuration.setPeerVerifyMode(QSslSocket::VerifyNone); // clients are known by HELLO, not certificates
        configuration.setProtocol(QSsl::TlsV1_2OrLater);
        delete m_tcp;
        m_tcp = new TlsServer(configuration, this);
        // A TlsServer's connections become pending after their handshake, long after
        // newConnection() (emitted on accept) has been.
        connect(m_tcp, &QTcpServer::pendingConnectionAvailable, this, &HttpFrontDoor::onNewConnection);
        // SecureMode only makes QWebSocket::requestUrl() say wss://; the server it would
        // listen with is never used.
        delete m_ws;
        m_ws = new QWebSocketServer(QStringLiteral("constellate-server"), QWebSocketServer::SecureMode, this);
        forwardUpgrades(this, m_ws);
        m_tls = true;
    }
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

QTcpSocket* HttpFrontDoor::takePlainSocket(const QWebSocket* socket)
{
    auto it = m_handedOver.find({socket->peerAddress().toString(), socket->peerPort()});
    if (it == m_handedOver.end())
        return nullptr;
    QTcpSocket* tcp = it->second.data();
    m_handedOver.erase(it);
    return tcp;
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
        if (!socket->inherits("QSslSocket")) {
            const std::pair<QString, quint16> key(socket->peerAddress().toString(), socket->peerPort());
            m_handedOver[key] = socket;
            connect(socket, &QObject::destroyed, this, [this, key] {
                auto it = m_handedOver.find(key);
                if (it != m_handedOver.end() && it->second.isNull())
                    m_handedOver.erase(it);
            });
        }
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
