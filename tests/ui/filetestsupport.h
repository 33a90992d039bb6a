#pragma once

// Shared by the file task tests: documents with a fixed clock (so that two imports of the
// same file give the same canonical hash), a large generated GraphML file, and a bounded
// wait for a task's finished() (a deadline that fails the test, never a timing assertion).

#include "eventloopwait.h"

#include "filetask.h"
#include "graphdocument.h"

#include <QFile>
#include <QString>

#include <memory>
#include <string>

namespace constellate::test {

inline std::unique_ptr<GraphDocument> fixedDocument(ReplicaId replica = 7, UserId user = 42)
{
    return std::make_unique<GraphDocument>(replica, user, HlcClock([] { return std::uint64_t(1'700'000'000'000); }));
}

/// Starts nothing; waits (up to two minutes) for the task's outcome to be final.
inline bool waitFinished(const ui::FileTask& task)
{
    return waitFor([&] { return !task.isRunning(); }, 120'000);
}

/// A GraphML file of `nodes` nodes on a ring (edge i -> i+1), each with a label.
inline void writeBigGraphMl(const QString& path, int nodes)
{
    std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                      "<graphml xmlns=\"http://graphml.graphdrawing.org/xmlns\">\n"
                      "<key id=\"d0\" for=\"node\" attr.name=\"label\" attr.type=\"string\"/>\n"
                      "<graph edgedefault=\"undirected\">\n";
    for (int i = 0; i < nodes; ++i)
        out += "<node id=\"n" + std::to_string(i) + "\"><data key=\"d0\">node " + std::to_string(i)
            + "</data></node>\n";
    for (int i = 0; i < nodes; ++i)
        out += "<edge source=\"n" + std::to_string(i) + "\" target=\"n" + std::to_string((i + 1) % nodes) + "\"/>\n";
    out += "</graph>\n</graphml>\n";
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly) || f.write(out.data(), qint64(out.size())) != qint64(out.size()))
        throw std::runtime_error("cannot write " + path.toStdString());
}

} // namespace constellate::test
