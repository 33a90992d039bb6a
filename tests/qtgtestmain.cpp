// main() for tests that need a Qt event loop (sockets, timers): a QCoreApplication lives
// for the whole run, and tests spin it with QTest-free helpers (see tests/net/nettestsupport.h).

#include <QCoreApplication>

#include <gtest/gtest.h>

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    ::testing::InitGoogleTest(&argc, argv);
    return RUN_ALL_TESTS();
}
