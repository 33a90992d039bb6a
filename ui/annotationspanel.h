#pragma once

#include "operation.h"
#include "types.h"

#include <QWidget>

class QCheckBox;
class QPushButton;
class QTableWidget;

namespace constellate::ui {

class EditorSession;

/// The annotations (tags, highlights, comments) on what is selected, or on the whole
/// graph: kind, text, what it is on, who wrote it, its colour. Adds them to the selection,
/// edits their text in place (double-click or F2), recolours and deletes them. Every edit
/// is one undo step, sent to the room; the list follows everyone's edits.
class AnnotationsPanel : public QWidget {
    Q_OBJECT
public:
    explicit AnnotationsPanel(EditorSession& session, QWidget* parent = nullptr);

    /// Re-reads the annotations.
    void refresh();
    /// Shows every annotation of the graph (true) or those on the selection (false).
    void setShowAll(bool all);
    /// Lists `annotation` (showing all if it is not on the selection) and selects its row.
    void focusAnnotation(EntityId annotation);

    /// Asks for a text and annotates the selection (Edit > Annotate).
    void addTag();
    void addComment();
    void addHighlight();

    // For tests and keyboard use.
    QTableWidget* table() const { return m_table; }
    /// The annotations listed, row by row.
    const std::vector<EntityId>& rows() const { return m_rows; }
    /// Annotates the selection without asking (what the dialogs end in).
    void annotateSelection(AnnotationKind kind, const QString& text, Rgba color);

private:
    void textEdited(int row, int column);
    void chooseColor();
    void deleteChosen();
    std::vector<EntityId> chosen() const;
    void updateButtons();

    EditorSession& m_session;
    QTableWidget* m_table = nullptr;
    QCheckBox* m_all = nullptr;
    QPushButton* m_tag = nullptr;
    QPushButton* m_comment = nullptr;
    QPushButton* m_highlight = nullptr;
    QPushButton* m_color = nullptr;
    QPushButton* m_delete = nullptr;
    std::vector<EntityId> m_rows;
    bool m_refreshing = false;
};

} // namespace constellate::ui
