#pragma once

#include "syncserver.h"

#include <QString>

#include "types.h"

#include <functional>
#include <memory>
#include <optional>
#include <string>

class QThread;

namespace constellate::ui {

/// Host mode's server: a net::SyncServer that lives on a thread of its own, so that the
/// editor's frames (a long paint, a modal dialog, a layout step) never stall the peers. The
/// server is made, started, shut down and destroyed on that thread; this object is used
/// from the UI thread only and waits for those steps.
class HostedServer {
public:
    /// A room made as the server starts, before any connection is let in: a copy hosted
    /// after a handover, which starts as the replica's own snapshot (every operation with
    /// its id and stamps, so that the others' version-vector sync sends only what it lacks).
    struct RoomSeed {
        QString room;
        UserId owner = 0;       ///< the room's owner (this editor's user)
        QString ownerName;
        std::string snapshot;   ///< GraphDocument::encodeSnapshot()
        QString accessKey;      ///< the room's access key, empty for none
    };
    /// Who is in a hosted room and whether it needs a key (SyncServer::roomChanged), told
    /// on the thread that called start().
    using RoomListener = std::function<void(const QString& room, int people, bool accessKey, quint64 epoch)>;

    HostedServer() = default;
    /// Shuts the server down (what is pending is committed, peers get a close frame with a
    /// reason) and stops its thread.
    ~HostedServer();
    HostedServer(const HostedServer&) = delete;
    HostedServer& operator=(const HostedServer&) = delete;

    /// Starts the server on its thread; false with `error` set when it cannot listen (or
    /// cannot make the seed's room). With `seed`, its room is created first and `ownerToken`
    /// receives the owner's token. `listener` (optional) hears of the rooms' changes on the
    /// caller's thread while `context` lives.
    bool start(const net::ServerOptions& options, QString* error, const std::optional<RoomSeed>& seed = std::nullopt,
               QString* ownerToken = nullptr, QObject* context = nullptr, RoomListener listener = {});
    bool isRunning() const { return m_server != nullptr; }
    /// The port it listens on (the one asked for, or the one picked for port 0).
    quint16 port() const { return m_port; }
    void stop();

private:
    QThread* m_thread = nullptr;
    QObject* m_context = nullptr; ///< lives on m_thread: where calls into the server are queued
    net::SyncServer* m_server = nullptr; ///< lives on m_thread
    quint16 m_port = 0;
};

} // namespace constellate::ui
