#include "hostedserver.h"

#include "roomstore.h"

#include <QMetaObject>
#include <QSemaphore>
#include <QThread>

namespace constellate::ui {

HostedServer::~HostedServer()
{
    stop();
}

bool HostedServer::start(const net::ServerOptions& options, QString* error, const std::optional<RoomSeed>& seed,
                         QString* ownerToken, QObject* context, RoomListener listener)
{
    stop();
    m_thread = new QThread;
    m_thread->setObjectName(QStringLiteral("hosted-server"));
    m_context = new QObject;
    m_context->moveToThread(m_thread);
    m_thread->start();
    bool ok = false;
    QString why;
    quint16 port = 0;
    net::SyncServer* server = nullptr;
    QMetaObject::invokeMethod(
        m_context,
        [&] {
            server = new net::SyncServer(options);
            if (listener && context)
                QObject::connect(server, &net::SyncServer::roomChanged, context, listener, Qt::QueuedConnection);
            ok = server->start(&why);
            // The seed's room is made (and its store closed) here, after the server listens
            // (a port that is taken leaves no room behind) and before this thread's event
            // loop lets any HELLO in. The server opens rooms on its storage thread, lazily.
            if (ok && seed) {
                std::unique_ptr<net::RoomStore> store
                    = net::RoomStore::create(options.dataDir, seed->room, seed->owner, &why, seed->snapshot);
                std::optional<QString> token;
                if (store && store->setMember(seed->owner, net::RoomRole::Owner, seed->ownerName, &why)
                    && (seed->accessKey.isEmpty() || store->setAccessKey(seed->accessKey, &why)))
                    token = store->createOwnerToken(seed->owner, &why);
                ok = token.has_value();
                if (ok && ownerToken)
                    *ownerToken = *token;
            }
            if (ok) {
                port = server->port();
            } else {
                delete server;
                server = nullptr;
            }
        },
        Qt::BlockingQueuedConnection);
    if (!ok) {
        if (error)
            *error = why;
        stop();
        return false;
    }
    m_server = server;
    m_port = port;
    return true;
}

void HostedServer::stop()
{
    if (!m_thread)
        return;
    if (m_server) {
        // Shut down on the server's thread and wait until it says it is done: the last
        // group commit is on disk and every peer has its close frame.
        QSemaphore done;
        net::SyncServer* server = m_server;
        QMetaObject::invokeMethod(m_context, [server, &done] {
            server->shutdown([server, &done] {
                // Not deleted here: this runs inside one of the server's own timers. The
                // thread deletes it when it finishes (deferred deletes run then).
                server->deleteLater();
                done.release();
            });
        });
        done.acquire();
        m_server = nullptr;
    }
    m_context->deleteLater();
    m_context = nullptr;
    m_thread->quit();
    m_thread->wait();
    delete m_thread;
    m_thread = nullptr;
    m_port = 0;
}

} // namespace constellate::ui
