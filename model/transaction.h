#pragma once

#include "operation.h"
#include "types.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace constellate {

/// Limits on what a transaction may hold; checked when decoding untrusted bytes.
struct TransactionLimits {
    std::size_t maxStringBytes = 64 * 1024;  ///< one label, text or property value
    std::size_t maxNameBytes = 256;          ///< one property name
    std::size_t maxFieldsPerOp = 1024;
    std::uint32_t maxOps = 50'000'000;
};

/// What every transaction says about itself.
struct TransactionHeader {
    ReplicaId replica = 0;
    UserId author = 0;
    Hlc hlc;                       ///< the timestamp of all its operations
    std::uint32_t firstCounter = 0; ///< operation i has id (replica, firstCounter + i)
    std::uint32_t opCount = 0;

    OpId opId(std::uint32_t index) const { return {replica, firstCounter + index}; }
    std::uint32_t lastCounter() const { return firstCounter + opCount - 1; }
};

/// The operations of one user action, applied all or nothing: one undo step. It is kept
/// and sent in its encoded form (the same bytes on the wire, in the server's log and in
/// the offline journal); see docs/architecture.md for the layout.
class Transaction {
public:
    Transaction() = default;

    /// Decodes and fully validates untrusted bytes. Returns nullopt and sets *error on
    /// any problem (truncation, bad types, non-finite numbers, invalid UTF-8, limits).
    static std::optional<Transaction> decode(std::string bytes, std::string* error,
                                             const TransactionLimits& limits = {});

    const TransactionHeader& header() const { return m_header; }
    const std::string& bytes() const { return m_bytes; }
    bool isEmpty() const { return m_header.opCount == 0; }

    /// Visits each operation in order: fn(std::uint32_t index, const Operation&).
    /// The Operation is reused between calls. Only for transactions that decoded or
    /// were built (the bytes are trusted).
    template<typename Fn>
    void forEachOp(Fn&& fn) const;
    /// Same, decoding into `scratch` (reused across calls to avoid allocations).
    template<typename Fn>
    void forEachOp(Operation& scratch, Fn&& fn) const;

private:
    friend class TransactionBuilder;
    friend class OpDecoder;
    TransactionHeader m_header;
    std::string m_bytes;
    std::size_t m_bodyOffset = 0;
    std::vector<ReplicaId> m_replicaTable; ///< replicas that operations refer to
};

/// Reads the operations of an encoded transaction one by one.
class OpDecoder {
public:
    OpDecoder(const Transaction& t, const TransactionLimits& limits = {});
    /// False at the end or on error (see error()).
    bool next(Operation& op);
    const std::string& error() const { return m_error; }

private:
    const Transaction& m_transaction;
    TransactionLimits m_limits;
    std::size_t m_pos;
    std::uint32_t m_index = 0;
    std::string m_error;
};

template<typename Fn>
void Transaction::forEachOp(Operation& scratch, Fn&& fn) const
{
    OpDecoder decoder(*this);
    std::uint32_t index = 0;
    while (decoder.next(scratch))
        fn(index++, static_cast<const Operation&>(scratch));
}

template<typename Fn>
void Transaction::forEachOp(Fn&& fn) const
{
    Operation op;
    forEachOp(op, std::forward<Fn>(fn));
}

/// Encodes operations into a Transaction. Ids of created entities are known at once
/// (the first counter is reserved when the builder is made); the timestamp is set when
/// the transaction is committed. Values must already be valid (see checkFieldValue):
/// the builder throws std::invalid_argument otherwise.
class TransactionBuilder {
public:
    TransactionBuilder(ReplicaId replica, UserId author, std::uint32_t firstCounter);

    EntityId createNode(const std::vector<FieldValue>& fields = {});
    EntityId createEdge(EntityId source, EntityId target, bool directed, const std::vector<FieldValue>& fields = {});
    EntityId createAnnotation(EntityId target, AnnotationKind kind, const std::vector<FieldValue>& fields = {});
    /// Writes one field; `prev` is the write this replaces as this replica sees it.
    OpId set(EntityId entity, const FieldRef& field, const Value& value, OpId prev);

    /// Low-level forms of createNode and createEdge for bulk imports (no allocation): the
    /// create is followed by exactly `fieldCount` calls of addField or addProperty.
    EntityId beginCreateNode(std::uint32_t fieldCount);
    EntityId beginCreateEdge(EntityId source, EntityId target, bool directed, std::uint32_t fieldCount);
    void addField(Field f, const Value& value) { fieldValue(f, {}, value); }
    void addProperty(std::string_view name, const Value& value) { fieldValue(Field::Property, name, value); }

    std::uint32_t opCount() const { return m_opCount; }
    std::uint32_t nextCounter() const { return m_firstCounter + m_opCount; }
    ReplicaId replica() const { return m_replica; }
    UserId author() const { return m_author; }
    std::size_t encodedSize() const { return m_body.size(); }
    /// Empty, or what makes this transaction one the document cannot keep: a text longer
    /// than TransactionLimits allows (decoding would stop there, losing it and what
    /// follows). GraphDocument::commit refuses such a builder with this message.
    const std::string& oversize() const { return m_oversize; }

    /// Finishes the transaction with its timestamp. The builder is empty afterwards.
    Transaction finish(Hlc hlc);

private:
    OpId nextOp();
    void ref(OpId id);
    void fieldValue(Field f, std::string_view property, const Value& value);
    void checkCreateField(const FieldValue& fv, EntityKind kind);
    ReplicaId m_replica;
    UserId m_author;
    std::uint32_t m_firstCounter;
    std::uint32_t m_opCount = 0;
    std::string m_body;
    std::vector<ReplicaId> m_replicaTable;
    std::string m_oversize;
};

} // namespace constellate
