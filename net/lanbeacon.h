#pragma once

#include "lanannouncement.h"

#include <QHostAddress>
#include <QList>
#include <QObject>
#include <QString>

class QTimer;
class QUdpSocket;

namespace constellate::net {

/// Where and how often a LanBeacon sends.
struct LanBeaconOptions {
    quint16 port = LanDiscoveryPort; ///< the UDP port browsers listen on
    /// Where the datagrams go. Empty: the broadcast address of every IPv4 interface that is
    /// up, can broadcast and is not loopback, looked up again at every beacon (interfaces
    /// come and go). Tests name a loopback address or their own namespace's interface here.
    QList<QHostAddress> targets;
    int intervalMs = 2000;
};

/// Announces one hosted session on the LAN: a LanAnnouncement datagram every intervalMs,
/// and at once when it changes (someone joined, a key was set). stop() sends a last one
/// marked leaving, so browsers drop the session without waiting for it to expire. Sends
/// only; lives on one thread with an event loop.
class LanBeacon : public QObject {
    Q_OBJECT
public:
    explicit LanBeacon(LanBeaconOptions options, QObject* parent = nullptr);
    ~LanBeacon() override;

    /// Starts (or goes on) announcing `announcement` (its intervalMs is set from the
    /// options); sends at once when it differs from the last one sent.
    void announce(LanAnnouncement announcement);
    /// Sends the leaving beacon and stops.
    void stop();
    bool isAnnouncing() const { return m_announcing; }
    const LanAnnouncement& announcement() const { return m_announcement; }
    /// Datagrams handed to the network so far (one per target per beacon).
    quint64 sentCount() const { return m_sent; }
    /// Where the last beacon went (the interfaces' broadcast addresses, or the targets).
    const QList<QHostAddress>& lastTargets() const { return m_lastTargets; }
    /// The broadcast addresses of the IPv4 interfaces that are up, can broadcast and are
    /// not loopback: where a beacon without targets goes.
    static QList<QHostAddress> broadcastAddresses();

Q_SIGNALS:
    /// A datagram could not be sent (no route, no interface): says why, once per change.
    void problem(const QString& message);

private:
    void send();

    LanBeaconOptions m_options;
    LanAnnouncement m_announcement;
    QUdpSocket* m_socket = nullptr;
    QTimer* m_timer = nullptr;
    bool m_announcing = false;
    quint64 m_sent = 0;
    QList<QHostAddress> m_lastTargets;
    QString m_lastProblem;
};

} // namespace constellate::net
