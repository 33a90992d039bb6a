#include "editorsession.h"

#include "documentio.h"
#include "formats.h"
#include "hostedserver.h"
#include "identity.h"
#include "roomcommand.h"
#include "roomstore.h"

#include <QColor>
#include <QDateTime>
#include <QFileInfo>
#include <QRandomGenerator>
#include <QRegularExpression>
#include <QSettings>

#include <algorithm>
#include <set>

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

FieldRef ref(Field f)
{
    return {f, {}};
}

/// Where the profile keeps the owner token of a room hosted from `dataDir` (the port may
/// change between runs, so it is not part of the key).
QString hostedTokenKey(const QString& dataDir, const QString& room)
{
    QString key = QFileInfo(dataDir).absoluteFilePath() + QLatin1Char('|') + room;
    key.replace(QLatin1Char('/'), QLatin1Char('|'));
    return QStringLiteral("hostedOwnerTokens/") + key;
}

/// The host's name as a beacon carries it: no control characters, at most 64 bytes of
/// UTF-8 (cut between characters), never empty.
std::string beaconName(const QString& name)
{
    QString clean;
    for (const QChar c : name)
        if (!c.isNonCharacter() && c.category() != QChar::Other_Control)
            clean += c;
    std::string out = clean.trimmed().toStdString();
    if (out.size() > net::LanAnnouncement::MaxHostNameBytes) {
        std::size_t cut = net::LanAnnouncement::MaxHostNameBytes;
        while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xc0) == 0x80)
            --cut;
        out.resize(cut);
    }
    return out.empty() || !net::protocol::isValidName(out) ? std::string("someone") : out;
}

std::uint64_t randomNonZero()
{
    std::uint64_t v = 0;
    while (v == 0)
        v = QRandomGenerator::system()->generate64();
    return v;
}

/// The entities a transaction touched: created ones by their id, written ones by target.
std::vector<EntityId> touchedEntities(const Transaction& t)
{
    std::vector<EntityId> ids;
    t.forEachOp([&](std::uint32_t index, const Operation& op) {
        ids.push_back(op.type == OpType::SetField || op.type == OpType::CreateAnnotation ? op.target
                                                                                          : t.header().opId(index));
    });
    return ids;
}

/// A field as the editor's panels name it.
QString fieldName(const FieldRef& f)
{
    switch (f.field) {
    case Field::Exists: return EditorSession::tr("existence");
    case Field::Position: return EditorSession::tr("position");
    case Field::Label: return EditorSession::tr("label");
    case Field::Color: return EditorSession::tr("colour");
    case Field::Size: return EditorSession::tr("size");
    case Field::Weight: return EditorSession::tr("weight");
    case Field::Text: return EditorSession::tr("text");
    case Field::Property: return EditorSession::tr("property '%1'").arg(QString::fromStdString(f.property));
    }
    return {};
}

} // namespace

Rgba Profile::defaultColor(UserId user)
{
    // Golden-ratio steps around the hue circle keep neighbouring ids apart; saturation and
    // value stay where the colour reads on the dark background and under white text.
    const double hue = std::fmod(double(user % 100'003) * 0.618033988749895, 1.0);
    const QColor c = QColor::fromHsvF(float(hue), 0.65f, 0.95f);
    return (Rgba(c.red()) << 24) | (Rgba(c.green()) << 16) | (Rgba(c.blue()) << 8) | 0xffu;
}

EditorSession::EditorSession(Profile profile, QObject* parent) : QObject(parent), m_profile(std::move(profile))
{
    if (m_profile.color == 0)
        m_profile.color = Profile::defaultColor(m_profile.user);
    // Counting is a pass over the document: done again only when something came or went.
    connect(this, &EditorSession::documentReset, this, [this] { m_counts.reset(); });
    resetDocument();
}

EditorSession::~EditorSession()
{
    leave();
}

void EditorSession::resetDocument(std::unique_ptr<GraphDocument> document)
{
    m_undo.reset();
    m_document = document ? std::move(document) : std::make_unique<GraphDocument>(newReplicaId(), m_profile.user);
    m_counts.reset();
    m_undo = std::make_unique<UndoHistory>(*m_document);
    m_selection.clear();
    Q_EMIT selectionChanged();
    Q_EMIT undoStateChanged();
}

quint16 EditorSession::hostedPort() const
{
    return m_server ? m_server->port() : 0;
}

void EditorSession::setFilePath(const QString& path)
{
    m_filePath = path;
    Q_EMIT statusChanged();
}

void EditorSession::setProfile(const Profile& profile)
{
    m_profile = profile;
    if (m_profile.color == 0)
        m_profile.color = Profile::defaultColor(m_profile.user);
    Q_EMIT statusChanged();
}

void EditorSession::setModified(bool modified)
{
    if (m_modified == modified)
        return;
    m_modified = modified;
    Q_EMIT modifiedChanged(modified);
}

bool EditorSession::openFile(const QString& path, QString* error)
{
    auto next = std::make_unique<GraphDocument>(newReplicaId(), m_profile.user);
    try {
        importGraphFile(*next, path.toStdString());
    } catch (const std::exception& e) {
        if (error)
            *error = QString::fromStdString(e.what());
        return false;
    }
    adoptDocument(std::move(next), path);
    return true;
}

void EditorSession::newDocument()
{
    adoptDocument(nullptr, QString());
}

void EditorSession::adoptDocument(std::unique_ptr<GraphDocument> document, const QString& filePath)
{
    leave();
    resetDocument(std::move(document));
    m_filePath = filePath;
    setModified(false);
    Q_EMIT documentReset();
    Q_EMIT statusChanged();
}

bool EditorSession::host(const QString& file, const HostOptions& options, QString* error)
{
    if (!file.isEmpty() && formatFromPath(file.toStdString()) == GraphFormat::Unknown) {
        if (error)
            *error = QStringLiteral("cannot tell the format of '%1' from its extension (%2)")
                         .arg(file, QString::fromStdString(supportedFormatsText()));
        return false;
    }
    if (!file.isEmpty() && !QFileInfo::exists(file)) {
        if (error)
            *error = QStringLiteral("%1: no such file").arg(file);
        return false;
    }
    // Hosting what is open: the room starts from the open document's graph.
    std::optional<GraphData> current;
    if (file.isEmpty() && !m_client && m_document->entityCount() > 0)
        current = exportGraphData(*m_document);
    const QString room = roomNameFor(file.isEmpty() ? m_filePath : file);
    leave();
    net::ServerOptions so;
    so.bind = options.bind;
    so.port = options.port;
    so.dataDir = options.dataDir;
    if (!startServer(options, so, std::nullopt, nullptr, error))
        return false;
    const bool exists = QFileInfo::exists(net::RoomStore::roomsDir(options.dataDir) + QLatin1Char('/') + room
                                          + QStringLiteral(".sqlite"));
    m_importOnCreate = exists ? QString() : file;
    if (!exists)
        m_uploadOnCreate = std::move(current);
    if (!file.isEmpty())
        m_filePath = file;
    resetDocument();
    Q_EMIT documentReset();
    if (exists)
        Q_EMIT notice(tr("Continuing the hosted room '%1' as it was left").arg(room));
    net::SyncClientOptions co;
    // The host's own connection goes through loopback; others use this machine's address.
    co.url = QUrl(QStringLiteral("ws://127.0.0.1:%1/rooms/%2").arg(m_server->port()).arg(room));
    co.createRoom = !exists;
    // The owner token of a hosted room is kept by data directory and room; without it, a
    // room made elsewhere is joined as an editor.
    m_ownerTokenKey = hostedTokenKey(options.dataDir, room);
    co.ownerToken = QSettings().value(m_ownerTokenKey).toString().toStdString();
    co.role = exists && co.ownerToken.empty() ? net::protocol::Role::Editor : net::protocol::Role::Owner;
    co.recreateIfGone = false;
    co.watchNetwork = false; // the server is in this process
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
    m_filePath.clear();
    Q_EMIT documentReset();
    net::SyncClientOptions co;
    co.url = url;
    co.accessKey = accessKey;
    // The same key as constellate-cli's: a room created there is owned here too.
    m_ownerTokenKey = net::RoomCommand::ownerTokenKey(url);
    co.ownerToken = QSettings().value(m_ownerTokenKey).toString().toStdString();
    if (!co.ownerToken.empty())
        co.role = net::protocol::Role::Owner;
    startClient(co);
    return true;
}

void EditorSession::startClient(net::SyncClientOptions options)
{
    options.displayName = m_profile.name.toStdString();
    options.color = m_profile.color;
    m_url = options.url;
    m_client = std::make_unique<net::SyncClient>(*m_document, std::move(options));
    net::SyncClient* c = m_client.get();
    connect(c, &net::SyncClient::documentChanged, this, &EditorSession::onDocumentChanged);
    connect(c, &net::SyncClient::stateChanged, this, [this](net::SyncClient::State state, const QDateTime&) {
        onClientState(state);
        if (state == net::SyncClient::State::Online && !m_importOnCreate.isEmpty()) {
            // Hosting a new room: the file becomes its first transaction (one undo step).
            const QString file = std::exchange(m_importOnCreate, QString());
            Transaction t;
            std::vector<LocalChange> changes;
            try {
                importGraphFile(*m_document, file.toStdString(), &t, &changes);
            } catch (const std::exception& e) {
                Q_EMIT message(QString::fromStdString(e.what()));
            }
            if (t.header().opCount > 0) {
                m_undo->record(changes, tr("Import %1").arg(QFileInfo(file).fileName()).toStdString());
                m_client->submit(t);
                Q_EMIT undoStateChanged();
            }
            Q_EMIT documentReset();
        } else if (state == net::SyncClient::State::Online && m_uploadOnCreate) {
            const GraphData graph = std::move(*m_uploadOnCreate);
            m_uploadOnCreate.reset();
            TransactionBuilder b = m_document->begin();
            ImportSink sink(b);
            graph.replay(sink);
            std::vector<LocalChange> changes;
            const Transaction t = m_document->commit(b, &changes);
            m_undo->record(changes, "Host the open graph");
            m_client->submit(t);
            Q_EMIT undoStateChanged();
            Q_EMIT documentReset();
        }
        Q_EMIT statusChanged();
    });
    connect(c, &net::SyncClient::ownerTokenReceived, this, [this](const QString& token) {
        QSettings settings;
        settings.setValue(m_ownerTokenKey, token);
        settings.sync();
    });
    connect(c, &net::SyncClient::failed, this, [this](int, const QString& text) {
        Q_EMIT message(text);
        Q_EMIT statusChanged();
    });
    connect(c, &net::SyncClient::transactionRefused, this, [this](OpId, int, const QString& text) {
        Q_EMIT notice(tr("The room refused an edit: %1").arg(text));
    });
    connect(c, &net::SyncClient::peerJoined, this, [this](const net::PeerInfo& peer) {
        Q_EMIT notice(tr("%1 joined%2").arg(peer.name, peer.inVr ? tr(" in VR") : QString()));
        Q_EMIT peersChanged();
        Q_EMIT statusChanged();
    });
    connect(c, &net::SyncClient::peerLeft, this, [this](const net::PeerInfo& peer, net::protocol::LeaveReason) {
        Q_EMIT notice(tr("%1 left").arg(peer.name));
        Q_EMIT peersChanged();
        Q_EMIT presenceMoved();
        Q_EMIT statusChanged();
    });
    connect(c, &net::SyncClient::peerChanged, this, [this] {
        Q_EMIT peersChanged();
        Q_EMIT presenceMoved();
    });
    connect(c, &net::SyncClient::presenceReceived, this, &EditorSession::presenceMoved);
    connect(c, &net::SyncClient::transientPositionsChanged, this, &EditorSession::presenceMoved);
    connect(c, &net::SyncClient::roleChanged, this, &EditorSession::statusChanged);
    connect(c, &net::SyncClient::downloadProgress, this, [this](quint64 done, quint64 total) {
        Q_EMIT transferProgress(tr("Receiving the room"), done, total);
    });
    connect(c, &net::SyncClient::uploadProgress, this, [this](quint64 done, quint64 total) {
        Q_EMIT transferProgress(tr("Sending"), done, total);
    });
    connect(c, &net::SyncClient::roundTripTimeMeasured, this, &EditorSession::statusChanged);
    connect(c, &net::SyncClient::conflictsDetected, this, [this](const std::vector<Conflict>& found) {
        std::set<UserId> by;
        for (const Conflict& k : found)
            by.insert(k.byUser);
        QStringList names;
        for (UserId u : by)
            names << userName(u);
        const QString text = found.size() == 1
            ? tr("%1 changed the %2 you had just set").arg(names.join(QStringLiteral(", ")), fieldName(found.front().field))
            : tr("%1 changed %2 values you had just set").arg(names.join(QStringLiteral(", "))).arg(found.size());
        Q_EMIT conflicts(found, text);
    });
    c->start();
    Q_EMIT statusChanged();
    Q_EMIT peersChanged();
}

void EditorSession::leave()
{
    const bool wasInRoom = m_client || m_server;
    m_beacon.reset(); // its leaving beacon: browsers drop the session at once
    if (m_client) {
        m_client->disconnect(this);
        m_client->stop();
        m_client.reset();
    }
    m_server.reset(); // commits what is pending, on the server's thread
    m_hostedRoom = {};
    m_continues = 0;
    m_wasOnline = false;
    m_hostLost = false;
    m_offeredHosts.clear();
    m_url.clear();
    m_importOnCreate.clear();
    m_uploadOnCreate.reset();
    if (wasInRoom) {
        Q_EMIT peersChanged();
        Q_EMIT presenceMoved();
    }
    Q_EMIT statusChanged();
}

// ---- LAN sessions and handover -----------------------------------------------------------

bool EditorSession::startServer(const HostOptions& options, const net::ServerOptions& serverOptions,
                                const std::optional<HostedServer::RoomSeed>& seed, QString* ownerToken, QString* error)
{
    auto server = std::make_unique<HostedServer>();
    QString why;
    if (!server->start(serverOptions, &why, seed, ownerToken, this,
                       [this](const QString& room, int people, bool accessKey, quint64 epoch) {
                           onRoomChanged(room, people, accessKey, epoch);
                       })) {
        if (error)
            *error = QStringLiteral("cannot host on port %1: %2").arg(serverOptions.port).arg(why);
        return false;
    }
    m_server = std::move(server);
    m_hostId = randomNonZero();
    m_announce = options.announce;
    m_beaconOptions = options.beacon;
    m_hostedRoom = {};
    m_continues = 0;
    return true;
}

void EditorSession::onClientState(net::SyncClient::State state)
{
    if (state == net::SyncClient::State::Online) {
        m_wasOnline = true;
        if (std::exchange(m_hostLost, false)) {
            m_offeredHosts.clear();
            Q_EMIT hostRegained();
        }
        updateBeacon();
    } else if (state == net::SyncClient::State::Reconnecting && m_wasOnline && !m_server && !m_hostLost) {
        m_hostLost = true;
        const QString why = m_client->lastError();
        Q_EMIT hostLost(tr("Lost the host of '%1'%2: you go on editing your copy")
                            .arg(QString::fromStdString(m_client->roomName()),
                                 why.isEmpty() ? QString() : QStringLiteral(" (%1)").arg(why)));
        checkHandovers();
    }
}

void EditorSession::onRoomChanged(const QString& room, int people, bool accessKey, quint64 epoch)
{
    if (!m_server || !m_client || room.toStdString() != m_client->roomName())
        return;
    m_hostedRoom = HostedRoom {people, accessKey, epoch};
    updateBeacon();
}

void EditorSession::setAnnounce(bool on)
{
    m_announce = on;
    updateBeacon();
}

void EditorSession::updateBeacon()
{
    // Announced once the room is open (its epoch known), while hosting with the switch on.
    if (!m_server || !m_client || !m_announce || m_hostedRoom.epoch == 0) {
        m_beacon.reset();
        return;
    }
    if (!m_beacon) {
        m_beacon = std::make_unique<net::LanBeacon>(m_beaconOptions);
        connect(m_beacon.get(), &net::LanBeacon::problem, this, [this](const QString& text) {
            Q_EMIT notice(tr("Not announced on the LAN: %1").arg(text));
        });
    }
    net::LanAnnouncement a;
    a.hostId = m_hostId;
    a.hostName = beaconName(m_profile.name);
    a.room = m_client->roomName();
    a.port = m_server->port();
    a.keyNeeded = m_hostedRoom.accessKey;
    a.people = std::uint32_t(std::clamp(m_hostedRoom.people, 0, 65535));
    a.roomId = net::lanRoomId(m_hostedRoom.epoch);
    a.continues = m_continues;
    m_beacon->announce(std::move(a));
}

void EditorSession::watchLan(const net::LanBrowser* browser)
{
    disconnect(m_lanConnection);
    m_lan = browser;
    if (m_lan) {
        m_lanConnection = connect(m_lan, &net::LanBrowser::sessionsChanged, this, &EditorSession::checkHandovers);
        checkHandovers();
    }
}

std::uint64_t EditorSession::roomId() const
{
    const std::uint64_t epoch = m_client ? m_client->resumePoint().epoch : 0;
    return epoch ? net::lanRoomId(epoch) : 0;
}

void EditorSession::checkHandovers()
{
    if (!m_lan || !m_client || m_server || !m_hostLost)
        return;
    const std::uint64_t mine = roomId();
    if (mine == 0)
        return;
    for (const net::LanSession& s : m_lan->sessions()) {
        const net::LanAnnouncement& a = s.announcement;
        if (a.room != m_client->roomName() || a.continues != mine || a.hostId == m_hostId)
            continue;
        if (m_offeredHosts.insert(a.hostId).second)
            Q_EMIT handoverOffered(s);
    }
}

bool EditorSession::hostFromCopy(const HostOptions& options, QString* error)
{
    auto fail = [error](const QString& why) {
        if (error)
            *error = why;
        return false;
    };
    if (!m_client || m_server)
        return fail(tr("only a guest of a room can host it from their copy"));
    const std::uint64_t epoch = m_client->resumePoint().epoch;
    if (epoch == 0)
        return fail(tr("this editor has not been in the room yet: there is no copy to host"));
    const QString room = QString::fromStdString(m_client->roomName());
    // The room starts as this replica's snapshot: every operation with its id and stamps
    // (the host's, the others' and this user's own unacknowledged ones), so that the others'
    // version-vector sync sends only what it lacks. A directory of its own: a new store, a
    // new epoch, and never a clash with a room of the same name hosted here before.
    HostedServer::RoomSeed seed;
    seed.room = room;
    seed.owner = m_profile.user;
    seed.ownerName = m_profile.name;
    seed.snapshot = m_document->encodeSnapshot();
    seed.accessKey = m_client->options().accessKey;
    net::ServerOptions so;
    so.bind = options.bind;
    so.port = options.port;
    so.dataDir = options.dataDir + QStringLiteral("/handover/")
        + QDateTime::currentDateTimeUtc().toString(QStringLiteral("yyyyMMdd-HHmmss")) + QLatin1Char('-') + room
        + QLatin1Char('-') + QString::number(QRandomGenerator::system()->generate(), 16);
    QString token;
    if (!startServer(options, so, seed, &token, error))
        return false;
    m_continues = net::lanRoomId(epoch);
    m_ownerTokenKey = hostedTokenKey(so.dataDir, room);
    QSettings settings;
    settings.setValue(m_ownerTokenKey, token);
    settings.sync();
    m_url = QUrl(QStringLiteral("ws://127.0.0.1:%1/rooms/%2").arg(m_server->port()).arg(room));
    m_client->moveTo(m_url, token.toStdString(), net::protocol::Role::Owner);
    m_wasOnline = false;
    if (std::exchange(m_hostLost, false)) {
        m_offeredHosts.clear();
        Q_EMIT hostRegained();
    }
    Q_EMIT notice(tr("Hosting '%1' from your copy").arg(room));
    Q_EMIT statusChanged();
    return true;
}

bool EditorSession::moveToHost(const QUrl& url, QString* error)
{
    if (!m_client || m_server) {
        if (error)
            *error = tr("only a guest of a room can follow it to another host");
        return false;
    }
    const QString tokenKey = net::RoomCommand::ownerTokenKey(url);
    const std::string token = QSettings().value(tokenKey).toString().toStdString();
    if ((url.scheme() != QLatin1String("ws") && url.scheme() != QLatin1String("wss")) || url.host().isEmpty()
        || !m_client->moveTo(url, token, token.empty() ? net::protocol::Role::Editor : net::protocol::Role::Owner)) {
        if (error)
            *error = tr("'%1' is not the address of room '%2'")
                         .arg(url.toString(), QString::fromStdString(m_client->roomName()));
        return false;
    }
    m_ownerTokenKey = tokenKey;
    m_url = url;
    m_wasOnline = false;
    Q_EMIT statusChanged();
    return true;
}

// ---- editing --------------------------------------------------------------------------------

void EditorSession::send(const Transaction& t)
{
    setModified(true);
    if (m_client)
        m_client->submit(t); // which reports the change (documentChanged, Source::Local)
    else
        reportLocal(t);
    Q_EMIT undoStateChanged();
}

void EditorSession::reportLocal(const Transaction& t)
{
    net::DocumentChange change;
    change.source = net::DocumentChange::Source::Local;
    change.entities = touchedEntities(t);
    change.positionsOnly = false;
    onDocumentChanged(change);
}

Transaction EditorSession::commit(TransactionBuilder& builder, const QString& description)
{
    if (!builder.oversize().empty()) {
        // A paste of a huge text into a label or a comment: said, and nothing changes.
        Q_EMIT message(tr("%1 was not done: %2.").arg(description, QString::fromStdString(builder.oversize())));
        return {};
    }
    Transaction t = m_undo->commit(builder, description.toStdString());
    send(t);
    return t;
}

void EditorSession::submitApplied(const Transaction& transaction, const std::vector<LocalChange>& changes,
                                  const QString& description)
{
    m_undo->record(changes, description.toStdString());
    send(transaction);
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
    commit(b, tr("Add Node"));
    return id;
}

std::optional<EntityId> EditorSession::connectNodes(EntityId source, EntityId target, bool directed)
{
    if (source == target || !m_document->isVisible(source) || !m_document->isVisible(target))
        return std::nullopt;
    TransactionBuilder b = m_document->begin();
    const EntityId id = b.createEdge(source, target, directed);
    commit(b, tr("Connect"));
    return id;
}

void EditorSession::deleteEntities(const std::vector<EntityId>& ids)
{
    TransactionBuilder b = m_document->begin();
    for (const EntityId id : ids)
        if (m_document->isVisible(id))
            m_document->set(b, id, ref(Field::Exists), Value(false));
    if (b.opCount() == 0)
        return;
    commit(b, ids.size() == 1 ? tr("Delete") : tr("Delete %1 Items").arg(ids.size()));
}

void EditorSession::setField(const std::vector<EntityId>& ids, const FieldRef& field, const Value& value,
                             const QString& description)
{
    TransactionBuilder b = m_document->begin();
    for (const EntityId id : ids) {
        const GraphDocument::Entity* e = m_document->entity(id);
        if (!e || !m_document->isVisible(*e) || m_document->value(*e, field) == value)
            continue;
        m_document->set(b, id, field, value);
    }
    if (b.opCount() > 0)
        commit(b, description);
}

std::vector<EntityId> EditorSession::annotate(const std::vector<EntityId>& targets, AnnotationKind kind,
                                             const std::string& text, Rgba color)
{
    TransactionBuilder b = m_document->begin();
    std::vector<EntityId> made;
    for (const EntityId target : targets) {
        const GraphDocument::Entity* e = m_document->entity(target);
        if (!e || (e->kind != EntityKind::Node && e->kind != EntityKind::Edge) || !m_document->isVisible(*e))
            continue;
        std::vector<FieldValue> fields;
        if (!text.empty())
            fields.push_back({ref(Field::Text), Value(text)});
        fields.push_back({ref(Field::Color), Value::color(color)});
        made.push_back(b.createAnnotation(target, kind, fields));
    }
    if (made.empty())
        return made;
    const QString what = kind == AnnotationKind::Tag ? tr("Tag") : kind == AnnotationKind::Highlight ? tr("Highlight")
                                                                                                     : tr("Comment");
    commit(b, made.size() == 1 ? tr("Add %1").arg(what) : tr("Add %1 to %2 Items").arg(what).arg(made.size()));
    return made;
}

void EditorSession::moveNodes(const std::vector<std::pair<EntityId, Vec3>>& positions, const QString& description)
{
    TransactionBuilder b = m_document->begin();
    for (const auto& [id, at] : positions)
        if (m_document->isVisible(id))
            m_document->set(b, id, ref(Field::Position), Value(at));
    if (b.opCount() > 0)
        commit(b, !description.isEmpty()    ? description
                  : positions.size() == 1 ? tr("Move Node")
                                          : tr("Move %1 Nodes").arg(positions.size()));
}

void EditorSession::restoreMine(const std::vector<Conflict>& found)
{
    TransactionBuilder b = m_document->begin();
    for (const Conflict& k : found)
        if (m_document->entity(k.entity))
            m_document->set(b, k.entity, k.field, k.mine);
    if (b.opCount() > 0)
        commit(b, tr("Restore Mine"));
}

void EditorSession::undo()
{
    afterUndoRedo(m_undo->undo(), true);
}

void EditorSession::redo()
{
    afterUndoRedo(m_undo->redo(), false);
}

void EditorSession::afterUndoRedo(std::optional<UndoOutcome> outcome, bool undo)
{
    if (!outcome)
        return;
    if (outcome->transaction)
        send(*outcome->transaction);
    const QString what = undo ? tr("Undo") : tr("Redo");
    if (!outcome->skipped.empty()) {
        // Someone else wrote these since: they keep their values (never clobbered).
        std::set<UserId> by;
        for (const SkippedField& f : outcome->skipped)
            by.insert(f.byUser);
        QStringList names;
        for (UserId u : by)
            names << userName(u);
        Q_EMIT notice(tr("%1 %2: %3 value(s) left as %4 set them since")
                          .arg(what, QString::fromStdString(outcome->description))
                          .arg(outcome->skipped.size())
                          .arg(names.join(QStringLiteral(", "))));
    }
    Q_EMIT undoStateChanged();
}

// ---- selection ------------------------------------------------------------------------------

void EditorSession::setSelection(std::vector<EntityId> ids)
{
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    if (ids == m_selection)
        return;
    m_selection = std::move(ids);
    if (m_client)
        m_client->setSelection(m_selection);
    Q_EMIT selectionChanged();
}

void EditorSession::pruneSelection()
{
    std::vector<EntityId> kept;
    for (const EntityId id : m_selection)
        if (m_document->isVisible(id))
            kept.push_back(id);
    if (kept.size() != m_selection.size())
        setSelection(std::move(kept));
}

QString EditorSession::userName(UserId user) const
{
    if (user == m_profile.user)
        return tr("you");
    if (m_client)
        for (const auto& [index, peer] : m_client->peers())
            if (peer.user == user)
                return peer.name;
    return tr("someone");
}

// ---- news from the document -----------------------------------------------------------------

void EditorSession::onDocumentChanged(const net::DocumentChange& change)
{
    if (change.source == net::DocumentChange::Source::Remote || change.source == net::DocumentChange::Source::Snapshot)
        setModified(true);
    if (change.everything || !change.positionsOnly)
        m_counts.reset();
    if (change.everything) {
        Q_EMIT documentReset();
        pruneSelection();
        Q_EMIT annotationsChanged();
        Q_EMIT documentEdited();
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
    if (!change.positionsOnly) {
        pruneSelection();
        // Cheaper to re-read than to work out: annotations, or what they hang on, may
        // have come or gone. Live drags and moves (positions only) leave them be.
        Q_EMIT annotationsChanged();
    }
    Q_EMIT documentEdited();
}

QString EditorSession::statusText() const
{
    if (!m_counts)
        m_counts = std::pair(m_document->count(EntityKind::Node), m_document->count(EntityKind::Edge));
    const QString counts = QStringLiteral("%1 nodes, %2 edges").arg(m_counts->first).arg(m_counts->second);
    if (!m_client)
        return (m_filePath.isEmpty() ? tr("not shared") : QFileInfo(m_filePath).fileName() + tr(" · not shared"))
            + QStringLiteral(" · ") + counts;
    QString state;
    switch (m_client->state()) {
    case net::SyncClient::State::Offline:
        state = m_client->lastError().isEmpty() ? tr("offline") : tr("offline: %1").arg(m_client->lastError());
        break;
    case net::SyncClient::State::Connecting: state = tr("connecting"); break;
    case net::SyncClient::State::Resyncing: state = tr("catching up"); break;
    case net::SyncClient::State::Online: state = tr("online"); break;
    case net::SyncClient::State::Reconnecting:
        state = tr("reconnecting at %1 (editing goes on)")
                    .arg(m_client->nextRetry().toString(QStringLiteral("HH:mm:ss")));
        break;
    }
    const QString where = m_server ? tr("hosting ws://THIS-MACHINE:%1%2").arg(m_server->port()).arg(m_url.path())
                                   : m_url.toString();
    QString text = QStringLiteral("%1 · %2 · %3").arg(where, state, tr("%n here", nullptr, int(m_client->peers().size() + 1)));
    if (m_client->role() == net::protocol::Role::Viewer)
        text += tr(" · viewer (read only)");
    if (m_client->roundTripTimes().count() > 0)
        text += tr(" · round trip %1 ms").arg(m_client->roundTripTimes().median(), 0, 'f', 1);
    if (m_client->pendingCount() > 0)
        text += tr(" · %n edit(s) not yet stored", nullptr, int(m_client->pendingCount()));
    return text + QStringLiteral(" · ") + counts;
}

} // namespace constellate::ui
