#pragma once

#include "textscan.h"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace constellate {

/// A pull scanner for the XML that graph files contain, over bytes already in memory.
///
/// Hand-written because QXmlStreamReader is several times too slow for large GraphML
/// files (it copies every name and value into QStrings). It checks well-formedness
/// (matching tags, attribute syntax, entities, UTF-8, one root element) and reports every
/// error with line and column. It does not process DTDs (a DOCTYPE is skipped, so entities
/// other than the five predefined ones and character references are errors) and ignores
/// namespaces: names are reported without their prefix.
///
/// Views it returns point into the input or into its own buffers; they stay valid until
/// the next call that moves the scanner.
class XmlScanner {
public:
    enum class Event { StartElement, EndElement, EndDocument };
    struct Attribute {
        std::string_view qualifiedName;
        std::string_view name; ///< without namespace prefix
        std::string_view value; ///< entities decoded, whitespace normalised as XML requires
        const char* at; ///< where the attribute starts, for errors
        bool decoded; ///< value lives in a scratch buffer, not the input
    };

    /// Checks the encoding (UTF-8, optionally with a byte order mark) before anything else.
    explicit XmlScanner(const TextScan& text);

    /// The next start or end tag (a self-closing tag gives both). Text, comments,
    /// processing instructions and the DOCTYPE in between are checked and skipped.
    Event next();

    /// The current element's name without prefix (for StartElement and EndElement).
    std::string_view name() const { return m_name; }
    /// Where the current tag starts (its '<').
    const char* tagStart() const { return m_tagStart; }
    /// Depth of the current element: 1 for the root.
    int depth() const { return int(m_open.size()); }

    /// Attributes of the current start tag.
    const std::vector<Attribute>& attributes() const { return m_attributes; }
    // Inline: readers ask with literals, and the comparisons then compile to a few loads.
    const Attribute* findAttribute(std::string_view name) const
    {
        for (const Attribute& a : m_attributes) {
            if (a.name == name)
                return &a;
        }
        return nullptr;
    }
    std::optional<std::string_view> attribute(std::string_view name) const
    {
        if (const Attribute* a = findAttribute(name))
            return a->value;
        return std::nullopt;
    }

    /// After a StartElement: the element's own text (text and CDATA, entities decoded),
    /// reading through its end tag. Child elements are checked and skipped; `hadChildren`
    /// says whether there were any (GraphML data holding yFiles markup, for example).
    std::string_view readText(bool* hadChildren = nullptr);
    /// Where the text that readText returned starts (for errors about its content).
    const char* textStart() const { return m_textStart; }
    /// After a StartElement: skips the element and everything in it.
    void skipElement();

    [[noreturn]] void fail(const char* at, const std::string& message) const { m_text.fail(at, message); }
    const TextScan& text() const { return m_text; }

private:
    struct Open {
        std::string_view qualifiedName;
        const char* at;
    };
    enum class Markup { Start, End, Other };

    void scanTextSegment(const char* end, bool collect);
    Markup scanMarkup();
    void parseStartTag();
    void parseEndTag();
    void skipComment();
    void skipProcessingInstruction();
    void skipDoctype();
    void scanCdata(bool collect);
    void readContent(bool collect, bool* hadChildren);
    void appendPiece(std::string_view piece);
    std::string_view scanName(const char*& p, std::string_view& local);
    const char* decodeReference(const char* amp, const char* limit, std::string* out) const;
    void decodeInto(std::string& out, std::string_view raw, bool attribute, const char* rawAt) const;
    [[noreturn]] void failUnclosed() const;

    const TextScan& m_text;
    const char* m_p;
    const char* const m_end;
    std::vector<Open> m_open;
    std::vector<Attribute> m_attributes;
    std::vector<std::string> m_attributeBuffers;
    std::string_view m_name;
    const char* m_tagStart = nullptr;
    bool m_selfClosing = false;
    bool m_pendingEnd = false;
    bool m_rootSeen = false;
    // readText's result: a single piece stays a view into the input; more are joined here.
    std::string m_textBuffer;
    std::string_view m_textView;
    bool m_textJoined = false;
    const char* m_textStart = nullptr;
};

/// Appends text escaped for XML content or (with `attribute`) a double-quoted attribute
/// value. Characters XML 1.0 cannot hold at all (most C0 controls, U+FFFE, U+FFFF) and
/// invalid UTF-8 become U+FFFD, so the output is always well-formed.
void appendXmlEscaped(std::string& out, std::string_view s, bool attribute);

/// The name GraphML and GEXF give a value type in a key or attribute declaration.
const char* xmlTypeName(ValueType t);
/// Appends a value as a key declared with `type` holds it (escaped for an attribute or
/// for element content). False when it cannot be (a string under a numeric key): the
/// caller leaves the value out rather than write what a reader would refuse.
bool appendTypedXmlValue(std::string& out, ValueType type, const Value& v, bool attribute);

} // namespace constellate
