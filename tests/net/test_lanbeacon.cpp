// LAN discovery: the beacon datagram's codec (every field, every refusal), and a real
// LanBeacon heard by a real LanBrowser over loopback (never the LAN: every beacon here is
// sent to 127.0.0.1 only, to a port the browser picked).

#include "lanannouncement.h"
#include "lanbeacon.h"
#include "lanbrowser.h"
#include "eventloopwait.h"

#include <QUdpSocket>

#include <gtest/gtest.h>

#include <set>

using namespace constellate;
using namespace constellate::net;
using constellate::test::waitFor;

namespace {

LanAnnouncement sample()
{
    LanAnnouncement a;
    a.hostId = 0x1122334455667788ull;
    a.hostName = "Zoë";
    a.room = "les-mis_2.graph";
    a.port = 7878;
    a.secure = true;
    a.keyNeeded = true;
    a.people = 3;
    a.intervalMs = 2000;
    a.roomId = 0x0102030405060708ull;
    a.continues = 0x8877665544332211ull;
    return a;
}

std::string encoded(const LanAnnouncement& a)
{
    return encodeLanAnnouncement(a);
}

bool refused(const std::string& bytes, const std::string& expected)
{
    std::string why;
    const bool no = !decodeLanAnnouncement(bytes, &why).has_value();
    EXPECT_NE(why.find(expected), std::string::npos) << "error was: " << why;
    return no;
}

/// A browser on loopback, on a port the system picks; beacons are pointed at it.
struct LoopbackBrowser {
    LanBrowser browser;
    explicit LoopbackBrowser(std::size_t maxSessions = 256)
        : browser(LanBrowserOptions {0, QHostAddress::LocalHost, maxSessions})
    {
        QString error;
        EXPECT_TRUE(browser.start(&error)) << error.toStdString();
    }
    LanBeaconOptions beaconOptions(int intervalMs = 2000) const
    {
        LanBeaconOptions o;
        o.port = browser.port();
        o.targets = {QHostAddress::LocalHost};
        o.intervalMs = intervalMs;
        return o;
    }
};

const LanSession* find(const LanBrowser& b, std::uint64_t hostId)
{
    for (const LanSession& s : b.sessions())
        if (s.announcement.hostId == hostId)
            return &s;
    return nullptr;
}

} // namespace

TEST(LanAnnouncement, RoundTripsEveryField)
{
    const LanAnnouncement a = sample();
    const std::string bytes = encoded(a);
    EXPECT_EQ(bytes.substr(0, 4), "CSTL");
    LanAnnouncement typical = a;
    typical.hostName = "Ann";
    typical.room = "lesmis";
    EXPECT_EQ(encoded(typical).size(), 46u) << "docs/protocol.md, LAN discovery, quotes it";
    std::string why;
    const std::optional<LanAnnouncement> back = decodeLanAnnouncement(bytes, &why);
    ASSERT_TRUE(back) << why;
    EXPECT_EQ(*back, a);

    LanAnnouncement plain = a;
    plain.secure = plain.keyNeeded = false;
    plain.leaving = true;
    plain.continues = 0;
    plain.people = 65535;
    plain.port = 1;
    plain.intervalMs = LanAnnouncement::MinIntervalMs;
    plain.hostName = std::string(64, 'h');
    plain.room = std::string(128, 'r');
    ASSERT_TRUE(decodeLanAnnouncement(encoded(plain)));
    EXPECT_EQ(*decodeLanAnnouncement(encoded(plain)), plain);
}

TEST(LanAnnouncement, LaterVersionsMayAppendFieldsAndUseReservedFlags)
{
    std::string bytes = encoded(sample());
    bytes[4] = 2;                         // a later version
    bytes[5] = char(bytes[5] | 0xf8);     // reserved flag bits
    bytes += "more fields";
    const std::optional<LanAnnouncement> back = decodeLanAnnouncement(bytes);
    ASSERT_TRUE(back);
    EXPECT_EQ(back->room, sample().room);
    EXPECT_TRUE(back->secure && back->keyNeeded && !back->leaving);
}

TEST(LanAnnouncement, RefusesWhatIsNotABeacon)
{
    const std::string good = encoded(sample());
    EXPECT_TRUE(refused("", "no magic"));
    EXPECT_TRUE(refused("CST", "no magic"));
    EXPECT_TRUE(refused("XSTL" + good.substr(4), "no magic"));
    std::string v0 = good;
    v0[4] = 0;
    EXPECT_TRUE(refused(v0, "version 0"));
    // Cut anywhere: refused, never read past the end.
    for (std::size_t n = 4; n < good.size(); ++n)
        EXPECT_FALSE(decodeLanAnnouncement(good.substr(0, n))) << "cut at " << n;
    EXPECT_TRUE(refused(good + std::string(LanAnnouncement::MaxDatagramBytes, '\0'), "more than 512"));
}

TEST(LanAnnouncement, RefusesOutOfRangeFields)
{
    auto with = [](auto change) {
        LanAnnouncement a = sample();
        change(a);
        return encoded(a);
    };
    EXPECT_TRUE(refused(with([](LanAnnouncement& a) { a.hostId = 0; }), "host id"));
    EXPECT_TRUE(refused(with([](LanAnnouncement& a) { a.roomId = 0; }), "room id"));
    EXPECT_TRUE(refused(with([](LanAnnouncement& a) { a.port = 0; }), "port 0"));
    EXPECT_TRUE(refused(with([](LanAnnouncement& a) { a.people = 65536; }), "65536 people"));
    EXPECT_TRUE(refused(with([](LanAnnouncement& a) { a.intervalMs = 49; }), "every 49 ms"));
    EXPECT_TRUE(refused(with([](LanAnnouncement& a) { a.intervalMs = 60'001; }), "every 60001 ms"));
    EXPECT_TRUE(refused(with([](LanAnnouncement& a) { a.hostName.clear(); }), "host name"));
    EXPECT_TRUE(refused(with([](LanAnnouncement& a) { a.hostName = "bell\a"; }), "control characters"));
    EXPECT_TRUE(refused(with([](LanAnnouncement& a) { a.hostName = std::string(65, 'h'); }), "damaged"));
    EXPECT_TRUE(refused(with([](LanAnnouncement& a) { a.hostName = "\xc3\x28"; }), "UTF-8"));
    EXPECT_TRUE(refused(with([](LanAnnouncement& a) { a.room = "a/b"; }), "room name"));
    EXPECT_TRUE(refused(with([](LanAnnouncement& a) { a.room = ".."; }), "room name"));
    EXPECT_TRUE(refused(with([](LanAnnouncement& a) { a.room.clear(); }), "room name"));
    EXPECT_TRUE(refused(with([](LanAnnouncement& a) { a.room = std::string(129, 'r'); }), "damaged"));

    // A port past 16 bits, written by hand: the varint itself decodes.
    std::string bytes = encoded(sample());
    constexpr std::size_t PortAt = 4 + 1 + 1 + 3 * 8; // magic, version, flags, three ids
    ASSERT_EQ(bytes.substr(PortAt, 2), "\xc6\x3d"); // 7878 as a varint
    bytes.replace(PortAt, 2, "\x80\x80\x04"); // 65536
    EXPECT_TRUE(refused(bytes, "port 65536"));
}

TEST(LanAnnouncement, RoomIdsHideTheEpochAndTellRoomsApart)
{
    EXPECT_EQ(lanRoomId(42), lanRoomId(42));
    EXPECT_NE(lanRoomId(42), 42u);
    std::set<std::uint64_t> ids;
    for (std::uint64_t epoch = 1; epoch <= 1000; ++epoch) {
        EXPECT_NE(lanRoomId(epoch), 0u);
        ids.insert(lanRoomId(epoch));
    }
    EXPECT_EQ(ids.size(), 1000u);
}

TEST(LanDiscovery, ABeaconOnLoopbackIsHeardAndFollowed)
{
    LoopbackBrowser b;
    ASSERT_TRUE(b.browser.isListening());
    ASSERT_NE(b.browser.port(), 0);
    int changes = 0;
    QObject::connect(&b.browser, &LanBrowser::sessionsChanged, [&] { ++changes; });

    LanBeacon beacon(b.beaconOptions());
    LanAnnouncement a = sample();
    a.secure = false;
    beacon.announce(a);
    EXPECT_TRUE(beacon.isAnnouncing());
    EXPECT_EQ(beacon.lastTargets(), QList<QHostAddress> {QHostAddress::LocalHost});
    ASSERT_TRUE(waitFor([&] { return find(b.browser, a.hostId) != nullptr; }));
    const LanSession* s = find(b.browser, a.hostId);
    EXPECT_EQ(s->announcement.hostName, "Zoë");
    EXPECT_EQ(s->announcement.room, "les-mis_2.graph");
    EXPECT_EQ(s->announcement.people, 3u);
    EXPECT_TRUE(s->announcement.keyNeeded);
    EXPECT_EQ(s->announcement.continues, a.continues);
    EXPECT_EQ(s->address, QHostAddress(QHostAddress::LocalHost));
    EXPECT_EQ(s->url(), QUrl(QStringLiteral("ws://127.0.0.1:7878/rooms/les-mis_2.graph")));

    // A change goes out at once, not at the next interval (2 s away).
    a.people = 4;
    a.keyNeeded = false;
    beacon.announce(a);
    ASSERT_TRUE(waitFor([&] { return find(b.browser, a.hostId)->announcement.people == 4u; }));
    EXPECT_FALSE(find(b.browser, a.hostId)->announcement.keyNeeded);
    EXPECT_EQ(b.browser.sessions().size(), 1u);

    // Stopping says so: the session goes without waiting for it to expire.
    const int before = changes;
    beacon.stop();
    EXPECT_FALSE(beacon.isAnnouncing());
    ASSERT_TRUE(waitFor([&] { return b.browser.sessions().empty(); }));
    EXPECT_GT(changes, before);
    EXPECT_EQ(b.browser.malformedCount(), 0u);
}

TEST(LanDiscovery, BeaconsRepeatAndSessionsExpireAfterMissedOnes)
{
    LoopbackBrowser b;
    {
        LanBeacon beacon(b.beaconOptions(60));
        beacon.announce(sample());
        ASSERT_TRUE(waitFor([&] { return beacon.sentCount() >= 4; })) << "a beacon every interval";
        ASSERT_EQ(b.browser.sessions().size(), 1u);
        EXPECT_EQ(b.browser.sessions().front().announcement.intervalMs, 60u);
    }
    ASSERT_TRUE(waitFor([&] { return b.browser.sessions().empty(); })); // its leaving beacon

    // A host that vanishes without a word (a crash, a cable): gone after three missed beacons.
    LanAnnouncement a = sample();
    a.intervalMs = 60;
    const std::string bytes = encodeLanAnnouncement(a);
    QUdpSocket raw;
    ASSERT_EQ(raw.writeDatagram(bytes.data(), qint64(bytes.size()), QHostAddress::LocalHost, b.browser.port()),
              qint64(bytes.size()));
    ASSERT_TRUE(waitFor([&] { return b.browser.sessions().size() == 1; }));
    ASSERT_TRUE(waitFor([&] { return b.browser.sessions().empty(); }));
}

TEST(LanDiscovery, MalformedDatagramsAreCountedAndFloodsStayBounded)
{
    LoopbackBrowser b(3);
    QUdpSocket raw;
    auto send = [&](const std::string& bytes) {
        raw.writeDatagram(bytes.data(), qint64(bytes.size()), QHostAddress::LocalHost, b.browser.port());
    };
    send("hello");
    send(std::string(2000, 'x'));
    std::string big = encodeLanAnnouncement(sample());
    big += std::string(600, '\0');
    send(big);
    ASSERT_TRUE(waitFor([&] { return b.browser.malformedCount() == 3; }));
    EXPECT_TRUE(b.browser.sessions().empty());
    EXPECT_FALSE(b.browser.lastMalformed().isEmpty());

    for (std::uint64_t host = 1; host <= 5; ++host) {
        LanAnnouncement a = sample();
        a.hostId = host;
        a.hostName = "host" + std::to_string(host);
        send(encodeLanAnnouncement(a));
    }
    // The sixth datagram is known to arrive after the five (one socket, in order).
    LanAnnouncement last = sample();
    last.hostId = 1;
    last.hostName = "host1";
    last.people = 9;
    send(encodeLanAnnouncement(last));
    ASSERT_TRUE(waitFor([&] { return find(b.browser, 1) && find(b.browser, 1)->announcement.people == 9u; }));
    EXPECT_EQ(b.browser.sessions().size(), 3u);
    // Sorted by host name.
    EXPECT_EQ(b.browser.sessions()[0].announcement.hostName, "host1");
    EXPECT_EQ(b.browser.sessions()[2].announcement.hostName, "host3");
}

TEST(LanDiscovery, BroadcastAddressesLeaveLoopbackOut)
{
    // Whatever this machine has: never a loopback address, only IPv4 broadcasts.
    for (const QHostAddress& a : LanBeacon::broadcastAddresses()) {
        EXPECT_FALSE(a.isLoopback()) << a.toString().toStdString();
        EXPECT_EQ(a.protocol(), QAbstractSocket::IPv4Protocol);
    }
}
