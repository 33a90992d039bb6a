// main() for the editor's tests: a QApplication (widgets, windows) for the whole run. They
// need a display: scripts/test.sh runs the suite under xvfb-run when there is none.

#include <QApplication>
#include <QDialog>
#include <QElapsedTimer>
#include <QPointer>
#include <QStandardPaths>
#include <QTimer>

#include "keeplibrariesloaded.h"
#include "displayretry.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <memory>

namespace {

/// A test that opens a modal dialog nobody answers would wait in its exec() for ever: a
/// dialog left open this long is a failure, and is closed so that the run goes on.
constexpr int UnansweredDialogMs = 15'000;

void watchForUnansweredDialogs(QApplication& app)
{
    auto* timer = new QTimer(&app);
    auto open = std::make_shared<QPointer<QWidget>>();
    auto since = std::make_shared<QElapsedTimer>();
    QObject::connect(timer, &QTimer::timeout, &app, [open, since] {
        QWidget* modal = QApplication::activeModalWidget();
        if (modal != *open) {
            *open = modal;
            since->start();
            return;
        }
        if (!modal || since->elapsed() < UnansweredDialogMs)
            return;
        ADD_FAILURE() << "a modal dialog was left unanswered: \"" << modal->windowTitle().toStdString() << "\"";
        std::fprintf(stderr, "closing the unanswered dialog \"%s\"\n", qPrintable(modal->windowTitle()));
        if (auto* dialog = qobject_cast<QDialog*>(modal))
            dialog->reject();
        else
            modal->close();
        *open = nullptr;
    });
    timer->start(1000);
}

} // namespace

int main(int argc, char** argv)
{
    constellate::test::rememberArguments(argc, argv);
    ::testing::InitGoogleTest(&argc, argv);
    // Listing the tests (gtest_discover_tests does it at build time) needs no display.
    if (GTEST_FLAG_GET(list_tests))
        return RUN_ALL_TESTS();
    constellate::test::restartWhenTheDisplayRefuses();
    QApplication app(argc, argv);
    // Settings, autosaves and hosted rooms of the tests go to ~/.qttest, never the user's.
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName(QStringLiteral("ConstellateTests"));
    QCoreApplication::setApplicationName(QStringLiteral("test_editor"));
    watchForUnansweredDialogs(app);
    const int status = RUN_ALL_TESTS();
    constellate::test::keepLoadedLibrariesMapped();
    return status;
}
