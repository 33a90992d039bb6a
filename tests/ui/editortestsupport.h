#pragma once

// Shared by the editor's window tests (test_editor, test_history, test_clipboard): waiting without
// timed assertions, real input events, and an editor that hosts a room in this process.

#include "editorsession.h"
#include "eventloopwait.h"
#include "mainwindow.h"

#include <QApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QMessageBox>
#include <QMouseEvent>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>
#include <QTimer>

#include <gtest/gtest.h>

#include <functional>
#include <memory>

namespace constellate::test {

/// Lets the windows handle what is queued for a while (paints, timers).
inline void settle(int ms)
{
    QElapsedTimer t;
    t.start();
    while (t.elapsed() < ms) {
        QApplication::processEvents(QEventLoop::AllEvents, 10);
        QThread::usleep(500);
    }
}

inline void mouse(QWidget* w, QEvent::Type type, QPoint at, Qt::MouseButton button, Qt::MouseButtons buttons,
                  Qt::KeyboardModifiers modifiers = Qt::NoModifier)
{
    QMouseEvent e(type, QPointF(at), w->mapToGlobal(QPointF(at)), button, buttons, modifiers);
    QApplication::sendEvent(w, &e);
}

inline void click(QWidget* w, QPoint at, Qt::KeyboardModifiers modifiers = Qt::NoModifier)
{
    mouse(w, QEvent::MouseButtonPress, at, Qt::LeftButton, Qt::LeftButton, modifiers);
    mouse(w, QEvent::MouseButtonRelease, at, Qt::LeftButton, Qt::NoButton, modifiers);
}

/// A key press as the window system delivers it: the active window's shortcuts first (QTest
/// does what a real key press does), then the focused widget.
inline void key(QWidget* w, int k, Qt::KeyboardModifiers modifiers = Qt::NoModifier)
{
    // Without a window manager (Xvfb) activation is a request the X server may take a
    // while to grant on a loaded machine: ask again while waiting.
    for (int attempt = 0; attempt < 4 && QApplication::activeWindow() != w->window(); ++attempt) {
        w->window()->raise();
        w->window()->activateWindow();
        if (QTest::qWaitForWindowActive(w->window(), 5000))
            break;
    }
    if (QApplication::activeWindow() != w->window())
        ADD_FAILURE() << "the window did not become active";
    QTest::keyClick(w, Qt::Key(k), modifiers);
}

/// Answers the next modal dialog (a message box or an input dialog) with `answer`, from the
/// event loop, while the code under test waits in the dialog's exec().
class DialogAnswerer : public QObject {
public:
    explicit DialogAnswerer(std::function<bool(QWidget*)> answer) : m_answer(std::move(answer))
    {
        connect(&m_timer, &QTimer::timeout, this, [this] {
            if (QWidget* modal = QApplication::activeModalWidget(); modal && !m_answered)
                m_answered = m_answer(modal);
        });
        m_timer.start(20);
    }
    bool answered() const { return m_answered; }

private:
    std::function<bool(QWidget*)> m_answer;
    QTimer m_timer;
    bool m_answered = false;
};

/// An editor window that hosts `file` as a room on a free loopback port.
struct HostedEditor {
    HostedEditor(UserId user, const QString& name, Rgba color, const QString& file)
        : session(std::make_unique<ui::EditorSession>(ui::Profile {user, name, color}))
    {
        EXPECT_TRUE(data.isValid());
        window = std::make_unique<ui::MainWindow>(*session);
        window->resize(1000, 700);
        window->show();
        ui::EditorSession::HostOptions options;
        options.port = 0;
        options.bind = QHostAddress::LocalHost;
        options.dataDir = data.path();
        QString error;
        hosted = session->host(file, options, &error);
        EXPECT_TRUE(hosted) << error.toStdString();
    }
    ~HostedEditor()
    {
        window.reset();
        session.reset();
    }
    QUrl roomUrl(const QString& room) const
    {
        return QUrl(QStringLiteral("ws://127.0.0.1:%1/rooms/%2").arg(session->hostedPort()).arg(room));
    }
    /// Keeps a screenshot of the window when CONSTELLATE_SCREENSHOT_DIR is set.
    void screenshot(const QString& suffix) const
    {
        const QByteArray dir = qgetenv("CONSTELLATE_SCREENSHOT_DIR");
        if (dir.isEmpty() || !window)
            return;
        QDir().mkpath(QString::fromLocal8Bit(dir));
        const QString test = QString::fromLatin1(::testing::UnitTest::GetInstance()->current_test_info()->name());
        window->grab().save(QString::fromLocal8Bit(dir) + QStringLiteral("/%1-%2.png").arg(test, suffix));
    }

    QTemporaryDir data;
    std::unique_ptr<ui::EditorSession> session;
    std::unique_ptr<ui::MainWindow> window;
    bool hosted = false;
};

} // namespace constellate::test
