#include "versionvector.h"

#include <algorithm>
#include <cstdio>

namespace constellate {

bool VersionVector::contains(ReplicaId replica, std::uint32_t first, std::uint32_t last) const
{
    auto it = m_entries.find(replica);
    if (it == m_entries.end())
        return false;
    const Entry& e = it->second;
    if (last <= e.contiguous)
        return true;
    if (first <= e.contiguous)
        first = e.contiguous + 1;
    // The range must lie inside one stored range (stored ranges are merged when adjacent).
    auto r = e.ranges.upper_bound(first);
    if (r == e.ranges.begin())
        return false;
    --r;
    return r->first <= first && r->second >= last;
}

bool VersionVector::overlaps(ReplicaId replica, std::uint32_t first, std::uint32_t last) const
{
    auto it = m_entries.find(replica);
    if (it == m_entries.end())
        return false;
    const Entry& e = it->second;
    if (first <= e.contiguous)
        return true;
    auto r = e.ranges.upper_bound(last);
    if (r == e.ranges.begin())
        return false;
    --r;
    return r->second >= first;
}

void VersionVector::add(ReplicaId replica, std::uint32_t first, std::uint32_t last)
{
    if (first == 0 || last < first)
        return;
    Entry& e = m_entries[replica];
    if (last <= e.contiguous)
        return;
    first = std::max(first, e.contiguous + 1);
    // Merge with overlapping or adjacent ranges.
    auto it = e.ranges.upper_bound(first);
    if (it != e.ranges.begin()) {
        auto prev = std::prev(it);
        if (std::uint64_t(prev->second) + 1 >= first) {
            first = prev->first;
            last = std::max(last, prev->second);
            it = e.ranges.erase(prev);
        }
    }
    while (it != e.ranges.end() && std::uint64_t(last) + 1 >= it->first) {
        last = std::max(last, it->second);
        it = e.ranges.erase(it);
    }
    if (first == e.contiguous + 1)
        e.contiguous = last;
    else
        e.ranges.emplace(first, last);
}

std::uint32_t VersionVector::contiguous(ReplicaId replica) const
{
    auto it = m_entries.find(replica);
    return it == m_entries.end() ? 0 : it->second.contiguous;
}

std::uint32_t VersionVector::highest(ReplicaId replica) const
{
    auto it = m_entries.find(replica);
    if (it == m_entries.end())
        return 0;
    return it->second.ranges.empty() ? it->second.contiguous : it->second.ranges.rbegin()->second;
}

bool VersionVector::covers(const VersionVector& other) const
{
    for (const auto& [replica, e] : other.m_entries) {
        if (e.contiguous && !contains(replica, 1, e.contiguous))
            return false;
        for (const auto& [first, last] : e.ranges)
            if (!contains(replica, first, last))
                return false;
    }
    return true;
}

std::vector<std::pair<ReplicaId, std::uint32_t>> VersionVector::summary() const
{
    std::vector<std::pair<ReplicaId, std::uint32_t>> out;
    out.reserve(m_entries.size());
    for (const auto& [replica, e] : m_entries)
        out.emplace_back(replica, e.contiguous);
    std::sort(out.begin(), out.end());
    return out;
}

bool VersionVector::hasGaps() const
{
    return std::any_of(m_entries.begin(), m_entries.end(), [](const auto& kv) { return !kv.second.ranges.empty(); });
}

void VersionVector::forEachRange(const std::function<void(ReplicaId, std::uint32_t, std::uint32_t)>& fn) const
{
    std::vector<ReplicaId> replicas;
    for (const auto& kv : m_entries)
        replicas.push_back(kv.first);
    std::sort(replicas.begin(), replicas.end());
    for (ReplicaId r : replicas) {
        const Entry& e = m_entries.at(r);
        if (e.contiguous)
            fn(r, 1, e.contiguous);
        for (const auto& [first, last] : e.ranges)
            fn(r, first, last);
    }
}

std::string VersionVector::toString() const
{
    std::string s = "{";
    for (const auto& [replica, counter] : summary()) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%s%08x:%u", s.size() > 1 ? ", " : "", replica, counter);
        s += buf;
    }
    return s + (hasGaps() ? " +gaps}" : "}");
}

} // namespace constellate
