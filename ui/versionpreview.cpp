#include "versionpreview.h"

#include "editorsession.h"
#include "graphview.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QVBoxLayout>

namespace constellate::ui {

VersionPreview::VersionPreview(const Profile& profile, QWidget* parent)
    : QWidget(parent, Qt::Window), m_session(std::make_unique<EditorSession>(profile))
{
    m_session->setReadOnly(true);
    setAttribute(Qt::WA_DeleteOnClose, false); // the history panel keeps and reuses it
    auto* banner = new QWidget(this);
    banner->setAutoFillBackground(true);
    QPalette p = banner->palette();
    p.setColor(QPalette::Window, QColor(0xff, 0xe8, 0xa0)); // the colour of "not the live document"
    p.setColor(QPalette::WindowText, Qt::black);
    banner->setPalette(p);
    m_banner = new QLabel(banner);
    m_banner->setWordWrap(true);
    m_banner->setTextFormat(Qt::PlainText);
    m_revert = new QPushButton(tr("&Revert to This Version"), banner);
    m_close = new QPushButton(tr("&Close Preview"), banner);
    auto* row = new QHBoxLayout(banner);
    row->addWidget(m_banner, 1);
    row->addWidget(m_revert);
    row->addWidget(m_close);

    m_view = new GraphView(*m_session, this);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(0);
    layout->addWidget(banner);
    layout->addWidget(m_view, 1);
    resize(900, 650);

    connect(m_revert, &QPushButton::clicked, this, &VersionPreview::revertRequested);
    connect(m_close, &QPushButton::clicked, this, &QWidget::close);
}

VersionPreview::~VersionPreview()
{
    delete m_view; // before the session it draws
}

void VersionPreview::showVersion(std::unique_ptr<GraphDocument> version, const QString& name, const QString& details,
                                 bool canRevert, const QString& whyNot)
{
    m_session->adoptDocument(std::move(version), QString());
    m_banner->setText(tr("Previewing “%1” — %2. Read only: the room's document is not touched.").arg(name, details));
    setWindowTitle(tr("Preview: %1 — Constellate").arg(name));
    m_revert->setEnabled(canRevert);
    m_revert->setToolTip(canRevert ? tr("Make the room's document look like this version again (one undo step)")
                                   : whyNot);
    show();
    raise();
    activateWindow();
}

const GraphDocument& VersionPreview::document() const
{
    return m_session->document();
}

QString VersionPreview::bannerText() const
{
    return m_banner->text();
}

} // namespace constellate::ui
