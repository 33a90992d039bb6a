#include "historypanel.h"

#include "editorsession.h"
#include "identity.h"
#include "syncclient.h"
#include "versionpreview.h"

#include <QAction>
#include <QDateTime>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QInputDialog>
#include <QLabel>
#include <QLocale>
#include <QMessageBox>
#include <QPushButton>
#include <QTimer>
#include <QTreeWidget>
#include <QVBoxLayout>

#include <algorithm>

namespace constellate::ui {

using net::protocol::VersionId;
using net::protocol::VersionInfo;

namespace {

/// Fetched snapshots kept for previews and reverts (each is a whole room's state).
constexpr std::size_t KeptSnapshots = 4;
constexpr int MaxNameBytes = 64; // docs/protocol.md: version names

enum Column { NameColumn, WhoColumn, WhenColumn, SizeColumn };

/// Short enough for a dock: the time today, the day and time this year, else the date.
QString shortWhen(const QDateTime& when)
{
    const QDate today = QDate::currentDate();
    const QLocale locale;
    if (when.date() == today)
        return locale.toString(when.time(), QLocale::ShortFormat);
    if (when.date().year() == today.year())
        return locale.toString(when, QStringLiteral("d MMM ")) + locale.toString(when.time(), QLocale::ShortFormat);
    return locale.toString(when.date(), QLocale::ShortFormat);
}

} // namespace

HistoryPanel::HistoryPanel(EditorSession& session, QWidget* parent) : QWidget(parent), m_session(session)
{
    m_list = new QTreeWidget(this);
    m_list->setColumnCount(4);
    m_list->setHeaderLabels({tr("Version"), tr("Saved by"), tr("When"), tr("Size")});
    m_list->setRootIsDecorated(false);
    m_list->setUniformRowHeights(true);
    m_list->setSelectionMode(QAbstractItemView::SingleSelection);
    // Each column as wide as its contents (the name first): a narrow dock scrolls sideways
    // rather than cutting names short.
    m_list->header()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_list->header()->setStretchLastSection(false);
    m_status = new QLabel(this);
    m_status->setWordWrap(true);
    m_status->setTextFormat(Qt::PlainText);

    m_save = new QPushButton(tr("&Save Version…"), this);
    m_previewButton = new QPushButton(tr("&Preview"), this);
    m_revert = new QPushButton(tr("Re&vert to This Version"), this);
    m_refresh = new QPushButton(tr("Re&fresh"), this);
    m_saveAction = new QAction(tr("Save &Version…"), this);
    m_saveAction->setShortcut(QKeySequence(Qt::CTRL | Qt::ALT | Qt::Key_S));

    auto* buttons = new QHBoxLayout;
    buttons->addWidget(m_save);
    buttons->addWidget(m_refresh);
    buttons->addStretch(1);
    auto* actions = new QHBoxLayout;
    actions->addWidget(m_previewButton);
    actions->addWidget(m_revert);
    actions->addStretch(1);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(buttons);
    layout->addWidget(m_list, 1);
    layout->addLayout(actions);
    layout->addWidget(m_status);

    m_fetchSelected = new QTimer(this);
    m_fetchSelected->setSingleShot(true);
    m_fetchSelected->setInterval(200); // arrow keys through the list fetch only where they stop
    connect(m_fetchSelected, &QTimer::timeout, this, [this] {
        if (const VersionId id = selectedId())
            fetch(id, After::Size);
    });

    connect(m_save, &QPushButton::clicked, this, &HistoryPanel::askAndSave);
    connect(m_saveAction, &QAction::triggered, this, &HistoryPanel::askAndSave);
    connect(m_refresh, &QPushButton::clicked, this, &HistoryPanel::refresh);
    connect(m_previewButton, &QPushButton::clicked, this, &HistoryPanel::previewSelected);
    connect(m_revert, &QPushButton::clicked, this, &HistoryPanel::revertSelected);
    connect(m_list, &QTreeWidget::itemSelectionChanged, this, [this] {
        updateActions();
        m_fetchSelected->start();
    });
    connect(m_list, &QTreeWidget::itemActivated, this, [this] { previewSelected(); });
    connect(&m_session, &EditorSession::statusChanged, this, &HistoryPanel::followClient);
    connect(&m_session, &EditorSession::peersChanged, this, [this] {
        if (net::SyncClient* c = m_session.client())
            for (const auto& [index, peer] : c->peers())
                m_names[peer.user] = peer.name; // kept after they leave: versions outlive visits
        rebuildList();
    });
    followClient();
}

HistoryPanel::~HistoryPanel()
{
    delete m_preview.data();
}

VersionPreview* HistoryPanel::preview() const
{
    return m_preview.data();
}

// ---- the room's client ----------------------------------------------------------------------

void HistoryPanel::followClient()
{
    net::SyncClient* c = m_session.client();
    if (m_client.data() == c && m_followed) {
        updateActions();
        return;
    }
    m_followed = true;
    if (m_client)
        m_client->disconnect(this);
    forget();
    m_client = c;
    if (c) {
        connect(c, &net::SyncClient::versionsListed, this, &HistoryPanel::onListed);
        connect(c, &net::SyncClient::versionFetched, this, &HistoryPanel::onFetched);
        connect(c, &net::SyncClient::stateChanged, this, [this](net::SyncClient::State state) {
            if (state != net::SyncClient::State::Online)
                return;
            refresh();
            // Fetches asked on a connection that was lost since are asked again.
            for (const auto& [id, after] : m_waiting)
                m_client->fetchVersion(id);
        });
        connect(c, &net::SyncClient::problem, this, [this](int code, const QString& message) {
            using net::protocol::ErrorCode;
            if (code == int(ErrorCode::VersionNotFound)) {
                m_waiting.clear();
                setStatus(message);
                refresh();
            } else if (m_saving && (code == int(ErrorCode::RoleRefused) || code == int(ErrorCode::Internal))) {
                m_saving = false;
                setStatus(message);
            }
        });
        if (c->state() == net::SyncClient::State::Online)
            refresh();
    }
    setStatus(c ? QString() : tr("Named versions are kept by a room's server: host or join a room to see them."));
    rebuildList();
}

void HistoryPanel::forget()
{
    m_versions.clear();
    m_snapshots.clear();
    m_sizes.clear();
    m_waiting.clear();
    m_names.clear();
    m_saving = false;
    if (m_preview)
        m_preview->close(); // it showed another room's version
}

void HistoryPanel::refresh()
{
    if (m_client && m_client->state() == net::SyncClient::State::Online)
        m_client->listVersions();
}

// ---- saving ---------------------------------------------------------------------------------

void HistoryPanel::askAndSave()
{
    if (!m_save->isEnabled()) {
        QMessageBox::information(window(), tr("Save Version"), m_save->toolTip());
        return;
    }
    bool ok = false;
    const QString name = QInputDialog::getText(window(), tr("Save Version"),
                                               tr("A name for the room's current state (others see it too):"),
                                               QLineEdit::Normal,
                                               QLocale().toString(QDateTime::currentDateTime(), QLocale::ShortFormat),
                                               &ok);
    if (!ok)
        return;
    QString why;
    if (!saveVersion(name, &why))
        QMessageBox::warning(window(), tr("Save Version"), why);
}

bool HistoryPanel::saveVersion(const QString& rawName, QString* why)
{
    auto refuse = [&](const QString& text) {
        if (why)
            *why = text;
        return false;
    };
    const QString name = rawName.trimmed();
    if (name.isEmpty())
        return refuse(tr("A version needs a name."));
    if (name.toUtf8().size() > MaxNameBytes)
        return refuse(tr("A version's name is at most %1 bytes long (“%2” has %3).")
                          .arg(MaxNameBytes)
                          .arg(name)
                          .arg(name.toUtf8().size()));
    if (std::any_of(name.begin(), name.end(), [](QChar c) { return c.category() == QChar::Other_Control; }))
        return refuse(tr("A version's name cannot hold control characters."));
    if (!m_save->isEnabled())
        return refuse(m_save->toolTip());
    if (!m_client || !m_client->saveVersion(name.toStdString()))
        return refuse(tr("Not connected to the room right now: try again when it is back."));
    m_saving = true;
    setStatus(tr("Saving “%1”…").arg(name));
    return true;
}

// ---- the list -------------------------------------------------------------------------------

void HistoryPanel::onListed(const std::vector<VersionInfo>& versions)
{
    const bool saved = m_saving && versions.size() > m_versions.size();
    m_versions = versions;
    std::sort(m_versions.begin(), m_versions.end(), [](const VersionInfo& a, const VersionInfo& b) { return a.id > b.id; });
    rebuildList();
    if (saved) {
        m_saving = false;
        // The newest of ours is the one just saved.
        for (const VersionInfo& v : m_versions)
            if (v.createdBy == m_session.profile().user) {
                const QString text = tr("Saved the version “%1”").arg(QString::fromStdString(v.name));
                setStatus(text);
                Q_EMIT notice(text);
                break;
            }
    }
}

void HistoryPanel::rebuildList()
{
    const VersionId selected = selectedId();
    const QSignalBlocker block(m_list);
    m_list->clear();
    for (const VersionInfo& v : m_versions) {
        auto* item = new QTreeWidgetItem(m_list);
        item->setData(NameColumn, Qt::UserRole, QVariant::fromValue<qulonglong>(v.id));
        item->setText(NameColumn, QString::fromStdString(v.name));
        item->setText(WhoColumn, whoSaved(v.createdBy));
        const QDateTime when = QDateTime::fromMSecsSinceEpoch(qint64(v.createdMs)).toLocalTime();
        item->setText(WhenColumn, shortWhen(when));
        item->setToolTip(WhenColumn, QLocale().toString(when, QLocale::LongFormat));
        item->setToolTip(NameColumn, QString::fromStdString(v.name));
        auto size = m_sizes.find(v.id);
        item->setText(SizeColumn, size != m_sizes.end() ? size->second : QStringLiteral("—"));
        if (size == m_sizes.end())
            item->setToolTip(SizeColumn, tr("Select the version to fetch it"));
        if (v.id == selected)
            item->setSelected(true);
    }
    if (m_versions.empty() && m_client)
        setStatus(m_status->text().isEmpty() ? tr("No named versions yet: Save Version keeps the room's current state.")
                                             : m_status->text());
    updateActions();
}

QStringList HistoryPanel::lines() const
{
    QStringList out;
    for (int i = 0; i < m_list->topLevelItemCount(); ++i) {
        const QTreeWidgetItem* item = m_list->topLevelItem(i);
        out << QStringList {item->text(NameColumn), item->text(WhoColumn), item->text(WhenColumn), item->text(SizeColumn)}
                   .join(QStringLiteral(" · "));
    }
    return out;
}

void HistoryPanel::select(VersionId id)
{
    for (int i = 0; i < m_list->topLevelItemCount(); ++i) {
        QTreeWidgetItem* item = m_list->topLevelItem(i);
        if (item->data(NameColumn, Qt::UserRole).toULongLong() == id) {
            m_list->setCurrentItem(item);
            item->setSelected(true);
        }
    }
}

VersionId HistoryPanel::selectedId() const
{
    const QList<QTreeWidgetItem*> items = m_list->selectedItems();
    return items.isEmpty() ? 0 : VersionId(items.front()->data(NameColumn, Qt::UserRole).toULongLong());
}

const VersionInfo* HistoryPanel::info(VersionId id) const
{
    for (const VersionInfo& v : m_versions)
        if (v.id == id)
            return &v;
    return nullptr;
}

QString HistoryPanel::whoSaved(UserId user) const
{
    if (user == m_session.profile().user)
        return tr("%1 (you)").arg(m_session.profile().name);
    if (auto it = m_names.find(user); it != m_names.end())
        return it->second;
    return tr("user %1").arg(user, 16, 16, QLatin1Char('0')); // not seen in this session
}

QString HistoryPanel::describe(const VersionInfo& v) const
{
    const QDateTime when = QDateTime::fromMSecsSinceEpoch(qint64(v.createdMs)).toLocalTime();
    return tr("saved by %1, %2").arg(whoSaved(v.createdBy), QLocale().toString(when, QLocale::ShortFormat));
}

void HistoryPanel::updateActions()
{
    net::SyncClient* c = m_client.data();
    const bool online = c && c->state() == net::SyncClient::State::Online;
    const bool viewer = c && c->role() == net::protocol::Role::Viewer;
    QString saveWhy;
    if (!c)
        saveWhy = tr("Named versions are kept by a room's server: host or join a room first");
    else if (viewer)
        saveWhy = tr("Viewers cannot save versions: owners and editors can (ask the room's owner)");
    else if (!online)
        saveWhy = tr("Not connected to the room right now");
    const bool canSave = saveWhy.isEmpty();
    if (canSave)
        saveWhy = tr("Keep the room's current state under a name (%1)")
                      .arg(m_saveAction->shortcut().toString(QKeySequence::NativeText));
    m_save->setEnabled(canSave);
    m_save->setToolTip(saveWhy);
    m_saveAction->setEnabled(canSave);
    m_saveAction->setToolTip(saveWhy);
    m_saveAction->setStatusTip(saveWhy);

    const VersionId id = selectedId();
    const bool fetched = id && std::any_of(m_snapshots.begin(), m_snapshots.end(), [&](const auto& s) { return s.first == id; });
    const bool reachable = id && (online || fetched);
    m_previewButton->setEnabled(reachable);
    m_previewButton->setToolTip(tr("Show the selected version in a window of its own (read only)"));
    const bool canRevert = reachable && m_session.canEdit();
    m_revert->setEnabled(canRevert);
    m_revert->setToolTip(viewer ? tr("Viewers cannot revert: owners and editors can")
                                : tr("Make the document look like the selected version again: one step, "
                                     "which Undo takes back"));
    m_refresh->setEnabled(online);
}

void HistoryPanel::setStatus(const QString& text)
{
    m_status->setText(text);
}

QString HistoryPanel::statusText() const
{
    return m_status->text();
}

// ---- fetching, previewing, reverting --------------------------------------------------------

void HistoryPanel::fetch(VersionId id, After after)
{
    if (std::any_of(m_snapshots.begin(), m_snapshots.end(), [&](const auto& s) { return s.first == id; })) {
        perform(id, after);
        return;
    }
    auto& waiting = m_waiting[id];
    const bool asked = !waiting.empty();
    waiting.insert(after);
    if (asked)
        return;
    if (!m_client || !m_client->fetchVersion(id)) {
        m_waiting.erase(id);
        if (after != After::Size)
            setStatus(tr("Not connected to the room right now: the version cannot be fetched."));
        return;
    }
    if (after != After::Size)
        if (const VersionInfo* v = info(id))
            setStatus(tr("Fetching “%1”…").arg(QString::fromStdString(v->name)));
}

void HistoryPanel::onFetched(VersionId id, const QByteArray& snapshot)
{
    std::erase_if(m_snapshots, [&](const auto& s) { return s.first == id; });
    m_snapshots.emplace_back(id, snapshot);
    if (m_snapshots.size() > KeptSnapshots)
        m_snapshots.erase(m_snapshots.begin());
    QString error;
    const std::unique_ptr<GraphDocument> doc = decode(id, &error);
    const std::set<After> waiting = m_waiting.count(id) ? m_waiting[id] : std::set<After> {};
    m_waiting.erase(id);
    if (!doc) {
        std::erase_if(m_snapshots, [&](const auto& s) { return s.first == id; });
        setStatus(error);
        return;
    }
    const std::size_t nodes = doc->count(EntityKind::Node), edges = doc->count(EntityKind::Edge);
    m_sizes[id] = (nodes == 1 ? tr("1 node") : tr("%1 nodes").arg(nodes)) + QStringLiteral(", ")
        + (edges == 1 ? tr("1 edge") : tr("%1 edges").arg(edges));
    rebuildList();
    if (waiting.count(After::Preview) || waiting.count(After::Revert))
        setStatus(QString());
    for (const After after : waiting)
        perform(id, after);
}

std::unique_ptr<GraphDocument> HistoryPanel::decode(VersionId id, QString* error) const
{
    auto it = std::find_if(m_snapshots.begin(), m_snapshots.end(), [&](const auto& s) { return s.first == id; });
    const VersionInfo* v = info(id);
    const QString name = v ? QString::fromStdString(v->name) : QString::number(id);
    if (it == m_snapshots.end()) {
        *error = tr("The version “%1” has not arrived.").arg(name);
        return nullptr;
    }
    auto doc = std::make_unique<GraphDocument>(newReplicaId(), m_session.profile().user);
    std::string why;
    if (!doc->mergeSnapshot(std::string_view(it->second.constData(), std::size_t(it->second.size())), &why)) {
        *error = tr("The version “%1” cannot be read: %2").arg(name, QString::fromStdString(why));
        return nullptr;
    }
    return doc;
}

void HistoryPanel::perform(VersionId id, After after)
{
    switch (after) {
    case After::Size: break; // rebuildList() shows it
    case After::Preview: showPreview(id); break;
    case After::Revert: revert(id); break;
    }
}

void HistoryPanel::previewSelected()
{
    if (const VersionId id = selectedId())
        fetch(id, After::Preview);
}

void HistoryPanel::revertSelected()
{
    if (const VersionId id = selectedId())
        fetch(id, After::Revert);
}

void HistoryPanel::showPreview(VersionId id)
{
    const VersionInfo* v = info(id);
    QString error;
    std::unique_ptr<GraphDocument> doc = decode(id, &error);
    if (!v || !doc) {
        setStatus(error);
        return;
    }
    if (!m_preview) {
        m_preview = new VersionPreview(m_session.profile(), window());
        connect(m_preview, &VersionPreview::revertRequested, this, [this] {
            const VersionId shown = m_previewed;
            m_preview->close();
            fetch(shown, After::Revert);
        });
    }
    m_previewed = id;
    m_preview->showVersion(std::move(doc), QString::fromStdString(v->name), describe(*v), m_session.canEdit(),
                           m_revert->toolTip());
}

void HistoryPanel::revert(VersionId id)
{
    const VersionInfo* v = info(id);
    QString error;
    const std::unique_ptr<GraphDocument> version = decode(id, &error);
    if (!v || !version) {
        setStatus(error);
        return;
    }
    const QString name = QString::fromStdString(v->name);
    if (!m_session.canEdit()) {
        setStatus(tr("Viewers cannot revert: owners and editors can."));
        return;
    }
    RevertSummary summary;
    try {
        TransactionBuilder b = revertTo(m_session.document(), *version, &summary);
        if (summary.isEmpty()) {
            const QString text = tr("The document already looks like “%1”.").arg(name);
            setStatus(text);
            Q_EMIT notice(text);
            return;
        }
        m_session.commit(b, tr("Revert to “%1”").arg(name));
    } catch (const std::exception& e) {
        setStatus(tr("Cannot revert to “%1”: %2").arg(name, QString::fromLocal8Bit(e.what())));
        return;
    }
    QStringList did;
    if (summary.deleted)
        did << tr("%n deleted", nullptr, int(summary.deleted));
    if (summary.restored)
        did << tr("%n restored", nullptr, int(summary.restored));
    if (summary.created)
        did << tr("%n created anew", nullptr, int(summary.created));
    if (summary.changed)
        did << tr("%n changed", nullptr, int(summary.changed));
    const QString text = tr("Reverted to “%1” (%2). Undo takes it back.").arg(name, did.join(QStringLiteral(", ")));
    setStatus(text);
    Q_EMIT notice(text);
}

} // namespace constellate::ui
