#include "graphclipboard.h"

#include "editorsession.h"
#include "graphview.h"
#include "subgraph.h"

#include <QAction>
#include <QClipboard>
#include <QGuiApplication>
#include <QMainWindow>
#include <QMessageBox>
#include <QMimeData>
#include <QStatusBar>

#include <algorithm>
#include <cmath>

namespace constellate::ui {

const QString GraphClipboard::MimeType = QStringLiteral("application/x-constellate-subgraph");

namespace {

/// "3 nodes, 2 edges, 1 annotation" (no translations are loaded: plurals by hand).
QString counted(const Subgraph& s)
{
    auto count = [](std::size_t n, const char* one, const char* many) {
        return n == 1 ? GraphClipboard::tr(one) : GraphClipboard::tr(many).arg(n);
    };
    QString text = count(s.nodeCount(), "1 node", "%1 nodes");
    if (s.edgeCount())
        text += QStringLiteral(", ") + count(s.edgeCount(), "1 edge", "%1 edges");
    if (s.annotationCount())
        text += QStringLiteral(", ") + count(s.annotationCount(), "1 annotation", "%1 annotations");
    return text;
}

bool fail(QString* error, const QString& text)
{
    if (error)
        *error = text;
    return false;
}

} // namespace

GraphClipboard::GraphClipboard(EditorSession& session, GraphView& view, QMainWindow* window)
    : QObject(window), m_session(session), m_view(view), m_window(window)
{
    m_cut = new QAction(tr("Cu&t"), this);
    m_cut->setShortcut(QKeySequence::Cut);
    m_cut->setStatusTip(tr("Copy the selected nodes and the edges among them, then delete them"));
    m_copy = new QAction(tr("&Copy"), this);
    m_copy->setShortcut(QKeySequence::Copy);
    m_copy->setStatusTip(tr("Copy the selected nodes, the edges among them and their annotations"));
    m_paste = new QAction(tr("&Paste"), this);
    m_paste->setShortcut(QKeySequence::Paste);
    m_paste->setStatusTip(tr("Paste copied nodes as new ones (from this room, another, or JSON node-link text)"));
    connect(m_cut, &QAction::triggered, this, [this] {
        QString error;
        report(cut(&error), error, tr("Cut"));
    });
    connect(m_copy, &QAction::triggered, this, [this] {
        QString error;
        report(copy(&error), error, tr("Copy"));
    });
    connect(m_paste, &QAction::triggered, this, [this] {
        QString error;
        report(paste(&error), error, tr("Paste"));
    });
    connect(&m_session, &EditorSession::selectionChanged, this, &GraphClipboard::updateActions);
    connect(&m_session, &EditorSession::documentEdited, this, &GraphClipboard::updateActions);
    connect(&m_session, &EditorSession::statusChanged, this, &GraphClipboard::updateActions);
    updateActions();
}

void GraphClipboard::updateActions()
{
    const GraphDocument& doc = m_session.document();
    const bool nodes = std::any_of(m_session.selection().begin(), m_session.selection().end(), [&](EntityId id) {
        const GraphDocument::Entity* e = doc.entity(id);
        return e && e->kind == EntityKind::Node && doc.isVisible(*e);
    });
    m_copy->setEnabled(nodes);
    m_cut->setEnabled(nodes && m_session.canEdit());
    m_paste->setEnabled(m_session.canEdit());
}

void GraphClipboard::report(bool ok, const QString& error, const QString& title)
{
    if (!ok && !error.isEmpty())
        QMessageBox::warning(m_window, title, error);
}

QMimeData* GraphClipboard::mimeDataFor(const Subgraph& subgraph)
{
    auto* data = new QMimeData;
    const std::string bytes = subgraph.encode();
    data->setData(MimeType, QByteArray(bytes.data(), qsizetype(bytes.size())));
    data->setText(QString::fromStdString(subgraph.toNodeLink())); // other programs take JSON node-link
    return data;
}

bool GraphClipboard::copy(QString* error)
{
    const Subgraph s = Subgraph::copy(m_session.document(), m_session.selection());
    if (s.isEmpty())
        return fail(error, tr("Select one or more nodes to copy (an edge goes along when both its ends are selected)."));
    QGuiApplication::clipboard()->setMimeData(mimeDataFor(s));
    m_copied = counted(s);
    m_window->statusBar()->showMessage(tr("Copied %1").arg(m_copied), 5000);
    return true;
}

bool GraphClipboard::cut(QString* error)
{
    if (!m_session.canEdit())
        return fail(error, tr("You can look but not edit here (a viewer): nothing was cut."));
    if (!copy(error))
        return false;
    GraphDocument& doc = m_session.document();
    TransactionBuilder b = doc.begin();
    for (const EntityId id : m_session.selection())
        if (doc.isVisible(id))
            doc.set(b, id, {Field::Exists, {}}, Value(false));
    m_session.commit(b, tr("Cut"));
    m_window->statusBar()->showMessage(tr("Cut %1").arg(m_copied), 5000);
    return true;
}

bool GraphClipboard::paste(QString* error)
{
    if (!m_session.canEdit())
        return fail(error, tr("You can look but not edit here (a viewer): nothing was pasted."));
    const QMimeData* data = QGuiApplication::clipboard()->mimeData();
    std::optional<Subgraph> s;
    std::string why;
    QByteArray key;
    if (data && data->hasFormat(MimeType)) {
        key = data->data(MimeType);
        s = Subgraph::decode(std::string_view(key.constData(), std::size_t(key.size())), &why);
        if (!s)
            return fail(error, tr("The graph on the clipboard cannot be pasted: %1. Nothing was changed.")
                                   .arg(QString::fromStdString(why)));
    } else if (data && data->hasText() && data->text().trimmed().startsWith(QLatin1Char('{'))) {
        key = data->text().toUtf8();
        s = Subgraph::fromNodeLink(std::string_view(key.constData(), std::size_t(key.size())), &why);
        if (!s)
            return fail(error, tr("The text on the clipboard is not a graph Constellate can paste (JSON node-link): "
                                  "%1. Nothing was changed.")
                                   .arg(QString::fromStdString(why)));
    } else {
        return fail(error, tr("The clipboard holds no graph: copy nodes in Constellate (in any room), or JSON "
                              "node-link text in another program."));
    }

    GraphDocument& doc = m_session.document();
    const render::Camera& camera = m_view.camera();
    Vec3 offset;
    if (s->cameFrom(doc)) {
        // Beside the originals: down and to the right on screen, by about 48 pixels at the
        // depth looked at (or three node radii), and as far again for each repeated paste.
        m_repeats = key == m_lastPasted ? m_repeats + 1 : 1;
        const float pixel = 2.0f * camera.distance() * std::tan(camera.verticalFov() / 2) / float(std::max(1, m_view.height()));
        const float step = std::max(48.0f * pixel, 3.0f * s->largestNodeSize()) * float(m_repeats);
        const glm::vec3 d = (camera.right() - camera.up()) * step;
        offset = {d.x, d.y, d.z};
    } else {
        // Another document: centred where the camera looks.
        m_repeats = 0;
        const glm::vec3 at = camera.target();
        const Vec3 c = s->center();
        offset = {at.x - c.x, at.y - c.y, at.z - c.z};
    }
    m_lastPasted = key;
    TransactionBuilder b = doc.begin();
    std::vector<EntityId> nodes;
    try {
        nodes = s->paste(b, offset);
    } catch (const std::exception& e) {
        return fail(error, tr("The graph on the clipboard cannot be pasted: %1. Nothing was changed.")
                               .arg(QString::fromLocal8Bit(e.what())));
    }
    m_session.commit(b, nodes.size() == 1 ? tr("Paste Node") : tr("Paste %1 Nodes").arg(nodes.size()));
    // A copy from a graph drawn at a larger scale can reach past the view: then the view
    // frames what was pasted (the copy keeps its geometry; the camera moves instead).
    const QRect shown(QPoint(0, 0), m_view.size());
    const bool allShown = std::all_of(nodes.begin(), nodes.end(), [&](EntityId id) {
        const std::optional<QPoint> at = m_view.pixelOf(id);
        return at && shown.contains(*at);
    });
    m_session.setSelection(std::move(nodes));
    if (!allShown)
        m_view.frameSelection();
    m_window->statusBar()->showMessage(tr("Pasted %1").arg(counted(*s)), 5000);
    return true;
}

} // namespace constellate::ui
