// Actions, interaction profiles and hand tracking of the test runtime.

#include "testruntime.h"

namespace constellate::xrtest {

PFN_xrVoidFunction inputFunction(const char*)
{
    return nullptr;
}

} // namespace constellate::xrtest
