#pragma once

#include "types.h"

#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace constellate {

/// An insert-only open-addressing hash map from operation ids to small values. Entities
/// are never removed from a document, so no deletion is needed; one probe sequence in one
/// array keeps lookups to about one cache miss (std::unordered_map takes two or three, and
/// twice the memory).
template<typename V>
class OpIdMap {
public:
    std::size_t size() const { return m_size; }
    std::size_t memoryBytes() const { return m_slots.capacity() * sizeof(Slot); }

    const V* find(OpId id) const
    {
        if (m_slots.empty())
            return nullptr;
        const std::uint64_t key = id.packed();
        for (std::size_t i = hash(key) & m_mask;; i = (i + 1) & m_mask) {
            const Slot& s = m_slots[i];
            if (s.key == key)
                return &s.value;
            if (s.key == 0)
                return nullptr;
        }
    }
    /// Inserts (id, value) unless id is present; returns the stored value and whether it
    /// was inserted. The null id cannot be a key.
    std::pair<V*, bool> tryEmplace(OpId id, V value)
    {
        if ((m_size + 1) * 4 > m_slots.size() * 3)
            grow();
        const std::uint64_t key = id.packed();
        for (std::size_t i = hash(key) & m_mask;; i = (i + 1) & m_mask) {
            Slot& s = m_slots[i];
            if (s.key == key)
                return {&s.value, false};
            if (s.key == 0) {
                s.key = key;
                s.value = value;
                ++m_size;
                return {&s.value, true};
            }
        }
    }
    void reserve(std::size_t n)
    {
        while (n * 4 > m_slots.size() * 3)
            grow();
    }

private:
    struct Slot {
        std::uint64_t key = 0;
        V value {};
    };
    static std::size_t hash(std::uint64_t x) { return std::hash<OpId>()(OpId::fromPacked(x)); }
    void grow()
    {
        std::vector<Slot> old = std::move(m_slots);
        m_slots.assign(old.empty() ? 16 : old.size() * 2, Slot {});
        m_mask = m_slots.size() - 1;
        for (const Slot& s : old) {
            if (s.key == 0)
                continue;
            std::size_t i = hash(s.key) & m_mask;
            while (m_slots[i].key != 0)
                i = (i + 1) & m_mask;
            m_slots[i] = s;
        }
    }
    std::vector<Slot> m_slots;
    std::size_t m_mask = 0;
    std::size_t m_size = 0;
};

/// An insert-only open-addressing map from strings to small values, the strings kept
/// in one arena: for the node keys of a large import (hundreds of thousands of lookups).
template<typename V>
class StringMap {
public:
    const V* find(std::string_view key) const
    {
        if (m_slots.empty())
            return nullptr;
        const std::size_t h = std::hash<std::string_view>()(key);
        for (std::size_t i = h & m_mask;; i = (i + 1) & m_mask) {
            const Slot& s = m_slots[i];
            if (s.length == Empty)
                return nullptr;
            if (s.hash == h && keyOf(s) == key)
                return &s.value;
        }
    }
    /// Inserts unless present; returns the stored value and whether it was inserted.
    std::pair<V*, bool> tryEmplace(std::string_view key, V value)
    {
        if ((m_size + 1) * 4 > m_slots.size() * 3)
            grow();
        const std::size_t h = std::hash<std::string_view>()(key);
        for (std::size_t i = h & m_mask;; i = (i + 1) & m_mask) {
            Slot& s = m_slots[i];
            if (s.length == Empty) {
                s = {h, m_arena.size(), key.size(), value};
                m_arena.append(key);
                ++m_size;
                return {&s.value, true};
            }
            if (s.hash == h && keyOf(s) == key)
                return {&s.value, false};
        }
    }
    std::size_t size() const { return m_size; }

private:
    static constexpr std::size_t Empty = ~std::size_t(0);
    struct Slot {
        std::size_t hash = 0;
        std::size_t offset = 0;
        std::size_t length = Empty;
        V value {};
    };
    std::string_view keyOf(const Slot& s) const { return std::string_view(m_arena).substr(s.offset, s.length); }
    void grow()
    {
        std::vector<Slot> old = std::move(m_slots);
        m_slots.assign(old.empty() ? 16 : old.size() * 2, Slot {});
        m_mask = m_slots.size() - 1;
        for (const Slot& s : old) {
            if (s.length == Empty)
                continue;
            std::size_t i = s.hash & m_mask;
            while (m_slots[i].length != Empty)
                i = (i + 1) & m_mask;
            m_slots[i] = s;
        }
    }
    std::vector<Slot> m_slots;
    std::size_t m_mask = 0;
    std::size_t m_size = 0;
    std::string m_arena;
};

} // namespace constellate
