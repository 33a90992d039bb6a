#pragma once

#include "graphdocument.h"

#include <optional>
#include <string>
#include <vector>

namespace constellate {

/// A field that undo or redo left alone because someone else wrote it since.
struct SkippedField {
    EntityId entity;
    FieldRef field;
    UserId byUser = 0;
    ReplicaId byReplica = 0;
};

/// What one undo or redo did.
struct UndoOutcome {
    std::string description;               ///< of the step undone or redone
    std::optional<Transaction> transaction; ///< to send; none when every field was skipped
    std::vector<SkippedField> skipped;
};

/// Per-user undo and redo over a shared document. Undo reverts only this replica's own
/// actions, as new operations: each field goes back to the value it had before, unless
/// someone else has written it since, in which case it is skipped (and reported), never
/// clobbered. Redo likewise. A new action clears the redo stack.
class UndoHistory {
public:
    explicit UndoHistory(GraphDocument& document, std::size_t limit = 1000) : m_document(document), m_limit(limit) {}

    /// Commits a local transaction on the document and records it as one undo step.
    Transaction commit(TransactionBuilder& builder, std::string description);
    /// Records a step whose changes the caller got from GraphDocument::commit.
    void record(const std::vector<LocalChange>& changes, std::string description);

    bool canUndo() const { return !m_undo.empty(); }
    bool canRedo() const { return !m_redo.empty(); }
    const std::string& undoText() const;
    const std::string& redoText() const;
    std::size_t undoCount() const { return m_undo.size(); }

    std::optional<UndoOutcome> undo();
    std::optional<UndoOutcome> redo();
    void clear();

private:
    struct Entry {
        EntityId entity;
        FieldRef field;
        OpId written;  ///< our write; the field must still hold it to be reverted
        Value restore; ///< what undo (or redo) writes back
        Value current; ///< what our write wrote (restored by the opposite step)
    };
    struct Step {
        std::string description;
        std::vector<Entry> entries;
    };
    static Step makeStep(const std::vector<LocalChange>& changes, std::string description);
    UndoOutcome revert(Step& step);

    GraphDocument& m_document;
    std::size_t m_limit;
    std::vector<Step> m_undo;
    std::vector<Step> m_redo;
};

} // namespace constellate
