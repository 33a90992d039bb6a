#pragma once

#include <QDialog>
#include <QString>
#include <QUrl>

#include <cstdint>

class QLabel;
class QLineEdit;
class QTreeWidget;
class QTreeWidgetItem;

namespace constellate::net {
class LanBrowser;
}

namespace constellate::ui {

/// Session > Join…: the sessions hosted on the LAN as a LanBrowser hears them (host, room,
/// people, whether a key is needed, address), kept up to date while open, and a field for
/// any room's address. Choosing a session fills the address; a double-click joins it.
class JoinDialog : public QDialog {
    Q_OBJECT
public:
    /// `browser` may be null (nothing listed) and must outlive the dialog; the session with
    /// beacon host id `hideHostId` (this editor's own) is left out.
    JoinDialog(const net::LanBrowser* browser, const QString& lastUrl, std::uint64_t hideHostId,
               const QString& browserError, QWidget* parent = nullptr);

    QUrl url() const;
    QString accessKey() const;
    QTreeWidget* sessionList() const { return m_list; }
    QLineEdit* urlField() const { return m_url; }

private:
    void refill();
    void choose(QTreeWidgetItem* item);

    const net::LanBrowser* m_browser;
    std::uint64_t m_hideHostId;
    QString m_browserError;
    QTreeWidget* m_list = nullptr;
    QLabel* m_state = nullptr;
    QLineEdit* m_url = nullptr;
    QLineEdit* m_key = nullptr;
};

} // namespace constellate::ui
