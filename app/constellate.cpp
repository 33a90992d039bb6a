// constellate: the editor. Command-line parsing only; the editor is ui/.
//
//   constellate [FILE]                    open FILE alone
//   constellate --host [FILE] [--port N]  host FILE as a room (the server runs inside),
//                                         announced on the LAN unless --no-announce
//   constellate --join ws://HOST:PORT/rooms/NAME [--key KEY]
//   constellate --xr-info                 the OpenXR runtime and headset, or why VR is not available

#include "autosaver.h"
#include "editorsession.h"
#include "identity.h"
#include "mainwindow.h"
#include "stopsignals.h"

#ifdef CONSTELLATE_HAVE_XR
#include "runtimeinfo.h"
#endif

#include <QApplication>
#include <QCommandLineParser>
#include <QElapsedTimer>
#include <QMessageBox>
#include <QSettings>
#include <QStandardPaths>

#include <cstdio>
#include <memory>
#include <optional>
#include <string_view>

using namespace constellate;

namespace {

/// --help, --version and --xr-info need no display: answered by a QCoreApplication before
/// the QApplication (which cannot start without one) is made.
bool needsNoDisplay(int argc, char** argv)
{
    for (int i = 1; i < argc; ++i) {
        const std::string_view a(argv[i]);
        if (a == "--") // what follows are file names
            return false;
        if (a == "-h" || a == "--help" || a == "--help-all" || a == "-v" || a == "--version" || a == "--xr-info")
            return true;
    }
    return false;
}

/// --xr-info: the active OpenXR runtime, its headset, extensions and view configuration;
/// exit status 0 when VR can start, else 1 with the exact reason.
int printXrInfo()
{
#ifdef CONSTELLATE_HAVE_XR
    const xr::RuntimeInfo info = xr::RuntimeInfo::probe();
    std::fputs(info.text().c_str(), stdout);
    std::fflush(stdout);
    if (!info.ready) {
        std::fprintf(stderr, "constellate: VR is not available: %s\n", info.failure.text().c_str());
        return 1;
    }
    return 0;
#else
    std::fprintf(stderr, "constellate: VR is not available: this build has no OpenXR support (it was configured "
                         "with CONSTELLATE_BUILD_XR=OFF or without the OpenXR loader)\n");
    return 1;
#endif
}

void setIdentity()
{
    QCoreApplication::setOrganizationName(QStringLiteral("Constellate"));
    QCoreApplication::setApplicationName(QStringLiteral("constellate"));
    QCoreApplication::setApplicationVersion(QStringLiteral(CONSTELLATE_VERSION));
}

/// `--name NAME` as given: QApplication takes -name/--name for itself on X11 (the window
/// class) and removes it from the arguments before our parser sees them.
std::optional<QString> nameArgument(int argc, char** argv)
{
    std::optional<QString> found;
    for (int i = 1; i < argc; ++i) {
        const std::string_view a(argv[i]);
        if (a == "--")
            break;
        if ((a == "--name" || a == "-name") && i + 1 < argc)
            found = QString::fromLocal8Bit(argv[++i]);
        else if (a.starts_with("--name="))
            found = QString::fromLocal8Bit(argv[i] + 7);
    }
    return found;
}

} // namespace

int main(int argc, char** argv)
{
    const std::optional<QString> givenName = nameArgument(argc, argv);
    std::unique_ptr<QCoreApplication> app;
    if (needsNoDisplay(argc, argv)) {
        app = std::make_unique<QCoreApplication>(argc, argv);
    } else {
#if defined(Q_OS_UNIX) && !defined(Q_OS_MACOS)
        // Without a display Qt aborts with a plugin message that sends people astray. (X11
        // and Wayland only: Windows and macOS always have their desktop.)
        if (qEnvironmentVariableIsEmpty("DISPLAY") && qEnvironmentVariableIsEmpty("WAYLAND_DISPLAY")
            && qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) {
            std::fprintf(stderr, "constellate: no display (neither DISPLAY nor WAYLAND_DISPLAY is set): run it in a "
                                 "desktop session, or headless under xvfb-run\n");
            return 1;
        }
#endif
        app = std::make_unique<QApplication>(argc, argv);
    }
    setIdentity();

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Constellate: edit a 3D graph together."));
    const QCommandLineOption help = parser.addHelpOption();
    const QCommandLineOption version = parser.addVersionOption();
    const QCommandLineOption host(QStringLiteral("host"), QStringLiteral("Host the graph as a room: the sync server runs "
                                                                         "inside the editor; others join its address."));
    const QCommandLineOption port(QStringLiteral("port"), QStringLiteral("The hosted server's port (default 7878)."),
                                  QStringLiteral("N"), QStringLiteral("7878"));
    const QCommandLineOption bind(QStringLiteral("bind"),
                                  QStringLiteral("The hosted server's address (default: all; 127.0.0.1: this machine)."),
                                  QStringLiteral("ADDR"), QStringLiteral("0.0.0.0"));
    const QCommandLineOption dataDir(QStringLiteral("data-dir"), QStringLiteral("Where hosted rooms are kept."),
                                     QStringLiteral("DIR"));
    const QCommandLineOption join(QStringLiteral("join"), QStringLiteral("Join the room at URL."), QStringLiteral("URL"));
    const QCommandLineOption key(QStringLiteral("key"), QStringLiteral("The room's access key."), QStringLiteral("KEY"));
    const QCommandLineOption name(QStringLiteral("name"), QStringLiteral("Your name in the room (default: the one you chose, else $USER)."),
                                  QStringLiteral("NAME"));
    const QCommandLineOption noAnnounce(QStringLiteral("no-announce"),
                                        QStringLiteral("Do not announce hosted sessions on the LAN (this run; the "
                                                       "Session menu's switch remembers a choice)."));
    const QCommandLineOption xrInfo(QStringLiteral("xr-info"),
                                    QStringLiteral("Describe the OpenXR runtime and headset, or say why VR is not "
                                                   "available, and exit (no display needed)."));
    parser.addOptions({host, port, bind, dataDir, join, key, name, noAnnounce, xrInfo});
    parser.addPositionalArgument(QStringLiteral("FILE"), QStringLiteral("A graph file to open (or to host)."));
    auto usage = [](const QString& text) {
        std::fprintf(stderr, "constellate: %s (try --help)\n", qPrintable(text));
        return 2;
    };
    if (!parser.parse(QCoreApplication::arguments()))
        return usage(parser.errorText());
    if (parser.isSet(help))
        parser.showHelp(0);
    if (parser.isSet(version))
        parser.showVersion();
    if (parser.isSet(xrInfo))
        return printXrInfo();
    const QStringList files = parser.positionalArguments();
    if (files.size() > 1)
        return usage(QStringLiteral("one FILE at most"));
    if (parser.isSet(host) && parser.isSet(join))
        return usage(QStringLiteral("--host and --join exclude each other"));
    bool ok = false;
    const uint portNumber = parser.value(port).toUInt(&ok);
    if (!ok || portNumber > 65535)
        return usage(QStringLiteral("--port takes a number from 0 to 65535"));
    QHostAddress bindAddress;
    if (!bindAddress.setAddress(parser.value(bind)))
        return usage(QStringLiteral("--bind takes an IP address"));

    // The 3D view draws with OpenGL, which needs a windowing platform that has it.
    const QString platform = QGuiApplication::platformName();
    if (platform == QLatin1String("offscreen") || platform == QLatin1String("minimal")) {
        std::fprintf(stderr, "constellate: the '%s' platform cannot show the 3D view; run it on a desktop (X11 or "
                             "Wayland), or under xvfb-run\n",
                     qPrintable(platform));
        return 1;
    }

    QSettings settings;
    ui::Profile profile = ui::MainWindow::loadProfile(settings);
    if (parser.isSet(name) || givenName) {
        profile.name = (parser.isSet(name) ? parser.value(name) : *givenName).trimmed();
        if (profile.name.isEmpty() || profile.name.toUtf8().size() > 64)
            return usage(QStringLiteral("--name takes 1 to 64 bytes of text"));
    }
    ui::EditorSession session(profile);
    ui::MainWindow window(session);
    if (parser.isSet(noAnnounce))
        window.setAnnounce(false, false);
    window.show();
    // SIGTERM or SIGINT (a logout, Ctrl+C in the terminal): leave as Quit does, so a hosted
    // room commits what is pending and the peers get a close frame with a reason. Unsaved
    // changes of a file are not asked about here: the autosave keeps them for recovery.
    net::StopSignals stop;
    QObject::connect(&stop, &net::StopSignals::stopRequested, &window, [&] {
        ui::Autosaver* autosave = window.autosaver();
        if (autosave->saveNow()) {
            QElapsedTimer waited;
            waited.start();
            while (autosave->isSaving() && waited.elapsed() < 5000)
                QCoreApplication::processEvents(QEventLoop::AllEvents, 50);
        }
        session.leave();
        QApplication::exit(0);
    });

    QString error;
    const QString file = files.value(0);
    if (parser.isSet(host)) {
        ui::EditorSession::HostOptions options;
        options.port = quint16(portNumber);
        options.bind = bindAddress;
        options.dataDir = parser.isSet(dataDir)
            ? parser.value(dataDir)
            : QStandardPaths::writableLocation(QStandardPaths::AppDataLocation) + QStringLiteral("/hosted");
        options.announce = window.announces();
        if (!session.host(file, options, &error))
            QMessageBox::warning(&window, QStringLiteral("Constellate"), error);
        else
            std::printf("constellate: hosting on port %u: others join ws://THIS-MACHINE:%u%s\n", session.hostedPort(),
                        session.hostedPort(), qPrintable(session.roomUrl().path()));
        std::fflush(stdout);
    } else if (parser.isSet(join)) {
        if (!session.join(QUrl(parser.value(join)), parser.value(key), &error))
            return usage(error);
    } else {
        window.offerRecovery();
        if (!file.isEmpty())
            window.openPath(file);
    }
    return QApplication::exec();
}
