// Actions, interaction profiles and hand tracking of the test runtime.

#include "testruntime.h"

namespace constellate::xrtest {

std::optional<XrPosef> actionSpaceInStage(const RtSpace&, XrTime)
{
    return std::nullopt;
}

PFN_xrVoidFunction inputFunction(const char*)
{
    return nullptr;
}

} // namespace constellate::xrtest
