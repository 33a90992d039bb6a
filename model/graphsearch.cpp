#include "graphsearch.h"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace constellate {

namespace {

/// ASCII case folding: enough for names and most labels, and never changes byte lengths
/// (so UTF-8 stays valid and substring positions agree).
std::string folded(std::string_view s)
{
    std::string out(s);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z')
            c = char(c - 'A' + 'a');
    return out;
}

bool containsFolded(std::string_view haystack, std::string_view needleFolded)
{
    if (needleFolded.empty())
        return true;
    if (haystack.size() < needleFolded.size())
        return false;
    const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c; };
    for (std::size_t i = 0; i + needleFolded.size() <= haystack.size(); ++i) {
        std::size_t k = 0;
        while (k < needleFolded.size() && lower(haystack[i + k]) == needleFolded[k])
            ++k;
        if (k == needleFolded.size())
            return true;
    }
    return false;
}

bool equalsFolded(std::string_view a, std::string_view bFolded)
{
    return a.size() == bFolded.size() && containsFolded(a, bFolded);
}

bool parseNumber(std::string_view s, double& out)
{
    if (s.empty())
        return false;
    const char* end = s.data() + s.size();
    const auto [p, ec] = std::from_chars(s.data(), end, out);
    return ec == std::errc() && p == end && std::isfinite(out);
}

} // namespace

bool GraphSearch::parse(std::string_view text)
{
    m_terms.clear();
    m_error.clear();
    std::vector<std::string> words;
    std::string word;
    bool quoted = false;
    bool any = false; // the word has begun (an empty "" is a word)
    for (const char c : text) {
        if (c == '"') {
            quoted = !quoted;
            any = true;
        } else if (!quoted && (c == ' ' || c == '\t')) {
            if (any)
                words.push_back(std::move(word));
            word.clear();
            any = false;
        } else {
            word.push_back(c);
            any = true;
        }
    }
    if (quoted) {
        m_error = "a quote is not closed";
        return false;
    }
    if (any)
        words.push_back(std::move(word));

    for (std::string& w : words) {
        Term t;
        std::string_view s(w);
        if (s.size() > 1 && s.front() == '-') {
            t.negated = true;
            s.remove_prefix(1);
        }
        // name:value, name=value, name>=N, ... : the first operator character splits.
        const std::size_t at = s.find_first_of(":=<>");
        if (at == std::string_view::npos || at == 0) {
            t.text = folded(s);
            m_terms.push_back(std::move(t));
            continue;
        }
        t.name = std::string(s.substr(0, at));
        std::string_view rest = s.substr(at);
        if (rest.starts_with(">=")) {
            t.op = Op::GreaterEqual;
            rest.remove_prefix(2);
        } else if (rest.starts_with("<=")) {
            t.op = Op::LessEqual;
            rest.remove_prefix(2);
        } else {
            t.op = rest[0] == ':' ? Op::Contains : rest[0] == '=' ? Op::Equals : rest[0] == '>' ? Op::Greater : Op::Less;
            rest.remove_prefix(1);
        }
        if (t.op == Op::Contains && t.name == "has") {
            if (rest.empty()) {
                m_error = "has: needs a property name";
                return false;
            }
            t.op = Op::Has;
            t.name = std::string(rest);
            m_terms.push_back(std::move(t));
            continue;
        }
        if (t.op != Op::Contains && t.op != Op::Equals) {
            if (!parseNumber(rest, t.number)) {
                m_error = "'" + w + "' compares with something that is not a number";
                return false;
            }
            t.isNumber = true;
        } else {
            t.isNumber = t.op == Op::Equals && parseNumber(rest, t.number);
            t.text = folded(rest);
        }
        m_terms.push_back(std::move(t));
    }
    return true;
}

bool GraphSearch::termMatches(const GraphDocument& doc, const GraphDocument::Entity& e, const Term& t) const
{
    if (t.name.empty()) {
        // Anywhere: the label, any string property, the text of an annotation on it.
        if (containsFolded(doc.label(e), t.text))
            return true;
        bool found = false;
        doc.forEachProperty(e, [&](std::string_view, const Value& v) {
            if (!found && v.type() == ValueType::String)
                found = containsFolded(v.toStringView(), t.text);
        });
        if (found)
            return true;
        auto it = std::lower_bound(m_annotationTexts.begin(), m_annotationTexts.end(), e.id,
                                   [](const auto& p, EntityId id) { return p.first < id; });
        for (; it != m_annotationTexts.end() && it->first == e.id; ++it)
            if (containsFolded(it->second, t.text))
                return true;
        return false;
    }

    // A named field or property.
    Value v;
    if (t.name == "label")
        v = Value(doc.label(e));
    else if (t.name == "size" && e.kind == EntityKind::Node)
        v = Value(double(doc.size(e)));
    else if (t.name == "weight" && e.kind == EntityKind::Edge)
        v = Value(doc.weight(e));
    else
        v = doc.value(e, FieldRef {Field::Property, t.name});
    if (t.op == Op::Has)
        return !v.isNone() && !(t.name == "label" && v.toStringView().empty());
    if (v.isNone())
        return false;
    const bool isNumber = v.type() == ValueType::Int || v.type() == ValueType::Double;
    switch (t.op) {
    case Op::Contains: return containsFolded(v.display(), t.text);
    case Op::Equals:
        if (isNumber && t.isNumber)
            return v.toNumber() == t.number;
        return equalsFolded(v.type() == ValueType::String ? std::string(v.toStringView()) : v.display(), t.text);
    case Op::Greater: return isNumber && v.toNumber() > t.number;
    case Op::GreaterEqual: return isNumber && v.toNumber() >= t.number;
    case Op::Less: return isNumber && v.toNumber() < t.number;
    case Op::LessEqual: return isNumber && v.toNumber() <= t.number;
    case Op::Has: break;
    }
    return false;
}

bool GraphSearch::matches(const GraphDocument& document, const GraphDocument::Entity& entity) const
{
    if (m_terms.empty() || (entity.kind != EntityKind::Node && entity.kind != EntityKind::Edge))
        return false;
    for (const Term& t : m_terms)
        if (termMatches(document, entity, t) == t.negated)
            return false;
    return true;
}

std::vector<EntityId> GraphSearch::run(const GraphDocument& document) const
{
    std::vector<EntityId> found;
    if (m_terms.empty())
        return found;
    m_annotationTexts.clear();
    document.forEach(EntityKind::Annotation, [&](const GraphDocument::Entity& a) {
        if (!document.text(a).empty())
            m_annotationTexts.emplace_back(a.a, std::string(document.text(a)));
    });
    std::sort(m_annotationTexts.begin(), m_annotationTexts.end());
    for (const EntityKind kind : {EntityKind::Node, EntityKind::Edge})
        document.forEach(kind, [&](const GraphDocument::Entity& e) {
            if (matches(document, e))
                found.push_back(e.id);
        });
    m_annotationTexts.clear();
    std::sort(found.begin(), found.end());
    return found;
}

} // namespace constellate
