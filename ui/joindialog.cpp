#include "joindialog.h"

#include "lanbrowser.h"

#include <QDialogButtonBox>
#include <QFormLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QTreeWidget>
#include <QVBoxLayout>

namespace constellate::ui {

namespace {
enum Column { HostColumn, RoomColumn, PeopleColumn, KeyColumn, AddressColumn, ColumnCount };
constexpr int UrlRole = Qt::UserRole;
constexpr int HostIdRole = Qt::UserRole + 1;
} // namespace

JoinDialog::JoinDialog(const net::LanBrowser* browser, const QString& lastUrl, std::uint64_t hideHostId,
                       const QString& browserError, QWidget* parent)
    : QDialog(parent), m_browser(browser), m_hideHostId(hideHostId), m_browserError(browserError)
{
    setWindowTitle(tr("Join a Session"));
    m_list = new QTreeWidget(this);
    m_list->setColumnCount(ColumnCount);
    m_list->setHeaderLabels({tr("Host"), tr("Room"), tr("People"), tr("Key"), tr("Address")});
    m_list->setRootIsDecorated(false);
    m_list->setAllColumnsShowFocus(true);
    m_list->header()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_list->setMinimumSize(520, 160);
    m_state = new QLabel(this);
    m_state->setWordWrap(true);
    m_url = new QLineEdit(lastUrl, this);
    m_url->setPlaceholderText(QStringLiteral("ws://HOST:PORT/rooms/NAME"));
    m_key = new QLineEdit(this);
    m_key->setEchoMode(QLineEdit::Password);
    m_key->setPlaceholderText(tr("only if the room needs one"));
    auto* form = new QFormLayout;
    form->addRow(tr("Room &address:"), m_url);
    form->addRow(tr("Access &key:"), m_key);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    buttons->button(QDialogButtonBox::Ok)->setText(tr("&Join"));
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(new QLabel(tr("Sessions on this network:"), this));
    layout->addWidget(m_list, 1);
    layout->addWidget(m_state);
    layout->addLayout(form);
    layout->addWidget(buttons);

    connect(m_list, &QTreeWidget::currentItemChanged, this, [this](QTreeWidgetItem* item) { choose(item); });
    connect(m_list, &QTreeWidget::itemDoubleClicked, this, [this](QTreeWidgetItem* item) {
        choose(item);
        accept();
    });
    if (m_browser)
        connect(m_browser, &net::LanBrowser::sessionsChanged, this, &JoinDialog::refill);
    refill();
}

QUrl JoinDialog::url() const
{
    return QUrl(m_url->text().trimmed());
}

QString JoinDialog::accessKey() const
{
    return m_key->text();
}

void JoinDialog::choose(QTreeWidgetItem* item)
{
    if (item)
        m_url->setText(item->data(HostColumn, UrlRole).toString());
}

void JoinDialog::refill()
{
    // Rebuilt whole (a handful of rows); the chosen row stays chosen.
    const QTreeWidgetItem* current = m_list->currentItem();
    const QVariant chosen = current ? current->data(HostColumn, HostIdRole) : QVariant();
    const QSignalBlocker quiet(m_list); // rebuilding is not choosing
    m_list->clear();
    int shown = 0;
    if (m_browser) {
        for (const net::LanSession& s : m_browser->sessions()) {
            const net::LanAnnouncement& a = s.announcement;
            if (a.hostId == m_hideHostId)
                continue;
            auto* item = new QTreeWidgetItem(m_list);
            item->setText(HostColumn, QString::fromStdString(a.hostName));
            item->setText(RoomColumn, QString::fromStdString(a.room));
            item->setText(PeopleColumn, QString::number(a.people));
            item->setText(KeyColumn, a.keyNeeded ? tr("needed") : QString());
            item->setText(AddressColumn, QStringLiteral("%1:%2").arg(s.address.toString()).arg(a.port));
            item->setData(HostColumn, UrlRole, s.url().toString());
            item->setData(HostColumn, HostIdRole, QVariant::fromValue<quint64>(a.hostId));
            if (chosen.isValid() && chosen.toULongLong() == a.hostId)
                m_list->setCurrentItem(item);
            ++shown;
        }
    }
    if (!m_browser || !m_browser->isListening())
        m_state->setText(m_browserError.isEmpty() ? tr("Not listening for sessions on this network.")
                                                  : tr("Not listening for sessions: %1").arg(m_browserError));
    else if (shown == 0)
        m_state->setText(tr("No session found yet (hosts announce themselves every 2 seconds on UDP port %1).")
                             .arg(m_browser->port()));
    else
        m_state->setText(tr("Double-click a session to join it, or type any room's address."));
}

} // namespace constellate::ui
