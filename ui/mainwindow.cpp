#include "mainwindow.h"

#include "editorsession.h"
#include "formats.h"
#include "graphview.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QFileDialog>
#include <QInputDialog>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QSettings>
#include <QStandardPaths>
#include <QStatusBar>

namespace constellate::ui {

MainWindow::MainWindow(EditorSession& session, QWidget* parent)
    : QMainWindow(parent), m_session(session), m_view(new GraphView(this)), m_status(new QLabel(this))
{
    setWindowTitle(QStringLiteral("Constellate"));
    setCentralWidget(m_view);
    statusBar()->addWidget(m_status, 1);
    m_view->setDocument(&m_session.document());

    QMenu* file = menuBar()->addMenu(tr("&File"));
    QAction* open = file->addAction(tr("&Open…"), this, &MainWindow::openFile);
    open->setShortcut(QKeySequence::Open);
    file->addSeparator();
    QAction* quit = file->addAction(tr("&Quit"), this, &QWidget::close);
    quit->setShortcut(QKeySequence::Quit);

    QMenu* edit = menuBar()->addMenu(tr("&Edit"));
    QAction* add = edit->addAction(tr("&Add Node"), this, &MainWindow::addNode);
    add->setShortcut(Qt::Key_Insert);

    QMenu* sessionMenu = menuBar()->addMenu(tr("&Session"));
    sessionMenu->addAction(tr("&Host This Graph…"), this, &MainWindow::hostSession);
    QAction* join = sessionMenu->addAction(tr("&Join…"), this, &MainWindow::joinSession);
    join->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_J));
    sessionMenu->addAction(tr("&Leave"), &m_session, &EditorSession::leave);

    QMenu* viewMenu = menuBar()->addMenu(tr("&View"));
    QAction* frame = viewMenu->addAction(tr("&Frame All"), m_view, &GraphView::frameAll);
    frame->setShortcut(Qt::Key_F);

    connect(&m_session, &EditorSession::documentReset, m_view, [this] {
        m_view->setDocument(&m_session.document());
        updateStatus();
    });
    connect(&m_session, &EditorSession::nodesChanged, m_view, &GraphView::nodesChanged);
    connect(&m_session, &EditorSession::edgesChanged, m_view, &GraphView::edgesChanged);
    connect(&m_session, &EditorSession::nodesChanged, this, &MainWindow::updateStatus);
    connect(&m_session, &EditorSession::statusChanged, this, &MainWindow::updateStatus);
    connect(&m_session, &EditorSession::message, this, [this](const QString& text) {
        statusBar()->showMessage(text, 10'000);
        QMessageBox::warning(this, tr("Constellate"), text);
    });
    connect(m_view, &GraphView::glFailed, this, [this](const QString& text) {
        QMessageBox::critical(this, tr("Constellate"), text);
    });

    QSettings settings;
    if (!restoreGeometry(settings.value(QStringLiteral("window/geometry")).toByteArray()))
        resize(1280, 800);
    updateStatus();
}

MainWindow::~MainWindow() = default;

void MainWindow::closeEvent(QCloseEvent* event)
{
    QSettings settings;
    settings.setValue(QStringLiteral("window/geometry"), saveGeometry());
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
    const QString path = QFileDialog::getOpenFileName(this, tr("Host a Graph"),
                                                      settings.value(QStringLiteral("files/lastDir")).toString());
    if (path.isEmpty())
        return;
    EditorSession::HostOptions options;
    options.dataDir = QStandardPaths::writableLocation(QStandardPaths::AppDataLocation) + QStringLiteral("/hosted");
    QString error;
    if (!m_session.host(path, options, &error))
        QMessageBox::warning(this, tr("Host"), error);
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
    settings.setValue(QStringLiteral("session/lastUrl"), url);
    QString error;
    if (!m_session.join(QUrl(url.trimmed()), QString(), &error))
        QMessageBox::warning(this, tr("Join"), error);
}

void MainWindow::addNode()
{
    const glm::vec3 at = m_view->camera().target();
    m_session.addNode(Vec3 {at.x, at.y, at.z}, "new node");
}

void MainWindow::updateStatus()
{
    m_status->setText(m_session.statusText());
}

} // namespace constellate::ui
