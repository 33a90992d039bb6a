// Snapshots: the document's full state (every entity, deleted or not yet created, every
// field with its winning timestamp, the version vector and who each replica is), for
// newcomers, named versions and the native file format. Merging a snapshot is a join,
// so it commutes with applying operations.

#include "bytecodec.h"
#include "graphdocument.h"

#include <algorithm>

namespace constellate {

namespace {

/// Version 2 delta-codes what version 1 wrote in full (ids, timestamps and operation ids
/// as 8-byte integers): consecutive entities and registers mostly share a replica and
/// differ by small counters and clock steps, so each costs a byte or two (a 100,000-node
/// room: 22.6 MB as version 1, 9.1 MB as version 2; docs/benchmarks.md). Version 1 is
/// still read: native files and stored snapshots written before it.
constexpr std::uint8_t SnapshotVersion = 2;
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

/// Version 2's running values: each field is written as its difference from the last.
struct DeltaState {
    std::uint64_t hlc = 0;     ///< the last clock value (a creation or a register's stamp)
    std::uint32_t idCounter = 0;
    std::uint32_t opCounter = 0;
};

std::int64_t difference(std::uint64_t now, std::uint64_t before)
{
    return std::int64_t(now - before); // modulo 2^64; the reader adds it back the same way
}

/// The replicas that appear in a snapshot's ids, sorted: ids name them by index.
class ReplicaTable {
public:
    void note(OpId id)
    {
        if (!id.isNull())
            m_ids.push_back(id.replica);
    }
    void finish()
    {
        std::sort(m_ids.begin(), m_ids.end());
        m_ids.erase(std::unique(m_ids.begin(), m_ids.end()), m_ids.end());
    }
    const std::vector<ReplicaId>& ids() const { return m_ids; }
    std::uint64_t indexOf(ReplicaId r) const
    {
        return std::uint64_t(std::lower_bound(m_ids.begin(), m_ids.end(), r) - m_ids.begin());
    }

private:
    std::vector<ReplicaId> m_ids;
};

/// An operation id as (replica index + 1, or 0 for none) and its counter's difference
/// from `previous`.
void writeRef(ByteWriter& w, const ReplicaTable& table, OpId id, std::uint32_t& previous)
{
    if (id.isNull()) {
        w.varint(0);
        return;
    }
    w.varint(table.indexOf(id.replica) + 1);
    w.zigzag(std::int64_t(id.counter) - std::int64_t(previous));
    previous = id.counter;
}

OpId readRef(ByteReader& r, const std::vector<ReplicaId>& table, std::uint32_t& previous)
{
    const std::uint64_t index = r.varint();
    if (!r.ok() || index == 0)
        return {};
    if (index > table.size()) {
        r.fail("replica index out of range");
        return {};
    }
    const std::int64_t counter = std::int64_t(previous) + r.zigzag();
    if (r.ok() && (counter <= 0 || counter > std::int64_t(UINT32_MAX))) {
        r.fail("operation counter out of range");
        return {};
    }
    previous = std::uint32_t(counter);
    return OpId {table[std::size_t(index - 1)], previous};
}

} // namespace

std::string GraphDocument::encodeSnapshot() const
{
    std::string out;
    out.reserve(m_entities.size() * 48);
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

    ReplicaTable table;
    for (const Entity& e : m_entities) {
        table.note(e.id);
        table.note(e.a);
        table.note(e.b);
        for (const Register& reg : e.registers)
            table.note(reg.stamp.op);
    }
    table.finish();
    w.varint(table.ids().size());
    for (ReplicaId r : table.ids())
        w.u32(r);

    DeltaState d;
    w.varint(m_entities.size());
    for (const Entity& e : m_entities) {
        writeRef(w, table, e.id, d.idCounter);
        w.u8(std::uint8_t(e.kind));
        if (e.kind != EntityKind::Unknown) {
            w.zigzag(difference(e.createHlc.raw(), d.hlc));
            d.hlc = e.createHlc.raw();
            w.u8(e.flags);
            // Endpoints are old nodes, anywhere: their counters are not close to the id's.
            std::uint32_t fromZeroA = 0;
            std::uint32_t fromZeroB = 0;
            if (e.kind == EntityKind::Edge || e.kind == EntityKind::Annotation)
                writeRef(w, table, e.a, fromZeroA);
            if (e.kind == EntityKind::Edge)
                writeRef(w, table, e.b, fromZeroB);
        }
        w.varint(e.registers.size());
        for (const Register& reg : e.registers) {
            w.varint(reg.key);
            w.zigzag(difference(reg.stamp.hlc.raw(), d.hlc));
            d.hlc = reg.stamp.hlc.raw();
            writeRef(w, table, reg.stamp.op, d.opCounter);
            w.value(reg.value);
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
    if (r.ok() && version != 1 && version != SnapshotVersion)
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
    std::vector<ReplicaId> replicas;
    if (version >= 2) {
        replicas.resize(count(4));
        for (ReplicaId& id : replicas)
            id = r.u32();
    }
    DeltaState d;
    auto readId = [&](std::uint32_t& previous) {
        if (version >= 2)
            return readRef(r, replicas, previous);
        const OpId id = OpId::fromPacked(r.u64());
        if (r.ok() && id.isNull() && id.replica != 0)
            r.fail("operation id with counter 0"); // "none" is all zero
        return id;
    };
    std::vector<ParsedEntity> entities(count(version == 1 ? 10 : 4));
    for (ParsedEntity& e : entities) {
        if (!r.ok())
            break;
        e.id = readId(d.idCounter);
        const std::uint8_t kind = r.u8();
        if (kind > std::uint8_t(EntityKind::Annotation)) {
            r.fail("unknown entity kind " + std::to_string(kind));
            break;
        }
        e.kind = EntityKind(kind);
        e.flags = 0;
        if (e.kind != EntityKind::Unknown) {
            if (version == 1) {
                e.createHlc = Hlc(r.u64());
            } else {
                d.hlc += std::uint64_t(r.zigzag());
                e.createHlc = Hlc(d.hlc);
            }
            e.flags = r.u8();
            std::uint32_t fromZeroA = 0;
            std::uint32_t fromZeroB = 0;
            if (e.kind == EntityKind::Edge || e.kind == EntityKind::Annotation)
                e.a = readId(fromZeroA);
            if (e.kind == EntityKind::Edge)
                e.b = readId(fromZeroB);
            if ((e.kind == EntityKind::Edge && e.flags > 1)
                || (e.kind == EntityKind::Annotation && e.flags > std::uint8_t(AnnotationKind::Comment))
                || (e.kind == EntityKind::Node && e.flags != 0))
                r.fail("invalid entity flags");
        }
        if (r.ok() && e.id.isNull())
            r.fail("entity with a null id");
        e.registers.resize(count(version == 1 ? 18 : 4));
        for (ParsedRegister& s : e.registers) {
            s.key = r.varint32();
            if (version == 1) {
                s.stamp.hlc = Hlc(r.u64());
            } else {
                d.hlc += std::uint64_t(r.zigzag());
                s.stamp.hlc = Hlc(d.hlc);
            }
            s.stamp.op = readId(d.opCounter);
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
