#pragma once

#include "lanannouncement.h"

#include <QHostAddress>
#include <QObject>
#include <QString>
#include <QUrl>

#include <cstdint>
#include <vector>

class QTimer;
class QUdpSocket;

namespace constellate::net {

/// A hosted session seen on the LAN: its latest beacon and where it came from.
struct LanSession {
    LanAnnouncement announcement;
    QHostAddress address;     ///< the beacon's sender: the host's address on this network
    std::int64_t lastSeenMs = 0; ///< LanBrowser::nowMs() when the latest beacon arrived
    /// ws://ADDRESS:PORT/rooms/ROOM (wss:// for a secure one).
    QUrl url() const;
};

/// Where a LanBrowser listens.
struct LanBrowserOptions {
    quint16 port = LanDiscoveryPort;
    /// Any IPv4 address by default (broadcasts arrive there); tests bind loopback. The port
    /// is shared, so that several editors on one machine all hear the beacons.
    QHostAddress bind = QHostAddress::AnyIPv4;
    std::size_t maxSessions = 256; ///< more are ignored until some expire (a flood stays bounded)
};

/// Listens for LanBeacon datagrams and keeps the list of sessions they announce. A session
/// expires when three of its beacons in a row are missed, and goes at once on a leaving
/// beacon. Malformed datagrams are counted and dropped. Receives only (it sends nothing);
/// lives on one thread with an event loop.
class LanBrowser : public QObject {
    Q_OBJECT
public:
    explicit LanBrowser(LanBrowserOptions options = {}, QObject* parent = nullptr);
    ~LanBrowser() override;

    /// Binds the port; false with `error` set when it cannot (then nothing is found).
    bool start(QString* error);
    /// Options for the next start() (tests move a window's browser to loopback).
    void setOptions(const LanBrowserOptions& options) { m_options = options; }
    void stop();
    bool isListening() const;
    quint16 port() const;

    /// By host name, then room, then address.
    const std::vector<LanSession>& sessions() const { return m_sessions; }
    quint64 malformedCount() const { return m_malformed; }
    /// A monotonic clock in milliseconds (lastSeenMs).
    static std::int64_t nowMs();
    const QString& lastMalformed() const { return m_lastMalformed; }

Q_SIGNALS:
    /// The list changed: a session appeared, went, or says something new.
    void sessionsChanged();

private:
    void readPending();
    void take(const LanAnnouncement& announcement, const QHostAddress& from);
    void expire();

    LanBrowserOptions m_options;
    QUdpSocket* m_socket = nullptr;
    QTimer* m_expiry = nullptr;
    std::vector<LanSession> m_sessions;
    quint64 m_malformed = 0;
    QString m_lastMalformed;
};

} // namespace constellate::net
