#pragma once

// NODE_MOVE: a transaction that moves one node, sent in 18 to 24 bytes instead of ~50 by
// leaning on state both ends of a link share (the stream state). Expanding it gives the
// very bytes of the original transaction, so the document, the server's log and the
// canonical hash never know which form travelled. docs/protocol.md, "NODE_MOVE".
//
// The rule, applied the same way on both ends:
// - Client → server, per connection: one ReplicaStream for the connection's own replica
//   and user, starting empty. Every transaction message the client sends (SYNC_UPDATE,
//   ANNOTATION_UPDATE, NODE_MOVE, a completed TRANSACTION_CHUNK) whose transaction is of
//   that replica advances it: the client as it sends, the server as it decodes, whether
//   the server then accepts the transaction or refuses it.
// - Server → clients, per room: a StreamState, one ReplicaStream per peer present (from
//   WELCOME, USER_JOINED, USER_LEFT). Every transaction the server relays advances the
//   origin's stream, in sequence order: the server as it sequences, a client as it receives.
// A sender falls back to SYNC_UPDATE whenever the state needed is missing.

#include "protocol.h"

#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace constellate::net::protocol {

/// True when the transaction is one SetField of a node's position to a Vec3 (what a
/// NODE_MOVE can carry); *target receives the node.
bool isNodeMove(const constellate::Transaction& t, EntityId* target = nullptr);

/// Advances a replica's stream past one of its transactions (seq: the room sequence
/// number, to clients; 0 on the way to the server). False, changing nothing, when the
/// transaction is of another replica.
bool advance(ReplicaStream& stream, const constellate::Transaction& t, RoomSequence seq = 0);

/// The room-wide stream state: what every member knows about the replicas of the peers
/// present, to decode the NODE_MOVEs the server relays.
class StreamState {
public:
    /// False when the index is out of range or in use, or the replica is at another peer.
    bool addPeer(PeerIndex peer, ReplicaId replica, UserId user);
    void removePeer(PeerIndex peer);
    /// Replaces the state with WELCOME's. False (and empty) on duplicate peers or replicas.
    bool reset(const std::vector<StreamEntry>& entries);
    /// For a WELCOME: every peer's stream, in peer order.
    std::vector<StreamEntry> entries() const;
    const ReplicaStream* find(PeerIndex peer) const;
    std::optional<PeerIndex> peerOf(ReplicaId replica) const;
    std::size_t size() const { return m_byReplica.size(); }

    /// The rule: call for every relayed transaction, in sequence order. Advances the
    /// origin's stream when the transaction is of the origin's replica and seq is past
    /// the stream's last (so a catch-up of older transactions changes nothing).
    void update(PeerIndex origin, RoomSequence seq, const constellate::Transaction& t);

private:
    std::vector<std::optional<ReplicaStream>> m_peers; ///< by peer index
    std::unordered_map<ReplicaId, PeerIndex> m_byReplica;
};

/// Client → server: the NODE_MOVE for a transaction, or nullopt when it cannot travel
/// as one (not a node move, another replica's or author's, no earlier transaction on the
/// link, a timestamp before the last, or not encoded the way TransactionBuilder does).
std::optional<NodeMove> compressNodeMove(const constellate::Transaction& t, const ReplicaStream& sender);
/// Server side of the above: the transaction, byte for byte. Nullopt with *error set when
/// the stream lacks what the message refers to.
std::optional<constellate::Transaction> expandNodeMove(const NodeMove& m, const ReplicaStream& sender, std::string* error);

/// Server → clients: the relay of a transaction from `origin` that was given `seq`,
/// encoded against the room's state before update() sees that transaction.
std::optional<NodeMove> compressNodeMove(const constellate::Transaction& t, const StreamState& room, PeerIndex origin,
                                         RoomSequence seq);
struct ExpandedMove {
    constellate::Transaction transaction;
    RoomSequence seq = 0;
};
/// Client side of the above (call before update()).
std::optional<ExpandedMove> expandNodeMove(const NodeMove& m, const StreamState& room, std::string* error);

} // namespace constellate::net::protocol
