// constellate-cli: Constellate's graph files and live rooms, for people and scripts.
// Command-line parsing only: files are model/documentio.h, rooms net/roomcommand.h.
// Exit codes: 0 success, 1 the work failed (a bad file, say), 2 bad usage.

#include "documentio.h"
#include "formats.h"
#include "graphdocument.h"
#include "identity.h"
#include "layout/layoutfile.h"
#include "roomcommand.h"
#include "stopsignals.h"

#include <QCoreApplication>
#include <QFile>
#include <QSettings>
#include <QSslCertificate>
#include <QtGlobal>

#include <chrono>
#include <cstdio>
#include <map>
#include <cstring>
#include <string>
#include <vector>

using namespace constellate;

namespace {

constexpr const char* Usage = R"(Usage: constellate-cli COMMAND [ARGS] [OPTIONS]

Files:
  info FILE          Import FILE and print its node and edge counts, whether it is
                     directed, and its attribute names.
  convert IN OUT     Convert between graph formats, chosen by file extension.
  layout IN OUT      Lay IN out in 3D (force-directed, until it settles) and write it
                     to OUT with the new positions (any format but CSV). Nodes whose
                     property "pinned" is true stay put. --seed N picks the layout
                     (default 1; the same seed gives the same result), and
                     --iterations-max N caps the steps (default 3000).

Live rooms (with --url ws://HOST:PORT/rooms/NAME, or wss://):
  create             Create the room; its owner token is kept in your profile. With
                     --key, the room needs that access key to join.
  import FILE        Import FILE into the room as one transaction (one undo step);
                     exits once the server has committed it. --create makes the room.
  export FILE        Write the room's current state to FILE (format by extension;
                     .constellate keeps everything, merge history included).
  info               The room's node and edge counts, canonical hash, committed
                     sequence number and who is present.
  watch              One line per event (joins, leaves, operations) until Ctrl+C.

Options:
  --url URL          The room.
  --name NAME        Your display name in the room (default: $USER).
  --key KEY          The room's access key (or set CONSTELLATE_ROOM_KEY).
  --create           import: create the room first.
  --timeout SECONDS  Give up after this long (default 30; not for watch).
  --ca-cert FILE     wss://: trust this PEM certificate (a self-signed server's).

  help               Show this help.
  version            Show the version.

Formats: %s.

Exit status: 0 on success, 1 when the work failed (a malformed file, a refused
or unreachable room), 2 on a usage error.
)";

int usageError(const std::string& message)
{
    std::fprintf(stderr, "constellate-cli: %s\nTry 'constellate-cli help'.\n", message.c_str());
    return 2;
}

std::string counted(std::size_t n, const char* one, const char* many)
{
    return std::to_string(n) + ' ' + (n == 1 ? one : many);
}

std::string joined(const std::vector<std::string>& names)
{
    std::string out;
    for (const std::string& n : names)
        out += (out.empty() ? "" : ", ") + n;
    return out.empty() ? "-" : out;
}


int info(const std::string& path)
{
    GraphDocument document(newReplicaId(), newUserId());
    const ImportReport r = importGraphFile(document, path);
    std::printf("%s (%s)\n", path.c_str(), formatName(r.format));
    std::printf("%s, %s, %s\n", counted(r.nodes, "node", "nodes").c_str(), counted(r.edges, "edge", "edges").c_str(),
                r.directedness().c_str());
    std::printf("node attributes: %s\n", joined(r.nodeAttributes).c_str());
    std::printf("edge attributes: %s\n", joined(r.edgeAttributes).c_str());
    return 0;
}

int convert(const std::string& in, const std::string& out)
{
    if (formatFromPath(out) == GraphFormat::Unknown)
        return usageError("cannot tell the format of '" + out + "' from its extension (" + supportedFormatsText() + ")");
    GraphDocument document(newReplicaId(), newUserId());
    const ImportReport r = importGraphFile(document, in);
    exportGraphFile(document, out);
    std::printf("wrote %s (%s): %s, %s\n", out.c_str(), formatName(formatFromPath(out)),
                counted(r.nodes, "node", "nodes").c_str(), counted(r.edges, "edge", "edges").c_str());
    return 0;
}

/// A whole non-negative number (digits only) up to `max`.
bool parseCount(const std::string& text, std::uint64_t max, std::uint64_t* out)
{
    if (text.empty() || text.size() > 20 || text.find_first_not_of("0123456789") != std::string::npos)
        return false;
    try {
        const unsigned long long v = std::stoull(text);
        if (v > max)
            return false;
        *out = v;
        return true;
    } catch (const std::exception&) {
        return false;
    }
}

int layoutFile(const std::string& in, const std::string& out, const std::string& seedText,
               const std::string& iterationsText)
{
    if (formatFromPath(out) == GraphFormat::Unknown)
        return usageError("cannot tell the format of '" + out + "' from its extension (" + supportedFormatsText() + ")");
    if (!layout::formatKeepsPositions(formatFromPath(out)))
        return usageError("'" + out + "': CSV edge lists keep no positions; write GraphML, GEXF, JSON, GML or .constellate");
    std::uint64_t seed = 1;
    if (!seedText.empty() && !parseCount(seedText, UINT64_MAX, &seed))
        return usageError("--seed takes a whole number");
    layout::ForceLayoutOptions options;
    if (!iterationsText.empty()) {
        std::uint64_t cap = 0;
        if (!parseCount(iterationsText, 100'000'000, &cap) || cap == 0)
            return usageError("--iterations-max takes a whole number of at least 1");
        options.maxIterations = int(cap);
    }
    // Progress on stderr for long runs: a line every two seconds, none for quick ones.
    using Clock = std::chrono::steady_clock;
    Clock::time_point nextReport = Clock::now() + std::chrono::seconds(2);
    const layout::LayoutFileReport r = layout::layoutGraphFile(in, out, seed, options, [&](const layout::ForceLayout& l) {
        if (Clock::now() < nextReport)
            return;
        nextReport = Clock::now() + std::chrono::seconds(2);
        std::fprintf(stderr, "layout: step %d, about %d%% of the way to settled (95th percentile move %.4g edge lengths)\n",
                     l.iteration(), int(l.progress() * 100), double(l.lastStats().p95Move));
    });
    std::printf("wrote %s (%s): %s, %s", out.c_str(), formatName(formatFromPath(out)),
                counted(r.import.nodes, "node", "nodes").c_str(), counted(r.import.edges, "edge", "edges").c_str());
    if (r.pinned > 0)
        std::printf(", %zu pinned", r.pinned);
    std::printf("\n");
    if (r.state == layout::LayoutState::Settled)
        std::printf("settled after %d iterations in %.3f s\n", r.iterations, r.seconds);
    else
        std::printf("not settled: stopped at the cap of %d iterations after %.3f s (raise --iterations-max)\n",
                    r.iterations, r.seconds);
    return 0;
}

/// Takes "--name VALUE" options out of `args`; false (with `error`) on a bad one.
struct RoomArgs {
    std::string url, name, key, timeout, caCert;
    bool create = false;
    std::string seed, iterationsMax; ///< layout's, not the rooms'
};
bool takeOptions(std::vector<std::string>& args, RoomArgs& r, std::string* error)
{
    std::vector<std::string> rest;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        std::string* target = a == "--url" ? &r.url
            : a == "--name"                ? &r.name
            : a == "--key"                 ? &r.key
            : a == "--timeout"             ? &r.timeout
            : a == "--ca-cert"             ? &r.caCert
            : a == "--seed"                ? &r.seed
            : a == "--iterations-max"      ? &r.iterationsMax
                                           : nullptr;
        if (target) {
            if (i + 1 >= args.size()) {
                *error = a + " needs a value";
                return false;
            }
            *target = args[++i];
        } else if (a == "--create") {
            r.create = true;
        } else if (a.size() > 1 && a[0] == '-') {
            *error = "unknown option '" + a + "'";
            return false;
        } else {
            rest.push_back(a);
        }
    }
    args = std::move(rest);
    return true;
}

int roomCommand(int argc, char** argv, const std::string& command, const std::vector<std::string>& args,
                const RoomArgs& r)
{
    using constellate::net::RoomCommand;
    RoomCommand::Options o;
    const std::map<std::string, std::pair<RoomCommand::Kind, std::size_t>> kinds {
        {"create", {RoomCommand::Kind::Create, 0}}, {"import", {RoomCommand::Kind::Import, 1}},
        {"export", {RoomCommand::Kind::Export, 1}}, {"info", {RoomCommand::Kind::Info, 0}},
        {"watch", {RoomCommand::Kind::Watch, 0}},
    };
    const auto kind = kinds.find(command);
    if (kind == kinds.end())
        return usageError("'" + command + "' does not take --url");
    o.kind = kind->second.first;
    if (args.size() != kind->second.second)
        return usageError(command + (kind->second.second ? " takes one FILE" : " takes no FILE"));
    o.url = QUrl(QString::fromStdString(r.url), QUrl::StrictMode);
    const QString scheme = o.url.scheme();
    const QString room = o.url.path().startsWith(QLatin1String("/rooms/")) ? o.url.path().mid(7) : QString();
    if (!o.url.isValid() || (scheme != QLatin1String("ws") && scheme != QLatin1String("wss")) || o.url.host().isEmpty()
        || room.isEmpty() || room.contains(QLatin1Char('/')))
        return usageError("--url takes ws://HOST:PORT/rooms/NAME (or wss://), not '" + r.url + "'");
    o.name = QString::fromStdString(r.name);
    o.key = QString::fromStdString(r.key);
    if (o.key.isEmpty())
        o.key = qEnvironmentVariable("CONSTELLATE_ROOM_KEY");
    o.create = r.create;
    if (r.create && o.kind != RoomCommand::Kind::Import)
        return usageError("--create is for import (create makes a room by itself)");
    if (!r.timeout.empty()) {
        bool ok = false;
        o.timeoutSeconds = QString::fromStdString(r.timeout).toInt(&ok);
        if (!ok || o.timeoutSeconds < 1)
            return usageError("--timeout takes a number of seconds");
    }
    if (!args.empty()) {
        o.file = QString::fromStdString(args[0]);
        if (formatFromPath(args[0]) == GraphFormat::Unknown)
            return usageError("cannot tell the format of '" + args[0] + "' from its extension (" + supportedFormatsText()
                              + ")");
        if (o.kind == RoomCommand::Kind::Import && !QFile::exists(o.file)) {
            std::fprintf(stderr, "constellate-cli: %s: no such file\n", args[0].c_str());
            return 1;
        }
    }

    QCoreApplication app(argc, argv);
    QCoreApplication::setOrganizationName(QStringLiteral("Constellate"));
    QCoreApplication::setApplicationName(QStringLiteral("constellate"));
    if (!r.caCert.empty()) {
        o.caCertificates = QSslCertificate::fromPath(QString::fromStdString(r.caCert), QSsl::Pem);
        if (o.caCertificates.isEmpty()) {
            std::fprintf(stderr, "constellate-cli: %s: no PEM certificate there\n", r.caCert.c_str());
            return 1;
        }
    }
    QSettings settings; // the profile: user id, owner tokens
    RoomCommand run(o, settings);
    constellate::net::StopSignals stop;
    QObject::connect(&stop, &constellate::net::StopSignals::stopRequested, &run, &RoomCommand::stop);
    int exitCode = 1;
    QObject::connect(&run, &RoomCommand::finished, &app, [&exitCode](int code) {
        exitCode = code;
        QCoreApplication::quit();
    });
    QMetaObject::invokeMethod(&run, &RoomCommand::start, Qt::QueuedConnection);
    app.exec();
    return exitCode;
}

} // namespace

int main(int argc, char** argv)
{
    std::vector<std::string> args(argv + 1, argv + argc);
    if (args.empty())
        return usageError("no command given");
    const std::string command = args.front();
    args.erase(args.begin());
    RoomArgs room;
    std::string optionError;
    if (command != "help" && command != "--help" && command != "-h" && !takeOptions(args, room, &optionError))
        return usageError(optionError);
    try {
        if ((!room.seed.empty() || !room.iterationsMax.empty()) && command != "layout")
            return usageError("--seed and --iterations-max are for layout");
        if (!room.url.empty())
            return roomCommand(argc, argv, command, args, room);
        if (command == "create" || command == "import" || command == "export" || command == "watch")
            return usageError(command + " works on a live room: give --url ws://HOST:PORT/rooms/NAME");
        if (!room.name.empty() || !room.key.empty() || !room.timeout.empty() || !room.caCert.empty() || room.create)
            return usageError("--name, --key, --timeout, --ca-cert and --create are for live rooms (--url)");
        if (command == "help" || command == "--help" || command == "-h") {
            std::printf(Usage, supportedFormatsText().c_str());
            return 0;
        }
        if (command == "version" || command == "--version") {
            std::printf("constellate-cli %s (Qt %s)\n", CONSTELLATE_VERSION, qVersion());
            return 0;
        }
        if (command == "info") {
            if (args.size() != 1)
                return usageError("info takes one FILE");
            return info(args[0]);
        }
        if (command == "convert") {
            if (args.size() != 2)
                return usageError("convert takes IN and OUT");
            return convert(args[0], args[1]);
        }
        if (command == "layout") {
            if (args.size() != 2)
                return usageError("layout takes IN and OUT");
            return layoutFile(args[0], args[1], room.seed, room.iterationsMax);
        }
        return usageError("unknown command '" + command + "'");
    } catch (const ImportError& e) {
        std::fprintf(stderr, "constellate-cli: %s\n", e.what());
    } catch (const ExportError& e) {
        std::fprintf(stderr, "constellate-cli: %s\n", e.what());
    } catch (const std::exception& e) {
        std::fprintf(stderr, "constellate-cli: error: %s\n", e.what());
    }
    return 1;
}
