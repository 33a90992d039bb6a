#pragma once

#include "syncserver.h"

#include <QString>

#include <memory>

class QThread;

namespace constellate::ui {

/// Host mode's server: a net::SyncServer that lives on a thread of its own, so that the
/// editor's frames (a long paint, a modal dialog, a layout step) never stall the peers. The
/// server is made, started, shut down and destroyed on that thread; this object is used
/// from the UI thread only and waits for those steps.
class HostedServer {
public:
    HostedServer() = default;
    /// Shuts the server down (what is pending is committed, peers get a close frame with a
    /// reason) and stops its thread.
    ~HostedServer();
    HostedServer(const HostedServer&) = delete;
    HostedServer& operator=(const HostedServer&) = delete;

    /// Starts the server on its thread; false with `error` set when it cannot listen.
    bool start(const net::ServerOptions& options, QString* error);
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
