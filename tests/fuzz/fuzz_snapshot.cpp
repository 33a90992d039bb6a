// Fuzzes GraphDocument::mergeSnapshot. Properties beyond "no crash, no UB, no leak": a
// refused snapshot changes nothing; an accepted one merges idempotently and commutes with
// the seed (a join), and the result survives its own snapshot round trip.

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

    GraphDocument other(0x77777777, 9, fuzz::fixedClock());
    FUZZ_CHECK(other.mergeSnapshot(input, &error));
    fuzz::seed(other);
    FUZZ_CHECK(other.canonicalHash() == hash);

    GraphDocument copy(0x66666666, 8, fuzz::fixedClock());
    FUZZ_CHECK(copy.mergeSnapshot(doc.encodeSnapshot(), &error));
    FUZZ_CHECK(copy.canonicalHash() == hash);
    return 0;
}
