#pragma once

#include "graphview.h"

#include <QMainWindow>

#include <functional>

#include <memory>

class QAction;
class QActionGroup;
class QLabel;
class QProgressBar;
class QSettings;

namespace constellate::ui {

class Autosaver;
class EditorSession;
class FileTask;
class NoticeBar;
class PeoplePanel;
class PropertiesPanel;
class VrMode;
struct Profile;

/// The editor's window: the 3D view of the session's document with a notice bar over it,
/// the tools (select, add node, connect) and edit commands with their shortcuts, the
/// properties and people panels, files, sessions (host, join, leave), and a status bar
/// saying where the document lives, the connection's state, who is here and the round
/// trip. Window geometry, panels, the last folder and address are remembered.
class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(EditorSession& session, QWidget* parent = nullptr);
    ~MainWindow() override;

    GraphView* view() const { return m_view; }
    PropertiesPanel* propertiesPanel() const { return m_properties; }
    PeoplePanel* peoplePanel() const { return m_people; }
    NoticeBar* noticeBar() const { return m_notices; }
    /// View > Enter VR (null when built without OpenXR).
    VrMode* vrMode() const { return m_vr; }
    /// The status bar's text (tests).
    QString statusText() const;

    /// Opens a graph file (any format) as the document, alone, with progress; asks first
    /// whether to save unsaved changes. `done` (if given) is told whether it worked.
    void openPath(const QString& path, std::function<void(bool)> done = {});
    /// Saves the document in the native format to `path` (Save As without the dialog).
    void saveTo(const QString& path, std::function<void(bool)> done = {});
    /// Offers to recover what a session that did not close properly left (at start).
    void offerRecovery();
    Autosaver* autosaver() const { return m_autosaver; }

    /// The profile as QSettings remembers it (a colour from the user id until one is chosen).
    static Profile loadProfile(QSettings& settings);
    static void saveProfile(QSettings& settings, const Profile& profile);

protected:
    void closeEvent(QCloseEvent* event) override;

private:
    void buildMenus();
    void newFile();
    void openFile();
    void importFile();
    void save();
    void saveAs();
    void exportFile();
    /// True when the changes are saved, discarded, or there is nothing to save; false when
    /// the user cancelled.
    bool maybeSave();
    /// Shows `task` in a progress dialog with Cancel, starts it, and calls `done` with it
    /// when it has finished (then deletes it).
    void runTask(FileTask* task, const QString& title, std::function<void(FileTask&)> done);
    void hostSession();
    void joinSession();
    void addNode();
    void deleteSelection();
    void selectAll();
    void connectSelection();
    void editProfile();
    void copyAddress();
    void updateStatus();
    void updateUndoActions();
    void updateTitle();

    EditorSession& m_session;
    GraphView* m_view = nullptr;
    NoticeBar* m_notices = nullptr;
    PropertiesPanel* m_properties = nullptr;
    PeoplePanel* m_people = nullptr;
    QLabel* m_status = nullptr;
    QProgressBar* m_transfer = nullptr;
    QAction* m_undo = nullptr;
    QAction* m_redo = nullptr;
    QAction* m_leave = nullptr;
    QAction* m_copyAddress = nullptr;
    QActionGroup* m_tools = nullptr;
    VrMode* m_vr = nullptr;
    Autosaver* m_autosaver = nullptr;
    QString m_savePath; ///< where Save writes (a native file), empty: Save asks
    bool m_closing = false;
};

} // namespace constellate::ui
