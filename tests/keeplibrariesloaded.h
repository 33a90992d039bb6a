#pragma once

// Under LeakSanitizer, memory that a shared library reaches only from its own globals is
// reported as leaked once the library is unloaded: the leak check runs at exit, after
// QGuiApplication has closed the X display and Mesa has dlclose()d its driver
// (swrast_dri.so, whose frames then show as "<unknown module>", out of reach of any
// suppression). Marking every loaded library RTLD_NODELETE before the application object
// goes keeps them mapped, so their globals stay roots and nothing of theirs is reported;
// leaks in our own code still are. Without a sanitizer this does nothing.

#if defined(__SANITIZE_ADDRESS__)
#define CONSTELLATE_TEST_KEEP_LIBRARIES 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CONSTELLATE_TEST_KEEP_LIBRARIES 1
#endif
#endif

#ifdef CONSTELLATE_TEST_KEEP_LIBRARIES
#include <dlfcn.h>
#include <link.h>

#include <string>
#include <vector>
#endif

namespace constellate::test {

/// Call after the tests ran, before the Q(Gui)Application is destroyed.
inline void keepLoadedLibrariesMapped()
{
#ifdef CONSTELLATE_TEST_KEEP_LIBRARIES
    // Names first, dlopen() after: dlopen() inside dl_iterate_phdr() would take the
    // loader's lock while it is held.
    std::vector<std::string> names;
    dl_iterate_phdr(
        [](dl_phdr_info* info, std::size_t, void* data) -> int {
            if (info->dlpi_name != nullptr && info->dlpi_name[0] != '\0')
                static_cast<std::vector<std::string>*>(data)->emplace_back(info->dlpi_name);
            return 0;
        },
        &names);
    for (const std::string& name : names)
        dlopen(name.c_str(), RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE);
#endif
}

} // namespace constellate::test
