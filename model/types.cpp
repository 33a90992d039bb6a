#include "types.h"

#include <cstdio>

namespace constellate {

std::string OpId::toString() const
{
    char buf[32];
    std::snprintf(buf, sizeof buf, "%08x:%u", replica, counter);
    return buf;
}

} // namespace constellate
