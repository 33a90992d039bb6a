#include "importjob.h"

#include <QFile>
#include <QFileInfo>

#include <functional>
#include <stdexcept>

namespace constellate::ui {

namespace {

constexpr qint64 ReadChunk = 1 << 20;
/// The sink checks for cancel and reports progress once per this many records.
constexpr std::size_t RecordsPerCheck = 1024;

/// Passes records on to an ImportSink, counting them; every RecordsPerCheck records calls
/// `check` with a pointer into the file's bytes near where the reader is (a key's view),
/// which may throw to stop the reader.
class CountingSink final : public GraphSink {
public:
    CountingSink(GraphSink& inner, std::atomic<std::size_t>& records, std::function<void(const char*)> check)
        : m_inner(inner)
        , m_records(records)
        , m_check(std::move(check))
    {
    }
    void setDirected(bool directed) override { m_inner.setDirected(directed); }
    void addNode(const NodeRecord& node) override
    {
        m_inner.addNode(node);
        counted(node.key.data());
    }
    void addEdge(const EdgeRecord& edge) override
    {
        m_inner.addEdge(edge);
        counted(edge.sourceKey.data());
    }

    std::size_t count() const { return m_count; }

private:
    void counted(const char* position)
    {
        if (++m_count % RecordsPerCheck == 0) {
            m_records.store(m_count, std::memory_order_relaxed);
            m_check(position);
        }
    }
    GraphSink& m_inner;
    std::atomic<std::size_t>& m_records;
    std::function<void(const char*)> m_check;
    std::size_t m_count = 0;
};

ImportReport reportOf(const GraphDocument& document)
{
    ImportReport r;
    r.format = GraphFormat::Native;
    document.forEach(EntityKind::Edge, [&](const GraphDocument::Entity& e) {
        ++r.edges;
        if (document.directed(e))
            ++r.directedEdges;
    });
    r.nodes = document.count(EntityKind::Node);
    r.nodeAttributes = document.propertyNames(EntityKind::Node);
    r.edgeAttributes = document.propertyNames(EntityKind::Edge);
    return r;
}

/// Reads through `reader` (`sink` itself, or a sink in front of it) as importGraphFile does.
ImportReport readInto(
    std::string_view bytes, GraphFormat format, const std::string& name, GraphSink& reader, const ImportSink& sink)
{
    try {
        readGraph(bytes, format, name, reader);
    } catch (const std::invalid_argument& e) {
        // A value the document refuses (say, a negative size) that the reader let through.
        throw ImportError(name, 0, 0, e.what());
    }
    ImportReport report = sink.report();
    report.format = format;
    return report;
}

} // namespace

ImportJob::ImportJob(GraphDocument& document, QString path, GraphFormat format, QObject* parent)
    : FileTask(std::move(path), parent)
    , m_document(document)
    , m_format(format == GraphFormat::Unknown ? formatFromPath(this->path().toStdString()) : format)
{
}

ImportJob::~ImportJob()
{
    shutdown();
}

void ImportJob::prepare()
{
    if (m_format == GraphFormat::Unknown)
        throw ImportError(
            path().toStdString(), 0, 0, "unknown file type; supported formats: " + supportedFormatsText());
    if (m_format != GraphFormat::Native)
        m_builder.emplace(m_document.begin());
}

void ImportJob::work()
{
    const std::string name = path().toStdString();
    QFile file(path());
    if (!file.open(QIODevice::ReadOnly))
        throw ImportError(name, 0, 0, "cannot open: " + file.errorString().toStdString());
    // Reading is the first half of the progress bar, parsing the second.
    const qint64 size = file.isSequential() ? 0 : file.size();
    const qint64 total = 2 * size;
    reportProgress(0, total);
    m_bytes.reserve(std::size_t(size));
    std::string chunk(std::size_t(ReadChunk), '\0');
    for (;;) {
        checkCancelled();
        const qint64 n = file.read(chunk.data(), ReadChunk);
        if (n < 0)
            throw ImportError(name, 0, 0, "cannot read: " + file.errorString().toStdString());
        if (n == 0)
            break;
        m_bytes.append(chunk.data(), std::size_t(n));
        reportProgress(std::min(qint64(m_bytes.size()), size), total);
    }
    checkCancelled();

    if (m_format == GraphFormat::Native) {
        m_snapshot = nativeSnapshotFromFileBytes(m_bytes, name);
        m_bytes = std::string();
        reportProgress(total, total);
        return;
    }

    const char* begin = m_bytes.data();
    const char* end = begin + m_bytes.size();
    const qint64 read = qint64(m_bytes.size());
    ImportSink sink(*m_builder);
    CountingSink counting(sink, m_records, [&](const char* position) {
        checkCancelled();
        // Keys are views into the bytes for most readers: their place is the reader's.
        if (position >= begin && position < end)
            reportProgress(read + (position - begin), read * 2);
    });
    m_report = readInto(m_bytes, m_format, name, counting, sink);
    m_records.store(counting.count(), std::memory_order_relaxed);
    reportProgress(read * 2, read * 2);
}

QString ImportJob::complete()
{
    const QString fileName = QFileInfo(path()).fileName();
    std::vector<LocalChange>* changes = m_collectChanges ? &m_changes : nullptr;
    if (m_format == GraphFormat::Native) {
        std::string error;
        const std::string snapshot = std::exchange(m_snapshot, std::string());
        if (!m_document.mergeSnapshot(snapshot, &error))
            throw ImportError(path().toStdString(), 0, 0, "the file is damaged: " + error);
        m_report = reportOf(m_document);
    } else {
        const bool fits = m_builder->replica() == m_document.replica()
            && m_builder->nextCounter() - m_builder->opCount() == m_document.nextCounter();
        if (!fits) {
            // A local edit was committed while the worker ran: its counters are taken.
            m_rebuilt = true;
            m_builder.emplace(m_document.begin());
            ImportSink sink(*m_builder);
            m_report = readInto(m_bytes, m_format, path().toStdString(), sink, sink);
        }
        m_bytes = std::string();
        m_transaction = m_document.commit(*m_builder, changes);
        m_builder.reset();
    }
    return QStringLiteral("Read %1 nodes and %2 edges from %3").arg(m_report.nodes).arg(m_report.edges).arg(fileName);
}

} // namespace constellate::ui
