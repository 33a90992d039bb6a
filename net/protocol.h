#pragma once

// The sync protocol, version 1: framing, the message-type table, every message's layout,
// version negotiation and chunking. Pure C++ over bytes (no sockets): the server and the
// client both use it. docs/protocol.md is the specification; a test keeps its message
// table and this file's in step.

#include "bytecodec.h"
#include "presence.h"
#include "transaction.h"
#include "types.h"
#include "versionvector.h"

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace constellate::net {

/// The room's total order of transactions: 1, 2, 3 ... (0: none). Never reused. (The same
/// alias as in roomstore.h.)
using RoomSequence = std::uint64_t;

} // namespace constellate::net

namespace constellate::net::protocol {

/// The index the server gives a connection in its room: 1, 2, 3 ... (0: none). Relayed
/// messages name their origin by it; it may be reused after that peer's USER_LEFT.
using PeerIndex = std::uint32_t;
/// Names one incarnation of a room's store: random, never 0. A new epoch means the
/// store was created or replaced; sequence numbers of another epoch mean nothing.
using Epoch = std::uint64_t;
/// A named version kept by the server (1, 2, 3 ...; 0: the room's current state).
using VersionId = std::uint64_t;

// ---- versions -------------------------------------------------------------------------

constexpr std::uint32_t ProtocolVersion = 1;    ///< the newest version this code speaks
constexpr std::uint32_t MinProtocolVersion = 1; ///< the oldest

struct VersionRange {
    std::uint32_t min = MinProtocolVersion;
    std::uint32_t max = ProtocolVersion;
    friend constexpr bool operator==(const VersionRange&, const VersionRange&) = default;
};
constexpr VersionRange SupportedVersions {MinProtocolVersion, ProtocolVersion};

/// The highest version both ranges hold; nullopt when they share none.
std::optional<std::uint32_t> negotiateVersion(VersionRange client, VersionRange server = SupportedVersions);
/// "protocol version mismatch: the client speaks versions 2 to 3, this server 1 to 1"
std::string versionMismatchMessage(VersionRange client, VersionRange server = SupportedVersions);

// ---- limits ----------------------------------------------------------------------------

constexpr std::size_t DefaultMaxMessageBytes = 1024 * 1024; ///< type byte + body
constexpr std::size_t DefaultMaxAssembledBytes = 256 * 1024 * 1024; ///< a chunked transaction or snapshot
constexpr std::size_t MaxRoomNameBytes = 128;
constexpr std::size_t MaxNameBytes = 64;           ///< display names, version names
constexpr std::size_t MaxErrorMessageBytes = 1024;
constexpr std::size_t MinSecretBytes = 16;         ///< salts, nonces, owner tokens
constexpr std::size_t MaxSecretBytes = 64;
constexpr std::size_t KeyBytes = 32;               ///< SHA-256: proofs, stored and server keys
constexpr std::uint32_t MinKeyIterations = 4096;
constexpr std::uint32_t MaxKeyIterations = 1'000'000;
constexpr PeerIndex MaxPeerIndex = 65535;

/// What a receiver accepts. The defaults are the protocol's; a server may lower them.
struct Limits {
    std::size_t maxMessageBytes = DefaultMaxMessageBytes;
    std::size_t maxAssembledBytes = DefaultMaxAssembledBytes;
    constellate::TransactionLimits transaction;
};

/// 1 to 128 of [A-Za-z0-9._-], and not "." or ".." (names a file on the server).
bool isValidRoomName(std::string_view name);
/// Display and version names: valid UTF-8, at most 64 bytes, no control characters
/// (names appear in log lines and on screens).
bool isValidName(std::string_view name);

// ---- the message-type table (append only: never renumber) --------------------------

enum class MessageType : std::uint8_t {
    Hello = 0x01,
    Challenge = 0x02,
    Proof = 0x03,
    Welcome = 0x04,
    Error = 0x05,
    Ping = 0x06,
    Pong = 0x07,
    SnapshotChunk = 0x08,
    TransactionChunk = 0x09,
    Ack = 0x0a,
    Committed = 0x0b,
    VersionVector = 0x0c,
    UserJoined = 0x0d,
    UserLeft = 0x0e,
    PresenceStatus = 0x0f,
    PositionsBatch = 0x10,
    SetRole = 0x11,
    RemoveUser = 0x12,
    SetAccessKey = 0x13,
    SaveVersion = 0x14,
    ListVersions = 0x15,
    VersionList = 0x16,
    FetchVersion = 0x17,
    // The original design's core types keep their codes.
    SyncUpdate = 0x50,
    AnnotationUpdate = 0x51,
    SelectionUpdate = 0x52,
    UserPosition = 0x53,
    VrPresence = 0x54,
    NodeMove = 0x55,
};

/// Who sends a message type.
enum class Flow : std::uint8_t { ClientToServer, ServerToClient, Both };
/// Which way one message travels (some layouts differ: relayed messages gain the origin).
enum class Direction : std::uint8_t { ToServer, ToClient };

struct MessageInfo {
    MessageType type;
    const char* name; ///< as in docs/protocol.md: "SYNC_UPDATE"
    Flow flow;
    bool relayed;     ///< the server passes it on to the room's other clients with the origin's peer index
};
/// Every message type, in code order.
std::span<const MessageInfo> messageTable();
/// Nullptr for an unknown type byte.
const MessageInfo* messageInfo(std::uint8_t type);
const char* messageTypeName(MessageType type);

// ---- error codes (append only) ---------------------------------------------------------

enum class ErrorCode : std::uint16_t {
    VersionMismatch = 1,
    Malformed = 2,
    Oversize = 3,
    UnknownType = 4,
    RoomNotFound = 5,
    RoomExists = 6,
    BadRoomName = 7,
    AccessDenied = 8,
    RoleRefused = 9,
    ReplicaTaken = 10,
    RoomFull = 11,
    RateLimited = 12,
    TimestampTooFarAhead = 13,
    ServerFull = 14,
    Internal = 15,
    ShuttingDown = 16,
    SlowConsumer = 17,
    Removed = 18,
    VersionNotFound = 19,
    UnexpectedMessage = 20,
    StorageFull = 21,
};
struct ErrorInfo {
    ErrorCode code;
    const char* name; ///< as in docs/protocol.md: "VERSION_MISMATCH"
};
std::span<const ErrorInfo> errorTable();
/// Nullptr for an unknown code (a newer peer's): show the message, treat as fatal.
const ErrorInfo* errorInfo(std::uint64_t code);

// ---- enums used in messages ------------------------------------------------------------

/// The same numbers as RoomRole in roomstore.h.
enum class Role : std::uint8_t { Viewer = 1, Editor = 2, Owner = 3 };
/// What follows a WELCOME.
enum class SyncMode : std::uint8_t {
    UpToDate = 0,       ///< nothing: a new room, or a resume with nothing missed
    Snapshot = 1,       ///< SNAPSHOT_CHUNKs (version 0), then the transactions after it
    Deltas = 2,         ///< the transactions after the client's committed sequence
    VersionVectors = 3, ///< another epoch: both send VERSION_VECTOR, then what the other lacks
};
enum class PresenceState : std::uint8_t { Online = 0, Away = 1, Editing = 2 };
enum class LeaveReason : std::uint8_t { Left = 0, TimedOut = 1, Removed = 2, Dropped = 3 };
enum class Compression : std::uint8_t { None = 0, Zlib = 1 };

/// A decoding failure: the ERROR code to answer with, and why.
struct DecodeError {
    ErrorCode code = ErrorCode::Malformed;
    std::string message;
};

/// Passed to every message's reader.
struct DecodeContext {
    Direction direction;
    const Limits& limits;
    std::string_view body;                 ///< the whole body (for readers that take "the rest")
    ErrorCode code = ErrorCode::Malformed; ///< set by a reader that fails for a more specific reason
    bool restTaken = false;                ///< a reader took the rest of the body
};

// ---- messages --------------------------------------------------------------------------
// Each has type(), write() (appends the body) and read() (the body, every field checked). Fields
// marked "to clients" exist only in that direction. Encoders write what they are given:
// the receiver's decoder is where values are checked.

/// Resume information: what a reconnecting client holds.
struct Resume {
    Epoch epoch = 0;            ///< the epoch it last saw
    RoomSequence committed = 0; ///< the highest committed sequence number it holds
    friend bool operator==(const Resume&, const Resume&) = default;
};

/// Client → server, first message. Its first two fields are the version range in every
/// version; fields added by later versions come at its end (a reader ignores the rest).
struct Hello {
    static constexpr MessageType Type = MessageType::Hello;
    static constexpr bool Extensible = true;
    VersionRange versions;
    std::string room;
    UserId user = 0;
    ReplicaId replica = 0;
    std::string name;
    Rgba color = 0;
    Role role = Role::Editor; ///< requested (owner needs the owner token or createRoom)
    bool createRoom = false;
    bool canAnswerChallenge = false; ///< it knows an access key for the room
    bool hasDocument = false;        ///< it holds a replica of the room: sync by version vector on a new epoch
    bool inVr = false;
    std::optional<Resume> resume;
    std::string ownerToken; ///< empty: none
    MessageType type() const { return Type; }
    void write(std::string& out, Direction d) const;
    void read(constellate::ByteReader& r, DecodeContext& c);
    friend bool operator==(const Hello&, const Hello&) = default;
};

/// Server → client when the room has an access key (SCRAM-SHA-256; net/scram.h).
struct Challenge {
    static constexpr MessageType Type = MessageType::Challenge;
    static constexpr bool Extensible = false;
    std::string salt;
    std::uint32_t iterations = MinKeyIterations;
    std::string serverNonce;
    MessageType type() const { return Type; }
    void write(std::string& out, Direction d) const;
    void read(constellate::ByteReader& r, DecodeContext& c);
    friend bool operator==(const Challenge&, const Challenge&) = default;
};

struct Proof {
    static constexpr MessageType Type = MessageType::Proof;
    static constexpr bool Extensible = false;
    std::string clientNonce;
    std::string clientProof; ///< KeyBytes bytes
    MessageType type() const { return Type; }
    void write(std::string& out, Direction d) const;
    void read(constellate::ByteReader& r, DecodeContext& c);
    friend bool operator==(const Proof&, const Proof&) = default;
};

/// What both ends of a link know about one replica's transactions, to encode NODE_MOVE
/// against (net/nodemove.h has the rule that updates it).
struct ReplicaStream {
    ReplicaId replica = 0;
    UserId user = 0;
    bool hasLast = false;           ///< a transaction of it has been seen on this link
    RoomSequence lastSeq = 0;       ///< to clients: the sequence number of that transaction
    std::uint32_t lastCounter = 0;  ///< its last operation's counter
    Hlc lastHlc;                    ///< its timestamp
    EntityId lastTarget;            ///< the node its last single-move transaction moved (null: none)
    friend bool operator==(const ReplicaStream&, const ReplicaStream&) = default;
};
struct StreamEntry {
    PeerIndex peer = 0;
    ReplicaStream stream;
    friend bool operator==(const StreamEntry&, const StreamEntry&) = default;
};

/// Server → client: the handshake succeeded.
struct Welcome {
    static constexpr MessageType Type = MessageType::Welcome;
    static constexpr bool Extensible = false;
    std::uint32_t version = ProtocolVersion; ///< negotiated
    Epoch epoch = 0;
    Role role = Role::Editor;
    PeerIndex peer = 0;          ///< the client's own peer index
    RoomSequence committed = 0;  ///< the room's committed sequence number
    SyncMode sync = SyncMode::UpToDate;
    std::uint64_t serverTimeMs = 0; ///< for clock-skew warnings
    std::string ownerToken;      ///< only when the room was just created
    std::string serverSignature; ///< after an access-key proof: proves the server knows the verifier
    std::vector<StreamEntry> streams; ///< the room's stream state for the peers present
    MessageType type() const { return Type; }
    void write(std::string& out, Direction d) const;
    void read(constellate::ByteReader& r, DecodeContext& c);
    friend bool operator==(const Welcome&, const Welcome&) = default;
};

/// Either way. Its layout is the same in every version (it can answer a HELLO of any);
/// later versions may only append fields.
struct Error {
    static constexpr MessageType Type = MessageType::Error;
    static constexpr bool Extensible = true;
    std::uint16_t code = std::uint16_t(ErrorCode::Malformed); ///< an ErrorCode, or a newer peer's
    bool fatal = false;        ///< the sender closes the connection after it
    std::uint8_t about = 0;    ///< the type of the message it answers (0: none)
    OpId transaction;          ///< the refused transaction (replica, first counter), if any
    std::string message;       ///< for people: UTF-8, at most MaxErrorMessageBytes
    Error() = default;
    Error(ErrorCode c, std::string text, std::uint8_t aboutType = 0, bool isFatal = false)
        : code(std::uint16_t(c)), fatal(isFatal), about(aboutType), message(std::move(text))
    {
    }
    ErrorCode errorCode() const { return ErrorCode(code); }
    MessageType type() const { return Type; }
    void write(std::string& out, Direction d) const;
    void read(constellate::ByteReader& r, DecodeContext& c);
    friend bool operator==(const Error&, const Error&) = default;
};

struct Ping {
    static constexpr MessageType Type = MessageType::Ping;
    static constexpr bool Extensible = false;
    std::uint64_t value = 0; ///< echoed by PONG (a nonce or the sender's clock)
    MessageType type() const { return Type; }
    void write(std::string& out, Direction d) const;
    void read(constellate::ByteReader& r, DecodeContext& c);
    friend bool operator==(const Ping&, const Ping&) = default;
};

struct Pong {
    static constexpr MessageType Type = MessageType::Pong;
    static constexpr bool Extensible = false;
    std::uint64_t value = 0;
    MessageType type() const { return Type; }
    void write(std::string& out, Direction d) const;
    void read(constellate::ByteReader& r, DecodeContext& c);
    friend bool operator==(const Pong&, const Pong&) = default;
};

/// Server → client: part of a snapshot (GraphDocument::encodeSnapshot, compressed).
struct SnapshotChunk {
    static constexpr MessageType Type = MessageType::SnapshotChunk;
    static constexpr bool Extensible = false;
    VersionId version = 0;       ///< 0: the room's current state; else a named version
    RoomSequence seq = 0;        ///< the sequence number it reflects
    Compression compression = Compression::Zlib;
    std::uint64_t total = 0;     ///< bytes of the whole (compressed) snapshot
    std::uint64_t offset = 0;    ///< where this chunk's data starts
    bool last = false;
    std::string data;
    MessageType type() const { return Type; }
    void write(std::string& out, Direction d) const;
    void read(constellate::ByteReader& r, DecodeContext& c);
    friend bool operator==(const SnapshotChunk&, const SnapshotChunk&) = default;
};

/// Either way: part of a transaction too large for one message, applied all or nothing
/// when the last chunk arrives.
struct TransactionChunk {
    static constexpr MessageType Type = MessageType::TransactionChunk;
    static constexpr bool Extensible = false;
    PeerIndex origin = 0;     ///< to clients (0: not in the room)
    RoomSequence seq = 0;     ///< to clients
    std::uint64_t total = 0;
    std::uint64_t offset = 0;
    bool last = false;
    std::string data;
    MessageType type() const { return Type; }
    void write(std::string& out, Direction d) const;
    void read(constellate::ByteReader& r, DecodeContext& c);
    friend bool operator==(const TransactionChunk&, const TransactionChunk&) = default;
};

/// Server → the sender, after its transaction is durably committed.
struct Ack {
    static constexpr MessageType Type = MessageType::Ack;
    static constexpr bool Extensible = false;
    ReplicaId replica = 0;
    std::uint32_t counter = 0; ///< every operation of `replica` up to this one sent on this link is committed
    RoomSequence seq = 0;      ///< the sequence number that transaction was given
    MessageType type() const { return Type; }
    void write(std::string& out, Direction d) const;
    void read(constellate::ByteReader& r, DecodeContext& c);
    friend bool operator==(const Ack&, const Ack&) = default;
};

struct Committed {
    static constexpr MessageType Type = MessageType::Committed;
    static constexpr bool Extensible = false;
    RoomSequence seq = 0;
    MessageType type() const { return Type; }
    void write(std::string& out, Direction d) const;
    void read(constellate::ByteReader& r, DecodeContext& c);
    friend bool operator==(const Committed&, const Committed&) = default;
};

/// Either way, after WELCOME with SyncMode::VersionVectors: what the sender holds.
struct VersionVectorExchange {
    static constexpr MessageType Type = MessageType::VersionVector;
    static constexpr bool Extensible = false;
    constellate::VersionVector vector;
    MessageType type() const { return Type; }
    void write(std::string& out, Direction d) const;
    void read(constellate::ByteReader& r, DecodeContext& c);
    friend bool operator==(const VersionVectorExchange&, const VersionVectorExchange&) = default;
};

struct UserJoined {
    static constexpr MessageType Type = MessageType::UserJoined;
    static constexpr bool Extensible = false;
    PeerIndex peer = 0;
    UserId user = 0;
    ReplicaId replica = 0;
    std::string name;
    Rgba color = 0;
    Role role = Role::Editor;
    bool inVr = false;
    MessageType type() const { return Type; }
    void write(std::string& out, Direction d) const;
    void read(constellate::ByteReader& r, DecodeContext& c);
    friend bool operator==(const UserJoined&, const UserJoined&) = default;
};

struct UserLeft {
    static constexpr MessageType Type = MessageType::UserLeft;
    static constexpr bool Extensible = false;
    PeerIndex peer = 0;
    LeaveReason reason = LeaveReason::Left;
    MessageType type() const { return Type; }
    void write(std::string& out, Direction d) const;
    void read(constellate::ByteReader& r, DecodeContext& c);
    friend bool operator==(const UserLeft&, const UserLeft&) = default;
};

/// What a user is looking at: the camera and the point it orbits, in graph space.
struct View {
    Vec3 eye;
    Vec3 target;
    friend bool operator==(const View&, const View&) = default;
};
/// Where a VR user's room sits in the graph: graph = translation + rotation * (scale * room).
struct Placement {
    float scale = 1;
    Vec3 translation;
    Quat rotation;
    friend bool operator==(const Placement&, const Placement&) = default;
};

/// Relayed: a user's state and view. Sent on change (and the view at most a few times a second).
struct PresenceStatus {
    static constexpr MessageType Type = MessageType::PresenceStatus;
    static constexpr bool Extensible = false;
    PeerIndex origin = 0; ///< to clients
    PresenceState state = PresenceState::Online;
    bool inVr = false;
    std::optional<View> view;
    std::optional<Placement> placement; ///< VR users: maps their VR_PRESENCE into the graph
    MessageType type() const { return Type; }
    void write(std::string& out, Direction d) const;
    void read(constellate::ByteReader& r, DecodeContext& c);
    friend bool operator==(const PresenceStatus&, const PresenceStatus&) = default;
};

/// Relayed, never stored: nodes' positions during a drag or a layout. The encoder sorts
/// by entity id (ids of one replica share their replica; counters travel as deltas).
struct PositionsBatch {
    static constexpr MessageType Type = MessageType::PositionsBatch;
    static constexpr bool Extensible = false;
    struct Entry {
        EntityId node;
        Vec3 position;
        friend bool operator==(const Entry&, const Entry&) = default;
    };
    PeerIndex origin = 0; ///< to clients
    std::vector<Entry> entries; ///< decoded: sorted by id, no duplicates
    MessageType type() const { return Type; }
    void write(std::string& out, Direction d) const;
    void read(constellate::ByteReader& r, DecodeContext& c);
    friend bool operator==(const PositionsBatch&, const PositionsBatch&) = default;
};

/// Either way: an owner's request, and the server's announcement to everyone.
struct SetRole {
    static constexpr MessageType Type = MessageType::SetRole;
    static constexpr bool Extensible = false;
    UserId user = 0;
    Role role = Role::Viewer;
    MessageType type() const { return Type; }
    void write(std::string& out, Direction d) const;
    void read(constellate::ByteReader& r, DecodeContext& c);
    friend bool operator==(const SetRole&, const SetRole&) = default;
};

struct RemoveUser {
    static constexpr MessageType Type = MessageType::RemoveUser;
    static constexpr bool Extensible = false;
    UserId user = 0;
    MessageType type() const { return Type; }
    void write(std::string& out, Direction d) const;
    void read(constellate::ByteReader& r, DecodeContext& c);
    friend bool operator==(const RemoveUser&, const RemoveUser&) = default;
};

/// Owner → server: set (or, with no salt, remove) the room's access key. Carries the
/// verifier only (net/scram.h's Verifier): the key itself never leaves the owner's machine.
struct SetAccessKey {
    static constexpr MessageType Type = MessageType::SetAccessKey;
    static constexpr bool Extensible = false;
    bool remove = false;
    std::string salt;
    std::uint32_t iterations = MinKeyIterations;
    std::string storedKey; ///< KeyBytes bytes
    std::string serverKey; ///< KeyBytes bytes
    MessageType type() const { return Type; }
    void write(std::string& out, Direction d) const;
    void read(constellate::ByteReader& r, DecodeContext& c);
    friend bool operator==(const SetAccessKey&, const SetAccessKey&) = default;
};

struct SaveVersion {
    static constexpr MessageType Type = MessageType::SaveVersion;
    static constexpr bool Extensible = false;
    std::string name;
    MessageType type() const { return Type; }
    void write(std::string& out, Direction d) const;
    void read(constellate::ByteReader& r, DecodeContext& c);
    friend bool operator==(const SaveVersion&, const SaveVersion&) = default;
};

struct ListVersions {
    static constexpr MessageType Type = MessageType::ListVersions;
    static constexpr bool Extensible = false;
    MessageType type() const { return Type; }
    void write(std::string& out, Direction d) const;
    void read(constellate::ByteReader& r, DecodeContext& c);
    friend bool operator==(const ListVersions&, const ListVersions&) = default;
};

struct VersionInfo {
    VersionId id = 0;
    std::string name;
    std::uint64_t createdMs = 0; ///< server time, ms since the Unix epoch
    UserId createdBy = 0;
    RoomSequence seq = 0;        ///< the sequence number it reflects
    friend bool operator==(const VersionInfo&, const VersionInfo&) = default;
};
struct VersionList {
    static constexpr MessageType Type = MessageType::VersionList;
    static constexpr bool Extensible = false;
    std::vector<VersionInfo> versions;
    MessageType type() const { return Type; }
    void write(std::string& out, Direction d) const;
    void read(constellate::ByteReader& r, DecodeContext& c);
    friend bool operator==(const VersionList&, const VersionList&) = default;
};

/// Answered with SNAPSHOT_CHUNKs carrying the version id (or ERROR VERSION_NOT_FOUND).
struct FetchVersion {
    static constexpr MessageType Type = MessageType::FetchVersion;
    static constexpr bool Extensible = false;
    VersionId version = 0;
    MessageType type() const { return Type; }
    void write(std::string& out, Direction d) const;
    void read(constellate::ByteReader& r, DecodeContext& c);
    friend bool operator==(const FetchVersion&, const FetchVersion&) = default;
};

/// SYNC_UPDATE (or ANNOTATION_UPDATE when `annotations`): one transaction's bytes, as
/// they are. To clients it also carries the origin and the room sequence number.
struct SyncUpdate {
    static constexpr bool Extensible = false;
    bool annotations = false; ///< ANNOTATION_UPDATE: the transaction only touches annotations
    PeerIndex origin = 0;     ///< to clients (0: not in the room)
    RoomSequence seq = 0;     ///< to clients
    constellate::Transaction transaction;
    MessageType type() const { return annotations ? MessageType::AnnotationUpdate : MessageType::SyncUpdate; }
    void write(std::string& out, Direction d) const;
    void read(constellate::ByteReader& r, DecodeContext& c);
    friend bool operator==(const SyncUpdate& a, const SyncUpdate& b)
    {
        return a.annotations == b.annotations && a.origin == b.origin && a.seq == b.seq
            && a.transaction.bytes() == b.transaction.bytes();
    }
};

/// Relayed presence: the entities a user has selected (expires 30 s after the last
/// renewal; an empty set clears it). The encoder sorts and removes duplicates.
struct SelectionUpdate {
    static constexpr MessageType Type = MessageType::SelectionUpdate;
    static constexpr bool Extensible = false;
    PeerIndex origin = 0; ///< to clients
    std::vector<EntityId> selected; ///< decoded: sorted, no duplicates
    MessageType type() const { return Type; }
    void write(std::string& out, Direction d) const;
    void read(constellate::ByteReader& r, DecodeContext& c);
    friend bool operator==(const SelectionUpdate&, const SelectionUpdate&) = default;
};

/// Relayed presence: a desktop user's 3D cursor in graph space.
struct UserPosition {
    static constexpr MessageType Type = MessageType::UserPosition;
    static constexpr bool Extensible = false;
    PeerIndex origin = 0; ///< to clients
    Vec3 position;
    MessageType type() const { return Type; }
    void write(std::string& out, Direction d) const;
    void read(constellate::ByteReader& r, DecodeContext& c);
    friend bool operator==(const UserPosition&, const UserPosition&) = default;
};

/// Relayed presence: a VR user's head and hands (net/presence.h packs and unpacks them).
struct VrPresence {
    static constexpr MessageType Type = MessageType::VrPresence;
    static constexpr bool Extensible = false;
    PeerIndex origin = 0; ///< to clients
    PackedVrPose pose;
    MessageType type() const { return Type; }
    void write(std::string& out, Direction d) const;
    void read(constellate::ByteReader& r, DecodeContext& c);
    friend bool operator==(const VrPresence&, const VrPresence&) = default;
};

/// A transaction that moves one node, in a compact form relative to the sender's
/// ReplicaStream (net/nodemove.h converts it to and from the Transaction, byte for byte).
/// These are the wire fields; what they mean needs the stream state.
struct NodeMove {
    static constexpr MessageType Type = MessageType::NodeMove;
    static constexpr bool Extensible = false;
    enum class Target : std::uint8_t {
        LastTarget = 0,        ///< the node the sender's last move moved
        SendersLastOp = 1,     ///< (sender's replica, last counter): the node it just created
        OriginReplica = 2,     ///< (sender's replica, targetCounter)
        LastTargetReplica = 3, ///< (replica of the last target, targetCounter)
        Explicit = 4,          ///< (targetReplica, targetCounter)
    };
    enum class Prev : std::uint8_t {
        None = 0,
        Target = 1,        ///< the target's create operation (the first move after a create)
        SendersLastOp = 2, ///< (sender's replica, last counter): it moved the node last
        Explicit = 3,      ///< (prevReplica, prevCounter)
    };
    /// An explicit replica.
    struct ReplicaRef {
        enum class Kind : std::uint8_t {
            Origin = 0,        ///< the sender's (prev only)
            TargetReplica = 1, ///< the target's (prev only)
            Id = 2,            ///< `value` is the replica id
            Peer = 3,          ///< `value` is the peer index holding that replica (to clients only)
        };
        Kind kind = Kind::Id;
        std::uint32_t value = 0;
        friend bool operator==(const ReplicaRef&, const ReplicaRef&) = default;
    };

    PeerIndex origin = 0;          ///< to clients
    std::uint64_t seqGap = 0;      ///< to clients: seq = lastSeq + 1 + seqGap
    std::int64_t counterGap = 0;   ///< first counter = lastCounter + 1 + counterGap
    std::uint64_t millisDelta = 0; ///< hlc millis = last hlc millis + millisDelta
    std::uint16_t logical = 0;     ///< the hlc's logical part, as it is
    Target target = Target::LastTarget;
    ReplicaRef targetReplica;
    std::uint32_t targetCounter = 0;
    Prev prev = Prev::None;
    ReplicaRef prevReplica;
    std::uint32_t prevCounter = 0;
    Vec3 position;
    MessageType type() const { return Type; }
    void write(std::string& out, Direction d) const;
    void read(constellate::ByteReader& r, DecodeContext& c);
    friend bool operator==(const NodeMove&, const NodeMove&) = default;
};

using Message = std::variant<Hello, Challenge, Proof, Welcome, Error, Ping, Pong, SnapshotChunk, TransactionChunk, Ack,
                             Committed, VersionVectorExchange, UserJoined, UserLeft, PresenceStatus, PositionsBatch,
                             SetRole, RemoveUser, SetAccessKey, SaveVersion, ListVersions, VersionList, FetchVersion,
                             SyncUpdate, SelectionUpdate, UserPosition, VrPresence, NodeMove>;

// ---- encoding and decoding -------------------------------------------------------------

namespace detail {
std::size_t beginMessage(std::string& out, MessageType type);
void endMessage(std::string& out, std::size_t start);
bool checkFlow(MessageType type, Direction d, DecodeError* error);
void finishRead(constellate::ByteReader& r, bool extensible, const DecodeContext& c, DecodeError* error);
} // namespace detail

/// Appends one whole message (length, type, body) to `out`.
template<typename M>
void appendMessage(std::string& out, const M& m, Direction d)
{
    const std::size_t start = detail::beginMessage(out, m.type());
    m.write(out, d);
    detail::endMessage(out, start);
}
void appendMessage(std::string& out, const Message& m, Direction d);

template<typename M>
std::string encodeMessage(const M& m, Direction d)
{
    std::string out;
    appendMessage(out, m, d);
    return out;
}

/// Decodes a message body (what follows the type byte) of M's type. False, with *error
/// set, on any problem; `out` is then unspecified.
template<typename M>
bool decodeBody(std::string_view body, Direction d, M& out, DecodeError* error, const Limits& limits = {})
{
    if (!detail::checkFlow(out.type(), d, error))
        return false;
    constellate::ByteReader r(body);
    DecodeContext c {d, limits, body};
    out.read(r, c);
    detail::finishRead(r, M::Extensible, c, error);
    return r.ok();
}

/// Decodes any message by its type byte.
std::optional<Message> decodeMessage(std::uint8_t type, std::string_view body, Direction d, DecodeError* error,
                                     const Limits& limits = {});

MessageType messageType(const Message& m);

/// A presence message relayed as received: the origin's peer index followed by the body
/// the client sent (valid for the types whose MessageInfo says `relayed`, except the
/// transaction types, whose relays carry a sequence number and re-encode NODE_MOVE).
/// The server decodes the body once to check it, then builds this once for all receivers.
void appendRelayed(std::string& out, MessageType type, PeerIndex origin, std::string_view clientBody);

// ---- the handshake -------------------------------------------------------------------

/// What a server makes of a HELLO body: the negotiated version and the HELLO, or the
/// ERROR to answer with (VERSION_MISMATCH, BAD_ROOM_NAME, MALFORMED).
struct HelloOutcome {
    std::optional<Hello> hello;
    std::uint32_t version = 0;
    Error error;
};
HelloOutcome acceptHello(std::string_view body, VersionRange server = SupportedVersions, const Limits& limits = {});

/// What both sides of an access-key exchange sign (net/scram.h's AuthMessage): binds
/// the proof to this room, user, replica and both nonces. "constellate-access-v1", then
/// room (varint length + bytes), u64 user, u32 replica, server nonce and client nonce
/// (each varint length + bytes).
std::string accessAuthMessage(std::string_view room, UserId user, ReplicaId replica, std::string_view serverNonce,
                              std::string_view clientNonce);

// ---- framing ---------------------------------------------------------------------------

/// One message in a frame, or what went wrong with it.
struct FrameItem {
    enum class Status : std::uint8_t {
        Ok,
        UnknownType, ///< length known: the reader goes on with the next message
        Oversize,    ///< length known: skipped when the frame holds it, else the frame ends
        Empty,       ///< a length of 0 (no type byte): the reader goes on
        Truncated,   ///< the frame ends inside the message: nothing follows
        BadLength,   ///< the length is no valid varint: nothing follows
    };
    Status status = Status::Ok;
    std::uint8_t type = 0;     ///< Ok, UnknownType
    std::string_view body;     ///< Ok, UnknownType: the bytes after the type byte
    std::uint64_t length = 0;  ///< the declared length (type byte + body)
    std::size_t offset = 0;    ///< where the message starts in the frame

    bool ok() const { return status == Status::Ok; }
    /// The ERROR to answer with when not ok().
    Error error() const;
};

/// Splits a frame (one WebSocket binary message) into its messages.
class FrameReader {
public:
    /// The frame must outlive the reader and the items it hands out (they view into it).
    explicit FrameReader(std::string_view frame, std::size_t maxMessageBytes = DefaultMaxMessageBytes)
        : m_frame(frame), m_max(maxMessageBytes)
    {
    }
    explicit FrameReader(std::string&& frame, std::size_t maxMessageBytes = DefaultMaxMessageBytes) = delete;
    /// The next message or error; false when the frame is done.
    bool next(FrameItem& item);

private:
    std::string_view m_frame;
    std::size_t m_max;
    std::size_t m_pos = 0;
};

/// Appends messages to one frame.
class FrameWriter {
public:
    template<typename M>
    void add(const M& m, Direction d)
    {
        appendMessage(m_frame, m, d);
        ++m_count;
    }
    /// A message encoded once elsewhere (a relay shared by many receivers).
    void addEncoded(std::string_view message)
    {
        m_frame.append(message);
        ++m_count;
    }
    const std::string& frame() const { return m_frame; }
    std::size_t size() const { return m_frame.size(); }
    std::size_t messageCount() const { return m_count; }
    bool isEmpty() const { return m_count == 0; }
    std::string take()
    {
        m_count = 0;
        return std::exchange(m_frame, {});
    }

private:
    std::string m_frame;
    std::size_t m_count = 0;
};

// ---- chunking --------------------------------------------------------------------------

/// The data bytes per chunk that keep every chunk message within maxMessageBytes (which
/// must exceed 64: a chunk's header takes up to that).
std::size_t chunkDataBytes(std::size_t maxMessageBytes);

/// A transaction as messages: one SYNC_UPDATE/ANNOTATION_UPDATE when it fits the limit,
/// else TRANSACTION_CHUNKs. Each string is one whole message.
std::vector<std::string> encodeTransaction(const SyncUpdate& update, Direction d,
                                           std::size_t maxMessageBytes = DefaultMaxMessageBytes);
/// A compressed snapshot as SNAPSHOT_CHUNK messages (at least one, even when empty).
std::vector<std::string> encodeSnapshot(std::string_view compressed, VersionId version, RoomSequence seq,
                                        Compression compression, std::size_t maxMessageBytes = DefaultMaxMessageBytes);

/// Collects the chunks of one transaction or snapshot. Chunks must come in order, with
/// the same total (and, for snapshots, version, sequence and compression; for
/// transactions to clients, origin and sequence); anything else is an error and drops
/// what was collected.
class ChunkAssembler {
public:
    enum class Status : std::uint8_t { Incomplete, Complete, Error };
    explicit ChunkAssembler(std::size_t maxTotalBytes = DefaultMaxAssembledBytes) : m_max(maxTotalBytes) {}

    Status add(const TransactionChunk& chunk, std::string* error);
    Status add(const SnapshotChunk& chunk, std::string* error);
    /// After Complete: the whole, and the assembler is empty again.
    std::string take();
    bool inProgress() const { return m_inProgress; }
    std::uint64_t received() const { return m_data.size(); }
    std::uint64_t total() const { return m_total; }
    void reset();

private:
    Status addData(std::uint64_t total, std::uint64_t offset, bool last, std::string_view data,
                   const std::array<std::uint64_t, 3>& identity, std::string* error);
    std::size_t m_max;
    bool m_inProgress = false;
    std::uint64_t m_total = 0;
    std::array<std::uint64_t, 3> m_identity {};
    std::string m_data;
};

/// Snapshot compression (Compression::Zlib): what qCompress writes, a u32 big-endian
/// uncompressed size then a zlib stream. With `threads` > 1 a large snapshot is compressed
/// in pieces on that many threads (parallelzlib.h), the format unchanged; the calling
/// thread waits for them.
std::string compressSnapshot(std::string_view snapshot, int threads = 1);
/// Nullopt with *error set when the data is corrupt or would exceed maxBytes.
std::optional<std::string> uncompressSnapshot(std::string_view data, Compression compression, std::size_t maxBytes,
                                              std::string* error);

} // namespace constellate::net::protocol
