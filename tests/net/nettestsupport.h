#pragma once

// Helpers for tests that need the Qt event loop: wait for a condition with a deadline
// (a deadline that fails the test, never a timing assertion).

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QThread>

#include <functional>

namespace constellate::test {

/// Spins the event loop until `done()` or `timeoutMs` passed; returns done().
inline bool waitFor(const std::function<bool()>& done, int timeoutMs = 10'000)
{
    QElapsedTimer t;
    t.start();
    while (!done()) {
        if (t.elapsed() > timeoutMs)
            return false;
        QCoreApplication::processEvents(QEventLoop::AllEvents, 20);
        if (!done())
            QThread::usleep(200);
    }
    return true;
}

} // namespace constellate::test
