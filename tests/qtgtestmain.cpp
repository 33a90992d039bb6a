// main() for tests that need a Qt event loop (sockets, timers): a QCoreApplication lives
// for the whole run, and tests spin it with QTest-free helpers (see tests/eventloopwait.h).
// With CONSTELLATE_TEST_GUI_MAIN (constellate_add_test's GUI_MAIN) it is a QGuiApplication,
// for tests that create OpenGL contexts or windows.

#ifdef CONSTELLATE_TEST_GUI_MAIN
#include <QGuiApplication>
using TestApplication = QGuiApplication;
#else
#include <QCoreApplication>
using TestApplication = QCoreApplication;
#endif

#include "keeplibrariesloaded.h"
#include "displayretry.h"

#include <gtest/gtest.h>

int main(int argc, char** argv)
{
    constellate::test::rememberArguments(argc, argv);
    ::testing::InitGoogleTest(&argc, argv);
    // Listing the tests (gtest_discover_tests does it at build time) needs no display.
    if (GTEST_FLAG_GET(list_tests))
        return RUN_ALL_TESTS();
#ifdef CONSTELLATE_TEST_GUI_MAIN
    constellate::test::restartWhenTheDisplayRefuses();
#endif
    TestApplication app(argc, argv);
    const int status = RUN_ALL_TESTS();
    constellate::test::keepLoadedLibrariesMapped();
    return status;
}
