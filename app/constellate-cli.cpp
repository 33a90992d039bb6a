// constellate-cli: Constellate's graph files (and, from #4, live rooms) for people and
// scripts. Exit codes: 0 success, 1 the work failed (a bad file, say), 2 bad usage.

#include "documentio.h"
#include "formats.h"
#include "graphdocument.h"
#include "identity.h"

#include <QtGlobal>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

using namespace constellate;

namespace {

constexpr const char* Usage = R"(Usage: constellate-cli COMMAND [ARGS]

Commands:
  info FILE          Import FILE and print its node and edge counts, whether it is
                     directed, and its attribute names.
  convert IN OUT     Convert between graph formats, chosen by file extension.
  help               Show this help.
  version            Show the version.

Formats: %s.

Exit status: 0 on success, 1 when the work failed (a malformed file, say),
2 on a usage error.
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

} // namespace

int main(int argc, char** argv)
{
    std::vector<std::string> args(argv + 1, argv + argc);
    if (args.empty())
        return usageError("no command given");
    const std::string command = args.front();
    args.erase(args.begin());
    try {
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
