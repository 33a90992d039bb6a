#include "graphdocument.h"

#include "bytecodec.h"

#include <QCryptographicHash>

#include <algorithm>
#include <stdexcept>

namespace constellate {

namespace {
constexpr std::uint32_t NoKey = 0xffffffffu;
constexpr std::uint32_t ReservationBlock = 4096;
} // namespace

GraphDocument::GraphDocument(ReplicaId replica, UserId user, HlcClock clock)
    : m_replica(replica), m_user(user), m_clock(std::move(clock))
{
    if (replica == 0)
        throw std::invalid_argument("replica id 0 is never used");
    m_replicaUsers[replica] = user;
}

void GraphDocument::setCounterReservation(CounterReservation* reservation)
{
    m_reservation = reservation;
    if (reservation && reservation->reserved() >= m_nextCounter)
        m_nextCounter = reservation->reserved() + 1;
}

UserId GraphDocument::userOf(ReplicaId replica) const
{
    auto it = m_replicaUsers.find(replica);
    return it == m_replicaUsers.end() ? 0 : it->second;
}

bool GraphDocument::isMine(ReplicaId r) const
{
    return r == m_replica || (m_user != 0 && userOf(r) == m_user);
}

// ---- storage ----------------------------------------------------------------------------

GraphDocument::Entity& GraphDocument::entityFor(EntityId id)
{
    auto [index, inserted] = m_index.tryEmplace(id, std::uint32_t(m_entities.size()));
    if (inserted) {
        Entity& e = m_entities.emplace_back();
        e.id = id;
        return e;
    }
    return m_entities[*index];
}

const GraphDocument::Entity* GraphDocument::entity(EntityId id) const
{
    const std::uint32_t* index = m_index.find(id);
    return index ? &m_entities[*index] : nullptr;
}

std::uint32_t GraphDocument::registerKey(const FieldRef& field)
{
    if (field.field != Field::Property)
        return std::uint32_t(field.field);
    auto it = m_propertyIndex.find(std::string_view(field.property));
    if (it != m_propertyIndex.end())
        return it->second;
    const auto key = PropertyKeyBase + std::uint32_t(m_propertyNames.size());
    m_propertyNames.push_back(field.property);
    m_propertyIndex.emplace(field.property, key);
    return key;
}

std::uint32_t GraphDocument::findRegisterKey(const FieldRef& field) const
{
    if (field.field != Field::Property)
        return std::uint32_t(field.field);
    auto it = m_propertyIndex.find(std::string_view(field.property));
    return it == m_propertyIndex.end() ? NoKey : it->second;
}

const GraphDocument::Register* GraphDocument::findRegister(const Entity& e, std::uint32_t key) const
{
    for (const Register& s : e.registers)
        if (s.key == key)
            return &s;
    return nullptr;
}

// ---- editing ----------------------------------------------------------------------------

OpId GraphDocument::currentWrite(EntityId entityId, const FieldRef& field) const
{
    const Entity* e = entity(entityId);
    return e ? stamp(*e, field).op : OpId {};
}

Transaction GraphDocument::commit(TransactionBuilder& builder, std::vector<LocalChange>* changes)
{
    if (builder.replica() != m_replica || builder.nextCounter() - builder.opCount() != m_nextCounter)
        throw std::logic_error("commit of a transaction that was not begun on this document, or begun twice");
    if (builder.opCount() == 0)
        return {};
    if (!builder.oversize().empty())
        throw std::invalid_argument(builder.oversize());
    const std::uint32_t last = builder.nextCounter() - 1;
    if (m_reservation && m_reservation->reserved() < last) {
        // Reserve ahead in blocks, so that a busy editor does not write a file per edit.
        const std::uint32_t upTo = last > 0xffffffffu - ReservationBlock ? 0xffffffffu : last + ReservationBlock;
        m_reservation->reserveThrough(upTo);
    }
    Transaction t = builder.finish(m_clock.tick());
    m_nextCounter = last + 1;
    applyInternal(t, changes);
    return t;
}

// ---- merging ----------------------------------------------------------------------------

ApplyResult GraphDocument::apply(const Transaction& t)
{
    return applyInternal(t, nullptr);
}

ApplyResult GraphDocument::applyInternal(const Transaction& t, std::vector<LocalChange>* changes)
{
    ApplyResult result;
    const TransactionHeader& h = t.header();
    if (h.opCount == 0 || m_versions.overlaps(h.replica, h.firstCounter, h.lastCounter()))
        return result;
    m_clock.observe(h.hlc);
    m_replicaUsers.try_emplace(h.replica, h.author);
    if (h.replica == m_replica && h.lastCounter() >= m_nextCounter)
        m_nextCounter = h.lastCounter() + 1; // our own operations from a journal or a peer
    if (h.opCount > 1024)
        m_index.reserve(m_index.size() + h.opCount); // a bulk import: one rehash, not twenty
    t.forEachOp(m_scratch, [&](std::uint32_t index, const Operation& op) {
        applyOp(op, h.opId(index), h.hlc, h.author, result, changes);
    });
    m_versions.add(h.replica, h.firstCounter, h.lastCounter());
    result.applied = true;
    return result;
}

void GraphDocument::applyOp(const Operation& op, OpId id, Hlc hlc, UserId author, ApplyResult& result,
                            std::vector<LocalChange>* changes)
{
    const Stamp stamp {hlc, id};
    EntityId target = op.target;
    EntityKind kind = EntityKind::Unknown;
    switch (op.type) {
    case OpType::CreateNode: kind = EntityKind::Node; break;
    case OpType::CreateEdge: kind = EntityKind::Edge; break;
    case OpType::CreateAnnotation: kind = EntityKind::Annotation; break;
    case OpType::SetField: break;
    }
    if (kind != EntityKind::Unknown) {
        Entity& e = entityFor(id);
        if (e.kind == EntityKind::Unknown) {
            e.kind = kind;
            e.createHlc = hlc;
            if (kind == EntityKind::Edge) {
                e.a = op.source;
                e.b = op.edgeTarget;
                e.flags = op.directed ? 1 : 0;
            } else if (kind == EntityKind::Annotation) {
                e.a = op.target;
                e.flags = std::uint8_t(op.annotationKind);
            }
        }
        if (changes)
            changes->push_back({id, {Field::Exists, {}}, id, Value(false), Value(true)});
        e.registers.reserve(e.registers.size() + op.fields.size());
        for (const FieldValue& fv : op.fields)
            mergeRegister(e, registerKey(fv.ref), stamp, fv.value, {}, author, result, nullptr);
        return;
    }
    Entity& e = entityFor(target);
    const FieldValue& fv = op.fields.front();
    if (changes) {
        changes->push_back({target, fv.ref, id, value(e, fv.ref), fv.value});
    }
    mergeRegister(e, registerKey(fv.ref), stamp, fv.value, op.prev, author, result, nullptr);
}

void GraphDocument::mergeRegister(Entity& e, std::uint32_t key, const Stamp& stamp, const Value& v, OpId prev,
                              UserId author, ApplyResult& result, std::vector<LocalChange>*)
{
    for (Register& s : e.registers) {
        if (s.key != key)
            continue;
        if (!(s.stamp < stamp))
            return; // an older or the same write: the current one stays
        // A write of someone else replaces one of this user's that they had not seen.
        if (prev != s.stamp.op && author != m_user && !isMine(stamp.op.replica) && isMine(s.stamp.op.replica)) {
            Conflict c;
            c.entity = e.id;
            c.kind = e.kind;
            c.field = key < PropertyKeyBase ? FieldRef {Field(key), {}} : FieldRef {Field::Property, propertyName(key)};
            c.mine = s.value;
            c.theirs = v;
            c.mineOp = s.stamp.op;
            c.theirsOp = stamp.op;
            c.byUser = author;
            c.byReplica = stamp.op.replica;
            result.conflicts.push_back(std::move(c));
        }
        s.stamp = stamp;
        s.value = v;
        return;
    }
    e.registers.push_back({stamp, v, key});
}

// ---- reading ----------------------------------------------------------------------------

Stamp GraphDocument::stamp(const Entity& e, const FieldRef& field) const
{
    const std::uint32_t key = findRegisterKey(field);
    const Register* s = key == NoKey ? nullptr : findRegister(e, key);
    if (field.field == Field::Exists && e.kind != EntityKind::Unknown) {
        const Stamp created {e.createHlc, e.id};
        return s && created < s->stamp ? s->stamp : created;
    }
    return s ? s->stamp : Stamp {};
}

Value GraphDocument::value(const Entity& e, const FieldRef& field) const
{
    const std::uint32_t key = findRegisterKey(field);
    const Register* s = key == NoKey ? nullptr : findRegister(e, key);
    if (field.field == Field::Exists) {
        if (e.kind == EntityKind::Unknown)
            return Value(false);
        const Stamp created {e.createHlc, e.id};
        return s && created < s->stamp ? s->value : Value(true);
    }
    return s ? s->value : Value();
}

bool GraphDocument::isVisible(EntityId id) const
{
    const Entity* e = entity(id);
    return e && isVisible(*e);
}

bool GraphDocument::isVisible(const Entity& e) const
{
    if (e.kind == EntityKind::Unknown)
        return false;
    if (const Register* s = findRegister(e, std::uint32_t(Field::Exists)); s && Stamp {e.createHlc, e.id} < s->stamp && !s->value.toBool())
        return false;
    switch (e.kind) {
    case EntityKind::Node: return true;
    case EntityKind::Edge: {
        const Entity* a = entity(e.a);
        const Entity* b = entity(e.b);
        return a && b && a->kind == EntityKind::Node && b->kind == EntityKind::Node && isVisible(*a)
            && isVisible(*b);
    }
    case EntityKind::Annotation: {
        const Entity* t = entity(e.a);
        return t && (t->kind == EntityKind::Node || t->kind == EntityKind::Edge) && isVisible(*t);
    }
    case EntityKind::Unknown: break;
    }
    return false;
}

const Value* GraphDocument::setValue(const Entity& e, Field f) const
{
    const Register* s = findRegister(e, std::uint32_t(f));
    return s && !s->value.isNone() ? &s->value : nullptr;
}

Vec3 GraphDocument::position(const Entity& e) const
{
    const Value* v = setValue(e, Field::Position);
    return v ? v->toVec3() : Vec3 {};
}

std::string_view GraphDocument::label(const Entity& e) const
{
    const Value* v = setValue(e, Field::Label);
    return v ? v->toStringView() : std::string_view();
}

Rgba GraphDocument::color(const Entity& e) const
{
    if (const Value* v = setValue(e, Field::Color))
        return v->toColor();
    return e.kind == EntityKind::Edge ? DefaultEdgeColor : DefaultNodeColor;
}

float GraphDocument::size(const Entity& e) const
{
    const Value* v = setValue(e, Field::Size);
    return v ? float(v->toDouble()) : DefaultNodeSize;
}

double GraphDocument::weight(const Entity& e) const
{
    const Value* v = setValue(e, Field::Weight);
    return v ? v->toDouble() : DefaultEdgeWeight;
}

std::string_view GraphDocument::text(const Entity& e) const
{
    const Value* v = setValue(e, Field::Text);
    return v ? v->toStringView() : std::string_view();
}

void GraphDocument::forEachProperty(const Entity& e,
                                    const std::function<void(std::string_view, const Value&)>& fn) const
{
    std::vector<const Register*> props;
    for (const Register& s : e.registers)
        if (s.key >= PropertyKeyBase && !s.value.isNone())
            props.push_back(&s);
    std::sort(props.begin(), props.end(),
              [this](const Register* a, const Register* b) { return propertyName(a->key) < propertyName(b->key); });
    for (const Register* s : props)
        fn(propertyName(s->key), s->value);
}

void GraphDocument::forEach(EntityKind kind, const std::function<void(const Entity&)>& fn, bool sorted) const
{
    if (!sorted) {
        for (const Entity& e : m_entities)
            if (e.kind == kind && isVisible(e))
                fn(e);
        return;
    }
    std::vector<const Entity*> list;
    for (const Entity& e : m_entities)
        if (e.kind == kind && isVisible(e))
            list.push_back(&e);
    std::sort(list.begin(), list.end(), [](const Entity* a, const Entity* b) { return a->id < b->id; });
    for (const Entity* e : list)
        fn(*e);
}

void GraphDocument::forEachEntity(const std::function<void(const Entity&)>& fn) const
{
    for (const Entity& e : m_entities)
        fn(e);
}

std::size_t GraphDocument::count(EntityKind kind) const
{
    std::size_t n = 0;
    for (const Entity& e : m_entities)
        if (e.kind == kind && isVisible(e))
            ++n;
    return n;
}

std::vector<std::string> GraphDocument::propertyNames(EntityKind kind) const
{
    std::vector<bool> used(m_propertyNames.size());
    for (const Entity& e : m_entities) {
        if (e.kind != kind || !isVisible(e))
            continue;
        for (const Register& s : e.registers)
            if (s.key >= PropertyKeyBase && !s.value.isNone())
                used[s.key - PropertyKeyBase] = true;
    }
    std::vector<std::string> names;
    for (std::size_t i = 0; i < used.size(); ++i)
        if (used[i])
            names.push_back(m_propertyNames[i]);
    std::sort(names.begin(), names.end());
    return names;
}

std::string GraphDocument::canonicalHash() const
{
    std::vector<const Entity*> list;
    list.reserve(m_entities.size());
    for (const Entity& e : m_entities)
        list.push_back(&e);
    std::sort(list.begin(), list.end(), [](const Entity* a, const Entity* b) { return a->id < b->id; });

    QCryptographicHash hash(QCryptographicHash::Sha256);
    std::string buf;
    std::vector<const Register*> registers;
    auto registerName = [this](const Register* s) -> std::string_view {
        return s->key < PropertyKeyBase ? std::string_view() : std::string_view(propertyName(s->key));
    };
    for (const Entity* e : list) {
        ByteWriter w(buf);
        w.u64(e->id.packed());
        w.u8(std::uint8_t(e->kind));
        w.u64(e->createHlc.raw());
        w.u64(e->a.packed());
        w.u64(e->b.packed());
        w.u8(e->flags);
        registers.clear();
        for (const Register& s : e->registers)
            registers.push_back(&s);
        // Property keys are interned per document in arrival order: order by name instead.
        std::sort(registers.begin(), registers.end(), [&](const Register* x, const Register* y) {
            const bool px = x->key >= PropertyKeyBase, py = y->key >= PropertyKeyBase;
            if (px != py || !px)
                return std::pair(px, x->key) < std::pair(py, y->key);
            return registerName(x) < registerName(y);
        });
        w.varint(registers.size());
        for (const Register* s : registers) {
            w.u8(s->key < PropertyKeyBase ? std::uint8_t(s->key) : std::uint8_t(Field::Property));
            if (s->key >= PropertyKeyBase)
                w.bytes(registerName(s));
            w.u64(s->stamp.hlc.raw());
            w.u64(s->stamp.op.packed());
            w.value(s->value);
        }
        if (buf.size() > 64 * 1024) {
            hash.addData(QByteArrayView(buf.data(), qsizetype(buf.size())));
            buf.clear();
        }
    }
    hash.addData(QByteArrayView(buf.data(), qsizetype(buf.size())));
    return hash.result().toHex().toStdString();
}

} // namespace constellate
