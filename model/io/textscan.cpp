#include "textscan.h"

#include "../formats.h"

#include <charconv>
#include <cmath>
#include <cstring>

namespace constellate {

TextScan::TextScan(std::string_view bytes, const std::string& fileName)
    : m_bytes(bytes)
    , m_fileName(fileName)
{
}

TextScan::Location TextScan::locate(const char* at) const
{
    if (at < begin())
        at = begin();
    if (at > end())
        at = end();
    Location loc { 1, 1 };
    for (const char* p = begin(); p < at; ++p) {
        const char c = *p;
        if (c == '\n' || (c == '\r' && (p + 1 == end() || p[1] != '\n'))) {
            ++loc.line;
            loc.column = 1;
        } else if ((static_cast<unsigned char>(c) & 0xc0) != 0x80 && c != '\r') {
            // A UTF-8 lead byte or ASCII starts a character; continuation bytes do not.
            ++loc.column;
        }
    }
    return loc;
}

void TextScan::fail(const char* at, const std::string& message) const
{
    const Location loc = locate(at);
    throw ImportError(m_fileName, loc.line, loc.column, message);
}

void TextScan::requireUtf8() const
{
    const std::size_t bad = findInvalidUtf8(m_bytes);
    if (bad != std::string_view::npos)
        fail(begin() + bad, "invalid UTF-8 (the file must be UTF-8 encoded)");
}

int decodeUtf8(std::string_view s, std::size_t i, char32_t& cp)
{
    const auto* p = reinterpret_cast<const unsigned char*>(s.data()) + i;
    const std::size_t left = s.size() - i;
    const unsigned char c = p[0];
    if (c < 0x80) {
        cp = c;
        return 1;
    }
    int n;
    std::uint32_t v;
    std::uint32_t min;
    if ((c & 0xe0) == 0xc0) {
        n = 2, v = c & 0x1f, min = 0x80;
    } else if ((c & 0xf0) == 0xe0) {
        n = 3, v = c & 0x0f, min = 0x800;
    } else if ((c & 0xf8) == 0xf0) {
        n = 4, v = c & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    if (left < std::size_t(n))
        return 0;
    for (int k = 1; k < n; ++k) {
        if ((p[k] & 0xc0) != 0x80)
            return 0;
        v = (v << 6) | (p[k] & 0x3f);
    }
    if (v < min || !isScalarValue(v))
        return 0;
    cp = v;
    return n;
}

std::size_t findInvalidUtf8(std::string_view s)
{
    std::size_t i = 0;
    const std::size_t n = s.size();
    while (i < n) {
        // Most graph files are nearly all ASCII: test eight bytes at a time.
        if (n - i >= 8) {
            std::uint64_t w;
            std::memcpy(&w, s.data() + i, 8);
            if ((w & 0x8080808080808080ull) == 0) {
                i += 8;
                continue;
            }
        }
        if (static_cast<unsigned char>(s[i]) < 0x80) {
            ++i;
            continue;
        }
        char32_t cp;
        const int len = decodeUtf8(s, i, cp);
        if (len == 0)
            return i;
        i += std::size_t(len);
    }
    return std::string_view::npos;
}

void appendUtf8(std::string& out, char32_t cp)
{
    if (cp < 0x80) {
        out += char(cp);
    } else if (cp < 0x800) {
        out += char(0xc0 | (cp >> 6));
        out += char(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
        out += char(0xe0 | (cp >> 12));
        out += char(0x80 | ((cp >> 6) & 0x3f));
        out += char(0x80 | (cp & 0x3f));
    } else {
        out += char(0xf0 | (cp >> 18));
        out += char(0x80 | ((cp >> 12) & 0x3f));
        out += char(0x80 | ((cp >> 6) & 0x3f));
        out += char(0x80 | (cp & 0x3f));
    }
}

std::string_view trimSpace(std::string_view s)
{
    while (!s.empty() && isSpace(s.front()))
        s.remove_prefix(1);
    while (!s.empty() && isSpace(s.back()))
        s.remove_suffix(1);
    return s;
}

namespace {

// from_chars takes no '+'; writers (and people) sometimes put one.
bool stripPlus(std::string_view& s)
{
    if (!s.empty() && s.front() == '+') {
        s.remove_prefix(1);
        if (s.empty() || s.front() == '-' || s.front() == '+')
            return false;
    }
    return !s.empty();
}

int hexDigit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

bool equalsIgnoreCase(std::string_view a, std::string_view b)
{
    if (a.size() != b.size())
        return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        char x = a[i], y = b[i];
        if (x >= 'A' && x <= 'Z')
            x = char(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z')
            y = char(y - 'A' + 'a');
        if (x != y)
            return false;
    }
    return true;
}

} // namespace

bool parseInt64(std::string_view s, std::int64_t& out)
{
    if (!stripPlus(s))
        return false;
    const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc {} && ptr == s.data() + s.size();
}

bool parseDouble(std::string_view s, double& out)
{
    if (!stripPlus(s))
        return false;
    const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out, std::chars_format::general);
    return ec == std::errc {} && ptr == s.data() + s.size();
}

bool parseBoolText(std::string_view s, bool& out)
{
    if (s == "1" || equalsIgnoreCase(s, "true")) {
        out = true;
        return true;
    }
    if (s == "0" || equalsIgnoreCase(s, "false")) {
        out = false;
        return true;
    }
    return false;
}

std::optional<Rgba> parseHexColor(std::string_view s)
{
    if ((s.size() != 7 && s.size() != 9) || s[0] != '#')
        return std::nullopt;
    Rgba c = 0;
    for (std::size_t i = 1; i < s.size(); ++i) {
        const int d = hexDigit(s[i]);
        if (d < 0)
            return std::nullopt;
        c = (c << 4) | Rgba(d);
    }
    return s.size() == 7 ? (c << 8) | 0xff : c;
}

void appendDouble(std::string& out, double v)
{
    if (std::isnan(v)) {
        out += "nan";
        return;
    }
    if (std::isinf(v)) {
        out += v < 0 ? "-inf" : "inf";
        return;
    }
    char buf[40];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, r.ptr);
}

void appendFloat(std::string& out, float v)
{
    if (!std::isfinite(v)) {
        appendDouble(out, double(v));
        return;
    }
    char buf[32];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, r.ptr);
}

void appendInt(std::string& out, std::int64_t v)
{
    char buf[24];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, r.ptr);
}

void appendHexColor(std::string& out, Rgba c, bool omitOpaqueAlpha)
{
    static constexpr char digits[] = "0123456789abcdef";
    const int n = omitOpaqueAlpha && (c & 0xff) == 0xff ? 6 : 8;
    out += '#';
    for (int i = 0; i < n; ++i)
        out += digits[(c >> (28 - 4 * i)) & 0xf];
}

void appendValueText(std::string& out, const Value& v)
{
    switch (v.type()) {
    case ValueType::None:
        break;
    case ValueType::Bool:
        out += v.toBool() ? "true" : "false";
        break;
    case ValueType::Int:
        appendInt(out, v.toInt());
        break;
    case ValueType::Double:
        appendDouble(out, v.toDouble());
        break;
    case ValueType::String:
        out += v.toStringView();
        break;
    case ValueType::Vec3: {
        const Vec3 p = v.toVec3();
        appendFloat(out, p.x);
        out += ' ';
        appendFloat(out, p.y);
        out += ' ';
        appendFloat(out, p.z);
        break;
    }
    case ValueType::Color:
        appendHexColor(out, v.toColor(), false);
        break;
    }
}

} // namespace constellate
