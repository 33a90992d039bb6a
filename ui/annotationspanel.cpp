#include "annotationspanel.h"

#include "editorsession.h"
#include "qtcolor.h"

#include <QApplication>
#include <QCheckBox>
#include <QColorDialog>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QInputDialog>
#include <QPushButton>
#include <QSettings>
#include <QTableWidget>
#include <QVBoxLayout>

#include <algorithm>

namespace constellate::ui {

namespace {

enum Column { KindColumn, TextColumn, OnColumn, ByColumn, ColumnCount };

/// Default colours of new annotations: a warm yellow tag, an orange highlight, a pale
/// comment, readable on the dark background.
Rgba defaultColor(AnnotationKind kind)
{
    switch (kind) {
    case AnnotationKind::Tag: return 0xffd166ff;
    case AnnotationKind::Highlight: return 0xff7f0eff;
    case AnnotationKind::Comment: return 0xf1f3f5ff;
    }
    return 0xffffffff;
}

QString kindName(AnnotationKind kind)
{
    switch (kind) {
    case AnnotationKind::Tag: return AnnotationsPanel::tr("Tag");
    case AnnotationKind::Highlight: return AnnotationsPanel::tr("Highlight");
    case AnnotationKind::Comment: return AnnotationsPanel::tr("Comment");
    }
    return {};
}

FieldRef ref(Field f)
{
    return {f, {}};
}

} // namespace

AnnotationsPanel::AnnotationsPanel(EditorSession& session, QWidget* parent) : QWidget(parent), m_session(session)
{
    m_table = new QTableWidget(0, ColumnCount, this);
    m_table->setHorizontalHeaderLabels({tr("Kind"), tr("Text"), tr("On"), tr("By")});
    m_table->horizontalHeader()->setSectionResizeMode(TextColumn, QHeaderView::Stretch);
    m_table->verticalHeader()->hide();
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setEditTriggers(QAbstractItemView::DoubleClicked | QAbstractItemView::EditKeyPressed);
    m_all = new QCheckBox(tr("All in the &graph"), this);
    m_all->setToolTip(tr("List every annotation, not only those on the selection"));
    m_tag = new QPushButton(tr("&Tag…"), this);
    m_tag->setToolTip(tr("Tag the selected nodes and edges"));
    m_comment = new QPushButton(tr("Co&mment…"), this);
    m_comment->setToolTip(tr("Comment on the selected nodes and edges"));
    m_highlight = new QPushButton(tr("&Highlight"), this);
    m_highlight->setToolTip(tr("Highlight the selected nodes and edges in a colour"));
    m_color = new QPushButton(tr("Colour…"), this);
    m_color->setToolTip(tr("Recolour the chosen annotations"));
    m_delete = new QPushButton(tr("Delete"), this);
    m_delete->setToolTip(tr("Delete the chosen annotations"));

    auto* add = new QHBoxLayout;
    add->addWidget(m_tag);
    add->addWidget(m_comment);
    add->addWidget(m_highlight);
    add->addStretch();
    auto* edit = new QHBoxLayout;
    edit->addWidget(m_all);
    edit->addStretch();
    edit->addWidget(m_color);
    edit->addWidget(m_delete);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(add);
    layout->addWidget(m_table, 1);
    layout->addLayout(edit);

    m_all->setChecked(QSettings().value(QStringLiteral("annotations/showAll"), false).toBool());
    connect(m_all, &QCheckBox::toggled, this, [this](bool on) {
        QSettings().setValue(QStringLiteral("annotations/showAll"), on);
        refresh();
    });
    connect(m_tag, &QPushButton::clicked, this, &AnnotationsPanel::addTag);
    connect(m_comment, &QPushButton::clicked, this, &AnnotationsPanel::addComment);
    connect(m_highlight, &QPushButton::clicked, this, &AnnotationsPanel::addHighlight);
    connect(m_color, &QPushButton::clicked, this, &AnnotationsPanel::chooseColor);
    connect(m_delete, &QPushButton::clicked, this, &AnnotationsPanel::deleteChosen);
    connect(m_table, &QTableWidget::cellChanged, this, &AnnotationsPanel::textEdited);
    connect(m_table, &QTableWidget::itemSelectionChanged, this, &AnnotationsPanel::updateButtons);
    connect(&m_session, &EditorSession::selectionChanged, this, &AnnotationsPanel::refresh);
    connect(&m_session, &EditorSession::annotationsChanged, this, &AnnotationsPanel::refresh);
    connect(&m_session, &EditorSession::documentReset, this, &AnnotationsPanel::refresh);
    connect(&m_session, &EditorSession::peersChanged, this, &AnnotationsPanel::refresh); // names
    connect(&m_session, &EditorSession::statusChanged, this, &AnnotationsPanel::updateButtons); // role
    refresh();
}

void AnnotationsPanel::setShowAll(bool all)
{
    m_all->setChecked(all);
}

void AnnotationsPanel::refresh()
{
    // An edit in progress keeps what the user is typing.
    if (QWidget* f = QApplication::focusWidget(); f && f != m_table && m_table->isAncestorOf(f))
        return;
    const GraphDocument& doc = m_session.document();
    const std::vector<EntityId>& selection = m_session.selection();
    const std::vector<EntityId> before = chosen();
    std::vector<const GraphDocument::Entity*> listed;
    doc.forEach(EntityKind::Annotation, [&](const GraphDocument::Entity& e) {
        if (m_all->isChecked() || std::find(selection.begin(), selection.end(), e.a) != selection.end())
            listed.push_back(&e);
    }, true);

    m_refreshing = true;
    m_table->setRowCount(int(listed.size()));
    m_rows.clear();
    for (int row = 0; row < int(listed.size()); ++row) {
        const GraphDocument::Entity& a = *listed[std::size_t(row)];
        m_rows.push_back(a.id);
        auto cell = [&](int column, const QString& text, bool editable) {
            auto* item = new QTableWidgetItem(text);
            Qt::ItemFlags flags = Qt::ItemIsSelectable | Qt::ItemIsEnabled;
            if (editable)
                flags |= Qt::ItemIsEditable;
            item->setFlags(flags);
            m_table->setItem(row, column, item);
            return item;
        };
        QTableWidgetItem* kind = cell(KindColumn, kindName(doc.annotationKind(a)), false);
        QPixmap swatch(12, 12);
        swatch.fill(toQColor(doc.color(a)));
        kind->setIcon(QIcon(swatch));
        cell(TextColumn, QString::fromStdString(std::string(doc.text(a))), m_session.canEdit());
        const GraphDocument::Entity* target = doc.entity(a.a);
        QString on;
        if (target) {
            on = QString::fromStdString(std::string(doc.label(*target)));
            if (on.isEmpty())
                on = target->kind == EntityKind::Node ? tr("a node") : tr("an edge");
        }
        cell(OnColumn, on, false);
        cell(ByColumn, m_session.userName(doc.userOf(a.id.replica)), false);
    }
    // Keep the chosen rows chosen.
    for (int row = 0; row < int(m_rows.size()); ++row)
        if (std::find(before.begin(), before.end(), m_rows[std::size_t(row)]) != before.end())
            m_table->selectRow(row);
    m_refreshing = false;
    updateButtons();
}

void AnnotationsPanel::updateButtons()
{
    const bool editor = m_session.canEdit();
    const bool targets = !m_session.selection().empty();
    for (QPushButton* b : {m_tag, m_comment, m_highlight}) {
        b->setEnabled(editor && targets);
    }
    const bool any = !chosen().empty();
    m_color->setEnabled(editor && any);
    m_delete->setEnabled(editor && any);
    if (!editor)
        m_tag->setToolTip(tr("A viewer of this room cannot annotate"));
}

std::vector<EntityId> AnnotationsPanel::chosen() const
{
    std::vector<EntityId> out;
    for (const QModelIndex& index : m_table->selectionModel()->selectedRows())
        if (index.row() >= 0 && std::size_t(index.row()) < m_rows.size())
            out.push_back(m_rows[std::size_t(index.row())]);
    return out;
}

void AnnotationsPanel::focusAnnotation(EntityId annotation)
{
    auto row = [&] { return std::find(m_rows.begin(), m_rows.end(), annotation); };
    if (row() == m_rows.end()) {
        refresh();
        if (row() == m_rows.end())
            setShowAll(true); // refreshes
    }
    const auto it = row();
    if (it == m_rows.end())
        return;
    const int r = int(it - m_rows.begin());
    m_table->selectRow(r);
    m_table->scrollToItem(m_table->item(r, TextColumn));
}

void AnnotationsPanel::annotateSelection(AnnotationKind kind, const QString& text, Rgba color)
{
    const std::vector<EntityId> made = m_session.annotate(m_session.selection(), kind, text.toStdString(), color);
    if (!made.empty())
        focusAnnotation(made.front());
}

void AnnotationsPanel::addTag()
{
    if (!m_session.canEdit() || m_session.selection().empty())
        return;
    bool ok = false;
    const QString text = QInputDialog::getText(this, tr("Tag"), tr("Tag the selection with:"), QLineEdit::Normal,
                                               QString(), &ok).trimmed();
    if (ok && !text.isEmpty())
        annotateSelection(AnnotationKind::Tag, text, defaultColor(AnnotationKind::Tag));
}

void AnnotationsPanel::addComment()
{
    if (!m_session.canEdit() || m_session.selection().empty())
        return;
    bool ok = false;
    const QString text =
        QInputDialog::getMultiLineText(this, tr("Comment"), tr("Your comment on the selection:"), QString(), &ok)
            .trimmed();
    if (ok && !text.isEmpty())
        annotateSelection(AnnotationKind::Comment, text, defaultColor(AnnotationKind::Comment));
}

void AnnotationsPanel::addHighlight()
{
    if (!m_session.canEdit() || m_session.selection().empty())
        return;
    const QColor chosenColor =
        QColorDialog::getColor(toQColor(defaultColor(AnnotationKind::Highlight)), this, tr("Highlight Colour"));
    if (chosenColor.isValid())
        annotateSelection(AnnotationKind::Highlight, QString(), fromQColor(chosenColor));
}

void AnnotationsPanel::textEdited(int row, int column)
{
    if (m_refreshing || column != TextColumn || row < 0 || std::size_t(row) >= m_rows.size())
        return;
    const QString text = m_table->item(row, column)->text().trimmed();
    const EntityId id = m_rows[std::size_t(row)];
    m_session.setField({id}, ref(Field::Text), Value(text.toStdString()), tr("Edit Annotation"));
    refresh();
}

void AnnotationsPanel::chooseColor()
{
    const std::vector<EntityId> ids = chosen();
    if (ids.empty() || !m_session.canEdit())
        return;
    const GraphDocument::Entity* first = m_session.document().entity(ids.front());
    const QColor initial = first ? toQColor(m_session.document().color(*first)) : QColor(Qt::white);
    const QColor c = QColorDialog::getColor(initial, this, tr("Annotation Colour"));
    if (c.isValid())
        m_session.setField(ids, ref(Field::Color), Value::color(fromQColor(c)), tr("Recolour Annotation"));
}

void AnnotationsPanel::deleteChosen()
{
    const std::vector<EntityId> ids = chosen();
    if (!ids.empty() && m_session.canEdit())
        m_session.deleteEntities(ids);
}

} // namespace constellate::ui
