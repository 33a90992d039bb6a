#pragma once

#include <functional>
#include <string>
#include <string_view>

namespace constellate {

/// Lets unordered containers keyed by std::string be searched with a string_view
/// (no temporary string per lookup).
struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>()(s); }
};

} // namespace constellate
