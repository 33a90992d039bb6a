#pragma once

// Shared by the fuzz targets and the corpus generator: a small seeded document (so that
// fuzzed writes hit entities that exist) and the stream state NODE_MOVEs expand against.

#include "graphdocument.h"
#include "nodemove.h"
#include "protocol.h"

#include <cstdio>
#include <cstdlib>

/// A property of the code under test: on failure, print and abort (libFuzzer saves the input).
#define FUZZ_CHECK(cond)                                                                          \
    do {                                                                                          \
        if (!(cond)) {                                                                            \
            std::fprintf(stderr, "FUZZ_CHECK failed: %s at %s:%d\n", #cond, __FILE__, __LINE__); \
            std::abort();                                                                         \
        }                                                                                         \
    } while (0)

namespace constellate::fuzz {

constexpr ReplicaId DocReplica = 0x1a2b3c4d;
constexpr UserId DocUser = 0x0123456789abcdefull;
constexpr ReplicaId SeedReplica = 0x5e6f7081;
constexpr UserId SeedUser = 77;
constexpr std::uint64_t Now = 1'700'000'000'000ull;

inline HlcClock fixedClock()
{
    return HlcClock([] { return Now; });
}

/// Nodes (SeedReplica, 1..4), an edge 5 from 1 to 2, an annotation 6 on node 1, and a
/// write of node 2's label by DocReplica.
inline Transaction seedTransaction()
{
    TransactionBuilder b(SeedReplica, SeedUser, 1);
    for (int i = 0; i < 4; ++i)
        b.createNode({{{Field::Position, {}}, Value(Vec3 {float(i), 0, 0})}, {{Field::Label, {}}, Value("n")}});
    b.createEdge({SeedReplica, 1}, {SeedReplica, 2}, true, {{{Field::Weight, {}}, Value(2.0)}});
    b.createAnnotation({SeedReplica, 1}, AnnotationKind::Tag, {{{Field::Text, {}}, Value("t")}});
    return b.finish(Hlc::make(Now - 5000, 0));
}

inline Transaction seedWrite()
{
    TransactionBuilder b(DocReplica, DocUser, 1);
    b.set({SeedReplica, 2}, {Field::Label, {}}, Value("mine"), {SeedReplica, 2});
    return b.finish(Hlc::make(Now - 4000, 0));
}

inline void seed(GraphDocument& doc)
{
    doc.apply(seedTransaction());
    doc.apply(seedWrite());
}

/// The uplink stream a NODE_MOVE to the server expands against.
inline net::protocol::ReplicaStream uplinkStream()
{
    net::protocol::ReplicaStream s;
    s.replica = DocReplica;
    s.user = DocUser;
    s.hasLast = true;
    s.lastCounter = 1;
    s.lastHlc = Hlc::make(Now - 4000, 0);
    s.lastTarget = {SeedReplica, 3};
    return s;
}

/// The room a NODE_MOVE to clients expands against: peers 1 (DocReplica), 2 (SeedReplica), 3.
inline net::protocol::StreamState roomStreams()
{
    net::protocol::StreamState room;
    room.addPeer(1, DocReplica, DocUser);
    room.addPeer(2, SeedReplica, SeedUser);
    room.addPeer(3, 0x0a0b0c0d, 5);
    room.update(1, 10, seedWrite());
    room.update(2, 9, seedTransaction());
    return room;
}

} // namespace constellate::fuzz
