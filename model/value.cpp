#include "value.h"

#include <atomic>
#include <bit>
#include <cstdio>
#include <cstdlib>
#include <new>

namespace constellate {

struct Value::HeapString {
    std::atomic<std::uint32_t> refs;
    std::uint32_t size;
    char data[1];
};

const char* valueTypeName(ValueType t)
{
    switch (t) {
    case ValueType::None: return "none";
    case ValueType::Bool: return "boolean";
    case ValueType::Int: return "integer";
    case ValueType::Double: return "double";
    case ValueType::String: return "string";
    case ValueType::Vec3: return "vec3";
    case ValueType::Color: return "color";
    }
    return "invalid";
}

void Value::assignString(std::string_view s)
{
    if (s.size() <= std::size_t(InlineCapacity)) {
        if (!s.empty()) // memcpy from a null pointer is undefined even for 0 bytes
            std::memcpy(m_bytes, s.data(), s.size());
        m_bytes[LenByte] = std::uint8_t(s.size());
        m_bytes[TypeByte] = std::uint8_t(ValueType::String);
        return;
    }
    if (s.size() > 0xffffffffu)
        throw std::length_error("string value too long");
    auto* h = static_cast<HeapString*>(std::malloc(offsetof(HeapString, data) + s.size() + 1));
    if (!h)
        throw std::bad_alloc();
    new (&h->refs) std::atomic<std::uint32_t>(1);
    h->size = std::uint32_t(s.size());
    std::memcpy(h->data, s.data(), s.size());
    h->data[s.size()] = 0;
    put(h);
    m_bytes[TypeByte] = std::uint8_t(ValueType::String) | HeapFlag;
}

void Value::release()
{
    if (!isHeap())
        return;
    auto* h = get<HeapString*>();
    if (h->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) {
        h->refs.~atomic();
        std::free(h);
    }
    m_bytes[TypeByte] = 0;
}

Value::Value(const Value& o)
{
    std::memcpy(m_bytes, o.m_bytes, sizeof m_bytes);
    if (isHeap())
        get<HeapString*>()->refs.fetch_add(1, std::memory_order_relaxed);
}

Value::Value(Value&& o) noexcept
{
    std::memcpy(m_bytes, o.m_bytes, sizeof m_bytes);
    o.m_bytes[TypeByte] = 0;
}

Value& Value::operator=(const Value& o)
{
    if (this != &o) {
        Value copy(o);
        *this = std::move(copy);
    }
    return *this;
}

Value& Value::operator=(Value&& o) noexcept
{
    if (this != &o) {
        release();
        std::memcpy(m_bytes, o.m_bytes, sizeof m_bytes);
        o.m_bytes[TypeByte] = 0;
    }
    return *this;
}

std::string_view Value::toStringView() const
{
    if (type() != ValueType::String)
        return {};
    if (isHeap()) {
        auto* h = get<HeapString*>();
        return {h->data, h->size};
    }
    return {reinterpret_cast<const char*>(m_bytes), m_bytes[LenByte]};
}

double Value::toNumber() const
{
    switch (type()) {
    case ValueType::Int: return double(toInt());
    case ValueType::Double: return toDouble();
    default: return 0;
    }
}

std::string Value::display() const
{
    char buf[96];
    switch (type()) {
    case ValueType::None: return {};
    case ValueType::Bool: return toBool() ? "true" : "false";
    case ValueType::Int: return std::to_string(toInt());
    case ValueType::Double: std::snprintf(buf, sizeof buf, "%.17g", toDouble()); return buf;
    case ValueType::String: return toString();
    case ValueType::Vec3: {
        const Vec3 v = toVec3();
        std::snprintf(buf, sizeof buf, "(%.9g, %.9g, %.9g)", double(v.x), double(v.y), double(v.z));
        return buf;
    }
    case ValueType::Color: std::snprintf(buf, sizeof buf, "#%08x", toColor()); return buf;
    }
    return {};
}

bool operator==(const Value& a, const Value& b)
{
    if (a.type() != b.type())
        return false;
    switch (a.type()) {
    case ValueType::None: return true;
    case ValueType::Bool: return a.toBool() == b.toBool();
    case ValueType::Int: return a.toInt() == b.toInt();
    case ValueType::Double: return std::bit_cast<std::uint64_t>(a.toDouble()) == std::bit_cast<std::uint64_t>(b.toDouble());
    case ValueType::String: return a.toStringView() == b.toStringView();
    case ValueType::Vec3: {
        const Vec3 x = a.toVec3(), y = b.toVec3();
        return std::bit_cast<std::uint32_t>(x.x) == std::bit_cast<std::uint32_t>(y.x)
            && std::bit_cast<std::uint32_t>(x.y) == std::bit_cast<std::uint32_t>(y.y)
            && std::bit_cast<std::uint32_t>(x.z) == std::bit_cast<std::uint32_t>(y.z);
    }
    case ValueType::Color: return a.toColor() == b.toColor();
    }
    return false;
}

} // namespace constellate
