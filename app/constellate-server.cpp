// constellate-server: the sync server on its own (the editor's host mode runs the same
// server inside the editor). Command-line parsing only; the server is net/syncserver.h.

#include "documentio.h"
#include "graphdocument.h"
#include "roomstore.h"
#include "serverlog.h"
#include "stopsignals.h"
#include "syncserver.h"
#include "tlscredentials.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QStandardPaths>

#include <cstdio>

using namespace constellate;
using namespace constellate::net;

namespace {

int fail(const QString& message, int code = 1)
{
    std::fprintf(stderr, "constellate-server: %s\n", qPrintable(message));
    return code;
}

QString defaultDataDir()
{
    return QStandardPaths::writableLocation(QStandardPaths::GenericDataLocation) + QStringLiteral("/constellate-server");
}

/// `constellate-server rooms list|export NAME FILE|delete NAME --data-dir DIR`
int rooms(const QStringList& args, const QString& dataDir)
{
    if (args.isEmpty())
        return fail(QStringLiteral("rooms takes list, export NAME FILE or delete NAME"), 2);
    const QString command = args[0];
    if (command == QLatin1String("list") && args.size() == 1) {
        const QStringList names = RoomStore::listRooms(dataDir);
        if (names.isEmpty())
            std::printf("no rooms in %s\n", qPrintable(dataDir));
        for (const QString& name : names) {
            QString error;
            std::unique_ptr<RoomStore> store = RoomStore::open(dataDir, name, &error);
            if (!store) {
                std::printf("%s\t(cannot open: %s)\n", qPrintable(name), qPrintable(error));
                continue;
            }
            const RoomStats s = store->stats();
            std::printf("%s\t%llu transactions\t%zu members\t%llu bytes%s\n", qPrintable(name),
                        static_cast<unsigned long long>(s.committedSeq), store->members().size(),
                        static_cast<unsigned long long>(s.fileBytes), store->hasAccessKey() ? "\taccess key" : "");
        }
        return 0;
    }
    if (command == QLatin1String("export") && args.size() == 3) {
        QString error;
        std::unique_ptr<RoomStore> store = RoomStore::open(dataDir, args[1], &error);
        if (!store)
            return fail(error);
        GraphDocument document(0xfffffffe, 0);
        if (!store->loadDocument(document, &error))
            return fail(error);
        try {
            exportGraphFile(document, args[2].toStdString());
        } catch (const std::exception& e) {
            return fail(QString::fromUtf8(e.what()));
        }
        std::printf("wrote %s: %zu nodes, %zu edges\n", qPrintable(args[2]), document.count(EntityKind::Node),
                    document.count(EntityKind::Edge));
        return 0;
    }
    if (command == QLatin1String("delete") && args.size() == 2) {
        QString error;
        if (!RoomStore::deleteRoom(dataDir, args[1], &error))
            return fail(error);
        std::printf("deleted room %s\n", qPrintable(args[1]));
        return 0;
    }
    return fail(QStringLiteral("rooms takes list, export NAME FILE or delete NAME"), 2);
}

} // namespace

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("constellate-server"));
    QCoreApplication::setApplicationVersion(QStringLiteral(CONSTELLATE_VERSION));

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "The Constellate sync server: rooms of editors over WebSockets at ws://HOST:PORT/rooms/NAME,\n"
        "every acknowledged edit kept in SQLite. Plain HTTP on the same port: /healthz, /metrics.\n"
        "With --tls-cert and --tls-key, TLS on that port instead: wss://HOST:PORT/rooms/NAME and\n"
        "https://HOST:PORT/healthz, /metrics.\n\n"
        "Administration: constellate-server rooms list | export NAME FILE | delete NAME --data-dir DIR"));
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addPositionalArgument(QStringLiteral("rooms"), QStringLiteral("Administration commands (see above)."),
                                 QStringLiteral("[rooms ...]"));
    const QCommandLineOption port({QStringLiteral("p"), QStringLiteral("port")}, QStringLiteral("Port (default 7878; 0: any free port)."),
                                  QStringLiteral("N"), QStringLiteral("7878"));
    const QCommandLineOption bind(QStringLiteral("bind"), QStringLiteral("Address to listen on (default: all)."),
                                  QStringLiteral("ADDR"), QStringLiteral("0.0.0.0"));
    const QCommandLineOption dataDir(QStringLiteral("data-dir"), QStringLiteral("Where rooms are kept (default %1).").arg(defaultDataDir()),
                                     QStringLiteral("DIR"), defaultDataDir());
    const QCommandLineOption maxClients(QStringLiteral("max-clients"), QStringLiteral("Connections at most (default 1000)."),
                                        QStringLiteral("N"), QStringLiteral("1000"));
    const QCommandLineOption logLevel(QStringLiteral("log-level"), QStringLiteral("error, warning, info (default) or debug."),
                                      QStringLiteral("L"), QStringLiteral("info"));
    const QCommandLineOption sendQueue(QStringLiteral("send-queue-kib"),
                                       QStringLiteral("Unsent data per client before it loses stale presence (default 4096); "
                                                      "four times this disconnects it."),
                                       QStringLiteral("KIB"), QStringLiteral("4096"));
    const QCommandLineOption awayAfter(QStringLiteral("away-after"),
                                       QStringLiteral("Seconds without an edit or presence update after which a user is shown "
                                                      "away to the others (default 120; 0: never)."),
                                       QStringLiteral("SECONDS"), QStringLiteral("120"));
    const QCommandLineOption messageRate(
        QStringLiteral("max-messages-per-second"),
        QStringLiteral("Messages a second one client may send before its edits are refused for a while (default 5000)."),
        QStringLiteral("N"), QStringLiteral("5000"));
    const QCommandLineOption parallelFanOut(
        QStringLiteral("parallel-fanout-from"),
        QStringLiteral("Write a relay on two threads when it goes to at least this many clients (default 64; 0: one "
                       "thread)."),
        QStringLiteral("N"), QStringLiteral("64"));
    const QCommandLineOption snapshotEvery(
        QStringLiteral("snapshot-every"),
        QStringLiteral("Compact a room's log into a snapshot every N transactions (default 20000)."),
        QStringLiteral("N"), QStringLiteral("20000"));
    const QCommandLineOption storageThreads(
        QStringLiteral("storage-threads"),
        QStringLiteral("Threads that commit rooms to disk, each room always on the same one (default 4)."),
        QStringLiteral("N"), QStringLiteral("4"));
    const QCommandLineOption tlsCert(QStringLiteral("tls-cert"),
                                     QStringLiteral("PEM certificate, then any intermediates: serve wss:// and https:// "
                                                    "(only) on the port. Needs --tls-key."),
                                     QStringLiteral("FILE"));
    const QCommandLineOption tlsKey(QStringLiteral("tls-key"),
                                    QStringLiteral("PEM private key (RSA or EC, no passphrase) of --tls-cert."),
                                    QStringLiteral("FILE"));
    parser.addOptions({port, bind, dataDir, maxClients, logLevel, sendQueue, awayAfter, messageRate, parallelFanOut, snapshotEvery,
                       storageThreads, tlsCert, tlsKey});
    parser.process(app);

    const QStringList positional = parser.positionalArguments();
    if (!positional.isEmpty()) {
        if (positional[0] != QLatin1String("rooms"))
            return fail(QStringLiteral("unknown command '%1' (try --help)").arg(positional[0]), 2);
        return rooms(positional.mid(1), parser.value(dataDir));
    }

    ServerOptions options;
    bool ok = false;
    const uint portNumber = parser.value(port).toUInt(&ok);
    if (!ok || portNumber > 65535)
        return fail(QStringLiteral("--port takes a number from 0 to 65535, not '%1'").arg(parser.value(port)), 2);
    options.port = quint16(portNumber);
    if (!options.bind.setAddress(parser.value(bind)))
        return fail(QStringLiteral("--bind takes an IP address, not '%1'").arg(parser.value(bind)), 2);
    options.maxClients = parser.value(maxClients).toInt(&ok);
    if (!ok || options.maxClients < 1)
        return fail(QStringLiteral("--max-clients takes a positive number"), 2);
    const int queueKib = parser.value(sendQueue).toInt(&ok);
    if (!ok || queueKib < 16)
        return fail(QStringLiteral("--send-queue-kib takes a number of at least 16"), 2);
    options.sendQueueBytes = std::size_t(queueKib) * 1024;
    const int awaySeconds = parser.value(awayAfter).toInt(&ok);
    if (!ok || awaySeconds < 0 || awaySeconds > 7 * 24 * 3600)
        return fail(QStringLiteral("--away-after takes a number of seconds from 0 (never) to 604800"), 2);
    options.awayAfterMs = awaySeconds * 1000;
    options.messagesPerSecond = parser.value(messageRate).toInt(&ok);
    if (!ok || options.messagesPerSecond < 10)
        return fail(QStringLiteral("--max-messages-per-second takes a number of at least 10"), 2);
    const int fanOutFrom = parser.value(parallelFanOut).toInt(&ok);
    if (!ok || fanOutFrom < 0)
        return fail(QStringLiteral("--parallel-fanout-from takes a number of clients (0: never)"), 2);
    options.parallelFanOutFrom = std::size_t(fanOutFrom);
    const qlonglong every = parser.value(snapshotEvery).toLongLong(&ok);
    if (!ok || every < 1)
        return fail(QStringLiteral("--snapshot-every takes a positive number of transactions"), 2);
    options.snapshotEvery = std::uint64_t(every);
    options.storageThreads = parser.value(storageThreads).toInt(&ok);
    if (!ok || options.storageThreads < 1 || options.storageThreads > 64)
        return fail(QStringLiteral("--storage-threads takes a number from 1 to 64"), 2);
    LogLevel level;
    if (!parseLogLevel(parser.value(logLevel), &level))
        return fail(QStringLiteral("--log-level takes error, warning, info or debug"), 2);
    setLogLevel(level);
    if (parser.isSet(tlsCert) != parser.isSet(tlsKey))
        return fail(QStringLiteral("--tls-cert and --tls-key go together: give both for wss://, or neither for ws://"), 2);
    if (parser.isSet(tlsCert)) {
        QString tlsError;
        std::optional<TlsCredentials> tls
            = TlsCredentials::load(parser.value(tlsCert), parser.value(tlsKey), &tlsError);
        if (!tls)
            return fail(tlsError, 2);
        options.tls = std::move(*tls);
    }
    options.dataDir = parser.value(dataDir);

    SyncServer server(options);
    QString error;
    if (!server.start(&error))
        return fail(error);
    logInfo(QStringLiteral("listening on %1 port %2, data in %3").arg(options.bind.toString()).arg(server.port()).arg(options.dataDir));
    if (!options.tls.isEmpty()) {
        const QSslCertificate& certificate = options.tls.chain.first();
        logInfo(QStringLiteral("TLS only: wss://HOST:%1/rooms/NAME, https://HOST:%1/healthz; certificate %2 (%3, until %4)")
                    .arg(server.port())
                    .arg(options.tls.certFile, certificate.subjectDisplayName(),
                         certificate.expiryDate().toUTC().toString(Qt::ISODate)));
    }
    // Tests and scripts read the port from this line when they asked for port 0.
    std::printf("constellate-server listening on port %u\n", server.port());
    std::fflush(stdout);

    // SIGTERM and SIGINT shut down gracefully: commit, then close with a reason.
    StopSignals stop;
    QObject::connect(&stop, &StopSignals::stopRequested, &app, [&server] {
        logInfo(QStringLiteral("shutting down"));
        server.shutdown([] { QCoreApplication::quit(); });
    });
    return app.exec();
}
