#include "lanannouncement.h"

#include "bytecodec.h"
#include "protocol.h"

#include <QCryptographicHash>

#include <cstring>

namespace constellate::net {

namespace {

constexpr char Magic[4] = {'C', 'S', 'T', 'L'};
constexpr std::uint8_t FlagSecure = 1;
constexpr std::uint8_t FlagKeyNeeded = 2;
constexpr std::uint8_t FlagLeaving = 4;
constexpr std::uint32_t MaxPeople = 65535;

std::optional<LanAnnouncement> refuse(std::string* error, std::string why)
{
    if (error)
        *error = std::move(why);
    return std::nullopt;
}

} // namespace

std::string encodeLanAnnouncement(const LanAnnouncement& a)
{
    std::string out;
    out.append(Magic, sizeof Magic);
    ByteWriter w(out);
    w.u8(LanAnnouncement::Version);
    w.u8(std::uint8_t((a.secure ? FlagSecure : 0) | (a.keyNeeded ? FlagKeyNeeded : 0) | (a.leaving ? FlagLeaving : 0)));
    w.u64(a.hostId);
    w.u64(a.roomId);
    w.u64(a.continues);
    w.varint(a.port);
    w.varint(a.people);
    w.varint(a.intervalMs);
    w.bytes(a.hostName);
    w.bytes(a.room);
    return out;
}

std::optional<LanAnnouncement> decodeLanAnnouncement(std::string_view datagram, std::string* error)
{
    if (datagram.size() > LanAnnouncement::MaxDatagramBytes)
        return refuse(error, "a beacon of " + std::to_string(datagram.size()) + " bytes: more than "
                                 + std::to_string(LanAnnouncement::MaxDatagramBytes));
    if (datagram.size() < sizeof Magic || std::memcmp(datagram.data(), Magic, sizeof Magic) != 0)
        return refuse(error, "not a Constellate beacon (no magic)");
    ByteReader r(datagram.substr(sizeof Magic));
    const std::uint8_t version = r.u8();
    if (r.ok() && version < LanAnnouncement::Version)
        return refuse(error, "beacon version " + std::to_string(version) + " is unknown");
    const std::uint8_t flags = r.u8(); // bits 3-7 reserved: ignored (later versions may use them)
    LanAnnouncement a;
    a.secure = flags & FlagSecure;
    a.keyNeeded = flags & FlagKeyNeeded;
    a.leaving = flags & FlagLeaving;
    a.hostId = r.u64();
    a.roomId = r.u64();
    a.continues = r.u64();
    const std::uint64_t port = r.varint();
    const std::uint64_t people = r.varint();
    const std::uint64_t interval = r.varint();
    const std::string_view hostName = r.utf8(LanAnnouncement::MaxHostNameBytes);
    const std::string_view room = r.bytes(protocol::MaxRoomNameBytes);
    if (!r.ok())
        return refuse(error, "a damaged beacon: " + r.error());
    if (a.hostId == 0 || a.roomId == 0)
        return refuse(error, "a beacon without a host id or a room id");
    if (port == 0 || port > 65535)
        return refuse(error, "a beacon with port " + std::to_string(port) + " (1 to 65535)");
    if (people > MaxPeople)
        return refuse(error, "a beacon with " + std::to_string(people) + " people (at most 65535)");
    if (interval < LanAnnouncement::MinIntervalMs || interval > LanAnnouncement::MaxIntervalMs)
        return refuse(error, "a beacon every " + std::to_string(interval) + " ms (50 to 60000)");
    if (hostName.empty() || !protocol::isValidName(hostName))
        return refuse(error, "a beacon whose host name is empty or holds control characters");
    if (!protocol::isValidRoomName(room))
        return refuse(error, "a beacon for a room name outside 1 to 128 of A-Z a-z 0-9 . _ -");
    a.port = std::uint16_t(port);
    a.people = std::uint32_t(people);
    a.intervalMs = std::uint32_t(interval);
    a.hostName = std::string(hostName);
    a.room = std::string(room);
    return a;
}

std::uint64_t lanRoomId(std::uint64_t epoch)
{
    QCryptographicHash h(QCryptographicHash::Sha256);
    h.addData(QByteArrayView("constellate-lan-room-v1"));
    char bytes[8];
    std::memcpy(bytes, &epoch, sizeof bytes);
    h.addData(QByteArrayView(bytes, sizeof bytes));
    const QByteArray digest = h.result();
    std::uint64_t id = 0;
    std::memcpy(&id, digest.constData(), sizeof id);
    return id == 0 ? 1 : id;
}

} // namespace constellate::net
