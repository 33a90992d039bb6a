#include "searchbar.h"

#include "editorsession.h"

#include <QHBoxLayout>
#include <QKeyEvent>
#include <QLabel>
#include <QLineEdit>
#include <QTimer>

namespace constellate::ui {

SearchBar::SearchBar(EditorSession& session, QWidget* parent) : QWidget(parent), m_session(session)
{
    m_field = new QLineEdit(this);
    m_field->setPlaceholderText(tr("Search (Ctrl+F): label, name:value, size>2, has:name, -word"));
    m_field->setClearButtonEnabled(true);
    m_field->setToolTip(tr("Finds nodes and edges by label, property or annotation; all terms must match.\n"
                           "paris · city:par · city=Paris · weight>2 · has:city · -word · \"two words\"\n"
                           "Enter selects the matches, Escape clears the search."));
    m_field->setMinimumWidth(260);
    m_field->installEventFilter(this);
    m_count = new QLabel(this);
    m_count->setMinimumWidth(90);
    auto* layout = new QHBoxLayout(this);
    layout->setContentsMargins(4, 0, 4, 0);
    layout->addWidget(m_field, 1);
    layout->addWidget(m_count);

    // After a pause in typing: a search of a large graph is a pass over it.
    m_debounce = new QTimer(this);
    m_debounce->setSingleShot(true);
    m_debounce->setInterval(150);
    connect(m_debounce, &QTimer::timeout, this, &SearchBar::runNow);
    connect(m_field, &QLineEdit::textChanged, m_debounce, qOverload<>(&QTimer::start));
    connect(m_field, &QLineEdit::returnPressed, this, [this] {
        runNow();
        if (m_matches && !m_matches->empty())
            Q_EMIT selectMatchesRequested();
    });
    // Matches follow edits (a new node named like the search appears, a deleted one goes).
    connect(&m_session, &EditorSession::documentEdited, this, [this] {
        if (m_matches)
            m_debounce->start();
    });
    connect(&m_session, &EditorSession::documentReset, this, [this] {
        if (m_matches)
            m_debounce->start();
    });
}

void SearchBar::activate()
{
    m_field->setFocus(Qt::ShortcutFocusReason);
    m_field->selectAll();
}

void SearchBar::runNow()
{
    m_debounce->stop();
    const QString text = m_field->text();
    std::optional<std::vector<EntityId>> found;
    if (!m_search.parse(text.toStdString())) {
        m_count->setText(QStringLiteral("<span style='color:#e15759'>%1</span>")
                             .arg(QString::fromStdString(m_search.error()).toHtmlEscaped()));
        m_count->setToolTip(QString::fromStdString(m_search.error()));
        // A query being typed keeps the last matches shown.
        return;
    }
    m_count->setToolTip(QString());
    if (!m_search.isEmpty()) {
        found = m_search.run(m_session.document());
        m_count->setText(found->empty() ? tr("no match") : tr("%n match(es)", nullptr, int(found->size())));
    } else {
        m_count->clear();
    }
    if (found == m_matches)
        return;
    m_matches = std::move(found);
    Q_EMIT matchesChanged(m_matches);
}

bool SearchBar::eventFilter(QObject* watched, QEvent* event)
{
    if (watched == m_field && event->type() == QEvent::KeyPress
        && static_cast<QKeyEvent*>(event)->key() == Qt::Key_Escape) {
        m_field->clear();
        runNow();
        Q_EMIT dismissed();
        return true;
    }
    return QWidget::eventFilter(watched, event);
}

} // namespace constellate::ui
