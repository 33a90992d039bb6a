#pragma once

#include "graphsearch.h"
#include "types.h"

#include <QWidget>

#include <optional>
#include <vector>

class QLabel;
class QLineEdit;
class QTimer;

namespace constellate::ui {

class EditorSession;

/// The search field over the view: finds nodes and edges by label, property or annotation
/// (GraphSearch's language), as the user types; the view outlines the matches and dims the
/// rest. Enter selects the matches, Escape clears the search. Re-runs when the document
/// changes, so matches follow everyone's edits.
class SearchBar : public QWidget {
    Q_OBJECT
public:
    explicit SearchBar(EditorSession& session, QWidget* parent = nullptr);

    QLineEdit* field() const { return m_field; }
    /// Puts the cursor in the field, its text selected (Ctrl+F).
    void activate();
    /// The current matches (nullopt: no search).
    const std::optional<std::vector<EntityId>>& matches() const { return m_matches; }
    /// Runs the search now (tests; typing runs it after a short pause).
    void runNow();

Q_SIGNALS:
    /// New matches, or nullopt when the search was cleared.
    void matchesChanged(const std::optional<std::vector<constellate::EntityId>>& matches);
    /// Enter: the matches should become the selection (and be framed).
    void selectMatchesRequested();
    /// Escape: the search was cleared and the user is done with the field.
    void dismissed();

protected:
    bool eventFilter(QObject* watched, QEvent* event) override;

private:
    EditorSession& m_session;
    QLineEdit* m_field = nullptr;
    QLabel* m_count = nullptr;
    QTimer* m_debounce = nullptr;
    GraphSearch m_search;
    std::optional<std::vector<EntityId>> m_matches;
};

} // namespace constellate::ui
