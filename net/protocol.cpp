#include "protocol.h"

#include "parallelzlib.h"

#include <QByteArray>

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace constellate::net::protocol {

// ---- tables ------------------------------------------------------------------------------

namespace {

constexpr MessageInfo Messages[] = {
    {MessageType::Hello, "HELLO", Flow::ClientToServer, false},
    {MessageType::Challenge, "CHALLENGE", Flow::ServerToClient, false},
    {MessageType::Proof, "PROOF", Flow::ClientToServer, false},
    {MessageType::Welcome, "WELCOME", Flow::ServerToClient, false},
    {MessageType::Error, "ERROR", Flow::Both, false},
    {MessageType::Ping, "PING", Flow::Both, false},
    {MessageType::Pong, "PONG", Flow::Both, false},
    {MessageType::SnapshotChunk, "SNAPSHOT_CHUNK", Flow::ServerToClient, false},
    {MessageType::TransactionChunk, "TRANSACTION_CHUNK", Flow::Both, true},
    {MessageType::Ack, "ACK", Flow::ServerToClient, false},
    {MessageType::Committed, "COMMITTED", Flow::ServerToClient, false},
    {MessageType::VersionVector, "VERSION_VECTOR", Flow::Both, false},
    {MessageType::UserJoined, "USER_JOINED", Flow::ServerToClient, false},
    {MessageType::UserLeft, "USER_LEFT", Flow::ServerToClient, false},
    {MessageType::PresenceStatus, "PRESENCE_STATUS", Flow::Both, true},
    {MessageType::PositionsBatch, "POSITIONS_BATCH", Flow::Both, true},
    {MessageType::SetRole, "SET_ROLE", Flow::Both, false},
    {MessageType::RemoveUser, "REMOVE_USER", Flow::ClientToServer, false},
    {MessageType::SetAccessKey, "SET_ACCESS_KEY", Flow::ClientToServer, false},
    {MessageType::SaveVersion, "SAVE_VERSION", Flow::ClientToServer, false},
    {MessageType::ListVersions, "LIST_VERSIONS", Flow::ClientToServer, false},
    {MessageType::VersionList, "VERSION_LIST", Flow::ServerToClient, false},
    {MessageType::FetchVersion, "FETCH_VERSION", Flow::ClientToServer, false},
    {MessageType::SyncUpdate, "SYNC_UPDATE", Flow::Both, true},
    {MessageType::AnnotationUpdate, "ANNOTATION_UPDATE", Flow::Both, true},
    {MessageType::SelectionUpdate, "SELECTION_UPDATE", Flow::Both, true},
    {MessageType::UserPosition, "USER_POSITION", Flow::Both, true},
    {MessageType::VrPresence, "VR_PRESENCE", Flow::Both, true},
    {MessageType::NodeMove, "NODE_MOVE", Flow::Both, true},
};

constexpr ErrorInfo Errors[] = {
    {ErrorCode::VersionMismatch, "VERSION_MISMATCH"},
    {ErrorCode::Malformed, "MALFORMED"},
    {ErrorCode::Oversize, "OVERSIZE"},
    {ErrorCode::UnknownType, "UNKNOWN_TYPE"},
    {ErrorCode::RoomNotFound, "ROOM_NOT_FOUND"},
    {ErrorCode::RoomExists, "ROOM_EXISTS"},
    {ErrorCode::BadRoomName, "BAD_ROOM_NAME"},
    {ErrorCode::AccessDenied, "ACCESS_DENIED"},
    {ErrorCode::RoleRefused, "ROLE_REFUSED"},
    {ErrorCode::ReplicaTaken, "REPLICA_TAKEN"},
    {ErrorCode::RoomFull, "ROOM_FULL"},
    {ErrorCode::RateLimited, "RATE_LIMITED"},
    {ErrorCode::TimestampTooFarAhead, "TIMESTAMP_TOO_FAR_AHEAD"},
    {ErrorCode::ServerFull, "SERVER_FULL"},
    {ErrorCode::Internal, "INTERNAL"},
    {ErrorCode::ShuttingDown, "SHUTTING_DOWN"},
    {ErrorCode::SlowConsumer, "SLOW_CONSUMER"},
    {ErrorCode::Removed, "REMOVED"},
    {ErrorCode::VersionNotFound, "VERSION_NOT_FOUND"},
    {ErrorCode::UnexpectedMessage, "UNEXPECTED_MESSAGE"},
    {ErrorCode::StorageFull, "STORAGE_FULL"},
};

std::string hexByte(std::uint8_t b)
{
    char buf[8];
    std::snprintf(buf, sizeof buf, "0x%02x", b);
    return buf;
}

} // namespace

std::span<const MessageInfo> messageTable()
{
    return Messages;
}

const MessageInfo* messageInfo(std::uint8_t type)
{
    for (const MessageInfo& m : Messages)
        if (std::uint8_t(m.type) == type)
            return &m;
    return nullptr;
}

const char* messageTypeName(MessageType type)
{
    const MessageInfo* m = messageInfo(std::uint8_t(type));
    return m ? m->name : "UNKNOWN";
}

std::span<const ErrorInfo> errorTable()
{
    return Errors;
}

const ErrorInfo* errorInfo(std::uint64_t code)
{
    for (const ErrorInfo& e : Errors)
        if (std::uint64_t(e.code) == code)
            return &e;
    return nullptr;
}

// ---- versions and names ------------------------------------------------------------------

std::optional<std::uint32_t> negotiateVersion(VersionRange client, VersionRange server)
{
    const std::uint32_t high = std::min(client.max, server.max);
    const std::uint32_t low = std::max(client.min, server.min);
    if (client.min > client.max || server.min > server.max || high < low)
        return std::nullopt;
    return high;
}

std::string versionMismatchMessage(VersionRange client, VersionRange server)
{
    return "protocol version mismatch: the client speaks versions " + std::to_string(client.min) + " to "
        + std::to_string(client.max) + ", this server " + std::to_string(server.min) + " to "
        + std::to_string(server.max);
}

bool isValidRoomName(std::string_view name)
{
    if (name.empty() || name.size() > MaxRoomNameBytes || name == "." || name == "..")
        return false;
    return std::all_of(name.begin(), name.end(), [](char ch) {
        return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '.'
            || ch == '_' || ch == '-';
    });
}

bool isValidName(std::string_view name)
{
    if (name.size() > MaxNameBytes || !isValidUtf8(name))
        return false;
    return std::none_of(name.begin(), name.end(), [](char ch) { return std::uint8_t(ch) < 0x20 || ch == 0x7f; });
}

// ---- field helpers -----------------------------------------------------------------------

namespace {

bool toClients(const DecodeContext& c)
{
    return c.direction == Direction::ToClient;
}

void writeI16(ByteWriter& w, std::int16_t v)
{
    const auto u = std::uint16_t(v);
    w.u8(std::uint8_t(u & 0xff));
    w.u8(std::uint8_t(u >> 8));
}

std::int16_t readI16(ByteReader& r)
{
    const std::uint16_t lo = r.u8();
    const std::uint16_t hi = r.u8();
    return std::int16_t(std::uint16_t(lo | (hi << 8)));
}

void writeVec3(ByteWriter& w, Vec3 v)
{
    w.f32(v.x);
    w.f32(v.y);
    w.f32(v.z);
}

Vec3 readVec3(ByteReader& r, const char* what)
{
    const Vec3 v {r.f32(), r.f32(), r.f32()};
    if (r.ok() && !v.isFinite())
        r.fail(std::string(what) + " is not finite");
    return v;
}

/// Fixed-size raw bytes (small n only).
void writeRaw(ByteWriter& w, std::string_view s, std::size_t n)
{
    for (std::size_t i = 0; i < n; ++i)
        w.u8(i < s.size() ? std::uint8_t(s[i]) : 0);
}

std::string readRaw(ByteReader& r, std::size_t n)
{
    std::string s;
    if (r.ok() && r.remaining() < n)
        r.fail("truncated: needs " + std::to_string(n) + " bytes");
    if (!r.ok())
        return s;
    s.resize(n);
    for (std::size_t i = 0; i < n; ++i)
        s[i] = char(r.u8());
    return s;
}

std::uint8_t readFlags(ByteReader& r, std::uint8_t allowed, const char* what)
{
    const std::uint8_t f = r.u8();
    if (r.ok() && (f & ~allowed))
        r.fail(std::string("reserved bits set in ") + what + " flags");
    return f;
}

Role readRole(ByteReader& r)
{
    const std::uint8_t v = r.u8();
    if (r.ok() && (v < std::uint8_t(Role::Viewer) || v > std::uint8_t(Role::Owner)))
        r.fail("unknown role " + std::to_string(v));
    return r.ok() ? Role(v) : Role::Viewer;
}

template<typename E>
E readEnum(ByteReader& r, std::uint8_t max, const char* what)
{
    const std::uint8_t v = r.u8();
    if (r.ok() && v > max)
        r.fail(std::string("unknown ") + what + " " + std::to_string(v));
    return E(r.ok() ? v : 0);
}

PeerIndex readPeer(ByteReader& r, bool allowNone)
{
    const std::uint64_t v = r.varint();
    if (r.ok() && (v > MaxPeerIndex || (v == 0 && !allowNone)))
        r.fail("peer index " + std::to_string(v) + " out of range");
    return PeerIndex(v);
}

ReplicaId readReplica(ByteReader& r)
{
    const ReplicaId v = r.u32();
    if (r.ok() && v == 0)
        r.fail("replica id 0 is never used");
    return v;
}

UserId readUser(ByteReader& r)
{
    const UserId v = r.u64();
    if (r.ok() && v == 0)
        r.fail("user id 0 is never used");
    return v;
}

std::uint32_t readCounter(ByteReader& r)
{
    const std::uint32_t v = r.varint32();
    if (r.ok() && v == 0)
        r.fail("operation counter 0 is never used");
    return v;
}

RoomSequence readSeq(ByteReader& r, bool allowNone)
{
    const RoomSequence v = r.varint();
    if (r.ok() && v == 0 && !allowNone)
        r.fail("sequence number 0 is never used");
    return v;
}

std::string readName(ByteReader& r, const char* what, bool allowEmpty)
{
    const std::string_view s = r.utf8(MaxNameBytes);
    if (r.ok() && ((s.empty() && !allowEmpty) || !isValidName(s)))
        r.fail(std::string(what) + (s.empty() ? " is empty" : " holds control characters"));
    return std::string(s);
}

/// Salts, nonces, owner tokens: MinSecretBytes to MaxSecretBytes (or empty when allowed).
std::string readSecret(ByteReader& r, const char* what, bool allowEmpty)
{
    const std::string_view s = r.bytes(MaxSecretBytes);
    if (r.ok() && (s.empty() ? !allowEmpty : s.size() < MinSecretBytes))
        r.fail(std::string(what) + " of " + std::to_string(s.size()) + " bytes (" + std::to_string(MinSecretBytes)
               + " to " + std::to_string(MaxSecretBytes) + " expected)");
    return std::string(s);
}

std::uint32_t readIterations(ByteReader& r)
{
    const std::uint32_t v = r.varint32();
    if (r.ok() && (v < MinKeyIterations || v > MaxKeyIterations))
        r.fail("key iterations " + std::to_string(v) + " out of range");
    return v;
}

std::string_view takeRest(ByteReader& r, DecodeContext& c)
{
    c.restTaken = true;
    return r.ok() ? c.body.substr(std::min(r.offset(), c.body.size())) : std::string_view();
}

/// Bounds a count read from input by what the rest of the body can hold, so that a
/// lying count cannot make the reader allocate.
std::uint64_t readCount(ByteReader& r, std::size_t minBytesEach, const char* what)
{
    const std::uint64_t n = r.varint();
    if (r.ok() && n > r.remaining() / minBytesEach)
        r.fail(std::string(what) + " count " + std::to_string(n) + " exceeds what the message holds");
    return r.ok() ? n : 0;
}

/// Chunk fields shared by SNAPSHOT_CHUNK and TRANSACTION_CHUNK.
void readChunk(ByteReader& r, DecodeContext& c, std::uint64_t& total, std::uint64_t& offset, bool& last,
               std::string& data, bool allowEmptyWhole)
{
    total = r.varint();
    offset = r.varint();
    last = readFlags(r, 0x01, "chunk") & 1;
    const std::string_view rest = takeRest(r, c);
    if (!r.ok())
        return;
    if (total > c.limits.maxAssembledBytes) {
        c.code = ErrorCode::Oversize;
        r.fail("chunked whole of " + std::to_string(total) + " bytes exceeds the limit of "
               + std::to_string(c.limits.maxAssembledBytes));
    } else if (total == 0 && !allowEmptyWhole) {
        r.fail("chunked whole of 0 bytes");
    } else if (offset > total || rest.size() > total - offset) {
        r.fail("chunk runs past the declared total");
    } else if (last != (offset + rest.size() == total)) {
        r.fail(last ? "last chunk ends before the total" : "chunk reaches the total but is not marked last");
    } else if (rest.empty() && total != 0) {
        r.fail("empty chunk"); // only an empty whole travels as one empty chunk
    }
    if (r.ok())
        data.assign(rest);
}

/// Sorted, grouped ids: varint groups; per group u32 replica, varint n, then n counters
/// as deltas (the first absolute). `each` writes what follows one id.
template<typename T, typename IdOf, typename Each>
void writeGrouped(ByteWriter& w, const std::vector<T>& items, IdOf idOf, Each each)
{
    std::size_t groups = 0;
    for (std::size_t i = 0; i < items.size(); ++i)
        if (i == 0 || idOf(items[i]).replica != idOf(items[i - 1]).replica)
            ++groups;
    w.varint(groups);
    for (std::size_t i = 0; i < items.size();) {
        const ReplicaId replica = idOf(items[i]).replica;
        std::size_t end = i;
        while (end < items.size() && idOf(items[end]).replica == replica)
            ++end;
        w.u32(replica);
        w.varint(end - i);
        std::uint32_t previous = 0;
        for (; i < end; ++i) {
            w.varint(idOf(items[i]).counter - previous);
            previous = idOf(items[i]).counter;
            each(items[i]);
        }
    }
}

/// Reads what writeGrouped wrote: fn(EntityId) reads what follows one id.
template<typename Fn>
void readGrouped(ByteReader& r, std::size_t minBytesEach, Fn fn)
{
    const std::uint64_t groups = readCount(r, 6, "group");
    ReplicaId previousReplica = 0;
    for (std::uint64_t g = 0; g < groups && r.ok(); ++g) {
        const ReplicaId replica = readReplica(r);
        if (r.ok() && g > 0 && replica <= previousReplica)
            r.fail("groups not in replica order");
        previousReplica = replica;
        const std::uint64_t n = readCount(r, minBytesEach, "entry");
        if (r.ok() && n == 0)
            r.fail("empty group");
        std::uint64_t counter = 0;
        for (std::uint64_t i = 0; i < n && r.ok(); ++i) {
            const std::uint64_t delta = r.varint();
            if (r.ok() && delta == 0)
                r.fail(i == 0 ? "operation counter 0 is never used" : "ids not in order or repeated");
            counter += delta;
            if (r.ok() && counter > 0xffffffffu)
                r.fail("operation counter out of range");
            if (!r.ok())
                return;
            fn(EntityId {replica, std::uint32_t(counter)});
        }
    }
}

} // namespace

// ---- HELLO ... FETCH_VERSION -------------------------------------------------------------

namespace {
constexpr std::uint8_t HelloCreate = 0x01, HelloChallenge = 0x02, HelloDocument = 0x04, HelloVr = 0x08,
                       HelloResume = 0x10;
}

void Hello::write(std::string& out, Direction) const
{
    ByteWriter w(out);
    w.varint(versions.min);
    w.varint(versions.max);
    w.bytes(room);
    w.u64(user);
    w.u32(replica);
    w.bytes(name);
    w.u32(color);
    w.u8(std::uint8_t(role));
    w.u8(std::uint8_t((createRoom ? HelloCreate : 0) | (canAnswerChallenge ? HelloChallenge : 0)
                      | (hasDocument ? HelloDocument : 0) | (inVr ? HelloVr : 0) | (resume ? HelloResume : 0)));
    if (resume) {
        w.u64(resume->epoch);
        w.varint(resume->committed);
    }
    w.bytes(ownerToken);
}

void Hello::read(ByteReader& r, DecodeContext& c)
{
    versions.min = r.varint32();
    versions.max = r.varint32();
    if (r.ok() && (versions.min == 0 || versions.min > versions.max))
        r.fail("bad version range " + std::to_string(versions.min) + ".." + std::to_string(versions.max));
    const std::string_view roomName = r.bytes(1024);
    if (r.ok() && !isValidRoomName(roomName)) {
        c.code = ErrorCode::BadRoomName;
        r.fail("bad room name: 1 to 128 of A-Z a-z 0-9 . _ - expected");
    }
    room.assign(roomName);
    user = readUser(r);
    replica = readReplica(r);
    name = readName(r, "display name", true);
    color = r.u32();
    role = readRole(r);
    // Bits 5-7 are left for later versions: a HELLO must be readable by every version.
    const std::uint8_t flags = r.u8();
    createRoom = flags & HelloCreate;
    canAnswerChallenge = flags & HelloChallenge;
    hasDocument = flags & HelloDocument;
    inVr = flags & HelloVr;
    resume.reset();
    if (flags & HelloResume) {
        Resume res;
        res.epoch = r.u64();
        res.committed = r.varint();
        if (r.ok() && res.epoch == 0)
            r.fail("epoch 0 is never used");
        resume = res;
    }
    ownerToken = readSecret(r, "owner token", true);
}

void Challenge::write(std::string& out, Direction) const
{
    ByteWriter w(out);
    w.bytes(salt);
    w.varint(iterations);
    w.bytes(serverNonce);
}

void Challenge::read(ByteReader& r, DecodeContext&)
{
    salt = readSecret(r, "salt", false);
    iterations = readIterations(r);
    serverNonce = readSecret(r, "server nonce", false);
}

void Proof::write(std::string& out, Direction) const
{
    ByteWriter w(out);
    w.bytes(clientNonce);
    writeRaw(w, clientProof, KeyBytes);
}

void Proof::read(ByteReader& r, DecodeContext&)
{
    clientNonce = readSecret(r, "client nonce", false);
    clientProof = readRaw(r, KeyBytes);
}

namespace {
constexpr std::uint8_t StreamHasLast = 0x01, StreamHasTarget = 0x02;
}

void Welcome::write(std::string& out, Direction) const
{
    ByteWriter w(out);
    w.varint(version);
    w.u64(epoch);
    w.u8(std::uint8_t(role));
    w.varint(peer);
    w.varint(committed);
    w.u8(std::uint8_t(sync));
    w.u64(serverTimeMs);
    w.bytes(ownerToken);
    w.bytes(serverSignature);
    w.varint(streams.size());
    for (const StreamEntry& e : streams) {
        const ReplicaStream& s = e.stream;
        w.varint(e.peer);
        w.u32(s.replica);
        w.u64(s.user);
        const bool hasTarget = s.hasLast && !s.lastTarget.isNull();
        w.u8(std::uint8_t((s.hasLast ? StreamHasLast : 0) | (hasTarget ? StreamHasTarget : 0)));
        if (s.hasLast) {
            w.varint(s.lastSeq);
            w.varint(s.lastCounter);
            w.u64(s.lastHlc.raw());
        }
        if (hasTarget) {
            w.u32(s.lastTarget.replica);
            w.varint(s.lastTarget.counter);
        }
    }
}

void Welcome::read(ByteReader& r, DecodeContext&)
{
    version = r.varint32();
    if (r.ok() && version == 0)
        r.fail("protocol version 0");
    epoch = r.u64();
    if (r.ok() && epoch == 0)
        r.fail("epoch 0 is never used");
    role = readRole(r);
    peer = readPeer(r, false);
    committed = r.varint();
    sync = readEnum<SyncMode>(r, 3, "sync mode");
    serverTimeMs = r.u64();
    ownerToken = readSecret(r, "owner token", true);
    serverSignature = std::string(r.bytes(KeyBytes));
    if (r.ok() && !serverSignature.empty() && serverSignature.size() != KeyBytes)
        r.fail("server signature of " + std::to_string(serverSignature.size()) + " bytes");
    const std::uint64_t n = readCount(r, 14, "stream");
    streams.clear();
    streams.reserve(std::size_t(n));
    for (std::uint64_t i = 0; i < n && r.ok(); ++i) {
        StreamEntry e;
        e.peer = readPeer(r, false);
        if (r.ok() && !streams.empty() && e.peer <= streams.back().peer)
            r.fail("streams not in peer order");
        ReplicaStream& s = e.stream;
        s.replica = readReplica(r);
        s.user = r.u64();
        const std::uint8_t flags = readFlags(r, StreamHasLast | StreamHasTarget, "stream");
        if (r.ok() && (flags & StreamHasTarget) && !(flags & StreamHasLast))
            r.fail("a stream with a last target but no last transaction");
        s.hasLast = flags & StreamHasLast;
        if (s.hasLast) {
            s.lastSeq = r.varint();
            s.lastCounter = readCounter(r);
            s.lastHlc = Hlc(r.u64());
        }
        if (flags & StreamHasTarget) {
            const ReplicaId replica = readReplica(r);
            s.lastTarget = {replica, readCounter(r)};
        }
        streams.push_back(e);
    }
    if (r.ok()) {
        std::vector<ReplicaId> replicas;
        for (const StreamEntry& e : streams)
            replicas.push_back(e.stream.replica);
        std::sort(replicas.begin(), replicas.end());
        if (std::adjacent_find(replicas.begin(), replicas.end()) != replicas.end())
            r.fail("a replica at two peers");
    }
}

namespace {
constexpr std::uint8_t ErrorFatal = 0x01, ErrorNamesTransaction = 0x02;
}

void Error::write(std::string& out, Direction) const
{
    ByteWriter w(out);
    w.varint(code);
    const bool names = !transaction.isNull();
    w.u8(std::uint8_t((fatal ? ErrorFatal : 0) | (names ? ErrorNamesTransaction : 0)));
    w.u8(about);
    if (names) {
        w.u32(transaction.replica);
        w.varint(transaction.counter);
    }
    w.bytes(message);
}

void Error::read(ByteReader& r, DecodeContext&)
{
    const std::uint64_t c = r.varint();
    if (r.ok() && (c == 0 || c > 0xffff))
        r.fail("error code " + std::to_string(c) + " out of range");
    code = std::uint16_t(c);
    // Bits 2-7 are left for later versions: an ERROR must be readable by every version.
    const std::uint8_t flags = r.u8();
    fatal = flags & ErrorFatal;
    about = r.u8();
    transaction = {};
    if (flags & ErrorNamesTransaction) {
        const ReplicaId replica = readReplica(r);
        transaction = {replica, readCounter(r)};
    }
    message = std::string(r.utf8(MaxErrorMessageBytes));
}

void Ping::write(std::string& out, Direction) const
{
    ByteWriter w(out);
    w.u64(value);
}

void Ping::read(ByteReader& r, DecodeContext&)
{
    value = r.u64();
}

void Pong::write(std::string& out, Direction) const
{
    ByteWriter w(out);
    w.u64(value);
}

void Pong::read(ByteReader& r, DecodeContext&)
{
    value = r.u64();
}

void SnapshotChunk::write(std::string& out, Direction) const
{
    ByteWriter w(out);
    w.varint(version);
    w.varint(seq);
    w.u8(std::uint8_t(compression));
    w.varint(total);
    w.varint(offset);
    w.u8(last ? 1 : 0);
    out.append(data); // the rest of the body
}

void SnapshotChunk::read(ByteReader& r, DecodeContext& c)
{
    version = r.varint();
    seq = r.varint();
    compression = readEnum<Compression>(r, 1, "compression");
    readChunk(r, c, total, offset, last, data, true);
}

void TransactionChunk::write(std::string& out, Direction d) const
{
    ByteWriter w(out);
    if (d == Direction::ToClient) {
        w.varint(origin);
        w.varint(seq);
    }
    w.varint(total);
    w.varint(offset);
    w.u8(last ? 1 : 0);
    out.append(data);
}

void TransactionChunk::read(ByteReader& r, DecodeContext& c)
{
    origin = 0;
    seq = 0;
    if (toClients(c)) {
        origin = readPeer(r, true);
        seq = readSeq(r, false);
    }
    readChunk(r, c, total, offset, last, data, false);
}

void Ack::write(std::string& out, Direction) const
{
    ByteWriter w(out);
    w.u32(replica);
    w.varint(counter);
    w.varint(seq);
}

void Ack::read(ByteReader& r, DecodeContext&)
{
    replica = readReplica(r);
    counter = readCounter(r);
    seq = readSeq(r, true); // 0: held since the room's first state (a room made from a copy)
}

void Committed::write(std::string& out, Direction) const
{
    ByteWriter w(out);
    w.varint(seq);
}

void Committed::read(ByteReader& r, DecodeContext&)
{
    seq = readSeq(r, true);
}

void VersionVectorExchange::write(std::string& out, Direction) const
{
    ByteWriter w(out);
    struct Replica {
        ReplicaId id;
        std::uint32_t contiguous = 0;
        std::vector<std::pair<std::uint32_t, std::uint32_t>> ranges;
    };
    std::vector<Replica> replicas;
    vector.forEachRange([&](ReplicaId r, std::uint32_t first, std::uint32_t last) {
        if (replicas.empty() || replicas.back().id != r)
            replicas.push_back({r, 0, {}});
        if (first == 1)
            replicas.back().contiguous = last;
        else
            replicas.back().ranges.emplace_back(first, last);
    });
    w.varint(replicas.size());
    for (const Replica& rep : replicas) {
        w.u32(rep.id);
        w.varint(rep.contiguous);
        w.varint(rep.ranges.size());
        std::uint64_t previous = rep.contiguous; // ranges start at least two past it
        for (const auto& [first, last] : rep.ranges) {
            w.varint(first - previous - 2);
            w.varint(last - first);
            previous = last;
        }
    }
}

void VersionVectorExchange::read(ByteReader& r, DecodeContext&)
{
    vector = {};
    const std::uint64_t n = readCount(r, 6, "replica");
    ReplicaId previousReplica = 0;
    for (std::uint64_t i = 0; i < n && r.ok(); ++i) {
        const ReplicaId replica = readReplica(r);
        if (r.ok() && i > 0 && replica <= previousReplica)
            r.fail("replicas not in order");
        previousReplica = replica;
        const std::uint32_t contiguous = r.varint32();
        const std::uint64_t ranges = readCount(r, 2, "range");
        if (r.ok() && contiguous == 0 && ranges == 0)
            r.fail("a replica with nothing held");
        if (r.ok() && contiguous > 0)
            vector.add(replica, 1, contiguous);
        std::uint64_t previous = contiguous;
        for (std::uint64_t k = 0; k < ranges && r.ok(); ++k) {
            const std::uint64_t first = previous + 2 + r.varint();
            const std::uint64_t last = first + r.varint();
            if (r.ok() && last > 0xffffffffu)
                r.fail("range past the last counter");
            if (!r.ok())
                return;
            vector.add(replica, std::uint32_t(first), std::uint32_t(last));
            previous = last;
        }
    }
}

void UserJoined::write(std::string& out, Direction) const
{
    ByteWriter w(out);
    w.varint(peer);
    w.u64(user);
    w.u32(replica);
    w.bytes(name);
    w.u32(color);
    w.u8(std::uint8_t(role));
    w.u8(inVr ? 1 : 0);
}

void UserJoined::read(ByteReader& r, DecodeContext&)
{
    peer = readPeer(r, false);
    user = readUser(r);
    replica = readReplica(r);
    name = readName(r, "display name", true);
    color = r.u32();
    role = readRole(r);
    inVr = readFlags(r, 0x01, "user") & 1;
}

void UserLeft::write(std::string& out, Direction) const
{
    ByteWriter w(out);
    w.varint(peer);
    w.u8(std::uint8_t(reason));
}

void UserLeft::read(ByteReader& r, DecodeContext&)
{
    peer = readPeer(r, false);
    reason = readEnum<LeaveReason>(r, 3, "leave reason");
}

namespace {
constexpr std::uint8_t StatusVr = 0x01, StatusView = 0x02, StatusPlacement = 0x04;
}

void PresenceStatus::write(std::string& out, Direction d) const
{
    ByteWriter w(out);
    if (d == Direction::ToClient)
        w.varint(origin);
    w.u8(std::uint8_t(state));
    w.u8(std::uint8_t((inVr ? StatusVr : 0) | (view ? StatusView : 0) | (placement ? StatusPlacement : 0)));
    if (view) {
        writeVec3(w, view->eye);
        writeVec3(w, view->target);
    }
    if (placement) {
        w.f32(placement->scale);
        writeVec3(w, placement->translation);
        w.f32(placement->rotation.x);
        w.f32(placement->rotation.y);
        w.f32(placement->rotation.z);
        w.f32(placement->rotation.w);
    }
}

void PresenceStatus::read(ByteReader& r, DecodeContext& c)
{
    origin = toClients(c) ? readPeer(r, false) : 0;
    state = readEnum<PresenceState>(r, 2, "presence state");
    const std::uint8_t flags = readFlags(r, StatusVr | StatusView | StatusPlacement, "presence");
    inVr = flags & StatusVr;
    view.reset();
    placement.reset();
    if (flags & StatusView) {
        View v;
        v.eye = readVec3(r, "view eye");
        v.target = readVec3(r, "view target");
        view = v;
    }
    if (flags & StatusPlacement) {
        Placement p;
        p.scale = r.f32();
        if (r.ok() && !(std::isfinite(p.scale) && p.scale > 0))
            r.fail("placement scale is not a positive number");
        p.translation = readVec3(r, "placement translation");
        p.rotation = {r.f32(), r.f32(), r.f32(), r.f32()};
        const double n2 = double(p.rotation.x) * p.rotation.x + double(p.rotation.y) * p.rotation.y
            + double(p.rotation.z) * p.rotation.z + double(p.rotation.w) * p.rotation.w;
        if (r.ok() && !(std::isfinite(n2) && std::fabs(n2 - 1.0) < 1e-3))
            r.fail("placement rotation is not a unit quaternion");
        placement = p;
    }
}

namespace {

std::vector<PositionsBatch::Entry> sortedUnique(std::vector<PositionsBatch::Entry> entries)
{
    // Stable, then keep the last of equal ids: the newest position given wins.
    std::stable_sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) { return a.node < b.node; });
    std::vector<PositionsBatch::Entry> out;
    out.reserve(entries.size());
    for (const auto& e : entries) {
        if (!out.empty() && out.back().node == e.node)
            out.back() = e;
        else
            out.push_back(e);
    }
    return out;
}

} // namespace

void PositionsBatch::write(std::string& out, Direction d) const
{
    ByteWriter w(out);
    if (d == Direction::ToClient)
        w.varint(origin);
    const bool sorted = std::adjacent_find(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
                            return !(a.node < b.node);
                        }) == entries.end();
    const std::vector<Entry> own = sorted ? std::vector<Entry>() : sortedUnique(entries);
    writeGrouped(w, sorted ? entries : own, [](const Entry& e) { return e.node; },
                 [&](const Entry& e) { writeVec3(w, e.position); });
}

void PositionsBatch::read(ByteReader& r, DecodeContext& c)
{
    origin = toClients(c) ? readPeer(r, false) : 0;
    entries.clear();
    readGrouped(r, 13, [&](EntityId id) { entries.push_back({id, readVec3(r, "position")}); });
}

void SetRole::write(std::string& out, Direction) const
{
    ByteWriter w(out);
    w.u64(user);
    w.u8(std::uint8_t(role));
}

void SetRole::read(ByteReader& r, DecodeContext&)
{
    user = readUser(r);
    role = readRole(r);
}

void RemoveUser::write(std::string& out, Direction) const
{
    ByteWriter w(out);
    w.u64(user);
}

void RemoveUser::read(ByteReader& r, DecodeContext&)
{
    user = readUser(r);
}

void SetAccessKey::write(std::string& out, Direction) const
{
    ByteWriter w(out);
    w.u8(remove ? 1 : 0);
    if (remove)
        return;
    w.bytes(salt);
    w.varint(iterations);
    writeRaw(w, storedKey, KeyBytes);
    writeRaw(w, serverKey, KeyBytes);
}

void SetAccessKey::read(ByteReader& r, DecodeContext&)
{
    remove = readFlags(r, 0x01, "access key") & 1;
    salt.clear();
    storedKey.clear();
    serverKey.clear();
    if (remove)
        return;
    salt = readSecret(r, "salt", false);
    iterations = readIterations(r);
    storedKey = readRaw(r, KeyBytes);
    serverKey = readRaw(r, KeyBytes);
}

void SaveVersion::write(std::string& out, Direction) const
{
    ByteWriter w(out);
    w.bytes(name);
}

void SaveVersion::read(ByteReader& r, DecodeContext&)
{
    name = readName(r, "version name", false);
}

void ListVersions::write(std::string&, Direction) const {}

void ListVersions::read(ByteReader&, DecodeContext&) {}

void VersionList::write(std::string& out, Direction) const
{
    ByteWriter w(out);
    w.varint(versions.size());
    for (const VersionInfo& v : versions) {
        w.varint(v.id);
        w.bytes(v.name);
        w.u64(v.createdMs);
        w.u64(v.createdBy);
        w.varint(v.seq);
    }
}

void VersionList::read(ByteReader& r, DecodeContext&)
{
    const std::uint64_t n = readCount(r, 19, "version");
    versions.clear();
    versions.reserve(std::size_t(n));
    for (std::uint64_t i = 0; i < n && r.ok(); ++i) {
        VersionInfo v;
        v.id = r.varint();
        if (r.ok() && v.id == 0)
            r.fail("version id 0 names the current state, not a saved version");
        v.name = readName(r, "version name", false);
        v.createdMs = r.u64();
        v.createdBy = r.u64();
        v.seq = r.varint();
        versions.push_back(std::move(v));
    }
}

void FetchVersion::write(std::string& out, Direction) const
{
    ByteWriter w(out);
    w.varint(version);
}

void FetchVersion::read(ByteReader& r, DecodeContext&)
{
    version = r.varint();
    if (r.ok() && version == 0)
        r.fail("version id 0 names the current state, not a saved version");
}

// ---- the core types ----------------------------------------------------------------------

void SyncUpdate::write(std::string& out, Direction d) const
{
    ByteWriter w(out);
    if (d == Direction::ToClient) {
        w.varint(origin);
        w.varint(seq);
    }
    out.append(transaction.bytes()); // as they are: the rest of the body
}

void SyncUpdate::read(ByteReader& r, DecodeContext& c)
{
    origin = 0;
    seq = 0;
    if (toClients(c)) {
        origin = readPeer(r, true);
        seq = readSeq(r, false);
    }
    const std::string_view bytes = takeRest(r, c);
    if (!r.ok())
        return;
    std::string error;
    std::optional<Transaction> t = Transaction::decode(std::string(bytes), &error, c.limits.transaction);
    if (!t) {
        r.fail(error);
        return;
    }
    transaction = std::move(*t);
}

void SelectionUpdate::write(std::string& out, Direction d) const
{
    ByteWriter w(out);
    if (d == Direction::ToClient)
        w.varint(origin);
    std::vector<EntityId> ids = selected;
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    writeGrouped(w, ids, [](EntityId id) { return id; }, [](EntityId) {});
}

void SelectionUpdate::read(ByteReader& r, DecodeContext& c)
{
    origin = toClients(c) ? readPeer(r, false) : 0;
    selected.clear();
    readGrouped(r, 1, [&](EntityId id) { selected.push_back(id); });
}

void UserPosition::write(std::string& out, Direction d) const
{
    ByteWriter w(out);
    if (d == Direction::ToClient)
        w.varint(origin);
    writeVec3(w, position);
}

void UserPosition::read(ByteReader& r, DecodeContext& c)
{
    origin = toClients(c) ? readPeer(r, false) : 0;
    position = readVec3(r, "cursor position");
}

namespace {
constexpr std::uint8_t VrLeft = 0x01, VrRight = 0x02;

void writePackedPose(ByteWriter& w, const PackedPose& p)
{
    for (std::int16_t v : p.position)
        writeI16(w, v);
    w.u32(p.rotation.bits);
}

PackedPose readPackedPose(ByteReader& r, std::uint8_t largest)
{
    PackedPose p;
    for (std::int16_t& v : p.position)
        v = readI16(r);
    p.rotation = {largest, r.u32()};
    if (r.ok() && !unpackRotation(p.rotation))
        r.fail("orientation out of range");
    return p;
}
} // namespace

void VrPresence::write(std::string& out, Direction d) const
{
    ByteWriter w(out);
    if (d == Direction::ToClient)
        w.varint(origin);
    // One byte: which hands are tracked, and the left-out component of each rotation.
    std::uint8_t flags = std::uint8_t((pose.left ? VrLeft : 0) | (pose.right ? VrRight : 0));
    flags |= std::uint8_t((pose.head.rotation.largest & 3) << 2);
    if (pose.left)
        flags |= std::uint8_t((pose.left->rotation.largest & 3) << 4);
    if (pose.right)
        flags |= std::uint8_t((pose.right->rotation.largest & 3) << 6);
    w.u8(flags);
    writePackedPose(w, pose.head);
    if (pose.left)
        writePackedPose(w, *pose.left);
    if (pose.right)
        writePackedPose(w, *pose.right);
}

void VrPresence::read(ByteReader& r, DecodeContext& c)
{
    origin = toClients(c) ? readPeer(r, false) : 0;
    const std::uint8_t flags = r.u8();
    if (r.ok() && ((!(flags & VrLeft) && (flags & 0x30)) || (!(flags & VrRight) && (flags & 0xc0))))
        r.fail("rotation bits for an untracked hand");
    pose.head = readPackedPose(r, (flags >> 2) & 3);
    pose.left.reset();
    pose.right.reset();
    if (flags & VrLeft)
        pose.left = readPackedPose(r, (flags >> 4) & 3);
    if (flags & VrRight)
        pose.right = readPackedPose(r, (flags >> 6) & 3);
}

namespace {
constexpr std::uint8_t MoveCounterGap = 0x20, MoveLogical = 0x40, MoveSeqGap = 0x80;
constexpr std::uint64_t MaxMillis = (std::uint64_t(1) << 48) - 1;
} // namespace

void NodeMove::write(std::string& out, Direction d) const
{
    ByteWriter w(out);
    const bool down = d == Direction::ToClient;
    if (down)
        w.varint(origin);
    std::uint8_t flags = std::uint8_t(std::uint8_t(target) & 7) | std::uint8_t((std::uint8_t(prev) & 3) << 3);
    if (counterGap != 0)
        flags |= MoveCounterGap;
    if (logical != 0)
        flags |= MoveLogical;
    if (down && seqGap != 0)
        flags |= MoveSeqGap;
    w.u8(flags);
    if (down && seqGap != 0)
        w.varint(seqGap);
    if (counterGap != 0)
        w.zigzag(counterGap);
    w.varint(millisDelta);
    if (logical != 0)
        w.varint(logical);
    switch (target) {
    case Target::LastTarget:
    case Target::SendersLastOp: break;
    case Target::Explicit:
        if (targetReplica.kind == ReplicaRef::Kind::Peer) {
            w.varint(targetReplica.value);
        } else {
            w.varint(0);
            w.u32(targetReplica.value);
        }
        [[fallthrough]];
    case Target::OriginReplica:
    case Target::LastTargetReplica: w.varint(targetCounter); break;
    }
    if (prev == Prev::Explicit) {
        // 0 the sender's replica, 1 the target's, 2 a replica id; from 3 on (to clients
        // only): the replica at peer k - 2.
        switch (prevReplica.kind) {
        case ReplicaRef::Kind::Origin: w.varint(0); break;
        case ReplicaRef::Kind::TargetReplica: w.varint(1); break;
        case ReplicaRef::Kind::Id:
            w.varint(2);
            w.u32(prevReplica.value);
            break;
        case ReplicaRef::Kind::Peer: w.varint(std::uint64_t(prevReplica.value) + 2); break;
        }
        w.varint(prevCounter);
    }
    writeVec3(w, position);
}

void NodeMove::read(ByteReader& r, DecodeContext& c)
{
    const bool down = toClients(c);
    origin = down ? readPeer(r, false) : 0;
    const std::uint8_t flags = r.u8();
    if (!r.ok())
        return;
    if ((flags & 7) > std::uint8_t(Target::Explicit))
        r.fail("unknown target code " + std::to_string(flags & 7));
    if (!down && (flags & MoveSeqGap))
        r.fail("a sequence gap only travels to clients");
    target = Target(flags & 7);
    prev = Prev((flags >> 3) & 3);
    seqGap = 0;
    if (flags & MoveSeqGap) {
        seqGap = r.varint();
        if (r.ok() && seqGap == 0)
            r.fail("sequence gap flagged but 0");
    }
    counterGap = 0;
    if (flags & MoveCounterGap) {
        counterGap = r.zigzag();
        if (r.ok() && (counterGap == 0 || counterGap > 0xffffffffll || counterGap < -0xffffffffll))
            r.fail("counter gap out of range");
    }
    millisDelta = r.varint();
    if (r.ok() && millisDelta > MaxMillis)
        r.fail("timestamp delta out of range");
    logical = 0;
    if (flags & MoveLogical) {
        const std::uint64_t l = r.varint();
        if (r.ok() && (l == 0 || l > 0xffff))
            r.fail("logical clock out of range");
        logical = std::uint16_t(l);
    }
    targetReplica = {};
    targetCounter = 0;
    if (target == Target::Explicit) {
        const std::uint64_t k = r.varint();
        if (k == 0) {
            targetReplica = {ReplicaRef::Kind::Id, readReplica(r)};
        } else if (r.ok()) {
            if (!down || k > MaxPeerIndex)
                r.fail(down ? "peer index out of range" : "peer references only travel to clients");
            targetReplica = {ReplicaRef::Kind::Peer, std::uint32_t(k)};
        }
    }
    if (target == Target::OriginReplica || target == Target::LastTargetReplica || target == Target::Explicit)
        targetCounter = readCounter(r);
    prevReplica = {};
    prevCounter = 0;
    if (prev == Prev::Explicit) {
        const std::uint64_t k = r.varint();
        if (k == 0) {
            prevReplica = {ReplicaRef::Kind::Origin, 0};
        } else if (k == 1) {
            prevReplica = {ReplicaRef::Kind::TargetReplica, 0};
        } else if (k == 2) {
            prevReplica = {ReplicaRef::Kind::Id, readReplica(r)};
        } else if (r.ok()) {
            if (!down || k - 2 > MaxPeerIndex)
                r.fail(down ? "peer index out of range" : "peer references only travel to clients");
            prevReplica = {ReplicaRef::Kind::Peer, std::uint32_t(k - 2)};
        }
        prevCounter = readCounter(r);
    }
    position = readVec3(r, "position");
}

// ---- encoding and decoding -------------------------------------------------------------

namespace detail {

std::size_t beginMessage(std::string& out, MessageType type)
{
    const std::size_t start = out.size();
    out.push_back('\0'); // the length, fixed up by endMessage (one byte for most messages)
    out.push_back(char(type));
    return start;
}

void endMessage(std::string& out, std::size_t start)
{
    const std::size_t length = out.size() - start - 1;
    if (length < 0x80) {
        out[start] = char(length);
        return;
    }
    std::string prefix;
    ByteWriter(prefix).varint(length);
    out.replace(start, 1, prefix);
}

bool checkFlow(MessageType type, Direction d, DecodeError* error)
{
    const MessageInfo* info = messageInfo(std::uint8_t(type));
    if (info
        && (info->flow == Flow::Both || (info->flow == Flow::ClientToServer) == (d == Direction::ToServer)))
        return true;
    if (error) {
        error->code = ErrorCode::UnexpectedMessage;
        error->message = std::string(messageTypeName(type))
            + (d == Direction::ToServer ? " travels only from the server" : " travels only from clients");
    }
    return false;
}

void finishRead(ByteReader& r, bool extensible, const DecodeContext& c, DecodeError* error)
{
    if (r.ok() && !extensible && !c.restTaken && !r.atEnd())
        r.fail(std::to_string(r.remaining()) + " bytes after the end of the message");
    if (!r.ok() && error) {
        error->code = c.code;
        error->message = r.error();
    }
}

} // namespace detail

void appendMessage(std::string& out, const Message& m, Direction d)
{
    std::visit([&](const auto& msg) { appendMessage(out, msg, d); }, m);
}

MessageType messageType(const Message& m)
{
    return std::visit([](const auto& msg) { return msg.type(); }, m);
}

namespace {

template<typename M>
std::optional<Message> decodeAs(std::string_view body, Direction d, DecodeError* error, const Limits& limits,
                                M prototype = {})
{
    if (!decodeBody(body, d, prototype, error, limits))
        return std::nullopt;
    return Message(std::move(prototype));
}

} // namespace

std::optional<Message> decodeMessage(std::uint8_t type, std::string_view body, Direction d, DecodeError* error,
                                     const Limits& limits)
{
    std::optional<Message> m;
    switch (MessageType(type)) {
    case MessageType::Hello: return decodeAs<Hello>(body, d, error, limits);
    case MessageType::Challenge: return decodeAs<Challenge>(body, d, error, limits);
    case MessageType::Proof: return decodeAs<Proof>(body, d, error, limits);
    case MessageType::Welcome: return decodeAs<Welcome>(body, d, error, limits);
    case MessageType::Error: return decodeAs<Error>(body, d, error, limits);
    case MessageType::Ping: return decodeAs<Ping>(body, d, error, limits);
    case MessageType::Pong: return decodeAs<Pong>(body, d, error, limits);
    case MessageType::SnapshotChunk: return decodeAs<SnapshotChunk>(body, d, error, limits);
    case MessageType::TransactionChunk: return decodeAs<TransactionChunk>(body, d, error, limits);
    case MessageType::Ack: return decodeAs<Ack>(body, d, error, limits);
    case MessageType::Committed: return decodeAs<Committed>(body, d, error, limits);
    case MessageType::VersionVector: return decodeAs<VersionVectorExchange>(body, d, error, limits);
    case MessageType::UserJoined: return decodeAs<UserJoined>(body, d, error, limits);
    case MessageType::UserLeft: return decodeAs<UserLeft>(body, d, error, limits);
    case MessageType::PresenceStatus: return decodeAs<PresenceStatus>(body, d, error, limits);
    case MessageType::PositionsBatch: return decodeAs<PositionsBatch>(body, d, error, limits);
    case MessageType::SetRole: return decodeAs<SetRole>(body, d, error, limits);
    case MessageType::RemoveUser: return decodeAs<RemoveUser>(body, d, error, limits);
    case MessageType::SetAccessKey: return decodeAs<SetAccessKey>(body, d, error, limits);
    case MessageType::SaveVersion: return decodeAs<SaveVersion>(body, d, error, limits);
    case MessageType::ListVersions: return decodeAs<ListVersions>(body, d, error, limits);
    case MessageType::VersionList: return decodeAs<VersionList>(body, d, error, limits);
    case MessageType::FetchVersion: return decodeAs<FetchVersion>(body, d, error, limits);
    case MessageType::SyncUpdate: return decodeAs<SyncUpdate>(body, d, error, limits);
    case MessageType::AnnotationUpdate: {
        SyncUpdate u;
        u.annotations = true;
        return decodeAs<SyncUpdate>(body, d, error, limits, std::move(u));
    }
    case MessageType::SelectionUpdate: return decodeAs<SelectionUpdate>(body, d, error, limits);
    case MessageType::UserPosition: return decodeAs<UserPosition>(body, d, error, limits);
    case MessageType::VrPresence: return decodeAs<VrPresence>(body, d, error, limits);
    case MessageType::NodeMove: return decodeAs<NodeMove>(body, d, error, limits);
    }
    if (error) {
        error->code = ErrorCode::UnknownType;
        error->message = "unknown message type " + hexByte(type);
    }
    return m;
}

void appendRelayed(std::string& out, MessageType type, PeerIndex origin, std::string_view clientBody)
{
    const std::size_t start = detail::beginMessage(out, type);
    ByteWriter(out).varint(origin);
    out.append(clientBody);
    detail::endMessage(out, start);
}

// ---- the handshake -------------------------------------------------------------------

HelloOutcome acceptHello(std::string_view body, VersionRange server, const Limits& limits)
{
    HelloOutcome out;
    const std::uint8_t about = std::uint8_t(MessageType::Hello);
    // The version range comes first in every version of HELLO: read it alone, so that a
    // client of any version gets the version error rather than a parse error.
    ByteReader r(body);
    VersionRange client;
    client.min = r.varint32();
    client.max = r.varint32();
    if (!r.ok() || client.min == 0 || client.min > client.max) {
        out.error = Error(ErrorCode::Malformed, "HELLO does not begin with a valid protocol version range", about, true);
        return out;
    }
    const std::optional<std::uint32_t> version = negotiateVersion(client, server);
    if (!version) {
        out.error = Error(ErrorCode::VersionMismatch, versionMismatchMessage(client, server), about, true);
        return out;
    }
    // Version 1 is the only layout so far; later versions switch on *version here.
    Hello hello;
    DecodeError error;
    if (!decodeBody(body, Direction::ToServer, hello, &error, limits)) {
        out.error = Error(error.code, "HELLO: " + error.message, about, true);
        return out;
    }
    out.hello = std::move(hello);
    out.version = *version;
    return out;
}

std::string accessAuthMessage(std::string_view room, UserId user, ReplicaId replica, std::string_view serverNonce,
                              std::string_view clientNonce)
{
    std::string out = "constellate-access-v1";
    ByteWriter w(out);
    w.bytes(room);
    w.u64(user);
    w.u32(replica);
    w.bytes(serverNonce);
    w.bytes(clientNonce);
    return out;
}

// ---- framing ---------------------------------------------------------------------------

Error FrameItem::error() const
{
    switch (status) {
    case Status::Ok: break;
    case Status::UnknownType:
        return Error(ErrorCode::UnknownType, "unknown message type " + hexByte(type), type);
    case Status::Oversize:
        return Error(ErrorCode::Oversize, "message of " + std::to_string(length) + " bytes exceeds the limit");
    case Status::Empty: return Error(ErrorCode::Malformed, "message of length 0 (no type byte)");
    case Status::Truncated:
        return Error(ErrorCode::Malformed,
                     "frame ends inside a message (at byte " + std::to_string(offset) + ", declaring "
                         + std::to_string(length) + " bytes)");
    case Status::BadLength:
        return Error(ErrorCode::Malformed, "message length at byte " + std::to_string(offset) + " is no valid varint");
    }
    return Error(ErrorCode::Internal, "no error");
}

bool FrameReader::next(FrameItem& item)
{
    if (m_pos >= m_frame.size())
        return false;
    item = {};
    item.offset = m_pos;
    ByteReader r(m_frame.substr(m_pos));
    const std::uint64_t length = r.varint();
    if (!r.ok()) {
        // A varint is at most 10 bytes: one that the frame cuts short is truncation.
        const std::size_t rest = m_frame.size() - m_pos;
        bool terminated = false;
        for (std::size_t i = 0; i < std::min<std::size_t>(rest, 10); ++i)
            terminated = terminated || !(std::uint8_t(m_frame[m_pos + i]) & 0x80);
        item.status = !terminated && rest < 10 ? FrameItem::Status::Truncated : FrameItem::Status::BadLength;
        m_pos = m_frame.size();
        return true;
    }
    const std::size_t bodyStart = m_pos + r.offset();
    const std::size_t available = m_frame.size() - bodyStart;
    item.length = length;
    if (length == 0) {
        item.status = FrameItem::Status::Empty;
        m_pos = bodyStart;
        return true;
    }
    if (length > m_max) {
        item.status = FrameItem::Status::Oversize;
        m_pos = length <= available ? bodyStart + std::size_t(length) : m_frame.size();
        return true;
    }
    if (length > available) {
        item.status = FrameItem::Status::Truncated;
        m_pos = m_frame.size();
        return true;
    }
    item.type = std::uint8_t(m_frame[bodyStart]);
    item.body = m_frame.substr(bodyStart + 1, std::size_t(length) - 1);
    item.status = messageInfo(item.type) ? FrameItem::Status::Ok : FrameItem::Status::UnknownType;
    m_pos = bodyStart + std::size_t(length);
    return true;
}

// ---- chunking --------------------------------------------------------------------------

namespace {
// Type byte, up to five varints of at most 10 bytes, a compression and a flags byte.
constexpr std::size_t ChunkOverhead = 64;
} // namespace

std::size_t chunkDataBytes(std::size_t maxMessageBytes)
{
    return maxMessageBytes > ChunkOverhead ? maxMessageBytes - ChunkOverhead : 1;
}

std::vector<std::string> encodeTransaction(const SyncUpdate& update, Direction d, std::size_t maxMessageBytes)
{
    std::vector<std::string> out;
    out.push_back(encodeMessage(update, d));
    ByteReader lengthReader(out.back());
    if (lengthReader.varint() <= maxMessageBytes)
        return out;
    out.clear();
    const std::string& bytes = update.transaction.bytes();
    const std::size_t step = chunkDataBytes(maxMessageBytes);
    for (std::size_t offset = 0; offset < bytes.size(); offset += step) {
        TransactionChunk chunk;
        chunk.origin = update.origin;
        chunk.seq = update.seq;
        chunk.total = bytes.size();
        chunk.offset = offset;
        chunk.data = bytes.substr(offset, step);
        chunk.last = offset + chunk.data.size() == bytes.size();
        out.push_back(encodeMessage(chunk, d));
    }
    return out;
}

std::vector<std::string> encodeSnapshot(std::string_view compressed, VersionId version, RoomSequence seq,
                                        Compression compression, std::size_t maxMessageBytes)
{
    std::vector<std::string> out;
    const std::size_t step = chunkDataBytes(maxMessageBytes);
    std::size_t offset = 0;
    do {
        SnapshotChunk chunk;
        chunk.version = version;
        chunk.seq = seq;
        chunk.compression = compression;
        chunk.total = compressed.size();
        chunk.offset = offset;
        chunk.data = std::string(compressed.substr(offset, step));
        offset += chunk.data.size();
        chunk.last = offset == compressed.size();
        out.push_back(encodeMessage(chunk, Direction::ToClient));
    } while (offset < compressed.size());
    return out;
}

ChunkAssembler::Status ChunkAssembler::add(const TransactionChunk& chunk, std::string* error)
{
    return addData(chunk.total, chunk.offset, chunk.last, chunk.data, {chunk.origin, chunk.seq, 0}, error);
}

ChunkAssembler::Status ChunkAssembler::add(const SnapshotChunk& chunk, std::string* error)
{
    return addData(chunk.total, chunk.offset, chunk.last, chunk.data,
                   {chunk.version, chunk.seq, std::uint64_t(chunk.compression)}, error);
}

ChunkAssembler::Status ChunkAssembler::addData(std::uint64_t total, std::uint64_t offset, bool last,
                                               std::string_view data, const std::array<std::uint64_t, 3>& identity,
                                               std::string* error)
{
    auto failed = [&](std::string why) {
        reset();
        if (error)
            *error = std::move(why);
        return Status::Error;
    };
    if (!m_inProgress) {
        if (offset != 0)
            return failed("a chunk at offset " + std::to_string(offset) + " without the chunks before it");
        if (total > m_max)
            return failed("chunked whole of " + std::to_string(total) + " bytes exceeds the limit of "
                          + std::to_string(m_max));
        m_inProgress = true;
        m_total = total;
        m_identity = identity;
    } else if (total != m_total || identity != m_identity) {
        return failed("a chunk of another whole arrived before the last one of the current");
    } else if (offset != m_data.size()) {
        return failed("chunk at offset " + std::to_string(offset) + " where " + std::to_string(m_data.size())
                      + " was due");
    }
    if (data.size() > m_total - m_data.size())
        return failed("chunk runs past the declared total");
    m_data.append(data);
    const bool complete = m_data.size() == m_total;
    if (complete != last)
        return failed(last ? "last chunk ends before the total" : "chunks reach the total without a last one");
    return complete ? Status::Complete : Status::Incomplete;
}

std::string ChunkAssembler::take()
{
    std::string out = std::move(m_data);
    reset();
    return out;
}

void ChunkAssembler::reset()
{
    m_inProgress = false;
    m_total = 0;
    m_identity = {};
    m_data.clear();
    m_data.shrink_to_fit();
}

std::string compressSnapshot(std::string_view snapshot, int threads)
{
    return parallelZlibCompress(snapshot, threads);
}

std::optional<std::string> uncompressSnapshot(std::string_view data, Compression compression, std::size_t maxBytes,
                                              std::string* error)
{
    auto failed = [&](std::string why) -> std::optional<std::string> {
        if (error)
            *error = std::move(why);
        return std::nullopt;
    };
    if (compression == Compression::None) {
        if (data.size() > maxBytes)
            return failed("snapshot exceeds the limit");
        return std::string(data);
    }
    if (compression != Compression::Zlib)
        return failed("unknown compression");
    if (data.size() < 4)
        return failed("compressed snapshot too short");
    const std::uint64_t size = (std::uint64_t(std::uint8_t(data[0])) << 24) | (std::uint64_t(std::uint8_t(data[1])) << 16)
        | (std::uint64_t(std::uint8_t(data[2])) << 8) | std::uint64_t(std::uint8_t(data[3]));
    if (size > maxBytes)
        return failed("snapshot of " + std::to_string(size) + " bytes exceeds the limit of " + std::to_string(maxBytes));
    if (size == 0)
        return std::string();
    const QByteArray out = qUncompress(reinterpret_cast<const uchar*>(data.data()), qsizetype(data.size()));
    if (std::uint64_t(out.size()) != size)
        return failed("compressed snapshot is corrupt");
    return std::string(out.constData(), std::size_t(out.size()));
}

} // namespace constellate::net::protocol
