#pragma once

// A small protocol client for integration tests: the real protocol over a real WebSocket
// to the real server process. (The editor's client library arrives with #4.)

#include "graphdocument.h"
#include "eventloopwait.h"
#include "nodemove.h"
#include "protocol.h"
#include "scram.h"

#include <QProcess>
#include <QTemporaryDir>
#include <QWebSocket>

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace constellate::test {

using namespace constellate::net::protocol;
using constellate::net::RoomSequence;

/// The real constellate-server process on a free loopback port, with its own data directory.
class ServerProcess {
public:
    explicit ServerProcess(const QString& dataDir, QStringList extra = {}) : m_dataDir(dataDir), m_extra(std::move(extra)) {}
    ~ServerProcess() { kill(); }

    /// Starts the server on `port`, or on any free port when 0. A given port (the one a
    /// killed server had, so that clients find it again) is tried for a while: the port
    /// may take a moment to come free.
    bool start(quint16 port = 0)
    {
        for (int attempt = 0; attempt < 40; ++attempt) {
            if (startOnce(port))
                return true;
            if (port == 0)
                return false;
            waitFor([] { return false; }, 250); // clients keep trying meanwhile
        }
        return false;
    }
    /// kill -9, then start again on the same port with the same data directory.
    bool restart()
    {
        const quint16 port = m_port;
        kill();
        return start(port);
    }
    /// kill -9: no chance to commit or say goodbye.
    void kill()
    {
        if (m_process && m_process->state() != QProcess::NotRunning) {
            m_process->kill();
            m_process->waitForFinished(10'000);
        }
    }
    /// SIGTERM: the graceful way.
    int terminate()
    {
        m_process->terminate();
        m_process->waitForFinished(10'000);
        return m_process->exitCode();
    }
    QString log() { return m_process ? QString::fromUtf8(m_process->readAllStandardError()) : QString(); }
    quint16 port() const { return m_port; }
    qint64 pid() const { return m_process ? m_process->processId() : 0; }
    /// Starts the server through `launcher` (program and arguments before the server's
    /// path), e.g. a shell that sets resource limits and then execs it.
    void setLauncher(QStringList launcher) { m_launcher = std::move(launcher); }
    QUrl url(const QString& room) const { return QUrl(QStringLiteral("ws://127.0.0.1:%1/rooms/%2").arg(m_port).arg(room)); }

private:
    bool startOnce(quint16 port)
    {
        m_process = std::make_unique<QProcess>();
        m_process->setProcessChannelMode(QProcess::SeparateChannels);
        const QStringList args = QStringList {"--port", QString::number(port), "--bind", "127.0.0.1", "--data-dir",
                                              m_dataDir, "--log-level", "info"}
            + m_extra;
        if (m_launcher.isEmpty())
            m_process->start(QStringLiteral(CONSTELLATE_SERVER), args);
        else
            m_process->start(m_launcher.front(), m_launcher.mid(1) + QStringList {QStringLiteral(CONSTELLATE_SERVER)} + args);
        if (!m_process->waitForStarted(10'000))
            return false;
        QByteArray out;
        const bool ok = waitFor([&] {
            out += m_process->readAllStandardOutput();
            return out.contains("listening on port") || m_process->state() == QProcess::NotRunning;
        });
        const qsizetype at = out.indexOf("listening on port ");
        if (!ok || at < 0)
            return false;
        m_port = quint16(out.mid(at + 18).trimmed().toUInt());
        return m_port != 0;
    }

    QString m_dataDir;
    QStringList m_extra;
    QStringList m_launcher;
    std::unique_ptr<QProcess> m_process;
    quint16 m_port = 0;
};

/// One editing session: a document, a socket, and what arrived.
class TestClient {
public:
    TestClient(ReplicaId replica, UserId user, std::string name)
        : doc(replica, user), m_name(std::move(name))
    {
        m_outbound.replica = replica;
        m_outbound.user = user;
        QObject::connect(&socket, &QWebSocket::binaryMessageReceived,
                         [this](const QByteArray& f) { onFrame(std::string(f.constData(), std::size_t(f.size()))); });
    }

    /// Connects and says HELLO; true once WELCOME (and what follows it) arrived.
    bool join(const QUrl& url, bool create, Role role = Role::Editor, std::optional<Resume> resume = {})
    {
        welcome.reset();
        errors.clear();
        return sayHello(url, create, role, resume)
            && waitFor([&] { return welcome.has_value() || !errors.empty(); }) && welcome.has_value();
    }
    /// Connects and says HELLO, without waiting for the answer; false if it did not connect.
    bool sayHello(const QUrl& url, bool create, Role role = Role::Editor, std::optional<Resume> resume = {})
    {
        socket.open(url);
        if (!waitFor([&] { return socket.state() == QAbstractSocket::ConnectedState; }))
            return false;
        Hello h;
        h.room = url.path().mid(7).toStdString();
        h.user = doc.user();
        h.replica = doc.replica();
        h.name = m_name;
        h.color = 0x336699ff;
        h.role = role;
        h.createRoom = create;
        h.resume = resume;
        h.ownerToken = ownerToken;
        h.canAnswerChallenge = !accessKey.isEmpty();
        h.hasDocument = !sent.empty();
        m_roomName = url.path().mid(7).toStdString();
        send(h);
        return true;
    }

    template<typename M>
    void send(const M& m)
    {
        const std::string bytes = encodeMessage(m, Direction::ToServer);
        socket.sendBinaryMessage(QByteArray(bytes.data(), qsizetype(bytes.size())));
    }
    void sendRaw(const QByteArray& frame) { socket.sendBinaryMessage(frame); }

    /// Commits a local transaction and sends it (as NODE_MOVE when it can travel as one).
    Transaction edit(TransactionBuilder& b)
    {
        Transaction t = doc.commit(b);
        if (std::optional<NodeMove> m = compressNodeMove(t, m_outbound))
            send(*m);
        else {
            SyncUpdate u;
            u.transaction = t;
            send(u);
        }
        advance(m_outbound, t);
        sent.push_back(t);
        return t;
    }
    EntityId addNode(const std::string& label)
    {
        TransactionBuilder b = doc.begin();
        const EntityId id = b.createNode({{{Field::Label, {}}, Value(label)}, {{Field::Position, {}}, Value(Vec3 {0, 0, 0})}});
        edit(b);
        return id;
    }
    void move(EntityId id, Vec3 p)
    {
        TransactionBuilder b = doc.begin();
        doc.set(b, id, {Field::Position, {}}, Value(p));
        edit(b);
    }

    bool acknowledged(const Transaction& t) const { return ackedCounter >= t.header().lastCounter(); }

    GraphDocument doc;
    QWebSocket socket;
    std::optional<Welcome> welcome;
    std::vector<Error> errors;
    std::vector<RoomSequence> sequences; ///< of the transactions received, in arrival order
    std::vector<RoomSequence> snapshotSeqs; ///< what each room snapshot received reflects
    std::vector<UserJoined> joined;
    std::vector<UserLeft> left;
    std::vector<std::uint8_t> presenceTypes;
    std::vector<PresenceStatus> statuses; ///< PRESENCE_STATUS relays, in arrival order
    std::vector<Transaction> sent;
    std::string ownerToken;
    QString accessKey;       ///< answers a CHALLENGE with it when set
    bool challenged = false;
    std::vector<VersionInfo> versions;
    /// FETCH_VERSION answers by version id: the sequence number and the uncompressed snapshot.
    std::map<VersionId, std::pair<RoomSequence, std::string>> fetchedVersions;
    RoomSequence committed = 0;
    std::uint32_t ackedCounter = 0;
    std::size_t nodeMovesReceived = 0;
    std::size_t resentAfterEpochChange = 0;

private:
    void onFrame(const std::string& frame)
    {
        FrameReader reader(frame);
        FrameItem item;
        while (reader.next(item)) {
            ASSERT_TRUE(item.ok()) << item.error().message;
            DecodeError e;
            std::optional<Message> m = decodeMessage(item.type, item.body, Direction::ToClient, &e);
            ASSERT_TRUE(m) << e.message;
            handle(*m);
        }
    }
    void apply(const Transaction& t, RoomSequence seq, PeerIndex origin)
    {
        doc.apply(t);
        sequences.push_back(seq);
        m_room.update(origin, seq, t);
    }
    void handle(Message& m)
    {
        if (auto* w = std::get_if<Welcome>(&m)) {
            m_room.reset(w->streams);
            committed = w->committed;
            if (!w->ownerToken.empty())
                ownerToken = w->ownerToken;
            m_awaitingSnapshot = w->sync == SyncMode::Snapshot || w->sync == SyncMode::VersionVectors;
            if (!m_awaitingSnapshot)
                welcome = *w;
            else
                m_pendingWelcome = *w;
            if (w->sync == SyncMode::VersionVectors)
                send(VersionVectorExchange {doc.versionVector()});
        } else if (auto* c = std::get_if<SnapshotChunk>(&m)) {
            std::string error;
            if (m_chunks.add(*c, &error) == ChunkAssembler::Status::Complete) {
                auto raw = uncompressSnapshot(m_chunks.take(), c->compression, 1u << 30, &error);
                ASSERT_TRUE(raw) << error;
                if (c->version != 0) { // a named version, fetched: kept apart from the document
                    fetchedVersions[c->version] = {c->seq, std::move(*raw)};
                    return;
                }
                ASSERT_TRUE(doc.mergeSnapshot(*raw, &error)) << error;
                snapshotSeqs.push_back(c->seq);
                if (m_awaitingSnapshot) {
                    m_awaitingSnapshot = false;
                    welcome = m_pendingWelcome;
                }
            }
        } else if (auto* tc = std::get_if<TransactionChunk>(&m)) {
            std::string error;
            if (m_txChunks.add(*tc, &error) == ChunkAssembler::Status::Complete) {
                std::optional<Transaction> t = Transaction::decode(m_txChunks.take(), &error);
                ASSERT_TRUE(t) << error;
                apply(*t, tc->seq, tc->origin);
            }
            ASSERT_TRUE(error.empty()) << error;
        } else if (auto* u = std::get_if<SyncUpdate>(&m)) {
            apply(u->transaction, u->seq, u->origin);
        } else if (auto* nm = std::get_if<NodeMove>(&m)) {
            std::string error;
            std::optional<ExpandedMove> x = expandNodeMove(*nm, m_room, &error);
            ASSERT_TRUE(x) << error;
            ++nodeMovesReceived;
            apply(x->transaction, x->seq, nm->origin);
        } else if (auto* a = std::get_if<Ack>(&m)) {
            ackedCounter = std::max(ackedCounter, a->counter);
        } else if (auto* c2 = std::get_if<Committed>(&m)) {
            committed = c2->seq;
        } else if (auto* j = std::get_if<UserJoined>(&m)) {
            m_room.addPeer(j->peer, j->replica, j->user);
            joined.push_back(*j);
        } else if (auto* l = std::get_if<UserLeft>(&m)) {
            m_room.removePeer(l->peer);
            left.push_back(*l);
        } else if (auto* e = std::get_if<Error>(&m)) {
            errors.push_back(*e);
        } else if (auto* ch = std::get_if<Challenge>(&m)) {
            Proof proof;
            proof.clientNonce = "client-nonce-0123456789";
            const std::string auth = accessAuthMessage(m_roomName, doc.user(), doc.replica(), ch->serverNonce, proof.clientNonce);
            proof.clientProof = net::scram::clientProof(accessKey, QByteArray::fromStdString(ch->salt), int(ch->iterations),
                                                   QByteArray(auth.data(), qsizetype(auth.size())))
                                    .toStdString();
            challenged = true;
            send(proof);
        } else if (auto* vv = std::get_if<VersionVectorExchange>(&m)) {
            // Another epoch: send what the server lacks.
            for (const Transaction& t : sent) {
                if (vv->vector.contains(t.header().replica, t.header().firstCounter, t.header().lastCounter()))
                    continue;
                SyncUpdate missing;
                missing.transaction = t;
                for (const std::string& part : encodeTransaction(missing, Direction::ToServer))
                    sendRaw(QByteArray(part.data(), qsizetype(part.size())));
                ++resentAfterEpochChange;
            }
        } else if (auto* vl = std::get_if<VersionList>(&m)) {
            versions = vl->versions;
        } else if (auto* p = std::get_if<Ping>(&m)) {
            send(Pong {p->value});
        } else {
            if (auto* st = std::get_if<PresenceStatus>(&m))
                statuses.push_back(*st);
            presenceTypes.push_back(std::uint8_t(messageType(m)));
        }
    }

    std::string m_name;
    std::string m_roomName;
    ReplicaStream m_outbound;
    StreamState m_room;
    ChunkAssembler m_chunks;
    ChunkAssembler m_txChunks;
    bool m_awaitingSnapshot = false;
    Welcome m_pendingWelcome;
};

} // namespace constellate::test
