#include "revert.h"

#include "bytecodec.h"

#include <QCryptographicHash>

#include <algorithm>
#include <map>
#include <unordered_map>
#include <vector>

namespace constellate {

namespace {

/// The core fields an entity of `kind` shows, in field order (Exists apart).
std::vector<Field> shownFields(EntityKind kind)
{
    std::vector<Field> fields;
    for (int f = int(Field::Position); f < int(Field::Property); ++f)
        if (fieldAppliesTo(Field(f), kind))
            fields.push_back(Field(f));
    return fields;
}

/// The set free properties of an entity, by name.
std::map<std::string, Value, std::less<>> properties(const GraphDocument& doc, const GraphDocument::Entity& e)
{
    std::map<std::string, Value, std::less<>> out;
    doc.forEachProperty(e, [&](std::string_view name, const Value& v) { out.emplace(std::string(name), v); });
    return out;
}

/// Visible entities of every kind, nodes first, then edges, then annotations, each in id
/// order: what an entity hangs on comes before it.
std::vector<const GraphDocument::Entity*> visibleEntities(const GraphDocument& doc)
{
    std::vector<const GraphDocument::Entity*> list;
    for (const EntityKind kind : {EntityKind::Node, EntityKind::Edge, EntityKind::Annotation})
        doc.forEach(kind, [&](const GraphDocument::Entity& e) { list.push_back(&e); }, true);
    return list;
}

bool isCreated(const GraphDocument::Entity* e)
{
    return e && e->kind != EntityKind::Unknown;
}

const FieldRef ExistsRef {Field::Exists, {}};

} // namespace

TransactionBuilder revertTo(const GraphDocument& current, const GraphDocument& version, RevertSummary* summary)
{
    TransactionBuilder b = current.begin();
    RevertSummary s;
    TransactionLimits limits;

    // What the version does not have goes: what is visible now, and what is hidden now but
    // would show once the revert restores what it hangs on (an edge made after the version
    // to a node deleted since). An entity the version has (exists there) but hides because
    // what it hangs on is deleted there is left as it is: that node or edge follows the
    // version, and it with it.
    std::vector<const GraphDocument::Entity*> going;
    current.forEachEntity([&](const GraphDocument::Entity& e) {
        if (!isCreated(&e) || !current.value(e, ExistsRef).toBool())
            return;
        const GraphDocument::Entity* v = version.entity(e.id);
        if (isCreated(v) && version.value(*v, ExistsRef).toBool())
            return;
        bool showsAfter = false; // once everything it hangs on looks as in the version
        switch (e.kind) {
        case EntityKind::Edge: showsAfter = version.isVisible(e.a) && version.isVisible(e.b); break;
        case EntityKind::Annotation: showsAfter = version.isVisible(e.a); break;
        default: break;
        }
        if (showsAfter || current.isVisible(e))
            going.push_back(&e);
    });
    std::sort(going.begin(), going.end(), [](const auto* x, const auto* y) { return x->id < y->id; });
    for (const GraphDocument::Entity* e : going) {
        s.deleted += current.isVisible(*e);
        current.set(b, e->id, ExistsRef, Value(false));
    }

    // What the version shows comes back (restored or created anew) with its values.
    std::unordered_map<EntityId, EntityId> renamed; // version id -> id created here
    auto here = [&](EntityId id) {
        auto it = renamed.find(id);
        return it == renamed.end() ? id : it->second;
    };
    for (const GraphDocument::Entity* v : visibleEntities(version)) {
        const std::vector<Field> fields = shownFields(v->kind);
        const auto versionProps = properties(version, *v);
        const GraphDocument::Entity* e = current.entity(v->id);
        if (!isCreated(e)) {
            // Never seen here (another epoch of the room): a new entity, new id.
            std::vector<FieldValue> initial;
            for (const Field f : fields)
                if (Value value = version.value(*v, {f, {}}); !value.isNone())
                    initial.push_back({{f, {}}, std::move(value)});
            for (const auto& [name, value] : versionProps) {
                // Built apart, then moved in: GCC 12 at -O3 warns falsely
                // (maybe-uninitialized) on the braced temporary in push_back({{...}, value}).
                FieldValue field {FieldRef {Field::Property, name}, value};
                initial.push_back(std::move(field));
            }
            // A create holds at most maxFieldsPerOp fields; the rest follow as writes.
            std::vector<FieldValue> rest;
            if (initial.size() > limits.maxFieldsPerOp) {
                rest.assign(initial.begin() + std::ptrdiff_t(limits.maxFieldsPerOp), initial.end());
                initial.resize(limits.maxFieldsPerOp);
            }
            EntityId id;
            switch (v->kind) {
            case EntityKind::Node: id = b.createNode(initial); break;
            case EntityKind::Edge: id = b.createEdge(here(v->a), here(v->b), version.directed(*v), initial); break;
            case EntityKind::Annotation: id = b.createAnnotation(here(v->a), version.annotationKind(*v), initial); break;
            case EntityKind::Unknown: continue;
            }
            for (const FieldValue& fv : rest)
                b.set(id, fv.ref, fv.value, {});
            renamed.emplace(v->id, id);
            ++s.created;
            continue;
        }
        if (!current.value(*e, ExistsRef).toBool()) {
            current.set(b, e->id, ExistsRef, Value(true));
            ++s.restored;
        }
        bool changed = false;
        auto write = [&](const FieldRef& ref, const Value& want) {
            if (current.value(*e, ref) == want)
                return;
            current.set(b, e->id, ref, want);
            changed = true;
        };
        for (const Field f : fields)
            write({f, {}}, version.value(*v, {f, {}}));
        if (fieldAppliesTo(Field::Property, v->kind)) {
            for (const auto& [name, value] : versionProps)
                write({Field::Property, name}, value);
            // Properties set since the version are unset (None: back to no property).
            for (const auto& [name, value] : properties(current, *e))
                if (!versionProps.count(name))
                    write({Field::Property, name}, Value());
        }
        s.changed += changed;
    }
    s.operations = b.opCount();
    if (summary)
        *summary = s;
    return b;
}

std::string visibleStateHash(const GraphDocument& document)
{
    std::vector<const GraphDocument::Entity*> list = visibleEntities(document);
    std::sort(list.begin(), list.end(), [](const auto* x, const auto* y) { return x->id < y->id; });
    QCryptographicHash hash(QCryptographicHash::Sha256);
    std::string buf;
    for (const GraphDocument::Entity* e : list) {
        ByteWriter w(buf);
        w.u64(e->id.packed());
        w.u8(std::uint8_t(e->kind));
        w.u64(e->a.packed());
        w.u64(e->b.packed());
        w.u8(e->flags);
        for (const Field f : shownFields(e->kind)) {
            w.u8(std::uint8_t(f));
            w.value(document.value(*e, {f, {}}));
        }
        const auto props = properties(document, *e);
        w.varint(props.size());
        for (const auto& [name, value] : props) {
            w.bytes(name);
            w.value(value);
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
