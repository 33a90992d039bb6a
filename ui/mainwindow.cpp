#include "mainwindow.h"

#include "editorsession.h"
#include "formats.h"
#include "graphview.h"
#include "identity.h"
#include "noticebar.h"
#include "peoplepanel.h"
#include "propertiespanel.h"

#include <QAction>
#include <QActionGroup>
#include <QApplication>
#include <QClipboard>
#include <QCloseEvent>
#include <QColorDialog>
#include <QDialogButtonBox>
#include <QDockWidget>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QInputDialog>
#include <QLabel>
#include <QLineEdit>
#include <QMenuBar>
#include <QMessageBox>
#include <QProgressBar>
#include <QPushButton>
#include <QSettings>
#include <QStandardPaths>
#include <QStatusBar>
#include <QToolBar>
#include <QVBoxLayout>

namespace constellate::ui {

namespace {

QColor toQColor(Rgba c)
{
    return QColor(int(c >> 24), int((c >> 16) & 0xff), int((c >> 8) & 0xff));
}

Rgba fromQColor(const QColor& c)
{
    return (Rgba(c.red()) << 24) | (Rgba(c.green()) << 16) | (Rgba(c.blue()) << 8) | 0xffu;
}

} // namespace

Profile MainWindow::loadProfile(QSettings& settings)
{
    Profile p;
    p.user = profileUserId(settings);
    p.name = settings.value(QStringLiteral("profile/name")).toString();
    if (p.name.isEmpty())
        p.name = qEnvironmentVariable("USER", QStringLiteral("someone"));
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

    m_properties = new PropertiesPanel(m_session, this);
    auto* propertiesDock = new QDockWidget(tr("Properties"), this);
    propertiesDock->setObjectName(QStringLiteral("properties"));
    propertiesDock->setWidget(m_properties);
    addDockWidget(Qt::RightDockWidgetArea, propertiesDock);
    m_people = new PeoplePanel(m_session, *m_view, this);
    auto* peopleDock = new QDockWidget(tr("People"), this);
    peopleDock->setObjectName(QStringLiteral("people"));
    peopleDock->setWidget(m_people);
    addDockWidget(Qt::RightDockWidgetArea, peopleDock);

    buildMenus();
    QMenu* panels = menuBar()->findChild<QMenu*>(QStringLiteral("viewMenu"));
    if (panels) {
        panels->addSeparator();
        panels->addAction(propertiesDock->toggleViewAction());
        panels->addAction(peopleDock->toggleViewAction());
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
    connect(&m_session, &EditorSession::notice, this, [this](const QString& text) {
        m_notices->showNotice(text);
        statusBar()->showMessage(text, 6000);
    });
    connect(&m_session, &EditorSession::conflicts, m_notices, &NoticeBar::showConflict);
    connect(&m_session, &EditorSession::transferProgress, this, [this](const QString& what, quint64 done, quint64 total) {
        // Per mille: QProgressBar takes int, a room may pass 2 GiB.
        m_transfer->setRange(0, 1000);
        m_transfer->setValue(total ? int(done * 1000 / total) : 0);
        m_transfer->setFormat(tr("%1: %2 of %3 kB").arg(what).arg(done / 1024).arg(total / 1024));
        m_transfer->setVisible(total > 0 && done < total);
    });
    connect(m_notices, &NoticeBar::restoreRequested, &m_session, &EditorSession::restoreMine);
    connect(m_view, &GraphView::glFailed, this, [this](const QString& text) {
        QMessageBox::critical(this, tr("Constellate"), text);
    });

    QSettings settings;
    if (!restoreGeometry(settings.value(QStringLiteral("window/geometry")).toByteArray()))
        resize(1280, 800);
    restoreState(settings.value(QStringLiteral("window/state")).toByteArray());
    updateStatus();
    updateUndoActions();
    updateTitle();
}

MainWindow::~MainWindow() = default;

void MainWindow::buildMenus()
{
    QMenu* file = menuBar()->addMenu(tr("&File"));
    file->addAction(tr("&New"), QKeySequence::New, &m_session, &EditorSession::newDocument);
    file->addAction(tr("&Open…"), QKeySequence::Open, this, &MainWindow::openFile);
    file->addSeparator();
    file->addAction(tr("&Quit"), QKeySequence::Quit, this, &QWidget::close);

    QMenu* edit = menuBar()->addMenu(tr("&Edit"));
    m_undo = edit->addAction(tr("&Undo"), QKeySequence::Undo, &m_session, &EditorSession::undo);
    m_redo = edit->addAction(tr("&Redo"), &m_session, &EditorSession::redo);
    m_redo->setShortcuts({QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_Z), QKeySequence(Qt::CTRL | Qt::Key_Y)});
    edit->addSeparator();
    edit->addAction(tr("&Add Node"), Qt::Key_Insert, this, &MainWindow::addNode);
    edit->addAction(tr("&Connect Selected Nodes"), QKeySequence(Qt::CTRL | Qt::Key_E), this,
                    &MainWindow::connectSelection);
    QAction* del = edit->addAction(tr("&Delete"), this, &MainWindow::deleteSelection);
    del->setShortcuts({QKeySequence::Delete, QKeySequence(Qt::Key_Backspace)});
    edit->addSeparator();
    edit->addAction(tr("Select &All"), QKeySequence::SelectAll, this, &MainWindow::selectAll);
    edit->addAction(tr("Select &None"), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_A), this,
                    [this] { m_session.setSelection({}); });
    edit->addSeparator();
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
    tools->addSeparator();
    QAction* directed = tools->addAction(tr("New Edges &Directed"));
    directed->setCheckable(true);
    connect(directed, &QAction::toggled, m_view, &GraphView::setConnectDirected);
    connect(m_view, &GraphView::toolChanged, this, [this](Tool tool) {
        for (QAction* a : m_tools->actions())
            if (a->data().toInt() == int(tool))
                a->setChecked(true);
    });

    QMenu* sessionMenu = menuBar()->addMenu(tr("&Session"));
    sessionMenu->addAction(tr("&Host…"), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_H), this,
                           &MainWindow::hostSession);
    sessionMenu->addAction(tr("&Join…"), QKeySequence(Qt::CTRL | Qt::Key_J), this, &MainWindow::joinSession);
    m_copyAddress = sessionMenu->addAction(tr("&Copy Address"), this, &MainWindow::copyAddress);
    m_leave = sessionMenu->addAction(tr("&Leave"), &m_session, &EditorSession::leave);

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
    QAction* fly = viewMenu->addAction(tr("F&ly Mode"));
    fly->setShortcut(QKeySequence(Qt::SHIFT | Qt::Key_F));
    fly->setCheckable(true);
    fly->setToolTip(tr("W/S, A/D, Q/E move; right drag looks around"));
    connect(fly, &QAction::toggled, m_view, &GraphView::setFlyMode);
    connect(m_view, &GraphView::flyModeChanged, fly, &QAction::setChecked);
}

QString MainWindow::statusText() const
{
    return m_status->text();
}

void MainWindow::closeEvent(QCloseEvent* event)
{
    QSettings settings;
    settings.setValue(QStringLiteral("window/geometry"), saveGeometry());
    settings.setValue(QStringLiteral("window/state"), saveState());
    m_session.leave();
    event->accept();
}

void MainWindow::openFile()
{
    QSettings settings;
    const QString path = QFileDialog::getOpenFileName(
        this, tr("Open Graph"), settings.value(QStringLiteral("files/lastDir")).toString(),
        tr("Graphs (*.graphml *.gexf *.json *.gml *.csv *.constellate);;All files (*)"));
    if (path.isEmpty())
        return;
    settings.setValue(QStringLiteral("files/lastDir"), QFileInfo(path).absolutePath());
    QString error;
    if (!m_session.openFile(path, &error))
        QMessageBox::warning(this, tr("Open Graph"), error);
}

void MainWindow::hostSession()
{
    QSettings settings;
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
    EditorSession::HostOptions options;
    options.port = quint16(port);
    options.dataDir = QStandardPaths::writableLocation(QStandardPaths::AppDataLocation) + QStringLiteral("/hosted");
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
    bool ok = false;
    const QString url = QInputDialog::getText(this, tr("Join a Room"), tr("Room address (ws://HOST:PORT/rooms/NAME):"),
                                              QLineEdit::Normal, settings.value(QStringLiteral("session/lastUrl")).toString(),
                                              &ok);
    if (!ok || url.isEmpty())
        return;
    settings.setValue(QStringLiteral("session/lastUrl"), url.trimmed());
    QString error;
    if (!m_session.join(QUrl(url.trimmed()), QString(), &error))
        QMessageBox::warning(this, tr("Join"), error);
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
