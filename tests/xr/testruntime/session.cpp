// Sessions, spaces, swapchains and the frame loop of the test runtime.

#include "testruntime.h"

namespace constellate::xrtest {

PFN_xrVoidFunction sessionFunction(const char*)
{
    return nullptr;
}

} // namespace constellate::xrtest
