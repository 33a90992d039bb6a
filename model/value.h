#pragma once

#include "types.h"

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace constellate {

/// The type of a field or property value. The numbers are part of the wire format and of
/// the native file format: append only.
enum class ValueType : std::uint8_t {
    None = 0,   ///< unset / removed property
    Bool = 1,
    Int = 2,    ///< int64
    Double = 3, ///< float64
    String = 4, ///< UTF-8
    Vec3 = 5,   ///< three float32
    Color = 6,  ///< Rgba
};

const char* valueTypeName(ValueType t);

/// A typed value in 16 bytes. Strings of up to 14 bytes are stored inline; longer ones in
/// a shared, immutable, reference-counted buffer (copies are cheap and thread-safe).
/// Strings are UTF-8; the caller validates encoding where input comes from outside.
class Value {
public:
    Value() = default;
    Value(bool b) { setType(ValueType::Bool); put(b); }
    Value(std::int64_t i) { setType(ValueType::Int); put(i); }
    Value(int i) : Value(std::int64_t(i)) {}
    Value(double d) { setType(ValueType::Double); put(d); }
    Value(Vec3 v) { setType(ValueType::Vec3); put(v); }
    Value(std::string_view s) { assignString(s); }
    Value(const char* s) : Value(std::string_view(s)) {}
    Value(const std::string& s) : Value(std::string_view(s)) {}
    static Value color(Rgba c) { Value v; v.setType(ValueType::Color); v.put(c); return v; }

    Value(const Value& o);
    Value(Value&& o) noexcept;
    Value& operator=(const Value& o);
    Value& operator=(Value&& o) noexcept;
    ~Value() { release(); }

    ValueType type() const { return ValueType(m_bytes[TypeByte] & 0x7f); }
    bool isNone() const { return type() == ValueType::None; }

    bool toBool() const { return get<bool>(); }
    std::int64_t toInt() const { return get<std::int64_t>(); }
    double toDouble() const { return get<double>(); }
    Vec3 toVec3() const { return get<Vec3>(); }
    Rgba toColor() const { return get<Rgba>(); }
    /// Valid while this Value lives. Empty for non-strings.
    std::string_view toStringView() const;
    std::string toString() const { return std::string(toStringView()); }

    /// A number as double (Int or Double), for weights and sizes; 0 otherwise.
    double toNumber() const;
    /// Human-readable text (what a properties panel or an error message shows).
    std::string display() const;

    /// Exact equality (type and value; doubles bitwise, so NaN == NaN and -0 != 0).
    friend bool operator==(const Value& a, const Value& b);

private:
    static constexpr int InlineCapacity = 14;
    static constexpr int LenByte = 14;
    static constexpr int TypeByte = 15;
    static constexpr std::uint8_t HeapFlag = 0x80;

    struct HeapString;
    void setType(ValueType t) { m_bytes[TypeByte] = std::uint8_t(t); }
    bool isHeap() const { return m_bytes[TypeByte] & HeapFlag; }
    void assignString(std::string_view s);
    void release();

    template<typename T>
    void put(const T& v) { std::memcpy(m_bytes, &v, sizeof(T)); }
    template<typename T>
    T get() const { T v; std::memcpy(&v, m_bytes, sizeof(T)); return v; }

    // Bytes 0..13: the payload (scalar, Vec3, inline string or HeapString pointer);
    // byte 14: inline string length; byte 15: ValueType, high bit set for a heap string.
    alignas(8) std::uint8_t m_bytes[16] = {};
};

static_assert(sizeof(Value) == 16, "Value is kept compact: the document holds millions");

} // namespace constellate
