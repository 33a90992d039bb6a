// The real server process on a loopback port picked at run time, real SQLite files in a
// temporary directory, and clients over real WebSockets.

#include "documentio.h"
#include "roomstore.h"
#include "testclient.h"

#include <QSqlDatabase>
#include <QSqlQuery>
#include <QElapsedTimer>
#include <QTcpSocket>

#include <gtest/gtest.h>

#include <algorithm>

using namespace constellate;
using namespace constellate::test;
using namespace constellate::net::protocol;
using constellate::net::RoomSequence;

namespace {

class ServerTest : public ::testing::Test {
protected:
    void SetUp() override { ASSERT_TRUE(server.start()) << server.log().toStdString(); }
    QTemporaryDir dir;
    ServerProcess server {dir.path()};
};

QByteArray httpGet(quint16 port, const char* path)
{
    QTcpSocket s;
    s.connectToHost(QHostAddress::LocalHost, port);
    EXPECT_TRUE(s.waitForConnected(5000));
    s.write(QByteArray("GET ") + path + " HTTP/1.1\r\nHost: localhost\r\n\r\n");
    QByteArray reply;
    waitFor([&] {
        reply += s.readAll();
        return s.state() == QAbstractSocket::UnconnectedState;
    });
    return reply + s.readAll();
}

/// The value of one unlabelled metric in a /metrics answer, or -1.
double metricValue(const QByteArray& metrics, const QByteArray& name)
{
    for (const QByteArray& line : metrics.split('\n'))
        if (line.startsWith(name + ' '))
            return line.mid(name.size() + 1).toDouble();
    return -1;
}

bool hasError(const TestClient& c, ErrorCode code)
{
    for (const Error& e : c.errors)
        if (e.errorCode() == code)
            return true;
    return false;
}

} // namespace

TEST_F(ServerTest, HealthAndMetricsOnTheSamePort)
{
    EXPECT_TRUE(httpGet(server.port(), "/healthz").endsWith("\r\n\r\nok\n"));
    const QByteArray metrics = httpGet(server.port(), "/metrics");
    for (const char* name : {"constellate_connections", "constellate_rooms", "constellate_operations_total",
                             "constellate_bytes_in_total", "constellate_bytes_out_total",
                             "constellate_fanout_latency_seconds_bucket", "constellate_commit_latency_seconds_count"})
        EXPECT_TRUE(metrics.contains(name)) << name;
}

TEST_F(ServerTest, CreateJoinSnapshotDeltasAndOneOrder)
{
    TestClient alice(0xa1, 1, "alice");
    ASSERT_TRUE(alice.join(server.url("lab"), true)) << alice.errors.size();
    EXPECT_EQ(alice.welcome->role, Role::Owner);
    EXPECT_FALSE(alice.ownerToken.empty());
    const EntityId a = alice.addNode("a");
    const EntityId b = alice.addNode("b");
    ASSERT_TRUE(waitFor([&] { return alice.acknowledged(alice.sent.back()); }));

    // Bob joins: a snapshot, then deltas both ways.
    TestClient bob(0xb0, 2, "bob");
    ASSERT_TRUE(bob.join(server.url("lab"), false));
    EXPECT_EQ(bob.welcome->sync, SyncMode::Snapshot);
    EXPECT_TRUE(bob.doc.isVisible(a));
    EXPECT_TRUE(bob.doc.isVisible(b));
    ASSERT_TRUE(waitFor([&] { return !alice.joined.empty(); }));
    EXPECT_EQ(alice.joined[0].name, "bob");

    for (int i = 0; i < 20; ++i) {
        alice.move(a, Vec3 {float(i), 0, 0});
        bob.move(b, Vec3 {0, float(i), 0});
    }
    TransactionBuilder t = bob.doc.begin();
    t.createEdge(a, b, true);
    bob.edit(t);
    ASSERT_TRUE(waitFor([&] {
        return alice.doc.canonicalHash() == bob.doc.canonicalHash() && alice.acknowledged(alice.sent.back())
            && bob.acknowledged(bob.sent.back());
    }));
    EXPECT_EQ(alice.doc.count(EntityKind::Edge), 1u);
    // Moves of one node after another travelled as NODE_MOVE.
    EXPECT_GT(alice.nodeMovesReceived + bob.nodeMovesReceived, 10u);
    // One total order: each receiver saw increasing sequence numbers.
    EXPECT_TRUE(std::is_sorted(alice.sequences.begin(), alice.sequences.end()));
    EXPECT_TRUE(std::is_sorted(bob.sequences.begin(), bob.sequences.end()));
    ASSERT_TRUE(waitFor([&] { return alice.committed == 43u && bob.committed == 43u; })) << alice.committed;
}

TEST_F(ServerTest, HandshakeFailuresAreClearErrors)
{
    TestClient c(0xc1, 3, "carol");
    EXPECT_FALSE(c.join(server.url("no-such-room"), false));
    ASSERT_TRUE(hasError(c, ErrorCode::RoomNotFound));
    EXPECT_NE(c.errors[0].message.find("does not exist"), std::string::npos);

    TestClient d(0xd1, 4, "dave");
    ASSERT_TRUE(d.join(server.url("taken"), true));
    TestClient e(0xe1, 5, "eve");
    EXPECT_FALSE(e.join(server.url("taken"), true));
    EXPECT_TRUE(hasError(e, ErrorCode::RoomExists));

    TestClient twin(0xd1, 6, "twin"); // the same replica id as dave
    EXPECT_FALSE(twin.join(server.url("taken"), false));
    EXPECT_TRUE(hasError(twin, ErrorCode::ReplicaTaken));

    TestClient owner(0xf1, 7, "not-the-owner");
    EXPECT_FALSE(owner.join(server.url("taken"), false, Role::Owner));
    EXPECT_TRUE(hasError(owner, ErrorCode::RoleRefused));

    // A newer client: versions 2 to 3 only.
    QWebSocket raw;
    std::vector<Error> errors;
    QObject::connect(&raw, &QWebSocket::binaryMessageReceived, [&](const QByteArray& f) {
        FrameReader r(std::string_view(f.constData(), std::size_t(f.size())));
        FrameItem item;
        while (r.next(item)) {
            Error err;
            DecodeError de;
            if (item.ok() && decodeBody(item.body, Direction::ToClient, err, &de))
                errors.push_back(err);
        }
    });
    raw.open(server.url("taken"));
    ASSERT_TRUE(waitFor([&] { return raw.state() == QAbstractSocket::ConnectedState; }));
    Hello h;
    h.versions = {2, 3};
    h.room = "taken";
    h.user = 9;
    h.replica = 9;
    h.name = "future";
    const std::string bytes = encodeMessage(h, Direction::ToServer);
    raw.sendBinaryMessage(QByteArray(bytes.data(), qsizetype(bytes.size())));
    ASSERT_TRUE(waitFor([&] { return !errors.empty(); }));
    EXPECT_EQ(errors[0].errorCode(), ErrorCode::VersionMismatch);
    EXPECT_NE(errors[0].message.find("version"), std::string::npos);
}

TEST_F(ServerTest, ViewersCannotEdit)
{
    TestClient owner(0x11, 1, "owner");
    ASSERT_TRUE(owner.join(server.url("gallery"), true));
    TestClient viewer(0x22, 2, "viewer");
    ASSERT_TRUE(viewer.join(server.url("gallery"), false, Role::Viewer));
    EXPECT_EQ(viewer.welcome->role, Role::Viewer);
    viewer.addNode("sneaky");
    ASSERT_TRUE(waitFor([&] { return hasError(viewer, ErrorCode::RoleRefused); }));
    owner.addNode("fine");
    ASSERT_TRUE(waitFor([&] { return viewer.doc.count(EntityKind::Node) == 2u; })); // its own, and the owner's
    EXPECT_EQ(owner.doc.count(EntityKind::Node), 1u);
}

TEST_F(ServerTest, MalformedAndUnknownFramesAreAnsweredWhileOthersCarryOn)
{
    TestClient a(0x31, 1, "a");
    ASSERT_TRUE(a.join(server.url("noisy"), true));
    TestClient b(0x32, 2, "b");
    ASSERT_TRUE(b.join(server.url("noisy"), false));
    b.sendRaw(QByteArray("\x02\x7f\x00", 3));                     // an unknown type
    b.sendRaw(QByteArray("\xff\xff\xff\xff\x7f", 5));             // an absurd length
    b.sendRaw(QByteArray("\x05\x50\xff\xff\xff\xff", 6));         // a garbled SYNC_UPDATE: fatal
    ASSERT_TRUE(waitFor([&] { return b.errors.size() >= 3; }));
    EXPECT_TRUE(hasError(b, ErrorCode::UnknownType));
    EXPECT_TRUE(hasError(b, ErrorCode::Oversize));
    EXPECT_TRUE(hasError(b, ErrorCode::Malformed));
    EXPECT_TRUE(b.errors.back().fatal);
    TestClient t(0x34, 4, "t");
    ASSERT_TRUE(t.join(server.url("noisy"), false));
    t.socket.sendTextMessage(QStringLiteral("hello?")); // text frames are refused
    ASSERT_TRUE(waitFor([&] { return hasError(t, ErrorCode::Malformed); }));
    // The room goes on.
    const EntityId n = a.addNode("still here");
    TestClient c(0x33, 3, "c");
    ASSERT_TRUE(c.join(server.url("noisy"), false));
    ASSERT_TRUE(waitFor([&] { return c.doc.isVisible(n); }));
}

TEST_F(ServerTest, KilledAndRestartedLosesNothingAcknowledged)
{
    TestClient a(0x41, 1, "a");
    ASSERT_TRUE(a.join(server.url("durable"), true));
    std::vector<EntityId> nodes;
    for (int i = 0; i < 50; ++i)
        nodes.push_back(a.addNode("n" + std::to_string(i)));
    ASSERT_TRUE(waitFor([&] { return a.acknowledged(a.sent.back()); }));
    const Epoch epoch = a.welcome->epoch;
    const RoomSequence committed = a.committed;
    server.kill();
    ASSERT_TRUE(server.start());

    // A newcomer sees everything.
    TestClient b(0x42, 2, "b");
    ASSERT_TRUE(b.join(server.url("durable"), false));
    EXPECT_EQ(b.welcome->epoch, epoch);
    EXPECT_EQ(b.doc.count(EntityKind::Node), 50u);

    // The old client resumes from what it holds, re-sends its last transaction: a duplicate.
    TestClient again(0x41, 1, "a");
    again.ownerToken = a.ownerToken;
    for (const Transaction& t : a.sent) // what its local journal holds: counters continue
        again.doc.apply(t);
    ASSERT_TRUE(again.join(server.url("durable"), false, Role::Owner, Resume {epoch, committed}));
    EXPECT_EQ(again.welcome->sync, SyncMode::UpToDate);
    SyncUpdate resend;
    resend.transaction = a.sent.back();
    again.send(resend);
    ASSERT_TRUE(waitFor([&] { return again.ackedCounter >= a.sent.back().header().lastCounter(); }));
    // Sequence numbers continue after the highest committed one; nothing was duplicated.
    const EntityId extra = again.addNode("after restart");
    (void)extra;
    ASSERT_TRUE(waitFor([&] { return b.doc.count(EntityKind::Node) == 51u; }));
    EXPECT_EQ(b.sequences.back(), committed + 1);
}

// Rooms' stores live on several storage threads (by the room name's hash): edits in many
// rooms at once are all committed, acknowledged and kept through a kill -9.
static void manyRoomsKeepEveryAcknowledgedEditThroughAKill(ServerProcess& server)
{
    constexpr int Rooms = 12;
    constexpr int Edits = 20;
    std::vector<std::unique_ptr<TestClient>> writers;
    for (int r = 0; r < Rooms; ++r) {
        writers.push_back(std::make_unique<TestClient>(0x600 + r, 100 + r, "w" + std::to_string(r)));
        ASSERT_TRUE(writers.back()->join(server.url(QStringLiteral("many-%1").arg(r)), true));
    }
    // Interleaved: every storage thread has several rooms' work queued at once.
    for (int i = 0; i < Edits; ++i)
        for (auto& w : writers)
            w->addNode("n" + std::to_string(i));
    for (auto& w : writers)
        ASSERT_TRUE(waitFor([&] { return w->acknowledged(w->sent.back()); })) << w->sent.size();
    server.kill();
    ASSERT_TRUE(server.start());
    for (int r = 0; r < Rooms; ++r) {
        TestClient reader(0x700 + r, 200 + r, "r");
        ASSERT_TRUE(reader.join(server.url(QStringLiteral("many-%1").arg(r)), false)) << r;
        EXPECT_EQ(reader.doc.count(EntityKind::Node), std::size_t(Edits)) << r;
        EXPECT_EQ(reader.doc.canonicalHash(), writers[std::size_t(r)]->doc.canonicalHash()) << r;
    }
}

TEST_F(ServerTest, ManyRoomsAtOnceKeepEveryAcknowledgedEditThroughAKill)
{
    manyRoomsKeepEveryAcknowledgedEditThroughAKill(server);
}

TEST(ServerStorageThreads, OneStorageThreadKeepsEveryAcknowledgedEditToo)
{
    QTemporaryDir dir;
    ServerProcess server(dir.path(), {"--storage-threads", "1"});
    ASSERT_TRUE(server.start()) << server.log().toStdString();
    manyRoomsKeepEveryAcknowledgedEditThroughAKill(server);
}

TEST_F(ServerTest, ResumeAfterADisconnectGetsOnlyWhatFollowed)
{
    TestClient a(0x51, 1, "a");
    ASSERT_TRUE(a.join(server.url("resume"), true));
    TestClient b(0x52, 2, "b");
    ASSERT_TRUE(b.join(server.url("resume"), false));
    a.addNode("before");
    ASSERT_TRUE(waitFor([&] { return b.doc.count(EntityKind::Node) == 1u && b.committed == 1u; }));
    const Resume where {b.welcome->epoch, b.committed};
    b.socket.close();
    ASSERT_TRUE(waitFor([&] { return b.socket.state() == QAbstractSocket::UnconnectedState; }));
    a.addNode("while away 1");
    a.addNode("while away 2");
    ASSERT_TRUE(waitFor([&] { return a.acknowledged(a.sent.back()); }));
    b.sequences.clear();
    ASSERT_TRUE(b.join(server.url("resume"), false, Role::Editor, where));
    EXPECT_EQ(b.welcome->sync, SyncMode::Deltas);
    ASSERT_TRUE(waitFor([&] { return b.doc.count(EntityKind::Node) == 3u; }));
    EXPECT_EQ(b.sequences, (std::vector<RoomSequence> {2, 3}));
    EXPECT_EQ(a.doc.canonicalHash(), b.doc.canonicalHash());
}

TEST_F(ServerTest, DeltasReadForAConnectionThatLeftAreNotSentToTheNextOne)
{
    // A resuming joiner's deltas are read on the storage thread while its output is held.
    // Here it leaves before they are back, and another connection joins meanwhile (whose
    // socket the server may well allocate where the first one's was): that connection must
    // get its own WELCOME and deltas, not the first one's, which stop at the room's state
    // when the first joined, so that what was sequenced in between would never reach it.
    // A write lock on the room's database holds the storage thread (its next commit waits
    // out the lock; reads are queued behind it) until the test lets go.
    TestClient a(0x81, 1, "a");
    ASSERT_TRUE(a.join(server.url("abandoned"), true));
    TestClient witness(0x82, 2, "witness");
    ASSERT_TRUE(witness.join(server.url("abandoned"), false));
    a.addNode("before");
    ASSERT_TRUE(waitFor([&] { return a.acknowledged(a.sent.back()) && witness.sequences.size() == 1; }));
    const Resume where {a.welcome->epoch, 1};
    auto announced = [&](const std::vector<UserJoined>& joined, ReplicaId replica) {
        return std::any_of(joined.begin(), joined.end(), [&](const UserJoined& j) { return j.replica == replica; });
    };
    auto resumeWithoutWaiting = [&](TestClient& c) {
        c.doc.apply(a.sent.front()); // what it holds up to its resume point
        return c.sayHello(server.url("abandoned"), false, Role::Editor, where);
    };

    const int rounds = 4; // each a fresh pair of connections: more chances for a reused address
    for (int round = 0; round < rounds; ++round) {
        SCOPED_TRACE("round " + std::to_string(round));
        const std::size_t seen = witness.sequences.size();
        {
            QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("lock"));
            db.setDatabaseName(dir.filePath(QStringLiteral("rooms/abandoned.sqlite")));
            ASSERT_TRUE(db.open());
            QSqlQuery lock(db);
            ASSERT_TRUE(lock.exec(QStringLiteral("BEGIN IMMEDIATE")));
            a.addNode("while the first joiner waits " + std::to_string(round)); // its commit waits for the lock
            ASSERT_TRUE(waitFor([&] { return witness.sequences.size() == seen + 1; }));

            TestClient first(0x100 + 2 * round, 3, "first");
            ASSERT_TRUE(resumeWithoutWaiting(first));
            ASSERT_TRUE(waitFor([&] { return announced(a.joined, first.doc.replica()); })); // its read is queued
            const PeerIndex firstPeer = a.joined.back().peer;
            first.socket.abort();
            ASSERT_TRUE(waitFor([&] {
                return std::any_of(a.left.begin(), a.left.end(), [&](const UserLeft& l) { return l.peer == firstPeer; });
            }));

            a.addNode("between the two joiners " + std::to_string(round));
            ASSERT_TRUE(waitFor([&] { return witness.sequences.size() == seen + 2; }));
            TestClient second(0x101 + 2 * round, 4, "second");
            ASSERT_TRUE(resumeWithoutWaiting(second));
            ASSERT_TRUE(waitFor([&] { return announced(a.joined, second.doc.replica()); }));
            lock.exec(QStringLiteral("ROLLBACK"));
            lock.finish();
            db.close();

            ASSERT_TRUE(waitFor([&] { return a.acknowledged(a.sent.back()) || hasError(a, ErrorCode::StorageFull); }));
            if (hasError(a, ErrorCode::StorageFull))
                GTEST_SKIP() << "the lock outlasted the server's busy timeout (a very slow machine): nothing was shown";
            ASSERT_TRUE(waitFor([&] { return second.welcome.has_value(); }));
            second.send(Ping {1}); // its PONG comes after everything sent with the WELCOME
            ASSERT_TRUE(waitFor([&] {
                return std::count(second.presenceTypes.begin(), second.presenceTypes.end(), std::uint8_t(MessageType::Pong)) > 0;
            }));
            EXPECT_EQ(second.welcome->sync, SyncMode::Deltas);
            // Everything after the resume point, including what came between the two joins.
            EXPECT_EQ(second.sequences, std::vector<RoomSequence>(witness.sequences.begin() + 1, witness.sequences.end()));
            EXPECT_EQ(second.doc.canonicalHash(), witness.doc.canonicalHash());
            second.socket.close();
            ASSERT_TRUE(waitFor([&] { return a.left.size() == 2u * std::size_t(round + 1); }));
        }
        QSqlDatabase::removeDatabase(QStringLiteral("lock"));
    }
}

TEST_F(ServerTest, PresenceIsRelayedAndShownToNewcomers)
{
    TestClient a(0x61, 1, "a");
    ASSERT_TRUE(a.join(server.url("party"), true));
    TestClient b(0x62, 2, "b");
    ASSERT_TRUE(b.join(server.url("party"), false));
    UserPosition cursor;
    cursor.position = Vec3 {1, 2, 3};
    a.send(cursor);
    ASSERT_TRUE(waitFor([&] { return !b.presenceTypes.empty(); }));
    EXPECT_EQ(b.presenceTypes[0], std::uint8_t(MessageType::UserPosition));
    TestClient c(0x63, 3, "c");
    ASSERT_TRUE(c.join(server.url("party"), false));
    ASSERT_TRUE(waitFor([&] { return !c.presenceTypes.empty(); })); // a's latest cursor
    // Relays to readers that keep up went straight to their sockets.
    const QByteArray metrics = httpGet(server.port(), "/metrics");
    EXPECT_GT(metricValue(metrics, "constellate_frames_direct_total"), 0) << metrics.toStdString();
}

TEST_F(ServerTest, AResumeDuringTrafficGetsEverySequenceOnceAndInOrder)
{
    // The log is read on the storage thread while the writer goes on: what the resuming
    // client gets is the log up to its join, then the relays after it, with no gap.
    TestClient a(0x55, 1, "a");
    ASSERT_TRUE(a.join(server.url("flow"), true));
    TestClient b(0x56, 2, "b");
    ASSERT_TRUE(b.join(server.url("flow"), false));
    a.addNode("first");
    ASSERT_TRUE(waitFor([&] { return b.committed == 1u; }));
    const Resume where {b.welcome->epoch, b.committed};
    b.socket.close();
    ASSERT_TRUE(waitFor([&] { return b.socket.state() == QAbstractSocket::UnconnectedState; }));
    for (int i = 0; i < 50; ++i)
        a.addNode("while away " + std::to_string(i));
    b.sequences.clear();
    b.welcome.reset();
    b.socket.open(server.url("flow"));
    ASSERT_TRUE(waitFor([&] { return b.socket.state() == QAbstractSocket::ConnectedState; }));
    Hello h;
    h.room = "flow";
    h.user = b.doc.user();
    h.replica = b.doc.replica();
    h.name = "b";
    h.resume = where;
    b.send(h);
    for (int i = 0; i < 50; ++i) {
        a.addNode("during " + std::to_string(i));
        QCoreApplication::processEvents();
    }
    ASSERT_TRUE(waitFor([&] { return b.doc.canonicalHash() == a.doc.canonicalHash(); }, 20'000));
    ASSERT_TRUE(b.welcome);
    EXPECT_EQ(b.welcome->sync, SyncMode::Deltas);
    std::vector<RoomSequence> expected;
    for (RoomSequence seq = 2; seq <= 101; ++seq)
        expected.push_back(seq);
    EXPECT_EQ(b.sequences, expected);
}

TEST_F(ServerTest, JoinersDuringTrafficGetTheSnapshotThenOnlyWhatFollowsIt)
{
    // The snapshot is compressed off the relay thread while the room keeps going: each
    // joiner must get it first, then exactly the transactions after it, in order.
    TestClient writer(0x71, 1, "writer");
    ASSERT_TRUE(writer.join(server.url("busy"), true));
    std::vector<EntityId> nodes;
    for (int i = 0; i < 200; ++i)
        nodes.push_back(writer.addNode("seed " + std::to_string(i)));
    std::vector<std::unique_ptr<TestClient>> joiners;
    for (int round = 0; round < 4; ++round) {
        auto joiner = std::make_unique<TestClient>(0x80 + round, 10 + round, "joiner");
        joiner->socket.open(server.url("busy"));
        ASSERT_TRUE(waitFor([&] { return joiner->socket.state() == QAbstractSocket::ConnectedState; }));
        Hello h;
        h.room = "busy";
        h.user = joiner->doc.user();
        h.replica = joiner->doc.replica();
        h.name = "joiner";
        joiner->send(h);
        // Edits and moves keep coming while the joiner waits for its snapshot.
        for (int i = 0; i < 30; ++i) {
            writer.addNode("during " + std::to_string(round) + "." + std::to_string(i));
            writer.move(nodes[std::size_t(i)], Vec3 {float(round), float(i), 0});
            QCoreApplication::processEvents();
        }
        joiners.push_back(std::move(joiner));
    }
    for (auto& j : joiners) {
        ASSERT_TRUE(waitFor([&] { return j->doc.canonicalHash() == writer.doc.canonicalHash(); }, 20'000))
            << "errors " << j->errors.size();
        ASSERT_EQ(j->snapshotSeqs.size(), 1u);
        if (!j->sequences.empty()) { // none when the server took every edit before the HELLO
            EXPECT_GT(j->sequences.front(), j->snapshotSeqs.front());
        }
        EXPECT_TRUE(std::is_sorted(j->sequences.begin(), j->sequences.end()));
        EXPECT_TRUE(std::adjacent_find(j->sequences.begin(), j->sequences.end()) == j->sequences.end());
        EXPECT_TRUE(j->errors.empty());
    }
}

TEST(ServerPresence, AnIdleUserTurnsAwayAndBackOnTheirNextUpdate)
{
    QTemporaryDir dir;
    ServerProcess server(dir.path(), {"--away-after", "1"});
    ASSERT_TRUE(server.start());
    TestClient idle(0x91, 1, "idle");
    ASSERT_TRUE(idle.join(server.url("quiet"), true));
    PresenceStatus editing;
    editing.state = PresenceState::Editing;
    editing.view = View {Vec3 {0, 0, 5}, Vec3 {0, 0, 0}};
    idle.send(editing);
    TestClient watcher(0x92, 2, "watcher");
    ASSERT_TRUE(watcher.join(server.url("quiet"), false));
    const PeerIndex idlePeer = watcher.joined.at(0).peer;
    // The watcher keeps moving its cursor (so it stays present); the idle one says nothing.
    auto lastStateOf = [&](PeerIndex peer) {
        std::optional<PresenceState> state;
        for (const PresenceStatus& st : watcher.statuses)
            if (st.origin == peer)
                state = st.state;
        return state;
    };
    UserPosition cursor;
    QElapsedTimer sinceCursor;
    sinceCursor.start();
    ASSERT_TRUE(waitFor([&] {
        if (sinceCursor.elapsed() > 200) {
            watcher.send(cursor);
            sinceCursor.restart();
        }
        return lastStateOf(idlePeer) == PresenceState::Away;
    }, 10'000)) << "errors " << watcher.errors.size();
    for (const PresenceStatus& st : idle.statuses) // the watcher kept sending: never away
        EXPECT_NE(st.state, PresenceState::Away);
    // What else it showed stays: only the state changed.
    EXPECT_EQ(watcher.statuses.back().view, editing.view);
    TestClient late(0x93, 3, "late");
    ASSERT_TRUE(late.join(server.url("quiet"), false));
    ASSERT_TRUE(waitFor([&] { return !late.statuses.empty(); }));
    EXPECT_EQ(late.statuses.back().state, PresenceState::Away); // newcomers see it too
    // Any update brings the user back, in the state they last declared.
    idle.send(cursor);
    ASSERT_TRUE(waitFor([&] { return lastStateOf(idlePeer) == PresenceState::Editing; }));
}

TEST(ServerStorage, AnEditWhoseCommitFailedIsStoredWhenSentAgain)
{
    // The server's files may grow by about 1 MiB (a file size limit, as a full disk would
    // refuse): a large edit's commit fails, the sender is told which edit, and when it
    // sends it again after the limit is lifted it is stored, not taken for a duplicate.
    QTemporaryDir dir;
    ServerProcess server(dir.path());
    server.setLauncher({"bash", "-c", "trap '' XFSZ; ulimit -S -f 1024; exec \"$0\" \"$@\""});
    ASSERT_TRUE(server.start());
    TestClient a(0xd1, 1, "a");
    ASSERT_TRUE(a.join(server.url("tight"), true));
    const std::string label(8000, 'x');
    TransactionBuilder t = a.doc.begin();
    for (int i = 0; i < 300; ++i) // about 2.4 MB
        t.createNode({{{Field::Label, {}}, Value(label + std::to_string(i))}});
    const Transaction big = a.doc.commit(t);
    auto sendInChunks = [&] {
        SyncUpdate u;
        u.transaction = big;
        for (const std::string& part : encodeTransaction(u, Direction::ToServer))
            a.socket.sendBinaryMessage(QByteArray(part.data(), qsizetype(part.size())));
    };
    sendInChunks();
    ASSERT_TRUE(waitFor([&] { return hasError(a, ErrorCode::StorageFull); }, 30'000)) << server.log().toStdString();
    const OpId first = big.header().opId(0);
    bool named = false;
    for (const Error& e : a.errors)
        named = named || (e.errorCode() == ErrorCode::StorageFull && e.transaction == first);
    EXPECT_TRUE(named) << "the error names the edit";
    EXPECT_FALSE(a.acknowledged(big));

    QProcess lift;
    lift.start(QStringLiteral("prlimit"), {"--pid", QString::number(server.pid()), "--fsize=unlimited"});
    ASSERT_TRUE(lift.waitForFinished(10'000));
    ASSERT_EQ(lift.exitCode(), 0) << lift.readAllStandardError().toStdString();
    a.errors.clear();
    sendInChunks();
    ASSERT_TRUE(waitFor([&] { return a.acknowledged(big); }, 30'000)) << server.log().toStdString();

    // Stored for real: it survives kill -9.
    server.kill();
    ASSERT_TRUE(server.start());
    TestClient b(0xd2, 2, "b");
    ASSERT_TRUE(b.join(server.url("tight"), false));
    ASSERT_TRUE(waitFor([&] { return b.doc.count(EntityKind::Node) == 300u; }, 30'000)) << b.doc.count(EntityKind::Node);
}

TEST_F(ServerTest, ALargeRoomsSnapshotIsMadeOnceItIsQuietSoJoinersFindItReady)
{
    TestClient a(0x5a, 1, "a");
    ASSERT_TRUE(a.join(server.url("large"), true));
    // 10,000 nodes and about 20,000 edges, imported as a's own transaction (in chunks).
    Transaction own;
    importGraphFile(a.doc, CONSTELLATE_TEST_GRAPHS "/ba-10k.graphml", &own);
    SyncUpdate u;
    u.transaction = own;
    for (const std::string& part : encodeTransaction(u, Direction::ToServer))
        a.socket.sendBinaryMessage(QByteArray(part.data(), qsizetype(part.size())));
    ASSERT_TRUE(waitFor([&] { return a.ackedCounter >= own.header().lastCounter(); }, 30'000));
    auto compressed = [&] { return metricValue(httpGet(server.port(), "/metrics"), "constellate_snapshots_compressed_total"); };
    // Nobody joined, yet once the room is quiet its snapshot is made.
    ASSERT_TRUE(waitFor([&] { return compressed() == 1; }, 20'000)) << compressed();
    TestClient b(0x5c, 2, "b");
    ASSERT_TRUE(b.join(server.url("large"), false));
    ASSERT_TRUE(waitFor([&] { return b.doc.count(EntityKind::Node) == 10'000u; }, 30'000));
    EXPECT_EQ(compressed(), 1) << "the joiner got the prepared snapshot";

    // Each joiner's turn held the snapshot (hundreds of KB); once sent, no connection keeps
    // that memory (kept, it would add up with every member of a large room).
    TestClient c(0x5d, 3, "c");
    ASSERT_TRUE(c.join(server.url("large"), false));
    ASSERT_TRUE(waitFor([&] { return c.doc.count(EntityKind::Node) == 10'000u; }, 30'000));
    auto held = [&] { return metricValue(httpGet(server.port(), "/metrics"), "constellate_send_buffer_bytes"); };
    ASSERT_TRUE(waitFor([&] { return held() <= 3 * 16 * 1024; }, 10'000)) << held() << " bytes held for sending";
}

TEST_F(ServerTest, TheRoomDatabaseIsInWalMode)
{
    TestClient a(0x71, 1, "a");
    ASSERT_TRUE(a.join(server.url("wal"), true));
    a.addNode("x");
    ASSERT_TRUE(waitFor([&] { return a.acknowledged(a.sent.back()); }));
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("probe"));
        db.setDatabaseName(dir.filePath(QStringLiteral("rooms/wal.sqlite")));
        ASSERT_TRUE(db.open());
        QSqlQuery q(db);
        ASSERT_TRUE(q.exec(QStringLiteral("PRAGMA journal_mode")) && q.next());
        EXPECT_EQ(q.value(0).toString(), QStringLiteral("wal"));
    }
    QSqlDatabase::removeDatabase(QStringLiteral("probe"));
}

TEST_F(ServerTest, SigtermShutsDownGracefully)
{
    TestClient a(0x81, 1, "a");
    ASSERT_TRUE(a.join(server.url("bye"), true));
    a.addNode("x");
    ASSERT_TRUE(waitFor([&] { return a.acknowledged(a.sent.back()); }));
    EXPECT_EQ(server.terminate(), 0);
    ASSERT_TRUE(waitFor([&] { return hasError(a, ErrorCode::ShuttingDown); }));
    const QString log = server.log();
    EXPECT_TRUE(log.contains(QStringLiteral("join room=bye"))) << log.toStdString();
    EXPECT_TRUE(log.contains(QStringLiteral("shutting down")));
}

TEST_F(ServerTest, AccessKeyByChallengeAndResponse)
{
    TestClient owner(0x91, 1, "owner");
    ASSERT_TRUE(owner.join(server.url("secret"), true));
    SetAccessKey set;
    const net::scram::Verifier v = net::scram::makeVerifier(QStringLiteral("correct horse"), QByteArray(16, 's'), 4096);
    set.salt = v.salt.toStdString();
    set.iterations = std::uint32_t(v.iterations);
    set.storedKey = v.storedKey.toStdString();
    set.serverKey = v.serverKey.toStdString();
    owner.send(set);
    owner.addNode("after the key"); // in order after SET_ACCESS_KEY
    ASSERT_TRUE(waitFor([&] { return owner.acknowledged(owner.sent.back()); }));

    TestClient noKey(0x92, 2, "nokey");
    EXPECT_FALSE(noKey.join(server.url("secret"), false));
    EXPECT_TRUE(hasError(noKey, ErrorCode::AccessDenied));

    TestClient wrong(0x93, 3, "wrong");
    wrong.accessKey = QStringLiteral("battery staple");
    EXPECT_FALSE(wrong.join(server.url("secret"), false));
    EXPECT_TRUE(wrong.challenged);
    EXPECT_TRUE(hasError(wrong, ErrorCode::AccessDenied));

    TestClient right(0x94, 4, "right");
    right.accessKey = QStringLiteral("correct horse");
    ASSERT_TRUE(right.join(server.url("secret"), false));
    EXPECT_TRUE(right.challenged);
    // The server proves it holds the verifier too.
    EXPECT_EQ(right.welcome->serverSignature.size(), 32u);
    EXPECT_EQ(right.doc.count(EntityKind::Node), 1u);

    // The owner, with the owner token, skips the challenge.
    TestClient ownerAgain(0x95, 1, "owner");
    ownerAgain.ownerToken = owner.ownerToken;
    ASSERT_TRUE(ownerAgain.join(server.url("secret"), false, Role::Owner));
    EXPECT_FALSE(ownerAgain.challenged);
    EXPECT_EQ(ownerAgain.welcome->role, Role::Owner);
}

TEST_F(ServerTest, LargeTransactionsTravelInChunksAllOrNothing)
{
    TestClient a(0xa1, 1, "a");
    ASSERT_TRUE(a.join(server.url("big"), true));
    TestClient b(0xa2, 2, "b");
    ASSERT_TRUE(b.join(server.url("big"), false));
    TransactionBuilder t = a.doc.begin();
    for (int i = 0; i < 60'000; ++i)
        t.createNode({{{Field::Label, {}}, Value("node with a fairly long label number " + std::to_string(i))}});
    const Transaction big = a.doc.commit(t);
    ASSERT_GT(big.bytes().size(), 2u * 1024 * 1024); // more than the 1 MiB message limit
    SyncUpdate u;
    u.transaction = big;
    const std::vector<std::string> chunks = encodeTransaction(u, Direction::ToServer);
    ASSERT_GT(chunks.size(), 2u);
    for (const std::string& c : chunks)
        a.sendRaw(QByteArray(c.data(), qsizetype(c.size())));
    a.sent.push_back(big);
    ASSERT_TRUE(waitFor([&] { return a.acknowledged(big); }, 30'000));
    ASSERT_TRUE(waitFor([&] { return b.doc.count(EntityKind::Node) == 60'000u; }, 30'000));
    EXPECT_EQ(a.doc.canonicalHash(), b.doc.canonicalHash());
}

TEST_F(ServerTest, NamedVersionsAreSavedListedAndFetched)
{
    TestClient a(0xb1, 1, "a");
    ASSERT_TRUE(a.join(server.url("history"), true));
    a.addNode("v1 node");
    ASSERT_TRUE(waitFor([&] { return a.committed >= 1; }));
    const std::string atFirst = a.doc.canonicalHash();
    // b joins at this state: the server compresses the room's snapshot for it, and the first
    // version is then saved from that snapshot; the second, after another edit, is compressed
    // for the purpose (off the storage thread both ways).
    TestClient b(0xb2, 2, "b");
    ASSERT_TRUE(b.join(server.url("history"), false));
    SaveVersion save;
    save.name = "first draft";
    a.send(save);
    ASSERT_TRUE(waitFor([&] { return !a.versions.empty(); }));
    EXPECT_EQ(a.versions[0].name, "first draft");
    EXPECT_EQ(a.versions[0].createdBy, 1u);
    // The others in the room are told too, unasked (their history lists refresh).
    ASSERT_TRUE(waitFor([&] { return !b.versions.empty(); }));
    EXPECT_EQ(b.versions, a.versions);

    a.addNode("v2 node");
    ASSERT_TRUE(waitFor([&] { return a.committed >= 2; }));
    const std::string atSecond = a.doc.canonicalHash();
    save.name = "second draft";
    a.send(save);
    ASSERT_TRUE(waitFor([&] { return a.versions.size() == 2u; }));
    a.versions.clear();
    a.send(ListVersions {});
    ASSERT_TRUE(waitFor([&] { return a.versions.size() == 2u; }));
    EXPECT_EQ(a.versions[1].name, "second draft");

    // Each version comes back as the room was when it was saved, with its sequence number.
    for (const VersionInfo& v : a.versions)
        b.send(FetchVersion {v.id});
    ASSERT_TRUE(waitFor([&] { return b.fetchedVersions.size() == 2u; })) << b.errors.size();
    const std::string expected[] = {atFirst, atSecond};
    for (std::size_t i = 0; i < 2; ++i) {
        const auto& [seq, bytes] = b.fetchedVersions.at(a.versions[i].id);
        EXPECT_EQ(seq, a.versions[i].seq);
        GraphDocument loaded(0x99, 9);
        std::string problem;
        ASSERT_TRUE(loaded.mergeSnapshot(bytes, &problem)) << problem;
        EXPECT_EQ(loaded.canonicalHash(), expected[i]) << a.versions[i].name;
        EXPECT_EQ(loaded.count(EntityKind::Node), i + 1);
    }
    EXPECT_EQ(b.doc.canonicalHash(), a.doc.canonicalHash()) << "a fetched version leaves the document alone";
    // Counted: one compression for b's join, which the first version reused, and one for the
    // second version.
    EXPECT_EQ(metricValue(httpGet(server.port(), "/metrics"), "constellate_snapshots_compressed_total"), 2);

    // An unknown version is an error that names it, and the connection carries on.
    b.send(FetchVersion {12345});
    ASSERT_TRUE(waitFor([&] { return !b.errors.empty(); }));
    EXPECT_EQ(b.errors[0].code, std::uint16_t(ErrorCode::VersionNotFound));
    EXPECT_NE(b.errors[0].message.find("12345"), std::string::npos) << b.errors[0].message;
    b.addNode("after");
    ASSERT_TRUE(waitFor([&] { return a.doc.count(EntityKind::Node) == 3u; }));
}

// The log is compacted into snapshots as the room grows; the snapshot is compressed off the
// storage thread and stored before a graceful stop; a restarted server loads it and the log's
// tail, and a newcomer gets the whole room.
TEST(ServerCompaction, TheLogIsCompactedIntoASnapshotThatHoldsTheWholeRoom)
{
    QTemporaryDir dir;
    ServerProcess server(dir.path(), {"--snapshot-every", "40"});
    ASSERT_TRUE(server.start()) << server.log().toStdString();
    std::string hash;
    {
        TestClient writer(0xd1, 1, "writer");
        ASSERT_TRUE(writer.join(server.url("compacted"), true));
        for (int i = 0; i < 100; ++i) {
            writer.addNode("node " + std::to_string(i));
            // In small batches, so that the room is caught up (all committed) now and then.
            if (i % 10 == 9) {
                ASSERT_TRUE(waitFor([&] { return writer.committed >= RoomSequence(i + 1); }));
            }
        }
        hash = writer.doc.canonicalHash();
    }
    EXPECT_EQ(server.terminate(), 0) << server.log().toStdString();

    QString error;
    {
        std::unique_ptr<net::RoomStore> store = net::RoomStore::open(dir.path(), QStringLiteral("compacted"), &error);
        ASSERT_TRUE(store) << error.toStdString();
        EXPECT_GE(store->compactedThrough(), 40u);
        EXPECT_LT(store->stats().logTransactions, 100u);
        const auto snapshot = store->latestSnapshot(&error);
        ASSERT_TRUE(snapshot && snapshot->exists) << error.toStdString();
        EXPECT_EQ(snapshot->seq, store->compactedThrough());
        GraphDocument loaded(0x98, 8);
        ASSERT_TRUE(store->loadDocument(loaded, &error)) << error.toStdString();
        EXPECT_EQ(loaded.canonicalHash(), hash);
    }

    ASSERT_TRUE(server.start()) << server.log().toStdString();
    TestClient newcomer(0xd2, 2, "newcomer");
    ASSERT_TRUE(newcomer.join(server.url("compacted"), false));
    EXPECT_EQ(newcomer.doc.canonicalHash(), hash);
    EXPECT_EQ(newcomer.doc.count(EntityKind::Node), 100u);
}

TEST(ServerBackPressure, AClientThatStopsReadingStaysBoundedWhileOthersGetEverything)
{
    QTemporaryDir dir;
    ServerProcess server(dir.path(), {"--send-queue-kib", "256"});
    ASSERT_TRUE(server.start());
    TestClient writer(0xc1, 1, "writer");
    ASSERT_TRUE(writer.join(server.url("busy"), true));
    TestClient reader(0xc2, 2, "reader");
    ASSERT_TRUE(reader.join(server.url("busy"), false));
    TestClient stalled(0xc3, 3, "stalled");
    ASSERT_TRUE(stalled.join(server.url("busy"), false));
    // The stalled client stops reading: its socket's receive buffer fills, then the
    // server's queue for it.
    stalled.socket.setReadBufferSize(1);
    stalled.socket.blockSignals(true);

    const std::string label(4000, 'x');
    const int count = 3000; // about 12 MB of edits: more than the kernel's buffers and the queue bound
    for (int i = 0; i < count; ++i) {
        TransactionBuilder t = writer.doc.begin();
        t.createNode({{{Field::Label, {}}, Value(label + std::to_string(i))}});
        writer.edit(t);
        if (i % 10 == 0)
            QCoreApplication::processEvents(); // the reader keeps up
    }
    // Counted, not timed: every message reaches the reader.
    ASSERT_TRUE(waitFor([&] { return reader.doc.count(EntityKind::Node) == std::size_t(count); }, 60'000))
        << reader.doc.count(EntityKind::Node) << " errors " << reader.errors.size() << " writer errors "
        << writer.errors.size() << (writer.errors.empty() ? std::string() : writer.errors[0].message) << "\n"
        << server.log().toStdString().substr(0, 3000);
    EXPECT_EQ(reader.doc.canonicalHash(), writer.doc.canonicalHash());
    // The stalled one is not buffered without bound: the server cuts it off with a reason
    // (or, on a slow machine, its connection ends first); the reader is never cut off.
    QString log;
    ASSERT_TRUE(waitFor([&] {
        log += server.log();
        return log.contains(QStringLiteral("slow client dropped room=busy stalled"))
            || log.contains(QStringLiteral("leave room=busy stalled"));
    }, 30'000)) << log.toStdString();
    EXPECT_FALSE(log.contains(QStringLiteral("slow client dropped room=busy reader")));
    // Both write paths were taken: straight to the socket, and behind the stalled one's backlog.
    const QByteArray metrics = httpGet(server.port(), "/metrics");
    EXPECT_GT(metricValue(metrics, "constellate_frames_direct_total"), 0);
    EXPECT_GT(metricValue(metrics, "constellate_frames_buffered_total"), 0);
}

TEST(ServerEpochs, AReplacedDataDirectoryIsBroughtUpToDateByVersionVectors)
{
    QTemporaryDir first, second;
    Resume held;
    TestClient alice(0xd1, 1, "alice");
    {
        ServerProcess server(first.path());
        ASSERT_TRUE(server.start());
        ASSERT_TRUE(alice.join(server.url("moved"), true));
        for (int i = 0; i < 10; ++i)
            alice.addNode("n" + std::to_string(i));
        ASSERT_TRUE(waitFor([&] { return alice.acknowledged(alice.sent.back()); }));
        held = {alice.welcome->epoch, alice.committed};
        server.kill();
    }
    // Another host, empty: the room is created again from alice's copy.
    ServerProcess server(second.path());
    ASSERT_TRUE(server.start());
    alice.socket.abort();
    ASSERT_TRUE(alice.join(server.url("moved"), true, Role::Editor, held));
    EXPECT_NE(alice.welcome->epoch, held.epoch);
    EXPECT_EQ(alice.welcome->sync, SyncMode::VersionVectors);
    ASSERT_TRUE(waitFor([&] { return alice.resentAfterEpochChange == 10u; }));
    TestClient bob(0xd2, 2, "bob");
    ASSERT_TRUE(bob.join(server.url("moved"), false));
    ASSERT_TRUE(waitFor([&] { return bob.doc.count(EntityKind::Node) == 10u; }));
    EXPECT_EQ(bob.doc.canonicalHash(), alice.doc.canonicalHash());
}

// Every option of constellate-server that takes a value refuses a bad one with a message that
// names it, exit code 2, and no port opened.
TEST(ServerCommandLine, BadValuesAreRefusedByName)
{
    QTemporaryDir dir;
    struct Case {
        QStringList args;
        QString says;
    };
    const std::vector<Case> cases {
        {{"--port", "70000"}, "--port takes a number from 0 to 65535"},
        {{"--bind", "not-an-address"}, "--bind takes an IP address"},
        {{"--max-clients", "0"}, "--max-clients takes a positive number"},
        {{"--send-queue-kib", "8"}, "--send-queue-kib takes a number of at least 16"},
        {{"--away-after", "-1"}, "--away-after takes a number of seconds"},
        {{"--max-messages-per-second", "many"}, "--max-messages-per-second takes a number"},
        {{"--parallel-fanout-from", "-3"}, "--parallel-fanout-from takes a number of clients"},
        {{"--snapshot-every", "0"}, "--snapshot-every takes a positive number"},
        {{"--storage-threads", "0"}, "--storage-threads takes a number from 1 to 64"},
        {{"--storage-threads", "65"}, "--storage-threads takes a number from 1 to 64"},
        {{"--log-level", "loud"}, "--log-level takes error, warning, info or debug"},
        {{"backup"}, "unknown command 'backup'"},
    };
    for (const Case& c : cases) {
        QStringList args {"--port", "0", "--bind", "127.0.0.1", "--data-dir", dir.path()};
        args += c.args; // a later --port or --bind wins
        QProcess p;
        p.start(QStringLiteral(CONSTELLATE_SERVER), args);
        ASSERT_TRUE(p.waitForFinished(10'000)) << c.args.join(' ').toStdString();
        const QString err = QString::fromUtf8(p.readAllStandardError());
        EXPECT_EQ(p.exitStatus(), QProcess::NormalExit) << c.args.join(' ').toStdString();
        EXPECT_EQ(p.exitCode(), 2) << c.args.join(' ').toStdString() << ": " << err.toStdString();
        EXPECT_TRUE(err.contains(c.says)) << c.args.join(' ').toStdString() << ": " << err.toStdString();
        EXPECT_FALSE(p.readAllStandardOutput().contains("listening"));
    }
}
