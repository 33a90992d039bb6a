// docs/protocol.md is the protocol's specification: its message-type table and its
// error-code table must say exactly what the code says, in both directions (nothing
// missing, nothing extra, same codes, names, directions), and its version header must
// name the version the code speaks.

#include "protocol.h"

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

using namespace constellate::net::protocol;

namespace {

std::string readDoc()
{
    std::ifstream in(CONSTELLATE_DOCS_DIR "/protocol.md");
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

std::string trim(const std::string& s)
{
    const auto b = s.find_first_not_of(" \t");
    const auto e = s.find_last_not_of(" \t");
    return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

/// The data rows of the markdown table between <!-- NAME:begin --> and <!-- NAME:end -->.
std::vector<std::vector<std::string>> tableRows(const std::string& doc, const std::string& name)
{
    const std::string begin = "<!-- " + name + ":begin -->", end = "<!-- " + name + ":end -->";
    const auto b = doc.find(begin), e = doc.find(end);
    EXPECT_NE(b, std::string::npos) << begin << " is missing";
    EXPECT_NE(e, std::string::npos) << end << " is missing";
    EXPECT_EQ(doc.find(begin, b + 1), std::string::npos) << "two " << begin;
    std::vector<std::vector<std::string>> rows;
    if (b == std::string::npos || e == std::string::npos || e < b)
        return rows;
    std::istringstream lines(doc.substr(b + begin.size(), e - b - begin.size()));
    std::string line;
    int seen = 0;
    while (std::getline(lines, line)) {
        line = trim(line);
        if (line.empty())
            continue;
        EXPECT_EQ(line.front(), '|') << "not a table row: " << line;
        EXPECT_EQ(line.back(), '|') << "not a table row: " << line;
        if (line.size() < 2)
            continue;
        std::vector<std::string> cells;
        std::stringstream cellStream(line.substr(1, line.size() - 2));
        std::string cell;
        while (std::getline(cellStream, cell, '|'))
            cells.push_back(trim(cell));
        if (++seen <= 2)
            continue; // the header and the |---| line
        rows.push_back(cells);
    }
    return rows;
}

const char* flowText(Flow f)
{
    switch (f) {
    case Flow::ClientToServer: return "client → server";
    case Flow::ServerToClient: return "server → client";
    case Flow::Both: return "both";
    }
    return "?";
}

} // namespace

TEST(ProtocolDoc, MessageTableMatchesTheCode)
{
    const std::vector<std::vector<std::string>> rows = tableRows(readDoc(), "message-table");
    ASSERT_FALSE(rows.empty());
    std::map<int, const std::vector<std::string>*> documented;
    for (const auto& row : rows) {
        ASSERT_GE(row.size(), 5u) << "code | name | direction | relayed | purpose";
        ASSERT_EQ(row[0].rfind("0x", 0), 0u) << "codes are written 0x..: " << row[0];
        const int code = std::stoi(row[0], nullptr, 16);
        EXPECT_TRUE(documented.emplace(code, &row).second) << row[0] << " documented twice";
        EXPECT_FALSE(row[4].empty()) << row[1] << " has no purpose";
    }
    // Everything in the code is documented, the same way ...
    for (const MessageInfo& m : messageTable()) {
        const auto it = documented.find(int(m.type));
        if (it == documented.end()) {
            ADD_FAILURE() << m.name << " (code " << int(m.type) << ") is missing from docs/protocol.md";
            continue;
        }
        const std::vector<std::string>& row = *it->second;
        EXPECT_EQ(row[1], m.name) << "code " << row[0];
        EXPECT_EQ(row[2], flowText(m.flow)) << m.name;
        EXPECT_EQ(row[3], m.relayed ? "yes" : "no") << m.name;
    }
    // ... and nothing is documented that the code does not have.
    for (const auto& [code, row] : documented)
        EXPECT_NE(messageInfo(std::uint8_t(code)), nullptr)
            << (*row)[1] << " (" << (*row)[0] << ") is documented but not in net/protocol.h";
    EXPECT_EQ(documented.size(), messageTable().size());
}

TEST(ProtocolDoc, ErrorTableMatchesTheCode)
{
    const std::vector<std::vector<std::string>> rows = tableRows(readDoc(), "error-table");
    ASSERT_FALSE(rows.empty());
    std::map<int, std::string> documented;
    for (const auto& row : rows) {
        ASSERT_GE(row.size(), 3u) << "code | name | meaning";
        EXPECT_TRUE(documented.emplace(std::stoi(row[0]), row[1]).second) << row[0] << " documented twice";
        EXPECT_FALSE(row[2].empty()) << row[1] << " has no meaning";
    }
    for (const ErrorInfo& e : errorTable()) {
        const auto it = documented.find(int(e.code));
        if (it == documented.end())
            ADD_FAILURE() << e.name << " is missing from docs/protocol.md";
        else
            EXPECT_EQ(it->second, e.name);
    }
    for (const auto& [code, name] : documented)
        EXPECT_NE(errorInfo(std::uint64_t(code)), nullptr) << name << " is documented but not in net/protocol.h";
}

TEST(ProtocolDoc, VersionHeaderNamesTheCodesVersion)
{
    const std::string doc = readDoc();
    EXPECT_NE(doc.find("\nProtocol version: " + std::to_string(ProtocolVersion) + "\n"), std::string::npos);
    EXPECT_NE(doc.find("- **Version " + std::to_string(ProtocolVersion) + "**"), std::string::npos)
        << "the changelog has an entry for the current version";
}
