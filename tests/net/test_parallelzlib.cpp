// Snapshots compressed in pieces on several threads (net/parallelzlib.h): the output is one
// zlib stream in qCompress's format, read back exactly by qUncompress and uncompressSnapshot
// whatever the size and the thread count, and hardly larger than qCompress's.

#include "graphdocument.h"
#include "parallelzlib.h"
#include "protocol.h"

#include <gtest/gtest.h>

#include <QByteArray>

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

using namespace constellate;
using namespace constellate::net;
using namespace constellate::net::protocol;

namespace {

constexpr std::size_t Piece = ParallelZlibMinPiece;

std::string randomBytes(std::size_t n, std::uint32_t seed)
{
    std::mt19937 rng(seed);
    std::string s(n, '\0');
    for (char& c : s)
        c = char(rng());
    return s;
}

/// Text-like bytes: words from a small vocabulary with numbers, as snapshots hold.
std::string textBytes(std::size_t n, std::uint32_t seed)
{
    static const char* const words[] = { "node", "edge", "label", "weight", "position", "colour", "size", "replica" };
    std::mt19937 rng(seed);
    std::string s;
    s.reserve(n + 32);
    while (s.size() < n)
        s += std::string(words[rng() % 8]) + ' ' + std::to_string(rng() % 100000) + ';';
    s.resize(n);
    return s;
}

std::string qCompressed(const std::string& data)
{
    const QByteArray c = qCompress(reinterpret_cast<const uchar*>(data.data()), qsizetype(data.size()));
    return std::string(c.constData(), std::size_t(c.size()));
}

std::string qUncompressed(const std::string& data)
{
    const QByteArray u = qUncompress(reinterpret_cast<const uchar*>(data.data()), qsizetype(data.size()));
    return std::string(u.constData(), std::size_t(u.size()));
}

/// Compresses on `threads` threads and checks that both readers give `data` back.
std::string expectRoundTrip(const std::string& data, int threads)
{
    SCOPED_TRACE(testing::Message() << data.size() << " bytes on " << threads << " threads");
    const std::string compressed = compressSnapshot(data, threads);
    EXPECT_EQ(compressed, parallelZlibCompress(data, threads));
    EXPECT_GE(compressed.size(), 4u);
    if (compressed.size() < 4)
        return compressed;
    // qCompress's header: the size, big-endian.
    const std::uint32_t header = (std::uint32_t(std::uint8_t(compressed[0])) << 24)
        | (std::uint32_t(std::uint8_t(compressed[1])) << 16) | (std::uint32_t(std::uint8_t(compressed[2])) << 8)
        | std::uint32_t(std::uint8_t(compressed[3]));
    EXPECT_EQ(header, data.size());

    const std::string viaQt = qUncompressed(compressed);
    EXPECT_EQ(viaQt.size(), data.size());
    EXPECT_TRUE(viaQt == data) << "qUncompress gave other bytes";
    std::string error;
    const std::optional<std::string> viaProtocol
        = uncompressSnapshot(compressed, Compression::Zlib, data.size(), &error);
    EXPECT_TRUE(viaProtocol) << error;
    if (viaProtocol) {
        EXPECT_TRUE(*viaProtocol == data) << "uncompressSnapshot gave other bytes";
    }

    if (parallelZlibPieceCount(data.size(), threads) > 1) {
        // The pieces' stream, not qCompress's (which the one-piece case is).
        EXPECT_NE(compressed, qCompressed(data));
        EXPECT_EQ(std::uint8_t(compressed[4]), 0x78);
        EXPECT_EQ(std::uint8_t(compressed[5]), 0x9c);
    } else {
        EXPECT_EQ(compressed, qCompressed(data));
    }
    return compressed;
}

} // namespace

TEST(ParallelZlib, PieceCountFollowsThreadsAndTheMinimumPiece)
{
    EXPECT_EQ(parallelZlibPieceCount(0, 8), 1u);
    EXPECT_EQ(parallelZlibPieceCount(Piece - 1, 8), 1u);
    EXPECT_EQ(parallelZlibPieceCount(2 * Piece - 1, 8), 1u);
    EXPECT_EQ(parallelZlibPieceCount(2 * Piece, 8), 2u);
    EXPECT_EQ(parallelZlibPieceCount(3 * Piece + 1, 8), 3u);
    EXPECT_EQ(parallelZlibPieceCount(100 * Piece, 8), 8u);
    EXPECT_EQ(parallelZlibPieceCount(100 * Piece, 3), 3u);
    EXPECT_EQ(parallelZlibPieceCount(100 * Piece, 1), 1u);
    EXPECT_EQ(parallelZlibPieceCount(100 * Piece, 0), 1u);
    EXPECT_EQ(parallelZlibPieceCount(100 * Piece, -4), 1u);
}

TEST(ParallelZlib, EverySizeAndThreadCountReadsBackExactly)
{
    const std::size_t sizes[] = { 0, 1, 100, Piece - 1, Piece, Piece + 1, 2 * Piece - 1, 2 * Piece, 2 * Piece + 1,
        3 * Piece - 1, 3 * Piece, 3 * Piece + 2, 8 * Piece, 8 * Piece + 7, 9 * Piece - 3 };
    const std::string text = textBytes(9 * Piece, 7);
    for (const int threads : { 1, 2, 3, 8 })
        for (const std::size_t size : sizes)
            expectRoundTrip(text.substr(0, size), threads);
}

TEST(ParallelZlib, SeveralMegabytesOfRandomAndRepetitiveData)
{
    const std::string random = randomBytes(5'000'000, 11);
    const std::string zeros(5'000'000, '\0');
    // A 20 KiB random block over and over: every piece after the first refers back into
    // the one before it, so without the previous piece's window as dictionary each piece
    // would carry the block again.
    const std::string block = randomBytes(20 * 1024, 13);
    std::string repeated;
    while (repeated.size() < 5'000'000)
        repeated += block;
    for (const int threads : { 1, 2, 3, 8 }) {
        const std::string r = expectRoundTrip(random, threads);
        EXPECT_LE(r.size(), random.size() + random.size() / 100); // stored blocks, not worse
        expectRoundTrip(zeros, threads);
        const std::string c = expectRoundTrip(repeated, threads);
        const std::size_t single = qCompressed(repeated).size();
        EXPECT_LE(c.size(), single + 1024) << "the pieces lost the window before them";
    }
}

TEST(ParallelZlib, ARealSnapshotIsHardlyLargerThanQCompresss)
{
    // The benchmark room's shape (bench/make-large-graphml.py) at 30,000 nodes: random
    // edges, twice as many as nodes; a label and a number on each node, a weight on each edge.
    const std::size_t nodeCount = 30'000;
    GraphDocument doc(0x2222, 1);
    std::mt19937 rng(5);
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    TransactionBuilder t = doc.begin();
    std::vector<EntityId> nodes;
    for (std::size_t i = 0; i < nodeCount; ++i) {
        const Vec3 p { float(unit(rng) * 500.0), float(unit(rng) * 500.0), float(unit(rng) * 500.0) };
        nodes.push_back(t.createNode(
            { { { Field::Position, {} }, Value(p) }, { { Field::Label, {} }, Value("node " + std::to_string(i)) },
                { { Field::Property, "score" }, Value(unit(rng)) } }));
    }
    for (std::size_t i = 0; i < 2 * nodeCount; ++i)
        t.createEdge(nodes[rng() % nodeCount], nodes[rng() % nodeCount], false,
            { { { Field::Property, "weight" }, Value(unit(rng)) } });
    doc.commit(t);
    const std::string snapshot = doc.encodeSnapshot();
    ASSERT_GE(parallelZlibPieceCount(snapshot.size(), 8), 8u) << snapshot.size() << " bytes: too small for 8 pieces";
    const std::size_t single = qCompressed(snapshot).size();
    for (const int threads : { 2, 3, 8 }) {
        const std::string c = expectRoundTrip(snapshot, threads);
        EXPECT_LE(c.size(), single + single / 200) << "more than 0.5 % over qCompress on " << threads << " threads";
        GraphDocument back(0x3333, 1);
        std::string error;
        ASSERT_TRUE(back.mergeSnapshot(qUncompressed(c), &error)) << error;
        EXPECT_EQ(back.entityCount(), doc.entityCount());
    }
}
