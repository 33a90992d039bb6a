// Fuzzes Transaction::decode and applying what decodes to a GraphDocument (seeded, so that
// fuzzed writes meet entities that exist). Properties beyond "no crash, no UB, no leak":
// every operation of a decoded transaction decodes again; applying it twice changes
// nothing the second time; a snapshot of the result merges into an empty document with
// the same canonical hash; with unique operation ids, the order of arrival does not matter.

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
    // A transaction that reuses operation ids the seed holds is a forgery (ids are unique):
    // the document keeps what arrived first and ignores it.
    const TransactionHeader& h = t->header();
    const bool reusesIds = doc.versionVector().overlaps(h.replica, h.firstCounter, h.lastCounter());
    FUZZ_CHECK(doc.apply(*t).applied != reusesIds);
    const std::string hash = doc.canonicalHash();
    FUZZ_CHECK(!doc.apply(*t).applied);
    FUZZ_CHECK(doc.canonicalHash() == hash);

    GraphDocument copy(0x77777777, 9, fuzz::fixedClock());
    FUZZ_CHECK(copy.mergeSnapshot(doc.encodeSnapshot(), &error));
    FUZZ_CHECK(copy.canonicalHash() == hash);

    // The same operations in the other order (the transaction first, then the seed) give
    // the same document, as long as operation ids are unique.
    if (reusesIds)
        return 0;
    GraphDocument other(fuzz::DocReplica, fuzz::DocUser, fuzz::fixedClock());
    other.apply(*t);
    fuzz::seed(other);
    FUZZ_CHECK(other.canonicalHash() == hash);
    return 0;
}
