#include "noticebar.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QTimer>

namespace constellate::ui {

namespace {
constexpr int NoticeMs = 6000;
}

NoticeBar::NoticeBar(QWidget* parent) : QFrame(parent)
{
    setFrameShape(QFrame::StyledPanel);
    setAutoFillBackground(true);
    m_text = new QLabel(this);
    m_text->setWordWrap(true);
    m_restore = new QPushButton(tr("&Restore Mine"), this);
    m_restore->setToolTip(tr("Write your values back (one undo step)"));
    m_offer = new QPushButton(this);
    m_close = new QPushButton(tr("Dismiss"), this);
    auto* layout = new QHBoxLayout(this);
    layout->setContentsMargins(8, 4, 8, 4);
    layout->addWidget(m_text, 1);
    layout->addWidget(m_restore);
    layout->addWidget(m_offer);
    layout->addWidget(m_close);
    m_hide = new QTimer(this);
    m_hide->setSingleShot(true);
    connect(m_hide, &QTimer::timeout, this, &QWidget::hide);
    connect(m_close, &QPushButton::clicked, this, [this] {
        m_conflicts.clear();
        m_accept = nullptr;
        hide();
    });
    connect(m_offer, &QPushButton::clicked, this, [this] {
        const std::function<void()> accept = std::exchange(m_accept, nullptr);
        hide();
        if (accept)
            accept();
    });
    connect(m_restore, &QPushButton::clicked, this, [this] {
        const std::vector<Conflict> conflicts = std::exchange(m_conflicts, {});
        hide();
        Q_EMIT restoreRequested(conflicts);
    });
    hide();
}

void NoticeBar::showNotice(const QString& text)
{
    if ((!m_conflicts.empty() || m_accept) && isVisible())
        return; // a conflict or an offer waits for an answer; the status bar shows the notice
    m_text->setText(text);
    m_restore->hide();
    m_offer->hide();
    show();
    m_hide->start(NoticeMs);
}

void NoticeBar::showConflict(const std::vector<Conflict>& conflicts, const QString& text)
{
    m_conflicts = conflicts;
    m_accept = nullptr;
    m_text->setText(text);
    m_restore->show();
    m_offer->hide();
    m_hide->stop();
    show();
}

void NoticeBar::showOffer(const QString& text, const QString& button, std::function<void()> accept)
{
    m_conflicts.clear();
    m_accept = std::move(accept);
    m_text->setText(text);
    m_offer->setText(button);
    m_restore->hide();
    m_offer->show();
    m_hide->stop();
    show();
}

void NoticeBar::withdrawOffer()
{
    if (!m_accept)
        return;
    m_accept = nullptr;
    hide();
}

QString NoticeBar::text() const
{
    return m_text->text();
}

} // namespace constellate::ui
