#pragma once

// One or more sample messages of every type, with every optional part present somewhere:
// shared by the protocol tests and the fuzz corpus generator.

#include "protocol.h"

#include <string>
#include <utility>
#include <vector>

namespace constellate::net::protocol::test {

inline Transaction sampleTransaction()
{
    TransactionBuilder b(0x1a2b3c4d, 0x0123456789abcdefull, 7);
    const EntityId n = b.createNode({{{Field::Label, {}}, Value("Valjean")}, {{Field::Position, {}}, Value(Vec3 {1, 2, 3})}});
    b.createEdge(n, EntityId {0x5e6f7081, 3}, false, {{{Field::Weight, {}}, Value(2.5)}});
    b.set(n, {Field::Color, {}}, Value::color(0xff8800ff), OpId {0x5e6f7081, 9});
    return b.finish(Hlc::make(1'700'000'000'123ull, 2));
}

inline Transaction sampleAnnotationTransaction()
{
    TransactionBuilder b(0x1a2b3c4d, 0x0123456789abcdefull, 10);
    b.createAnnotation(EntityId {0x1a2b3c4d, 7}, AnnotationKind::Comment, {{{Field::Text, {}}, Value("look here")}});
    return b.finish(Hlc::make(1'700'000'000'500ull, 0));
}

inline PackedVrPose sampleVrPose(bool left, bool right)
{
    VrPose p;
    p.head = {{0.12f, 1.65f, -0.4f}, {0.05f, 0.7f, -0.02f, 0.71f}};
    if (left)
        p.left = Pose {{-0.25f, 1.2f, -0.6f}, {0.3f, 0.1f, 0.9f, 0.2f}};
    if (right)
        p.right = Pose {{0.3f, 1.1f, -0.55f}, {-0.6f, 0.5f, 0.1f, 0.6f}};
    return packVrPose(p);
}

struct Sample {
    std::string label;
    Direction direction;
    Message message;
};

/// Every message type at least once, in the directions it travels.
inline std::vector<Sample> allSamples()
{
    std::vector<Sample> out;
    auto both = [&](const std::string& label, const Message& m) {
        out.push_back({label + " to server", Direction::ToServer, m});
        out.push_back({label + " to clients", Direction::ToClient, m});
    };
    auto up = [&](const std::string& label, const Message& m) { out.push_back({label, Direction::ToServer, m}); };
    auto down = [&](const std::string& label, const Message& m) { out.push_back({label, Direction::ToClient, m}); };

    Hello hello;
    hello.room = "les-miserables_2.0";
    hello.user = 0x0123456789abcdefull;
    hello.replica = 0x1a2b3c4d;
    hello.name = "Éponine";
    hello.color = 0x4e79a7ff;
    hello.role = Role::Editor;
    hello.canAnswerChallenge = true;
    hello.hasDocument = true;
    hello.resume = Resume {0xfeedfacecafebeefull, 4242};
    hello.ownerToken = std::string(32, 'T');
    up("HELLO resume", hello);
    Hello create;
    create.room = "new";
    create.user = 1;
    create.replica = 2;
    create.createRoom = true;
    create.role = Role::Owner;
    create.inVr = true;
    up("HELLO create", create);

    down("CHALLENGE", Challenge {std::string(16, 's'), 4096, std::string(24, 'n')});
    up("PROOF", Proof {std::string(24, 'c'), std::string(32, 'p')});

    Welcome welcome;
    welcome.epoch = 0x1122334455667788ull;
    welcome.role = Role::Owner;
    welcome.peer = 3;
    welcome.committed = 99;
    welcome.sync = SyncMode::Snapshot;
    welcome.serverTimeMs = 1'700'000'000'000ull;
    welcome.ownerToken = std::string(32, 'o');
    welcome.serverSignature = std::string(32, 'g');
    ReplicaStream a;
    a.replica = 0x5e6f7081;
    a.user = 77;
    ReplicaStream b = a;
    b.replica = 0x01020304;
    b.hasLast = true;
    b.lastSeq = 98;
    b.lastCounter = 500;
    b.lastHlc = Hlc::make(1'700'000'000'000ull, 1);
    ReplicaStream c = b;
    c.replica = 0x0a0b0c0d;
    c.lastTarget = {0x01020304, 12};
    welcome.streams = {{1, a}, {2, b}, {7, c}};
    down("WELCOME", welcome);
    down("WELCOME created", Welcome {1, 5, Role::Owner, 1, 0, SyncMode::UpToDate, 1, std::string(16, 'x'), {}, {}});

    both("ERROR", Error(ErrorCode::RoleRefused, "viewers cannot edit", std::uint8_t(MessageType::SyncUpdate)));
    Error fatal(ErrorCode::TimestampTooFarAhead, "timestamp 75 s ahead", std::uint8_t(MessageType::NodeMove), true);
    fatal.transaction = {0x1a2b3c4d, 17};
    down("ERROR fatal with transaction", fatal);
    both("PING", Ping {0x0102030405060708ull});
    both("PONG", Pong {0x0102030405060708ull});

    down("SNAPSHOT_CHUNK", SnapshotChunk {0, 99, Compression::Zlib, 10, 0, true, "0123456789"});
    down("SNAPSHOT_CHUNK version", SnapshotChunk {4, 12, Compression::None, 3, 0, true, "abc"});
    TransactionChunk tc;
    tc.total = 6;
    tc.offset = 2;
    tc.last = true;
    tc.data = "3456";
    up("TRANSACTION_CHUNK to server", tc);
    tc.origin = 4;
    tc.seq = 100;
    down("TRANSACTION_CHUNK to clients", tc);

    down("ACK", Ack {0x1a2b3c4d, 17, 100});
    down("COMMITTED", Committed {100});
    VersionVectorExchange vv;
    vv.vector.add(0x1a2b3c4d, 1, 17);
    vv.vector.add(0x1a2b3c4d, 20, 22);
    vv.vector.add(0x1a2b3c4d, 30, 30);
    vv.vector.add(0x5e6f7081, 5, 9);
    vv.vector.add(0x01020304, 1, 1);
    both("VERSION_VECTOR", vv);
    down("USER_JOINED", UserJoined {5, 0x0123456789abcdefull, 0x1a2b3c4d, "Cosette", 0xe15759ff, Role::Viewer, true});
    down("USER_LEFT", UserLeft {5, LeaveReason::TimedOut});

    PresenceStatus ps;
    ps.origin = 8;
    ps.state = PresenceState::Editing;
    ps.view = View {{10, 20, 30}, {0, 0, 0}};
    both("PRESENCE_STATUS view", ps);
    PresenceStatus vr;
    vr.origin = 9;
    vr.state = PresenceState::Away;
    vr.inVr = true;
    vr.placement = Placement {0.01f, {1, 2, 3}, {0, 0.70710677f, 0, 0.70710677f}};
    both("PRESENCE_STATUS placement", vr);

    PositionsBatch batch;
    batch.origin = 2;
    batch.entries = {{{0x01020304, 1}, {1, 2, 3}}, {{0x01020304, 2}, {4, 5, 6}}, {{0x01020304, 300}, {-1, -2, -3}},
                     {{0x1a2b3c4d, 7}, {0.5f, 0.25f, 0.125f}}};
    both("POSITIONS_BATCH", batch);
    both("SET_ROLE", SetRole {0x0123456789abcdefull, Role::Viewer});
    up("REMOVE_USER", RemoveUser {0x0123456789abcdefull});
    SetAccessKey key;
    key.salt = std::string(16, 's');
    key.iterations = 4096;
    key.storedKey = std::string(32, 'k');
    key.serverKey = std::string(32, 'v');
    up("SET_ACCESS_KEY", key);
    SetAccessKey removeKey;
    removeKey.remove = true;
    up("SET_ACCESS_KEY remove", removeKey);
    up("SAVE_VERSION", SaveVersion {"Before the barricade"});
    up("LIST_VERSIONS", ListVersions {});
    down("VERSION_LIST", VersionList {{{1, "First", 1'700'000'000'000ull, 77, 10}, {2, "Second", 1'700'000'100'000ull, 78, 55}}});
    down("VERSION_LIST empty", VersionList {});
    up("FETCH_VERSION", FetchVersion {2});

    SyncUpdate sync;
    sync.origin = 5;
    sync.seq = 321;
    sync.transaction = sampleTransaction();
    both("SYNC_UPDATE", sync);
    SyncUpdate relayed = sync;
    relayed.origin = 0;
    relayed.seq = 1234567;
    down("SYNC_UPDATE from the log", relayed);
    SyncUpdate annotation;
    annotation.annotations = true;
    annotation.origin = 3;
    annotation.seq = 77;
    annotation.transaction = sampleAnnotationTransaction();
    both("ANNOTATION_UPDATE", annotation);

    SelectionUpdate sel;
    sel.origin = 4;
    sel.selected = {{0x01020304, 1}, {0x01020304, 5}, {0x1a2b3c4d, 7}};
    both("SELECTION_UPDATE", sel);
    both("SELECTION_UPDATE empty", SelectionUpdate {4, {}});
    both("USER_POSITION", UserPosition {6, {1.5f, -2.25f, 1e6f}});
    both("VR_PRESENCE", VrPresence {6, sampleVrPose(true, true)});
    both("VR_PRESENCE right hand", VrPresence {6, sampleVrPose(false, true)});
    both("VR_PRESENCE head", VrPresence {6, sampleVrPose(false, false)});

    NodeMove move;
    move.origin = 2;
    move.position = {1, 2, 3};
    both("NODE_MOVE repeat", move);
    NodeMove full;
    full.origin = 2;
    full.seqGap = 3;
    full.counterGap = -2;
    full.millisDelta = 123456;
    full.logical = 7;
    full.target = NodeMove::Target::Explicit;
    full.targetReplica = {NodeMove::ReplicaRef::Kind::Id, 0x0a0b0c0d};
    full.targetCounter = 99;
    full.prev = NodeMove::Prev::Explicit;
    full.prevReplica = {NodeMove::ReplicaRef::Kind::Id, 0x01020304};
    full.prevCounter = 1000;
    full.position = {-1, 0.5f, 7};
    both("NODE_MOVE explicit", full);
    NodeMove peers = full;
    peers.targetReplica = {NodeMove::ReplicaRef::Kind::Peer, 3};
    peers.prevReplica = {NodeMove::ReplicaRef::Kind::Peer, 4};
    down("NODE_MOVE peers", peers);

    NodeMove codes = move;
    codes.target = NodeMove::Target::LastTargetReplica;
    codes.targetCounter = 40000;
    codes.prev = NodeMove::Prev::Explicit;
    codes.prevReplica = {NodeMove::ReplicaRef::Kind::TargetReplica, 0};
    codes.prevCounter = 3;
    both("NODE_MOVE last target's replica", codes);
    codes.target = NodeMove::Target::OriginReplica;
    codes.prev = NodeMove::Prev::Explicit;
    codes.prevReplica = {NodeMove::ReplicaRef::Kind::Origin, 0};
    both("NODE_MOVE origin replica", codes);
    codes.target = NodeMove::Target::SendersLastOp;
    codes.targetCounter = 0;
    codes.prev = NodeMove::Prev::Target;
    codes.prevReplica = {};
    codes.prevCounter = 0;
    both("NODE_MOVE after create", codes);
    codes.prev = NodeMove::Prev::SendersLastOp;
    both("NODE_MOVE sender's last", codes);

    // Fields that do not travel in a direction are zero in its decoded form.
    for (Sample& s : out) {
        if (s.direction == Direction::ToServer) {
            std::visit(
                [](auto& m) {
                    if constexpr (requires { m.origin; })
                        m.origin = 0;
                    if constexpr (requires { m.seq; } && !requires { m.compression; })
                        m.seq = 0;
                    if constexpr (requires { m.seqGap; })
                        m.seqGap = 0;
                },
                s.message);
        }
    }
    return out;
}

} // namespace constellate::net::protocol::test
