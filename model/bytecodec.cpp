#include "bytecodec.h"

#include <bit>
#include <cmath>

namespace constellate {

void ByteWriter::value(const Value& v)
{
    u8(std::uint8_t(v.type()));
    switch (v.type()) {
    case ValueType::None: break;
    case ValueType::Bool: u8(v.toBool() ? 1 : 0); break;
    case ValueType::Int: zigzag(v.toInt()); break;
    case ValueType::Double: f64(v.toDouble()); break;
    case ValueType::String: bytes(v.toStringView()); break;
    case ValueType::Vec3: {
        const Vec3 p = v.toVec3();
        f32(p.x);
        f32(p.y);
        f32(p.z);
        break;
    }
    case ValueType::Color: u32(v.toColor()); break;
    }
}

void ByteReader::fail(std::string message)
{
    if (m_error.empty())
        m_error = std::move(message) + " (at byte " + std::to_string(m_pos) + ")";
    m_pos = m_data.size();
}

bool ByteReader::failTruncated(std::size_t n)
{
    if (ok())
        fail("truncated: needs " + std::to_string(n) + " more bytes");
    return false;
}

std::string_view ByteReader::bytes(std::size_t maxLength)
{
    const std::uint64_t n = varint();
    if (!ok())
        return {};
    if (n > maxLength) {
        fail("string of " + std::to_string(n) + " bytes exceeds the limit of " + std::to_string(maxLength));
        return {};
    }
    if (!need(std::size_t(n)))
        return {};
    std::string_view s = m_data.substr(m_pos, std::size_t(n));
    m_pos += std::size_t(n);
    return s;
}

std::string_view ByteReader::utf8(std::size_t maxLength)
{
    const std::size_t start = m_pos;
    std::string_view s = bytes(maxLength);
    if (ok() && !isValidUtf8(s)) {
        m_pos = start;
        fail("string is not valid UTF-8");
        return {};
    }
    return s;
}

Value ByteReader::value(std::size_t maxStringLength)
{
    const std::uint8_t type = u8();
    switch (ValueType(type)) {
    case ValueType::None: return {};
    case ValueType::Bool: {
        const std::uint8_t b = u8();
        if (b > 1)
            fail("boolean is neither 0 nor 1");
        return Value(b == 1);
    }
    case ValueType::Int: return Value(zigzag());
    case ValueType::Double: {
        const double d = f64();
        if (!std::isfinite(d))
            fail("number is not finite");
        return Value(d);
    }
    case ValueType::String: return Value(utf8(maxStringLength));
    case ValueType::Vec3: {
        const Vec3 p {f32(), f32(), f32()};
        if (!p.isFinite())
            fail("position is not finite");
        return Value(p);
    }
    case ValueType::Color: return Value::color(u32());
    }
    if (ok())
        fail("unknown value type " + std::to_string(type));
    return {};
}

bool isValidUtf8(std::string_view s)
{
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    const auto* end = p + s.size();
    while (p < end) {
        // Fast path: eight ASCII bytes at a time.
        if (end - p >= 8) {
            std::uint64_t w;
            std::memcpy(&w, p, 8);
            if (!(w & 0x8080808080808080ull)) {
                p += 8;
                continue;
            }
        }
        const unsigned char c = *p;
        if (c < 0x80) {
            ++p;
            continue;
        }
        int n;
        std::uint32_t cp;
        if ((c & 0xe0) == 0xc0) {
            n = 1;
            cp = c & 0x1f;
        } else if ((c & 0xf0) == 0xe0) {
            n = 2;
            cp = c & 0x0f;
        } else if ((c & 0xf8) == 0xf0) {
            n = 3;
            cp = c & 0x07;
        } else {
            return false;
        }
        if (end - p <= n)
            return false;
        for (int i = 1; i <= n; ++i) {
            if ((p[i] & 0xc0) != 0x80)
                return false;
            cp = (cp << 6) | (p[i] & 0x3f);
        }
        static constexpr std::uint32_t minimum[4] = {0, 0x80, 0x800, 0x10000};
        if (cp < minimum[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        p += n + 1;
    }
    return true;
}

} // namespace constellate
