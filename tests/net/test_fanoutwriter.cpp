// FanOutWriter: every send tried once, in one sendmsg() each, on one or two threads;
// what a full socket buffer refuses is reported so the caller can queue it.

#include "fanoutwriter.h"

#include <gtest/gtest.h>

#include <array>
#include <string>
#include <vector>

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

namespace {

using constellate::net::FanOutWriter;

/// A connected pair of local stream sockets, the writing end non-blocking.
struct Pair {
    int writer = -1;
    int reader = -1;
    Pair()
    {
        int fds[2];
        if (::socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0) {
            writer = fds[0];
            reader = fds[1];
            ::fcntl(writer, F_SETFL, ::fcntl(writer, F_GETFL) | O_NONBLOCK);
        }
    }
    ~Pair()
    {
        ::close(writer);
        ::close(reader);
    }
    std::string readAvailable() const
    {
        std::string out;
        std::array<char, 4096> buf {};
        ::fcntl(reader, F_SETFL, ::fcntl(reader, F_GETFL) | O_NONBLOCK);
        for (;;) {
            const ssize_t n = ::read(reader, buf.data(), buf.size());
            if (n <= 0)
                return out;
            out.append(buf.data(), std::size_t(n));
        }
    }
};

void writeToAll(FanOutWriter& writer, std::size_t count, bool expectParallel)
{
    std::vector<Pair> pairs(count);
    std::vector<std::string> bodies;
    for (std::size_t i = 0; i < count; ++i)
        bodies.push_back("message for recipient " + std::to_string(i));
    const std::string header = "H:";
    std::vector<FanOutWriter::Send> sends;
    for (std::size_t i = 0; i < count; ++i) {
        ASSERT_GE(pairs[i].writer, 0);
        sends.push_back({pairs[i].writer, header.data(), header.size(), bodies[i].data(), bodies[i].size(), 0});
    }
    const auto before = writer.parallelBatches();
    writer.write(sends);
    EXPECT_EQ(writer.parallelBatches() - before, expectParallel ? 1u : 0u);
    for (std::size_t i = 0; i < count; ++i) {
        EXPECT_EQ(sends[i].written, header.size() + bodies[i].size()) << i;
        EXPECT_EQ(pairs[i].readAvailable(), header + bodies[i]) << i;
    }
}

TEST(FanOutWriter, SmallBatchesStayOnTheCallingThread)
{
    FanOutWriter writer(8);
    writeToAll(writer, 7, false);
}

TEST(FanOutWriter, LargeBatchesAreSplitAndEveryRecipientGetsItsOwnBytes)
{
    FanOutWriter writer(8);
    for (int round = 0; round < 20; ++round)
        writeToAll(writer, 8 + std::size_t(round) * 7, true);
}

TEST(FanOutWriter, ZeroNeverSplits)
{
    FanOutWriter writer(0);
    writeToAll(writer, 100, false);
}

TEST(FanOutWriter, AFullSocketReportsWhatItTookAndTheOthersStillGetTheirs)
{
    FanOutWriter writer(2);
    Pair full;
    Pair healthy;
    ASSERT_GE(full.writer, 0);
    int small = 4096;
    ::setsockopt(full.writer, SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
    // Fill the socket until the kernel refuses more.
    const std::string chunk(4096, 'x');
    while (::send(full.writer, chunk.data(), chunk.size(), MSG_DONTWAIT) > 0) {
    }
    const std::string header = "hdr";
    const std::string body(1000, 'b');
    std::vector<FanOutWriter::Send> sends {
        {full.writer, header.data(), header.size(), body.data(), body.size(), 99},
        {healthy.writer, header.data(), header.size(), body.data(), body.size(), 0},
    };
    writer.write(sends);
    EXPECT_EQ(sends[0].written, 0u);
    EXPECT_EQ(sends[1].written, header.size() + body.size());
    EXPECT_EQ(healthy.readAvailable(), header + body);
}

TEST(FanOutWriter, AClosedPeerIsAnErrorNotACrash)
{
    FanOutWriter writer(0);
    Pair pair;
    ::close(pair.reader);
    pair.reader = -1;
    const std::string body = "nobody reads this";
    std::vector<FanOutWriter::Send> sends {{pair.writer, body.data(), body.size(), nullptr, 0, 0}};
    writer.write(sends); // MSG_NOSIGNAL: no SIGPIPE
    EXPECT_EQ(sends[0].written, 0u);
}

} // namespace
