#include "peoplepanel.h"

#include "editorsession.h"
#include "graphview.h"

#include <QHBoxLayout>
#include <QListWidget>
#include <QPainter>
#include <QPushButton>
#include <QVBoxLayout>

namespace constellate::ui {

namespace {

constexpr int PeerRole = Qt::UserRole + 1;

QIcon swatch(Rgba c, bool vr)
{
    QPixmap p(18, 18);
    p.fill(Qt::transparent);
    QPainter painter(&p);
    painter.setRenderHint(QPainter::Antialiasing);
    painter.setBrush(QColor(int(c >> 24), int((c >> 16) & 0xff), int((c >> 8) & 0xff)));
    painter.setPen(Qt::NoPen);
    painter.drawEllipse(1, 1, 16, 16);
    if (vr) {
        painter.setPen(Qt::black);
        QFont f = painter.font();
        f.setPixelSize(8);
        f.setBold(true);
        painter.setFont(f);
        painter.drawText(QRect(0, 0, 18, 18), Qt::AlignCenter, QStringLiteral("VR"));
    }
    return QIcon(p);
}

QString roleName(net::protocol::Role r)
{
    switch (r) {
    case net::protocol::Role::Owner: return PeoplePanel::tr("owner");
    case net::protocol::Role::Editor: return PeoplePanel::tr("editor");
    case net::protocol::Role::Viewer: return PeoplePanel::tr("viewer");
    }
    return {};
}

QString stateName(net::protocol::PresenceState s)
{
    switch (s) {
    case net::protocol::PresenceState::Online: return PeoplePanel::tr("online");
    case net::protocol::PresenceState::Away: return PeoplePanel::tr("away");
    case net::protocol::PresenceState::Editing: return PeoplePanel::tr("editing");
    }
    return {};
}

} // namespace

PeoplePanel::PeoplePanel(EditorSession& session, GraphView& view, QWidget* parent)
    : QWidget(parent), m_session(session), m_view(view)
{
    m_list = new QListWidget(this);
    m_jump = new QPushButton(tr("&Jump To"), this);
    m_jump->setToolTip(tr("Look where they look"));
    m_follow = new QPushButton(tr("F&ollow"), this);
    m_follow->setCheckable(true);
    m_follow->setToolTip(tr("Keep looking where they look, until you move the camera"));
    auto* buttons = new QHBoxLayout;
    buttons->addWidget(m_jump);
    buttons->addWidget(m_follow);
    buttons->addStretch();
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(m_list, 1);
    layout->addLayout(buttons);

    connect(m_list, &QListWidget::itemDoubleClicked, this, [this] {
        if (const auto peer = currentPeer())
            m_view.jumpTo(*peer);
    });
    connect(m_jump, &QPushButton::clicked, this, [this] {
        if (const auto peer = currentPeer())
            m_view.jumpTo(*peer);
    });
    connect(m_follow, &QPushButton::toggled, this, [this](bool on) {
        m_view.follow(on ? currentPeer() : std::nullopt);
    });
    connect(m_list, &QListWidget::currentRowChanged, this, [this] {
        const bool peer = currentPeer().has_value();
        m_jump->setEnabled(peer);
        m_follow->setEnabled(peer || m_view.following());
    });
    connect(&m_view, &GraphView::followingChanged, this, [this] {
        const QSignalBlocker block(m_follow);
        m_follow->setChecked(m_view.following().has_value());
    });
    connect(&m_session, &EditorSession::peersChanged, this, &PeoplePanel::refresh);
    connect(&m_session, &EditorSession::statusChanged, this, &PeoplePanel::refresh);
    connect(&m_session, &EditorSession::selectionChanged, this, &PeoplePanel::refresh);
    refresh();
}

std::optional<net::protocol::PeerIndex> PeoplePanel::currentPeer() const
{
    const QListWidgetItem* item = m_list->currentItem();
    if (!item || !item->data(PeerRole).isValid())
        return std::nullopt;
    return net::protocol::PeerIndex(item->data(PeerRole).toUInt());
}

void PeoplePanel::refresh()
{
    const auto keep = currentPeer();
    m_list->clear();
    const net::SyncClient* c = m_session.client();
    QString me = tr("%1 (you)").arg(m_session.profile().name);
    if (c) {
        me += QStringLiteral(" · ") + roleName(c->role());
        if (c->roundTripTimes().count() > 0)
            me += tr(" · %1 ms").arg(c->roundTripTimes().median(), 0, 'f', 1);
    }
    if (!m_session.selection().empty())
        me += tr(" · %n selected", nullptr, int(m_session.selection().size()));
    m_list->addItem(new QListWidgetItem(swatch(m_session.profile().color, false), me));
    if (!c)
        return;
    for (const auto& [index, peer] : c->peers()) {
        QString text = peer.name + QStringLiteral(" · ") + roleName(peer.role) + QStringLiteral(" · ")
            + stateName(peer.state);
        if (peer.inVr)
            text += tr(" · in VR");
        if (!peer.selection.empty())
            text += tr(" · %n selected", nullptr, int(peer.selection.size()));
        auto* item = new QListWidgetItem(swatch(peer.color, peer.inVr), text);
        item->setData(PeerRole, uint(index));
        item->setToolTip(tr("Double-click to look where %1 looks").arg(peer.name));
        m_list->addItem(item);
        if (keep && *keep == index)
            m_list->setCurrentItem(item);
    }
}

QStringList PeoplePanel::lines() const
{
    QStringList out;
    for (int i = 0; i < m_list->count(); ++i)
        out << m_list->item(i)->text();
    return out;
}

} // namespace constellate::ui
