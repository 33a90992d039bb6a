#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace constellate::net {

/// The UDP port of LAN discovery: beacons are sent to it, browsers listen on it (the same
/// number as the server's default TCP port, so one firewall rule names both).
constexpr std::uint16_t LanDiscoveryPort = 7878;

/// What a hosted session's beacon says about it, one UDP datagram every couple of seconds
/// (docs/protocol.md, "LAN discovery"). The address to join is the datagram's sender.
/// Codec only (no sockets): LanBeacon sends it, LanBrowser reads it.
struct LanAnnouncement {
    static constexpr std::uint8_t Version = 1;
    static constexpr std::size_t MaxDatagramBytes = 512;
    static constexpr std::size_t MaxHostNameBytes = 64;
    static constexpr std::uint32_t MinIntervalMs = 50;
    static constexpr std::uint32_t MaxIntervalMs = 60'000;

    std::uint64_t hostId = 0;  ///< random per hosting session, never 0: tells beacons apart
    std::string hostName;      ///< the host's display name: 1 to 64 bytes of UTF-8, no control characters
    std::string room;          ///< the room's name (the protocol's room name rules)
    std::uint16_t port = 0;    ///< the server's TCP port (1 to 65535)
    bool secure = false;       ///< wss:// rather than ws://
    bool keyNeeded = false;    ///< the room asks for an access key
    bool leaving = false;      ///< the last beacon: the session ends (browsers drop it at once)
    std::uint32_t people = 0;  ///< connected to the room now, the host included (0 to 65535)
    std::uint32_t intervalMs = 2000; ///< until the next beacon: browsers expire a session after three missed
    /// An id of the room's store (a hash of its epoch, never the epoch itself): equal for
    /// everyone in the same room, new when a room is hosted again from someone's copy.
    std::uint64_t roomId = 0;
    /// The roomId of the room this one continues (a host handover), 0 for none: guests of
    /// that room whose host left are offered to join this one.
    std::uint64_t continues = 0;

    friend bool operator==(const LanAnnouncement&, const LanAnnouncement&) = default;
};

/// The datagram's bytes.
std::string encodeLanAnnouncement(const LanAnnouncement& announcement);
/// Checks every byte (magic, version, flags, ranges, UTF-8, names, length); nullopt with
/// `error` set (when given) on anything else. Bytes after the last field are ignored: later
/// versions of the datagram may append fields.
std::optional<LanAnnouncement> decodeLanAnnouncement(std::string_view datagram, std::string* error = nullptr);

/// The roomId of a room with this epoch (the first 8 bytes of SHA-256 of a label and the
/// epoch): a guest compares it with a beacon's `continues` without the epoch going on the air.
std::uint64_t lanRoomId(std::uint64_t epoch);

} // namespace constellate::net
