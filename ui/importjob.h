#pragma once

#include "documentio.h"
#include "filetask.h"
#include "formats.h"
#include "graphdocument.h"
#include "transaction.h"

#include <optional>
#include <string>
#include <vector>

namespace constellate::ui {

/// Opens or imports a graph file without freezing the UI: the worker reads the file (with
/// progress in bytes), parses it and builds the import transaction; the UI thread then
/// applies it to the document as ONE local transaction (interchange formats), or merges
/// the snapshot (a .constellate file). A cancelled or failed import leaves the document as
/// it was.
///
/// `document` is touched only on the UI thread, in start() (to take the next operation
/// counter) and when the worker is done; it must outlive the job, or the job must be
/// deleted first. If something else commits a local edit on the document meanwhile, the
/// prepared transaction no longer fits and is rebuilt on the UI thread from the bytes read
/// (same result, only slower).
class ImportJob final : public FileTask {
    Q_OBJECT
public:
    /// The format comes from the path's extension unless given.
    ImportJob(
        GraphDocument& document, QString path, GraphFormat format = GraphFormat::Unknown, QObject* parent = nullptr);
    ~ImportJob() override;

    /// Whether the UI-thread step collects the LocalChange list (what UndoHistory::record
    /// needs). Default true; set before start().
    void setCollectChanges(bool collect) { m_collectChanges = collect; }

    GraphFormat format() const { return m_format; }
    /// After success: counts and attribute names (for the native format: of the whole
    /// document after the merge).
    const ImportReport& report() const { return m_report; }
    /// After success with an interchange format: the committed transaction (to send to
    /// the room) and its changes (for UndoHistory::record). Empty for the native format,
    /// which merges a snapshot (nothing to send: a joined room gets no snapshot merges).
    const Transaction& transaction() const { return m_transaction; }
    const std::vector<LocalChange>& changes() const { return m_changes; }
    Transaction takeTransaction() { return std::move(m_transaction); }
    std::vector<LocalChange> takeChanges() { return std::move(m_changes); }
    /// True when complete() had to rebuild the transaction on the UI thread (see above).
    bool wasRebuilt() const { return m_rebuilt; }
    /// Records delivered by the reader so far (nodes and edges); any thread.
    std::size_t recordsRead() const { return m_records.load(std::memory_order_relaxed); }

protected:
    void prepare() override;
    void work() override;
    QString complete() override;

private:
    GraphDocument& m_document;
    GraphFormat m_format;
    bool m_collectChanges = true;
    // Worker state, handed to the UI thread when the worker is done.
    std::string m_bytes;
    std::optional<TransactionBuilder> m_builder;
    ImportReport m_report;
    std::string m_snapshot; ///< native: the unpacked snapshot
    std::atomic<std::size_t> m_records { 0 };
    // Results.
    Transaction m_transaction;
    std::vector<LocalChange> m_changes;
    bool m_rebuilt = false;
};

} // namespace constellate::ui
