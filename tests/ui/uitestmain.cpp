// main() for the editor's tests: a QApplication (widgets, windows) for the whole run. They
// need a display: scripts/test.sh runs the suite under xvfb-run when there is none.

#include <QApplication>
#include <QStandardPaths>

#include "keeplibrariesloaded.h"

#include <gtest/gtest.h>

int main(int argc, char** argv)
{
    ::testing::InitGoogleTest(&argc, argv);
    // Listing the tests (gtest_discover_tests does it at build time) needs no display.
    if (GTEST_FLAG_GET(list_tests))
        return RUN_ALL_TESTS();
    QApplication app(argc, argv);
    // Settings, autosaves and hosted rooms of the tests go to ~/.qttest, never the user's.
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName(QStringLiteral("ConstellateTests"));
    QCoreApplication::setApplicationName(QStringLiteral("test_editor"));
    const int status = RUN_ALL_TESTS();
    constellate::test::keepLoadedLibrariesMapped();
    return status;
}
