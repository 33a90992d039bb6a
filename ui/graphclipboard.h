#pragma once

#include <QByteArray>
#include <QObject>
#include <QString>

class QAction;
class QMainWindow;
class QMimeData;

namespace constellate {
class Subgraph;
}

namespace constellate::ui {

class EditorSession;
class GraphView;

/// Edit > Cut, Copy and Paste of subgraphs through the system clipboard, so they travel
/// between windows, rooms and programs. Copy puts the selected nodes, the edges among them
/// and the annotations on those (model/subgraph.h) there twice: in the private MIME type
/// below (everything, validated when read back) and as JSON node-link text for other tools.
/// Paste creates the subgraph anew (new ids) in one transaction: one undo step, synced. It
/// lands beside the originals when they are in this document (further along for each repeated
/// paste), else centred where the camera looks; the pasted nodes become the selection. Cut is
/// a copy and a delete in one undo step. A clipboard holding something else, or a malformed
/// graph, changes nothing and says why.
class GraphClipboard : public QObject {
    Q_OBJECT
public:
    /// The private MIME type: Subgraph::encode() bytes (magic, format version, snapshot).
    static const QString MimeType;

    /// `window` shows messages and status lines.
    GraphClipboard(EditorSession& session, GraphView& view, QMainWindow* window);

    QAction* cutAction() const { return m_cut; }
    QAction* copyAction() const { return m_copy; }
    QAction* pasteAction() const { return m_paste; }

    /// Copies the selection; false (and *error) when no node is selected.
    bool copy(QString* error = nullptr);
    /// Copies the selection and deletes it: one undo step. False (and *error) when no node
    /// is selected or this session cannot edit.
    bool cut(QString* error = nullptr);
    /// Pastes what the clipboard holds; false (and *error) when nothing was pasted.
    bool paste(QString* error = nullptr);

    /// The clipboard's content for a subgraph (both formats); used by copy().
    static QMimeData* mimeDataFor(const Subgraph& subgraph);

private:
    void updateActions();
    void report(bool ok, const QString& error, const QString& title);

    EditorSession& m_session;
    GraphView& m_view;
    QMainWindow* m_window;
    QAction* m_cut = nullptr;
    QAction* m_copy = nullptr;
    QAction* m_paste = nullptr;
    QByteArray m_lastPasted; ///< what the last paste into this document was: repeats step further
    int m_repeats = 0;
    QString m_copied; ///< what the last copy took, for the status line ("3 nodes, 2 edges")
};

} // namespace constellate::ui
