// main() for the editor's tests: a QApplication (widgets, windows) for the whole run. They
// need a display: scripts/test.sh runs the suite under xvfb-run when there is none.

#include <QApplication>
#include <QStandardPaths>

#include <gtest/gtest.h>

#include <dlfcn.h>
#include <link.h>

#include <string>

namespace {

/// Keeps Mesa's DRI driver (swrast_dri.so under Xvfb) mapped until the process is gone. At
/// exit it can be unloaded before LeakSanitizer looks (the order of the libraries' exit
/// code decides), and then the driver's own process-lifetime allocations stand under no
/// module, where tests/lsan.supp's rule for it cannot name them.
void pinGlDriver()
{
    dl_iterate_phdr(
        [](dl_phdr_info* info, size_t, void*) {
            const std::string name = info->dlpi_name ? info->dlpi_name : "";
            if (name.size() > 7 && name.compare(name.size() - 7, 7, "_dri.so") == 0)
                dlopen(name.c_str(), RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE);
            return 0;
        },
        nullptr);
}

} // namespace

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
    pinGlDriver();
    return status;
}
