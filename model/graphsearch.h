#pragma once

#include "graphdocument.h"

#include <string>
#include <string_view>
#include <vector>

namespace constellate {

/// A search over the nodes and edges of a document, parsed from what a user types into
/// the search field. Terms are separated by spaces and must all match (AND); a term in
/// double quotes may hold spaces.
///
///   `paris`            the label, the text of an annotation on it, or any string property
///                      contains "paris" (case-insensitive)
///   `city:par`         property (or `label`) "city" contains "par"
///   `city=Paris`       property "city" equals "Paris" (case-insensitive; numbers: equal)
///   `weight>2`         a number compared: >, >=, <, <= (`size` and `weight` are fields)
///   `has:city`         property "city" is set
///   `-word`            the term must not match
///
/// Property names are matched exactly (they are case-sensitive in every file format).
class GraphSearch {
public:
    /// Parses `text`; on a malformed query (an unclosed quote, a comparison with no
    /// number, an empty name) returns false and error() says why. An empty text parses
    /// to the query that matches nothing (not everything: an empty search field shows
    /// the whole graph undimmed).
    bool parse(std::string_view text);
    const std::string& error() const { return m_error; }
    bool isEmpty() const { return m_terms.empty(); }

    /// True when the visible entity (a node or an edge) matches every term.
    bool matches(const GraphDocument& document, const GraphDocument::Entity& entity) const;
    /// The visible nodes and edges that match, in id order.
    std::vector<EntityId> run(const GraphDocument& document) const;

private:
    enum class Op { Contains, Equals, Greater, GreaterEqual, Less, LessEqual, Has };
    struct Term {
        bool negated = false;
        std::string name;   ///< empty: any text of the entity
        Op op = Op::Contains;
        std::string text;   ///< lower case (ASCII folding) for Contains and Equals
        double number = 0;  ///< for comparisons, and Equals when `isNumber`
        bool isNumber = false;
    };
    bool termMatches(const GraphDocument& document, const GraphDocument::Entity& e, const Term& t) const;

    std::vector<Term> m_terms;
    std::string m_error;
    /// Annotation texts by target, gathered by run() (matches() alone does not see them).
    mutable std::vector<std::pair<EntityId, std::string>> m_annotationTexts;
};

} // namespace constellate
