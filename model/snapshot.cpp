// Snapshots: the document's full state (every entity, deleted or not yet created, every
// field with its winning timestamp, the version vector and who each replica is), for
// newcomers, named versions and the native file format. Merging a snapshot is a join,
// so it commutes with applying operations.

#include "bytecodec.h"
#include "graphdocument.h"

#include <algorithm>

namespace constellate {

namespace {

constexpr std::uint8_t SnapshotVersion = 1;
constexpr std::size_t MaxString = 16 * 1024 * 1024;

struct ParsedRegister {
    std::uint32_t key; // field, or PropertyKeyBase + index into the snapshot's name table
    Stamp stamp;
    Value value;
};
struct ParsedEntity {
    EntityId id;
    EntityKind kind;
    Hlc createHlc;
    EntityId a, b;
    std::uint8_t flags;
    std::vector<ParsedRegister> registers;
};

} // namespace

std::string GraphDocument::encodeSnapshot() const
{
    std::string out;
    ByteWriter w(out);
    w.u8(SnapshotVersion);

    std::vector<std::pair<ReplicaId, UserId>> users(m_replicaUsers.begin(), m_replicaUsers.end());
    std::sort(users.begin(), users.end());
    w.varint(users.size());
    for (const auto& [replica, user] : users) {
        w.u32(replica);
        w.varint(user);
    }

    std::vector<std::tuple<ReplicaId, std::uint32_t, std::uint32_t>> ranges;
    m_versions.forEachRange([&](ReplicaId r, std::uint32_t first, std::uint32_t last) { ranges.emplace_back(r, first, last); });
    w.varint(ranges.size());
    for (const auto& [r, first, last] : ranges) {
        w.u32(r);
        w.varint(first);
        w.varint(last);
    }

    w.varint(m_propertyNames.size());
    for (const std::string& name : m_propertyNames)
        w.bytes(name);

    w.varint(m_entities.size());
    for (const Entity& e : m_entities) {
        w.u64(e.id.packed());
        w.u8(std::uint8_t(e.kind));
        if (e.kind != EntityKind::Unknown) {
            w.u64(e.createHlc.raw());
            w.u8(e.flags);
            if (e.kind == EntityKind::Edge || e.kind == EntityKind::Annotation)
                w.u64(e.a.packed());
            if (e.kind == EntityKind::Edge)
                w.u64(e.b.packed());
        }
        w.varint(e.registers.size());
        for (const Register& s : e.registers) {
            w.varint(s.key);
            w.u64(s.stamp.hlc.raw());
            w.u64(s.stamp.op.packed());
            w.value(s.value);
        }
    }
    return out;
}

bool GraphDocument::mergeSnapshot(std::string_view bytes, std::string* error)
{
    ByteReader r(bytes);
    auto failed = [&](const std::string& why) {
        if (error)
            *error = "malformed snapshot: " + why;
        return false;
    };
    const std::uint8_t version = r.u8();
    if (r.ok() && version != SnapshotVersion)
        return failed("unknown snapshot version " + std::to_string(version));

    // Parse everything first: a malformed snapshot changes nothing. A count larger than
    // the bytes left could hold is an error, not an allocation.
    auto count = [&r](std::size_t minBytesEach) -> std::size_t {
        const std::uint64_t n = r.varint();
        if (r.ok() && n > r.remaining() / minBytesEach)
            r.fail("count " + std::to_string(n) + " exceeds the data");
        return r.ok() ? std::size_t(n) : 0;
    };
    std::vector<std::pair<ReplicaId, UserId>> users(count(5));
    for (auto& [replica, user] : users) {
        replica = r.u32();
        user = r.varint();
    }
    std::vector<std::tuple<ReplicaId, std::uint32_t, std::uint32_t>> ranges(count(6));
    for (auto& [replica, first, last] : ranges) {
        replica = r.u32();
        first = r.varint32();
        last = r.varint32();
        if (r.ok() && (first == 0 || last < first))
            r.fail("invalid version range");
    }
    std::vector<std::string> names(count(1));
    for (std::string& name : names) {
        name = std::string(r.utf8(MaxString));
        if (r.ok() && name.empty())
            r.fail("empty property name");
    }
    std::vector<ParsedEntity> entities(count(10));
    for (ParsedEntity& e : entities) {
        if (!r.ok())
            break;
        e.id = OpId::fromPacked(r.u64());
        const std::uint8_t kind = r.u8();
        if (kind > std::uint8_t(EntityKind::Annotation)) {
            r.fail("unknown entity kind " + std::to_string(kind));
            break;
        }
        e.kind = EntityKind(kind);
        e.flags = 0;
        if (e.kind != EntityKind::Unknown) {
            e.createHlc = Hlc(r.u64());
            e.flags = r.u8();
            if (e.kind == EntityKind::Edge || e.kind == EntityKind::Annotation)
                e.a = OpId::fromPacked(r.u64());
            if (e.kind == EntityKind::Edge)
                e.b = OpId::fromPacked(r.u64());
            if ((e.kind == EntityKind::Edge && e.flags > 1)
                || (e.kind == EntityKind::Annotation && e.flags > std::uint8_t(AnnotationKind::Comment))
                || (e.kind == EntityKind::Node && e.flags != 0))
                r.fail("invalid entity flags");
        }
        if (r.ok() && e.id.isNull())
            r.fail("entity with a null id");
        e.registers.resize(count(18));
        for (ParsedRegister& s : e.registers) {
            s.key = r.varint32();
            s.stamp.hlc = Hlc(r.u64());
            s.stamp.op = OpId::fromPacked(r.u64());
            s.value = r.value(MaxString);
            if (!r.ok())
                break;
            Field f;
            if (s.key >= PropertyKeyBase) {
                if (s.key - PropertyKeyBase >= names.size()) {
                    r.fail("property key out of range");
                    break;
                }
                f = Field::Property;
            } else if (s.key < std::uint32_t(FieldCount) && s.key != std::uint32_t(Field::Property)) {
                f = Field(s.key);
            } else {
                r.fail("unknown field " + std::to_string(s.key));
                break;
            }
            if (std::string why = checkFieldValue(f, s.value); !why.empty()) {
                r.fail(why);
                break;
            }
        }
    }
    if (!r.ok())
        return failed(r.error());
    if (!r.atEnd())
        return failed(std::to_string(r.remaining()) + " bytes after the last entity");

    // Join.
    for (const auto& [replica, user] : users)
        m_replicaUsers.try_emplace(replica, user);
    for (const auto& [replica, first, last] : ranges) {
        m_versions.add(replica, first, last);
        if (replica == m_replica && last >= m_nextCounter)
            m_nextCounter = last + 1;
    }
    std::vector<std::uint32_t> keyMap(names.size());
    for (std::size_t i = 0; i < names.size(); ++i)
        keyMap[i] = registerKey({Field::Property, names[i]});
    ApplyResult ignored;
    Hlc newest;
    for (ParsedEntity& pe : entities) {
        Entity& e = entityFor(pe.id);
        if (e.kind == EntityKind::Unknown && pe.kind != EntityKind::Unknown) {
            e.kind = pe.kind;
            e.createHlc = pe.createHlc;
            e.a = pe.a;
            e.b = pe.b;
            e.flags = pe.flags;
        }
        newest = std::max(newest, pe.createHlc);
        for (ParsedRegister& s : pe.registers) {
            const std::uint32_t key = s.key >= PropertyKeyBase ? keyMap[s.key - PropertyKeyBase] : s.key;
            newest = std::max(newest, s.stamp.hlc);
            // Snapshots carry no `prev`; name the current write so no conflict is reported.
            const Register* current = findRegister(e, key);
            mergeRegister(e, key, s.stamp, s.value, current ? current->stamp.op : OpId {}, 0, ignored, nullptr);
        }
    }
    m_clock.observe(newest);
    return true;
}

} // namespace constellate
