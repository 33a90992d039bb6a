#pragma once

// Tests that open windows or GL contexts share one X server (xvfb-run) while ctest runs them
// two at a time. Now and then the server refuses a connection for a moment (seen once in a
// few hundred starts), and QGuiApplication then aborts the test before it ran. Before the
// application object is made, this waits until the display takes a connection (up to ten
// seconds), so that a test fails for what it tests, not for that. No display set: nothing.

#include <QtGlobal>

#if defined(Q_OS_LINUX)
#include <dlfcn.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#endif

namespace constellate::test {

inline void waitForDisplay()
{
#if defined(Q_OS_LINUX)
    if (!std::getenv("DISPLAY"))
        return;
    // libxcb through dlopen: Qt's xcb plugin loads the same library; no link dependency.
    void* xcb = dlopen("libxcb.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!xcb)
        return;
    using Connect = void* (*)(const char*, int*);
    using HasError = int (*)(void*);
    using Disconnect = void (*)(void*);
    const auto connect = reinterpret_cast<Connect>(dlsym(xcb, "xcb_connect"));
    const auto hasError = reinterpret_cast<HasError>(dlsym(xcb, "xcb_connection_has_error"));
    const auto disconnect = reinterpret_cast<Disconnect>(dlsym(xcb, "xcb_disconnect"));
    if (connect && hasError && disconnect) {
        for (int attempt = 0; attempt < 50; ++attempt) {
            void* c = connect(nullptr, nullptr);
            const bool ok = c && !hasError(c);
            if (c)
                disconnect(c);
            if (ok)
                break;
            std::fprintf(stderr, "the X server (DISPLAY=%s) refused a connection; trying again\n", std::getenv("DISPLAY"));
            usleep(200'000);
        }
    }
    dlclose(xcb);
#endif
}

} // namespace constellate::test
