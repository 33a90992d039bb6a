// Fuzzes the frame reader and every message decoder (and what hangs off them: HELLO
// negotiation, chunk assembly, snapshot inflation, VR pose unpacking, NODE_MOVE expansion).
// Input: byte 0 picks the mode (bit 0: a frame, else a type byte and a body; bit 1: to
// clients, else to the server; bit 2: small limits), the rest is the frame or message.
// Properties checked beyond "no crash, no UB, no leak": what decodes re-encodes to a
// message that decodes and encodes to the same bytes; errors always say something; a
// NODE_MOVE expands to a node-move transaction that compresses back to the same bytes.

#include "fuzzsupport.h"

#include <string>
#include <string_view>

using namespace constellate;
using namespace constellate::net::protocol;

namespace {

/// The body of a frame holding exactly one message.
std::string_view onlyBody(const std::string& frame)
{
    FrameReader reader(frame, std::size_t(-1));
    FrameItem item, extra;
    FUZZ_CHECK(reader.next(item) && item.ok());
    FUZZ_CHECK(!reader.next(extra));
    return item.body;
}

void checkNodeMove(const NodeMove& m, Direction d)
{
    std::optional<Transaction> t;
    if (d == Direction::ToServer) {
        const ReplicaStream up = fuzz::uplinkStream();
        t = expandNodeMove(m, up, nullptr);
        if (t)
            if (const std::optional<NodeMove> back = compressNodeMove(*t, up))
                FUZZ_CHECK(expandNodeMove(*back, up, nullptr)->bytes() == t->bytes());
    } else {
        const StreamState room = fuzz::roomStreams();
        std::optional<ExpandedMove> x = expandNodeMove(m, room, nullptr);
        if (x) {
            if (const std::optional<NodeMove> back = compressNodeMove(x->transaction, room, m.origin, x->seq))
                FUZZ_CHECK(expandNodeMove(*back, room, nullptr)->transaction.bytes() == x->transaction.bytes());
            t = std::move(x->transaction);
        }
    }
    if (!t)
        return;
    std::string error;
    const std::optional<Transaction> again = Transaction::decode(t->bytes(), &error);
    FUZZ_CHECK(again);
    FUZZ_CHECK(isNodeMove(*again));
}

void checkMessage(std::uint8_t type, std::string_view body, Direction d, const Limits& limits,
                  ChunkAssembler& assembler)
{
    DecodeError error;
    const std::optional<Message> m = decodeMessage(type, body, d, &error, limits);
    if (type == std::uint8_t(MessageType::Hello) && d == Direction::ToServer) {
        const HelloOutcome o = acceptHello(body, SupportedVersions, limits);
        FUZZ_CHECK(o.hello || !o.error.message.empty());
        if (o.hello)
            FUZZ_CHECK(m && std::get<Hello>(*m) == *o.hello);
    }
    if (!m) {
        FUZZ_CHECK(!error.message.empty());
        return;
    }
    // Canonical: re-encoding gives a message that decodes to an equal one, byte for byte.
    std::string once;
    appendMessage(once, *m, d);
    const std::string_view reBody = onlyBody(once);
    const std::optional<Message> again = decodeMessage(type, reBody, d, &error, limits);
    FUZZ_CHECK(again);
    FUZZ_CHECK(*again == *m);
    std::string twice;
    appendMessage(twice, *again, d);
    FUZZ_CHECK(twice == once);

    if (const auto* vr = std::get_if<VrPresence>(&*m)) {
        const std::optional<VrPose> pose = unpackVrPose(vr->pose);
        FUZZ_CHECK(pose);
        const std::optional<VrPose> repacked = unpackVrPose(packVrPose(*pose));
        FUZZ_CHECK(repacked);
        FUZZ_CHECK(rotationAngleDegrees(pose->head.orientation, repacked->head.orientation) <= MaxRotationErrorDegrees);
    } else if (const auto* move = std::get_if<NodeMove>(&*m)) {
        checkNodeMove(*move, d);
    } else if (const auto* sync = std::get_if<SyncUpdate>(&*m)) {
        EntityId target;
        if (isNodeMove(sync->transaction, &target))
            FUZZ_CHECK(!target.isNull());
    } else if (const auto* tc = std::get_if<TransactionChunk>(&*m)) {
        std::string why;
        if (assembler.add(*tc, &why) == ChunkAssembler::Status::Complete)
            Transaction::decode(assembler.take(), &why, limits.transaction);
    } else if (const auto* sc = std::get_if<SnapshotChunk>(&*m)) {
        std::string why;
        if (assembler.add(*sc, &why) == ChunkAssembler::Status::Complete)
            uncompressSnapshot(assembler.take(), sc->compression, 1 << 20, &why);
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    if (size < 1)
        return 0;
    const std::uint8_t mode = data[0];
    const Direction d = mode & 2 ? Direction::ToClient : Direction::ToServer;
    Limits limits;
    if (mode & 4) {
        limits.maxMessageBytes = 64;
        limits.maxAssembledBytes = 256;
    }
    ChunkAssembler assembler(limits.maxAssembledBytes);
    const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
    if (!(mode & 1)) {
        if (!rest.empty())
            checkMessage(std::uint8_t(rest[0]), rest.substr(1), d, limits, assembler);
        return 0;
    }
    FrameReader reader(rest, limits.maxMessageBytes);
    FrameItem item;
    std::size_t count = 0;
    std::size_t lastOffset = 0;
    while (reader.next(item)) {
        FUZZ_CHECK(++count <= rest.size() + 1); // every item moves on
        FUZZ_CHECK(count == 1 || item.offset > lastOffset);
        lastOffset = item.offset;
        if (!item.ok()) {
            const Error e = item.error();
            FUZZ_CHECK(!e.message.empty());
            // The ERROR answering it is itself a valid message.
            const std::string answer = encodeMessage(e, d);
            Error back;
            FUZZ_CHECK(decodeBody(onlyBody(answer), d, back, nullptr) && back == e);
            continue;
        }
        FUZZ_CHECK(item.body.size() + 1 == item.length && item.length <= limits.maxMessageBytes);
        checkMessage(item.type, item.body, d, limits, assembler);
    }
    return 0;
}
