// Fuzzes Transaction::decode and applying what decodes to a GraphDocument (seeded, so that
// fuzzed writes meet entities that exist). Properties beyond "no crash, no UB, no leak":
// every operation of a decoded transaction decodes again; applying it twice changes
// nothing the second time; a snapshot of the result merges into an empty document with
// the same canonical hash.

#include "fuzzsupport.h"

#include <string>

using namespace constellate;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    std::string error;
    const std::optional<Transaction> t = Transaction::decode(std::string(reinterpret_cast<const char*>(data), size), &error);
    if (!t) {
        FUZZ_CHECK(!error.empty());
        return 0;
    }
    std::uint32_t ops = 0;
    t->forEachOp([&](std::uint32_t index, const Operation&) { FUZZ_CHECK(index == ops++); });
    FUZZ_CHECK(ops == t->header().opCount);

    GraphDocument doc(fuzz::DocReplica, fuzz::DocUser, fuzz::fixedClock());
    fuzz::seed(doc);
    doc.apply(*t);
    const std::string hash = doc.canonicalHash();
    doc.apply(*t);
    FUZZ_CHECK(doc.canonicalHash() == hash);
    FUZZ_CHECK(doc.has(t->header()));

    GraphDocument copy(0x77777777, 9, fuzz::fixedClock());
    FUZZ_CHECK(copy.mergeSnapshot(doc.encodeSnapshot(), &error));
    FUZZ_CHECK(copy.canonicalHash() == hash);

    // The same operations in the other order (the transaction first, then the seed) give
    // the same document.
    GraphDocument other(fuzz::DocReplica, fuzz::DocUser, fuzz::fixedClock());
    other.apply(*t);
    fuzz::seed(other);
    FUZZ_CHECK(other.canonicalHash() == hash);
    return 0;
}
