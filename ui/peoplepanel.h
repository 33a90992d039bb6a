#pragma once

#include "protocol.h"

#include <QWidget>

#include <optional>

class QListWidget;
class QListWidgetItem;
class QPushButton;

namespace constellate::ui {

class EditorSession;
class GraphView;

/// Who is here: you, then everyone else in the room, each with their colour, name, role,
/// state (online, away, editing), what they have selected, a VR badge, and your round
/// trip. Double-click someone (or Jump) to look where they look; Follow keeps the camera
/// on their view until you move it.
class PeoplePanel : public QWidget {
    Q_OBJECT
public:
    PeoplePanel(EditorSession& session, GraphView& view, QWidget* parent = nullptr);

    void refresh();
    QListWidget* list() const { return m_list; }
    /// One line per person as shown (tests).
    QStringList lines() const;

private:
    std::optional<net::protocol::PeerIndex> currentPeer() const;

    EditorSession& m_session;
    GraphView& m_view;
    QListWidget* m_list = nullptr;
    QPushButton* m_jump = nullptr;
    QPushButton* m_follow = nullptr;
};

} // namespace constellate::ui
