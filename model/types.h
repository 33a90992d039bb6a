#pragma once

#include <cmath>
#include <compare>
#include <cstdint>
#include <functional>
#include <string>

namespace constellate {

/// A replica: one editing session or device. Random 32 bits; the server refuses one
/// already taken in a room.
using ReplicaId = std::uint32_t;

/// A user: one profile, kept in the user's settings. Random 64 bits; 0 means "unknown".
using UserId = std::uint64_t;

/// Identifies one operation everywhere: the replica that made it and that replica's
/// counter (1, 2, 3, ...; 0 is never used). The counter is saved before use, so a restarted
/// replica never hands out the same id twice.
struct OpId {
    ReplicaId replica = 0;
    std::uint32_t counter = 0;

    constexpr bool isNull() const { return counter == 0; }
    constexpr std::uint64_t packed() const { return (std::uint64_t(replica) << 32) | counter; }
    static constexpr OpId fromPacked(std::uint64_t v) { return {ReplicaId(v >> 32), std::uint32_t(v)}; }
    friend constexpr bool operator==(OpId, OpId) = default;
    friend constexpr auto operator<=>(OpId a, OpId b) { return a.packed() <=> b.packed(); }
    std::string toString() const; ///< "r1a2b3c4d:17", for messages and logs
};

/// Entities (nodes, edges, annotations) are named by the id of the operation that
/// created them, so two replicas can create entities at once without coordination.
using EntityId = OpId;

/// Hybrid logical clock: milliseconds since the Unix epoch in the high 48 bits, a logical
/// counter in the low 16. It never runs backwards on one replica and always moves past
/// every timestamp the replica has seen.
class Hlc {
public:
    constexpr Hlc() = default;
    constexpr explicit Hlc(std::uint64_t raw) : m_raw(raw) {}
    static constexpr Hlc make(std::uint64_t millis, std::uint16_t logical) { return Hlc((millis << 16) | logical); }

    constexpr std::uint64_t raw() const { return m_raw; }
    constexpr std::uint64_t millis() const { return m_raw >> 16; }
    constexpr std::uint16_t logical() const { return std::uint16_t(m_raw & 0xffff); }
    friend constexpr auto operator<=>(Hlc, Hlc) = default;

private:
    std::uint64_t m_raw = 0;
};

/// The total order of writes to one field: timestamp first, then replica id (equal
/// timestamps are broken by replica id), then the counter (two writes of one transaction).
struct Stamp {
    Hlc hlc;
    OpId op;

    friend constexpr bool operator==(const Stamp&, const Stamp&) = default;
    friend constexpr auto operator<=>(const Stamp& a, const Stamp& b)
    {
        if (auto c = a.hlc <=> b.hlc; c != 0)
            return c;
        if (auto c = a.op.replica <=> b.op.replica; c != 0)
            return c;
        return a.op.counter <=> b.op.counter;
    }
};

/// A position in the graph's space, float32 as on the wire.
struct Vec3 {
    float x = 0, y = 0, z = 0;
    friend constexpr bool operator==(const Vec3&, const Vec3&) = default;
    bool isFinite() const { return std::isfinite(x) && std::isfinite(y) && std::isfinite(z); }
};

/// An sRGB color with alpha, 0xRRGGBBAA.
using Rgba = std::uint32_t;

} // namespace constellate

template<>
struct std::hash<constellate::OpId> {
    std::size_t operator()(constellate::OpId id) const noexcept
    {
        // splitmix64 finaliser: ids are dense counters, so spread them.
        std::uint64_t x = id.packed() + 0x9e3779b97f4a7c15ull;
        x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
        x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
        return std::size_t(x ^ (x >> 31));
    }
};
