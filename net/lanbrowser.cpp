#include "lanbrowser.h"

#include <QNetworkDatagram>
#include <QTimer>
#include <QUdpSocket>

#include <algorithm>
#include <chrono>
#include <tuple>

namespace constellate::net {

namespace {

/// A session whose beacons stop is dropped after three missed ones and this much more
/// (a busy machine sends late).
constexpr std::int64_t ExpirySlackMs = 500;
constexpr int ExpiryCheckMs = 250;

bool lessThan(const LanSession& a, const LanSession& b)
{
    const auto key = [](const LanSession& s) {
        return std::tie(s.announcement.hostName, s.announcement.room, s.announcement.hostId);
    };
    if (key(a) != key(b))
        return key(a) < key(b);
    return a.address.toString() < b.address.toString();
}

} // namespace

QUrl LanSession::url() const
{
    QUrl u;
    u.setScheme(announcement.secure ? QStringLiteral("wss") : QStringLiteral("ws"));
    u.setHost(address.toString());
    u.setPort(announcement.port);
    u.setPath(QStringLiteral("/rooms/") + QString::fromStdString(announcement.room));
    return u;
}

LanBrowser::LanBrowser(LanBrowserOptions options, QObject* parent)
    : QObject(parent), m_options(std::move(options)), m_expiry(new QTimer(this))
{
    connect(m_expiry, &QTimer::timeout, this, &LanBrowser::expire);
}

LanBrowser::~LanBrowser() = default;

std::int64_t LanBrowser::nowMs()
{
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

bool LanBrowser::start(QString* error)
{
    stop();
    m_socket = new QUdpSocket(this);
    if (!m_socket->bind(m_options.bind, m_options.port, QUdpSocket::ShareAddress | QUdpSocket::ReuseAddressHint)) {
        if (error)
            *error = tr("cannot listen for sessions on UDP port %1: %2").arg(m_options.port).arg(m_socket->errorString());
        delete m_socket;
        m_socket = nullptr;
        return false;
    }
    connect(m_socket, &QUdpSocket::readyRead, this, &LanBrowser::readPending);
    m_expiry->start(ExpiryCheckMs);
    return true;
}

void LanBrowser::stop()
{
    m_expiry->stop();
    delete m_socket;
    m_socket = nullptr;
    if (!m_sessions.empty()) {
        m_sessions.clear();
        Q_EMIT sessionsChanged();
    }
}

bool LanBrowser::isListening() const
{
    return m_socket != nullptr;
}

quint16 LanBrowser::port() const
{
    return m_socket ? m_socket->localPort() : 0;
}

void LanBrowser::readPending()
{
    while (m_socket && m_socket->hasPendingDatagrams()) {
        // Larger datagrams are cut to one byte more than a beacon may be, so the decoder
        // refuses them for their size without this reading more.
        const QNetworkDatagram d = m_socket->receiveDatagram(qint64(LanAnnouncement::MaxDatagramBytes) + 1);
        const QByteArray bytes = d.data();
        std::string why;
        std::optional<LanAnnouncement> a
            = decodeLanAnnouncement(std::string_view(bytes.constData(), std::size_t(bytes.size())), &why);
        if (!a) {
            ++m_malformed;
            m_lastMalformed = QString::fromStdString(why);
            continue;
        }
        QHostAddress from = d.senderAddress();
        // An IPv4 sender seen through a dual-stack socket: keep the plain IPv4 form for URLs.
        bool isV4 = false;
        if (const quint32 v4 = from.toIPv4Address(&isV4); isV4)
            from = QHostAddress(v4);
        take(*a, from);
    }
}

void LanBrowser::take(const LanAnnouncement& a, const QHostAddress& from)
{
    auto it = std::find_if(m_sessions.begin(), m_sessions.end(), [&](const LanSession& s) {
        return s.announcement.hostId == a.hostId && s.address == from;
    });
    if (a.leaving) {
        if (it != m_sessions.end()) {
            m_sessions.erase(it);
            Q_EMIT sessionsChanged();
        }
        return;
    }
    if (it != m_sessions.end()) {
        it->lastSeenMs = nowMs();
        if (it->announcement == a)
            return;
        it->announcement = a;
    } else {
        if (m_sessions.size() >= m_options.maxSessions)
            return;
        m_sessions.push_back(LanSession {a, from, nowMs()});
    }
    std::sort(m_sessions.begin(), m_sessions.end(), lessThan);
    Q_EMIT sessionsChanged();
}

void LanBrowser::expire()
{
    const std::int64_t now = nowMs();
    const auto gone = std::remove_if(m_sessions.begin(), m_sessions.end(), [&](const LanSession& s) {
        return now - s.lastSeenMs > 3 * std::int64_t(s.announcement.intervalMs) + ExpirySlackMs;
    });
    if (gone == m_sessions.end())
        return;
    m_sessions.erase(gone, m_sessions.end());
    Q_EMIT sessionsChanged();
}

} // namespace constellate::net
