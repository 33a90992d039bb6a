// The client library against the real server process on a loopback port: several
// SyncClients in one process, each with its own document and journal. Every wait is on a
// condition with a generous deadline; nothing asserts how long something took.

#include "identity.h"
#include "presence.h"
#include "syncclient.h"
#include "testclient.h"

#include <QMetaEnum>
#include <QSslCertificate>
#include <QTemporaryDir>

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <memory>
#include <random>

using namespace constellate;
using namespace constellate::net;
using namespace constellate::test;
using constellate::net::protocol::ErrorCode;
using constellate::net::protocol::PeerIndex;
using constellate::net::protocol::Role;
using State = SyncClient::State;

namespace {

constexpr int Long = 60'000; // ms: a deadline for a noisy shared machine, never a measurement

/// One editor: a document (with durable counters in its profile) and its client.
struct Member {
    Member(const QString& profile, ReplicaId replica, UserId user, HlcClock clock = HlcClock())
        : counters(std::make_unique<FileCounterReservation>(
              profile + QStringLiteral("/counter-%1").arg(replica, 8, 16, QLatin1Char('0')), replica))
        , doc(replica, user, std::move(clock))
        , profileDir(profile)
    {
        doc.setCounterReservation(counters.get());
    }

    void connect(SyncClientOptions options)
    {
        client = std::make_unique<SyncClient>(doc, std::move(options));
        SyncClient* c = client.get();
        QObject::connect(c, &SyncClient::failed, [this](int code, const QString& message) {
            failures.emplace_back(code, message);
        });
        QObject::connect(c, &SyncClient::conflictsDetected, [this](const std::vector<Conflict>& found) {
            conflicts.insert(conflicts.end(), found.begin(), found.end());
        });
        QObject::connect(c, &SyncClient::stateChanged, [this](State s, const QDateTime& next) {
            if (s == State::Connecting)
                ++attempts;
            if (s == State::Reconnecting && next.isValid())
                lastRetry = next;
        });
        QObject::connect(c, &SyncClient::acknowledged, [this](OpId, quint64) { ++acks; });
        QObject::connect(c, &SyncClient::uploadProgress, [this](quint64 sent, quint64 total) {
            uploads.emplace_back(sent, total);
        });
        QObject::connect(c, &SyncClient::downloadProgress, [this](quint64 received, quint64 total) {
            downloads.emplace_back(received, total);
        });
        QObject::connect(c, &SyncClient::documentChanged, [this](const DocumentChange& change) {
            if (change.source == DocumentChange::Source::Remote)
                remoteChanges.push_back(change);
        });
        QObject::connect(c, &SyncClient::transactionApplied, [this](const Transaction& t, PeerIndex, quint64) {
            applied.push_back(t.header());
        });
    }
    bool online() const { return client && client->state() == State::Online; }
    bool settled() const { return online() && client->pendingCount() == 0; }

    std::unique_ptr<FileCounterReservation> counters;
    GraphDocument doc;
    QString profileDir;
    std::unique_ptr<SyncClient> client;
    std::vector<std::pair<int, QString>> failures;
    std::vector<Conflict> conflicts;
    std::vector<std::pair<quint64, quint64>> uploads, downloads;
    std::vector<DocumentChange> remoteChanges;
    std::vector<TransactionHeader> applied; ///< remote transactions, as applied
    QDateTime lastRetry;
    int attempts = 0;
    int acks = 0;
};

/// Where a member stands, for a failure message: its client's state, what the server has not
/// acknowledged, where it would resume, its last problem and its document.
std::string describe(const Member& m, bool withOperations = false)
{
    if (!m.client)
        return "no client";
    const SyncClient& c = *m.client;
    std::string s = QMetaEnum::fromType<State>().valueToKey(int(c.state()));
    s += ", " + std::to_string(c.pendingCount()) + " pending, resumes at " + std::to_string(c.resumePoint().committed)
        + ", " + std::to_string(m.attempts) + " connections, " + std::to_string(m.acks) + " acknowledged, "
        + std::to_string(m.doc.count(EntityKind::Node)) + " nodes, hash " + m.doc.canonicalHash().substr(0, 16);
    if (c.lastErrorCode() != 0)
        s += ", last problem " + std::to_string(c.lastErrorCode()) + ": " + c.lastError().toStdString();
    for (const auto& [code, message] : m.failures)
        s += ", failed " + std::to_string(code) + ": " + message.toStdString();
    if (withOperations)
        s += ", operations " + m.doc.versionVector().toString();
    return s;
}

/// One line for each member for which `ok` is false, described.
template<typename Ok>
std::string membersNot(const std::vector<std::unique_ptr<Member>>& members, Ok ok, bool withOperations = false)
{
    std::string out;
    for (std::size_t i = 0; i < members.size(); ++i)
        if (!ok(*members[i]))
            out += "\n  member " + std::to_string(i) + ": " + describe(*members[i], withOperations);
    return out;
}

/// The end of a server's log (the latest lines tell the most).
std::string logTail(ServerProcess& server, std::size_t bytes = 6000)
{
    const std::string log = server.log().toStdString();
    return log.size() > bytes ? "..." + log.substr(log.size() - bytes) : log;
}

SyncClientOptions options(const QUrl& url, const std::string& name, const QString& journalDir = {})
{
    SyncClientOptions o;
    o.url = url;
    o.displayName = name;
    o.journalDir = journalDir;
    // Fast retries keep the tests short; the shape of the backoff is tested on its own.
    o.initialRetryMs = 50;
    o.maxRetryMs = 400;
    o.pingIntervalMs = 300;
    return o;
}

EntityId addNode(SyncClient& c, const std::string& label, Vec3 at = {})
{
    TransactionBuilder b = c.document().begin();
    const EntityId id = b.createNode({{{Field::Label, {}}, Value(label)}, {{Field::Position, {}}, Value(at)}});
    c.commit(b);
    return id;
}

std::vector<EntityId> visibleNodes(const GraphDocument& doc)
{
    std::vector<EntityId> out;
    doc.forEach(EntityKind::Node, [&](const GraphDocument::Entity& e) { out.push_back(e.id); }, true);
    return out;
}

/// One random user action, as an editor would make it: one transaction.
void randomEdit(SyncClient& c, std::mt19937& rng)
{
    GraphDocument& doc = c.document();
    const std::vector<EntityId> nodes = visibleNodes(doc);
    auto pick = [&] { return nodes[rng() % nodes.size()]; };
    auto coord = [&] { return float(int(rng() % 2001) - 1000) / 10.0f; };
    TransactionBuilder b = doc.begin();
    const unsigned r = rng() % 100;
    if (nodes.size() < 3 || r < 25) {
        b.createNode({{{Field::Label, {}}, Value("n" + std::to_string(rng() % 100000))},
                      {{Field::Position, {}}, Value(Vec3 {coord(), coord(), coord()})}});
    } else if (r < 50) {
        doc.set(b, pick(), {Field::Position, {}}, Value(Vec3 {coord(), coord(), coord()}));
    } else if (r < 62) {
        doc.set(b, pick(), {Field::Label, {}}, Value("label " + std::to_string(rng() % 1000)));
    } else if (r < 70) {
        doc.set(b, pick(), {Field::Exists, {}}, Value(false));
    } else if (r < 84) {
        b.createEdge(pick(), pick(), rng() % 2 == 0, {{{Field::Weight, {}}, Value(double(rng() % 10))}});
    } else if (r < 92) {
        b.createAnnotation(pick(), AnnotationKind::Comment, {{{Field::Text, {}}, Value(std::string("why?"))}});
    } else {
        const EntityId fresh = b.createNode({{{Field::Label, {}}, Value(std::string("hub"))}});
        b.createEdge(fresh, pick(), true);
        doc.set(b, pick(), {Field::Color, {}}, Value::color(0xff0000ffu));
        doc.set(b, pick(), {Field::Property, "club"}, Value(std::string("x") + std::to_string(rng() % 3)));
    }
    c.commit(b);
}

/// A newcomer's view of the room: what the server holds.
std::string serverHash(const QUrl& url, const QString& profile, std::size_t* nodes = nullptr,
                       VersionVector* vector = nullptr)
{
    Member observer(profile, newReplicaId(), newUserId());
    observer.connect(options(url, "observer"));
    observer.client->start();
    EXPECT_TRUE(waitFor([&] { return observer.online(); }, Long)) << "the observer: " << describe(observer);
    if (nodes)
        *nodes = observer.doc.count(EntityKind::Node);
    if (vector)
        *vector = observer.doc.versionVector();
    return observer.doc.canonicalHash();
}

/// Runs the event loop for about `ms` milliseconds.
void pump(int ms)
{
    QElapsedTimer t;
    t.start();
    do {
        QCoreApplication::processEvents(QEventLoop::AllEvents, 5);
        QThread::usleep(200);
    } while (t.elapsed() < ms);
}

unsigned seedFromEnvironment()
{
    if (const char* s = std::getenv("CONSTELLATE_SYNC_SEED"))
        return unsigned(std::strtoul(s, nullptr, 10));
    return std::random_device {}();
}

} // namespace

// ---- pieces that need no server ---------------------------------------------------------------

TEST(ReconnectBackoff, DoublesToTheCapWithJitterBetweenHalfAndAll)
{
    double u = 0;
    ReconnectBackoff b(1000, 30'000, [&] { return u; });
    const std::vector<int> ceilings {1000, 2000, 4000, 8000, 16000, 30000, 30000};
    for (std::size_t i = 0; i < ceilings.size(); ++i) {
        EXPECT_EQ(b.ceiling(int(i)), ceilings[i]);
        u = i % 2 ? 0.0 : 0.999999;
        const int d = b.next();
        EXPECT_GE(d, ceilings[i] / 2);
        EXPECT_LE(d, ceilings[i]);
    }
    b.reset();
    u = 0;
    EXPECT_EQ(b.next(), 500);
    // The default random source stays in bounds too.
    ReconnectBackoff real(1000, 30'000);
    for (int i = 0; i < 50; ++i) {
        const int c = real.ceiling(real.attempts());
        const int d = real.next();
        EXPECT_GE(d, c / 2);
        EXPECT_LE(d, c);
    }
}

TEST(RoundTripTimes, RollingMedianAndNinetyFifthPercentile)
{
    RoundTripTimes rtt(20);
    EXPECT_EQ(rtt.median(), 0);
    for (int i = 1; i <= 100; ++i)
        rtt.add(i); // the window keeps 81 ... 100
    EXPECT_EQ(rtt.count(), 20u);
    EXPECT_EQ(rtt.median(), 90);
    EXPECT_EQ(rtt.percentile95(), 99);
    rtt.add(-1); // not a time
    rtt.add(std::nan(""));
    EXPECT_EQ(rtt.count(), 20u);
}

TEST(RemotePresence, InterpolatesBehindTheNewestSampleAndHoldsAfterIt)
{
    RemotePresence p(100);
    EXPECT_FALSE(p.cursor(1, 1000));
    p.addCursor(1, Vec3 {0, 0, 0}, 1000);
    p.addCursor(1, Vec3 {10, 0, 0}, 1020);
    p.addCursor(1, Vec3 {10, 20, 0}, 1040);
    EXPECT_EQ(*p.cursor(1, 1000), (Vec3 {0, 0, 0}));   // before the first: the first
    EXPECT_EQ(*p.cursor(1, 1110), (Vec3 {5, 0, 0}));   // display 1110 shows 1010
    EXPECT_EQ(*p.cursor(1, 1130), (Vec3 {10, 10, 0})); // 1030
    EXPECT_EQ(*p.cursor(1, 5000), (Vec3 {10, 20, 0})); // holds still, no guessing ahead
    // Several samples in one frame keep their order.
    p.addCursor(2, Vec3 {0, 0, 0}, 2000);
    p.addCursor(2, Vec3 {1, 0, 0}, 2000);
    EXPECT_EQ(*p.cursor(2, 3000), (Vec3 {1, 0, 0}));
    // After a pause the next move takes at most 100 ms, not the whole pause.
    p.addCursor(3, Vec3 {0, 0, 0}, 0);
    p.addCursor(3, Vec3 {100, 0, 0}, 10'000);
    EXPECT_EQ(*p.cursor(3, 9950), (Vec3 {0, 0, 0}));    // shows 9850: still resting
    EXPECT_EQ(*p.cursor(3, 10'050), (Vec3 {50, 0, 0})); // shows 9950: halfway
    p.removePeer(1);
    EXPECT_FALSE(p.cursor(1, 1100));
    EXPECT_EQ(p.peers(), (std::vector<PeerIndex> {2, 3}));
}

TEST(RemotePresence, SlerpsOrientationsTheShortWay)
{
    using protocol::Quat;
    const float s = std::sqrt(0.5f);
    const Quat a {0, 0, 0, 1};
    const Quat b {0, 0, s, s}; // 90 degrees about z
    const Quat half = RemotePresence::slerp(a, b, 0.5f);
    EXPECT_NEAR(protocol::rotationAngleDegrees(a, half), 45.0, 0.01);
    EXPECT_NEAR(protocol::rotationAngleDegrees(half, b), 45.0, 0.01);
    const Quat minusB {-b.x, -b.y, -b.z, -b.w}; // the same rotation
    EXPECT_NEAR(protocol::rotationAngleDegrees(a, RemotePresence::slerp(a, minusB, 0.5f)), 45.0, 0.01);

    RemotePresence p(50);
    protocol::VrPose first, second;
    first.head = {Vec3 {0, 1.6f, 0}, a};
    second.head = {Vec3 {1, 1.6f, 0}, b};
    second.right = protocol::Pose {Vec3 {0.3f, 1.2f, 0}, a};
    p.addVrPose(7, first, 0);
    p.addVrPose(7, second, 40);
    const protocol::VrPose mid = *p.vrPose(7, 70); // shows 20: halfway
    EXPECT_NEAR(mid.head.position.x, 0.5f, 1e-5);
    EXPECT_NEAR(protocol::rotationAngleDegrees(mid.head.orientation, half), 0.0, 0.01);
    EXPECT_TRUE(mid.right.has_value()); // tracked in the nearer sample
    // Placed in the graph: scaled, rotated, moved.
    protocol::Placement place;
    place.scale = 2;
    place.translation = Vec3 {10, 0, 0};
    place.rotation = b;
    const protocol::Pose g = RemotePresence::toGraph(place, protocol::Pose {Vec3 {1, 0, 0}, a});
    EXPECT_NEAR(g.position.x, 10, 1e-5);
    EXPECT_NEAR(g.position.y, 2, 1e-5);
}

// ---- against the real server -----------------------------------------------------------------

class SyncClientTest : public ::testing::Test {
protected:
    void SetUp() override { ASSERT_TRUE(server.start()) << server.log().toStdString(); }
    QString profile(const QString& name)
    {
        const QString path = profiles.filePath(name);
        QDir().mkpath(path);
        return path;
    }
    QTemporaryDir data;
    QTemporaryDir profiles;
    ServerProcess server {data.path()};
};

TEST_F(SyncClientTest, RandomEditsDisconnectsAndARestartAllConvergeOnTheServersState)
{
    const unsigned seed = seedFromEnvironment();
    SCOPED_TRACE("CONSTELLATE_SYNC_SEED=" + std::to_string(seed));
    std::mt19937 rng(seed);
    const QUrl url = server.url(QStringLiteral("fuzz"));
    std::vector<std::unique_ptr<Member>> members;
    for (int i = 0; i < 5; ++i) {
        const QString dir = profile(QStringLiteral("m%1").arg(i));
        members.push_back(std::make_unique<Member>(dir, newReplicaId(), i == 4 ? members[3]->doc.user() : newUserId()));
        SyncClientOptions o = options(url, "member " + std::to_string(i), dir);
        o.createRoom = i == 0;
        members.back()->connect(o);
        members.back()->client->start();
        if (i == 0) {
            ASSERT_TRUE(waitFor([&] { return members[0]->online(); }, Long)) << members[0]->client->lastError().toStdString();
        }
    }
    ASSERT_TRUE(waitFor([&] { return std::all_of(members.begin(), members.end(), [](auto& m) { return m->online(); }); }, Long))
        << "not online:" << membersNot(members, [](const Member& m) { return m.online(); });

    const int steps = 600;
    for (int step = 0; step < steps; ++step) {
        Member& m = *members[rng() % members.size()];
        randomEdit(*m.client, rng);
        if (rng() % 30 == 0)
            members[rng() % members.size()]->client->abortConnection();
        if (step == steps / 2) {
            ASSERT_TRUE(server.restart()) << "the server did not come back on its port"; // kill -9: no goodbye
        }
        // Let the network move a little, sometimes more than others.
        pump(int(rng() % 5));
    }
    ASSERT_TRUE(waitFor([&] { return std::all_of(members.begin(), members.end(), [](auto& m) { return m->settled(); }); }, Long))
        << "not settled (online with nothing pending):" << membersNot(members, [](const Member& m) { return m.settled(); })
        << "\nthe restarted server's log:\n" << logTail(server);
    for (auto& m : members) {
        EXPECT_TRUE(m->failures.empty()) << m->failures.front().second.toStdString();
    }

    std::size_t nodes = 0;
    VersionVector held;
    const std::string expected = serverHash(url, profile(QStringLiteral("observer")), &nodes, &held);
    EXPECT_GT(nodes, 10u);
    ASSERT_TRUE(waitFor([&] {
        return std::all_of(members.begin(), members.end(), [&](auto& m) { return m->doc.canonicalHash() == expected; });
    }, Long)) << "the server holds " << nodes << " nodes, hash " << expected.substr(0, 16) << ", operations "
              << held.toString() << "; these members differ:"
              << membersNot(members, [&](const Member& m) { return m.doc.canonicalHash() == expected; }, true)
              << "\nthe restarted server's log:\n" << logTail(server);
    int attempts = 0, acks = 0, conflicts = 0;
    for (auto& m : members) {
        EXPECT_EQ(m->doc.count(EntityKind::Node), nodes);
        attempts += m->attempts;
        acks += m->acks;
        conflicts += int(m->conflicts.size());
    }
    // Disconnects and the restart happened: more connections than members.
    EXPECT_GT(attempts, 2 * int(members.size()));
    std::printf("seed %u: %zu nodes, %d transactions acknowledged, %d connections, %d conflicts reported\n", seed, nodes,
                acks, attempts, conflicts);
}

TEST_F(SyncClientTest, TwoClientsEditOfflineThenMergeAndTheLoserSeesTheConflict)
{
    const QUrl url = server.url(QStringLiteral("offline"));
    Member alice(profile(QStringLiteral("alice")), newReplicaId(), newUserId());
    // Bob's clock runs 2 s ahead, so his concurrent write wins (the server allows 60 s).
    Member bob(profile(QStringLiteral("bob")), newReplicaId(), newUserId(),
               HlcClock([] { return HlcClock::systemMillis() + 2000; }));
    SyncClientOptions ao = options(url, "alice", alice.profileDir);
    ao.createRoom = true;
    alice.connect(ao);
    alice.client->start();
    ASSERT_TRUE(waitFor([&] { return alice.online(); }, Long));
    bob.connect(options(url, "bob", bob.profileDir));
    bob.client->start();
    const EntityId shared = addNode(*alice.client, "shared");
    ASSERT_TRUE(waitFor([&] {
        return alice.settled() && bob.online() && bob.doc.isVisible(shared) && alice.client->resumePoint().committed == 1
            && bob.client->resumePoint().committed == 1;
    }, Long));

    server.kill();
    ASSERT_TRUE(waitFor([&] { return !alice.online() && !bob.online(); }, Long));
    TransactionBuilder a = alice.doc.begin();
    alice.doc.set(a, shared, {Field::Label, {}}, Value(std::string("alice's name")));
    alice.client->commit(a);
    const EntityId aliceNode = addNode(*alice.client, "made offline by alice");
    TransactionBuilder b = bob.doc.begin();
    bob.doc.set(b, shared, {Field::Label, {}}, Value(std::string("bob's name")));
    bob.client->commit(b);
    const EntityId bobNode = addNode(*bob.client, "made offline by bob");
    EXPECT_EQ(alice.client->pendingCount(), 2u);
    EXPECT_EQ(bob.client->pendingCount(), 2u);
    EXPECT_EQ(alice.client->state(), State::Reconnecting);
    EXPECT_TRUE(alice.lastRetry.isValid());

    ASSERT_TRUE(server.start(server.port()));
    ASSERT_TRUE(waitFor([&] {
        return alice.settled() && bob.settled() && alice.doc.canonicalHash() == bob.doc.canonicalHash();
    }, Long));
    EXPECT_TRUE(alice.doc.isVisible(bobNode));
    EXPECT_TRUE(bob.doc.isVisible(aliceNode));
    EXPECT_EQ(alice.doc.label(*alice.doc.entity(shared)), "bob's name");
    // Alice's write lost to one she had not seen: she is told, with both values.
    ASSERT_EQ(alice.conflicts.size(), 1u);
    EXPECT_EQ(alice.conflicts[0].entity, shared);
    EXPECT_EQ(alice.conflicts[0].field.field, Field::Label);
    EXPECT_EQ(alice.conflicts[0].mine, Value(std::string("alice's name")));
    EXPECT_EQ(alice.conflicts[0].theirs, Value(std::string("bob's name")));
    EXPECT_EQ(alice.conflicts[0].byUser, bob.doc.user());
    EXPECT_TRUE(bob.conflicts.empty()); // his write won: nothing of his was replaced
    EXPECT_EQ(serverHash(url, profile(QStringLiteral("observer"))), alice.doc.canonicalHash());
}

TEST_F(SyncClientTest, AReplacedDataDirectoryIsBroughtUpToDateByTheClientsVersionVectors)
{
    const QUrl url = server.url(QStringLiteral("moved"));
    Member alice(profile(QStringLiteral("alice")), newReplicaId(), newUserId());
    Member bob(profile(QStringLiteral("bob")), newReplicaId(), newUserId());
    SyncClientOptions ao = options(url, "alice", alice.profileDir);
    ao.createRoom = true;
    alice.connect(ao);
    alice.client->start();
    ASSERT_TRUE(waitFor([&] { return alice.online(); }, Long));
    bob.connect(options(url, "bob", bob.profileDir));
    bob.client->start();
    ASSERT_TRUE(waitFor([&] { return bob.online(); }, Long));
    for (int i = 0; i < 10; ++i) {
        addNode(*alice.client, "alice " + std::to_string(i));
        addNode(*bob.client, "bob " + std::to_string(i));
    }
    TransactionBuilder edge = bob.doc.begin();
    const std::vector<EntityId> nodes = visibleNodes(bob.doc);
    ASSERT_FALSE(nodes.empty());
    edge.createEdge(nodes.front(), nodes.back(), true);
    bob.client->commit(edge);
    ASSERT_TRUE(waitFor([&] {
        return alice.settled() && bob.settled() && alice.doc.canonicalHash() == bob.doc.canonicalHash()
            && alice.doc.count(EntityKind::Node) == 20u;
    }, Long));
    const protocol::Epoch oldEpoch = alice.client->resumePoint().epoch;
    ASSERT_NE(oldEpoch, 0u);

    // The server comes back on the same address with an empty data directory.
    const quint16 port = server.port();
    server.kill();
    QTemporaryDir replaced;
    ServerProcess second(replaced.path());
    ASSERT_TRUE(second.start(port));
    ASSERT_TRUE(waitFor([&] {
        return alice.settled() && bob.settled() && alice.client->resumePoint().epoch != oldEpoch
            && bob.client->resumePoint().epoch != oldEpoch;
    }, Long)) << second.log().toStdString();
    EXPECT_EQ(alice.client->resumePoint().epoch, bob.client->resumePoint().epoch);
    std::size_t count = 0;
    const std::string expected = serverHash(url, profile(QStringLiteral("observer")), &count);
    EXPECT_EQ(count, 20u);
    EXPECT_EQ(expected, alice.doc.canonicalHash());
    EXPECT_EQ(expected, bob.doc.canonicalHash());
    EXPECT_TRUE(alice.failures.empty() && bob.failures.empty());
}

TEST_F(SyncClientTest, AnEditorClosedWithUnsentEditsSendsThemFromItsJournalWhenReopened)
{
    const QUrl url = server.url(QStringLiteral("journaled"));
    const QString aliceProfile = profile(QStringLiteral("alice"));
    const ReplicaId aliceReplica = newReplicaId();
    const UserId aliceUser = newUserId();
    Member bob(profile(QStringLiteral("bob")), newReplicaId(), newUserId());
    std::vector<EntityId> made;
    std::string autosave; // what the editor saved of its document when it closed
    {
        Member alice(aliceProfile, aliceReplica, aliceUser);
        SyncClientOptions o = options(url, "alice", aliceProfile);
        o.createRoom = true;
        alice.connect(o);
        alice.client->start();
        ASSERT_TRUE(waitFor([&] { return alice.online(); }, Long));
        bob.connect(options(url, "bob", bob.profileDir));
        bob.client->start();
        made.push_back(addNode(*alice.client, "before"));
        ASSERT_TRUE(waitFor([&] { return alice.settled() && bob.online() && bob.doc.isVisible(made[0]); }, Long));

        server.kill();
        ASSERT_TRUE(waitFor([&] { return !alice.online(); }, Long));
        for (int i = 0; i < 5; ++i)
            made.push_back(addNode(*alice.client, "offline " + std::to_string(i)));
        EXPECT_EQ(alice.client->pendingCount(), 5u);
        autosave = alice.doc.encodeSnapshot();
        // The editor closes: client and document are gone, the journal stays.
    }

    {
        // Reopened with an empty document: the journal's pending edits are applied at once;
        // it cannot resume from where it was (the document lacks what came before), so it
        // will catch up from the start of the room.
        Member blank(aliceProfile, aliceReplica, aliceUser);
        blank.connect(options(url, "alice", aliceProfile));
        EXPECT_EQ(blank.client->pendingCount(), 5u);
        EXPECT_EQ(blank.doc.count(EntityKind::Node), 5u);
        EXPECT_TRUE(blank.client->resumePoint().isValid());
        EXPECT_EQ(blank.client->resumePoint().committed, 0u);
    }
    // Reopened with its autosave, before the server is back: it resumes where it was.
    Member alice(aliceProfile, aliceReplica, aliceUser);
    std::string why;
    ASSERT_TRUE(alice.doc.mergeSnapshot(autosave, &why)) << why;
    alice.connect(options(url, "alice", aliceProfile));
    EXPECT_EQ(alice.client->pendingCount(), 5u);
    EXPECT_EQ(alice.client->resumePoint().committed, 1u);
    for (std::size_t i = 1; i < made.size(); ++i)
        EXPECT_TRUE(alice.doc.isVisible(made[i]));
    alice.client->start();
    // The server is down: connection refused is transient, so it keeps trying with backoff.
    ASSERT_TRUE(waitFor([&] { return alice.attempts >= 3; }, Long));
    EXPECT_TRUE(alice.failures.empty());
    EXPECT_TRUE(alice.lastRetry.isValid());

    ASSERT_TRUE(server.start(server.port()));
    ASSERT_TRUE(waitFor([&] { return alice.settled() && bob.online(); }, Long));
    ASSERT_TRUE(waitFor([&] {
        return std::all_of(made.begin(), made.end(), [&](EntityId id) { return bob.doc.isVisible(id); });
    }, Long));
    EXPECT_EQ(bob.doc.count(EntityKind::Node), 6u);
    ASSERT_TRUE(waitFor([&] { return alice.doc.canonicalHash() == bob.doc.canonicalHash(); }, Long));
    // Everything acknowledged: the journal holds nothing more.
    alice.client.reset();
    {
        Journal journal;
        QString error;
        ASSERT_TRUE(journal.open(aliceProfile + QLatin1Char('/') + Journal::fileName("journaled", aliceReplica), "journaled",
                                 aliceReplica, &error))
            << error.toStdString();
        EXPECT_TRUE(journal.pending().empty());
        EXPECT_GE(journal.highestCounter(), made.back().counter);
    }

    // A document of that replica that would hand out its counters again is refused.
    GraphDocument careless(aliceReplica, aliceUser); // no counter reservation
    SyncClient reuse(careless, options(url, "alice", aliceProfile));
    std::vector<int> codes;
    QObject::connect(&reuse, &SyncClient::failed, [&](int code, const QString&) { codes.push_back(code); });
    reuse.start();
    ASSERT_EQ(codes, (std::vector<int> {SyncClient::CounterReuse}));
    EXPECT_EQ(reuse.state(), State::Offline);
}

TEST_F(SyncClientTest, HandshakeRefusalsAreClearMessagesNotRetryLoops)
{
    TestClient owner(newReplicaId(), newUserId(), "owner");
    ASSERT_TRUE(owner.join(server.url(QStringLiteral("room")), true));

    struct Case {
        const char* what;
        QString room;
        std::function<void(SyncClientOptions&)> tweak;
        int code;
        const char* says;
    };
    const std::vector<Case> cases {
        {"a newer protocol", "room", [](SyncClientOptions& o) { o.versions = {2, 3}; }, int(ErrorCode::VersionMismatch),
         "version"},
        {"a room that does not exist", "nowhere", [](SyncClientOptions&) {}, int(ErrorCode::RoomNotFound),
         "does not exist"},
        {"creating one that exists", "room", [](SyncClientOptions& o) { o.createRoom = true; },
         int(ErrorCode::RoomExists), "exists"},
        {"owner without the token", "room", [](SyncClientOptions& o) { o.role = Role::Owner; },
         int(ErrorCode::RoleRefused), "owner"},
        {"a bad room name", "bad room", [](SyncClientOptions&) {}, int(ErrorCode::BadRoomName), "room name"},
    };
    for (const Case& c : cases) {
        SCOPED_TRACE(c.what);
        Member m(profile(QStringLiteral("m")), newReplicaId(), newUserId());
        SyncClientOptions o = options(server.url(c.room), "someone");
        c.tweak(o);
        m.connect(o);
        m.client->start();
        ASSERT_TRUE(waitFor([&] { return !m.failures.empty(); }, Long));
        EXPECT_EQ(m.failures[0].first, c.code);
        EXPECT_TRUE(m.failures[0].second.contains(QLatin1String(c.says))) << m.failures[0].second.toStdString();
        EXPECT_EQ(m.client->state(), State::Offline);
        EXPECT_FALSE(m.client->nextRetry().isValid());
        // No retry loop: however long we wait, it stays put.
        const int attempts = m.attempts;
        waitFor([] { return false; }, 1000);
        EXPECT_EQ(m.attempts, attempts);
        EXPECT_EQ(m.failures.size(), 1u);
    }

    // Another connection holds this replica id on a first join: a clash, not a ghost.
    {
        Member twin(profile(QStringLiteral("twin")), owner.doc.replica(), newUserId());
        twin.connect(options(server.url(QStringLiteral("room")), "twin"));
        twin.client->start();
        ASSERT_TRUE(waitFor([&] { return !twin.failures.empty(); }, Long));
        EXPECT_EQ(twin.failures[0].first, int(ErrorCode::ReplicaTaken));
    }

    // An access key: a wrong one is refused without retrying, the right one gets in, and the
    // server proves it holds the verifier.
    Member keeper(profile(QStringLiteral("keeper")), newReplicaId(), newUserId());
    SyncClientOptions ko = options(server.url(QStringLiteral("secret")), "keeper");
    ko.createRoom = true;
    keeper.connect(ko);
    keeper.client->start();
    ASSERT_TRUE(waitFor([&] { return keeper.online(); }, Long));
    const EntityId inside = addNode(*keeper.client, "inside");
    ASSERT_TRUE(keeper.client->setRoomAccessKey(QStringLiteral("correct horse")));
    ASSERT_TRUE(waitFor([&] {
        TestClient probe(newReplicaId(), newUserId(), "probe");
        return !probe.join(server.url(QStringLiteral("secret")), false) && !probe.errors.empty()
            && probe.errors[0].errorCode() == ErrorCode::AccessDenied;
    }, Long));
    Member wrong(profile(QStringLiteral("wrong")), newReplicaId(), newUserId());
    SyncClientOptions wo = options(server.url(QStringLiteral("secret")), "wrong");
    wo.accessKey = QStringLiteral("battery staple");
    wrong.connect(wo);
    wrong.client->start();
    ASSERT_TRUE(waitFor([&] { return !wrong.failures.empty(); }, Long));
    EXPECT_EQ(wrong.failures[0].first, int(ErrorCode::AccessDenied));
    EXPECT_TRUE(wrong.failures[0].second.contains(QLatin1String("access key")));
    EXPECT_EQ(wrong.client->state(), State::Offline);

    Member right(profile(QStringLiteral("right")), newReplicaId(), newUserId());
    SyncClientOptions ro = options(server.url(QStringLiteral("secret")), "right");
    ro.accessKey = QStringLiteral("correct horse");
    right.connect(ro);
    right.client->start();
    ASSERT_TRUE(waitFor([&] { return right.online() && right.doc.isVisible(inside); }, Long))
        << right.client->lastError().toStdString();
    EXPECT_TRUE(right.failures.empty());
    // The keeper created the room: with its owner token it skips the challenge on reconnect.
    EXPECT_FALSE(keeper.client->ownerToken().empty());
    keeper.client->abortConnection();
    ASSERT_TRUE(waitFor([&] { return keeper.online(); }, Long));
    EXPECT_EQ(keeper.client->role(), Role::Owner);
}

TEST_F(SyncClientTest, ALiveDragReachesTheOthersAsTransientPositionsAndCommitsOnce)
{
    const QUrl url = server.url(QStringLiteral("drag"));
    Member alice(profile(QStringLiteral("alice")), newReplicaId(), newUserId());
    Member bob(profile(QStringLiteral("bob")), newReplicaId(), newUserId());
    SyncClientOptions ao = options(url, "alice");
    ao.createRoom = true;
    alice.connect(ao);
    alice.client->start();
    ASSERT_TRUE(waitFor([&] { return alice.online(); }, Long));
    bob.connect(options(url, "bob"));
    bob.client->start();
    const EntityId n = addNode(*alice.client, "n", Vec3 {0, 0, 0});
    const EntityId m = addNode(*alice.client, "m", Vec3 {5, 0, 0});
    ASSERT_TRUE(waitFor([&] { return alice.settled() && bob.online() && bob.doc.isVisible(m); }, Long));
    const PeerIndex alicePeer = alice.client->peerIndex();
    ASSERT_TRUE(waitFor([&] { return bob.client->peers().count(alicePeer) == 1; }, Long));
    // Alice was in the room before Bob: in his WELCOME's stream state, then announced by a
    // USER_JOINED, which is no protocol violation.
    EXPECT_EQ(bob.client->lastError().toStdString(), "");

    // While the button is down: positions at up to 60 Hz, coalesced, never stored.
    const int acksBefore = alice.acks;
    const std::size_t changesBefore = bob.remoteChanges.size();
    const std::size_t appliedBefore = bob.applied.size();
    const std::uint32_t counterBefore = alice.doc.nextCounter();
    for (int step = 1; step <= 30; ++step) {
        const float x = float(step);
        alice.client->dragTo({{n, Vec3 {x, 1, 0}}, {m, Vec3 {5 + x, 1, 0}}});
        alice.client->setCursor(Vec3 {x, 1, 0});
        QCoreApplication::processEvents(QEventLoop::AllEvents, 5);
    }
    ASSERT_TRUE(waitFor([&] {
        const auto& t = bob.client->transientPositions();
        auto it = t.find(n);
        return it != t.end() && it->second.position == Vec3 {30, 1, 0} && it->second.peer == alicePeer
            && t.count(m) == 1 && t.at(m).position == Vec3 {35, 1, 0};
    }, Long));
    EXPECT_EQ(bob.doc.position(*bob.doc.entity(n)), (Vec3 {0, 0, 0})); // the document is untouched
    EXPECT_EQ(alice.doc.nextCounter(), counterBefore);                  // nothing was committed
    // The cursor came along too, smoothed by RemotePresence.
    ASSERT_TRUE(waitFor([&] {
        const auto c = bob.client->remotePresence().cursor(alicePeer, RemotePresence::nowMs() + 1000);
        return c && *c == Vec3 {30, 1, 0};
    }, Long));

    // The release: one transaction (one undo step) for both nodes.
    TransactionBuilder release = alice.doc.begin();
    alice.doc.set(release, n, {Field::Position, {}}, Value(Vec3 {30, 1, 0}));
    alice.doc.set(release, m, {Field::Position, {}}, Value(Vec3 {35, 1, 0}));
    alice.client->commit(release);
    alice.client->endDrag();
    ASSERT_TRUE(waitFor([&] {
        return alice.settled() && bob.client->transientPositions().empty()
            && bob.doc.position(*bob.doc.entity(m)) == Vec3 {35, 1, 0};
    }, Long));
    EXPECT_EQ(alice.acks - acksBefore, 1);
    EXPECT_EQ(alice.doc.nextCounter(), counterBefore + 2);
    std::size_t transactionsSeen = 0;
    for (std::size_t i = changesBefore; i < bob.remoteChanges.size(); ++i)
        transactionsSeen += std::count(bob.remoteChanges[i].entities.begin(), bob.remoteChanges[i].entities.end(), n);
    EXPECT_EQ(transactionsSeen, 1u);
    ASSERT_EQ(bob.applied.size(), appliedBefore + 1); // one transaction of two operations
    EXPECT_EQ(bob.applied.back().replica, alice.doc.replica());
    EXPECT_EQ(bob.applied.back().opCount, 2u);
    EXPECT_EQ(alice.doc.canonicalHash(), bob.doc.canonicalHash());

    // A dragger who leaves mid-drag leaves no stale overlay behind.
    alice.client->dragTo({{n, Vec3 {-7, 0, 0}}});
    ASSERT_TRUE(waitFor([&] { return bob.client->transientPositions().count(n) == 1; }, Long));
    alice.client->stop();
    ASSERT_TRUE(waitFor([&] { return bob.client->transientPositions().empty() && bob.client->peers().empty(); }, Long));

    // Round-trip times from pings.
    ASSERT_TRUE(waitFor([&] { return bob.client->roundTripTimes().count() >= 2; }, Long));
    EXPECT_GT(bob.client->roundTripTimes().median(), 0.0);
    EXPECT_GE(bob.client->roundTripTimes().percentile95(), bob.client->roundTripTimes().median());
}

TEST_F(SyncClientTest, ALargeImportTravelsInChunksWithProgressAndOneAcknowledgement)
{
    const QUrl url = server.url(QStringLiteral("import"));
    Member alice(profile(QStringLiteral("alice")), newReplicaId(), newUserId());
    Member bob(profile(QStringLiteral("bob")), newReplicaId(), newUserId());
    SyncClientOptions ao = options(url, "alice", alice.profileDir);
    ao.createRoom = true;
    alice.connect(ao);
    alice.client->start();
    ASSERT_TRUE(waitFor([&] { return alice.online(); }, Long));
    bob.connect(options(url, "bob"));
    bob.client->start();
    ASSERT_TRUE(waitFor([&] { return bob.online(); }, Long));

    TransactionBuilder b = alice.doc.begin();
    for (int i = 0; i < 20'000; ++i)
        b.createNode({{{Field::Label, {}}, Value("imported node " + std::to_string(i) + std::string(140, '.'))},
                      {{Field::Position, {}}, Value(Vec3 {float(i % 100), float(i / 100), 0})}});
    const Transaction big = alice.client->commit(b);
    ASSERT_GT(big.bytes().size(), protocol::DefaultMaxMessageBytes); // too large for one message
    ASSERT_TRUE(waitFor([&] { return alice.settled(); }, Long));
    EXPECT_EQ(alice.acks, 1);
    ASSERT_GE(alice.uploads.size(), 2u);
    EXPECT_EQ(alice.uploads.back(), std::make_pair(quint64(big.bytes().size()), quint64(big.bytes().size())));
    EXPECT_TRUE(std::is_sorted(alice.uploads.begin(), alice.uploads.end()));

    ASSERT_TRUE(waitFor([&] { return bob.doc.count(EntityKind::Node) == 20'000u; }, Long));
    ASSERT_GE(bob.downloads.size(), 2u);
    EXPECT_EQ(bob.downloads.back().first, bob.downloads.back().second);
    EXPECT_EQ(bob.doc.canonicalHash(), alice.doc.canonicalHash());
    // Edits keep flowing after it, in order.
    const EntityId after = addNode(*alice.client, "after the import");
    ASSERT_TRUE(waitFor([&] { return bob.doc.isVisible(after); }, Long));
}

TEST(SyncClientTls, AnUntrustedCertificateIsAClearRefusalAndATrustedOneConnects)
{
    QTemporaryDir data, profiles;
    const QString cert = QStringLiteral(CONSTELLATE_TEST_DATA "/tls/cert.pem");
    ServerProcess server(data.path(), {"--tls-cert", cert, "--tls-key", QStringLiteral(CONSTELLATE_TEST_DATA "/tls/key.pem")});
    ASSERT_TRUE(server.start()) << server.log().toStdString();
    const QUrl url(QStringLiteral("wss://127.0.0.1:%1/rooms/secure").arg(server.port()));

    // A self-signed certificate the client was not told to trust: not a retry loop.
    Member stranger(profiles.path(), newReplicaId(), newUserId());
    SyncClientOptions so = options(url, "stranger");
    so.createRoom = true;
    stranger.connect(so);
    stranger.client->start();
    ASSERT_TRUE(waitFor([&] { return !stranger.failures.empty(); }, Long));
    EXPECT_EQ(stranger.failures[0].first, SyncClient::CertificateNotTrusted);
    EXPECT_TRUE(stranger.failures[0].second.contains(QLatin1String("certificate"))) << stranger.failures[0].second.toStdString();
    EXPECT_EQ(stranger.client->state(), State::Offline);

    Member trusting(profiles.path(), newReplicaId(), newUserId());
    SyncClientOptions to = options(url, "trusting");
    to.createRoom = true;
    to.caCertificates = QSslCertificate::fromPath(cert);
    ASSERT_FALSE(to.caCertificates.isEmpty());
    trusting.connect(to);
    trusting.client->start();
    ASSERT_TRUE(waitFor([&] { return trusting.online(); }, Long)) << trusting.client->lastError().toStdString();
    addNode(*trusting.client, "over TLS");
    ASSERT_TRUE(waitFor([&] { return trusting.settled(); }, Long));
}
