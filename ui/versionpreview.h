#pragma once

#include "graphdocument.h"

#include <QWidget>

#include <memory>

class QLabel;
class QPushButton;

namespace constellate::ui {

class EditorSession;
class GraphView;
struct Profile;

/// A named version shown in a window of its own, beside the live document, which it never
/// touches: a banner names the version ("Previewing ...") and offers Revert to This Version
/// and Close Preview; below it a read-only 3D view of the version (orbit, zoom, select to
/// look, no editing). The room goes on live in the main window meanwhile.
class VersionPreview : public QWidget {
    Q_OBJECT
public:
    VersionPreview(const Profile& profile, QWidget* parent = nullptr);
    ~VersionPreview() override;

    /// Shows `version` (replacing what was shown). `canRevert` false disables Revert with
    /// `whyNot` as its tooltip (a viewer).
    void showVersion(std::unique_ptr<GraphDocument> version, const QString& name, const QString& details,
                     bool canRevert, const QString& whyNot);
    /// The version shown (its document is the preview session's).
    const GraphDocument& document() const;
    GraphView* view() const { return m_view; }
    QString bannerText() const;
    QPushButton* revertButton() const { return m_revert; }
    QPushButton* closeButton() const { return m_close; }

Q_SIGNALS:
    void revertRequested();

private:
    std::unique_ptr<EditorSession> m_session; ///< read only, alone: never in a room
    GraphView* m_view = nullptr;
    QLabel* m_banner = nullptr;
    QPushButton* m_revert = nullptr;
    QPushButton* m_close = nullptr;
};

} // namespace constellate::ui
