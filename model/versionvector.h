#pragma once

#include "types.h"

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

namespace constellate {

/// Summarises which operations a replica holds: for each replica, the highest counter up
/// to which everything has arrived, plus any ranges that arrived out of order above it.
class VersionVector {
public:
    /// True when every counter in [first, last] has been added.
    bool contains(ReplicaId replica, std::uint32_t first, std::uint32_t last) const;
    bool contains(OpId id) const { return contains(id.replica, id.counter, id.counter); }
    /// True when any counter in [first, last] has been added.
    bool overlaps(ReplicaId replica, std::uint32_t first, std::uint32_t last) const;
    void add(ReplicaId replica, std::uint32_t first, std::uint32_t last);

    /// The highest counter up to which everything from `replica` is here (0: nothing).
    std::uint32_t contiguous(ReplicaId replica) const;
    /// The highest counter seen from `replica`, gaps or not.
    std::uint32_t highest(ReplicaId replica) const;
    /// True when this holds everything `other` summarises.
    bool covers(const VersionVector& other) const;

    /// (replica, contiguous) for every replica, sorted by replica: what a peer is told.
    std::vector<std::pair<ReplicaId, std::uint32_t>> summary() const;
    bool hasGaps() const;
    /// fn(replica, first, last) for every held range, sorted by replica and counter.
    void forEachRange(const std::function<void(ReplicaId, std::uint32_t, std::uint32_t)>& fn) const;
    std::size_t replicaCount() const { return m_entries.size(); }
    std::string toString() const;

    friend bool operator==(const VersionVector&, const VersionVector&) = default;

private:
    struct Entry {
        std::uint32_t contiguous = 0;
        std::map<std::uint32_t, std::uint32_t> ranges; ///< first -> last, all above contiguous + 1
        friend bool operator==(const Entry&, const Entry&) = default;
    };
    std::unordered_map<ReplicaId, Entry> m_entries;
};

} // namespace constellate
