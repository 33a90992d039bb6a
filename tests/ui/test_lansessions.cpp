// LAN sessions and host handover with the editor's own EditorSession (no windows):
//
// - discovery between two network namespaces this test makes itself (iproute2: a veth pair,
//   10.213.0.1 and .2): a host in one, announcing on every interface that can broadcast as
//   the editor does (there: only the veth), found and joined from the other (lan_peer
//   processes); skipped with a message where namespaces cannot be made;
// - the same over loopback (always runs): beacons are sent to 127.0.0.1 only;
// - a host handover: A hosts, B and C edit; A quits; B and C edit offline; B hosts from
//   its copy and announces it (to loopback); C is offered B's session, joins, and both
//   end with the same document holding every edit of A, B and C.
//
// Nothing here sends to the real LAN: hosts either announce to 127.0.0.1 or run inside the
// test's namespaces, whose only link is the test's own veth pair.

#include "editorsession.h"
#include "eventloopwait.h"
#include "lanbrowser.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QProcess>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QThread>

#include <gtest/gtest.h>

#include <functional>
#include <optional>

using namespace constellate;
using namespace constellate::ui;

namespace {

using constellate::test::waitFor;

const QString Lesmis = QStringLiteral(CONSTELLATE_TEST_GRAPHS "/lesmis.gexf");

class LanSessionsTest : public ::testing::Test {
protected:
    static void SetUpTestSuite()
    {
        // Owner tokens (QSettings) go to ~/.qttest, never a user's profile.
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName(QStringLiteral("ConstellateTests"));
        QCoreApplication::setApplicationName(QStringLiteral("test_lansessions"));
    }
    void SetUp() override { ASSERT_TRUE(m_data.isValid()); }

    /// A browser on loopback, on a port the system picks, and beacon options aimed at it.
    void listenOnLoopback(net::LanBrowser& browser)
    {
        browser.setOptions(net::LanBrowserOptions {0, QHostAddress::LocalHost, 256});
        QString error;
        ASSERT_TRUE(browser.start(&error)) << error.toStdString();
    }
    static EditorSession::HostOptions hostOptions(const QString& dataDir, const net::LanBrowser* announceTo)
    {
        EditorSession::HostOptions o;
        o.port = 0;
        o.bind = QHostAddress::LocalHost;
        o.dataDir = dataDir;
        if (announceTo) {
            o.announce = true;
            o.beacon.targets = {QHostAddress::LocalHost};
            o.beacon.port = announceTo->port();
            o.beacon.intervalMs = 100;
        }
        return o;
    }
    static const net::LanSession* sessionOf(const net::LanBrowser& b, const std::string& hostName)
    {
        for (const net::LanSession& s : b.sessions())
            if (s.announcement.hostName == hostName)
                return &s;
        return nullptr;
    }
    static bool online(const EditorSession& s)
    {
        return s.client() && s.client()->state() == net::SyncClient::State::Online;
    }
    static bool settled(const EditorSession& s) { return online(s) && s.client()->pendingCount() == 0; }
    QString dir(const char* name) const { return m_data.path() + QLatin1Char('/') + QLatin1String(name); }

    QTemporaryDir m_data;
};

// ---- two network namespaces -------------------------------------------------------------

/// Two network namespaces joined by a veth pair (A 10.213.0.1/24, B 10.213.0.2/24), made by
/// `ip` and deleted (with the pair) when this goes. Names carry the process id, so parallel
/// runs do not meet.
class NamespacePair {
public:
    NamespacePair()
    {
        const QString id = QString::number(QCoreApplication::applicationPid());
        a = QStringLiteral("cst-lan-%1-a").arg(id);
        b = QStringLiteral("cst-lan-%1-b").arg(id);
        m_vethA = QStringLiteral("cla%1").arg(id);
        m_vethB = QStringLiteral("clb%1").arg(id);
        const QList<QStringList> steps = {
            {QStringLiteral("netns"), QStringLiteral("add"), a},
            {QStringLiteral("netns"), QStringLiteral("add"), b},
            {QStringLiteral("link"), QStringLiteral("add"), m_vethA, QStringLiteral("netns"), a, QStringLiteral("type"),
             QStringLiteral("veth"), QStringLiteral("peer"), QStringLiteral("name"), m_vethB, QStringLiteral("netns"), b},
            {QStringLiteral("-n"), a, QStringLiteral("addr"), QStringLiteral("add"), QStringLiteral("10.213.0.1/24"),
             QStringLiteral("brd"), QStringLiteral("+"), QStringLiteral("dev"), m_vethA},
            {QStringLiteral("-n"), b, QStringLiteral("addr"), QStringLiteral("add"), QStringLiteral("10.213.0.2/24"),
             QStringLiteral("brd"), QStringLiteral("+"), QStringLiteral("dev"), m_vethB},
            {QStringLiteral("-n"), a, QStringLiteral("link"), QStringLiteral("set"), QStringLiteral("lo"), QStringLiteral("up")},
            {QStringLiteral("-n"), b, QStringLiteral("link"), QStringLiteral("set"), QStringLiteral("lo"), QStringLiteral("up")},
            {QStringLiteral("-n"), a, QStringLiteral("link"), QStringLiteral("set"), m_vethA, QStringLiteral("up")},
            {QStringLiteral("-n"), b, QStringLiteral("link"), QStringLiteral("set"), m_vethB, QStringLiteral("up")},
            // Running a program inside needs more than making the namespace (a mount of
            // /sys): a container may allow the one and not the other.
            {QStringLiteral("netns"), QStringLiteral("exec"), a, QStringLiteral("true")},
        };
        for (const QStringList& step : steps) {
            if (!ip(step, &problem)) {
                problem = QStringLiteral("ip %1: %2").arg(step.join(QLatin1Char(' ')), problem);
                return;
            }
            m_made = true;
        }
        ok = true;
    }
    ~NamespacePair()
    {
        if (!m_made)
            return;
        // Deleting a namespace deletes the veth end in it, and with it the pair.
        QString ignored;
        ip({QStringLiteral("netns"), QStringLiteral("del"), a}, &ignored);
        ip({QStringLiteral("netns"), QStringLiteral("del"), b}, &ignored);
    }
    NamespacePair(const NamespacePair&) = delete;
    NamespacePair& operator=(const NamespacePair&) = delete;

    /// `ip ARGS`; false with the reason when it fails or is missing.
    static bool ip(const QStringList& args, QString* why, QString* out = nullptr)
    {
        QProcess p;
        p.start(QStringLiteral("ip"), args);
        if (!p.waitForStarted(10'000)) {
            *why = QStringLiteral("cannot run ip (iproute2): %1").arg(p.errorString());
            return false;
        }
        p.waitForFinished(30'000);
        if (out)
            *out = QString::fromUtf8(p.readAllStandardOutput());
        if (p.exitStatus() != QProcess::NormalExit || p.exitCode() != 0) {
            *why = QString::fromUtf8(p.readAllStandardError()).trimmed();
            return false;
        }
        return true;
    }
    QStringList exec(const QString& ns, const QStringList& command) const
    {
        return QStringList {QStringLiteral("netns"), QStringLiteral("exec"), ns} + command;
    }
    bool ok = false;
    QString problem;
    QString a, b;

private:
    QString m_vethA, m_vethB;
    bool m_made = false;
};

/// Reads a process's output lines as they come, keeping the event loop turning.
QString readUntil(QProcess& p, const QString& marker, int timeoutMs = 60'000)
{
    QString out;
    waitFor([&] {
        out += QString::fromUtf8(p.readAllStandardOutput());
        return out.contains(marker) || p.state() == QProcess::NotRunning;
    }, timeoutMs);
    return out;
}

} // namespace

TEST_F(LanSessionsTest, DiscoveryBetweenTwoNetworkNamespaces)
{
    std::optional<NamespacePair> pair(std::in_place);
    if (!pair->ok)
        GTEST_SKIP() << "cannot make network namespaces here (" << pair->problem.toStdString()
                     << "): LoopbackDiscoveryFindsAndJoinsAHostedSession covers sending and receiving beacons";
    const NamespacePair& ns = *pair;

    // This process stays in the machine's own namespace: it must hear nothing of it.
    net::LanBrowser outside;
    QString error;
    const bool listeningOutside = outside.start(&error);

    QProcess host;
    host.setProcessChannelMode(QProcess::SeparateChannels);
    host.start(QStringLiteral("ip"), ns.exec(ns.a, {QStringLiteral(CONSTELLATE_LAN_PEER), QStringLiteral("host"), Lesmis,
                                                    dir("ns-host"), QStringLiteral("200")}));
    ASSERT_TRUE(host.waitForStarted(10'000));
    const QString hosted = readUntil(host, QStringLiteral("announced"));
    const QRegularExpressionMatch m
        = QRegularExpression(QStringLiteral("hosting (\\d+) (\\S+)\\nannounced ([^\\n]*)\\n")).match(hosted);
    ASSERT_TRUE(m.hasMatch()) << hosted.toStdString() << host.readAllStandardError().toStdString();
    const QString port = m.captured(1);
    EXPECT_EQ(m.captured(2), QStringLiteral("lesmis"));
    // The editor's own choice of targets inside namespace A: the veth's broadcast address
    // alone (loopback is never announced on).
    EXPECT_EQ(m.captured(3), QStringLiteral("10.213.0.255"));

    QProcess guest;
    guest.setProcessChannelMode(QProcess::SeparateChannels);
    guest.start(QStringLiteral("ip"), ns.exec(ns.b, {QStringLiteral(CONSTELLATE_LAN_PEER), QStringLiteral("browse"),
                                                     QStringLiteral("lesmis"), QStringLiteral("77"),
                                                     QStringLiteral("60000")}));
    ASSERT_TRUE(guest.waitForStarted(10'000));
    ASSERT_TRUE(waitFor([&] { return guest.state() == QProcess::NotRunning; }, 90'000));
    const QString found = QString::fromUtf8(guest.readAllStandardOutput());
    EXPECT_EQ(guest.exitCode(), 0) << found.toStdString() << guest.readAllStandardError().toStdString();
    // Host name, room, people (the host alone), no key, and the address it came from.
    EXPECT_TRUE(found.contains(QStringLiteral("found lan-host lesmis 1 nokey ws://10.213.0.1:%1/rooms/lesmis\n").arg(port)))
        << found.toStdString();
    EXPECT_TRUE(QRegularExpression(QStringLiteral("joined [0-9a-f]{64}\\n")).match(found).hasMatch()) << found.toStdString();

    host.terminate();
    ASSERT_TRUE(waitFor([&] { return host.state() == QProcess::NotRunning; }));
    EXPECT_EQ(host.exitStatus(), QProcess::NormalExit);
    EXPECT_EQ(host.exitCode(), 0) << host.readAllStandardError().toStdString();

    if (listeningOutside) {
        QCoreApplication::processEvents();
        EXPECT_EQ(sessionOf(outside, "lan-host"), nullptr) << "a beacon left the test's namespaces";
    }

    // Both namespaces and the veth pair are gone with the test.
    const QString a = ns.a, b = ns.b;
    pair.reset();
    QString out, why;
    ASSERT_TRUE(NamespacePair::ip({QStringLiteral("netns"), QStringLiteral("list")}, &why, &out)) << why.toStdString();
    EXPECT_FALSE(out.contains(a) || out.contains(b)) << out.toStdString();
    ASSERT_TRUE(NamespacePair::ip({QStringLiteral("-o"), QStringLiteral("link"), QStringLiteral("show")}, &why, &out));
    EXPECT_FALSE(out.contains(QStringLiteral("cla%1").arg(QCoreApplication::applicationPid()))) << out.toStdString();
}

// ---- loopback ------------------------------------------------------------------------------

TEST_F(LanSessionsTest, LoopbackDiscoveryFindsAndJoinsAHostedSession)
{
    net::LanBrowser browser;
    listenOnLoopback(browser);

    // Not asked to announce: no beacon at all.
    {
        EditorSession quiet(Profile {0x11, QStringLiteral("quiet"), 0});
        QString error;
        ASSERT_TRUE(quiet.host(Lesmis, hostOptions(dir("quiet"), nullptr), &error)) << error.toStdString();
        ASSERT_TRUE(waitFor([&] { return settled(quiet) && quiet.document().count(EntityKind::Node) == 77u; }));
        EXPECT_EQ(quiet.beacon(), nullptr);
    }

    EditorSession host(Profile {0x12, QStringLiteral("ann"), 0});
    QString error;
    ASSERT_TRUE(host.host(Lesmis, hostOptions(dir("ann"), &browser), &error)) << error.toStdString();
    ASSERT_TRUE(waitFor([&] { return sessionOf(browser, "ann") != nullptr; }));
    const net::LanSession s = *sessionOf(browser, "ann");
    EXPECT_EQ(s.announcement.room, "lesmis");
    EXPECT_EQ(s.announcement.port, host.hostedPort());
    EXPECT_EQ(s.announcement.people, 1u);
    EXPECT_FALSE(s.announcement.keyNeeded);
    EXPECT_FALSE(s.announcement.secure);
    EXPECT_EQ(s.announcement.continues, 0u);
    ASSERT_TRUE(waitFor([&] { return host.roomId() != 0; }));
    EXPECT_EQ(s.announcement.roomId, host.roomId());
    EXPECT_EQ(s.url(), QUrl(QStringLiteral("ws://127.0.0.1:%1/rooms/lesmis").arg(host.hostedPort())));
    EXPECT_EQ(browser.sessions().size(), 1u) << "the quiet host announced nothing, even when leaving";

    // Joined through what the beacon said; the people count follows.
    EditorSession guest(Profile {0x13, QStringLiteral("bea"), 0});
    ASSERT_TRUE(guest.join(s.url(), QString(), &error)) << error.toStdString();
    ASSERT_TRUE(waitFor([&] { return online(guest) && guest.document().count(EntityKind::Node) == 77u; }));
    EXPECT_EQ(guest.document().canonicalHash(), host.document().canonicalHash());
    ASSERT_TRUE(waitFor([&] { return sessionOf(browser, "ann") && sessionOf(browser, "ann")->announcement.people == 2u; }));

    // An access key set by the owner: the beacon says one is needed.
    ASSERT_TRUE(host.client()->setRoomAccessKey(QStringLiteral("sesame")));
    ASSERT_TRUE(waitFor([&] { return sessionOf(browser, "ann")->announcement.keyNeeded; }));
    guest.leave();
    ASSERT_TRUE(waitFor([&] { return sessionOf(browser, "ann")->announcement.people == 1u; }));

    // The menu's switch: off goes at once (a leaving beacon), on comes back.
    host.setAnnounce(false);
    EXPECT_EQ(host.beacon(), nullptr);
    ASSERT_TRUE(waitFor([&] { return browser.sessions().empty(); }));
    host.setAnnounce(true);
    ASSERT_TRUE(waitFor([&] { return sessionOf(browser, "ann") != nullptr; }));
    host.leave();
    ASSERT_TRUE(waitFor([&] { return browser.sessions().empty(); }));
}

// ---- host handover ---------------------------------------------------------------------------

namespace {

EntityId nodeLabeled(const GraphDocument& doc, std::string_view label)
{
    EntityId found;
    doc.forEach(EntityKind::Node, [&](const GraphDocument::Entity& e) {
        if (doc.label(e) == label)
            found = e.id;
    });
    return found;
}

} // namespace

TEST_F(LanSessionsTest, HostHandoverMergesEveryonesEditsByVersionVector)
{
    EditorSession a(Profile {0xa1, QStringLiteral("ann"), 0});
    EditorSession b(Profile {0xb2, QStringLiteral("bea"), 0});
    EditorSession c(Profile {0xc3, QStringLiteral("cal"), 0});
    QString error;
    ASSERT_TRUE(a.host(Lesmis, hostOptions(dir("a"), nullptr), &error)) << error.toStdString();
    ASSERT_TRUE(waitFor([&] { return settled(a) && a.document().count(EntityKind::Node) == 77u; }));
    for (EditorSession* guest : {&b, &c})
        ASSERT_TRUE(guest->join(QUrl(QStringLiteral("ws://127.0.0.1:%1/rooms/lesmis").arg(a.hostedPort())), QString(),
                                &error))
            << error.toStdString();
    ASSERT_TRUE(waitFor([&] { return online(b) && online(c) && c.document().count(EntityKind::Node) == 77u
                                  && b.document().count(EntityKind::Node) == 77u; }));

    // C listens to the LAN (here: loopback) as every editor window does.
    net::LanBrowser lan;
    listenOnLoopback(lan);
    c.watchLan(&lan);
    std::vector<net::LanSession> offered;
    QObject::connect(&c, &EditorSession::handoverOffered, [&](const net::LanSession& s) { offered.push_back(s); });
    int lostB = 0, lostC = 0, regainedC = 0;
    QObject::connect(&b, &EditorSession::hostLost, [&] { ++lostB; });
    QObject::connect(&c, &EditorSession::hostLost, [&] { ++lostC; });
    QObject::connect(&c, &EditorSession::hostRegained, [&] { ++regainedC; });

    // Everyone edits while A hosts; A's edits are acknowledged before it leaves.
    const EntityId valjean = nodeLabeled(a.document(), "Valjean");
    const EntityId javert = nodeLabeled(a.document(), "Javert");
    const EntityId fantine = nodeLabeled(a.document(), "Fantine");
    const EntityId cosette = nodeLabeled(a.document(), "Cosette");
    ASSERT_FALSE(valjean.isNull() || javert.isNull() || fantine.isNull() || cosette.isNull());
    const EntityId byAnn = a.addNode(Vec3 {1, 2, 3}, "by ann");
    a.setField({valjean}, FieldRef {Field::Label, {}}, Value("Jean Valjean"), QStringLiteral("Rename"));
    const EntityId byBea = b.addNode(Vec3 {4, 5, 6}, "by bea");
    const EntityId byCal = c.addNode(Vec3 {7, 8, 9}, "by cal");
    ASSERT_TRUE(waitFor([&] {
        return settled(a) && settled(b) && settled(c) && a.document().isVisible(byBea) && a.document().isVisible(byCal)
            && b.document().isVisible(byCal) && c.document().isVisible(byBea) && b.document().isVisible(byAnn)
            && c.document().isVisible(byAnn);
    }));
    const std::uint64_t roomBefore = c.roomId();
    ASSERT_NE(roomBefore, 0u);
    EXPECT_EQ(b.roomId(), roomBefore);

    // A quits. B and C lose their host and go on editing their copies.
    a.leave();
    ASSERT_TRUE(waitFor([&] { return b.hostIsLost() && c.hostIsLost(); }));
    EXPECT_EQ(lostB, 1);
    EXPECT_EQ(lostC, 1);
    const EntityId beaOffline = b.addNode(Vec3 {0, 0, 10}, "bea offline");
    b.setField({javert}, FieldRef {Field::Color, {}}, Value::color(0x00ff00ff), QStringLiteral("Colour"));
    b.connectNodes(byBea, javert, true);
    const EntityId calOffline = c.addNode(Vec3 {0, 0, -10}, "cal offline");
    c.setField({byAnn}, FieldRef {Field::Label, {}}, Value("by ann, renamed by cal"), QStringLiteral("Rename"));
    c.deleteEntities({fantine});
    // Both write the same field while apart: one value wins, the same one for both.
    b.setField({cosette}, FieldRef {Field::Size, {}}, Value(2.0), QStringLiteral("Size"));
    c.setField({cosette}, FieldRef {Field::Size, {}}, Value(3.0), QStringLiteral("Size"));
    EXPECT_GT(b.client()->pendingCount(), 0u);
    EXPECT_GT(c.client()->pendingCount(), 0u);
    EXPECT_NE(b.document().canonicalHash(), c.document().canonicalHash());
    EXPECT_TRUE(offered.empty());

    // B hosts the room from its copy, and announces it.
    ASSERT_TRUE(b.hostFromCopy(hostOptions(dir("b"), &lan), &error)) << error.toStdString();
    EXPECT_TRUE(b.isHosting());
    EXPECT_FALSE(b.hostIsLost());
    ASSERT_TRUE(waitFor([&] { return settled(b); })) << b.statusText().toStdString();
    EXPECT_NE(b.roomId(), roomBefore) << "a new store, a new epoch";
    // Its own offline edits were already in the room's first state: nothing is lost, and
    // nothing duplicated.
    EXPECT_TRUE(b.document().isVisible(beaOffline));

    // C is offered B's session: the same room, continued from the one C lost.
    ASSERT_TRUE(waitFor([&] { return !offered.empty(); }));
    ASSERT_EQ(offered.size(), 1u);
    const net::LanSession s = offered.front();
    EXPECT_EQ(s.announcement.hostName, "bea");
    EXPECT_EQ(s.announcement.room, "lesmis");
    EXPECT_EQ(s.announcement.continues, roomBefore);
    EXPECT_EQ(s.announcement.roomId, b.roomId());
    EXPECT_EQ(s.announcement.people, 1u);
    EXPECT_EQ(s.url().port(), b.hostedPort());

    ASSERT_TRUE(c.moveToHost(s.url(), &error)) << error.toStdString();
    ASSERT_TRUE(waitFor([&] {
        return settled(b) && settled(c) && b.document().canonicalHash() == c.document().canonicalHash();
    }));
    EXPECT_EQ(regainedC, 1);
    EXPECT_FALSE(c.hostIsLost());
    EXPECT_EQ(c.roomId(), b.roomId());
    ASSERT_TRUE(waitFor([&] { return sessionOf(lan, "bea") && sessionOf(lan, "bea")->announcement.people == 2u; }));

    // Every edit is there, in both: A's (acknowledged before it left), B's and C's, online
    // and offline.
    for (const EditorSession* s2 : {&b, &c}) {
        const GraphDocument& d = s2->document();
        SCOPED_TRACE(s2->profile().name.toStdString());
        EXPECT_EQ(d.count(EntityKind::Node), 77u + 3 + 2 - 1);
        EXPECT_EQ(d.label(*d.entity(valjean)), "Jean Valjean");
        EXPECT_EQ(d.label(*d.entity(byAnn)), "by ann, renamed by cal");
        EXPECT_TRUE(d.isVisible(byBea) && d.isVisible(byCal) && d.isVisible(beaOffline) && d.isVisible(calOffline));
        EXPECT_EQ(d.color(*d.entity(javert)), Rgba(0x00ff00ff));
        EXPECT_FALSE(d.isVisible(fantine));
        EXPECT_FALSE(nodeLabeled(d, "bea offline").isNull());
        EXPECT_FALSE(nodeLabeled(d, "cal offline").isNull());
        EXPECT_EQ(d.size(*d.entity(cosette)), c.document().size(*c.document().entity(cosette)));
    }

    // Someone new, with no copy, gets the whole room from B's server: its first state
    // (B's copy) comes in the snapshot.
    EditorSession d(Profile {0xd4, QStringLiteral("dee"), 0});
    ASSERT_TRUE(d.join(s.url(), QString(), &error)) << error.toStdString();
    ASSERT_TRUE(waitFor([&] { return online(d) && d.document().canonicalHash() == b.document().canonicalHash(); }));
    c.watchLan(nullptr);
}

TEST_F(LanSessionsTest, AHandedOverRoomAsksForTheKeyTheOriginalAsked)
{
    EditorSession a(Profile {0xa1, QStringLiteral("ann"), 0});
    EditorSession b(Profile {0xb2, QStringLiteral("bea"), 0});
    EditorSession c(Profile {0xc3, QStringLiteral("cal"), 0});
    QString error;
    ASSERT_TRUE(a.host(Lesmis, hostOptions(dir("a"), nullptr), &error)) << error.toStdString();
    ASSERT_TRUE(waitFor([&] { return settled(a) && a.document().count(EntityKind::Node) == 77u; }));
    bool keySent = false;
    QObject::connect(a.client(), &net::SyncClient::accessKeySent, [&] { keySent = true; });
    ASSERT_TRUE(a.client()->setRoomAccessKey(QStringLiteral("sesame")));
    ASSERT_TRUE(waitFor([&] { return keySent; }));
    const QUrl url(QStringLiteral("ws://127.0.0.1:%1/rooms/lesmis").arg(a.hostedPort()));
    for (EditorSession* guest : {&b, &c})
        ASSERT_TRUE(guest->join(url, QStringLiteral("sesame"), &error)) << error.toStdString();
    ASSERT_TRUE(waitFor([&] { return settled(b) && settled(c) && c.document().count(EntityKind::Node) == 77u; }));

    net::LanBrowser lan;
    listenOnLoopback(lan);
    c.watchLan(&lan);
    std::vector<net::LanSession> offered;
    QObject::connect(&c, &EditorSession::handoverOffered, [&](const net::LanSession& s) { offered.push_back(s); });

    a.leave();
    ASSERT_TRUE(waitFor([&] { return b.hostIsLost() && c.hostIsLost(); }));
    const EntityId byCal = c.addNode(Vec3 {1, 1, 1}, "cal offline");
    ASSERT_TRUE(b.hostFromCopy(hostOptions(dir("b"), &lan), &error)) << error.toStdString();
    ASSERT_TRUE(waitFor([&] { return !offered.empty(); }));
    EXPECT_TRUE(offered.front().announcement.keyNeeded);
    ASSERT_TRUE(c.moveToHost(offered.front().url(), &error)) << error.toStdString();
    ASSERT_TRUE(waitFor([&] {
        return settled(b) && settled(c) && b.document().canonicalHash() == c.document().canonicalHash();
    })) << c.statusText().toStdString();
    EXPECT_TRUE(b.document().isVisible(byCal));

    // Without the key, the new room is closed too.
    EditorSession d(Profile {0xd4, QStringLiteral("dee"), 0});
    ASSERT_TRUE(d.join(offered.front().url(), QString(), &error));
    ASSERT_TRUE(waitFor([&] { return d.client()->state() == net::SyncClient::State::Offline; }));
    EXPECT_EQ(d.client()->lastErrorCode(), int(net::protocol::ErrorCode::AccessDenied)) << d.client()->lastError().toStdString();
    EXPECT_EQ(d.document().count(EntityKind::Node), 0u);
    c.watchLan(nullptr);
}
