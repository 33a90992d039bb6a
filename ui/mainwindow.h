#pragma once

#include <QMainWindow>

class QLabel;

namespace constellate::ui {

class EditorSession;
class GraphView;

/// The editor's window: the 3D view of the session's document, menus for files and
/// sessions (host, join, leave), and a status bar saying where the document lives, the
/// connection's state, who is here and the round trip. Window geometry is remembered.
class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(EditorSession& session, QWidget* parent = nullptr);
    ~MainWindow() override;

    GraphView* view() const { return m_view; }

protected:
    void closeEvent(QCloseEvent* event) override;

private:
    void openFile();
    void hostSession();
    void joinSession();
    void addNode();
    void updateStatus();

    EditorSession& m_session;
    GraphView* m_view = nullptr;
    QLabel* m_status = nullptr;
};

} // namespace constellate::ui
