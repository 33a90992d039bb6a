#pragma once

#include "types.h"
#include "value.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace constellate {

/// What a document holds: nodes, edges, and annotations attached to either.
enum class EntityKind : std::uint8_t {
    Unknown = 0, ///< only writes seen so far; its creation has not arrived yet
    Node = 1,
    Edge = 2,
    Annotation = 3,
};
const char* entityKindName(EntityKind k);

/// The fields of an entity. The numbers are on the wire and in files: append only.
/// Existence is a field too: deleting writes Exists=false, restoring Exists=true.
enum class Field : std::uint8_t {
    Exists = 0,   ///< Bool; all kinds
    Position = 1, ///< Vec3; nodes
    Label = 2,    ///< String; nodes, edges
    Color = 3,    ///< Color; all kinds
    Size = 4,     ///< Double >= 0; nodes
    Weight = 5,   ///< Double; edges
    Text = 6,     ///< String; annotations
    Property = 7, ///< a named free property (Bool, Int, Double, String; None removes it); nodes, edges
};
constexpr int FieldCount = 8;
const char* fieldName(Field f);
bool fieldAppliesTo(Field f, EntityKind k);
/// Checks that a value has the type and range the field takes (None, which unsets a
/// field back to its default, is valid for all but Exists). Returns an empty string
/// when valid, otherwise what is wrong.
std::string checkFieldValue(Field f, const Value& v);

/// The kinds of annotation (append only).
enum class AnnotationKind : std::uint8_t { Tag = 0, Highlight = 1, Comment = 2 };
const char* annotationKindName(AnnotationKind k);

/// Names a field of an entity: a core field, or a free property by name.
struct FieldRef {
    Field field = Field::Exists;
    std::string property; ///< only for Field::Property
    friend bool operator==(const FieldRef&, const FieldRef&) = default;
    std::string toString() const; ///< "label", "property 'club'"
};

/// One field value set at creation, or by a write.
struct FieldValue {
    FieldRef ref;
    Value value;
    friend bool operator==(const FieldValue&, const FieldValue&) = default;
};

/// The kinds of operation (append only on the wire).
enum class OpType : std::uint8_t {
    CreateNode = 1,
    CreateEdge = 2,
    CreateAnnotation = 3,
    SetField = 4, ///< also delete (Exists=false) and restore (Exists=true)
};

/// One operation, decoded. Its id and timestamp come from its transaction: the id is
/// (transaction replica, first counter + index), the timestamp the transaction's.
struct Operation {
    OpType type = OpType::SetField;
    /// SetField: the entity written. CreateAnnotation: the annotated node or edge.
    EntityId target;
    /// SetField: the write this one replaces, as the writer saw it (null: none seen).
    OpId prev;
    /// CreateEdge: endpoints and direction.
    EntityId source;
    EntityId edgeTarget;
    bool directed = false;
    /// CreateAnnotation: kind.
    AnnotationKind annotationKind = AnnotationKind::Tag;
    /// SetField: exactly one entry. Create*: the initial values (stamped like the create).
    std::vector<FieldValue> fields;
};

} // namespace constellate
