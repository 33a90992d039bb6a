// The encoded transaction: round trips, and untrusted bytes that must be refused
// cleanly (never a crash, never a half-read transaction).

#include "bytecodec.h"
#include "transaction.h"

#include <gtest/gtest.h>

#include <random>

using namespace constellate;

namespace {

Transaction sample()
{
    TransactionBuilder b(0xabcdef01, 77, 5);
    const EntityId n = b.createNode({{{Field::Label, {}}, Value("Alpha")},
                                     {{Field::Position, {}}, Value(Vec3 {1, 2, 3})},
                                     {{Field::Property, "count"}, Value(std::int64_t(-3))}});
    const EntityId m = b.createNode();
    const EntityId foreign {0x12345678, 9};
    b.createEdge(n, foreign, true, {{{Field::Weight, {}}, Value(0.5)}});
    b.createAnnotation(m, AnnotationKind::Highlight, {{{Field::Text, {}}, Value("look")}});
    b.set(n, {Field::Property, "flag"}, Value(true), OpId {0x12345678, 4});
    b.set(m, {Field::Exists, {}}, Value(false), m);
    return b.finish(Hlc::make(1'700'000'000'000ull, 3));
}

} // namespace

TEST(Transaction, RoundTripsEveryOperation)
{
    const Transaction t = sample();
    std::string error;
    const auto d = Transaction::decode(t.bytes(), &error);
    ASSERT_TRUE(d) << error;
    EXPECT_EQ(d->header().replica, 0xabcdef01u);
    EXPECT_EQ(d->header().author, 77u);
    EXPECT_EQ(d->header().firstCounter, 5u);
    EXPECT_EQ(d->header().opCount, 6u);
    EXPECT_EQ(d->header().hlc, Hlc::make(1'700'000'000'000ull, 3));

    std::vector<Operation> ops;
    d->forEachOp([&](std::uint32_t, const Operation& op) { ops.push_back(op); });
    ASSERT_EQ(ops.size(), 6u);
    EXPECT_EQ(ops[0].type, OpType::CreateNode);
    ASSERT_EQ(ops[0].fields.size(), 3u);
    EXPECT_EQ(ops[0].fields[0].value, Value("Alpha"));
    EXPECT_EQ(ops[0].fields[2].ref.property, "count");
    EXPECT_EQ(ops[2].type, OpType::CreateEdge);
    EXPECT_EQ(ops[2].source, (OpId {0xabcdef01, 5}));
    EXPECT_EQ(ops[2].edgeTarget, (OpId {0x12345678, 9}));
    EXPECT_TRUE(ops[2].directed);
    EXPECT_EQ(ops[3].annotationKind, AnnotationKind::Highlight);
    EXPECT_EQ(ops[3].target, (OpId {0xabcdef01, 6}));
    EXPECT_EQ(ops[4].prev, (OpId {0x12345678, 4}));
    EXPECT_EQ(ops[5].fields[0].value, Value(false));
}

TEST(Transaction, EveryTruncationIsRefused)
{
    const std::string bytes = sample().bytes();
    for (std::size_t cut = 0; cut < bytes.size(); ++cut) {
        std::string error;
        EXPECT_FALSE(Transaction::decode(bytes.substr(0, cut), &error)) << cut;
        EXPECT_NE(error.find("malformed transaction"), std::string::npos);
    }
    std::string error;
    EXPECT_FALSE(Transaction::decode(bytes + "x", &error));
    EXPECT_NE(error.find("after the last operation"), std::string::npos);
}

TEST(Transaction, RandomCorruptionNeverCrashes)
{
    const std::string bytes = sample().bytes();
    std::mt19937 rng(42);
    int accepted = 0;
    for (int i = 0; i < 20'000; ++i) {
        std::string b = bytes;
        for (int k = 1 + int(rng() % 4); k > 0; --k)
            b[rng() % b.size()] = char(rng());
        std::string error;
        if (auto t = Transaction::decode(b, &error)) {
            ++accepted; // still well-formed: every op must decode again
            int n = 0;
            t->forEachOp([&](std::uint32_t, const Operation&) { ++n; });
            EXPECT_EQ(std::uint32_t(n), t->header().opCount);
        } else {
            EXPECT_FALSE(error.empty());
        }
    }
    EXPECT_LT(accepted, 20'000);
}

TEST(Transaction, RefusesBadValues)
{
    auto encodeWith = [](auto&& mutate) {
        std::string body;
        ByteWriter w(body);
        w.u8(1);          // version
        w.u32(1);         // replica
        w.varint(1);      // author
        w.u64(1);         // hlc
        w.varint(1);      // first counter
        w.varint(1);      // op count
        w.varint(0);      // replica table
        mutate(w);
        return body;
    };
    struct Case {
        const char* what;
        std::function<void(ByteWriter&)> op;
        const char* expected;
    };
    const std::vector<Case> cases = {
        {"non-finite position",
         [](ByteWriter& w) {
             w.u8(std::uint8_t(OpType::SetField));
             w.varint(1); w.varint(1); w.varint(0);
             w.u8(std::uint8_t(Field::Position));
             w.u8(std::uint8_t(ValueType::Vec3));
             w.f32(1); w.f32(std::numeric_limits<float>::infinity()); w.f32(0);
         },
         "not finite"},
        {"invalid UTF-8",
         [](ByteWriter& w) {
             w.u8(std::uint8_t(OpType::SetField));
             w.varint(1); w.varint(1); w.varint(0);
             w.u8(std::uint8_t(Field::Label));
             w.u8(std::uint8_t(ValueType::String));
             w.bytes("\xc3\x28");
         },
         "UTF-8"},
        {"wrong type for the field",
         [](ByteWriter& w) {
             w.u8(std::uint8_t(OpType::SetField));
             w.varint(1); w.varint(1); w.varint(0);
             w.u8(std::uint8_t(Field::Label));
             w.value(Value(3.0));
         },
         "label takes a string"},
        {"unknown op type", [](ByteWriter& w) { w.u8(99); }, "unknown operation type"},
        {"unknown field",
         [](ByteWriter& w) {
             w.u8(std::uint8_t(OpType::SetField));
             w.varint(1); w.varint(1); w.varint(0);
             w.u8(200);
         },
         "unknown field"},
        {"replica outside the table",
         [](ByteWriter& w) {
             w.u8(std::uint8_t(OpType::SetField));
             w.varint(5); w.varint(1);
         },
         "not in the transaction's table"},
        {"oversize string",
         [](ByteWriter& w) {
             w.u8(std::uint8_t(OpType::SetField));
             w.varint(1); w.varint(1); w.varint(0);
             w.u8(std::uint8_t(Field::Label));
             w.u8(std::uint8_t(ValueType::String));
             w.bytes(std::string(70'000, 'a'));
         },
         "exceeds the limit"},
        {"position on an edge at creation",
         [](ByteWriter& w) {
             w.u8(std::uint8_t(OpType::CreateEdge));
             w.varint(1); w.varint(1); w.varint(1); w.varint(1); w.u8(0);
             w.varint(1);
             w.u8(std::uint8_t(Field::Position));
             w.value(Value(Vec3 {}));
         },
         "has no position"},
    };
    for (const Case& c : cases) {
        std::string error;
        EXPECT_FALSE(Transaction::decode(encodeWith(c.op), &error)) << c.what;
        EXPECT_NE(error.find(c.expected), std::string::npos) << c.what << ": " << error;
    }
}

TEST(Transaction, BuilderRefusesInvalidValues)
{
    TransactionBuilder b(1, 1, 1);
    EXPECT_THROW(b.createNode({{{Field::Size, {}}, Value(-1.0)}}), std::invalid_argument);
    EXPECT_THROW(b.createNode({{{Field::Weight, {}}, Value(1.0)}}), std::invalid_argument);
    EXPECT_THROW(b.set({1, 1}, {Field::Label, {}}, Value("\xff"), {}), std::invalid_argument);
    EXPECT_THROW(b.set({1, 1}, {Field::Property, ""}, Value(1.0), {}), std::invalid_argument);
}

TEST(Utf8, Validation)
{
    EXPECT_TRUE(isValidUtf8(""));
    EXPECT_TRUE(isValidUtf8("plain ascii text that is longer than eight bytes"));
    EXPECT_TRUE(isValidUtf8("Beta \xc3\xbc \xe2\x82\xac \xf0\x9f\x98\x80"));
    EXPECT_FALSE(isValidUtf8("\xc0\xaf"));         // overlong
    EXPECT_FALSE(isValidUtf8("\xed\xa0\x80"));     // surrogate
    EXPECT_FALSE(isValidUtf8("\xf4\x90\x80\x80")); // past U+10FFFF
    EXPECT_FALSE(isValidUtf8("abc\xe2\x82"));      // truncated
    EXPECT_FALSE(isValidUtf8("\x80"));
}
