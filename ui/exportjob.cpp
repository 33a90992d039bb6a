#include "exportjob.h"

#include "documentio.h"

#include <QFileInfo>
#include <QSaveFile>

namespace constellate::ui {

namespace {

constexpr qint64 WriteChunk = 1 << 20;

GraphFormat formatFor(const QString& path, GraphFormat given)
{
    return given == GraphFormat::Unknown ? formatFromPath(path.toStdString()) : given;
}

} // namespace

ExportJob::ExportJob(const GraphDocument& document, QString path, GraphFormat format, QObject* parent)
    : FileTask(std::move(path), parent)
    , m_format(formatFor(this->path(), format))
{
    if (m_format == GraphFormat::Native)
        m_snapshot = document.encodeSnapshot();
    else if (m_format != GraphFormat::Unknown)
        m_graph = exportGraphData(document);
}

ExportJob::ExportJob(GraphData graph, QString path, GraphFormat format, QObject* parent)
    : FileTask(std::move(path), parent)
    , m_format(formatFor(this->path(), format))
    , m_graph(std::move(graph))
{
}

ExportJob::ExportJob(Snapshot snapshot, QString path, QObject* parent)
    : FileTask(std::move(path), parent)
    , m_format(GraphFormat::Native)
    , m_snapshot(std::move(snapshot.bytes))
{
}

ExportJob::~ExportJob()
{
    shutdown();
}

void ExportJob::prepare()
{
    const std::string name = path().toStdString();
    if (m_format == GraphFormat::Unknown)
        throw ExportError(name + ": unknown file type; supported formats: " + supportedFormatsText()
            + ", Constellate document (.constellate)");
    if (m_format == GraphFormat::Native && m_graph)
        throw ExportError(name + ": the Constellate document format is written from a document snapshot");
    if (m_format != GraphFormat::Native && !m_graph)
        throw ExportError(name + ": a snapshot is written in the Constellate document format only");
}

void ExportJob::work()
{
    const std::string name = path().toStdString();
    reportProgress(0, 0);
    std::string bytes;
    if (m_format == GraphFormat::Native) {
        bytes = nativeFileBytes(std::exchange(m_snapshot, std::string()));
    } else {
        bytes = writeGraph(*m_graph, m_format);
        m_graph.reset();
    }
    checkCancelled();

    const qint64 total = qint64(bytes.size());
    reportProgress(0, total);
    QSaveFile file(path());
    if (!file.open(QIODevice::WriteOnly))
        throw ExportError("cannot write " + name + ": " + file.errorString().toStdString());
    qint64 done = 0;
    while (done < total) {
        if (cancelRequested()) {
            file.cancelWriting();
            throw Cancelled {};
        }
        const qint64 n = file.write(bytes.data() + done, std::min(WriteChunk, total - done));
        if (n <= 0) {
            const std::string reason = file.errorString().toStdString();
            file.cancelWriting();
            throw ExportError("cannot write " + name + ": " + reason);
        }
        done += n;
        reportProgress(done, total);
    }
    if (cancelRequested()) {
        file.cancelWriting();
        throw Cancelled {};
    }
    if (!file.commit())
        throw ExportError("cannot write " + name + ": " + file.errorString().toStdString());
    m_written = total;
}

QString ExportJob::complete()
{
    return QStringLiteral("Wrote %1 (%2, %3 bytes)")
        .arg(QFileInfo(path()).fileName(), QString::fromUtf8(formatName(m_format)))
        .arg(m_written);
}

} // namespace constellate::ui
