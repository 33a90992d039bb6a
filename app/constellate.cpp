// constellate: the editor. Command-line parsing only; the editor is ui/.
//
//   constellate [FILE]                    open FILE alone
//   constellate --host [FILE] [--port N]  host FILE as a room (the server runs inside)
//   constellate --join ws://HOST:PORT/rooms/NAME [--key KEY]

#include "editorsession.h"
#include "identity.h"
#include "mainwindow.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QMessageBox>
#include <QSettings>
#include <QStandardPaths>

#include <cstdio>

using namespace constellate;

int main(int argc, char** argv)
{
    QApplication app(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("Constellate"));
    QApplication::setApplicationName(QStringLiteral("constellate"));
    QApplication::setApplicationVersion(QStringLiteral(CONSTELLATE_VERSION));

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Constellate: edit a 3D graph together."));
    parser.addHelpOption();
    parser.addVersionOption();
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
    parser.addOptions({host, port, bind, dataDir, join, key, name});
    parser.addPositionalArgument(QStringLiteral("FILE"), QStringLiteral("A graph file to open (or to host)."));
    parser.process(app);

    auto usage = [](const QString& text) {
        std::fprintf(stderr, "constellate: %s\n", qPrintable(text));
        return 2;
    };
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

    // The 3D view is a QOpenGLWidget, which needs a windowing platform with OpenGL.
    const QString platform = QGuiApplication::platformName();
    if (platform == QLatin1String("offscreen") || platform == QLatin1String("minimal")) {
        std::fprintf(stderr, "constellate: the '%s' platform cannot show the 3D view; run it on a desktop (X11 or "
                             "Wayland), or under xvfb-run\n",
                     qPrintable(platform));
        return 1;
    }

    QSettings settings;
    ui::Profile profile = ui::MainWindow::loadProfile(settings);
    if (parser.isSet(name)) {
        profile.name = parser.value(name).trimmed();
        if (profile.name.isEmpty() || profile.name.toUtf8().size() > 64)
            return usage(QStringLiteral("--name takes 1 to 64 bytes of text"));
    }
    ui::EditorSession session(profile);
    ui::MainWindow window(session);
    window.show();

    QString error;
    const QString file = files.value(0);
    if (parser.isSet(host)) {
        ui::EditorSession::HostOptions options;
        options.port = quint16(portNumber);
        options.bind = bindAddress;
        options.dataDir = parser.isSet(dataDir)
            ? parser.value(dataDir)
            : QStandardPaths::writableLocation(QStandardPaths::AppDataLocation) + QStringLiteral("/hosted");
        if (!session.host(file, options, &error))
            QMessageBox::warning(&window, QStringLiteral("Constellate"), error);
        else
            std::printf("constellate: hosting on port %u: others join ws://THIS-MACHINE:%u%s\n", session.hostedPort(),
                        session.hostedPort(), qPrintable(session.roomUrl().path()));
        std::fflush(stdout);
    } else if (parser.isSet(join)) {
        if (!session.join(QUrl(parser.value(join)), parser.value(key), &error))
            return usage(error);
    } else if (!file.isEmpty() && !session.openFile(file, &error)) {
        QMessageBox::warning(&window, QStringLiteral("Constellate"), error);
    }
    return app.exec();
}
