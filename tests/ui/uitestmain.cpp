// main() for the editor's tests: a QApplication (widgets, windows) for the whole run. They
// need a display: scripts/test.sh runs the suite under xvfb-run when there is none.

#include <QApplication>

#include <gtest/gtest.h>

int main(int argc, char** argv)
{
    ::testing::InitGoogleTest(&argc, argv);
    // Listing the tests (gtest_discover_tests does it at build time) needs no display.
    if (GTEST_FLAG_GET(list_tests))
        return RUN_ALL_TESTS();
    QApplication app(argc, argv);
    return RUN_ALL_TESTS();
}
