#pragma once

// Shared by the render tests: documents built in a few lines.

#include "graphdocument.h"

namespace constellate::render::test {

inline FieldRef ref(Field f)
{
    return {f, {}};
}

inline EntityId addNode(GraphDocument& doc, Vec3 position, Rgba color = GraphDocument::DefaultNodeColor,
                        double size = 1.0)
{
    TransactionBuilder t = doc.begin();
    const EntityId id = t.createNode({{ref(Field::Position), Value(position)},
                                      {ref(Field::Color), Value::color(color)},
                                      {ref(Field::Size), Value(size)}});
    doc.commit(t);
    return id;
}

inline EntityId addEdge(GraphDocument& doc, EntityId source, EntityId target, bool directed = false,
                        Rgba color = GraphDocument::DefaultEdgeColor)
{
    TransactionBuilder t = doc.begin();
    const EntityId id = t.createEdge(source, target, directed, {{ref(Field::Color), Value::color(color)}});
    doc.commit(t);
    return id;
}

inline void setField(GraphDocument& doc, EntityId id, Field field, const Value& value)
{
    TransactionBuilder t = doc.begin();
    doc.set(t, id, ref(field), value);
    doc.commit(t);
}

inline void moveNode(GraphDocument& doc, EntityId id, Vec3 position)
{
    setField(doc, id, Field::Position, Value(position));
}

inline void deleteEntity(GraphDocument& doc, EntityId id)
{
    setField(doc, id, Field::Exists, Value(false));
}

} // namespace constellate::render::test
