// lan_peer: one side of test_lansessions' discovery between two network namespaces. The
// test runs it as `ip netns exec NS lan_peer ...` in namespaces it made itself, whose only
// interfaces are loopback and one end of the test's own veth pair: the beacon's broadcast
// (to every interface that can broadcast, as the editor does) never reaches a real LAN.
// It drives the editor's own EditorSession, without a window.
//
//   lan_peer host FILE DATA_DIR INTERVAL_MS
//       hosts FILE announced on the LAN; prints "hosting PORT ROOM", then "announced TO..."
//       after the first beacon, and runs until SIGTERM (it leaves as the editor does).
//   lan_peer browse ROOM NODES TIMEOUT_MS
//       listens on the LAN until a session of ROOM is announced; prints "found HOST ROOM
//       PEOPLE KEY URL", joins it through that URL, waits until the document has NODES
//       nodes, prints "joined HASH" and exits 0; exits 1 with a message on stderr when
//       nothing is found or the join does not complete in TIMEOUT_MS.

#include "editorsession.h"
#include "lanbrowser.h"
#include "stopsignals.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QStandardPaths>
#include <QThread>
#include <QTimer>

#include <cstdio>

using namespace constellate;
using namespace constellate::ui;

namespace {

int usage()
{
    std::fprintf(stderr, "usage: lan_peer host FILE DATA_DIR INTERVAL_MS | lan_peer browse ROOM NODES TIMEOUT_MS\n");
    return 2;
}

void say(const QString& line)
{
    std::printf("%s\n", qPrintable(line));
    std::fflush(stdout);
}

int host(const QStringList& args)
{
    EditorSession session(Profile {0x4a4a, QStringLiteral("lan-host"), 0});
    EditorSession::HostOptions options;
    options.port = 0;
    options.bind = QHostAddress::AnyIPv4;
    options.dataDir = args[1];
    options.announce = true; // the default targets: every interface that can broadcast
    options.beacon.intervalMs = args[2].toInt();
    QString error;
    if (!session.host(args[0], options, &error)) {
        std::fprintf(stderr, "lan_peer: %s\n", qPrintable(error));
        return 1;
    }
    say(QStringLiteral("hosting %1 %2").arg(session.hostedPort()).arg(QString::fromStdString(session.client()->roomName())));
    QTimer watch;
    bool told = false;
    QObject::connect(&watch, &QTimer::timeout, [&] {
        if (!told && session.beacon() && session.beacon()->sentCount() > 0) {
            told = true;
            QStringList to;
            for (const QHostAddress& a : session.beacon()->lastTargets())
                to << a.toString();
            say(QStringLiteral("announced %1").arg(to.join(QLatin1Char(' '))));
        }
    });
    watch.start(20);
    net::StopSignals stop;
    QObject::connect(&stop, &net::StopSignals::stopRequested, [&] {
        session.leave();
        QCoreApplication::quit();
    });
    return QCoreApplication::exec();
}

int browse(const QStringList& args)
{
    const std::string room = args[0].toStdString();
    const std::size_t nodes = args[1].toULongLong();
    const int timeoutMs = args[2].toInt();
    net::LanBrowser browser; // UDP port 7878 on every address, as the editor listens
    QString error;
    if (!browser.start(&error)) {
        std::fprintf(stderr, "lan_peer: %s\n", qPrintable(error));
        return 1;
    }
    QElapsedTimer clock;
    clock.start();
    auto spin = [&](const std::function<bool()>& done) {
        while (!done()) {
            if (clock.elapsed() > timeoutMs)
                return false;
            QCoreApplication::processEvents(QEventLoop::AllEvents, 20);
            QThread::usleep(500);
        }
        return true;
    };
    const net::LanSession* found = nullptr;
    if (!spin([&] {
            for (const net::LanSession& s : browser.sessions())
                if (s.announcement.room == room)
                    found = &s;
            return found != nullptr;
        })) {
        std::fprintf(stderr, "lan_peer: no session of room '%s' announced in %d ms (%llu malformed datagrams)\n",
                     room.c_str(), timeoutMs, static_cast<unsigned long long>(browser.malformedCount()));
        return 1;
    }
    const net::LanSession s = *found;
    say(QStringLiteral("found %1 %2 %3 %4 %5")
            .arg(QString::fromStdString(s.announcement.hostName), QString::fromStdString(s.announcement.room))
            .arg(s.announcement.people)
            .arg(s.announcement.keyNeeded ? QStringLiteral("key") : QStringLiteral("nokey"), s.url().toString()));
    EditorSession session(Profile {0x5b5b, QStringLiteral("lan-guest"), 0});
    if (!session.join(s.url(), QString(), &error)) {
        std::fprintf(stderr, "lan_peer: %s\n", qPrintable(error));
        return 1;
    }
    if (!spin([&] {
            return session.client()->state() == net::SyncClient::State::Online
                && session.document().count(EntityKind::Node) == nodes;
        })) {
        std::fprintf(stderr, "lan_peer: joined %s but the document has %zu of %zu nodes (%s)\n",
                     qPrintable(s.url().toString()), session.document().count(EntityKind::Node), nodes,
                     qPrintable(session.statusText()));
        return 1;
    }
    say(QStringLiteral("joined %1").arg(QString::fromStdString(session.document().canonicalHash())));
    session.leave();
    return 0;
}

} // namespace

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    // Owner tokens and settings go to a test location, never a user's profile.
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName(QStringLiteral("ConstellateTests"));
    QCoreApplication::setApplicationName(QStringLiteral("lan_peer"));
    QStringList args = QCoreApplication::arguments().mid(1);
    if (args.size() != 4)
        return usage();
    const QString mode = args.takeFirst();
    if (mode == QLatin1String("host"))
        return host(args);
    if (mode == QLatin1String("browse"))
        return browse(args);
    return usage();
}
