#include "roomcommand.h"

#include "documentio.h"
#include "formats.h"
#include "identity.h"

#include <QDateTime>
#include <QSettings>
#include <QTimer>

#include <map>

namespace constellate::net {

namespace {

QString counted(std::size_t n, const char* one, const char* many)
{
    return QStringLiteral("%1 %2").arg(n).arg(QLatin1String(n == 1 ? one : many));
}

const char* roleText(protocol::Role role)
{
    switch (role) {
    case protocol::Role::Viewer: return "viewer";
    case protocol::Role::Editor: return "editor";
    case protocol::Role::Owner: return "owner";
    }
    return "?";
}

const char* leaveText(protocol::LeaveReason reason)
{
    switch (reason) {
    case protocol::LeaveReason::Left: return "left";
    case protocol::LeaveReason::TimedOut: return "timed out";
    case protocol::LeaveReason::Removed: return "removed";
    case protocol::LeaveReason::Dropped: return "dropped";
    }
    return "?";
}

QString roomNameOf(const QUrl& url)
{
    return url.path().mid(7); // "/rooms/"
}

} // namespace

RoomCommand::RoomCommand(Options options, QSettings& settings, std::FILE* out, std::FILE* err, QObject* parent)
    : QObject(parent), m_options(std::move(options)), m_settings(settings), m_out(out), m_err(err)
{
}

RoomCommand::~RoomCommand() = default;

QString RoomCommand::ownerTokenKey(const QUrl& url)
{
    // By server and room, without a user name or query: what identifies the room.
    QString key = url.adjusted(QUrl::RemoveUserInfo | QUrl::RemoveQuery | QUrl::RemoveFragment).toString();
    key.replace(QLatin1Char('/'), QLatin1Char('|')); // QSettings groups by '/'
    return QStringLiteral("ownerTokens/") + key;
}

void RoomCommand::start()
{
    m_doc = std::make_unique<GraphDocument>(newReplicaId(), profileUserId(m_settings));
    SyncClientOptions o;
    o.url = m_options.url;
    QString name = m_options.name;
    if (name.isEmpty())
        name = qEnvironmentVariable("USER", QStringLiteral("constellate-cli"));
    o.displayName = name.toStdString();
    const bool creates = m_options.kind == Kind::Create || m_options.create;
    o.createRoom = creates;
    o.recreateIfGone = false; // a script never recreates a room by accident
    o.ownerToken = m_settings.value(ownerTokenKey(m_options.url)).toString().toStdString();
    // Least privilege: what only reads asks to be a viewer; writing needs an editor, the
    // access key an owner (by the token, or by creating the room).
    const bool reads = m_options.kind == Kind::Export || m_options.kind == Kind::Info || m_options.kind == Kind::Watch;
    o.role = creates ? protocol::Role::Owner : reads ? protocol::Role::Viewer : protocol::Role::Editor;
    if (m_options.kind != Kind::Create)
        o.accessKey = m_options.key;
    o.caCertificates = m_options.caCertificates;
    m_client = std::make_unique<SyncClient>(*m_doc, o);

    connect(m_client.get(), &SyncClient::stateChanged, this, &RoomCommand::onStateChanged);
    connect(m_client.get(), &SyncClient::failed, this, [this](int, const QString& message) {
        problem(message);
        finish(1);
    });
    connect(m_client.get(), &SyncClient::problem, this, [this](int, const QString& message) { problem(message); });
    connect(m_client.get(), &SyncClient::ownerTokenReceived, this, [this](const QString& token) {
        m_settings.setValue(ownerTokenKey(m_options.url), token);
        m_settings.sync();
    });
    connect(m_client.get(), &SyncClient::uploadProgress, this, [this](quint64 sent, quint64 total) {
        if (m_progressClock.isValid() && m_progressClock.elapsed() < 1000 && sent < total)
            return;
        m_progressClock.start();
        std::fprintf(m_err, "sent %.1f of %.1f MB\n", double(sent) / 1e6, double(total) / 1e6);
        std::fflush(m_err);
    });
    connect(m_client.get(), &SyncClient::acknowledged, this, [this](OpId first, quint64 seq) {
        if (m_options.kind != Kind::Import || first != m_importFirst)
            return;
        line(QStringLiteral("imported %1 into %2 (transaction %3, durably committed)")
                 .arg(m_options.file, roomNameOf(m_options.url))
                 .arg(seq));
        finish(0);
    });
    connect(m_client.get(), &SyncClient::transactionRefused, this, [this](OpId first, int, const QString& message) {
        if (first != m_importFirst)
            return;
        problem(QStringLiteral("the server refused the import: ") + message);
        finish(1);
    });
    connect(m_client.get(), &SyncClient::versionsListed, this, [this](const auto&) {
        // Only the answer to our LIST_VERSIONS, which went after SET_ACCESS_KEY, says that the
        // server has the key (a VERSION_LIST also arrives unasked when someone saves a version).
        if (m_options.kind == Kind::Create && !m_options.key.isEmpty() && m_keySent) {
            line(QStringLiteral("access key set: joining needs --key"));
            finish(0);
        }
    });
    connect(m_client.get(), &SyncClient::accessKeySent, this, [this] {
        if (m_options.kind == Kind::Create) {
            m_keySent = true;
            m_client->listVersions();
        }
    });
    if (m_options.kind == Kind::Watch) {
        connect(m_client.get(), &SyncClient::peerJoined, this, [this](const PeerInfo& p) {
            if (m_inStep)
                line(QStringLiteral("join %1 (%2%3)")
                         .arg(p.name, QLatin1String(roleText(p.role)), p.inVr ? QStringLiteral(", in VR") : QString()));
        });
        connect(m_client.get(), &SyncClient::peerLeft, this, [this](const PeerInfo& p, protocol::LeaveReason why) {
            line(QStringLiteral("leave %1 (%2)").arg(p.name, QLatin1String(leaveText(why))));
        });
        connect(m_client.get(), &SyncClient::transactionApplied, this,
                [this](const Transaction& t, protocol::PeerIndex origin, quint64 seq) {
                    if (!m_inStep)
                        return;
                    line(QStringLiteral("op %1 %2: %3")
                             .arg(seq)
                             .arg(origin ? peerName(origin) : QStringLiteral("(from the log)"), describe(t)));
                });
        connect(m_client.get(), &SyncClient::conflictsDetected, this, [this](const std::vector<Conflict>& c) {
            line(QStringLiteral("conflict: %1 overwritten").arg(counted(c.size(), "write", "writes")));
        });
    }

    if (m_options.kind != Kind::Watch) {
        m_deadline = new QTimer(this);
        m_deadline->setSingleShot(true);
        connect(m_deadline, &QTimer::timeout, this, [this] {
            QString why = m_client->lastError();
            problem(QStringLiteral("gave up after %1 s%2")
                        .arg(m_options.timeoutSeconds)
                        .arg(why.isEmpty() ? QString() : QStringLiteral(" (last problem: %1)").arg(why)));
            finish(1);
        });
        m_deadline->start(m_options.timeoutSeconds * 1000);
    }
    m_client->start();
}

void RoomCommand::stop()
{
    if (m_options.kind == Kind::Watch) {
        line(QStringLiteral("stopped"));
        finish(0);
    } else {
        problem(QStringLiteral("interrupted"));
        finish(1);
    }
}

void RoomCommand::onStateChanged(SyncClient::State state, const QDateTime& nextRetry)
{
    if (state == SyncClient::State::Reconnecting) {
        problem(QStringLiteral("connection lost; trying again at %1").arg(nextRetry.toString(QStringLiteral("HH:mm:ss"))));
    } else if (state == SyncClient::State::Online) {
        if (!m_inStep) {
            m_inStep = true;
            inStep();
        } else if (m_options.kind == Kind::Watch) {
            line(QStringLiteral("back online"));
        }
    }
}

void RoomCommand::inStep()
{
    const GraphDocument& doc = *m_doc;
    const QString room = roomNameOf(m_options.url);
    const QString counts = counted(doc.count(EntityKind::Node), "node", "nodes") + QStringLiteral(", ")
        + counted(doc.count(EntityKind::Edge), "edge", "edges");
    switch (m_options.kind) {
    case Kind::Create:
        line(QStringLiteral("created room %1 at %2; the owner token is kept in the profile")
                 .arg(room, m_options.url.toString()));
        if (m_options.key.isEmpty())
            finish(0);
        else
            m_client->setRoomAccessKey(m_options.key); // finishes once the server has it
        return;
    case Kind::Import: {
        Transaction t;
        ImportReport report;
        try {
            report = importGraphFile(*m_doc, m_options.file.toStdString(), &t);
        } catch (const std::exception& e) {
            problem(QString::fromStdString(e.what()));
            finish(1);
            return;
        }
        if (t.header().opCount == 0) {
            line(QStringLiteral("%1 holds nothing to import").arg(m_options.file));
            finish(0);
            return;
        }
        m_importFirst = t.header().opId(0);
        std::fprintf(m_err, "importing %s: %zu nodes, %zu edges (%.1f MB)\n", qPrintable(m_options.file), report.nodes,
                     report.edges, double(t.bytes().size()) / 1e6);
        std::fflush(m_err);
        m_client->submit(t);
        return;
    }
    case Kind::Export:
        try {
            exportGraphFile(doc, m_options.file.toStdString());
        } catch (const std::exception& e) {
            problem(QString::fromStdString(e.what()));
            finish(1);
            return;
        }
        line(QStringLiteral("wrote %1 (%2): %3").arg(m_options.file, QLatin1String(formatName(formatFromPath(m_options.file.toStdString()))), counts));
        finish(0);
        return;
    case Kind::Info: {
        line(QStringLiteral("room %1 at %2").arg(room, m_options.url.toString()));
        line(counts + QStringLiteral(", ") + counted(doc.count(EntityKind::Annotation), "annotation", "annotations"));
        line(QStringLiteral("hash %1").arg(QString::fromStdString(doc.canonicalHash())));
        line(QStringLiteral("committed through %1, epoch %2")
                 .arg(m_client->resumePoint().committed)
                 .arg(m_client->resumePoint().epoch, 16, 16, QLatin1Char('0')));
        QStringList people;
        for (const auto& [peer, p] : m_client->peers())
            people << QStringLiteral("%1 (%2)").arg(p.name, QLatin1String(roleText(p.role)));
        line(QStringLiteral("present: %1").arg(people.isEmpty() ? QStringLiteral("nobody else") : people.join(QStringLiteral(", "))));
        finish(0);
        return;
    }
    case Kind::Watch: {
        line(QStringLiteral("watching %1: %2").arg(room, counts));
        for (const auto& [peer, p] : m_client->peers())
            line(QStringLiteral("present %1 (%2)").arg(p.name, QLatin1String(roleText(p.role))));
        return;
    }
    }
}

void RoomCommand::finish(int code)
{
    if (m_done)
        return;
    m_done = true;
    if (m_deadline)
        m_deadline->stop();
    if (m_client)
        m_client->stop();
    Q_EMIT finished(code);
}

void RoomCommand::line(const QString& text)
{
    if (m_options.kind == Kind::Watch)
        std::fprintf(m_out, "%s %s\n", qPrintable(QDateTime::currentDateTime().toString(QStringLiteral("HH:mm:ss.zzz"))),
                     qPrintable(text));
    else
        std::fprintf(m_out, "%s\n", qPrintable(text));
    std::fflush(m_out);
}

void RoomCommand::problem(const QString& text)
{
    std::fprintf(m_err, "constellate-cli: %s\n", qPrintable(text));
    std::fflush(m_err);
}

QString RoomCommand::peerName(protocol::PeerIndex peer) const
{
    const auto& peers = m_client->peers();
    auto it = peers.find(peer);
    return it == peers.end() ? QStringLiteral("peer %1").arg(peer) : it->second.name;
}

QString RoomCommand::describe(const Transaction& t) const
{
    std::size_t nodes = 0, edges = 0, annotations = 0, deletions = 0, restores = 0;
    std::map<QString, std::size_t> writes;
    t.forEachOp([&](std::uint32_t, const Operation& op) {
        switch (op.type) {
        case OpType::CreateNode: ++nodes; break;
        case OpType::CreateEdge: ++edges; break;
        case OpType::CreateAnnotation: ++annotations; break;
        case OpType::SetField: {
            const FieldRef& f = op.fields.front().ref;
            if (f.field == Field::Exists) {
                ++(op.fields.front().value.toBool() ? restores : deletions);
                break;
            }
            ++writes[f.field == Field::Property ? QString::fromStdString(f.property)
                                                : QLatin1String(fieldName(f.field))];
            break;
        }
        }
    });
    QStringList parts;
    if (nodes)
        parts << QStringLiteral("created ") + counted(nodes, "node", "nodes");
    if (edges)
        parts << QStringLiteral("created ") + counted(edges, "edge", "edges");
    if (annotations)
        parts << QStringLiteral("created ") + counted(annotations, "annotation", "annotations");
    if (deletions)
        parts << QStringLiteral("deleted %1").arg(deletions);
    if (restores)
        parts << QStringLiteral("restored %1").arg(restores);
    for (const auto& [field, n] : writes)
        parts << QStringLiteral("set %1 x%2").arg(field).arg(n);
    return parts.isEmpty() ? QStringLiteral("no operations") : parts.join(QStringLiteral(", "));
}

} // namespace constellate::net
