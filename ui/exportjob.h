#pragma once

#include "filetask.h"
#include "formats.h"
#include "graphdata.h"
#include "graphdocument.h"

#include <optional>
#include <string>

namespace constellate::ui {

/// Writes a graph file on a worker: Save / Save As (the native .constellate format) and
/// Export (GraphML, GEXF, JSON, GML, CSV). What is written is taken from the document in
/// the constructor, on the UI thread; serialising, compressing and writing happen on the
/// worker, with progress in bytes written. The file is written beside the target and
/// renamed over it on success (QSaveFile): a failed or cancelled export leaves the target
/// as it was and no partial file behind.
class ExportJob final : public FileTask {
    Q_OBJECT
public:
    /// A native snapshot (GraphDocument::encodeSnapshot) to save.
    struct Snapshot {
        std::string bytes;
    };

    /// Takes what the format needs from `document` now: its snapshot for the native format,
    /// exportGraphData() for the others. The format comes from the path's extension unless
    /// given; an unknown one fails when started. The document is not used afterwards.
    ExportJob(const GraphDocument& document, QString path, GraphFormat format = GraphFormat::Unknown,
        QObject* parent = nullptr);
    /// Writes data taken already, in an interchange format (not Native).
    ExportJob(GraphData graph, QString path, GraphFormat format, QObject* parent = nullptr);
    /// Writes a native file holding `snapshot`.
    ExportJob(Snapshot snapshot, QString path, QObject* parent = nullptr);
    ~ExportJob() override;

    GraphFormat format() const { return m_format; }
    /// Bytes in the file, after success.
    qint64 bytesWritten() const { return m_written; }

protected:
    void prepare() override;
    void work() override;
    QString complete() override;
    bool cancelAfterWork() const override { return false; }

private:
    GraphFormat m_format;
    std::optional<GraphData> m_graph;
    std::string m_snapshot;
    qint64 m_written = 0;
};

} // namespace constellate::ui
