#include "operation.h"

#include <cmath>

namespace constellate {

const char* entityKindName(EntityKind k)
{
    switch (k) {
    case EntityKind::Unknown: return "unknown";
    case EntityKind::Node: return "node";
    case EntityKind::Edge: return "edge";
    case EntityKind::Annotation: return "annotation";
    }
    return "invalid";
}

const char* fieldName(Field f)
{
    switch (f) {
    case Field::Exists: return "exists";
    case Field::Position: return "position";
    case Field::Label: return "label";
    case Field::Color: return "color";
    case Field::Size: return "size";
    case Field::Weight: return "weight";
    case Field::Text: return "text";
    case Field::Property: return "property";
    }
    return "invalid";
}

bool fieldAppliesTo(Field f, EntityKind k)
{
    switch (f) {
    case Field::Exists:
    case Field::Color: return true;
    case Field::Position:
    case Field::Size: return k == EntityKind::Node;
    case Field::Label:
    case Field::Property: return k == EntityKind::Node || k == EntityKind::Edge;
    case Field::Weight: return k == EntityKind::Edge;
    case Field::Text: return k == EntityKind::Annotation;
    }
    return false;
}

std::string checkFieldValue(Field f, const Value& v)
{
    // None unsets a field: back to its default (what undo writes where there was nothing).
    if (v.isNone() && f != Field::Exists)
        return {};
    auto expect = [&](ValueType t) -> std::string {
        if (v.type() == t)
            return {};
        return std::string(fieldName(f)) + " takes a " + valueTypeName(t) + ", not a " + valueTypeName(v.type());
    };
    switch (f) {
    case Field::Exists: return expect(ValueType::Bool);
    case Field::Position: {
        std::string e = expect(ValueType::Vec3);
        if (e.empty() && !v.toVec3().isFinite())
            e = "position is not finite";
        return e;
    }
    case Field::Label:
    case Field::Text: return expect(ValueType::String);
    case Field::Color: return expect(ValueType::Color);
    case Field::Size: {
        std::string e = expect(ValueType::Double);
        if (e.empty() && !(std::isfinite(v.toDouble()) && v.toDouble() >= 0))
            e = "size must be a finite number >= 0";
        return e;
    }
    case Field::Weight: {
        std::string e = expect(ValueType::Double);
        if (e.empty() && !std::isfinite(v.toDouble()))
            e = "weight must be finite";
        return e;
    }
    case Field::Property:
        switch (v.type()) {
        case ValueType::None:
        case ValueType::Bool:
        case ValueType::Int:
        case ValueType::String: return {};
        case ValueType::Double:
            return std::isfinite(v.toDouble()) ? std::string() : std::string("property value must be finite");
        default: return std::string("a property cannot hold a ") + valueTypeName(v.type());
        }
    }
    return "unknown field";
}

const char* annotationKindName(AnnotationKind k)
{
    switch (k) {
    case AnnotationKind::Tag: return "tag";
    case AnnotationKind::Highlight: return "highlight";
    case AnnotationKind::Comment: return "comment";
    }
    return "invalid";
}

std::string FieldRef::toString() const
{
    if (field == Field::Property)
        return "property '" + property + "'";
    return fieldName(field);
}

} // namespace constellate
