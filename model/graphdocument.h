#pragma once

#include "flatmap.h"
#include "hlcclock.h"
#include "operation.h"
#include "stringhash.h"
#include "transaction.h"
#include "types.h"
#include "value.h"
#include "versionvector.h"

#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace constellate {

/// Someone else's write replaced a value of this user's that they had not seen.
struct Conflict {
    EntityId entity;
    EntityKind kind = EntityKind::Unknown;
    FieldRef field;
    Value mine;        ///< this user's value, now replaced
    Value theirs;      ///< the value that won
    OpId mineOp;
    OpId theirsOp;
    UserId byUser = 0; ///< who wrote theirs
    ReplicaId byReplica = 0;
};

/// What applying one transaction did.
struct ApplyResult {
    bool applied = false;           ///< false: a duplicate, nothing changed
    std::vector<Conflict> conflicts; ///< only for transactions of other users
};

/// One field as a local transaction changed it: what undo needs.
struct LocalChange {
    EntityId entity;
    FieldRef field;
    OpId written;       ///< the write this replica made (a create op for Exists on creation)
    Value before;       ///< the value before (None: the field was unset)
    Value after;        ///< the value written
};

/// Saves the highest operation counter a replica may use before it is used, so that a
/// restart never hands out the same operation id twice.
class CounterReservation {
public:
    virtual ~CounterReservation() = default;
    /// The highest counter reserved so far (0: none).
    virtual std::uint32_t reserved() const = 0;
    /// Durably records that counters up to `counter` may be used. Throws on failure.
    virtual void reserveThrough(std::uint32_t counter) = 0;
};

/// The shared graph document: nodes, edges and annotations as last-writer-wins registers,
/// one per field, ordered by hybrid logical clock. It is a function of the set of
/// operations it has received: the same set, in any order and with duplicates, gives the
/// same document (and the same canonicalHash()). See docs/architecture.md, "Merging".
///
/// Not thread-safe: one thread owns a document.
class GraphDocument {
public:
    struct Register {
        Stamp stamp;
        Value value;
        std::uint32_t key; ///< a Field below PropertyKeyBase, or PropertyKeyBase + property index
    };
    struct Entity {
        EntityId id;
        Hlc createHlc;          ///< zero while the creation has not arrived
        EntityId a;             ///< edge source, annotation target
        EntityId b;             ///< edge target
        EntityKind kind = EntityKind::Unknown;
        std::uint8_t flags = 0; ///< edge: bit 0 directed; annotation: its AnnotationKind
        std::vector<Register> registers;
    };
    static constexpr std::uint32_t PropertyKeyBase = 64;

    GraphDocument(ReplicaId replica, UserId user, HlcClock clock = HlcClock());
    GraphDocument(const GraphDocument&) = delete;
    GraphDocument& operator=(const GraphDocument&) = delete;

    ReplicaId replica() const { return m_replica; }
    UserId user() const { return m_user; }
    HlcClock& clock() { return m_clock; }

    /// Where counters are reserved before use (not owned; may be null for a throw-away
    /// document). Counters continue after what it has reserved.
    void setCounterReservation(CounterReservation* reservation);
    std::uint32_t nextCounter() const { return m_nextCounter; }

    // ---- editing ----------------------------------------------------------------------
    /// Starts a local transaction. Only one is open at a time; commit or drop it.
    TransactionBuilder begin() const { return TransactionBuilder(m_replica, m_user, m_nextCounter); }
    /// The current write of a field, as a SetField's `prev` names it (null: none).
    OpId currentWrite(EntityId entity, const FieldRef& field) const;
    /// Convenience for one write: names the current write as `prev`.
    OpId set(TransactionBuilder& t, EntityId entity, const FieldRef& field, const Value& value) const
    {
        return t.set(entity, field, value, currentWrite(entity, field));
    }
    /// Stamps a local transaction, applies it, and returns it (to send). If `changes` is
    /// given, it receives what undo needs. An empty builder gives an empty transaction.
    /// A builder with a text the document cannot keep (TransactionBuilder::oversize()) is
    /// refused with std::invalid_argument, the document unchanged.
    Transaction commit(TransactionBuilder& builder, std::vector<LocalChange>* changes = nullptr);

    // ---- merging ------------------------------------------------------------------------
    /// Applies a transaction from anywhere (another replica, a log, this replica's own
    /// journal). Duplicates are recognised by operation id and change nothing.
    ApplyResult apply(const Transaction& t);
    /// True when this document holds every operation of the transaction.
    bool has(const TransactionHeader& h) const { return m_versions.contains(h.replica, h.firstCounter, h.lastCounter()); }
    const VersionVector& versionVector() const { return m_versions; }
    /// The user who made operations of `replica` (0: unknown).
    UserId userOf(ReplicaId replica) const;

    // ---- reading ------------------------------------------------------------------------
    /// Nullptr when nothing about `id` is known.
    const Entity* entity(EntityId id) const;
    /// True when the entity is created, not deleted, and (edges, annotations) all it
    /// hangs on exists too.
    bool isVisible(EntityId id) const;
    bool isVisible(const Entity& e) const;
    /// The winning value of a field (None when unset or unset again).
    Value value(const Entity& e, const FieldRef& field) const;
    /// The winning write of a field (null op when unset).
    Stamp stamp(const Entity& e, const FieldRef& field) const;

    Vec3 position(const Entity& e) const;
    std::string_view label(const Entity& e) const;
    Rgba color(const Entity& e) const;
    float size(const Entity& e) const;
    double weight(const Entity& e) const;
    std::string_view text(const Entity& e) const;
    bool directed(const Entity& e) const { return e.flags & 1; }
    AnnotationKind annotationKind(const Entity& e) const { return AnnotationKind(e.flags); }
    /// fn(std::string_view name, const Value&) for each set free property, by name.
    void forEachProperty(const Entity& e, const std::function<void(std::string_view, const Value&)>& fn) const;

    /// Visible entities of a kind, in id order when `sorted`, else in storage order.
    void forEach(EntityKind kind, const std::function<void(const Entity&)>& fn, bool sorted = false) const;
    std::size_t count(EntityKind kind) const;
    /// Names of the free properties that visible nodes (or edges) hold, sorted.
    std::vector<std::string> propertyNames(EntityKind kind) const;
    /// All entities known, deleted ones and not-yet-created ones included.
    std::size_t entityCount() const { return m_entities.size(); }
    /// Visits every entity known (deleted and not-yet-created ones too), in storage order.
    void forEachEntity(const std::function<void(const Entity&)>& fn) const;

    /// SHA-256 (hex) of the full state: every entity, field value and winning timestamp,
    /// in a canonical order. Equal on every replica that holds the same operations.
    std::string canonicalHash() const;

    static constexpr Rgba DefaultNodeColor = 0x4e79a7ff;
    static constexpr Rgba DefaultEdgeColor = 0x9aa0a6ff;
    static constexpr float DefaultNodeSize = 1.0f;
    static constexpr double DefaultEdgeWeight = 1.0;

    /// Full state in a compact binary form (see snapshot.cpp): what a newcomer or a
    /// native file gets, merge metadata included.
    std::string encodeSnapshot() const;
    /// Merges a snapshot into this document (a join: it may already hold some or all of
    /// it). On malformed input returns false with *error set and changes nothing.
    bool mergeSnapshot(std::string_view bytes, std::string* error);

    /// The property name behind a slot key (for keys >= PropertyKeyBase).
    const std::string& propertyName(std::uint32_t key) const { return m_propertyNames[key - PropertyKeyBase]; }

private:
    Entity& entityFor(EntityId id);
    std::uint32_t registerKey(const FieldRef& field);
    std::uint32_t findRegisterKey(const FieldRef& field) const; ///< 0xffffffff: unknown property
    const Register* findRegister(const Entity& e, std::uint32_t key) const;
    /// The value of a core field when set (not None), else nullptr.
    const Value* setValue(const Entity& e, Field f) const;
    void applyOp(const Operation& op, OpId id, Hlc hlc, UserId author, ApplyResult& result,
                 std::vector<LocalChange>* changes);
    void mergeRegister(Entity& e, std::uint32_t key, const Stamp& stamp, const Value& v, OpId prev, UserId author,
                   ApplyResult& result, std::vector<LocalChange>* changes);
    bool isMine(ReplicaId r) const;
    ApplyResult applyInternal(const Transaction& t, std::vector<LocalChange>* changes);

    ReplicaId m_replica;
    UserId m_user;
    HlcClock m_clock;
    CounterReservation* m_reservation = nullptr;
    std::uint32_t m_nextCounter = 1;

    std::deque<Entity> m_entities; // stable addresses; no large reallocation as it grows
    OpIdMap<std::uint32_t> m_index;
    std::vector<std::string> m_propertyNames;
    std::unordered_map<std::string, std::uint32_t, StringHash, std::equal_to<>> m_propertyIndex;
    VersionVector m_versions;
    Operation m_scratch; ///< reused by apply: no allocation per operation
    std::unordered_map<ReplicaId, UserId> m_replicaUsers;
};

} // namespace constellate
