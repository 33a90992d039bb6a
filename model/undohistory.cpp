#include "undohistory.h"

#include <algorithm>

namespace constellate {

namespace {
const std::string NoText;
}

Transaction UndoHistory::commit(TransactionBuilder& builder, std::string description)
{
    std::vector<LocalChange> changes;
    Transaction t = m_document.commit(builder, &changes);
    record(changes, std::move(description));
    return t;
}

UndoHistory::Step UndoHistory::makeStep(const std::vector<LocalChange>& changes, std::string description)
{
    // One entry per field: the first "before" and the last write, so that writing a field
    // twice in one action undoes to what it was before the action.
    Step step {std::move(description), {}};
    for (const LocalChange& c : changes) {
        auto it = std::find_if(step.entries.begin(), step.entries.end(),
                               [&](const Entry& e) { return e.entity == c.entity && e.field == c.field; });
        if (it == step.entries.end()) {
            step.entries.push_back({c.entity, c.field, c.written, c.before, c.after});
        } else {
            it->written = c.written;
            it->current = c.after;
        }
    }
    return step;
}

void UndoHistory::record(const std::vector<LocalChange>& changes, std::string description)
{
    if (changes.empty())
        return;
    m_undo.push_back(makeStep(changes, std::move(description)));
    if (m_undo.size() > m_limit)
        m_undo.erase(m_undo.begin());
    m_redo.clear();
}

UndoOutcome UndoHistory::revert(Step& step)
{
    UndoOutcome outcome;
    outcome.description = step.description;
    TransactionBuilder builder = m_document.begin();
    std::vector<Entry> kept;
    // Newest first, so that a create is undone after the writes to what it created.
    for (auto it = step.entries.rbegin(); it != step.entries.rend(); ++it) {
        Entry& e = *it;
        const GraphDocument::Entity* entity = m_document.entity(e.entity);
        const Stamp now = entity ? m_document.stamp(*entity, e.field) : Stamp {};
        if (now.op != e.written) {
            outcome.skipped.push_back({e.entity, e.field, m_document.userOf(now.op.replica), now.op.replica});
            continue;
        }
        // The opposite step writes back what this one replaces.
        kept.push_back({e.entity, e.field, builder.set(e.entity, e.field, e.restore, now.op), e.current, e.restore});
    }
    if (builder.opCount() > 0)
        outcome.transaction = m_document.commit(builder);
    std::reverse(kept.begin(), kept.end());
    step.entries = std::move(kept);
    return outcome;
}

std::optional<UndoOutcome> UndoHistory::undo()
{
    if (m_undo.empty())
        return std::nullopt;
    Step step = std::move(m_undo.back());
    m_undo.pop_back();
    UndoOutcome outcome = revert(step);
    if (!step.entries.empty())
        m_redo.push_back(std::move(step));
    return outcome;
}

std::optional<UndoOutcome> UndoHistory::redo()
{
    if (m_redo.empty())
        return std::nullopt;
    Step step = std::move(m_redo.back());
    m_redo.pop_back();
    UndoOutcome outcome = revert(step);
    if (!step.entries.empty())
        m_undo.push_back(std::move(step));
    return outcome;
}

const std::string& UndoHistory::undoText() const
{
    return m_undo.empty() ? NoText : m_undo.back().description;
}

const std::string& UndoHistory::redoText() const
{
    return m_redo.empty() ? NoText : m_redo.back().description;
}

void UndoHistory::clear()
{
    m_undo.clear();
    m_redo.clear();
}

} // namespace constellate
