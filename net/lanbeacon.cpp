#include "lanbeacon.h"

#include <QNetworkInterface>
#include <QTimer>
#include <QUdpSocket>

#include <algorithm>

namespace constellate::net {

LanBeacon::LanBeacon(LanBeaconOptions options, QObject* parent)
    : QObject(parent), m_options(std::move(options)), m_socket(new QUdpSocket(this)), m_timer(new QTimer(this))
{
    m_options.intervalMs = std::clamp<int>(m_options.intervalMs, int(LanAnnouncement::MinIntervalMs),
                                           int(LanAnnouncement::MaxIntervalMs));
    connect(m_timer, &QTimer::timeout, this, &LanBeacon::send);
}

LanBeacon::~LanBeacon()
{
    stop();
}

QList<QHostAddress> LanBeacon::broadcastAddresses()
{
    QList<QHostAddress> out;
    for (const QNetworkInterface& i : QNetworkInterface::allInterfaces()) {
        const auto flags = i.flags();
        if (!flags.testFlag(QNetworkInterface::IsUp) || !flags.testFlag(QNetworkInterface::IsRunning)
            || !flags.testFlag(QNetworkInterface::CanBroadcast) || flags.testFlag(QNetworkInterface::IsLoopBack))
            continue;
        for (const QNetworkAddressEntry& e : i.addressEntries()) {
            const QHostAddress b = e.broadcast();
            if (e.ip().protocol() == QAbstractSocket::IPv4Protocol && !b.isNull() && !out.contains(b))
                out.append(b);
        }
    }
    return out;
}

void LanBeacon::announce(LanAnnouncement announcement)
{
    announcement.intervalMs = std::uint32_t(m_options.intervalMs);
    announcement.leaving = false;
    const bool changed = !m_announcing || !(announcement == m_announcement);
    m_announcement = std::move(announcement);
    m_announcing = true;
    if (changed) {
        send();
        m_timer->start(m_options.intervalMs); // the next one a full interval after this
    }
}

void LanBeacon::stop()
{
    if (!m_announcing)
        return;
    m_timer->stop();
    m_announcement.leaving = true;
    send();
    m_announcing = false;
}

void LanBeacon::send()
{
    const std::string bytes = encodeLanAnnouncement(m_announcement);
    const QByteArray datagram(bytes.data(), qsizetype(bytes.size()));
    m_lastTargets = m_options.targets.isEmpty() ? broadcastAddresses() : m_options.targets;
    QString trouble;
    if (m_lastTargets.isEmpty())
        trouble = tr("no network interface to announce the session on");
    for (const QHostAddress& to : std::as_const(m_lastTargets)) {
        if (m_socket->writeDatagram(datagram, to, m_options.port) == datagram.size())
            ++m_sent;
        else
            trouble = tr("cannot announce the session to %1: %2").arg(to.toString(), m_socket->errorString());
    }
    if (trouble != m_lastProblem) {
        m_lastProblem = trouble;
        if (!trouble.isEmpty())
            Q_EMIT problem(trouble);
    }
}

} // namespace constellate::net
