#pragma once

#include "types.h"

#include <QWidget>

class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QTableWidget;

namespace constellate::ui {

class EditorSession;

/// The properties of what is selected: label, colour and size (nodes), weight (edges) and
/// the free properties. With several entities selected it shows the first one's values
/// and an edit applies to all of them. Every edit is one undo step, sent to the room; the
/// panel follows others' edits of what it shows.
class PropertiesPanel : public QWidget {
    Q_OBJECT
public:
    explicit PropertiesPanel(EditorSession& session, QWidget* parent = nullptr);

    /// Re-reads the selection's values (the session's edits call it too).
    void refresh();

    // For tests and keyboard use: the same as typing into the fields.
    QLineEdit* labelEdit() const { return m_label; }
    QDoubleSpinBox* sizeEdit() const { return m_size; }
    QTableWidget* propertiesTable() const { return m_properties; }
    void setColor(Rgba color);

private:
    void commitLabel();
    void commitSize();
    void commitWeight();
    void chooseColor();
    void propertyEdited(int row, int column);
    void addProperty();
    void removeProperty();
    std::vector<EntityId> targets() const;

    EditorSession& m_session;
    QLabel* m_summary = nullptr;
    QLineEdit* m_label = nullptr;
    QPushButton* m_color = nullptr;
    QDoubleSpinBox* m_size = nullptr;
    QDoubleSpinBox* m_weight = nullptr;
    QTableWidget* m_properties = nullptr;
    QPushButton* m_addProperty = nullptr;
    QPushButton* m_removeProperty = nullptr;
    bool m_refreshing = false;
};

} // namespace constellate::ui
