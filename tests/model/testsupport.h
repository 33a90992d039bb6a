#pragma once

// Shared by the model tests: replicas with controllable clocks, and delivery helpers.

#include "graphdocument.h"
#include "undohistory.h"

#include <memory>
#include <random>
#include <string>
#include <vector>

namespace constellate::test {

/// A wall clock the test moves by hand (milliseconds).
struct ManualClock {
    std::shared_ptr<std::uint64_t> now = std::make_shared<std::uint64_t>(1'700'000'000'000ull);
    /// A clock reading this one's time plus `skewMs` (a machine whose clock is off).
    HlcClock clock(std::uint64_t skewMs = 0) const
    {
        auto p = now;
        return HlcClock([p, skewMs] { return *p + skewMs; });
    }
    void advance(std::uint64_t ms) { *now += ms; }
};

/// One editing session: a document, its undo history, and what it sent.
struct Replica {
    Replica(ReplicaId replica, UserId user, const ManualClock& clock, std::uint64_t skewMs = 0)
        : document(replica, user, clock.clock(skewMs)), history(document)
    {
    }
    GraphDocument document;
    UndoHistory history;
};

inline FieldRef fieldRef(Field f)
{
    return {f, {}};
}
inline FieldRef propertyRef(std::string name)
{
    return {Field::Property, std::move(name)};
}

} // namespace constellate::test
