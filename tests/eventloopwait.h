#pragma once

// Waiting, in tests and benchmarks, for something that happens through the event loop (a
// socket's answer, a worker's result posted back, a window's paint).

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QThread>

#include <chrono>
#include <functional>

namespace constellate::test {

/// Runs the event loop until `done()` or `timeoutMs` passed, and returns done(): a deadline
/// that fails a test, never a timing assertion. Between turns it sleeps `pause`, which
/// leaves the core to the threads `done()` may wait for; a benchmark timing the wait gives
/// a short one, or none (a busy wait).
inline bool waitFor(const std::function<bool()>& done, int timeoutMs = 30'000,
                    std::chrono::microseconds pause = std::chrono::microseconds(300))
{
    QElapsedTimer t;
    t.start();
    while (!done()) {
        if (t.elapsed() > timeoutMs)
            return false;
        QCoreApplication::processEvents(QEventLoop::AllEvents, 20);
        if (pause.count() > 0 && !done())
            QThread::usleep(static_cast<unsigned long>(pause.count()));
    }
    return true;
}

} // namespace constellate::test
