#pragma once

#include "protocol.h"
#include "revert.h"

#include <QByteArray>
#include <QPointer>
#include <QString>
#include <QStringList>
#include <QWidget>

#include <map>
#include <memory>
#include <set>
#include <vector>

class QAction;
class QLabel;
class QPushButton;
class QTimer;
class QTreeWidget;

namespace constellate::net {
class SyncClient;
}

namespace constellate::ui {

class EditorSession;
class VersionPreview;

/// The History dock: the room's named versions (kept by its server), newest first, with
/// who saved each (a display name where the peer is known, else their user id), when, and
/// their size once fetched. Save Version asks for a name (owners and editors; a viewer sees
/// it disabled and why). Preview shows a version in a read-only window beside the live
/// document (VersionPreview); Revert to This Version writes, as one transaction of new
/// operations (one undo step, synced to the room), what makes the document look like the
/// version again (model/revert.h). The list refreshes when anyone saves a version (the
/// server tells the room), on joining, and with Refresh.
class HistoryPanel : public QWidget {
    Q_OBJECT
public:
    explicit HistoryPanel(EditorSession& session, QWidget* parent = nullptr);
    ~HistoryPanel() override;

    /// Edit > Save Version… (Ctrl+Alt+S): asks for a name, then saveVersion().
    QAction* saveVersionAction() const { return m_saveAction; }
    /// Saves the room's state under `name` (1 to 64 bytes of UTF-8, no control characters).
    /// False, with the reason in *why, when it cannot be done now.
    bool saveVersion(const QString& name, QString* why = nullptr);
    /// Asks the server for the list again.
    void refresh();

    /// The versions as listed, newest first.
    const std::vector<net::protocol::VersionInfo>& versions() const { return m_versions; }
    /// Each row as shown: "name · saved by · when · size" (tests, accessibility).
    QStringList lines() const;
    /// Selects a version's row (as a click does).
    void select(net::protocol::VersionId id);
    /// Preview or revert the selected version (fetched first when needed).
    void previewSelected();
    void revertSelected();
    /// The preview window (null until the first preview).
    VersionPreview* preview() const;
    QPushButton* saveButton() const { return m_save; }
    QPushButton* previewButton() const { return m_previewButton; }
    QPushButton* revertButton() const { return m_revert; }
    /// The line under the list: what is going on, or what went wrong.
    QString statusText() const;

Q_SIGNALS:
    /// Worth a glance: a revert done, a version saved (the window's notice bar shows it).
    void notice(const QString& text);

private:
    enum class After { Size, Preview, Revert };
    void askAndSave();
    void followClient();
    void onListed(const std::vector<net::protocol::VersionInfo>& versions);
    void onFetched(net::protocol::VersionId id, const QByteArray& snapshot);
    void fetch(net::protocol::VersionId id, After after);
    void perform(net::protocol::VersionId id, After after);
    void revert(net::protocol::VersionId id);
    void showPreview(net::protocol::VersionId id);
    std::unique_ptr<GraphDocument> decode(net::protocol::VersionId id, QString* error) const;
    const net::protocol::VersionInfo* info(net::protocol::VersionId id) const;
    net::protocol::VersionId selectedId() const;
    QString whoSaved(UserId user) const;
    QString describe(const net::protocol::VersionInfo& v) const; ///< "saved by X, when"
    void rebuildList();
    void updateActions();
    void setStatus(const QString& text);
    void forget();

    EditorSession& m_session;
    QPointer<net::SyncClient> m_client; ///< the session's client whose signals we follow
    std::vector<net::protocol::VersionInfo> m_versions;
    /// Fetched snapshots (a few, most recent last) and what they hold.
    std::vector<std::pair<net::protocol::VersionId, QByteArray>> m_snapshots;
    std::map<net::protocol::VersionId, QString> m_sizes;
    std::map<net::protocol::VersionId, std::set<After>> m_waiting; ///< fetched: then do these
    std::map<UserId, QString> m_names; ///< display names seen in this room
    bool m_saving = false;
    bool m_followed = false; ///< followClient() has run once

    QTreeWidget* m_list = nullptr;
    QLabel* m_status = nullptr;
    QPushButton* m_save = nullptr;
    QPushButton* m_previewButton = nullptr;
    QPushButton* m_revert = nullptr;
    QPushButton* m_refresh = nullptr;
    QAction* m_saveAction = nullptr;
    QTimer* m_fetchSelected = nullptr; ///< fetches the selected version for its size, once the selection rests
    QPointer<VersionPreview> m_preview;
    net::protocol::VersionId m_previewed = 0;
};

} // namespace constellate::ui
