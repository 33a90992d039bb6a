#include "propertiespanel.h"

#include "editorsession.h"
#include "qtcolor.h"

#include <QColorDialog>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QInputDialog>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QTableWidget>
#include <QVBoxLayout>

#include <cmath>
#include <limits>

namespace constellate::ui {

namespace {

/// What a typed property value means: true/false, a whole number, a number, else text.
Value parseValue(const QString& text)
{
    const QString t = text.trimmed();
    if (t == QLatin1String("true"))
        return Value(true);
    if (t == QLatin1String("false"))
        return Value(false);
    bool ok = false;
    const qlonglong i = t.toLongLong(&ok);
    if (ok)
        return Value(std::int64_t(i));
    const double d = t.toDouble(&ok);
    if (ok && std::isfinite(d))
        return Value(d);
    return Value(text.toStdString());
}

FieldRef ref(Field f)
{
    return {f, {}};
}

} // namespace

PropertiesPanel::PropertiesPanel(EditorSession& session, QWidget* parent) : QWidget(parent), m_session(session)
{
    m_summary = new QLabel(this);
    m_summary->setWordWrap(true);
    m_label = new QLineEdit(this);
    m_label->setPlaceholderText(tr("label"));
    m_color = new QPushButton(this);
    m_color->setToolTip(tr("Choose the colour"));
    m_size = new QDoubleSpinBox(this);
    m_size->setRange(0.0, 1e6);
    m_size->setDecimals(3);
    m_size->setSingleStep(0.1);
    m_size->setKeyboardTracking(false);
    m_weight = new QDoubleSpinBox(this);
    m_weight->setRange(-1e9, 1e9);
    m_weight->setDecimals(3);
    m_weight->setKeyboardTracking(false);
    m_properties = new QTableWidget(0, 2, this);
    m_properties->setHorizontalHeaderLabels({tr("Property"), tr("Value")});
    m_properties->horizontalHeader()->setStretchLastSection(true);
    m_properties->verticalHeader()->hide();
    m_addProperty = new QPushButton(tr("Add…"), this);
    m_removeProperty = new QPushButton(tr("Remove"), this);

    auto* form = new QFormLayout;
    form->addRow(tr("&Label"), m_label);
    form->addRow(tr("&Colour"), m_color);
    form->addRow(tr("&Size"), m_size);
    form->addRow(tr("&Weight"), m_weight);
    auto* buttons = new QHBoxLayout;
    buttons->addWidget(m_addProperty);
    buttons->addWidget(m_removeProperty);
    buttons->addStretch();
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(m_summary);
    layout->addLayout(form);
    layout->addWidget(m_properties, 1);
    layout->addLayout(buttons);

    connect(m_label, &QLineEdit::editingFinished, this, &PropertiesPanel::commitLabel);
    connect(m_size, &QDoubleSpinBox::valueChanged, this, &PropertiesPanel::commitSize);
    connect(m_weight, &QDoubleSpinBox::valueChanged, this, &PropertiesPanel::commitWeight);
    connect(m_color, &QPushButton::clicked, this, &PropertiesPanel::chooseColor);
    connect(m_properties, &QTableWidget::cellChanged, this, &PropertiesPanel::propertyEdited);
    connect(m_addProperty, &QPushButton::clicked, this, &PropertiesPanel::addProperty);
    connect(m_removeProperty, &QPushButton::clicked, this, &PropertiesPanel::removeProperty);
    connect(&m_session, &EditorSession::selectionChanged, this, &PropertiesPanel::refresh);
    connect(&m_session, &EditorSession::documentEdited, this, &PropertiesPanel::refresh);
    connect(&m_session, &EditorSession::documentReset, this, &PropertiesPanel::refresh);
    refresh();
}

std::vector<EntityId> PropertiesPanel::targets() const
{
    return m_session.selection();
}

void PropertiesPanel::refresh()
{
    // An edit in progress keeps what the user is typing.
    if (m_label->hasFocus() && m_label->isModified())
        return;
    m_refreshing = true;
    const GraphDocument& doc = m_session.document();
    const std::vector<EntityId> ids = targets();
    const GraphDocument::Entity* first = ids.empty() ? nullptr : doc.entity(ids.front());
    std::size_t nodes = 0, edges = 0;
    for (const EntityId id : ids)
        if (const GraphDocument::Entity* e = doc.entity(id)) {
            nodes += e->kind == EntityKind::Node;
            edges += e->kind == EntityKind::Edge;
        }
    if (!first)
        m_summary->setText(tr("Nothing selected. Click a node or an edge, or drag a box around nodes."));
    else if (ids.size() == 1)
        m_summary->setText(first->kind == EntityKind::Node ? tr("One node") : tr("One edge"));
    else
        m_summary->setText(tr("%1 nodes and %2 edges selected: edits apply to all").arg(nodes).arg(edges));
    const bool editable = first && m_session.canEdit();
    const bool isNode = first && first->kind == EntityKind::Node;
    const bool isEdge = first && first->kind == EntityKind::Edge;
    m_label->setEnabled(editable);
    m_color->setEnabled(editable);
    m_size->setEnabled(editable && isNode);
    m_weight->setEnabled(editable && isEdge);
    m_properties->setEnabled(editable);
    m_addProperty->setEnabled(editable);
    m_removeProperty->setEnabled(editable);
    m_label->setText(first ? QString::fromUtf8(doc.label(*first).data(), qsizetype(doc.label(*first).size())) : QString());
    m_label->setModified(false);
    const QColor color = first ? toQColor(doc.color(*first)) : QColor(Qt::gray);
    m_color->setText(first ? color.name() : QString());
    QPixmap swatch(16, 16);
    swatch.fill(color);
    m_color->setIcon(QIcon(swatch));
    m_size->setValue(isNode ? double(doc.size(*first)) : 0.0);
    m_weight->setValue(isEdge ? doc.weight(*first) : 0.0);
    m_properties->setRowCount(0);
    if (first) {
        doc.forEachProperty(*first, [&](std::string_view name, const Value& v) {
            const int row = m_properties->rowCount();
            m_properties->insertRow(row);
            auto* key = new QTableWidgetItem(QString::fromUtf8(name.data(), qsizetype(name.size())));
            key->setFlags(key->flags() & ~Qt::ItemIsEditable);
            m_properties->setItem(row, 0, key);
            m_properties->setItem(row, 1, new QTableWidgetItem(QString::fromStdString(v.display())));
        });
    }
    m_refreshing = false;
}

void PropertiesPanel::commitLabel()
{
    if (m_refreshing || !m_label->isModified())
        return;
    m_label->setModified(false);
    m_session.setField(targets(), ref(Field::Label), Value(m_label->text().toStdString()), tr("Change Label"));
}

void PropertiesPanel::commitSize()
{
    if (m_refreshing)
        return;
    std::vector<EntityId> nodes;
    for (const EntityId id : targets())
        if (const auto* e = m_session.document().entity(id); e && e->kind == EntityKind::Node)
            nodes.push_back(id);
    m_session.setField(nodes, ref(Field::Size), Value(m_size->value()), tr("Change Size"));
}

void PropertiesPanel::commitWeight()
{
    if (m_refreshing)
        return;
    std::vector<EntityId> edges;
    for (const EntityId id : targets())
        if (const auto* e = m_session.document().entity(id); e && e->kind == EntityKind::Edge)
            edges.push_back(id);
    m_session.setField(edges, ref(Field::Weight), Value(m_weight->value()), tr("Change Weight"));
}

void PropertiesPanel::chooseColor()
{
    const QColor now(m_color->text());
    const QColor chosen = QColorDialog::getColor(now.isValid() ? now : QColor(Qt::white), this, tr("Colour"));
    if (chosen.isValid())
        setColor(fromQColor(chosen));
}

void PropertiesPanel::setColor(Rgba color)
{
    m_session.setField(targets(), ref(Field::Color), Value::color(color), tr("Change Colour"));
}

void PropertiesPanel::propertyEdited(int row, int column)
{
    if (m_refreshing || column != 1)
        return;
    const QTableWidgetItem* key = m_properties->item(row, 0);
    const QTableWidgetItem* value = m_properties->item(row, 1);
    if (!key || !value)
        return;
    FieldRef field {Field::Property, key->text().toStdString()};
    m_session.setField(targets(), field, parseValue(value->text()), tr("Change %1").arg(key->text()));
}

void PropertiesPanel::addProperty()
{
    bool ok = false;
    const QString name = QInputDialog::getText(this, tr("Add a Property"), tr("Name:"), QLineEdit::Normal, QString(), &ok)
                             .trimmed();
    if (!ok || name.isEmpty())
        return;
    const QString value = QInputDialog::getText(this, tr("Add a Property"), tr("Value of %1:").arg(name),
                                                QLineEdit::Normal, QString(), &ok);
    if (!ok)
        return;
    m_session.setField(targets(), FieldRef {Field::Property, name.toStdString()}, parseValue(value),
                       tr("Add %1").arg(name));
}

void PropertiesPanel::removeProperty()
{
    const int row = m_properties->currentRow();
    if (row < 0 || !m_properties->item(row, 0))
        return;
    const QString name = m_properties->item(row, 0)->text();
    m_session.setField(targets(), FieldRef {Field::Property, name.toStdString()}, Value(), tr("Remove %1").arg(name));
}

} // namespace constellate::ui
