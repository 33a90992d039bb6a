// NODE_MOVE: a sequence of moves travels compact from client to server and from server
// to the other clients, and every expansion gives the very bytes of the original
// transaction (first move after a create, repeated moves, moves of another replica's
// node, of a departed replica's node, busy rooms, a newcomer), within 24 bytes.

#include "nodemove.h"
#include "protocol.h"

#include "graphdocument.h"

#include <gtest/gtest.h>

#include <map>
#include <memory>

using namespace constellate;
using namespace constellate::net;
using namespace constellate::net::protocol;

namespace {

struct Wall {
    std::shared_ptr<std::uint64_t> now = std::make_shared<std::uint64_t>(1'700'000'000'000ull);
    HlcClock clock() const
    {
        auto p = now;
        return HlcClock([p] { return *p; });
    }
};

/// One editor connected to the room.
struct Client {
    Client(PeerIndex p, ReplicaId r, UserId u, const Wall& wall) : peer(p), doc(r, u, wall.clock())
    {
        up.replica = r;
        up.user = u;
    }
    PeerIndex peer;
    GraphDocument doc;
    ReplicaStream up;  ///< this connection's stream, as the client keeps it
    StreamState room;  ///< the room's streams, as this client keeps them
};

std::vector<StreamEntry> without(std::vector<StreamEntry> entries, PeerIndex peer)
{
    std::erase_if(entries, [&](const StreamEntry& e) { return e.peer == peer; });
    return entries;
}

/// What one transaction cost on the wire.
struct Sent {
    std::size_t upBytes = 0;
    std::size_t downBytes = 0;
    bool upCompact = false;
    bool downCompact = false;
    RoomSequence seq = 0;
};

/// The server's side: the room's streams and each connection's stream.
struct Room {
    Wall wall;
    StreamState streams;
    std::map<PeerIndex, ReplicaStream> uplinks;
    RoomSequence seq = 0;
    std::vector<std::unique_ptr<Client>> clients;

    Client& join(PeerIndex peer, ReplicaId replica, UserId user)
    {
        auto c = std::make_unique<Client>(peer, replica, user, wall);
        EXPECT_TRUE(streams.addPeer(peer, replica, user));
        // WELCOME carries the streams of the peers present, the newcomer's own included
        // (moves name replicas by peer index, its own too), through the real codec.
        Welcome w;
        w.epoch = 1;
        w.peer = peer;
        w.streams = streams.entries();
        Welcome received;
        DecodeError error;
        const std::string m = encodeMessage(w, Direction::ToClient);
        FrameReader r(m);
        FrameItem item;
        EXPECT_TRUE(r.next(item));
        EXPECT_TRUE(decodeBody(item.body, Direction::ToClient, received, &error)) << error.message;
        EXPECT_TRUE(c->room.reset(received.streams));
        // It gets the document so far (as a snapshot would give it).
        if (!clients.empty()) {
            std::string snapError;
            EXPECT_TRUE(c->doc.mergeSnapshot(clients.front()->doc.encodeSnapshot(), &snapError)) << snapError;
        }
        // USER_JOINED to the others.
        for (auto& other : clients)
            EXPECT_TRUE(other->room.addPeer(peer, replica, user));
        ReplicaStream s;
        s.replica = replica;
        s.user = user;
        uplinks[peer] = s;
        clients.push_back(std::move(c));
        return *clients.back();
    }

    void leave(PeerIndex peer)
    {
        streams.removePeer(peer);
        uplinks.erase(peer);
        std::erase_if(clients, [&](const auto& c) { return c->peer == peer; });
        for (auto& c : clients)
            c->room.removePeer(peer);
    }

    /// A transaction some other way (a refused one, or one the test builds by hand)
    /// advances nothing in the room, only the connection's uplink (the rule).
    Sent send(Client& from, const Transaction& t)
    {
        Sent sent;
        // Client → server.
        std::string up;
        if (const std::optional<NodeMove> m = compressNodeMove(t, from.up)) {
            up = encodeMessage(*m, Direction::ToServer);
            sent.upCompact = true;
        } else {
            SyncUpdate u;
            u.transaction = t;
            up = encodeMessage(u, Direction::ToServer);
        }
        advance(from.up, t);
        sent.upBytes = up.size();

        FrameReader r(up);
        FrameItem item;
        EXPECT_TRUE(r.next(item));
        DecodeError error;
        const std::optional<Message> msg = decodeMessage(item.type, item.body, Direction::ToServer, &error);
        EXPECT_TRUE(msg) << error.message;
        if (!msg)
            return sent;
        Transaction atServer;
        ReplicaStream& uplink = uplinks[from.peer];
        if (const NodeMove* m = std::get_if<NodeMove>(&*msg)) {
            std::string why;
            std::optional<Transaction> x = expandNodeMove(*m, uplink, &why);
            EXPECT_TRUE(x) << why;
            if (!x)
                return sent;
            atServer = std::move(*x);
        } else {
            atServer = std::get<SyncUpdate>(*msg).transaction;
        }
        EXPECT_EQ(atServer.bytes(), t.bytes()) << "the server must hold the very bytes sent";
        advance(uplink, atServer);

        // Server → everyone else, encoded once against the room's streams.
        sent.seq = ++seq;
        std::string down;
        if (const std::optional<NodeMove> m = compressNodeMove(atServer, streams, from.peer, sent.seq)) {
            down = encodeMessage(*m, Direction::ToClient);
            sent.downCompact = true;
        } else {
            SyncUpdate u;
            u.origin = from.peer;
            u.seq = sent.seq;
            u.transaction = atServer;
            down = encodeMessage(u, Direction::ToClient);
        }
        streams.update(from.peer, sent.seq, atServer);
        sent.downBytes = down.size();

        for (auto& c : clients) {
            if (c.get() == &from)
                continue;
            FrameReader rd(down);
            EXPECT_TRUE(rd.next(item));
            const std::optional<Message> dm = decodeMessage(item.type, item.body, Direction::ToClient, &error);
            EXPECT_TRUE(dm) << error.message;
            if (!dm)
                continue;
            Transaction received;
            RoomSequence receivedSeq = 0;
            if (const NodeMove* m = std::get_if<NodeMove>(&*dm)) {
                std::string why;
                std::optional<ExpandedMove> x = expandNodeMove(*m, c->room, &why);
                EXPECT_TRUE(x) << why;
                if (!x)
                    continue;
                received = std::move(x->transaction);
                receivedSeq = x->seq;
            } else {
                received = std::get<SyncUpdate>(*dm).transaction;
                receivedSeq = std::get<SyncUpdate>(*dm).seq;
            }
            EXPECT_EQ(received.bytes(), t.bytes()) << "client " << c->peer;
            EXPECT_EQ(receivedSeq, sent.seq);
            c->room.update(from.peer, receivedSeq, received);
            c->doc.apply(received);
        }
        return sent;
    }

    Sent move(Client& c, EntityId node, Vec3 to, std::uint64_t afterMs = 2500)
    {
        *wall.now += afterMs;
        TransactionBuilder b = c.doc.begin();
        c.doc.set(b, node, {Field::Position, {}}, Value(to));
        const Transaction t = c.doc.commit(b);
        const Sent sent = send(c, t);
        SyncUpdate whole;
        whole.origin = c.peer;
        whole.seq = sent.seq;
        whole.transaction = t;
        std::printf("move by peer %u of %s: NODE_MOVE %zu bytes up, %zu relayed%s (SYNC_UPDATE: %zu relayed)\n", c.peer,
                    node.toString().c_str(), sent.upBytes, sent.downBytes, sent.downCompact ? "" : " (not compact)",
                    encodeMessage(whole, Direction::ToClient).size());
        return sent;
    }

    void expectConverged()
    {
        for (auto& c : clients)
            EXPECT_EQ(c->doc.canonicalHash(), clients.front()->doc.canonicalHash()) << "client " << c->peer;
        // A client's own entry is not advanced on its side (it never decodes its own moves).
        for (auto& c : clients)
            EXPECT_EQ(without(c->room.entries(), c->peer), without(streams.entries(), c->peer)) << "client " << c->peer;
    }
};

} // namespace

TEST(NodeMove, ASequenceOfMovesExpandsToTheSameBytes)
{
    Room room;
    // User ids are random 64-bit numbers, as in profiles.
    Client& a = room.join(1, 0xa1a1a1a1, 0x9e3779b97f4a7c15ull);
    Client& b = room.join(2, 0xb2b2b2b2, 0xbf58476d1ce4e5b9ull);
    Client& c = room.join(3, 0xc3c3c3c3, 0x94d049bb133111ebull);

    // A creates a graph (a SYNC_UPDATE: there is nothing to be compact against yet).
    TransactionBuilder tb = a.doc.begin();
    std::vector<EntityId> nodes;
    for (int i = 0; i < 300; ++i)
        nodes.push_back(tb.createNode({{{Field::Position, {}}, Value(Vec3 {float(i), 0, 0})}}));
    Sent s = room.send(a, a.doc.commit(tb));
    EXPECT_FALSE(s.upCompact);
    EXPECT_FALSE(s.downCompact);

    // The first move after a create: the node created last.
    s = room.move(a, nodes.back(), {1, 2, 3});
    EXPECT_TRUE(s.upCompact && s.downCompact);
    EXPECT_LE(s.downBytes, 24u);
    EXPECT_EQ(s.downBytes, 18u);
    EXPECT_EQ(s.upBytes, 17u) << "no peer index on the way to the server";
    // The first move of another node it created: its counter travels (two bytes here).
    s = room.move(a, nodes[200], {4, 5, 6});
    EXPECT_TRUE(s.downCompact);
    EXPECT_LE(s.downBytes, 24u);
    // Repeated moves of one node.
    for (int i = 0; i < 5; ++i) {
        s = room.move(a, nodes[200], {float(i), 5, 6}, 1000 + i * 700);
        EXPECT_TRUE(s.downCompact);
        EXPECT_EQ(s.downBytes, 18u);
    }
    // Moves of another replica's node: B moves A's node. B's first transaction goes whole.
    TransactionBuilder bb = b.doc.begin();
    const EntityId bNode = bb.createNode();
    room.send(b, b.doc.commit(bb));
    s = room.move(b, nodes[200], {9, 9, 9});
    EXPECT_TRUE(s.upCompact && s.downCompact);
    EXPECT_LE(s.downBytes, 24u) << "A's replica is at a peer: one byte names it";
    s = room.move(b, nodes[201], {9, 8, 9});
    EXPECT_LE(s.downBytes, 24u) << "the replica of the last target";
    s = room.move(b, nodes[201], {9, 7, 9});
    EXPECT_EQ(s.downBytes, 18u);
    // ... and A moves it back: the previous write is B's.
    s = room.move(a, nodes[201], {0, 0, 0});
    EXPECT_TRUE(s.downCompact);
    EXPECT_LE(s.downBytes, 24u);
    // C moves B's node, then A's.
    TransactionBuilder cb = c.doc.begin();
    cb.createNode();
    room.send(c, c.doc.commit(cb));
    s = room.move(c, bNode, {1, 1, 1});
    EXPECT_LE(s.downBytes, 24u);
    s = room.move(c, nodes[5], {1, 1, 1});
    EXPECT_LE(s.downBytes, 24u);
    // Two moves within one millisecond: the logical clock travels.
    s = room.move(c, nodes[5], {2, 1, 1}, 0);
    EXPECT_TRUE(s.downCompact);
    EXPECT_EQ(s.downBytes, 18u) << "a one-byte time delta and a one-byte logical clock";
    // A busy room: others' transactions in between make a sequence gap.
    room.move(a, nodes[6], {1, 1, 1});
    room.move(b, nodes[7], {1, 1, 1});
    s = room.move(c, nodes[5], {3, 1, 1});
    EXPECT_TRUE(s.downCompact);
    EXPECT_EQ(s.downBytes, 19u);
    // A long pause: the time delta grows by a byte or two, no more.
    s = room.move(c, nodes[5], {4, 1, 1}, 3'600'000);
    EXPECT_TRUE(s.downCompact);
    EXPECT_LE(s.downBytes, 21u);
    room.expectConverged();
}

TEST(NodeMove, NodesOfADepartedReplicaAndANewcomer)
{
    Room room;
    Client& a = room.join(1, 0xa1a1a1a1, 1001);
    Client& b = room.join(2, 0xb2b2b2b2, 1002);
    TransactionBuilder tb = a.doc.begin();
    std::vector<EntityId> nodes;
    for (int i = 0; i < 50; ++i)
        nodes.push_back(tb.createNode({{{Field::Position, {}}, Value(Vec3 {float(i), 0, 0})}}));
    room.send(a, a.doc.commit(tb));
    room.move(a, nodes[3], {1, 1, 1});
    room.leave(1); // A's replica is no longer at any peer

    TransactionBuilder bb = b.doc.begin();
    bb.createNode();
    room.send(b, b.doc.commit(bb));
    Sent s = room.move(b, nodes[10], {5, 5, 5});
    EXPECT_TRUE(s.downCompact);
    EXPECT_LE(s.downBytes, 24u) << "the replica id spelled out, a one-byte counter";
    s = room.move(b, nodes[11], {5, 5, 5});
    EXPECT_LE(s.downBytes, 20u) << "the replica of the last target";

    // A newcomer learns the streams from WELCOME and decodes the next compact move.
    Client& d = room.join(4, 0xd4d4d4d4, 1004);
    EXPECT_EQ(d.room.entries(), room.streams.entries());
    s = room.move(b, nodes[11], {6, 6, 6});
    EXPECT_TRUE(s.downCompact);
    // A peer index may be reused after a leave: a new replica there starts afresh.
    Client& e = room.join(1, 0xe5e5e5e5, 1005);
    TransactionBuilder eb = e.doc.begin();
    eb.createNode();
    room.send(e, e.doc.commit(eb));
    s = room.move(e, nodes[11], {7, 7, 7});
    EXPECT_TRUE(s.downCompact);
    room.expectConverged();
}

TEST(NodeMove, WhatCannotTravelCompactFallsBack)
{
    Wall wall;
    GraphDocument doc(0xa1a1a1a1, 1001, wall.clock());
    ReplicaStream s;
    s.replica = doc.replica();
    s.user = doc.user();

    TransactionBuilder b = doc.begin();
    const EntityId n = b.createNode({{{Field::Position, {}}, Value(Vec3 {})}});
    const Transaction create = doc.commit(b);
    EXPECT_FALSE(compressNodeMove(create, s)) << "not a node move";
    EXPECT_FALSE(isNodeMove(create));

    *wall.now += 10;
    b = doc.begin();
    doc.set(b, n, {Field::Position, {}}, Value(Vec3 {1, 2, 3}));
    const Transaction move = doc.commit(b);
    EntityId target;
    EXPECT_TRUE(isNodeMove(move, &target));
    EXPECT_EQ(target, n);
    EXPECT_FALSE(compressNodeMove(move, s)) << "no earlier transaction on the link";
    ReplicaStream after = s;
    EXPECT_TRUE(advance(after, create));
    EXPECT_TRUE(compressNodeMove(move, after));

    ReplicaStream otherAuthor = after;
    otherAuthor.user = 1002;
    EXPECT_FALSE(compressNodeMove(move, otherAuthor)) << "the author is implied by the link";
    ReplicaStream otherReplica = after;
    otherReplica.replica = 5;
    EXPECT_FALSE(compressNodeMove(move, otherReplica));
    EXPECT_FALSE(advance(otherReplica, move)) << "another replica's transaction does not advance a stream";
    ReplicaStream later = after;
    later.lastHlc = Hlc::make(move.header().hlc.millis() + 1, 0);
    EXPECT_FALSE(compressNodeMove(move, later)) << "a timestamp before the last";

    // Two writes in one transaction, a label, an unset position: not a node move.
    b = doc.begin();
    doc.set(b, n, {Field::Label, {}}, Value("x"));
    EXPECT_FALSE(compressNodeMove(doc.commit(b), after));
    b = doc.begin();
    doc.set(b, n, {Field::Position, {}}, Value());
    const Transaction unset = doc.commit(b);
    EXPECT_FALSE(isNodeMove(unset));
    EXPECT_FALSE(compressNodeMove(unset, after));

    // A transaction not encoded the way TransactionBuilder does (an overlong varint for
    // the operation count) travels whole, so that its bytes are kept.
    std::string bytes = move.bytes();
    const std::size_t countAt = 1 + 4 + 2 + 8 + 1; // version, replica, author (1001: 2 bytes), hlc, counter
    ASSERT_EQ(bytes[countAt], 1);
    bytes[countAt] = char(0x81);
    bytes.insert(bytes.begin() + std::ptrdiff_t(countAt) + 1, '\0');
    std::string error;
    const std::optional<Transaction> odd = Transaction::decode(bytes, &error);
    ASSERT_TRUE(odd) << error;
    EXPECT_TRUE(isNodeMove(*odd));
    EXPECT_FALSE(compressNodeMove(*odd, after));
}

TEST(NodeMove, ExpansionChecksTheStateItNeeds)
{
    ReplicaStream s;
    s.replica = 7;
    s.user = 8;
    NodeMove m;
    m.position = {1, 2, 3};
    std::string error;
    EXPECT_FALSE(expandNodeMove(m, s, &error));
    EXPECT_NE(error.find("no earlier transaction"), std::string::npos) << error;
    s.hasLast = true;
    s.lastCounter = 10;
    s.lastHlc = Hlc::make(1000, 0);
    EXPECT_FALSE(expandNodeMove(m, s, &error)) << "no last target";
    EXPECT_NE(error.find("moved no node"), std::string::npos) << error;
    m.target = NodeMove::Target::SendersLastOp;
    const std::optional<Transaction> t = expandNodeMove(m, s, &error);
    ASSERT_TRUE(t) << error;
    EXPECT_EQ(t->header().firstCounter, 11u);
    EXPECT_EQ(t->header().hlc, Hlc::make(1000, 0));
    m.counterGap = -11;
    EXPECT_FALSE(expandNodeMove(m, s, &error));
    EXPECT_NE(error.find("counter out of range"), std::string::npos);
    m.counterGap = std::int64_t(0xffffffffll);
    EXPECT_FALSE(expandNodeMove(m, s, &error));
    m.counterGap = 0;
    m.millisDelta = (std::uint64_t(1) << 48) - 1000;
    EXPECT_FALSE(expandNodeMove(m, s, &error));
    EXPECT_NE(error.find("timestamp"), std::string::npos);
    m.millisDelta = 0;
    m.target = NodeMove::Target::Explicit;
    m.targetReplica = {NodeMove::ReplicaRef::Kind::Peer, 4};
    m.targetCounter = 3;
    EXPECT_FALSE(expandNodeMove(m, s, &error)) << "peer references need the room";
    StreamState room;
    ASSERT_TRUE(room.addPeer(2, 7, 8));
    ASSERT_TRUE(room.addPeer(4, 99, 100));
    EXPECT_FALSE(room.addPeer(5, 99, 1)) << "a replica at one peer only";
    EXPECT_FALSE(room.addPeer(4, 98, 1)) << "a peer index in use";
    EXPECT_FALSE(room.addPeer(0, 97, 1));
    m.origin = 2;
    EXPECT_FALSE(expandNodeMove(m, room, &error)) << "peer 2 has sent nothing yet";
    TransactionBuilder b(7, 8, 1);
    b.createNode();
    room.update(2, 5, b.finish(Hlc::make(900, 0)));
    const std::optional<ExpandedMove> x = expandNodeMove(m, room, &error);
    ASSERT_TRUE(x) << error;
    EXPECT_EQ(x->seq, 6u);
    EXPECT_EQ(x->transaction.header().firstCounter, 2u);
    m.origin = 3;
    EXPECT_FALSE(expandNodeMove(m, room, &error));
    EXPECT_NE(error.find("not present"), std::string::npos);

    // Catch-up transactions older than a stream's last change nothing.
    const std::vector<StreamEntry> before = room.entries();
    TransactionBuilder old(7, 8, 1);
    old.createNode();
    room.update(2, 3, old.finish(Hlc::make(100, 0)));
    EXPECT_EQ(room.entries(), before);
    room.removePeer(4);
    EXPECT_EQ(room.size(), 1u);
    EXPECT_FALSE(room.peerOf(99));
    EXPECT_FALSE(room.reset({{1, s}, {2, s}})) << "one replica at two peers";
    EXPECT_EQ(room.size(), 0u);
}
