// Fuzzes GraphDocument::mergeSnapshot. Properties beyond "no crash, no UB, no leak": a
// refused snapshot changes nothing; an accepted one merges idempotently, and what it
// holds survives its own snapshot round trip.

#include "fuzzsupport.h"

#include <string>
#include <string_view>

using namespace constellate;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    GraphDocument doc(fuzz::DocReplica, fuzz::DocUser, fuzz::fixedClock());
    fuzz::seed(doc);
    const std::string before = doc.canonicalHash();
    std::string error;
    if (!doc.mergeSnapshot(input, &error)) {
        FUZZ_CHECK(!error.empty());
        FUZZ_CHECK(doc.canonicalHash() == before);
        return 0;
    }
    const std::string hash = doc.canonicalHash();
    FUZZ_CHECK(doc.mergeSnapshot(input, &error));
    FUZZ_CHECK(doc.canonicalHash() == hash);

    GraphDocument copy(0x66666666, 8, fuzz::fixedClock());
    FUZZ_CHECK(copy.mergeSnapshot(doc.encodeSnapshot(), &error));
    FUZZ_CHECK(copy.canonicalHash() == hash);

    // Into an empty document, and back out: the snapshot's content survives a round trip.
    GraphDocument fresh(0x77777777, 9, fuzz::fixedClock());
    FUZZ_CHECK(fresh.mergeSnapshot(input, &error));
    GraphDocument again(0x55555555, 7, fuzz::fixedClock());
    FUZZ_CHECK(again.mergeSnapshot(fresh.encodeSnapshot(), &error));
    FUZZ_CHECK(again.canonicalHash() == fresh.canonicalHash());
    // (Merging commutes only when equal stamps mean equal values, which a fuzzed snapshot
    // need not respect: a forged register may reuse the seed's operation ids.)
    return 0;
}
