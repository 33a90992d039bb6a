#pragma once

#include "graphdata.h"
#include "graphdocument.h"
#include "hostedserver.h"
#include "lanbeacon.h"
#include "lanbrowser.h"
#include "syncclient.h"
#include "undohistory.h"

#include <QHostAddress>
#include <QObject>
#include <QString>
#include <QUrl>

#include <memory>
#include <optional>
#include <set>
#include <vector>

namespace constellate::ui {

/// Who this editor's user is in a room: what the profile remembers (QSettings).
struct Profile {
    UserId user = 0;
    QString name;
    Rgba color = 0;
    /// A colour from the user id, for a profile that has not chosen one: well apart hues,
    /// the same for the same user on every machine.
    static Rgba defaultColor(UserId user);
};

/// What one editor window edits: a GraphDocument, alone (a file) or in a room (joined, or
/// hosted: the sync server runs inside the editor, on a thread of its own, and this editor
/// joins it like any other). It keeps the user's undo history and selection, and turns
/// the network's news into signals the window and its view listen to. Tests drive it
/// without a window. Lives on the UI thread, like the document.
class EditorSession : public QObject {
    Q_OBJECT
public:
    struct HostOptions {
        quint16 port = 7878;            ///< 0: any free port (see hostedPort())
        QHostAddress bind = QHostAddress::Any;
        QString dataDir;                ///< the hosted rooms' SQLite files
        /// Announce the session on the LAN (a UDP beacon, net/lanbeacon.h). Off unless
        /// asked: the editor asks unless --no-announce or the Session menu say otherwise;
        /// tests that turn it on point `beacon` at loopback.
        bool announce = false;
        net::LanBeaconOptions beacon;   ///< where the beacon goes and how often
    };

    /// The replica is new for each document.
    explicit EditorSession(Profile profile, QObject* parent = nullptr);
    ~EditorSession() override;

    GraphDocument& document() { return *m_document; }
    const GraphDocument& document() const { return *m_document; }
    /// Null while not in a room.
    net::SyncClient* client() const { return m_client.get(); }
    bool isHosting() const { return m_server != nullptr; }
    quint16 hostedPort() const;
    /// The room's address (ws://...), empty when not in one.
    QUrl roomUrl() const { return m_url; }
    /// The file this document came from or was saved to (empty: none).
    QString filePath() const { return m_filePath; }
    void setFilePath(const QString& path);
    const Profile& profile() const { return m_profile; }
    /// A new name or colour: told to the room on the next join (the protocol sends both
    /// in HELLO), kept for later sessions by the caller.
    void setProfile(const Profile& profile);

    /// Opens a graph file alone (no room). False with `error` set on a bad file; the
    /// current document stays then.
    bool openFile(const QString& path, QString* error);
    /// Replaces the document with an empty one, alone (File > New).
    void newDocument();
    /// Adopts `document` (loaded elsewhere: a file task, a recovery) as the document,
    /// alone.
    void adoptDocument(std::unique_ptr<GraphDocument> document, const QString& filePath);
    /// Starts the server in this process and joins the room named after `file` (its base
    /// name), creating it from the file the first time; later hosts of the same file with
    /// the same data directory continue the room as it was. An empty `file` hosts the
    /// current document as the room "untitled" (or the file's name, if it has one).
    bool host(const QString& file, const HostOptions& options, QString* error);
    /// Joins a room at ws://HOST:PORT/rooms/NAME (or wss://).
    bool join(const QUrl& url, const QString& accessKey, QString* error);
    /// Leaves the room (and stops the server when hosting); the document stays, alone.
    void leave();

    // ---- LAN sessions and handover (docs/architecture.md, "LAN sessions and handover") ----
    /// Announces a hosted session on the LAN, or stops (a leaving beacon). Takes effect at
    /// once when hosting, else at the next host.
    void setAnnounce(bool on);
    /// The beacon of the session hosted now (null when not hosting or not announcing).
    const net::LanBeacon* beacon() const { return m_beacon.get(); }
    /// Beacons this session watches while a guest: when its host is lost and another one
    /// announces the same room continued from a copy, handoverOffered() says so. The
    /// browser must outlive this session or be unwatched (nullptr) first.
    void watchLan(const net::LanBrowser* browser);
    /// The LAN id of the room this editor is in (net::lanRoomId of its epoch), 0 if none yet.
    std::uint64_t roomId() const;
    /// True when a guest's connection to its host is lost (hostLost() said so) and not back.
    bool hostIsLost() const { return m_hostLost; }
    /// A guest whose host is gone hosts the room from this copy: a server starts in this
    /// editor with a room of the same name made from this document's snapshot (ids, stamps
    /// and everyone's operations kept: a new epoch), this editor's connection moves to it,
    /// and its beacon says which room it continues. In DATA_DIR/handover/<time>-<room>-<id>.
    bool hostFromCopy(const HostOptions& options, QString* error);
    /// A guest follows its room to another host (handoverOffered()'s session) keeping this
    /// copy: pending edits and all; the two merge by version vector.
    bool moveToHost(const QUrl& url, QString* error);


    /// False for a viewer of a room (the server would refuse their edits), and for a
    /// read-only session.
    bool canEdit() const
    {
        return !m_readOnly && (!m_client || m_client->role() != net::protocol::Role::Viewer);
    }
    /// A session whose document is only looked at (a version's preview): no editing tools.
    void setReadOnly(bool readOnly) { m_readOnly = readOnly; }

    // ---- editing: every method is one undo step, applied at once, sent when in a room ----
    /// Commits a transaction the caller built on document().begin() as one undo step.
    Transaction commit(TransactionBuilder& builder, const QString& description);
    /// A transaction already applied to the document elsewhere (an import task): sent and
    /// recorded as one undo step.
    void submitApplied(const Transaction& transaction, const std::vector<LocalChange>& changes,
                       const QString& description);
    EntityId addNode(Vec3 position, const std::string& label);
    /// An edge from `source` to `target` (nothing when they are the same or one is gone).
    std::optional<EntityId> connectNodes(EntityId source, EntityId target, bool directed);
    /// Deletes the entities (a node's edges disappear with it).
    void deleteEntities(const std::vector<EntityId>& ids);
    /// Writes a field of several entities in one step ("Change Color").
    void setField(const std::vector<EntityId>& ids, const FieldRef& field, const Value& value,
                  const QString& description);
    /// The end of a drag (or a layout): the final positions, one undo step, named
    /// `description` ("Auto-Layout") or, when empty, "Move Node" / "Move N Nodes".
    void moveNodes(const std::vector<std::pair<EntityId, Vec3>>& positions, const QString& description = {});
    /// Annotates each of `targets` (nodes or edges) with a tag, highlight or comment: one
    /// undo step. Returns the new annotations' ids (none for targets that are gone).
    std::vector<EntityId> annotate(const std::vector<EntityId>& targets, AnnotationKind kind,
                                   const std::string& text, Rgba color);
    /// Writes back this user's values that others replaced (a conflict notice's "Restore
    /// mine"): one undo step.
    void restoreMine(const std::vector<Conflict>& conflicts);

    bool canUndo() const { return m_undo->canUndo(); }
    bool canRedo() const { return m_undo->canRedo(); }
    QString undoText() const { return QString::fromStdString(m_undo->undoText()); }
    QString redoText() const { return QString::fromStdString(m_undo->redoText()); }
    void undo();
    void redo();

    // ---- selection (this user's; told to the room as presence) ---------------------------
    const std::vector<EntityId>& selection() const { return m_selection; }
    void setSelection(std::vector<EntityId> ids);
    /// The display name of a user of this document (a peer's, or "you"); for notices.
    QString userName(UserId user) const;

    /// One line for a status bar: where, connection state, people, round trip.
    QString statusText() const;
    /// True when the document changed since it was last saved or opened.
    bool isModified() const { return m_modified; }
    void setModified(bool modified);

Q_SIGNALS:
    void documentReset();
    void nodesChanged(const std::vector<EntityId>& ids);
    void edgesChanged(const std::vector<EntityId>& ids);
    /// Annotations may have appeared, changed or gone (an annotation was written, or a
    /// node or an edge it hangs on was deleted or restored): re-read them.
    void annotationsChanged();
    /// Any change of the document (after nodesChanged/edgesChanged).
    void documentEdited();
    void statusChanged();
    void selectionChanged();
    void undoStateChanged();
    void modifiedChanged(bool modified);
    /// Something the user must read (a refused join, a lost room): a dialog.
    void message(const QString& text);
    /// Something worth a glance (someone joined, an undo skipped a field): a passing notice.
    void notice(const QString& text);
    /// Another user's write replaced some of this user's (offer "Restore mine").
    void conflicts(const std::vector<constellate::Conflict>& conflicts, const QString& text);
    void peersChanged();
    /// A remote cursor, VR pose or drag moved: redraw.
    void presenceMoved();
    /// A large room arriving (joining) or a large edit leaving: bytes so far of `total`.
    void transferProgress(const QString& what, quint64 done, quint64 total);
    /// A guest lost its host (the host quit, or the network went): editing goes on with
    /// this copy; offer hostFromCopy().
    void hostLost(const QString& text);
    /// The host is back (the connection is online again): offers made since are void.
    void hostRegained();
    /// Another host announces this room continued from their copy (the beacon's
    /// `continues` is roomId()): offer moveToHost(session.url()).
    void handoverOffered(const constellate::net::LanSession& session);

private:
    void startClient(net::SyncClientOptions options);
    void onDocumentChanged(const net::DocumentChange& change);
    void reportLocal(const Transaction& t);
    void send(const Transaction& t);
    void resetDocument(std::unique_ptr<GraphDocument> document = nullptr);
    void afterUndoRedo(std::optional<UndoOutcome> outcome, bool undo);
    void pruneSelection();
    void onClientState(net::SyncClient::State state);
    void onRoomChanged(const QString& room, int people, bool accessKey, quint64 epoch);
    void updateBeacon();
    void checkHandovers();
    /// The hosted server's start, and this editor's connection to it (host and hostFromCopy).
    bool startServer(const HostOptions& options, const net::ServerOptions& serverOptions,
                     const std::optional<HostedServer::RoomSeed>& seed, QString* ownerToken, QString* error);

    Profile m_profile;
    std::unique_ptr<GraphDocument> m_document;
    mutable std::optional<std::pair<std::size_t, std::size_t>> m_counts; ///< visible nodes and edges (statusText)
    std::unique_ptr<UndoHistory> m_undo;
    std::unique_ptr<HostedServer> m_server;
    std::unique_ptr<net::SyncClient> m_client;
    QUrl m_url;
    QString m_ownerTokenKey; ///< where the profile keeps this room's owner token
    QString m_filePath;
    QString m_importOnCreate; ///< hosting a new room: the file imported once it exists
    std::optional<GraphData> m_uploadOnCreate; ///< hosting a new room from the open document
    std::vector<EntityId> m_selection;
    bool m_modified = false;
    bool m_readOnly = false;

    // LAN sessions and handover
    bool m_announce = false;
    net::LanBeaconOptions m_beaconOptions;
    std::unique_ptr<net::LanBeacon> m_beacon;
    std::uint64_t m_hostId = 0;     ///< the beacon's, new per hosted session
    std::uint64_t m_continues = 0;  ///< the roomId a hosted copy continues (0: none)
    struct HostedRoom {
        int people = 0;
        bool accessKey = false;
        quint64 epoch = 0;          ///< 0 until the room is open
    } m_hostedRoom;
    const net::LanBrowser* m_lan = nullptr;
    QMetaObject::Connection m_lanConnection;
    bool m_wasOnline = false;       ///< this connection reached Online (a later loss is the host's)
    bool m_hostLost = false;
    std::set<std::uint64_t> m_offeredHosts; ///< handover beacons already offered, by host id
};

} // namespace constellate::ui
