#pragma once

#include "graphdocument.h"
#include "syncclient.h"

#include <QHostAddress>
#include <QObject>
#include <QString>
#include <QUrl>

#include <memory>
#include <vector>

namespace constellate::net {
class SyncServer;
}

namespace constellate::ui {

/// What one editor window edits: a GraphDocument, alone (a file) or in a room (joined, or
/// hosted: the sync server runs inside the editor and this editor joins it like any other).
/// The window and its view listen to its signals; tests drive it without a window.
class EditorSession : public QObject {
    Q_OBJECT
public:
    struct HostOptions {
        quint16 port = 7878;            ///< 0: any free port (see hostedPort())
        QHostAddress bind = QHostAddress::Any;
        QString dataDir;                ///< the hosted rooms' SQLite files
    };

    /// `userId`: the profile's (identity.h); the replica is new for each session.
    explicit EditorSession(UserId userId, QString displayName, QObject* parent = nullptr);
    ~EditorSession() override;

    GraphDocument& document() { return *m_document; }
    const GraphDocument& document() const { return *m_document; }
    /// Null while not in a room.
    net::SyncClient* client() const { return m_client.get(); }
    bool isHosting() const { return m_server != nullptr; }
    quint16 hostedPort() const;
    /// The room's address (ws://...), empty when not in one.
    QUrl roomUrl() const { return m_url; }

    /// Opens a graph file alone (no room). False with `error` set on a bad file; the
    /// current document stays then.
    bool openFile(const QString& path, QString* error);
    /// Starts the server in this process and joins the room named after `file` (its base
    /// name), creating it from the file the first time; later hosts of the same file with
    /// the same data directory continue the room as it was. An empty `file` hosts an
    /// empty room "untitled".
    bool host(const QString& file, const HostOptions& options, QString* error);
    /// Joins a room at ws://HOST:PORT/rooms/NAME.
    bool join(const QUrl& url, const QString& accessKey, QString* error);
    /// Leaves the room (and stops the server when hosting); the document stays, alone.
    void leave();

    /// An edit of this user: applied at once, and sent when in a room.
    Transaction commit(TransactionBuilder& builder);
    /// Adds a node at `position` (one undoable transaction).
    EntityId addNode(Vec3 position, const std::string& label);

    /// One line for a status bar: where, connection state, people, round trip.
    QString statusText() const;

Q_SIGNALS:
    void documentReset();
    void nodesChanged(const std::vector<EntityId>& ids);
    void edgesChanged(const std::vector<EntityId>& ids);
    void statusChanged();
    /// Something the user must read (a refused join, a lost room).
    void message(const QString& text);

private:
    void startClient(net::SyncClientOptions options);
    void onDocumentChanged(const net::DocumentChange& change);
    void resetDocument();

    UserId m_user;
    QString m_name;
    std::unique_ptr<GraphDocument> m_document;
    std::unique_ptr<net::SyncServer> m_server;
    std::unique_ptr<net::SyncClient> m_client;
    QUrl m_url;
    QString m_importOnCreate; ///< hosting a new room: the file imported once it exists
};

} // namespace constellate::ui
