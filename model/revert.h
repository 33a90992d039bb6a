#pragma once

#include "graphdocument.h"
#include "transaction.h"

#include <cstddef>
#include <string>

namespace constellate {

/// What a revert writes, counted by entity.
struct RevertSummary {
    std::size_t restored = 0; ///< deleted since the version: exists = true again (ids persist)
    std::size_t created = 0;  ///< in the version but unknown to the document: created anew, with new ids
    std::size_t deleted = 0;  ///< visible now, not in the version: exists = false
    std::size_t changed = 0;  ///< in both: at least one field written back to the version's value
    std::size_t operations = 0;
    bool isEmpty() const { return operations == 0; }
};

/// The operations that make `current` look like `version`, as one transaction begun on
/// `current` (commit it there: one undo step, sent like any edit). `version` is an earlier
/// state of the same document, e.g. a named version merged from its snapshot.
///
/// "Look like" is visibleStateHash() equality: afterwards the same entities are visible,
/// with the same endpoints and field values (free properties included); timestamps differ,
/// since the revert writes with new ones. Entities visible now and not in the version are
/// deleted; entities of the version deleted since are restored (exists = true: they keep
/// their ids, so edges and annotations that hang on them come back with them); an entity
/// of the version this document has never seen (the room began a new epoch) is created
/// anew with a new id, and the version's edges and annotations that hang on it follow the
/// new id. Fields are written only where their values differ, each naming the document's
/// current write as `prev`, so no one sees a false conflict. Deleted entities' fields are
/// left alone. Pure: reads both documents, changes neither.
TransactionBuilder revertTo(const GraphDocument& current, const GraphDocument& version,
                            RevertSummary* summary = nullptr);

/// SHA-256 (hex) of what a document shows: every visible entity in id order with its kind,
/// endpoints or target, direction or annotation kind, and the value of each of its fields
/// (free properties by name). Timestamps, deleted entities and entities not yet created
/// do not count, so two documents that show the same graph hash alike whatever their
/// histories (unlike GraphDocument::canonicalHash, which covers every write's stamp).
std::string visibleStateHash(const GraphDocument& document);

} // namespace constellate
