// Writes the fuzzers' seed corpora: make_fuzz_corpus DIR writes DIR/fuzz_protocol/,
// DIR/fuzz_transaction/, DIR/fuzz_snapshot/ and DIR/fuzz_lanbeacon/ (what is checked in under
// tests/fuzz/corpus/). Valid inputs of every kind, so that fuzzing starts deep.

#include "fuzzsupport.h"
#include "lanannouncement.h"
#include "protocolsamples.h"

#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>

using namespace constellate;
using namespace constellate::net::protocol;

namespace {

void write(const std::filesystem::path& dir, const std::string& name, const std::string& bytes)
{
    std::filesystem::create_directories(dir);
    std::string file;
    for (char ch : name)
        file += std::isalnum(static_cast<unsigned char>(ch)) ? char(std::tolower(ch)) : '-';
    std::ofstream(dir / (file + ".bin"), std::ios::binary) << bytes;
}

std::string bodyOf(const std::string& message)
{
    FrameReader r(message);
    FrameItem item;
    r.next(item);
    return std::string(item.body);
}

} // namespace

int main(int argc, char** argv)
{
    if (argc != 2) {
        std::fprintf(stderr, "usage: make_fuzz_corpus DIR\n");
        return 2;
    }
    const std::filesystem::path root = argv[1];

    // Protocol: each sample as a single message and as a frame; one frame with many.
    const std::filesystem::path protocol = root / "fuzz_protocol";
    std::string bigFrame(1, char(0x03));
    for (const net::protocol::test::Sample& s : net::protocol::test::allSamples()) {
        const char dir = s.direction == Direction::ToClient ? 2 : 0;
        const std::string message = [&] {
            std::string out;
            appendMessage(out, s.message, s.direction);
            return out;
        }();
        write(protocol, "message " + s.label, std::string(1, dir) + char(messageType(s.message)) + bodyOf(message));
        write(protocol, "frame " + s.label, std::string(1, char(dir | 1)) + message);
        if (s.direction == Direction::ToClient)
            bigFrame += message;
    }
    write(protocol, "frame many", bigFrame);
    // NODE_MOVEs that expand against the fuzzers' stream state.
    TransactionBuilder b(fuzz::DocReplica, fuzz::DocUser, 2);
    b.set({fuzz::SeedReplica, 3}, {Field::Position, {}}, Value(Vec3 {1, 2, 3}), {fuzz::SeedReplica, 3});
    const Transaction move = b.finish(Hlc::make(fuzz::Now, 0));
    if (const std::optional<NodeMove> up = compressNodeMove(move, fuzz::uplinkStream()))
        write(protocol, "node move up expands", std::string(1, '\x01') + encodeMessage(*up, Direction::ToServer));
    if (const std::optional<NodeMove> down = compressNodeMove(move, fuzz::roomStreams(), 1, 11))
        write(protocol, "node move down expands", std::string(1, '\x03') + encodeMessage(*down, Direction::ToClient));

    // Transactions: the samples, the seed, and writes to the seed's entities.
    const std::filesystem::path transactions = root / "fuzz_transaction";
    write(transactions, "sample", net::protocol::test::sampleTransaction().bytes());
    write(transactions, "annotation", net::protocol::test::sampleAnnotationTransaction().bytes());
    write(transactions, "seed", fuzz::seedTransaction().bytes());
    write(transactions, "move", move.bytes());
    TransactionBuilder edits(0x0a0b0c0d, 5, 1);
    edits.set({fuzz::SeedReplica, 1}, {Field::Exists, {}}, Value(false), {fuzz::SeedReplica, 1});
    edits.set({fuzz::SeedReplica, 5}, {Field::Property, "kind"}, Value(std::int64_t(-4)), {});
    edits.createEdge({fuzz::SeedReplica, 2}, {fuzz::SeedReplica, 4}, false);
    edits.set({fuzz::SeedReplica, 6}, {Field::Text, {}}, Value("edited"), {fuzz::SeedReplica, 6});
    write(transactions, "edits", edits.finish(Hlc::make(fuzz::Now - 1000, 3)).bytes());

    // Snapshots: empty, the seed, and the seed with the edits applied.
    const std::filesystem::path snapshots = root / "fuzz_snapshot";
    GraphDocument empty(1, 1, fuzz::fixedClock());
    write(snapshots, "empty", empty.encodeSnapshot());
    GraphDocument seeded(fuzz::DocReplica, fuzz::DocUser, fuzz::fixedClock());
    fuzz::seed(seeded);
    write(snapshots, "seed", seeded.encodeSnapshot());
    TransactionBuilder more(0x0a0b0c0d, 5, 1);
    more.set({fuzz::SeedReplica, 1}, {Field::Exists, {}}, Value(false), {fuzz::SeedReplica, 1});
    more.set({fuzz::SeedReplica, 9}, {Field::Label, {}}, Value("placeholder"), {}); // not created yet
    seeded.apply(more.finish(Hlc::make(fuzz::Now - 100, 0)));
    seeded.apply(net::protocol::test::sampleTransaction());
    write(snapshots, "edited", seeded.encodeSnapshot());

    // LAN beacons: a plain one, one with every flag and field at its largest, a leaving one.
    const std::filesystem::path beacons = root / "fuzz_lanbeacon";
    net::LanAnnouncement beacon;
    beacon.hostId = 0x1122334455667788ull;
    beacon.hostName = "Ann";
    beacon.room = "lesmis";
    beacon.port = 7878;
    beacon.people = 3;
    beacon.roomId = 0x0102030405060708ull;
    write(beacons, "plain", net::encodeLanAnnouncement(beacon));
    net::LanAnnouncement full = beacon;
    full.secure = full.keyNeeded = true;
    full.hostName = "Zo\xc3\xab " + std::string(59, 'h');
    full.room = std::string(128, 'r');
    full.port = 65535;
    full.people = 65535;
    full.intervalMs = net::LanAnnouncement::MaxIntervalMs;
    full.continues = 0x8877665544332211ull;
    write(beacons, "full", net::encodeLanAnnouncement(full));
    net::LanAnnouncement leaving = beacon;
    leaving.leaving = true;
    leaving.intervalMs = net::LanAnnouncement::MinIntervalMs;
    write(beacons, "leaving", net::encodeLanAnnouncement(leaving));
    return 0;
}
