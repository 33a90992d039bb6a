#pragma once

#include "../types.h"
#include "../value.h"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace constellate {

/// The bytes of one input file and its name, shared by the format readers: turns a
/// position in the bytes into a "FILE:LINE:COL" ImportError. Line and column are counted
/// only when an error is raised, so scanning stays a plain walk over memory.
///
/// Columns are 1-based and count characters (UTF-8 code points), not bytes; a tab is one
/// column. Lines end at "\n", "\r\n" or a lone "\r".
class TextScan {
public:
    TextScan(std::string_view bytes, const std::string& fileName);

    std::string_view bytes() const { return m_bytes; }
    const char* begin() const { return m_bytes.data(); }
    const char* end() const { return m_bytes.data() + m_bytes.size(); }
    const std::string& fileName() const { return m_fileName; }

    struct Location {
        int line = 0;
        int column = 0;
    };
    Location locate(const char* at) const;

    /// Throws ImportError naming the file and the line/column of `at` (clamped into the bytes).
    [[noreturn]] void fail(const char* at, const std::string& message) const;
    /// Throws unless the whole input is valid UTF-8 (no overlongs, surrogates or code
    /// points past U+10FFFF); the error points at the first bad byte.
    void requireUtf8() const;

private:
    std::string_view m_bytes;
    std::string m_fileName;
};

/// Offset of the first byte that is not part of valid UTF-8, or npos.
std::size_t findInvalidUtf8(std::string_view s);
/// Decodes the UTF-8 sequence starting at s[i]: its length in bytes, or 0 if it is invalid.
int decodeUtf8(std::string_view s, std::size_t i, char32_t& cp);
/// Appends the UTF-8 encoding of a code point (the caller checks that it is a scalar value).
void appendUtf8(std::string& out, char32_t cp);
/// True for a Unicode scalar value (not a surrogate, at most U+10FFFF).
constexpr bool isScalarValue(std::uint32_t cp)
{
    return cp <= 0x10ffff && (cp < 0xd800 || cp > 0xdfff);
}

/// Whitespace as XML and the text formats define it: space, tab, CR, LF.
constexpr bool isSpace(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}
std::string_view trimSpace(std::string_view s);

/// Strict number parsing: the whole text must be the number (std::from_chars, so no
/// locale). A leading '+' is accepted. Doubles accept "inf" and "nan" in any case, as
/// Python writes them; callers that need finite values check.
bool parseInt64(std::string_view s, std::int64_t& out);
bool parseDouble(std::string_view s, double& out);
/// "true"/"false"/"True"/"False"/"1"/"0" (what GraphML and GEXF writers produce).
bool parseBoolText(std::string_view s, bool& out);
/// "#rrggbb" or "#rrggbbaa" (any case); the alpha defaults to 0xff.
std::optional<Rgba> parseHexColor(std::string_view s);

/// Shortest text that reads back as exactly the same number ("0.1", "1e+20", "3"), with
/// "inf", "-inf" and "nan" for the non-finite values.
void appendDouble(std::string& out, double v);
void appendFloat(std::string& out, float v);
void appendInt(std::string& out, std::int64_t v);
/// "#rrggbbaa", or "#rrggbb" when `omitOpaqueAlpha` and the color is opaque.
void appendHexColor(std::string& out, Rgba c, bool omitOpaqueAlpha);
/// A value as the plain text a string-typed attribute holds: "true", "42", "0.5", the
/// string itself, "x y z" for a Vec3, "#rrggbbaa" for a color.
void appendValueText(std::string& out, const Value& v);

} // namespace constellate
