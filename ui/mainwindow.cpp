#include "mainwindow.h"

#include "annotationspanel.h"
#include "autosaver.h"
#include "documentio.h"
#include "editorsession.h"
#include "exportjob.h"
#include "importjob.h"
#include "layoutjob.h"
#include "formats.h"
#include "graphclipboard.h"
#include "graphview.h"
#include "historypanel.h"
#include "identity.h"
#include "joindialog.h"
#include "lanbrowser.h"
#include "noticebar.h"
#include "peoplepanel.h"
#include "propertiespanel.h"
#include "qtcolor.h"
#include "searchbar.h"
#ifdef CONSTELLATE_HAVE_XR
#include "vrmode.h"
#endif

#include <QAction>
#include <QActionGroup>
#include <QApplication>
#include <QClipboard>
#include <QCloseEvent>
#include <QColorDialog>
#include <QDialogButtonBox>
#include <QDir>
#include <QDockWidget>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QInputDialog>
#include <QLabel>
#include <QLineEdit>
#include <QMenuBar>
#include <QMessageBox>
#include <QProgressBar>
#include <QProgressDialog>
#include <QPushButton>
#include <QSettings>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTableWidget>
#include <QToolBar>
#include <QVBoxLayout>

namespace constellate::ui {

namespace {

const QString GraphFilter = QStringLiteral(
    "Graphs (*.constellate *.graphml *.gexf *.json *.gml *.csv);;Constellate (*.constellate);;GraphML (*.graphml);;"
    "GEXF (*.gexf);;JSON node-link (*.json);;GML (*.gml);;CSV edge list (*.csv);;All files (*)");

} // namespace

Profile MainWindow::loadProfile(QSettings& settings)
{
    Profile p;
    p.user = profileUserId(settings);
    p.name = settings.value(QStringLiteral("profile/name")).toString();
    for (const char* variable : {"USER", "LOGNAME", "USERNAME"})
        if (p.name.isEmpty())
            p.name = qEnvironmentVariable(variable);
    if (p.name.isEmpty())
        p.name = QDir::home().dirName();
    if (p.name.isEmpty())
        p.name = QStringLiteral("someone");
    const QColor c(settings.value(QStringLiteral("profile/color")).toString());
    p.color = c.isValid() ? fromQColor(c) : Profile::defaultColor(p.user);
    return p;
}

void MainWindow::saveProfile(QSettings& settings, const Profile& profile)
{
    settings.setValue(QStringLiteral("profile/name"), profile.name);
    settings.setValue(QStringLiteral("profile/color"), toQColor(profile.color).name());
}

MainWindow::MainWindow(EditorSession& session, QWidget* parent)
    : QMainWindow(parent), m_session(session), m_status(new QLabel(this))
{
    setWindowTitle(QStringLiteral("Constellate"));
    auto* central = new QWidget(this);
    m_notices = new NoticeBar(central);
    m_view = new GraphView(m_session, central);
    auto* layout = new QVBoxLayout(central);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(0);
    layout->addWidget(m_notices);
    layout->addWidget(m_view, 1);
    setCentralWidget(central);
    statusBar()->addWidget(m_status, 1);
    m_transfer = new QProgressBar(this);
    m_transfer->setMaximumWidth(220);
    m_transfer->setTextVisible(true);
    m_transfer->hide();
    statusBar()->addPermanentWidget(m_transfer);
    // A layout in progress: how far it has settled, Stop (keep it there) and Cancel.
    m_layoutStatus = new QWidget(this);
    auto* layoutRow = new QHBoxLayout(m_layoutStatus);
    layoutRow->setContentsMargins(0, 0, 0, 0);
    m_layoutProgress = new QProgressBar(m_layoutStatus);
    m_layoutProgress->setRange(0, 1000);
    m_layoutProgress->setMaximumWidth(180);
    m_layoutProgress->setFormat(tr("Laying out: %p%"));
    auto* stopLayout = new QPushButton(tr("Stop"), m_layoutStatus);
    stopLayout->setToolTip(tr("Keep the layout where it is (Ctrl+L)"));
    auto* cancelLayout = new QPushButton(tr("Cancel"), m_layoutStatus);
    cancelLayout->setToolTip(tr("Put every node back where it was"));
    layoutRow->addWidget(m_layoutProgress);
    layoutRow->addWidget(stopLayout);
    layoutRow->addWidget(cancelLayout);
    connect(stopLayout, &QPushButton::clicked, this, [this] { stopAutoLayout(true); });
    connect(cancelLayout, &QPushButton::clicked, this, [this] { stopAutoLayout(false); });
    statusBar()->addPermanentWidget(m_layoutStatus);
    m_layoutStatus->hide();
    // Another document (opened, joined, a room's new state): the layout's graph is gone.
    connect(&m_session, &EditorSession::documentReset, this, [this] { stopAutoLayout(false); });

    auto dock = [this](const QString& title, const QString& name, QWidget* widget) {
        auto* d = new QDockWidget(title, this);
        d->setObjectName(name);
        d->setWidget(widget);
        addDockWidget(Qt::RightDockWidgetArea, d);
        return d;
    };
    m_properties = new PropertiesPanel(m_session, this);
    m_propertiesDock = dock(tr("Properties"), QStringLiteral("properties"), m_properties);
    m_annotations = new AnnotationsPanel(m_session, this);
    m_annotationsDock = dock(tr("Annotations"), QStringLiteral("annotations"), m_annotations);
    m_people = new PeoplePanel(m_session, *m_view, this);
    m_peopleDock = dock(tr("People"), QStringLiteral("people"), m_people);
    m_history = new HistoryPanel(m_session, this);
    m_historyDock = dock(tr("History"), QStringLiteral("history"), m_history);
    tabifyDockWidget(m_propertiesDock, m_annotationsDock);
    tabifyDockWidget(m_peopleDock, m_historyDock);
    m_propertiesDock->raise();
    m_peopleDock->raise();
    m_clipboard = new GraphClipboard(m_session, *m_view, this);

    m_search = new SearchBar(m_session, this);
    connect(m_search, &SearchBar::matchesChanged, m_view, &GraphView::setSearchMatches);
    connect(m_search, &SearchBar::selectMatchesRequested, this, [this] {
        if (m_search->matches())
            m_session.setSelection(*m_search->matches());
        m_view->frameSelection();
        m_view->setFocus();
    });
    connect(m_search, &SearchBar::dismissed, m_view, [this] { m_view->setFocus(); });
    connect(m_view, &GraphView::annotationClicked, this, [this](EntityId annotation) {
        m_annotationsDock->show();
        m_annotationsDock->raise();
        m_annotations->focusAnnotation(annotation);
    });

    buildMenus();
    QMenu* panels = menuBar()->findChild<QMenu*>(QStringLiteral("viewMenu"));
    if (panels) {
        panels->addSeparator();
        for (QDockWidget* d : {m_propertiesDock, m_annotationsDock, m_peopleDock, m_historyDock})
            panels->addAction(d->toggleViewAction());
        // Keyboard use: each panel, and back to the view, one shortcut away.
        panels->addSeparator();
        auto goTo = [&](const QString& text, int key, QDockWidget* d, QWidget* focus) {
            panels->addAction(text, QKeySequence(Qt::CTRL | key), this, [d, focus] {
                if (d) {
                    d->show();
                    d->raise();
                }
                focus->setFocus(Qt::ShortcutFocusReason);
            });
        };
        goTo(tr("Go to the &View"), Qt::Key_0, nullptr, m_view);
        goTo(tr("Go to P&roperties"), Qt::Key_1, m_propertiesDock, m_properties);
        goTo(tr("Go to A&nnotations"), Qt::Key_2, m_annotationsDock, m_annotations->table());
        goTo(tr("Go to &People"), Qt::Key_3, m_peopleDock, m_people);
        goTo(tr("Go to &History"), Qt::Key_4, m_historyDock, m_history);
    }

    connect(&m_session, &EditorSession::documentReset, this, &MainWindow::updateStatus);
    connect(&m_session, &EditorSession::documentEdited, this, &MainWindow::updateStatus);
    connect(&m_session, &EditorSession::statusChanged, this, &MainWindow::updateStatus);
    connect(&m_session, &EditorSession::undoStateChanged, this, &MainWindow::updateUndoActions);
    connect(&m_session, &EditorSession::modifiedChanged, this, &MainWindow::updateTitle);
    connect(&m_session, &EditorSession::message, this, [this](const QString& text) {
        statusBar()->showMessage(text, 10'000);
        QMessageBox::warning(this, tr("Constellate"), text);
    });
    // Notices go to the bar over the view: the status bar keeps the session's state.
    connect(&m_session, &EditorSession::notice, m_notices, &NoticeBar::showNotice);
    connect(&m_session, &EditorSession::conflicts, m_notices, &NoticeBar::showConflict);
    connect(&m_session, &EditorSession::transferProgress, this, [this](const QString& what, quint64 done, quint64 total) {
        // Per mille: QProgressBar takes int, a room may pass 2 GiB.
        m_transfer->setRange(0, 1000);
        m_transfer->setValue(total ? int(done * 1000 / total) : 0);
        m_transfer->setFormat(tr("%1: %2 of %3 kB").arg(what).arg(done / 1024).arg(total / 1024));
        m_transfer->setVisible(total > 0 && done < total);
    });
    connect(m_notices, &NoticeBar::restoreRequested, &m_session, &EditorSession::restoreMine);
    connect(m_history, &HistoryPanel::notice, m_notices, &NoticeBar::showNotice);
    m_hostDefaults.dataDir = QStandardPaths::writableLocation(QStandardPaths::AppDataLocation) + QStringLiteral("/hosted");
    // LAN sessions: listening only (Join lists what it hears; a guest whose host left hears
    // of the room hosted again elsewhere). Announcing is the hosted session's business.
    m_lan = new net::LanBrowser({}, this);
    if (!m_lan->start(&m_lanError))
        statusBar()->showMessage(m_lanError, 10'000);
    m_session.watchLan(m_lan);
    connect(&m_session, &EditorSession::hostLost, this, [this](const QString& text) {
        m_notices->showOffer(text, tr("&Host This Room From Your Copy"), [this] { hostFromCopy(); });
    });
    connect(&m_session, &EditorSession::handoverOffered, this, [this](const net::LanSession& s) {
        const QString host = QString::fromStdString(s.announcement.hostName);
        const QUrl url = s.url();
        m_notices->showOffer(tr("%1 hosts '%2' from their copy: join to merge your edits with everyone's")
                                 .arg(host, QString::fromStdString(s.announcement.room)),
                             tr("&Join %1's Session").arg(host), [this, url] {
                                 QString error;
                                 if (!m_session.moveToHost(url, &error))
                                     QMessageBox::warning(this, tr("Join"), error);
                             });
    });
    connect(&m_session, &EditorSession::hostRegained, m_notices, &NoticeBar::withdrawOffer);
    connect(m_view, &GraphView::glFailed, this, [this](const QString& text) {
        QMessageBox::critical(this, tr("Constellate"), text);
    });

    // Autosave: the document's snapshot every minute when it changed, for crash recovery.
    m_autosaver = new Autosaver(Autosaver::defaultDirectory(), this);
    m_autosaver->setSnapshotSource([this] { return m_session.document().encodeSnapshot(); });
    connect(&m_session, &EditorSession::documentEdited, m_autosaver, &Autosaver::markDirty);
    connect(&m_session, &EditorSession::documentReset, m_autosaver, &Autosaver::markDirty);
    connect(m_autosaver, &Autosaver::saved, this, [this](bool ok, const QString& text) {
        if (!ok)
            statusBar()->showMessage(tr("Autosave failed: %1").arg(text), 10'000);
    });

    QSettings settings;
    if (!restoreGeometry(settings.value(QStringLiteral("window/geometry")).toByteArray()))
        resize(1280, 800);
    restoreState(settings.value(QStringLiteral("window/state")).toByteArray());
    updateStatus();
    updateUndoActions();
    updateTitle();
}

MainWindow::~MainWindow()
{
    m_session.watchLan(nullptr); // the session may outlive this window and its browser
}

void MainWindow::setAnnounce(bool on, bool remember)
{
    {
        const QSignalBlocker quiet(m_announce); // the menu's own toggle remembers
        m_announce->setChecked(on);
    }
    if (remember)
        QSettings().setValue(QStringLiteral("session/announce"), on);
    m_session.setAnnounce(on);
}

bool MainWindow::announces() const
{
    return m_announce->isChecked();
}

void MainWindow::buildMenus()
{
    QMenu* file = menuBar()->addMenu(tr("&File"));
    file->addAction(tr("&New"), QKeySequence::New, this, &MainWindow::newFile);
    file->addAction(tr("&Open…"), QKeySequence::Open, this, &MainWindow::openFile);
    file->addAction(tr("&Save"), QKeySequence::Save, this, &MainWindow::save);
    file->addAction(tr("Save &As…"), QKeySequence::SaveAs, this, &MainWindow::saveAs);
    file->addSeparator();
    file->addAction(tr("&Import…"), QKeySequence(Qt::CTRL | Qt::Key_I), this, &MainWindow::importFile);
    file->addAction(tr("&Export…"), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_E), this, &MainWindow::exportFile);
    file->addSeparator();
    file->addAction(tr("&Quit"), QKeySequence::Quit, this, &QWidget::close);

    QMenu* edit = menuBar()->addMenu(tr("&Edit"));
    m_undo = edit->addAction(tr("&Undo"), QKeySequence::Undo, &m_session, &EditorSession::undo);
    m_redo = edit->addAction(tr("&Redo"), &m_session, &EditorSession::redo);
    m_redo->setShortcuts({QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_Z), QKeySequence(Qt::CTRL | Qt::Key_Y)});
    edit->addSeparator();
    edit->addActions({m_clipboard->cutAction(), m_clipboard->copyAction(), m_clipboard->pasteAction()});
    edit->addSeparator();
    edit->addAction(tr("&Add Node"), Qt::Key_Insert, this, &MainWindow::addNode);
    edit->addAction(tr("&Connect Selected Nodes"), QKeySequence(Qt::CTRL | Qt::Key_K), this,
                    &MainWindow::connectSelection);
    QAction* del = edit->addAction(tr("&Delete"), this, &MainWindow::deleteSelection);
    del->setShortcuts({QKeySequence::Delete, QKeySequence(Qt::Key_Backspace)});
    edit->addSeparator();
    edit->addAction(tr("Select &All"), QKeySequence::SelectAll, this, &MainWindow::selectAll);
    edit->addAction(tr("Select &None"), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_A), this,
                    [this] { m_session.setSelection({}); });
    // Keys of the view (they act when it has the focus), listed here to be found.
    auto viewKey = [this](QMenu* menu, const QString& text, QKeySequence key, auto slot) {
        QAction* a = menu->addAction(text, m_view, slot);
        a->setShortcut(key);
        a->setShortcutContext(Qt::WidgetShortcut);
        m_view->addAction(a);
        return a;
    };
    viewKey(edit, tr("Select Ne&xt Node"), QKeySequence(Qt::Key_PageDown), [this] { m_view->selectNextNode(true); });
    viewKey(edit, tr("Select &Previous Node"), QKeySequence(Qt::Key_PageUp), [this] { m_view->selectNextNode(false); });
    QMenu* nudge = edit->addMenu(tr("&Nudge Selection"));
    viewKey(nudge, tr("Left"), QKeySequence(Qt::CTRL | Qt::Key_Left), [this] { m_view->nudgeSelection({-5, 0}); });
    viewKey(nudge, tr("Right"), QKeySequence(Qt::CTRL | Qt::Key_Right), [this] { m_view->nudgeSelection({5, 0}); });
    viewKey(nudge, tr("Up"), QKeySequence(Qt::CTRL | Qt::Key_Up), [this] { m_view->nudgeSelection({0, -5}); });
    viewKey(nudge, tr("Down"), QKeySequence(Qt::CTRL | Qt::Key_Down), [this] { m_view->nudgeSelection({0, 5}); });
    edit->addSeparator();
    edit->addAction(tr("&Find…"), QKeySequence::Find, m_search, &SearchBar::activate);
    QMenu* annotate = edit->addMenu(tr("Anno&tate"));
    annotate->addAction(tr("&Tag…"), QKeySequence(Qt::CTRL | Qt::Key_T), m_annotations, &AnnotationsPanel::addTag);
    annotate->addAction(tr("&Comment…"), QKeySequence(Qt::CTRL | Qt::Key_M), m_annotations,
                        &AnnotationsPanel::addComment);
    annotate->addAction(tr("&Highlight…"), QKeySequence(Qt::CTRL | Qt::ALT | Qt::Key_H), m_annotations,
                        &AnnotationsPanel::addHighlight);
    edit->addSeparator();
    edit->addAction(m_history->saveVersionAction()); // its tooltip says why when disabled (a viewer)
    edit->setToolTipsVisible(true);
    edit->addAction(tr("Your &Name and Colour…"), this, &MainWindow::editProfile);

    QMenu* tools = menuBar()->addMenu(tr("&Tools"));
    QToolBar* toolbar = addToolBar(tr("Tools"));
    toolbar->setObjectName(QStringLiteral("tools"));
    m_tools = new QActionGroup(this);
    auto addTool = [&](const QString& text, QKeySequence key, Tool tool, const QString& tip) {
        QAction* a = tools->addAction(text);
        a->setShortcut(key);
        a->setCheckable(true);
        a->setToolTip(tip + QStringLiteral(" (") + key.toString(QKeySequence::NativeText) + QLatin1Char(')'));
        a->setData(int(tool));
        m_tools->addAction(a);
        toolbar->addAction(a);
        connect(a, &QAction::triggered, this, [this, tool] { m_view->setTool(tool); });
        return a;
    };
    addTool(tr("&Select"), QKeySequence(Qt::Key_S), Tool::Select,
            tr("Click or drag a box to select; drag a node to move it"))
        ->setChecked(true);
    addTool(tr("&Add Node"), QKeySequence(Qt::Key_N), Tool::AddNode, tr("Click to place a node"));
    addTool(tr("&Connect"), QKeySequence(Qt::Key_C), Tool::Connect, tr("Drag from one node to another"));
    addTool(tr("&Lasso"), QKeySequence(Qt::SHIFT | Qt::Key_S), Tool::Lasso,
            tr("Draw a loop around nodes to select them (Ctrl adds to the selection)"));
    tools->addSeparator();
    QAction* directed = tools->addAction(tr("New Edges &Directed"));
    directed->setCheckable(true);
    connect(directed, &QAction::toggled, m_view, &GraphView::setConnectDirected);
    QToolBar* find = addToolBar(tr("Search"));
    find->setObjectName(QStringLiteral("search"));
    find->addWidget(m_search);
    connect(m_view, &GraphView::toolChanged, this, [this](Tool tool) {
        for (QAction* a : m_tools->actions())
            if (a->data().toInt() == int(tool))
                a->setChecked(true);
    });

    tools->addSeparator();
    QAction* layoutAction = tools->addAction(tr("Auto-&Layout"), QKeySequence(Qt::CTRL | Qt::Key_L), this,
                                             [this] { startAutoLayout(); });
    layoutAction->setToolTip(tr("Lay the graph out by forces, live for everyone; Ctrl+L again stops it there"));
    auto pin = [this](bool on) {
        std::vector<EntityId> nodes;
        for (const EntityId id : m_session.selection())
            if (const auto* e = m_session.document().entity(id); e && e->kind == EntityKind::Node)
                nodes.push_back(id);
        m_session.setField(nodes, FieldRef {Field::Property, "pinned"}, on ? Value(true) : Value(),
                           on ? tr("Pin") : tr("Unpin"));
    };
    tools->addAction(tr("&Pin Selected Nodes"), this, [pin] { pin(true); })
        ->setToolTip(tr("Pinned nodes stay where they are when the graph is laid out"));
    tools->addAction(tr("&Unpin Selected Nodes"), this, [pin] { pin(false); });

    QMenu* sessionMenu = menuBar()->addMenu(tr("&Session"));
    sessionMenu->addAction(tr("&Host…"), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_H), this,
                           &MainWindow::hostSession);
    sessionMenu->addAction(tr("&Join…"), QKeySequence(Qt::CTRL | Qt::Key_J), this, &MainWindow::joinSession);
    m_copyAddress = sessionMenu->addAction(tr("&Copy Address"), this, &MainWindow::copyAddress);
    m_leave = sessionMenu->addAction(tr("&Leave"), &m_session, &EditorSession::leave);
    sessionMenu->addSeparator();
    m_announce = sessionMenu->addAction(tr("&Announce Hosted Sessions on the LAN"));
    m_announce->setCheckable(true);
    m_announce->setToolTip(tr("Others on this network see the sessions you host in Session > Join…"));
    m_announce->setChecked(QSettings().value(QStringLiteral("session/announce"), true).toBool());
    connect(m_announce, &QAction::toggled, this, [this](bool on) { setAnnounce(on, true); });

    QMenu* viewMenu = menuBar()->addMenu(tr("&View"));
    viewMenu->setObjectName(QStringLiteral("viewMenu"));
    viewMenu->addAction(tr("&Frame Selection"), QKeySequence(Qt::Key_F), m_view, &GraphView::frameSelection);
    viewMenu->addAction(tr("Frame &All"), QKeySequence(Qt::Key_Home), m_view, &GraphView::frameAll);
    QAction* labels = viewMenu->addAction(tr("&Labels"));
    labels->setShortcut(QKeySequence(Qt::Key_L));
    labels->setCheckable(true);
    labels->setChecked(QSettings().value(QStringLiteral("view/labels"), true).toBool());
    m_view->setLabelsShown(labels->isChecked());
    connect(labels, &QAction::toggled, this, [this](bool on) {
        m_view->setLabelsShown(on);
        QSettings().setValue(QStringLiteral("view/labels"), on);
    });
    QAction* notes = viewMenu->addAction(tr("&Annotations"));
    notes->setShortcut(QKeySequence(Qt::CTRL | Qt::ALT | Qt::Key_A));
    notes->setCheckable(true);
    notes->setChecked(QSettings().value(QStringLiteral("view/annotations"), true).toBool());
    m_view->setAnnotationsShown(notes->isChecked());
    connect(notes, &QAction::toggled, this, [this](bool on) {
        m_view->setAnnotationsShown(on);
        QSettings().setValue(QStringLiteral("view/annotations"), on);
    });
    QAction* smooth = viewMenu->addAction(tr("&Smooth Edges"));
    smooth->setCheckable(true);
    smooth->setChecked(m_view->smoothEdges());
    smooth->setToolTip(tr("Antialiasing (multisampling): off by default with a software renderer, where it "
                          "halves the frame rate."));
    connect(smooth, &QAction::toggled, this, [this](bool on) {
        QSettings().setValue(QStringLiteral("view/antialiasing"), on);
        m_view->setSmoothEdges(on);
    });
    QAction* fly = viewMenu->addAction(tr("F&ly Mode"));
    fly->setShortcut(QKeySequence(Qt::SHIFT | Qt::Key_F));
    fly->setCheckable(true);
    fly->setToolTip(tr("W/S, A/D, Q/E move; right drag looks around"));
    connect(fly, &QAction::toggled, m_view, &GraphView::setFlyMode);
    connect(m_view, &GraphView::flyModeChanged, fly, &QAction::setChecked);

    // VR (#7): Enter VR / Leave VR; when it cannot start, the notice says why.
    viewMenu->addSeparator();
#ifdef CONSTELLATE_HAVE_XR
    m_vr = new VrMode(m_session, *m_view, this);
    m_vr->setLabelsAction(labels);
    viewMenu->addAction(m_vr->toggleAction());
    connect(m_vr, &VrMode::unavailable, this,
            [this](const QString& why) { m_notices->showNotice(tr("VR is not available: %1").arg(why)); });
#else
    QAction* vr = viewMenu->addAction(tr("Enter &VR"));
    vr->setEnabled(false);
    vr->setStatusTip(tr("This build has no VR: it was configured without the OpenXR loader"));
#endif
}

QString MainWindow::statusText() const
{
    return m_status->text();
}

void MainWindow::closeEvent(QCloseEvent* event)
{
    if (!maybeSave()) {
        event->ignore();
        return;
    }
    m_closing = true;
    m_autosaver->discard(); // a clean close: nothing to recover
    QSettings settings;
    settings.setValue(QStringLiteral("window/geometry"), saveGeometry());
    settings.setValue(QStringLiteral("window/state"), saveState());
    m_session.leave();
    event->accept();
}

void MainWindow::runTask(FileTask* task, const QString& title, std::function<void(FileTask&)> done)
{
    auto* dialog = new QProgressDialog(title, tr("Cancel"), 0, 1000, this);
    dialog->setWindowModality(Qt::WindowModal);
    dialog->setMinimumDuration(300); // quick work shows no dialog at all
    dialog->setAutoReset(false);
    dialog->setAutoClose(false);
    dialog->setValue(0);
    connect(task, &FileTask::progress, dialog, [dialog](qint64 now, qint64 total) {
        if (total <= 0) {
            dialog->setRange(0, 0); // busy: the size is not known yet
        } else {
            dialog->setRange(0, 1000);
            dialog->setValue(int(now * 1000 / total));
        }
    });
    connect(dialog, &QProgressDialog::canceled, task, &FileTask::cancel);
    connect(task, &FileTask::finished, this, [task, dialog, done = std::move(done)](bool, const QString&) {
        dialog->close();
        dialog->deleteLater();
        done(*task);
        task->deleteLater();
    });
    task->start();
}

bool MainWindow::maybeSave()
{
    // In a room the server keeps every acknowledged edit: nothing to ask.
    if (m_session.client() || !m_session.isModified() || m_session.document().entityCount() == 0)
        return true;
    const auto answer = QMessageBox::question(
        this, tr("Constellate"), tr("Save the changes to %1?").arg(m_session.filePath().isEmpty()
                                                                       ? tr("the untitled graph")
                                                                       : QFileInfo(m_session.filePath()).fileName()),
        QMessageBox::Save | QMessageBox::Discard | QMessageBox::Cancel, QMessageBox::Save);
    if (answer == QMessageBox::Cancel)
        return false;
    if (answer == QMessageBox::Discard)
        return true;
    QString path = m_savePath;
    if (path.isEmpty())
        path = QFileDialog::getSaveFileName(this, tr("Save As"), QString(), tr("Constellate (*.constellate)"));
    if (path.isEmpty())
        return false;
    if (!path.endsWith(QLatin1String(".constellate")))
        path += QStringLiteral(".constellate");
    // Written here and now (the window may be closing): a failure keeps the window open.
    try {
        saveNative(m_session.document(), path.toStdString());
    } catch (const std::exception& e) {
        QMessageBox::warning(this, tr("Save"), QString::fromStdString(e.what()));
        return false;
    }
    m_savePath = path;
    m_session.setModified(false);
    return true;
}

void MainWindow::newFile()
{
    if (!maybeSave())
        return;
    m_session.newDocument();
    m_savePath.clear();
    m_autosaver->setOrigin(QString(), tr("Untitled"));
}

void MainWindow::openFile()
{
    QSettings settings;
    const QString path = QFileDialog::getOpenFileName(this, tr("Open Graph"),
                                                      settings.value(QStringLiteral("files/lastDir")).toString(),
                                                      GraphFilter);
    if (path.isEmpty())
        return;
    settings.setValue(QStringLiteral("files/lastDir"), QFileInfo(path).absolutePath());
    openPath(path);
}

void MainWindow::openPath(const QString& path, std::function<void(bool)> done)
{
    if (!maybeSave()) {
        if (done)
            done(false);
        return;
    }
    // Read into a document of its own: the open one stays until this one is complete.
    auto document = std::make_shared<std::unique_ptr<GraphDocument>>(
        std::make_unique<GraphDocument>(newReplicaId(), m_session.profile().user));
    auto* job = new ImportJob(**document, path);
    job->setCollectChanges(false);
    runTask(job, tr("Opening %1…").arg(QFileInfo(path).fileName()), [this, document, path, done](FileTask& task) {
        if (!task.succeeded()) {
            if (!task.wasCancelled())
                QMessageBox::warning(this, tr("Open Graph"), task.message());
            if (done)
                done(false);
            return;
        }
        const bool native = formatFromPath(path.toStdString()) == GraphFormat::Native;
        m_session.adoptDocument(std::move(*document), path);
        m_savePath = native ? path : QString(); // Save writes the native format only
        m_autosaver->setOrigin(path, QFileInfo(path).fileName());
        statusBar()->showMessage(task.message(), 5000);
        if (done)
            done(true);
    });
}

void MainWindow::importFile()
{
    if (!m_session.canEdit())
        return;
    QSettings settings;
    const QString path = QFileDialog::getOpenFileName(
        this, tr("Import into This Graph"), settings.value(QStringLiteral("files/lastDir")).toString(),
        tr("Graphs (*.graphml *.gexf *.json *.gml *.csv);;All files (*)"));
    if (path.isEmpty())
        return;
    settings.setValue(QStringLiteral("files/lastDir"), QFileInfo(path).absolutePath());
    if (formatFromPath(path.toStdString()) == GraphFormat::Native) {
        QMessageBox::information(this, tr("Import"), tr("A Constellate file is opened (File > Open), not imported."));
        return;
    }
    auto* job = new ImportJob(m_session.document(), path);
    runTask(job, tr("Importing %1…").arg(QFileInfo(path).fileName()), [this, path](FileTask& task) {
        auto& import = static_cast<ImportJob&>(task);
        if (!task.succeeded()) {
            if (!task.wasCancelled())
                QMessageBox::warning(this, tr("Import"), task.message());
            return;
        }
        // One undo step, sent to the room like any edit.
        m_session.submitApplied(import.takeTransaction(), import.takeChanges(),
                                tr("Import %1").arg(QFileInfo(path).fileName()));
        m_view->documentReset();
        statusBar()->showMessage(task.message(), 5000);
    });
}

void MainWindow::save()
{
    if (m_savePath.isEmpty())
        saveAs();
    else
        saveTo(m_savePath);
}

void MainWindow::saveAs()
{
    QSettings settings;
    QString suggested = m_session.filePath().isEmpty() ? settings.value(QStringLiteral("files/lastDir")).toString()
                                                       : QFileInfo(m_session.filePath()).absolutePath() + QLatin1Char('/')
            + QFileInfo(m_session.filePath()).completeBaseName() + QStringLiteral(".constellate");
    QString path = QFileDialog::getSaveFileName(this, tr("Save As"), suggested, tr("Constellate (*.constellate)"));
    if (path.isEmpty())
        return;
    if (!path.endsWith(QLatin1String(".constellate")))
        path += QStringLiteral(".constellate");
    settings.setValue(QStringLiteral("files/lastDir"), QFileInfo(path).absolutePath());
    saveTo(path);
}

void MainWindow::saveTo(const QString& path, std::function<void(bool)> done)
{
    const quint64 generation = m_autosaver->generation();
    auto* job = new ExportJob(m_session.document(), path, GraphFormat::Native);
    runTask(job, tr("Saving %1…").arg(QFileInfo(path).fileName()), [this, path, generation, done](FileTask& task) {
        if (!task.succeeded()) {
            if (!task.wasCancelled())
                QMessageBox::warning(this, tr("Save"), task.message());
            if (done)
                done(false);
            return;
        }
        m_savePath = path;
        if (!m_session.client())
            m_session.setFilePath(path);
        m_session.setModified(false);
        m_autosaver->markSaved(generation);
        m_autosaver->setOrigin(path, QFileInfo(path).fileName());
        statusBar()->showMessage(tr("Saved %1").arg(path), 5000);
        if (done)
            done(true);
    });
}

void MainWindow::exportFile()
{
    QSettings settings;
    QString selected;
    const QString path = QFileDialog::getSaveFileName(
        this, tr("Export"), settings.value(QStringLiteral("files/lastDir")).toString(),
        tr("GraphML (*.graphml);;GEXF (*.gexf);;JSON node-link (*.json);;GML (*.gml);;CSV edge list (*.csv)"), &selected);
    if (path.isEmpty())
        return;
    QString target = path;
    if (formatFromPath(target.toStdString()) == GraphFormat::Unknown) {
        // No extension typed: the chosen filter's.
        const int star = selected.indexOf(QLatin1String("*."));
        if (star >= 0)
            target += selected.mid(star + 1, selected.indexOf(QLatin1Char(')'), star) - star - 1);
    }
    settings.setValue(QStringLiteral("files/lastDir"), QFileInfo(target).absolutePath());
    auto* job = new ExportJob(m_session.document(), target);
    runTask(job, tr("Exporting %1…").arg(QFileInfo(target).fileName()), [this](FileTask& task) {
        if (task.succeeded())
            statusBar()->showMessage(task.message(), 5000);
        else if (!task.wasCancelled())
            QMessageBox::warning(this, tr("Export"), task.message());
    });
}

void MainWindow::offerRecovery()
{
    for (const RecoveryEntry& entry : Autosaver::findRecoverable(m_autosaver->directory())) {
        const auto answer = QMessageBox::question(
            this, tr("Recover"),
            tr("Constellate did not close properly. Recover '%1', autosaved %2?")
                .arg(entry.title.isEmpty() ? tr("Untitled") : entry.title, entry.savedAt.toLocalTime().toString()),
            QMessageBox::Yes | QMessageBox::No | QMessageBox::Discard, QMessageBox::Yes);
        if (answer == QMessageBox::Discard) {
            Autosaver::remove(entry);
            continue;
        }
        if (answer != QMessageBox::Yes)
            continue; // offered again next time
        auto document = std::make_unique<GraphDocument>(newReplicaId(), m_session.profile().user);
        QString error;
        if (!Autosaver::recover(entry, *document, &error)) {
            QMessageBox::warning(this, tr("Recover"), error);
            continue;
        }
        m_session.adoptDocument(std::move(document), QString());
        m_session.setModified(true);
        m_savePath.clear();
        m_autosaver->adopt(entry);
        m_autosaver->setOrigin(entry.origin, entry.title);
        statusBar()->showMessage(tr("Recovered %1: save it to keep it").arg(entry.title), 10'000);
        return; // one document per window
    }
}

void MainWindow::hostSession()
{
    QSettings settings;
    if (!m_session.client() && !maybeSave())
        return;
    QString path;
    if (m_session.document().entityCount() == 0 || m_session.client()) {
        path = QFileDialog::getOpenFileName(this, tr("Host a Graph"),
                                            settings.value(QStringLiteral("files/lastDir")).toString(),
                                            tr("Graphs (*.graphml *.gexf *.json *.gml *.csv *.constellate);;"
                                               "All files (*)"));
        if (path.isEmpty())
            return;
    }
    bool ok = false;
    const int port = QInputDialog::getInt(this, tr("Host"), tr("Port others connect to:"),
                                          settings.value(QStringLiteral("session/hostPort"), 7878).toInt(), 1, 65535,
                                          1, &ok);
    if (!ok)
        return;
    settings.setValue(QStringLiteral("session/hostPort"), port);
    EditorSession::HostOptions options = m_hostDefaults;
    options.port = quint16(port);
    options.announce = announces();
    QString error;
    if (!m_session.host(path, options, &error))
        QMessageBox::warning(this, tr("Host"), error);
    else
        m_notices->showNotice(tr("Hosting: others join ws://THIS-MACHINE:%1%2 (Session > Copy Address)")
                                  .arg(m_session.hostedPort())
                                  .arg(m_session.roomUrl().path()));
}

void MainWindow::joinSession()
{
    QSettings settings;
    if (!m_session.client() && !maybeSave())
        return;
    const std::uint64_t own = m_session.beacon() ? m_session.beacon()->announcement().hostId : 0;
    JoinDialog dialog(m_lan, settings.value(QStringLiteral("session/lastUrl")).toString(), own, m_lanError, this);
    dialog.setObjectName(QStringLiteral("joinDialog"));
    if (dialog.exec() != QDialog::Accepted || dialog.url().isEmpty())
        return;
    settings.setValue(QStringLiteral("session/lastUrl"), dialog.url().toString());
    QString error;
    // A guest whose host is gone, joining the same room elsewhere (hosted again from
    // someone's copy): it follows with its own copy, which merges, rather than starting over.
    const bool follow = m_session.hostIsLost() && m_session.client()
        && dialog.url().path() == QStringLiteral("/rooms/") + QString::fromStdString(m_session.client()->roomName());
    if (follow ? !m_session.moveToHost(dialog.url(), &error) : !m_session.join(dialog.url(), dialog.accessKey(), &error))
        QMessageBox::warning(this, tr("Join"), error);
}

void MainWindow::hostFromCopy()
{
    QSettings settings;
    EditorSession::HostOptions options = m_hostDefaults;
    options.port = quint16(settings.value(QStringLiteral("session/hostPort"), 7878).toInt());
    options.announce = announces();
    QString error;
    if (!m_session.hostFromCopy(options, &error)) {
        // The usual port may be taken (by the host that left, still closing): any free one;
        // the others learn it from the beacon.
        options.port = 0;
        QString again;
        if (!m_session.hostFromCopy(options, &again)) {
            QMessageBox::warning(this, tr("Host"), again);
            return;
        }
    }
    if (!announces())
        m_notices->showNotice(tr("Hosting from your copy, not announced: others join ws://THIS-MACHINE:%1%2")
                                  .arg(m_session.hostedPort())
                                  .arg(m_session.roomUrl().path()));
}

void MainWindow::copyAddress()
{
    QString address = m_session.roomUrl().toString();
    if (m_session.isHosting())
        address = QStringLiteral("ws://%1:%2%3")
                      .arg(QSysInfo::machineHostName())
                      .arg(m_session.hostedPort())
                      .arg(m_session.roomUrl().path());
    if (address.isEmpty())
        return;
    QApplication::clipboard()->setText(address);
    statusBar()->showMessage(tr("Copied %1").arg(address), 5000);
}

void MainWindow::addNode()
{
    if (!m_session.canEdit())
        return;
    const glm::vec3 at = m_view->camera().target();
    const EntityId id = m_session.addNode(Vec3 {at.x, at.y, at.z}, "new node");
    m_session.setSelection({id});
}

void MainWindow::deleteSelection()
{
    if (m_session.canEdit())
        m_session.deleteEntities(m_session.selection());
}

void MainWindow::selectAll()
{
    std::vector<EntityId> all;
    m_session.document().forEach(EntityKind::Node, [&](const GraphDocument::Entity& e) {
        if (m_session.document().isVisible(e))
            all.push_back(e.id);
    });
    m_session.setSelection(std::move(all));
}

void MainWindow::connectSelection()
{
    // Keyboard use of the Connect tool: a path through the selected nodes, in id order.
    if (!m_session.canEdit())
        return;
    std::vector<EntityId> nodes;
    for (const EntityId id : m_session.selection())
        if (const auto* e = m_session.document().entity(id); e && e->kind == EntityKind::Node)
            nodes.push_back(id);
    if (nodes.size() < 2) {
        statusBar()->showMessage(tr("Select two or more nodes to connect"), 5000);
        return;
    }
    TransactionBuilder b = m_session.document().begin();
    for (std::size_t i = 1; i < nodes.size(); ++i)
        b.createEdge(nodes[i - 1], nodes[i], m_view->connectDirected());
    m_session.commit(b, tr("Connect %1 Nodes").arg(nodes.size()));
}

void MainWindow::editProfile()
{
    QDialog dialog(this);
    dialog.setWindowTitle(tr("Your Name and Colour"));
    auto* name = new QLineEdit(m_session.profile().name, &dialog);
    name->setMaxLength(64);
    auto* colorButton = new QPushButton(&dialog);
    QColor color = toQColor(m_session.profile().color);
    auto paint = [&] {
        QPixmap p(16, 16);
        p.fill(color);
        colorButton->setIcon(QIcon(p));
        colorButton->setText(color.name());
    };
    paint();
    connect(colorButton, &QPushButton::clicked, &dialog, [&] {
        const QColor chosen = QColorDialog::getColor(color, &dialog, tr("Your Colour"));
        if (chosen.isValid()) {
            color = chosen;
            paint();
        }
    });
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, &dialog);
    connect(buttons, &QDialogButtonBox::accepted, &dialog, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, &dialog, &QDialog::reject);
    auto* form = new QFormLayout(&dialog);
    form->addRow(tr("&Name others see:"), name);
    form->addRow(tr("&Colour:"), colorButton);
    form->addRow(new QLabel(tr("Others see the change when you next join a room."), &dialog));
    form->addRow(buttons);
    if (dialog.exec() != QDialog::Accepted || name->text().trimmed().isEmpty())
        return;
    Profile p = m_session.profile();
    p.name = name->text().trimmed();
    p.color = fromQColor(color);
    m_session.setProfile(p);
    QSettings settings;
    saveProfile(settings, p);
    m_people->refresh();
}

void MainWindow::startAutoLayout(const layout::ForceLayoutOptions& options)
{
    if (m_layout) {
        stopAutoLayout(true); // the shortcut again: keep what it has reached
        return;
    }
    if (!m_session.canEdit()) {
        statusBar()->showMessage(tr("A viewer of this room cannot lay the graph out"), 5000);
        return;
    }
    layout::LayoutGraph graph = layout::layoutGraphFromDocument(m_session.document());
    if (graph.nodeCount() < 2) {
        statusBar()->showMessage(tr("Nothing to lay out"), 5000);
        return;
    }
    m_layout = new LayoutJob(this);
    // Every snapshot is every free node drawn and sent: fewer of them for a large graph.
    m_layout->setSnapshotIntervalMs(graph.nodeCount() > 20'000 ? 200 : 33);
    connect(m_layout, &LayoutJob::snapshot, this, [this](const std::vector<Vec3>& positions, int, double progress) {
        const std::vector<EntityId>& ids = m_layout->nodeIds();
        m_view->showLivePositions(ids, positions);
        if (net::SyncClient* c = m_session.client()) {
            std::vector<net::protocol::PositionsBatch::Entry> live;
            live.reserve(ids.size());
            for (std::size_t i = 0; i < ids.size() && i < positions.size(); ++i)
                live.push_back({ids[i], positions[i]});
            c->dragTo(live);
        }
        m_layoutProgress->setValue(int(progress * 1000.0));
    });
    connect(m_layout, &LayoutJob::finished, this,
            [this](LayoutJob::Outcome, const std::vector<Vec3>& positions) {
                LayoutJob* job = std::exchange(m_layout, nullptr);
                m_layoutStatus->hide();
                if (!positions.empty()) {
                    std::vector<std::pair<EntityId, Vec3>> moved;
                    moved.reserve(positions.size());
                    for (std::size_t i = 0; i < positions.size() && i < job->nodeIds().size(); ++i)
                        moved.emplace_back(job->nodeIds()[i], positions[i]);
                    m_session.moveNodes(moved, tr("Auto-Layout")); // one undo step, for everyone
                } else {
                    m_view->clearLivePositions();
                }
                if (net::SyncClient* c = m_session.client())
                    c->endDrag();
                statusBar()->showMessage(job->message(), 8000);
                job->deleteLater();
            });
    m_layoutProgress->setValue(0);
    m_layoutStatus->show();
    // Seeded: the same graph lays out the same way on every machine.
    m_layout->start(std::move(graph), 1, options);
}

void MainWindow::stopAutoLayout(bool commit)
{
    if (!m_layout)
        return;
    if (commit)
        m_layout->stop();
    else
        m_layout->cancel();
}

void MainWindow::updateStatus()
{
    m_status->setText(m_session.statusText());
    if (m_leave)
        m_leave->setEnabled(m_session.client() != nullptr);
    if (m_copyAddress)
        m_copyAddress->setEnabled(m_session.client() != nullptr);
    updateTitle();
}

void MainWindow::updateUndoActions()
{
    m_undo->setEnabled(m_session.canUndo());
    m_redo->setEnabled(m_session.canRedo());
    m_undo->setText(m_session.canUndo() ? tr("&Undo %1").arg(m_session.undoText()) : tr("&Undo"));
    m_redo->setText(m_session.canRedo() ? tr("&Redo %1").arg(m_session.redoText()) : tr("&Redo"));
}

void MainWindow::updateTitle()
{
    QString what = m_session.filePath().isEmpty() ? tr("Untitled") : QFileInfo(m_session.filePath()).fileName();
    if (m_session.client())
        what = QString::fromStdString(m_session.client()->roomName()) + (m_session.isHosting() ? tr(" (hosting)") : QString());
    setWindowTitle(what + (m_session.isModified() && !m_session.client() ? QStringLiteral(" *") : QString())
                   + QStringLiteral(" — Constellate"));
}

} // namespace constellate::ui
