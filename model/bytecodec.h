#pragma once

#include "types.h"
#include "value.h"

#include <bit>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace constellate {

/// Appends little-endian integers, varints and values to a byte string. Shared by the
/// transaction encoding, snapshots and the native file format (and, from #3, the wire).
class ByteWriter {
public:
    explicit ByteWriter(std::string& out) : m_out(out) {}

    void u8(std::uint8_t v) { m_out.push_back(char(v)); }
    void u32(std::uint32_t v) { append(&v, 4); }
    void u64(std::uint64_t v) { append(&v, 8); }
    void f32(float v) { append(&v, 4); }
    void f64(double v) { append(&v, 8); }
    void varint(std::uint64_t v)
    {
        char buf[10];
        int n = 0;
        while (v >= 0x80) {
            buf[n++] = char(v | 0x80);
            v >>= 7;
        }
        buf[n++] = char(v);
        m_out.append(buf, std::size_t(n));
    }
    void zigzag(std::int64_t v) { varint((std::uint64_t(v) << 1) ^ std::uint64_t(v >> 63)); }
    void bytes(std::string_view s)
    {
        varint(s.size());
        m_out.append(s);
    }
    void value(const Value& v);
    std::size_t size() const { return m_out.size(); }

private:
    static_assert(std::endian::native == std::endian::little, "big-endian hosts need byte swapping here");
    void append(const void* p, std::size_t n) { m_out.append(static_cast<const char*>(p), n); }
    std::string& m_out;
};

/// Reads what ByteWriter wrote, checking every bound. After the first failure every read
/// returns zero and ok() is false; error() says what and where.
class ByteReader {
public:
    explicit ByteReader(std::string_view in) : m_data(in) {}

    bool ok() const { return m_error.empty(); }
    const std::string& error() const { return m_error; }
    std::size_t offset() const { return m_pos; }
    std::size_t remaining() const { return m_data.size() - m_pos; }
    bool atEnd() const { return m_pos == m_data.size(); }
    void fail(std::string message);

    std::uint8_t u8()
    {
        if (!need(1))
            return 0;
        return std::uint8_t(m_data[m_pos++]);
    }
    std::uint32_t u32() { return fixed<std::uint32_t>(); }
    std::uint64_t u64() { return fixed<std::uint64_t>(); }
    float f32() { return fixed<float>(); }
    double f64() { return fixed<double>(); }
    std::uint64_t varint()
    {
        std::uint64_t v = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (!need(1))
                return 0;
            const auto b = std::uint8_t(m_data[m_pos++]);
            if (shift == 63 && b > 1) {
                fail("varint overflows 64 bits");
                return 0;
            }
            v |= std::uint64_t(b & 0x7f) << shift;
            if (!(b & 0x80))
                return v;
        }
        fail("varint longer than 10 bytes");
        return 0;
    }
    /// A varint that must fit in 32 bits.
    std::uint32_t varint32()
    {
        const std::uint64_t v = varint();
        if (v > 0xffffffffu) {
            fail("value out of 32-bit range");
            return 0;
        }
        return std::uint32_t(v);
    }
    std::int64_t zigzag()
    {
        const std::uint64_t v = varint();
        return std::int64_t(v >> 1) ^ -std::int64_t(v & 1);
    }
    /// A length-prefixed byte string of at most maxLength bytes (a view into the input).
    std::string_view bytes(std::size_t maxLength);
    /// A length-prefixed UTF-8 string (validated).
    std::string_view utf8(std::size_t maxLength);
    /// A typed value (strings validated as UTF-8, floats required finite).
    Value value(std::size_t maxStringLength);

private:
    bool need(std::size_t n)
    {
        if (m_data.size() - m_pos >= n && ok()) [[likely]]
            return true;
        return failTruncated(n);
    }
    bool failTruncated(std::size_t n); // out of line: keeps need() small enough to inline
    template<typename T>
    T fixed()
    {
        T v {};
        if (need(sizeof(T))) {
            std::memcpy(&v, m_data.data() + m_pos, sizeof(T));
            m_pos += sizeof(T);
        }
        return v;
    }
    std::string_view m_data;
    std::size_t m_pos = 0;
    std::string m_error;
};

/// True when s is well-formed UTF-8 (no overlongs, surrogates or values past U+10FFFF).
bool isValidUtf8(std::string_view s);

} // namespace constellate
