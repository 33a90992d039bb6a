// The protocol codec: every message round trips, every decoder refuses what is wrong
// (truncated, garbage, out of range) with a clear error and never crashes, framing,
// version negotiation, the recorded version-1 handshake, chunking, and the size budgets.

#include "protocol.h"
#include "protocolsamples.h"

#include <gtest/gtest.h>

#include <QFile>

#include <cmath>
#include <limits>
#include <map>
#include <random>
#include <set>

using namespace constellate;
using namespace constellate::net;
using namespace constellate::net::protocol;
using constellate::net::protocol::test::allSamples;
using constellate::net::protocol::test::Sample;

namespace {

std::string bodyOf(const std::string& message)
{
    FrameReader reader(message);
    FrameItem item;
    EXPECT_TRUE(reader.next(item));
    EXPECT_TRUE(item.ok()) << item.error().message;
    EXPECT_FALSE(reader.next(item)) << "one message expected";
    return std::string(item.body);
}

std::string fromHex(const std::string& text)
{
    std::string out;
    int high = -1;
    bool comment = false;
    for (char ch : text) {
        if (ch == '#')
            comment = true;
        if (ch == '\n')
            comment = false;
        if (comment || std::isspace(static_cast<unsigned char>(ch)))
            continue;
        const int v = std::isdigit(static_cast<unsigned char>(ch)) ? ch - '0' : std::tolower(ch) - 'a' + 10;
        if (v < 0 || v > 15)
            throw std::runtime_error("bad hex digit");
        if (high < 0) {
            high = v;
        } else {
            out.push_back(char(high * 16 + v));
            high = -1;
        }
    }
    return out;
}

std::string readFile(const std::string& path)
{
    QFile f(QString::fromStdString(path));
    if (!f.open(QIODevice::ReadOnly))
        return {};
    const QByteArray b = f.readAll();
    return std::string(b.constData(), std::size_t(b.size()));
}

std::size_t encodedSize(const Message& m, Direction d)
{
    std::string out;
    appendMessage(out, m, d);
    return out.size();
}

} // namespace

// ---- the table ---------------------------------------------------------------------------

TEST(Protocol, MessageTableIsAppendOnly)
{
    // Version 1's table, frozen: later versions may add rows, never change these.
    const std::map<int, std::string> v1 = {
        {0x01, "HELLO"},          {0x02, "CHALLENGE"},        {0x03, "PROOF"},          {0x04, "WELCOME"},
        {0x05, "ERROR"},          {0x06, "PING"},             {0x07, "PONG"},           {0x08, "SNAPSHOT_CHUNK"},
        {0x09, "TRANSACTION_CHUNK"}, {0x0a, "ACK"},           {0x0b, "COMMITTED"},      {0x0c, "VERSION_VECTOR"},
        {0x0d, "USER_JOINED"},    {0x0e, "USER_LEFT"},        {0x0f, "PRESENCE_STATUS"}, {0x10, "POSITIONS_BATCH"},
        {0x11, "SET_ROLE"},       {0x12, "REMOVE_USER"},      {0x13, "SET_ACCESS_KEY"}, {0x14, "SAVE_VERSION"},
        {0x15, "LIST_VERSIONS"},  {0x16, "VERSION_LIST"},     {0x17, "FETCH_VERSION"},  {0x50, "SYNC_UPDATE"},
        {0x51, "ANNOTATION_UPDATE"}, {0x52, "SELECTION_UPDATE"}, {0x53, "USER_POSITION"}, {0x54, "VR_PRESENCE"},
        {0x55, "NODE_MOVE"},
    };
    for (const auto& [code, name] : v1) {
        const MessageInfo* info = messageInfo(std::uint8_t(code));
        ASSERT_NE(info, nullptr) << name;
        EXPECT_EQ(info->name, name);
    }
    std::set<int> codes;
    std::set<std::string> names;
    for (const MessageInfo& m : messageTable()) {
        EXPECT_TRUE(codes.insert(int(m.type)).second) << m.name;
        EXPECT_TRUE(names.insert(m.name).second) << m.name;
    }
    EXPECT_EQ(messageInfo(0x00), nullptr);
    EXPECT_EQ(messageInfo(0xff), nullptr);

    std::set<int> errorCodes;
    for (const ErrorInfo& e : errorTable())
        EXPECT_TRUE(errorCodes.insert(int(e.code)).second) << e.name;
    EXPECT_EQ(int(ErrorCode::VersionMismatch), 1);
    EXPECT_EQ(int(ErrorCode::SlowConsumer), 17);
    EXPECT_EQ(errorInfo(0), nullptr);
}

// ---- round trips -------------------------------------------------------------------------

TEST(Protocol, EveryMessageTypeRoundTrips)
{
    std::set<MessageType> seen;
    for (const Sample& s : allSamples()) {
        SCOPED_TRACE(s.label);
        std::string encoded;
        appendMessage(encoded, s.message, s.direction);
        FrameReader reader(encoded);
        FrameItem item;
        ASSERT_TRUE(reader.next(item));
        ASSERT_TRUE(item.ok()) << item.error().message;
        EXPECT_EQ(item.type, std::uint8_t(messageType(s.message)));
        EXPECT_EQ(item.offset, 0u);
        EXPECT_EQ(item.body.size() + 1, item.length);
        DecodeError error;
        const std::optional<Message> decoded = decodeMessage(item.type, item.body, s.direction, &error);
        ASSERT_TRUE(decoded) << error.message;
        EXPECT_TRUE(*decoded == s.message);
        // Encoding is deterministic: the decoded message encodes to the same bytes.
        std::string again;
        appendMessage(again, *decoded, s.direction);
        EXPECT_EQ(again, encoded);
        seen.insert(messageType(s.message));
    }
    for (const MessageInfo& m : messageTable())
        EXPECT_TRUE(seen.count(m.type)) << m.name << " has no sample";
}

TEST(Protocol, DecodedSetsAreSortedAndUnique)
{
    SelectionUpdate sel;
    sel.selected = {{5, 9}, {2, 1}, {5, 3}, {2, 1}};
    SelectionUpdate back;
    ASSERT_TRUE(decodeBody(bodyOf(encodeMessage(sel, Direction::ToServer)), Direction::ToServer, back, nullptr));
    EXPECT_EQ(back.selected, (std::vector<EntityId> {{2, 1}, {5, 3}, {5, 9}}));

    PositionsBatch batch;
    batch.entries = {{{5, 9}, {1, 1, 1}}, {{2, 1}, {2, 2, 2}}, {{5, 9}, {3, 3, 3}}};
    PositionsBatch decoded;
    ASSERT_TRUE(decodeBody(bodyOf(encodeMessage(batch, Direction::ToServer)), Direction::ToServer, decoded, nullptr));
    ASSERT_EQ(decoded.entries.size(), 2u);
    EXPECT_EQ(decoded.entries[0].node, (EntityId {2, 1}));
    EXPECT_EQ(decoded.entries[1].position, (Vec3 {3, 3, 3})) << "the last position given for an id wins";
}

TEST(Protocol, RelayedBodyIsPeerThenClientBody)
{
    UserPosition p;
    p.position = {1, 2, 3};
    const std::string clientBody = bodyOf(encodeMessage(p, Direction::ToServer));
    std::string relayed;
    appendRelayed(relayed, MessageType::UserPosition, 300, clientBody);
    p.origin = 300;
    EXPECT_EQ(relayed, encodeMessage(p, Direction::ToClient));

    VrPresence vr {0, test::sampleVrPose(true, true)};
    std::string vrRelayed;
    appendRelayed(vrRelayed, MessageType::VrPresence, 7, bodyOf(encodeMessage(vr, Direction::ToServer)));
    vr.origin = 7;
    EXPECT_EQ(vrRelayed, encodeMessage(vr, Direction::ToClient));
}

// ---- malformed input -----------------------------------------------------------------

TEST(Protocol, TruncationAtEveryByteIsAnError)
{
    for (const Sample& s : allSamples()) {
        SCOPED_TRACE(s.label);
        const std::string body = bodyOf(encodeMessage(s.message, s.direction));
        const std::uint8_t type = std::uint8_t(messageType(s.message));
        for (std::size_t n = 0; n < body.size(); ++n) {
            DecodeError error;
            const std::optional<Message> m = decodeMessage(type, std::string_view(body).substr(0, n), s.direction, &error);
            EXPECT_FALSE(m) << "a prefix of " << n << " of " << body.size() << " bytes decoded";
            if (!m) {
                EXPECT_FALSE(error.message.empty());
                EXPECT_TRUE(error.code == ErrorCode::Malformed || error.code == ErrorCode::BadRoomName)
                    << error.message;
            }
        }
    }
}

TEST(Protocol, TrailingBytesAreAnErrorExceptInExtensibleMessages)
{
    for (const Sample& s : allSamples()) {
        SCOPED_TRACE(s.label);
        const MessageType type = messageType(s.message);
        if (type == MessageType::SnapshotChunk || type == MessageType::TransactionChunk
            || type == MessageType::SyncUpdate || type == MessageType::AnnotationUpdate)
            continue; // their last field is the rest of the body
        const std::string body = bodyOf(encodeMessage(s.message, s.direction)) + "x";
        DecodeError error;
        const std::optional<Message> m = decodeMessage(std::uint8_t(type), body, s.direction, &error);
        if (type == MessageType::Hello || type == MessageType::Error) {
            ASSERT_TRUE(m) << error.message << ": a later version may append fields";
            EXPECT_TRUE(*m == s.message);
        } else {
            EXPECT_FALSE(m);
            EXPECT_NE(error.message.find("after the end"), std::string::npos) << error.message;
        }
    }
}

TEST(Protocol, GarbageNeverCrashesAndWhatDecodesIsCanonical)
{
    std::mt19937_64 rng(20261122);
    std::vector<std::string> seeds;
    for (const Sample& s : allSamples())
        seeds.push_back(bodyOf(encodeMessage(s.message, s.direction)));
    int decoded = 0;
    for (int round = 0; round < 40000; ++round) {
        const MessageInfo& info = messageTable()[rng() % messageTable().size()];
        const Direction d = rng() % 2 ? Direction::ToServer : Direction::ToClient;
        std::string body;
        if (rng() % 2) {
            body.resize(rng() % 64);
            for (char& ch : body)
                ch = char(rng());
        } else {
            // A valid body of some type with a few bytes flipped: deeper than pure noise.
            body = seeds[rng() % seeds.size()];
            for (int k = 0, n = int(rng() % 4); k <= n && !body.empty(); ++k)
                body[rng() % body.size()] = char(rng());
        }
        DecodeError error;
        const std::optional<Message> m = decodeMessage(std::uint8_t(info.type), body, d, &error);
        if (!m) {
            EXPECT_FALSE(error.message.empty());
            continue;
        }
        ++decoded;
        std::string once;
        appendMessage(once, *m, d);
        const std::optional<Message> again = decodeMessage(std::uint8_t(info.type), bodyOf(once), d, &error);
        ASSERT_TRUE(again) << info.name << ": what decoded must re-encode validly: " << error.message;
        std::string twice;
        appendMessage(twice, *again, d);
        EXPECT_EQ(once, twice) << info.name;
    }
    EXPECT_GT(decoded, 100);
}

namespace {

/// Decodes `body` as type T in direction d and expects failure mentioning `what`.
template<typename T>
void expectRefused(const std::string& body, Direction d, const std::string& what,
                   ErrorCode code = ErrorCode::Malformed, const Limits& limits = {})
{
    T m;
    DecodeError error;
    EXPECT_FALSE(decodeBody(body, d, m, &error, limits)) << "accepted; expected: " << what;
    EXPECT_EQ(error.code, code) << error.message;
    EXPECT_NE(error.message.find(what), std::string::npos) << "'" << error.message << "' lacks '" << what << "'";
}

template<typename T>
std::string body(const T& m, Direction d)
{
    return bodyOf(encodeMessage(m, d));
}

} // namespace

TEST(Protocol, EachDecoderChecksItsFields)
{
    const Direction up = Direction::ToServer, down = Direction::ToClient;
    Hello hello;
    hello.room = "ok";
    hello.user = 1;
    hello.replica = 1;
    {
        Hello h = hello;
        h.room = "bad/name";
        expectRefused<Hello>(body(h, up), up, "room name", ErrorCode::BadRoomName);
        h.room = std::string(129, 'a');
        expectRefused<Hello>(body(h, up), up, "room name", ErrorCode::BadRoomName);
        h.room = "..";
        expectRefused<Hello>(body(h, up), up, "room name", ErrorCode::BadRoomName);
        h = hello;
        h.name = "line\nbreak";
        expectRefused<Hello>(body(h, up), up, "control characters");
        h.name = std::string(65, 'n');
        expectRefused<Hello>(body(h, up), up, "exceeds the limit");
        h.name = "\xc3\x28";
        expectRefused<Hello>(body(h, up), up, "UTF-8");
        h = hello;
        h.user = 0;
        expectRefused<Hello>(body(h, up), up, "user id 0");
        h = hello;
        h.replica = 0;
        expectRefused<Hello>(body(h, up), up, "replica id 0");
        h = hello;
        h.role = Role(9);
        expectRefused<Hello>(body(h, up), up, "unknown role");
        h = hello;
        h.versions = {3, 2};
        expectRefused<Hello>(body(h, up), up, "version range");
        h = hello;
        h.ownerToken = "short";
        expectRefused<Hello>(body(h, up), up, "owner token");
        h = hello;
        h.resume = Resume {0, 5};
        expectRefused<Hello>(body(h, up), up, "epoch 0");
        expectRefused<Hello>(body(hello, up), down, "travels only from clients", ErrorCode::UnexpectedMessage);
    }
    expectRefused<Challenge>(body(Challenge {"salt", 4096, std::string(16, 'n')}, down), down, "salt of 4 bytes");
    expectRefused<Challenge>(body(Challenge {std::string(16, 's'), 10, std::string(16, 'n')}, down), down,
                             "iterations");
    expectRefused<Challenge>(body(Challenge {std::string(16, 's'), 4096, std::string(65, 'n')}, down), down,
                             "exceeds the limit");
    {
        std::string b = body(Proof {std::string(16, 'c'), std::string(32, 'p')}, up);
        b.pop_back();
        expectRefused<Proof>(b, up, "truncated");
    }
    {
        Welcome w;
        w.epoch = 1;
        w.peer = 1;
        Welcome bad = w;
        bad.epoch = 0;
        expectRefused<Welcome>(body(bad, down), down, "epoch 0");
        bad = w;
        bad.peer = 0;
        expectRefused<Welcome>(body(bad, down), down, "peer index 0");
        bad = w;
        bad.sync = SyncMode(4);
        expectRefused<Welcome>(body(bad, down), down, "unknown sync mode");
        bad = w;
        bad.serverSignature = "sig";
        expectRefused<Welcome>(body(bad, down), down, "server signature of 3 bytes");
        ReplicaStream s;
        s.replica = 9;
        bad = w;
        bad.streams = {{2, s}, {1, s}};
        expectRefused<Welcome>(body(bad, down), down, "peer order");
        bad.streams = {{1, s}, {2, s}};
        expectRefused<Welcome>(body(bad, down), down, "a replica at two peers");
        // A count that claims more entries than the body could hold is refused before
        // anything is allocated.
        std::string b = body(w, down);
        b.back() = char(0xff);
        b += std::string("\xff\xff\xff\x0f", 4);
        expectRefused<Welcome>(b, down, "exceeds what the message holds");
    }
    {
        Error e(ErrorCode::Malformed, "ok");
        e.code = 0;
        expectRefused<Error>(body(e, up), up, "error code 0");
        e = Error(ErrorCode::Malformed, std::string(1025, 'm'));
        expectRefused<Error>(body(e, up), up, "exceeds the limit");
        // An unknown code (a newer peer's) is fine: shown, treated as fatal by the caller.
        e = Error(ErrorCode::Malformed, "newer");
        e.code = 999;
        Error back;
        EXPECT_TRUE(decodeBody(body(e, up), up, back, nullptr));
        EXPECT_EQ(errorInfo(back.code), nullptr);
    }
    {
        SnapshotChunk c {0, 1, Compression::Zlib, 10, 8, true, "abc"};
        expectRefused<SnapshotChunk>(body(c, down), down, "past the declared total");
        c = {0, 1, Compression::Zlib, 10, 0, true, "abc"};
        expectRefused<SnapshotChunk>(body(c, down), down, "ends before the total");
        c = {0, 1, Compression::Zlib, 3, 0, false, "abc"};
        expectRefused<SnapshotChunk>(body(c, down), down, "not marked last");
        c = {0, 1, Compression(2), 3, 0, true, "abc"};
        expectRefused<SnapshotChunk>(body(c, down), down, "unknown compression");
        c = {0, 1, Compression::Zlib, 10, 0, false, ""};
        expectRefused<SnapshotChunk>(body(c, down), down, "empty chunk");
        Limits small;
        small.maxAssembledBytes = 5;
        c = {0, 1, Compression::Zlib, 10, 0, false, "abc"};
        expectRefused<SnapshotChunk>(body(c, down), down, "exceeds the limit", ErrorCode::Oversize, small);
        TransactionChunk t;
        t.total = 0;
        t.last = true;
        expectRefused<TransactionChunk>(body(t, up), up, "0 bytes");
        t = {};
        t.seq = 0;
        t.total = 3;
        t.last = true;
        t.data = "abc";
        expectRefused<TransactionChunk>(body(t, down), down, "sequence number 0");
    }
    expectRefused<Ack>(body(Ack {1, 0, 1}, down), down, "counter 0");
    expectRefused<Ack>(body(Ack {0, 1, 1}, down), down, "replica id 0");
    {
        // Sequence 0: held since the room's first state (a room made from a copy).
        Ack held;
        DecodeError error;
        ASSERT_TRUE(decodeBody(body(Ack {7, 3, 0}, down), down, held, &error)) << error.message;
        EXPECT_EQ(held.seq, 0u);
        EXPECT_EQ(held.counter, 3u);
    }
    expectRefused<UserJoined>(body(UserJoined {0, 1, 1, "x", 0, Role::Editor, false}, down), down, "peer index 0");
    expectRefused<UserJoined>(body(UserJoined {70000, 1, 1, "x", 0, Role::Editor, false}, down), down,
                              "peer index 70000");
    expectRefused<UserLeft>(body(UserLeft {1, LeaveReason(9)}, down), down, "unknown leave reason");
    {
        PresenceStatus p;
        p.view = View {{NAN, 0, 0}, {}};
        expectRefused<PresenceStatus>(body(p, up), up, "not finite");
        p = {};
        p.placement = Placement {0, {}, {}};
        expectRefused<PresenceStatus>(body(p, up), up, "scale");
        p.placement = Placement {1, {}, {0, 0, 0, 2}};
        expectRefused<PresenceStatus>(body(p, up), up, "unit quaternion");
        p = {};
        std::string b = body(p, up);
        b[1] = char(0x80);
        expectRefused<PresenceStatus>(b, up, "reserved bits");
        expectRefused<PresenceStatus>(body(p, up), down, "peer index 0");
    }
    {
        PositionsBatch batch;
        batch.entries = {{{1, 1}, {INFINITY, 0, 0}}};
        expectRefused<PositionsBatch>(body(batch, up), up, "not finite");
        batch.entries = {{{0, 1}, {0, 0, 0}}};
        expectRefused<PositionsBatch>(body(batch, up), up, "replica id 0");
        batch.entries = {{{1, 0}, {0, 0, 0}}};
        expectRefused<PositionsBatch>(body(batch, up), up, "counter 0");
        // groups, replica 1, 2 entries, counter 5, position, delta 0 (a repeat), position
        std::string b("\x01\x01\x00\x00\x00\x02\x05", 7);
        b += std::string(12, '\0') + '\0' + std::string(12, '\0');
        expectRefused<PositionsBatch>(b, up, "repeated");
    }
    expectRefused<SetRole>(body(SetRole {1, Role(0)}, up), up, "unknown role");
    expectRefused<RemoveUser>(body(RemoveUser {0}, up), up, "user id 0");
    {
        SetAccessKey k;
        k.salt = std::string(16, 's');
        k.iterations = 2'000'000;
        k.storedKey = k.serverKey = std::string(32, 'k');
        expectRefused<SetAccessKey>(body(k, up), up, "iterations");
    }
    expectRefused<SaveVersion>(body(SaveVersion {""}, up), up, "empty");
    expectRefused<FetchVersion>(body(FetchVersion {0}, up), up, "version id 0");
    expectRefused<VersionList>(body(VersionList {{{0, "x", 0, 0, 0}}}, down), down, "version id 0");
    {
        SyncUpdate u;
        u.transaction = test::sampleTransaction();
        std::string b = body(u, up);
        b[0] = 9; // the transaction's encoding version
        expectRefused<SyncUpdate>(b, up, "malformed transaction");
        expectRefused<SyncUpdate>("", up, "malformed transaction");
    }
    expectRefused<UserPosition>(body(UserPosition {0, {0, NAN, 0}}, up), up, "not finite");
    {
        VrPresence v {0, test::sampleVrPose(false, false)};
        std::string b = body(v, up);
        b[0] = char(b[0] | 0x30); // rotation bits of the untracked left hand
        expectRefused<VrPresence>(b, up, "untracked hand");
        v.pose.head.rotation.bits = std::uint32_t(RotationBitsLimit);
        expectRefused<VrPresence>(body(v, up), up, "orientation out of range");
        // Three components at their largest: their squares add up to 1.5.
        v.pose.head.rotation.bits = std::uint32_t(RotationBitsLimit - 1);
        expectRefused<VrPresence>(body(v, up), up, "orientation out of range");
    }
    {
        NodeMove m;
        m.position = {0, 0, NAN};
        expectRefused<NodeMove>(body(m, up), up, "not finite");
        m.position = {};
        std::string b = body(m, up);
        b[0] = 5; // target code 5
        expectRefused<NodeMove>(b, up, "unknown target code");
        b[0] = char(0x80); // a sequence gap on the way to the server
        expectRefused<NodeMove>(b, up, "only travels to clients");
        m.target = NodeMove::Target::Explicit;
        m.targetReplica = {NodeMove::ReplicaRef::Kind::Peer, 3};
        m.targetCounter = 1;
        expectRefused<NodeMove>(body(m, up), up, "only travel to clients");
        m.targetReplica = {NodeMove::ReplicaRef::Kind::Id, 3};
        m.targetCounter = 0;
        expectRefused<NodeMove>(body(m, up), up, "counter 0");
        m.targetCounter = 1;
        m.origin = 0;
        expectRefused<NodeMove>(body(m, down), down, "peer index 0");
        m.origin = 1;
        m.millisDelta = std::uint64_t(1) << 48;
        expectRefused<NodeMove>(body(m, down), down, "timestamp delta");
    }
    {
        VersionVectorExchange v;
        // One replica, contiguous 0, no ranges: says nothing, so it is refused.
        expectRefused<VersionVectorExchange>(std::string("\x01\x05\x00\x00\x00\x00\x00", 7), up, "nothing held");
        // Replicas out of order.
        std::string b("\x02\x05\x00\x00\x00\x01\x00\x04\x00\x00\x00\x01\x00", 13);
        expectRefused<VersionVectorExchange>(b, up, "not in order");
        // A range running past the last counter.
        std::string past("\x01\x05\x00\x00\x00\x00\x01\x00\xff\xff\xff\xff\x0f", 13);
        expectRefused<VersionVectorExchange>(past, up, "past the last counter");
    }
}

// ---- framing -----------------------------------------------------------------------------

TEST(Protocol, SeveralMessagesShareOneFrame)
{
    FrameWriter w;
    const std::vector<Sample> samples = allSamples();
    std::vector<const Sample*> down;
    for (const Sample& s : samples)
        if (s.direction == Direction::ToClient) {
            std::visit([&](const auto& m) { w.add(m, Direction::ToClient); }, s.message);
            down.push_back(&s);
        }
    EXPECT_EQ(w.messageCount(), down.size());
    const std::string frame = w.take();
    EXPECT_TRUE(w.isEmpty());
    FrameReader r(frame);
    FrameItem item;
    std::size_t i = 0;
    while (r.next(item)) {
        ASSERT_LT(i, down.size());
        ASSERT_TRUE(item.ok());
        const std::optional<Message> m = decodeMessage(item.type, item.body, Direction::ToClient, nullptr);
        ASSERT_TRUE(m) << down[i]->label;
        EXPECT_TRUE(*m == down[i]->message) << down[i]->label;
        ++i;
    }
    EXPECT_EQ(i, down.size());
}

TEST(Protocol, UnknownTypeIsReportedAndTheNextMessageStillRead)
{
    std::string frame = encodeMessage(Ping {1}, Direction::ToServer);
    frame += std::string("\x03\x7f\xaa\xbb", 4); // type 0x7f, two body bytes
    frame += encodeMessage(Pong {2}, Direction::ToServer);
    FrameReader r(frame);
    FrameItem item;
    ASSERT_TRUE(r.next(item));
    EXPECT_TRUE(item.ok());
    ASSERT_TRUE(r.next(item));
    EXPECT_EQ(item.status, FrameItem::Status::UnknownType);
    const Error e = item.error();
    EXPECT_EQ(e.errorCode(), ErrorCode::UnknownType);
    EXPECT_EQ(e.about, 0x7f);
    EXPECT_NE(e.message.find("0x7f"), std::string::npos);
    ASSERT_TRUE(r.next(item));
    EXPECT_TRUE(item.ok());
    EXPECT_EQ(item.type, std::uint8_t(MessageType::Pong));
    EXPECT_FALSE(r.next(item));

    DecodeError error;
    EXPECT_FALSE(decodeMessage(0x7f, "", Direction::ToServer, &error));
    EXPECT_EQ(error.code, ErrorCode::UnknownType);
}

TEST(Protocol, OversizeIsAnErrorBeforeTheBodyIsRead)
{
    SaveVersion big {std::string(60, 'v')};
    std::string frame = encodeMessage(big, Direction::ToServer) + encodeMessage(Ping {7}, Direction::ToServer);
    FrameReader r(frame, 32);
    FrameItem item;
    ASSERT_TRUE(r.next(item));
    EXPECT_EQ(item.status, FrameItem::Status::Oversize);
    EXPECT_EQ(item.error().errorCode(), ErrorCode::Oversize);
    EXPECT_TRUE(item.body.empty());
    ASSERT_TRUE(r.next(item)) << "the frame holds the oversize message: the next one is read";
    EXPECT_TRUE(item.ok());
    EXPECT_EQ(item.type, std::uint8_t(MessageType::Ping));

    // A length past the limit with the body not in the frame (a 1 GiB claim): the frame ends.
    std::string claim;
    ByteWriter(claim).varint(1ull << 30);
    claim += "\x06xxxxxxxx";
    FrameReader r2(claim);
    ASSERT_TRUE(r2.next(item));
    EXPECT_EQ(item.status, FrameItem::Status::Oversize);
    EXPECT_FALSE(r2.next(item));

    // The default limit is 1 MiB of type byte + body.
    TransactionChunk c;
    c.total = DefaultMaxMessageBytes;
    c.last = true;
    c.data.assign(DefaultMaxMessageBytes, 'x');
    const std::string huge = encodeMessage(c, Direction::ToServer);
    FrameReader r3(huge);
    ASSERT_TRUE(r3.next(item));
    EXPECT_EQ(item.status, FrameItem::Status::Oversize);
}

TEST(Protocol, BrokenFramesEndWithAnError)
{
    FrameItem item;
    // Cut inside the body, at every byte.
    const std::string frame = encodeMessage(Ping {1}, Direction::ToServer) + encodeMessage(Pong {2}, Direction::ToServer);
    for (std::size_t n = 1; n < frame.size(); ++n) {
        FrameReader r(std::string_view(frame).substr(0, n));
        std::vector<FrameItem::Status> statuses;
        while (r.next(item))
            statuses.push_back(item.status);
        const bool boundary = n == frame.size() / 2;
        if (boundary)
            EXPECT_EQ(statuses, std::vector<FrameItem::Status> {FrameItem::Status::Ok});
        else
            EXPECT_EQ(statuses.back(), FrameItem::Status::Truncated) << n;
    }
    // A zero length: reported, and reading goes on.
    const std::string zeroFrame = std::string("\x00", 1) + encodeMessage(Ping {1}, Direction::ToServer);
    FrameReader zero(zeroFrame);
    ASSERT_TRUE(zero.next(item));
    EXPECT_EQ(item.status, FrameItem::Status::Empty);
    ASSERT_TRUE(zero.next(item));
    EXPECT_TRUE(item.ok());
    // A length varint of 11 bytes.
    const std::string badFrame = std::string(11, '\xff') + "\x01";
    FrameReader bad(badFrame);
    ASSERT_TRUE(bad.next(item));
    EXPECT_EQ(item.status, FrameItem::Status::BadLength);
    EXPECT_EQ(item.error().errorCode(), ErrorCode::Malformed);
    EXPECT_FALSE(bad.next(item));
    // A length varint cut short by the frame's end.
    const std::string cutFrame("\xff\xff", 2);
    FrameReader cut(cutFrame);
    ASSERT_TRUE(cut.next(item));
    EXPECT_EQ(item.status, FrameItem::Status::Truncated);
    EXPECT_FALSE(FrameReader(std::string_view()).next(item));
}

TEST(Protocol, LengthPrefixGrowsPastOneByte)
{
    SaveVersion v {std::string(64, 'n')};
    VersionList list;
    for (int i = 1; i <= 50; ++i)
        list.versions.push_back({VersionId(i), "version " + std::to_string(i), 1, 2, 3});
    const std::string m = encodeMessage(list, Direction::ToClient);
    FrameReader r(m);
    FrameItem item;
    ASSERT_TRUE(r.next(item));
    ASSERT_TRUE(item.ok());
    EXPECT_GT(item.length, 127u);
    VersionList back;
    ASSERT_TRUE(decodeBody(item.body, Direction::ToClient, back, nullptr));
    EXPECT_EQ(back, list);
}

// ---- versions and the recorded handshake -----------------------------------------------

TEST(Protocol, VersionNegotiationPicksTheHighestCommonVersion)
{
    EXPECT_EQ(negotiateVersion({1, 1}, {1, 1}), 1u);
    EXPECT_EQ(negotiateVersion({1, 5}, {2, 3}), 3u);
    EXPECT_EQ(negotiateVersion({3, 4}, {1, 3}), 3u);
    EXPECT_EQ(negotiateVersion({4, 5}, {1, 3}), std::nullopt);
    EXPECT_EQ(negotiateVersion({1, 1}, {2, 3}), std::nullopt);

    Hello future;
    future.versions = {7, 9};
    future.room = "r";
    future.user = 1;
    future.replica = 1;
    const HelloOutcome o = acceptHello(body(future, Direction::ToServer));
    EXPECT_FALSE(o.hello);
    EXPECT_EQ(o.error.errorCode(), ErrorCode::VersionMismatch);
    EXPECT_TRUE(o.error.fatal);
    EXPECT_EQ(o.error.message, "protocol version mismatch: the client speaks versions 7 to 9, this server 1 to 1");

    // A later version's HELLO may append fields: version 1 reads what it knows.
    Hello later = future;
    later.versions = {1, 2};
    const HelloOutcome ok = acceptHello(body(later, Direction::ToServer) + "appended by version 2");
    ASSERT_TRUE(ok.hello) << ok.error.message;
    EXPECT_EQ(ok.version, 1u);
    EXPECT_EQ(ok.hello->room, "r");

    // Garbage after a version range that does not match still gets the version error.
    std::string garbage;
    ByteWriter(garbage).varint(9);
    ByteWriter(garbage).varint(9);
    garbage += "\xff\xff\xff";
    EXPECT_EQ(acceptHello(garbage).error.errorCode(), ErrorCode::VersionMismatch);
    EXPECT_EQ(acceptHello("").error.errorCode(), ErrorCode::Malformed);
    EXPECT_EQ(acceptHello(std::string("\x02\x01", 2)).error.errorCode(), ErrorCode::Malformed);

    Hello badRoom = later;
    badRoom.room = "no spaces";
    const HelloOutcome bad = acceptHello(body(badRoom, Direction::ToServer));
    EXPECT_EQ(bad.error.errorCode(), ErrorCode::BadRoomName);
    EXPECT_EQ(bad.error.about, std::uint8_t(MessageType::Hello));
}

// This test stays in every later version of the protocol: a version-1 client's HELLO,
// recorded byte for byte when version 1 was made, must be accepted or get the clear
// version error, never a parse error.
TEST(Protocol, RecordedVersion1HandshakeIsAcceptedOrGetsTheVersionError)
{
    const std::string hex = readFile(CONSTELLATE_TEST_DATA "/protocol/hello-v1.hex");
    ASSERT_FALSE(hex.empty()) << "tests/data/protocol/hello-v1.hex is missing";
    const std::string frame = fromHex(hex);
    FrameReader r(frame);
    FrameItem item;
    ASSERT_TRUE(r.next(item));
    ASSERT_TRUE(item.ok()) << item.error().message;
    ASSERT_EQ(item.type, 0x01) << "HELLO's code";
    EXPECT_FALSE(r.next(item));

    const HelloOutcome o = acceptHello(item.body);
    if (!negotiateVersion({1, 1})) {
        ASSERT_FALSE(o.hello);
        EXPECT_EQ(o.error.errorCode(), ErrorCode::VersionMismatch);
        EXPECT_NE(o.error.message.find("the client speaks versions 1 to 1"), std::string::npos) << o.error.message;
        return;
    }
    ASSERT_TRUE(o.hello) << o.error.message;
    EXPECT_EQ(o.version, 1u);
    const Hello& h = *o.hello;
    EXPECT_EQ(h.versions, (VersionRange {1, 1}));
    EXPECT_EQ(h.room, "lesmis");
    EXPECT_EQ(h.user, 0x0123456789abcdefull);
    EXPECT_EQ(h.replica, 0x1a2b3c4du);
    EXPECT_EQ(h.name, "Ada");
    EXPECT_EQ(h.color, 0x4e79a7ffu);
    EXPECT_EQ(h.role, Role::Editor);
    EXPECT_FALSE(h.createRoom);
    EXPECT_TRUE(h.canAnswerChallenge);
    EXPECT_TRUE(h.hasDocument);
    EXPECT_FALSE(h.inVr);
    ASSERT_TRUE(h.resume);
    EXPECT_EQ(h.resume->epoch, 0x1122334455667788ull);
    EXPECT_EQ(h.resume->committed, 42u);
    EXPECT_TRUE(h.ownerToken.empty());
}

TEST(Protocol, RecordedVersion1WelcomeDecodes)
{
    const std::string hex = readFile(CONSTELLATE_TEST_DATA "/protocol/welcome-v1.hex");
    ASSERT_FALSE(hex.empty());
    const std::string frame = fromHex(hex);
    FrameReader r(frame);
    FrameItem item;
    ASSERT_TRUE(r.next(item));
    ASSERT_TRUE(item.ok());
    Welcome w;
    DecodeError error;
    ASSERT_TRUE(decodeBody(item.body, Direction::ToClient, w, &error)) << error.message;
    EXPECT_EQ(w.version, 1u);
    EXPECT_EQ(w.epoch, 0x1122334455667788ull);
    EXPECT_EQ(w.role, Role::Editor);
    EXPECT_EQ(w.peer, 2u);
    EXPECT_EQ(w.committed, 42u);
    EXPECT_EQ(w.sync, SyncMode::Deltas);
    ASSERT_EQ(w.streams.size(), 1u);
    EXPECT_EQ(w.streams[0].peer, 1u);
    EXPECT_EQ(w.streams[0].stream.lastCounter, 5u);
}

// ---- chunks ------------------------------------------------------------------------------

TEST(Protocol, LargeTransactionsTravelInChunksAndApplyWhole)
{
    TransactionBuilder b(7, 8, 1);
    for (int i = 0; i < 2000; ++i)
        b.createNode({{{Field::Label, {}}, Value("node number " + std::to_string(i))}});
    SyncUpdate u;
    u.origin = 3;
    u.seq = 40;
    u.transaction = b.finish(Hlc::make(1'700'000'000'000ull, 0));

    EXPECT_EQ(encodeTransaction(u, Direction::ToClient).size(), 1u) << "fits 1 MiB: one SYNC_UPDATE";
    const std::size_t limit = 4096;
    const std::vector<std::string> messages = encodeTransaction(u, Direction::ToClient, limit);
    ASSERT_GT(messages.size(), 5u);
    ChunkAssembler assembler;
    std::string whole;
    for (std::size_t i = 0; i < messages.size(); ++i) {
        FrameReader r(messages[i], limit);
        FrameItem item;
        ASSERT_TRUE(r.next(item));
        ASSERT_TRUE(item.ok()) << "chunk " << i << ": " << item.error().message;
        TransactionChunk c;
        ASSERT_TRUE(decodeBody(item.body, Direction::ToClient, c, nullptr));
        EXPECT_EQ(c.origin, 3u);
        EXPECT_EQ(c.seq, 40u);
        std::string error;
        const ChunkAssembler::Status s = assembler.add(c, &error);
        ASSERT_NE(s, ChunkAssembler::Status::Error) << error;
        EXPECT_EQ(s == ChunkAssembler::Status::Complete, i + 1 == messages.size());
        if (s == ChunkAssembler::Status::Complete)
            whole = assembler.take();
        else
            EXPECT_EQ(assembler.received(), c.offset + c.data.size());
    }
    EXPECT_EQ(whole, u.transaction.bytes());
    EXPECT_FALSE(assembler.inProgress());

    // Out of order, or another whole interleaved: an error, and what was collected is dropped.
    auto chunkAt = [&](std::size_t i) {
        TransactionChunk c;
        FrameReader r(messages[i], limit);
        FrameItem item;
        r.next(item);
        decodeBody(item.body, Direction::ToClient, c, nullptr);
        return c;
    };
    std::string error;
    EXPECT_EQ(assembler.add(chunkAt(1), &error), ChunkAssembler::Status::Error);
    EXPECT_NE(error.find("without the chunks before it"), std::string::npos);
    EXPECT_EQ(assembler.add(chunkAt(0), &error), ChunkAssembler::Status::Incomplete);
    EXPECT_EQ(assembler.add(chunkAt(2), &error), ChunkAssembler::Status::Error);
    EXPECT_FALSE(assembler.inProgress());
    EXPECT_EQ(assembler.add(chunkAt(0), &error), ChunkAssembler::Status::Incomplete);
    TransactionChunk other = chunkAt(1);
    other.seq = 41;
    EXPECT_EQ(assembler.add(other, &error), ChunkAssembler::Status::Error);
    EXPECT_NE(error.find("another whole"), std::string::npos);

    ChunkAssembler small(100);
    EXPECT_EQ(small.add(chunkAt(0), &error), ChunkAssembler::Status::Error);
    EXPECT_NE(error.find("exceeds the limit"), std::string::npos);
}

TEST(Protocol, SnapshotsTravelCompressedInChunks)
{
    std::string snapshot;
    for (int i = 0; i < 20000; ++i)
        snapshot += "entity " + std::to_string(i) + ";";
    const std::string compressed = compressSnapshot(snapshot);
    EXPECT_LT(compressed.size(), snapshot.size() / 3);
    const std::vector<std::string> messages = encodeSnapshot(compressed, 0, 77, Compression::Zlib, 1000);
    ChunkAssembler assembler;
    std::string whole;
    for (const std::string& m : messages) {
        SnapshotChunk c;
        ASSERT_TRUE(decodeBody(bodyOf(m), Direction::ToClient, c, nullptr));
        EXPECT_LE(m.size(), 1002u);
        EXPECT_EQ(c.seq, 77u);
        std::string error;
        if (assembler.add(c, &error) == ChunkAssembler::Status::Complete)
            whole = assembler.take();
    }
    std::string error;
    const std::optional<std::string> back = uncompressSnapshot(whole, Compression::Zlib, 1 << 20, &error);
    ASSERT_TRUE(back) << error;
    EXPECT_EQ(*back, snapshot);
    EXPECT_FALSE(uncompressSnapshot(whole, Compression::Zlib, 1000, &error));
    EXPECT_NE(error.find("exceeds the limit"), std::string::npos);
    std::string corrupt = whole;
    corrupt[corrupt.size() / 2] ^= 0x55;
    corrupt[corrupt.size() / 2 + 1] ^= 0x55;
    EXPECT_FALSE(uncompressSnapshot(corrupt, Compression::Zlib, 1 << 20, &error));
    EXPECT_FALSE(uncompressSnapshot("ab", Compression::Zlib, 1 << 20, &error));

    // An empty snapshot is one chunk.
    const std::vector<std::string> empty = encodeSnapshot("", 3, 1, Compression::None);
    ASSERT_EQ(empty.size(), 1u);
    SnapshotChunk c;
    ASSERT_TRUE(decodeBody(bodyOf(empty[0]), Direction::ToClient, c, nullptr));
    EXPECT_TRUE(c.last);
    EXPECT_EQ(c.version, 3u);
}

// ---- names, access ---------------------------------------------------------------------

TEST(Protocol, RoomAndDisplayNames)
{
    EXPECT_TRUE(isValidRoomName("lesmis"));
    EXPECT_TRUE(isValidRoomName("A-b_c.9"));
    EXPECT_TRUE(isValidRoomName(std::string(128, 'x')));
    EXPECT_TRUE(isValidRoomName(".hidden"));
    EXPECT_FALSE(isValidRoomName(""));
    EXPECT_FALSE(isValidRoomName(std::string(129, 'x')));
    EXPECT_FALSE(isValidRoomName("a/b"));
    EXPECT_FALSE(isValidRoomName("a b"));
    EXPECT_FALSE(isValidRoomName("é"));
    EXPECT_FALSE(isValidRoomName("."));
    EXPECT_FALSE(isValidRoomName(".."));
    EXPECT_TRUE(isValidName(""));
    EXPECT_TRUE(isValidName("Éponine Thénardier"));
    EXPECT_TRUE(isValidName(std::string(64, 'x')));
    EXPECT_FALSE(isValidName(std::string(65, 'x')));
    EXPECT_FALSE(isValidName("tab\there"));
    EXPECT_FALSE(isValidName("del\x7f"));
    EXPECT_FALSE(isValidName("\xff"));
}

TEST(Protocol, AccessAuthMessageLayout)
{
    const std::string m = accessAuthMessage("r", 2, 3, "SN", "cn");
    const std::string expected = std::string("constellate-access-v1") + "\x01r" + std::string("\x02\0\0\0\0\0\0\0", 8)
        + std::string("\x03\0\0\0", 4) + "\x02SN\x02" "cn";
    EXPECT_EQ(m, expected);
    EXPECT_NE(accessAuthMessage("r", 2, 3, "S", "Ncn"), m) << "lengths keep the fields apart";
}

// ---- budgets -----------------------------------------------------------------------------

TEST(Protocol, PresenceFitsItsBudgets)
{
    // As the server relays them: length, type, the origin's peer index, body.
    UserPosition cursor {42, {123.25f, -7.5f, 0.125f}};
    EXPECT_LE(encodedSize(cursor, Direction::ToClient), 16u);
    EXPECT_EQ(encodedSize(cursor, Direction::ToClient), 15u);

    const VrPresence vr {42, test::sampleVrPose(true, true)};
    EXPECT_LE(encodedSize(vr, Direction::ToClient), 34u);
    EXPECT_EQ(encodedSize(vr, Direction::ToClient), 34u);
    EXPECT_EQ(encodedSize(vr, Direction::ToServer), 33u);
    EXPECT_EQ(encodedSize(VrPresence {42, test::sampleVrPose(false, true)}, Direction::ToClient), 24u);
    EXPECT_EQ(encodedSize(VrPresence {42, test::sampleVrPose(false, false)}, Direction::ToClient), 14u);
    EXPECT_LT(34u, 87u) << "the original design's naive layout";

    // Positions batch: an entry of a node id (delta-coded counter) and 12 bytes.
    PositionsBatch batch;
    batch.origin = 42;
    batch.entries.push_back({{0x1a2b3c4d, 1000}, {1, 2, 3}});
    const std::size_t one = encodedSize(batch, Direction::ToClient);
    EXPECT_LE(one, 24u);
    for (std::uint32_t i = 1; i < 100; ++i)
        batch.entries.push_back({{0x1a2b3c4d, 1000 + i * 3}, {float(i), 2, 3}});
    const std::size_t hundred = encodedSize(batch, Direction::ToClient);
    // 13 bytes per entry (a one-byte counter delta + 12), plus the length prefix's second byte.
    EXPECT_LE(hundred - one, 99u * 13u + 1u) << "entity ref + 12 bytes per entry";
    std::printf("positions batch: 1 node %zu bytes, 100 nodes %zu bytes\n", one, hundred);
}

TEST(Protocol, TypicalSizes)
{
    // The table in docs/protocol.md ("Sizes") is made from this output.
    for (const Sample& s : allSamples())
        std::printf("%-40s %4zu bytes\n", s.label.c_str(), encodedSize(s.message, s.direction));
}
