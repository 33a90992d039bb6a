#include "editorsession.h"

#include "documentio.h"
#include "formats.h"
#include "identity.h"
#include "roomstore.h"
#include "syncserver.h"

#include <QFileInfo>
#include <QRegularExpression>

namespace constellate::ui {

namespace {

/// A room name from a file's base name: letters, digits, '-', '_', '.', at most 128.
QString roomNameFor(const QString& file)
{
    QString name = file.isEmpty() ? QStringLiteral("untitled") : QFileInfo(file).completeBaseName();
    name.replace(QRegularExpression(QStringLiteral("[^A-Za-z0-9._-]")), QStringLiteral("-"));
    name.truncate(128);
    return name.isEmpty() ? QStringLiteral("untitled") : name;
}

} // namespace

EditorSession::EditorSession(UserId userId, QString displayName, QObject* parent)
    : QObject(parent), m_user(userId), m_name(std::move(displayName))
{
    resetDocument();
}

EditorSession::~EditorSession()
{
    leave();
}

void EditorSession::resetDocument()
{
    m_document = std::make_unique<GraphDocument>(newReplicaId(), m_user);
}

quint16 EditorSession::hostedPort() const
{
    return m_server ? m_server->port() : 0;
}

bool EditorSession::openFile(const QString& path, QString* error)
{
    auto next = std::make_unique<GraphDocument>(newReplicaId(), m_user);
    try {
        importGraphFile(*next, path.toStdString());
    } catch (const std::exception& e) {
        if (error)
            *error = QString::fromStdString(e.what());
        return false;
    }
    leave();
    m_document = std::move(next);
    Q_EMIT documentReset();
    Q_EMIT statusChanged();
    return true;
}

bool EditorSession::host(const QString& file, const HostOptions& options, QString* error)
{
    if (!file.isEmpty() && formatFromPath(file.toStdString()) == GraphFormat::Unknown) {
        if (error)
            *error = QStringLiteral("cannot tell the format of '%1' from its extension").arg(file);
        return false;
    }
    if (!file.isEmpty() && !QFileInfo::exists(file)) {
        if (error)
            *error = QStringLiteral("%1: no such file").arg(file);
        return false;
    }
    leave();
    net::ServerOptions so;
    so.bind = options.bind;
    so.port = options.port;
    so.dataDir = options.dataDir;
    auto server = std::make_unique<net::SyncServer>(so);
    QString why;
    if (!server->start(&why)) {
        if (error)
            *error = QStringLiteral("cannot host: %1").arg(why);
        return false;
    }
    m_server = std::move(server);
    const QString room = roomNameFor(file);
    const bool exists = QFileInfo::exists(net::RoomStore::roomsDir(options.dataDir) + QLatin1Char('/') + room
                                          + QStringLiteral(".sqlite"));
    m_importOnCreate = exists ? QString() : file;
    resetDocument();
    Q_EMIT documentReset();
    net::SyncClientOptions co;
    co.url = QUrl(QStringLiteral("ws://127.0.0.1:%1/rooms/%2").arg(m_server->port()).arg(room));
    co.displayName = m_name.toStdString();
    co.createRoom = !exists;
    co.role = net::protocol::Role::Owner;
    co.recreateIfGone = false;
    co.watchNetwork = false; // the server is in this process
    // The host's own connection goes through loopback; others use this machine's address.
    startClient(co);
    return true;
}

bool EditorSession::join(const QUrl& url, const QString& accessKey, QString* error)
{
    const QString path = url.path();
    if (!url.isValid() || (url.scheme() != QLatin1String("ws") && url.scheme() != QLatin1String("wss"))
        || !path.startsWith(QLatin1String("/rooms/")) || !net::RoomStore::isValidRoomName(path.mid(7))) {
        if (error)
            *error = QStringLiteral("a room's address is ws://HOST:PORT/rooms/NAME, not '%1'").arg(url.toString());
        return false;
    }
    leave();
    resetDocument();
    Q_EMIT documentReset();
    net::SyncClientOptions co;
    co.url = url;
    co.displayName = m_name.toStdString();
    co.accessKey = accessKey;
    startClient(co);
    return true;
}

void EditorSession::startClient(net::SyncClientOptions options)
{
    m_url = options.url;
    m_client = std::make_unique<net::SyncClient>(*m_document, std::move(options));
    net::SyncClient* c = m_client.get();
    connect(c, &net::SyncClient::documentChanged, this, &EditorSession::onDocumentChanged);
    connect(c, &net::SyncClient::stateChanged, this, [this](net::SyncClient::State state, const QDateTime&) {
        if (state == net::SyncClient::State::Online && !m_importOnCreate.isEmpty()) {
            // Hosting a new room: the file becomes its first transaction (one undo step).
            const QString file = std::exchange(m_importOnCreate, QString());
            Transaction t;
            try {
                importGraphFile(*m_document, file.toStdString(), &t);
            } catch (const std::exception& e) {
                Q_EMIT message(QString::fromStdString(e.what()));
            }
            if (t.header().opCount > 0)
                m_client->submit(t);
            Q_EMIT documentReset();
        }
        Q_EMIT statusChanged();
    });
    connect(c, &net::SyncClient::failed, this, [this](int, const QString& text) {
        Q_EMIT message(text);
        Q_EMIT statusChanged();
    });
    connect(c, &net::SyncClient::peerJoined, this, &EditorSession::statusChanged);
    connect(c, &net::SyncClient::peerLeft, this, &EditorSession::statusChanged);
    connect(c, &net::SyncClient::roundTripTimeMeasured, this, &EditorSession::statusChanged);
    c->start();
    Q_EMIT statusChanged();
}

void EditorSession::leave()
{
    if (m_client) {
        m_client->disconnect(this);
        m_client->stop();
        m_client.reset();
    }
    if (m_server) {
        m_server.reset(); // commits what is pending
    }
    m_url.clear();
    m_importOnCreate.clear();
    Q_EMIT statusChanged();
}

Transaction EditorSession::commit(TransactionBuilder& builder)
{
    if (m_client)
        return m_client->commit(builder); // which reports the change (documentChanged)
    Transaction t = m_document->commit(builder);
    net::DocumentChange change;
    change.source = net::DocumentChange::Source::Local;
    t.forEachOp([&](std::uint32_t index, const Operation& op) {
        change.entities.push_back(op.type == OpType::SetField || op.type == OpType::CreateAnnotation
                                      ? op.target
                                      : t.header().opId(index));
    });
    onDocumentChanged(change);
    return t;
}

EntityId EditorSession::addNode(Vec3 position, const std::string& label)
{
    TransactionBuilder b = m_document->begin();
    FieldValue at;
    at.ref.field = Field::Position;
    at.value = Value(position);
    FieldValue name;
    name.ref.field = Field::Label;
    name.value = Value(label);
    const EntityId id = b.createNode({at, name});
    commit(b);
    return id;
}

void EditorSession::onDocumentChanged(const net::DocumentChange& change)
{
    if (change.everything) {
        Q_EMIT documentReset();
        return;
    }
    std::vector<EntityId> nodes, edges;
    for (const EntityId id : change.entities) {
        const GraphDocument::Entity* e = m_document->entity(id);
        if (!e)
            continue;
        if (e->kind == EntityKind::Node)
            nodes.push_back(id);
        else if (e->kind == EntityKind::Edge)
            edges.push_back(id);
    }
    if (!nodes.empty())
        Q_EMIT nodesChanged(nodes);
    if (!edges.empty())
        Q_EMIT edgesChanged(edges);
}

QString EditorSession::statusText() const
{
    const QString counts = QStringLiteral("%1 nodes, %2 edges")
                               .arg(m_document->count(EntityKind::Node))
                               .arg(m_document->count(EntityKind::Edge));
    if (!m_client)
        return counts;
    QString state;
    switch (m_client->state()) {
    case net::SyncClient::State::Offline: state = QStringLiteral("offline"); break;
    case net::SyncClient::State::Connecting: state = QStringLiteral("connecting"); break;
    case net::SyncClient::State::Resyncing: state = QStringLiteral("catching up"); break;
    case net::SyncClient::State::Online: state = QStringLiteral("online"); break;
    case net::SyncClient::State::Reconnecting:
        state = QStringLiteral("reconnecting at %1").arg(m_client->nextRetry().toString(QStringLiteral("HH:mm:ss")));
        break;
    }
    QString where = m_server ? QStringLiteral("hosting ws://THIS-MACHINE:%1%2").arg(m_server->port()).arg(m_url.path())
                             : m_url.toString();
    QString text = QStringLiteral("%1 · %2 · %3 here").arg(where, state).arg(m_client->peers().size() + 1);
    if (m_client->roundTripTimes().count() > 0)
        text += QStringLiteral(" · round trip %1 ms").arg(m_client->roundTripTimes().median(), 0, 'f', 1);
    return text + QStringLiteral(" · ") + counts;
}

} // namespace constellate::ui
