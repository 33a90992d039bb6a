#pragma once

// Tests that open windows or GL contexts share one X server (xvfb-run) while ctest runs them
// two at a time. Now and then Xvfb refuses a new client's connection (seen about once in a
// few hundred test starts, right after another client went away), and QGuiApplication then
// aborts the test before it ran. A test must fail for what it tests, not for that: when the
// application cannot reach the display, the test process starts itself again, a few times at
// most, with the arguments it was given.

#include <QString>
#include <QtGlobal>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#if defined(Q_OS_LINUX)
#include <unistd.h>
#endif

namespace constellate::test {

namespace detail {
inline std::vector<std::string>& arguments()
{
    static std::vector<std::string> args;
    return args;
}
inline QtMessageHandler& previousHandler()
{
    static QtMessageHandler handler = nullptr;
    return handler;
}
constexpr const char* RetryVariable = "CONSTELLATE_TEST_DISPLAY_RETRIES";
constexpr int MaxRetries = 4;

inline void messageHandler(QtMsgType type, const QMessageLogContext& context, const QString& message)
{
#if defined(Q_OS_LINUX)
    if (type == QtFatalMsg && message.contains(QLatin1String("no Qt platform plugin could be initialized"))) {
        const char* done = std::getenv(RetryVariable);
        const int retries = done ? std::atoi(done) : 0;
        if (retries < MaxRetries && !arguments().empty()) {
            std::fprintf(stderr, "the display refused this test's connection; starting it again (%d of %d)\n",
                         retries + 1, MaxRetries);
            setenv(RetryVariable, std::to_string(retries + 1).c_str(), 1);
            usleep(useconds_t(200'000 * (retries + 1)));
            std::vector<char*> argv;
            for (std::string& a : arguments())
                argv.push_back(a.data());
            argv.push_back(nullptr);
            execv("/proc/self/exe", argv.data());
        }
    }
#endif
    if (previousHandler())
        previousHandler()(type, context, message);
}
} // namespace detail

/// First thing in main(): keeps the arguments as given (gtest and Qt remove theirs later).
inline void rememberArguments(int argc, char** argv)
{
    detail::arguments().assign(argv, argv + argc);
}

/// Before the Q(Gui)Application is made: a refused display restarts the test.
inline void restartWhenTheDisplayRefuses()
{
    detail::previousHandler() = qInstallMessageHandler(detail::messageHandler);
}

} // namespace constellate::test
