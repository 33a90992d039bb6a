#include "xmlscanner.h"

#include <array>
#include <cmath>
#include <cstring>
#include <unordered_set>

namespace constellate {

namespace {

constexpr std::uint8_t NameStart = 1;
constexpr std::uint8_t NameChar = 2;
constexpr std::uint8_t AttrSpecial = 4; // ends or complicates an attribute value
constexpr std::uint8_t Colon = 8;
constexpr std::uint8_t TextSpecial = 16; // needs decoding in text: '&', '\r'

constexpr std::array<std::uint8_t, 256> makeCharTable()
{
    std::array<std::uint8_t, 256> t {};
    for (int c = 0; c < 256; ++c) {
        const bool start = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' || c == ':' || c >= 0x80;
        const bool rest = start || (c >= '0' && c <= '9') || c == '-' || c == '.';
        t[std::size_t(c)] = std::uint8_t((start ? NameStart : 0) | (rest ? NameChar : 0));
    }
    for (const char c : { '"', '\'', '<', '&', '\t', '\n', '\r' })
        t[static_cast<unsigned char>(c)] |= AttrSpecial;
    t[':'] |= Colon;
    t['&'] |= TextSpecial;
    t['\r'] |= TextSpecial;
    return t;
}

constexpr std::array<std::uint8_t, 256> CharTable = makeCharTable();

std::uint8_t charClass(char c)
{
    return CharTable[static_cast<unsigned char>(c)];
}

bool startsWith(const char* p, const char* end, std::string_view prefix)
{
    return std::size_t(end - p) >= prefix.size() && std::memcmp(p, prefix.data(), prefix.size()) == 0;
}

const char* findChar(const char* p, const char* end, char c)
{
    const void* hit = std::memchr(p, c, std::size_t(end - p));
    return hit ? static_cast<const char*>(hit) : end;
}

const char* findText(const char* p, const char* end, std::string_view needle)
{
    const std::string_view hay(p, std::size_t(end - p));
    const std::size_t at = hay.find(needle);
    return at == std::string_view::npos ? nullptr : p + at;
}

bool isXmlChar(std::uint32_t c)
{
    return c == 0x9 || c == 0xa || c == 0xd || (c >= 0x20 && c <= 0xd7ff) || (c >= 0xe000 && c <= 0xfffd)
        || (c >= 0x10000 && c <= 0x10ffff);
}

// Names are short: a loop beats a call to memcmp, and end tags always need one.
bool sameName(std::string_view a, std::string_view b)
{
    if (a.size() != b.size())
        return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (a[i] != b[i])
            return false;
    }
    return true;
}

std::string quoteName(std::string_view name)
{
    return "<" + std::string(name) + ">";
}

// A file that fails UTF-8 validation often says why in its declaration.
std::string declaredEncoding(std::string_view bytes)
{
    const std::string_view head = bytes.substr(0, 256);
    if (head.substr(0, 5) != "<?xml")
        return {};
    const std::size_t close = head.find("?>");
    const std::size_t at = head.find("encoding");
    if (at == std::string_view::npos || (close != std::string_view::npos && at > close))
        return {};
    std::size_t q = head.find_first_of("'\"", at);
    if (q == std::string_view::npos)
        return {};
    const std::size_t qe = head.find(head[q], q + 1);
    if (qe == std::string_view::npos)
        return {};
    return std::string(head.substr(q + 1, qe - q - 1));
}

} // namespace

XmlScanner::XmlScanner(const TextScan& text)
    : m_text(text)
    , m_p(text.begin())
    , m_end(text.end())
{
    const std::string_view b = text.bytes();
    if (b.size() >= 2 && ((b[0] == '\xff' && b[1] == '\xfe') || (b[0] == '\xfe' && b[1] == '\xff')))
        fail(m_p, "UTF-16 is not supported: save the file as UTF-8");
    if (b.substr(0, 3) == "\xef\xbb\xbf")
        m_p += 3;
    const std::size_t bad = findInvalidUtf8(b);
    if (bad != std::string_view::npos) {
        const std::string enc = declaredEncoding(b.substr(m_p - text.begin()));
        fail(text.begin() + bad,
            enc.empty() ? "invalid UTF-8 (the file must be UTF-8 encoded)"
                        : "invalid UTF-8: the file declares encoding '" + enc + "'; only UTF-8 is supported");
    }
}

XmlScanner::Event XmlScanner::next()
{
    if (m_pendingEnd) {
        m_pendingEnd = false;
        m_open.pop_back();
        return Event::EndElement;
    }
    for (;;) {
        scanTextSegment(findChar(m_p, m_end, '<'), false);
        if (m_p == m_end) {
            if (!m_open.empty())
                failUnclosed();
            if (!m_rootSeen)
                fail(m_end, "no root element: the file is empty or not XML");
            return Event::EndDocument;
        }
        switch (scanMarkup()) {
        case Markup::Start:
            m_pendingEnd = m_selfClosing;
            return Event::StartElement;
        case Markup::End:
            return Event::EndElement;
        case Markup::Other:
            break;
        }
    }
}

std::string_view XmlScanner::readText(bool* hadChildren)
{
    if (hadChildren)
        *hadChildren = false;
    readContent(true, hadChildren);
    if (m_textJoined)
        return m_textBuffer;
    // Never a null view, even when empty: callers hand it on to memcpy.
    return m_textView.data() ? m_textView : std::string_view(m_textStart, 0);
}

void XmlScanner::skipElement()
{
    readContent(false, nullptr);
}

void XmlScanner::readContent(bool collect, bool* hadChildren)
{
    m_textView = {};
    m_textJoined = false;
    m_textBuffer.clear();
    m_textStart = m_p;
    if (m_pendingEnd) {
        m_pendingEnd = false;
        m_open.pop_back();
        return;
    }
    const std::size_t base = m_open.size();
    bool first = true;
    for (;;) {
        const char* lt = findChar(m_p, m_end, '<');
        if (first) {
            // Errors about the value point at its first character, not at the indent.
            const char* s = m_p;
            while (s < lt && isSpace(*s))
                ++s;
            m_textStart = s;
            first = false;
        }
        scanTextSegment(lt, collect && m_open.size() == base);
        if (m_p == m_end)
            failUnclosed();
        if (m_end - m_p > 1 && m_p[1] == '!' && startsWith(m_p, m_end, "<![CDATA[")) {
            scanCdata(collect && m_open.size() == base);
            continue;
        }
        switch (scanMarkup()) {
        case Markup::Start:
            if (hadChildren)
                *hadChildren = true;
            if (m_selfClosing)
                m_open.pop_back();
            break;
        case Markup::End:
            if (m_open.size() < base)
                return;
            break;
        case Markup::Other:
            break;
        }
    }
}

void XmlScanner::appendPiece(std::string_view piece)
{
    if (piece.empty())
        return;
    if (!m_textJoined && m_textView.empty()) {
        m_textView = piece;
        return;
    }
    if (!m_textJoined) {
        m_textBuffer.assign(m_textView);
        m_textJoined = true;
    }
    m_textBuffer.append(piece);
}

void XmlScanner::scanTextSegment(const char* end, bool collect)
{
    const char* p = m_p;
    m_p = end;
    if (p == end)
        return;
    if (m_open.empty()) {
        for (; p < end; ++p) {
            if (!isSpace(*p))
                fail(p, m_rootSeen ? "text after the root element" : "text before the root element");
        }
        return;
    }
    bool plain = true;
    for (const char* q = p; q < end; ++q) {
        if (charClass(*q) & TextSpecial) {
            plain = false;
            break;
        }
    }
    if (plain) {
        if (collect)
            appendPiece({ p, std::size_t(end - p) });
        return;
    }
    if (!collect) {
        for (const char* q = p; q < end;) {
            const char* amp = findChar(q, end, '&');
            if (amp == end)
                break;
            q = decodeReference(amp, end, nullptr);
        }
        return;
    }
    if (!m_textJoined) {
        m_textBuffer.assign(m_textView);
        m_textJoined = true;
    }
    decodeInto(m_textBuffer, { p, std::size_t(end - p) }, false, p);
}

XmlScanner::Markup XmlScanner::scanMarkup()
{
    m_tagStart = m_p;
    if (m_end - m_p < 2)
        fail(m_p, "unexpected end of file after '<'");
    const char c = m_p[1];
    if (c == '/') {
        parseEndTag();
        return Markup::End;
    }
    if (c == '?') {
        skipProcessingInstruction();
        return Markup::Other;
    }
    if (c == '!') {
        if (startsWith(m_p, m_end, "<!--"))
            skipComment();
        else if (startsWith(m_p, m_end, "<![CDATA["))
            scanCdata(false);
        else if (startsWith(m_p, m_end, "<!DOCTYPE"))
            skipDoctype();
        else
            fail(m_p, "unexpected markup after '<!' (expected a comment, CDATA or DOCTYPE)");
        return Markup::Other;
    }
    parseStartTag();
    return Markup::Start;
}

std::string_view XmlScanner::scanName(const char*& p, std::string_view& local)
{
    const char* start = p;
    if (p == m_end || !(charClass(*p) & NameStart))
        return {};
    std::uint8_t seen = 0;
    for (std::uint8_t c; p < m_end && ((c = charClass(*p)) & NameChar); ++p)
        seen |= c;
    const char* localStart = start;
    if (seen & Colon) {
        // Rare (prefixed names): the local part follows the last colon.
        for (const char* q = p; q > start; --q) {
            if (q[-1] == ':') {
                localStart = q;
                break;
            }
        }
    }
    local = { localStart, std::size_t(p - localStart) };
    if (local.empty())
        local = { start, std::size_t(p - start) };
    return { start, std::size_t(p - start) };
}

void XmlScanner::parseStartTag()
{
    const char* p = m_p + 1;
    std::string_view local;
    const std::string_view qname = scanName(p, local);
    if (qname.empty())
        fail(p, "expected an element name after '<'");
    if (m_open.empty() && m_rootSeen)
        fail(m_p, "element " + quoteName(qname) + " after the root element (a file holds one root element)");
    m_attributes.clear();
    bool anyDecoded = false;
    for (;;) {
        const char* ws = p;
        while (p < m_end && isSpace(*p))
            ++p;
        if (p == m_end)
            fail(m_tagStart, "unterminated start tag " + quoteName(qname));
        if (*p == '>') {
            ++p;
            m_selfClosing = false;
            break;
        }
        if (*p == '/') {
            if (p + 1 < m_end && p[1] == '>') {
                p += 2;
                m_selfClosing = true;
                break;
            }
            fail(p, "expected '>' after '/'");
        }
        if (p == ws)
            fail(p, "expected whitespace, '>' or '/>' in tag " + quoteName(qname));
        const char* attrAt = p;
        std::string_view attrLocal;
        const std::string_view attrName = scanName(p, attrLocal);
        if (attrName.empty())
            fail(p, "expected an attribute name, '>' or '/>' in tag " + quoteName(qname));
        while (p < m_end && isSpace(*p))
            ++p;
        if (p == m_end)
            fail(m_tagStart, "unterminated start tag " + quoteName(qname));
        if (*p != '=')
            fail(p, "expected '=' after attribute name '" + std::string(attrName) + "'");
        ++p;
        while (p < m_end && isSpace(*p))
            ++p;
        if (p == m_end)
            fail(m_tagStart, "unterminated start tag " + quoteName(qname));
        const char quote = *p;
        if (quote != '"' && quote != '\'')
            fail(p, "expected a quoted value for attribute '" + std::string(attrName) + "'");
        const char* value = ++p;
        bool needsDecoding = false;
        for (;;) {
            while (p < m_end && !(charClass(*p) & AttrSpecial))
                ++p;
            if (p == m_end)
                fail(value - 1, "unterminated value of attribute '" + std::string(attrName) + "'");
            if (*p == quote)
                break;
            if (*p == '<')
                fail(p, "'<' is not allowed in an attribute value (write &lt;)");
            if (*p != '"' && *p != '\'')
                needsDecoding = true;
            ++p;
        }
        anyDecoded |= needsDecoding;
        m_attributes.push_back({ attrName, attrLocal, { value, std::size_t(p - value) }, attrAt, needsDecoding });
        ++p;
    }
    if (m_attributes.size() > 1) {
        // Quadratic for a few attributes (the normal case), a set for pathological tags.
        if (m_attributes.size() <= 16) {
            for (std::size_t i = 1; i < m_attributes.size(); ++i) {
                for (std::size_t j = 0; j < i; ++j) {
                    if (sameName(m_attributes[i].qualifiedName, m_attributes[j].qualifiedName))
                        fail(m_attributes[i].at,
                            "duplicate attribute '" + std::string(m_attributes[i].qualifiedName) + "'");
                }
            }
        } else {
            std::unordered_set<std::string_view> seen;
            for (const Attribute& a : m_attributes) {
                if (!seen.insert(a.qualifiedName).second)
                    fail(a.at, "duplicate attribute '" + std::string(a.qualifiedName) + "'");
            }
        }
    }
    if (anyDecoded) {
        // Sized before any view is taken: growing the vector would move short strings.
        if (m_attributeBuffers.size() < m_attributes.size())
            m_attributeBuffers.resize(m_attributes.size());
        for (std::size_t i = 0; i < m_attributes.size(); ++i) {
            Attribute& a = m_attributes[i];
            if (!a.decoded)
                continue;
            std::string& buffer = m_attributeBuffers[i];
            buffer.clear();
            decodeInto(buffer, a.value, true, a.value.data());
            a.value = buffer;
        }
    }
    m_open.push_back({ qname, m_tagStart });
    m_rootSeen = true;
    m_name = local;
    m_p = p;
}

void XmlScanner::parseEndTag()
{
    const char* p = m_p + 2;
    std::string_view local;
    const std::string_view qname = scanName(p, local);
    if (qname.empty())
        fail(p, "expected an element name after '</'");
    while (p < m_end && isSpace(*p))
        ++p;
    if (p == m_end)
        fail(m_tagStart, "unterminated end tag </" + std::string(qname) + ">");
    if (*p != '>')
        fail(p, "expected '>' to close end tag </" + std::string(qname) + ">");
    if (m_open.empty())
        fail(m_tagStart, "end tag </" + std::string(qname) + "> without a matching start tag");
    const Open& top = m_open.back();
    if (!sameName(top.qualifiedName, qname)) {
        fail(m_tagStart,
            "mismatched end tag </" + std::string(qname) + ">: expected </" + std::string(top.qualifiedName)
                + "> to close the element opened on line " + std::to_string(m_text.locate(top.at).line));
    }
    m_open.pop_back();
    m_name = local;
    m_p = p + 1;
}

void XmlScanner::skipComment()
{
    const char* close = findText(m_p + 4, m_end, "-->");
    if (!close)
        fail(m_p, "unterminated comment");
    m_p = close + 3;
}

void XmlScanner::skipProcessingInstruction()
{
    const char* close = findText(m_p + 2, m_end, "?>");
    if (!close)
        fail(m_p, "unterminated processing instruction");
    m_p = close + 2;
}

void XmlScanner::skipDoctype()
{
    if (m_rootSeen)
        fail(m_p, "DOCTYPE after the root element");
    // Skips the internal subset too: brackets nest, quoted text may hold anything.
    int brackets = 0;
    for (const char* p = m_p + 9; p < m_end; ++p) {
        const char c = *p;
        if (c == '"' || c == '\'') {
            const char* q = findChar(p + 1, m_end, c);
            if (q == m_end)
                break;
            p = q;
        } else if (c == '[') {
            ++brackets;
        } else if (c == ']') {
            --brackets;
        } else if (c == '>' && brackets <= 0) {
            m_p = p + 1;
            return;
        }
    }
    fail(m_p, "unterminated DOCTYPE");
}

void XmlScanner::scanCdata(bool collect)
{
    if (m_open.empty())
        fail(m_p, "CDATA outside the root element");
    const char* body = m_p + 9;
    const char* close = findText(body, m_end, "]]>");
    if (!close)
        fail(m_p, "unterminated CDATA section");
    if (collect) {
        const std::string_view raw(body, std::size_t(close - body));
        if (raw.find('\r') == std::string_view::npos) {
            appendPiece(raw);
        } else {
            if (!m_textJoined) {
                m_textBuffer.assign(m_textView);
                m_textJoined = true;
            }
            for (std::size_t i = 0; i < raw.size(); ++i) {
                if (raw[i] != '\r')
                    m_textBuffer += raw[i];
                else if (i + 1 >= raw.size() || raw[i + 1] != '\n')
                    m_textBuffer += '\n';
            }
        }
    }
    m_p = close + 3;
}

const char* XmlScanner::decodeReference(const char* amp, const char* limit, std::string* out) const
{
    const char* p = amp + 1;
    if (p < limit && *p == '#') {
        ++p;
        int base = 10;
        if (p < limit && *p == 'x') {
            base = 16;
            ++p;
        }
        const char* digits = p;
        std::uint32_t cp = 0;
        for (; p < limit && *p != ';'; ++p) {
            int d;
            const char c = *p;
            if (c >= '0' && c <= '9')
                d = c - '0';
            else if (base == 16 && c >= 'a' && c <= 'f')
                d = c - 'a' + 10;
            else if (base == 16 && c >= 'A' && c <= 'F')
                d = c - 'A' + 10;
            else
                fail(amp, "invalid character reference");
            if (cp <= 0x10ffff)
                cp = cp * std::uint32_t(base) + std::uint32_t(d);
        }
        if (p == limit || p == digits)
            fail(amp, "invalid character reference");
        if (!isXmlChar(cp))
            fail(amp, "character reference to a character XML does not allow");
        if (out)
            appendUtf8(*out, cp);
        return p + 1;
    }
    const char* nameEnd = p;
    while (nameEnd < limit && nameEnd - p < 8 && *nameEnd != ';' && (charClass(*nameEnd) & NameChar))
        ++nameEnd;
    if (nameEnd == limit || *nameEnd != ';' || nameEnd == p)
        fail(amp, "'&' must start an entity reference such as &amp;");
    const std::string_view name(p, std::size_t(nameEnd - p));
    char c;
    if (name == "lt")
        c = '<';
    else if (name == "gt")
        c = '>';
    else if (name == "amp")
        c = '&';
    else if (name == "quot")
        c = '"';
    else if (name == "apos")
        c = '\'';
    else
        fail(amp, "undefined entity &" + std::string(name) + ";");
    if (out)
        *out += c;
    return nameEnd + 1;
}

void XmlScanner::decodeInto(std::string& out, std::string_view raw, bool attribute, const char* rawAt) const
{
    const char* p = rawAt;
    const char* const end = rawAt + raw.size();
    while (p < end) {
        const char* run = p;
        while (p < end && *p != '&' && *p != '\r' && !(attribute && (*p == '\n' || *p == '\t')))
            ++p;
        out.append(run, std::size_t(p - run));
        if (p == end)
            break;
        if (*p == '&') {
            p = decodeReference(p, end, &out);
            continue;
        }
        // Line ends become "\n" in text; in attribute values all whitespace becomes a space.
        if (*p == '\r' && p + 1 < end && p[1] == '\n')
            ++p;
        out += attribute ? ' ' : (*p == '\t' ? '\t' : '\n');
        ++p;
    }
}

void XmlScanner::failUnclosed() const
{
    const Open& top = m_open.back();
    fail(m_end,
        "unexpected end of file: " + quoteName(top.qualifiedName) + " opened on line "
            + std::to_string(m_text.locate(top.at).line) + " is not closed");
}

void appendXmlEscaped(std::string& out, std::string_view s, bool attribute)
{
    static constexpr std::string_view Replacement = "\xef\xbf\xbd";
    std::size_t i = 0;
    while (i < s.size()) {
        const unsigned char c = static_cast<unsigned char>(s[i]);
        if (c >= 0x80) {
            char32_t cp;
            const int len = decodeUtf8(s, i, cp);
            if (len == 0 || cp == 0xfffe || cp == 0xffff) {
                out += Replacement;
                i += len == 0 ? 1 : std::size_t(len);
            } else {
                out.append(s.data() + i, std::size_t(len));
                i += std::size_t(len);
            }
            continue;
        }
        switch (c) {
        case '&':
            out += "&amp;";
            break;
        case '<':
            out += "&lt;";
            break;
        case '>':
            out += "&gt;";
            break;
        case '"':
            out += attribute ? "&quot;" : "\"";
            break;
        case '\t':
            out += attribute ? "&#9;" : "\t";
            break;
        case '\n':
            out += attribute ? "&#10;" : "\n";
            break;
        case '\r':
            out += "&#13;";
            break;
        default:
            if (c < 0x20)
                out += Replacement;
            else
                out += char(c);
        }
        ++i;
    }
}

const char* xmlTypeName(ValueType t)
{
    switch (t) {
    case ValueType::Bool: return "boolean";
    case ValueType::Int: return "long";
    case ValueType::Double: return "double";
    default: return "string";
    }
}

bool appendTypedXmlValue(std::string& out, ValueType type, const Value& v, bool attribute)
{
    switch (type) {
    case ValueType::Bool:
        if (v.type() != ValueType::Bool)
            return false;
        out += v.toBool() ? "true" : "false";
        return true;
    case ValueType::Int:
        if (v.type() == ValueType::Int) {
            appendInt(out, v.toInt());
            return true;
        }
        if (v.type() == ValueType::Bool) {
            out += v.toBool() ? '1' : '0';
            return true;
        }
        if (v.type() == ValueType::Double && v.toDouble() == std::floor(v.toDouble())
            && std::fabs(v.toDouble()) < 9.2e18) {
            appendInt(out, std::int64_t(v.toDouble()));
            return true;
        }
        return false;
    case ValueType::Double:
        if (v.type() != ValueType::Double && v.type() != ValueType::Int)
            return false;
        appendDouble(out, v.toNumber());
        return true;
    default: {
        std::string text;
        appendValueText(text, v);
        appendXmlEscaped(out, text, attribute);
        return true;
    }
    }
}

} // namespace constellate
