#pragma once

#include "editorsession.h"
#include "graphview.h"
#include "layout/forcelayout.h"

#include <QMainWindow>

#include <functional>

#include <memory>

class QAction;
class QActionGroup;
class QDockWidget;
class QLabel;
class QProgressBar;
class QSettings;

namespace constellate::net {
class LanBrowser;
}

namespace constellate::ui {

class AnnotationsPanel;
class Autosaver;
class LayoutJob;
class EditorSession;
class FileTask;
class GraphClipboard;
class HistoryPanel;
class NoticeBar;
class PeoplePanel;
class PropertiesPanel;
class SearchBar;
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
    AnnotationsPanel* annotationsPanel() const { return m_annotations; }
    SearchBar* searchBar() const { return m_search; }
    NoticeBar* noticeBar() const { return m_notices; }
    HistoryPanel* historyPanel() const { return m_history; }
    GraphClipboard* clipboard() const { return m_clipboard; }
    /// View > Enter VR (null when built without OpenXR).
    VrMode* vrMode() const { return m_vr; }
    /// The status bar's text (tests).
    QString statusText() const;

    /// Opens a graph file (any format) as the document, alone, with progress; asks first
    /// whether to save unsaved changes. `done` (if given) is told whether it worked.
    void openPath(const QString& path, std::function<void(bool)> done = {});
    /// Saves the document in the native format to `path` (Save As without the dialog).
    void saveTo(const QString& path, std::function<void(bool)> done = {});
    /// Lays the graph out (Tools > Auto-Layout): live in the view and for the others, one
    /// undo step when it settles or is stopped. `options` for tests; default: the editor's.
    void startAutoLayout(const layout::ForceLayoutOptions& options = {});
    /// Ends a running layout where it is (committed), or drops it (cancel).
    void stopAutoLayout(bool commit);
    bool isLayingOut() const { return m_layout != nullptr; }

    /// Offers to recover what a session that did not close properly left (at start).
    void offerRecovery();
    Autosaver* autosaver() const { return m_autosaver; }
    /// What Session > Join… lists: hosted sessions heard on the LAN (UDP port 7878).
    net::LanBrowser* lanBrowser() const { return m_lan; }
    /// Session > "Announce Hosted Sessions on the LAN": `remember` keeps the choice for
    /// later runs (the menu does); --no-announce turns it off for this run only.
    void setAnnounce(bool on, bool remember);
    bool announces() const;
    /// What Session > Host and "Host This Room From Your Copy" start from: the address to
    /// bind, the data directory and where beacons go (tests: loopback only). The port comes
    /// from the Host dialog (the last one used), the announce switch from the menu.
    void setHostDefaults(const EditorSession::HostOptions& options) { m_hostDefaults = options; }

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
    /// A guest whose host is gone hosts the room from their copy (the notice's button).
    void hostFromCopy();
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
    AnnotationsPanel* m_annotations = nullptr;
    SearchBar* m_search = nullptr;
    LayoutJob* m_layout = nullptr;        ///< the layout running, if any
    QWidget* m_layoutStatus = nullptr;    ///< its progress and buttons in the status bar
    QProgressBar* m_layoutProgress = nullptr;
    /// The dock of each panel (Go To Properties, ... show and focus them).
    QDockWidget* m_propertiesDock = nullptr;
    QDockWidget* m_peopleDock = nullptr;
    QDockWidget* m_annotationsDock = nullptr;
    HistoryPanel* m_history = nullptr;
    GraphClipboard* m_clipboard = nullptr;
    QDockWidget* m_historyDock = nullptr;
    QLabel* m_status = nullptr;
    QProgressBar* m_transfer = nullptr;
    QAction* m_undo = nullptr;
    QAction* m_redo = nullptr;
    QAction* m_leave = nullptr;
    QAction* m_copyAddress = nullptr;
    QAction* m_announce = nullptr;
    net::LanBrowser* m_lan = nullptr;
    QString m_lanError; ///< why m_lan does not listen, if it does not
    EditorSession::HostOptions m_hostDefaults;
    QActionGroup* m_tools = nullptr;
    VrMode* m_vr = nullptr;
    Autosaver* m_autosaver = nullptr;
    QString m_savePath; ///< where Save writes (a native file), empty: Save asks
    bool m_closing = false;
};

} // namespace constellate::ui
