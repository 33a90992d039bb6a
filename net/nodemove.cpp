#include "nodemove.h"

#include <algorithm>
#include <stdexcept>

namespace constellate::net::protocol {

namespace {
constexpr std::uint64_t MaxMillis = (std::uint64_t(1) << 48) - 1;
} // namespace

bool isNodeMove(const Transaction& t, EntityId* target)
{
    if (t.header().opCount != 1)
        return false;
    thread_local Operation op; // reused: no allocation per call once warm
    OpDecoder decoder(t);
    if (!decoder.next(op))
        return false;
    if (op.type != OpType::SetField || op.fields.size() != 1 || op.fields[0].ref.field != Field::Position
        || op.fields[0].value.type() != ValueType::Vec3)
        return false;
    if (target)
        *target = op.target;
    return true;
}

bool advance(ReplicaStream& stream, const Transaction& t, RoomSequence seq)
{
    const TransactionHeader& h = t.header();
    if (h.replica != stream.replica || h.opCount == 0)
        return false;
    stream.hasLast = true;
    stream.lastSeq = seq;
    stream.lastCounter = h.lastCounter();
    stream.lastHlc = h.hlc;
    EntityId target;
    if (isNodeMove(t, &target))
        stream.lastTarget = target;
    return true;
}

// ---- StreamState -----------------------------------------------------------------------

bool StreamState::addPeer(PeerIndex peer, ReplicaId replica, UserId user)
{
    if (peer == 0 || peer > MaxPeerIndex || replica == 0 || m_byReplica.count(replica))
        return false;
    if (m_peers.size() <= peer)
        m_peers.resize(std::size_t(peer) + 1);
    if (m_peers[peer])
        return false;
    ReplicaStream s;
    s.replica = replica;
    s.user = user;
    m_peers[peer] = s;
    m_byReplica.emplace(replica, peer);
    return true;
}

void StreamState::removePeer(PeerIndex peer)
{
    if (peer >= m_peers.size() || !m_peers[peer])
        return;
    m_byReplica.erase(m_peers[peer]->replica);
    m_peers[peer].reset();
    while (!m_peers.empty() && !m_peers.back())
        m_peers.pop_back();
}

bool StreamState::reset(const std::vector<StreamEntry>& entries)
{
    m_peers.clear();
    m_byReplica.clear();
    for (const StreamEntry& e : entries) {
        if (!addPeer(e.peer, e.stream.replica, e.stream.user)) {
            m_peers.clear();
            m_byReplica.clear();
            return false;
        }
        *m_peers[e.peer] = e.stream;
    }
    return true;
}

std::vector<StreamEntry> StreamState::entries() const
{
    std::vector<StreamEntry> out;
    for (std::size_t i = 0; i < m_peers.size(); ++i)
        if (m_peers[i])
            out.push_back({PeerIndex(i), *m_peers[i]});
    return out;
}

const ReplicaStream* StreamState::find(PeerIndex peer) const
{
    return peer < m_peers.size() && m_peers[peer] ? &*m_peers[peer] : nullptr;
}

std::optional<PeerIndex> StreamState::peerOf(ReplicaId replica) const
{
    auto it = m_byReplica.find(replica);
    if (it == m_byReplica.end())
        return std::nullopt;
    return it->second;
}

void StreamState::update(PeerIndex origin, RoomSequence seq, const Transaction& t)
{
    if (origin >= m_peers.size() || !m_peers[origin])
        return;
    ReplicaStream& s = *m_peers[origin];
    if (s.hasLast && seq <= s.lastSeq)
        return;
    advance(s, t, seq);
}

// ---- compress and expand ---------------------------------------------------------------

namespace {

using Ref = NodeMove::ReplicaRef;

/// room: null on the way to the server (no peer references, no sequence numbers).
std::optional<Transaction> expand(const NodeMove& m, const ReplicaStream& s, const StreamState* room,
                                  std::string* error)
{
    auto failed = [&](const char* why) -> std::optional<Transaction> {
        if (error)
            *error = std::string("NODE_MOVE: ") + why;
        return std::nullopt;
    };
    if (!s.hasLast)
        return failed("no earlier transaction of the sender on this link to refer to");
    const std::int64_t first = std::int64_t(s.lastCounter) + 1 + m.counterGap;
    if (first < 1 || first > 0xfffffffell)
        return failed("operation counter out of range");
    if (m.millisDelta > MaxMillis - s.lastHlc.millis())
        return failed("timestamp out of range");
    if (!m.position.isFinite())
        return failed("position is not finite");
    auto replicaOf = [&](const Ref& ref, const EntityId* target, ReplicaId& out) {
        switch (ref.kind) {
        case Ref::Kind::Origin: out = s.replica; return true;
        case Ref::Kind::TargetReplica:
            if (!target)
                return false;
            out = target->replica;
            return true;
        case Ref::Kind::Id: out = ref.value; return out != 0;
        case Ref::Kind::Peer: {
            const ReplicaStream* p = room ? room->find(ref.value) : nullptr;
            if (!p)
                return false;
            out = p->replica;
            return true;
        }
        }
        return false;
    };

    EntityId target;
    switch (m.target) {
    case NodeMove::Target::LastTarget:
        if (s.lastTarget.isNull())
            return failed("the sender has moved no node on this link yet");
        target = s.lastTarget;
        break;
    case NodeMove::Target::SendersLastOp: target = {s.replica, s.lastCounter}; break;
    case NodeMove::Target::OriginReplica: target = {s.replica, m.targetCounter}; break;
    case NodeMove::Target::LastTargetReplica:
        if (s.lastTarget.isNull())
            return failed("the sender has moved no node on this link yet");
        target = {s.lastTarget.replica, m.targetCounter};
        break;
    case NodeMove::Target::Explicit:
        if (m.targetReplica.kind != Ref::Kind::Id && m.targetReplica.kind != Ref::Kind::Peer)
            return failed("bad target replica");
        if (!replicaOf(m.targetReplica, nullptr, target.replica))
            return failed("target replica refers to no peer present");
        target.counter = m.targetCounter;
        break;
    default: return failed("unknown target code");
    }
    if (target.isNull() || target.replica == 0)
        return failed("no target");

    OpId prev;
    switch (m.prev) {
    case NodeMove::Prev::None: break;
    case NodeMove::Prev::Target: prev = target; break;
    case NodeMove::Prev::SendersLastOp: prev = {s.replica, s.lastCounter}; break;
    case NodeMove::Prev::Explicit:
        if (!replicaOf(m.prevReplica, &target, prev.replica))
            return failed("previous write's replica refers to no peer present");
        prev.counter = m.prevCounter;
        if (prev.isNull() || prev.replica == 0)
            return failed("bad previous write");
        break;
    default: return failed("unknown previous-write code");
    }

    try {
        TransactionBuilder b(s.replica, s.user, std::uint32_t(first));
        b.set(target, FieldRef {Field::Position, {}}, Value(m.position), prev);
        return b.finish(Hlc::make(s.lastHlc.millis() + m.millisDelta, m.logical));
    } catch (const std::exception& e) {
        return failed(e.what());
    }
}

std::optional<NodeMove> compress(const Transaction& t, const ReplicaStream& s, const StreamState* room,
                                 PeerIndex origin, RoomSequence seq)
{
    const TransactionHeader& h = t.header();
    if (!s.hasLast || h.replica != s.replica || h.author != s.user || h.opCount != 1
        || h.hlc.millis() < s.lastHlc.millis())
        return std::nullopt;
    if (room && seq <= s.lastSeq)
        return std::nullopt;
    thread_local Operation op;
    OpDecoder decoder(t);
    if (!decoder.next(op) || op.type != OpType::SetField || op.fields.size() != 1
        || op.fields[0].ref.field != Field::Position || op.fields[0].value.type() != ValueType::Vec3)
        return std::nullopt;

    NodeMove m;
    m.origin = origin;
    m.seqGap = room ? seq - s.lastSeq - 1 : 0;
    m.counterGap = std::int64_t(h.firstCounter) - (std::int64_t(s.lastCounter) + 1);
    m.millisDelta = h.hlc.millis() - s.lastHlc.millis();
    m.logical = h.hlc.logical();
    m.position = op.fields[0].value.toVec3();

    const EntityId target = op.target;
    const OpId sendersLast {s.replica, s.lastCounter};
    auto explicitRef = [&](ReplicaId replica) {
        if (room)
            if (const std::optional<PeerIndex> p = room->peerOf(replica))
                return Ref {Ref::Kind::Peer, *p};
        return Ref {Ref::Kind::Id, replica};
    };
    if (!s.lastTarget.isNull() && target == s.lastTarget) {
        m.target = NodeMove::Target::LastTarget;
    } else if (target == sendersLast) {
        m.target = NodeMove::Target::SendersLastOp;
    } else if (target.replica == s.replica) {
        m.target = NodeMove::Target::OriginReplica;
        m.targetCounter = target.counter;
    } else if (!s.lastTarget.isNull() && target.replica == s.lastTarget.replica) {
        m.target = NodeMove::Target::LastTargetReplica;
        m.targetCounter = target.counter;
    } else {
        m.target = NodeMove::Target::Explicit;
        m.targetReplica = explicitRef(target.replica);
        m.targetCounter = target.counter;
    }

    const OpId prev = op.prev;
    if (prev.isNull()) {
        m.prev = NodeMove::Prev::None;
    } else if (prev == target) {
        m.prev = NodeMove::Prev::Target;
    } else if (prev == sendersLast) {
        m.prev = NodeMove::Prev::SendersLastOp;
    } else {
        m.prev = NodeMove::Prev::Explicit;
        m.prevCounter = prev.counter;
        if (prev.replica == s.replica)
            m.prevReplica = {Ref::Kind::Origin, 0};
        else if (prev.replica == target.replica)
            m.prevReplica = {Ref::Kind::TargetReplica, 0};
        else
            m.prevReplica = explicitRef(prev.replica);
    }

    // Only what expands to the very same bytes travels compact (a transaction encoded
    // some other way, e.g. with overlong varints, goes as it is).
    const std::optional<Transaction> back = expand(m, s, room, nullptr);
    if (!back || back->bytes() != t.bytes())
        return std::nullopt;
    return m;
}

} // namespace

std::optional<NodeMove> compressNodeMove(const Transaction& t, const ReplicaStream& sender)
{
    return compress(t, sender, nullptr, 0, 0);
}

std::optional<Transaction> expandNodeMove(const NodeMove& m, const ReplicaStream& sender, std::string* error)
{
    return expand(m, sender, nullptr, error);
}

std::optional<NodeMove> compressNodeMove(const Transaction& t, const StreamState& room, PeerIndex origin,
                                         RoomSequence seq)
{
    const ReplicaStream* s = room.find(origin);
    if (!s)
        return std::nullopt;
    return compress(t, *s, &room, origin, seq);
}

std::optional<ExpandedMove> expandNodeMove(const NodeMove& m, const StreamState& room, std::string* error)
{
    const ReplicaStream* s = room.find(m.origin);
    if (!s) {
        if (error)
            *error = "NODE_MOVE from peer " + std::to_string(m.origin) + ", who is not present";
        return std::nullopt;
    }
    if (s->lastSeq > ~RoomSequence(0) - 1 - m.seqGap) {
        if (error)
            *error = "NODE_MOVE: sequence number out of range";
        return std::nullopt;
    }
    std::optional<Transaction> t = expand(m, *s, &room, error);
    if (!t)
        return std::nullopt;
    return ExpandedMove {std::move(*t), s->lastSeq + 1 + m.seqGap};
}

} // namespace constellate::net::protocol
