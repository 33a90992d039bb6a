#include "transaction.h"

#include "bytecodec.h"

#include <algorithm>
#include <stdexcept>

namespace constellate {

namespace {
constexpr std::uint8_t EncodingVersion = 1;
constexpr std::uint8_t MaxAnnotationKind = std::uint8_t(AnnotationKind::Comment);
} // namespace

// ---- building ---------------------------------------------------------------------------

TransactionBuilder::TransactionBuilder(ReplicaId replica, UserId author, std::uint32_t firstCounter)
    : m_replica(replica), m_author(author), m_firstCounter(firstCounter)
{
    if (firstCounter == 0)
        throw std::invalid_argument("operation counters start at 1");
}

OpId TransactionBuilder::nextOp()
{
    if (m_firstCounter + m_opCount == 0xffffffffu)
        throw std::overflow_error("this replica has used all its operation counters");
    return {m_replica, m_firstCounter + m_opCount++};
}

void TransactionBuilder::ref(OpId id)
{
    ByteWriter w(m_body);
    if (id.isNull()) {
        w.varint(0);
        return;
    }
    std::uint64_t index = 1;
    if (id.replica != m_replica) {
        auto it = std::find(m_replicaTable.begin(), m_replicaTable.end(), id.replica);
        if (it == m_replicaTable.end()) {
            m_replicaTable.push_back(id.replica);
            it = m_replicaTable.end() - 1;
        }
        index = 2 + std::uint64_t(it - m_replicaTable.begin());
    }
    w.varint(index);
    w.varint(id.counter);
}

void TransactionBuilder::fieldValue(Field f, std::string_view property, const Value& value)
{
    if (std::string e = checkFieldValue(f, value); !e.empty())
        throw std::invalid_argument(e);
    if (value.type() == ValueType::String && !isValidUtf8(value.toStringView()))
        throw std::invalid_argument(std::string(fieldName(f)) + " is not valid UTF-8");
    const TransactionLimits limits;
    if (m_oversize.empty() && value.type() == ValueType::String && value.toStringView().size() > limits.maxStringBytes)
        m_oversize = "a " + std::string(f == Field::Property ? "property value" : fieldName(f)) + " of "
            + std::to_string(value.toStringView().size()) + " bytes is longer than the "
            + std::to_string(limits.maxStringBytes) + " a document keeps";
    if (m_oversize.empty() && property.size() > limits.maxNameBytes)
        m_oversize = "a property name of " + std::to_string(property.size()) + " bytes is longer than the "
            + std::to_string(limits.maxNameBytes) + " a document keeps";
    ByteWriter w(m_body);
    w.u8(std::uint8_t(f));
    if (f == Field::Property) {
        if (property.empty())
            throw std::invalid_argument("a property needs a name");
        if (!isValidUtf8(property))
            throw std::invalid_argument("property name is not valid UTF-8");
        w.bytes(property);
    }
    w.value(value);
}

void TransactionBuilder::checkCreateField(const FieldValue& fv, EntityKind kind)
{
    if (fv.ref.field == Field::Exists || !fieldAppliesTo(fv.ref.field, kind))
        throw std::invalid_argument(std::string("a ") + entityKindName(kind) + " has no " + fv.ref.toString()
                                    + " to set at creation");
    fieldValue(fv.ref.field, fv.ref.property, fv.value);
}

EntityId TransactionBuilder::createNode(const std::vector<FieldValue>& fields)
{
    const EntityId id = beginCreateNode(std::uint32_t(fields.size()));
    for (const FieldValue& f : fields)
        checkCreateField(f, EntityKind::Node);
    return id;
}

EntityId TransactionBuilder::beginCreateNode(std::uint32_t fieldCount)
{
    const OpId id = nextOp();
    ByteWriter w(m_body);
    w.u8(std::uint8_t(OpType::CreateNode));
    w.varint(fieldCount);
    return id;
}

EntityId TransactionBuilder::beginCreateEdge(EntityId source, EntityId target, bool directed, std::uint32_t fieldCount)
{
    if (source.isNull() || target.isNull())
        throw std::invalid_argument("an edge needs two endpoints");
    const OpId id = nextOp();
    ByteWriter(m_body).u8(std::uint8_t(OpType::CreateEdge));
    ref(source);
    ref(target);
    ByteWriter w(m_body);
    w.u8(directed ? 1 : 0);
    w.varint(fieldCount);
    return id;
}

EntityId TransactionBuilder::createEdge(EntityId source, EntityId target, bool directed,
                                        const std::vector<FieldValue>& fields)
{
    const EntityId id = beginCreateEdge(source, target, directed, std::uint32_t(fields.size()));
    for (const FieldValue& f : fields)
        checkCreateField(f, EntityKind::Edge);
    return id;
}

EntityId TransactionBuilder::createAnnotation(EntityId target, AnnotationKind kind,
                                              const std::vector<FieldValue>& fields)
{
    if (target.isNull())
        throw std::invalid_argument("an annotation needs a node or an edge");
    const OpId id = nextOp();
    ByteWriter(m_body).u8(std::uint8_t(OpType::CreateAnnotation));
    ref(target);
    ByteWriter w(m_body);
    w.u8(std::uint8_t(kind));
    w.varint(fields.size());
    for (const FieldValue& f : fields)
        checkCreateField(f, EntityKind::Annotation);
    return id;
}

OpId TransactionBuilder::set(EntityId entity, const FieldRef& field, const Value& value, OpId prev)
{
    if (entity.isNull())
        throw std::invalid_argument("no entity to write to");
    const OpId id = nextOp();
    ByteWriter(m_body).u8(std::uint8_t(OpType::SetField));
    ref(entity);
    ref(prev);
    fieldValue(field.field, field.property, value);
    return id;
}

Transaction TransactionBuilder::finish(Hlc hlc)
{
    Transaction t;
    t.m_header = {m_replica, m_author, hlc, m_firstCounter, m_opCount};
    ByteWriter w(t.m_bytes);
    w.u8(EncodingVersion);
    w.u32(m_replica);
    w.varint(m_author);
    w.u64(hlc.raw());
    w.varint(m_firstCounter);
    w.varint(m_opCount);
    w.varint(m_replicaTable.size());
    for (ReplicaId r : m_replicaTable)
        w.u32(r);
    t.m_bodyOffset = t.m_bytes.size();
    t.m_bytes += m_body;
    t.m_replicaTable = std::move(m_replicaTable);
    m_firstCounter += m_opCount;
    m_opCount = 0;
    m_body.clear();
    m_oversize.clear();
    m_replicaTable.clear();
    return t;
}

// ---- decoding ---------------------------------------------------------------------------

namespace {

OpId readRef(ByteReader& r, ReplicaId own, const std::vector<ReplicaId>& table)
{
    const std::uint64_t index = r.varint();
    if (index == 0 || !r.ok())
        return {};
    ReplicaId replica = own;
    if (index >= 2) {
        if (index - 2 >= table.size()) {
            r.fail("replica reference " + std::to_string(index) + " is not in the transaction's table");
            return {};
        }
        replica = table[std::size_t(index - 2)];
    }
    const std::uint32_t counter = r.varint32();
    if (r.ok() && counter == 0)
        r.fail("operation counter 0 is never used");
    return {replica, counter};
}

bool readField(ByteReader& r, const TransactionLimits& limits, FieldValue& out)
{
    const std::uint8_t f = r.u8();
    if (!r.ok())
        return false;
    if (f >= FieldCount) {
        r.fail("unknown field " + std::to_string(f));
        return false;
    }
    out.ref.field = Field(f);
    if (out.ref.field == Field::Property) {
        const std::string_view name = r.utf8(limits.maxNameBytes);
        if (r.ok() && name.empty())
            r.fail("property without a name");
        out.ref.property.assign(name);
    } else {
        out.ref.property.clear();
    }
    out.value = r.value(limits.maxStringBytes);
    if (!r.ok())
        return false;
    if (std::string e = checkFieldValue(out.ref.field, out.value); !e.empty()) {
        r.fail(e);
        return false;
    }
    return true;
}

bool readOp(ByteReader& r, ReplicaId own, const std::vector<ReplicaId>& table, const TransactionLimits& limits,
            Operation& op)
{
    const std::uint8_t type = r.u8();
    if (!r.ok())
        return false;
    op.type = OpType(type);
    op.target = op.prev = op.source = op.edgeTarget = {};
    op.directed = false;
    EntityKind kind = EntityKind::Unknown;
    std::uint64_t fieldCount = 1;
    switch (op.type) {
    case OpType::CreateNode: kind = EntityKind::Node; break;
    case OpType::CreateEdge: {
        kind = EntityKind::Edge;
        op.source = readRef(r, own, table);
        op.edgeTarget = readRef(r, own, table);
        const std::uint8_t d = r.u8();
        if (r.ok() && (op.source.isNull() || op.edgeTarget.isNull()))
            r.fail("edge without both endpoints");
        if (d > 1)
            r.fail("edge direction is neither 0 nor 1");
        op.directed = d == 1;
        break;
    }
    case OpType::CreateAnnotation: {
        kind = EntityKind::Annotation;
        op.target = readRef(r, own, table);
        const std::uint8_t k = r.u8();
        if (r.ok() && op.target.isNull())
            r.fail("annotation without a target");
        if (k > MaxAnnotationKind)
            r.fail("unknown annotation kind " + std::to_string(k));
        op.annotationKind = AnnotationKind(k);
        break;
    }
    case OpType::SetField:
        op.target = readRef(r, own, table);
        op.prev = readRef(r, own, table);
        if (r.ok() && op.target.isNull())
            r.fail("write without a target");
        break;
    default: r.fail("unknown operation type " + std::to_string(type)); return false;
    }
    if (kind != EntityKind::Unknown) {
        fieldCount = r.varint();
        if (r.ok() && fieldCount > limits.maxFieldsPerOp)
            r.fail("too many fields in one operation");
    }
    if (!r.ok())
        return false;
    op.fields.resize(std::size_t(fieldCount));
    for (FieldValue& fv : op.fields) {
        if (!readField(r, limits, fv))
            return false;
        if (kind != EntityKind::Unknown && (fv.ref.field == Field::Exists || !fieldAppliesTo(fv.ref.field, kind))) {
            r.fail(std::string("a ") + entityKindName(kind) + " has no " + fv.ref.toString() + " to set at creation");
            return false;
        }
    }
    return true;
}

} // namespace

std::optional<Transaction> Transaction::decode(std::string bytes, std::string* error, const TransactionLimits& limits)
{
    auto failed = [&](const std::string& why) -> std::optional<Transaction> {
        if (error)
            *error = "malformed transaction: " + why;
        return std::nullopt;
    };
    Transaction t;
    t.m_bytes = std::move(bytes);
    ByteReader r(t.m_bytes);
    const std::uint8_t version = r.u8();
    if (r.ok() && version != EncodingVersion)
        return failed("unknown encoding version " + std::to_string(version));
    t.m_header.replica = r.u32();
    t.m_header.author = r.varint();
    t.m_header.hlc = Hlc(r.u64());
    t.m_header.firstCounter = r.varint32();
    t.m_header.opCount = r.varint32();
    const std::uint64_t tableSize = r.varint();
    if (!r.ok())
        return failed(r.error());
    if (t.m_header.replica == 0)
        return failed("replica id 0 is never used");
    if (t.m_header.firstCounter == 0)
        return failed("operation counters start at 1");
    if (t.m_header.opCount == 0 || t.m_header.opCount > limits.maxOps)
        return failed("operation count " + std::to_string(t.m_header.opCount) + " out of range");
    if (std::uint64_t(t.m_header.firstCounter) + t.m_header.opCount - 1 > 0xffffffffu)
        return failed("operation counters overflow");
    if (tableSize > r.remaining() / 4)
        return failed("replica table larger than the transaction");
    t.m_replicaTable.reserve(std::size_t(tableSize));
    for (std::uint64_t i = 0; i < tableSize; ++i)
        t.m_replicaTable.push_back(r.u32());
    t.m_bodyOffset = r.offset();

    thread_local Operation op; // reused: decoding allocates nothing per call once warm
    for (std::uint32_t i = 0; i < t.m_header.opCount; ++i) {
        if (!readOp(r, t.m_header.replica, t.m_replicaTable, limits, op))
            return failed("operation " + std::to_string(i) + ": " + (r.ok() ? std::string("truncated") : r.error()));
    }
    if (!r.atEnd())
        return failed(std::to_string(r.remaining()) + " bytes after the last operation");
    return t;
}

OpDecoder::OpDecoder(const Transaction& t, const TransactionLimits& limits)
    : m_transaction(t), m_limits(limits), m_pos(t.m_bodyOffset)
{
}

bool OpDecoder::next(Operation& op)
{
    if (m_index >= m_transaction.m_header.opCount || !m_error.empty())
        return false;
    ByteReader r(std::string_view(m_transaction.m_bytes).substr(m_pos));
    if (!readOp(r, m_transaction.m_header.replica, m_transaction.m_replicaTable, m_limits, op)) {
        m_error = r.error();
        return false;
    }
    m_pos += r.offset();
    ++m_index;
    return true;
}

} // namespace constellate
