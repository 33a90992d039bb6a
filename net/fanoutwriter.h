#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <span>
#include <thread>

namespace constellate::net {

/// Writes one event-loop turn's frames straight to many non-blocking sockets with one
/// sendmsg() each, on two threads when the batch is large enough to pay for the hand-over.
/// On loopback most of a send's cost is the kernel's (the receiver's TCP processing runs
/// in the sender's system call), so a fan-out to hundreds of clients is bound by syscalls;
/// the second core halves the time to the last recipient (docs/benchmarks.md).
///
/// Both threads take the sends in order, a few at a time, from one shared counter: when the
/// second thread is late (its core busy with something else), the calling thread goes on
/// with the rest instead of waiting for it, so a batch never takes longer than on one thread
/// plus one small piece. Recipients early in the span are sent to first.
///
/// write() returns only when every send has been tried: the caller's buffers only need to
/// live for the call, and the caller alone touches its sockets' Qt state. Not reentrant;
/// one writer per relay thread.
class FanOutWriter {
public:
    struct Send {
        int fd = -1;
        const void* header = nullptr;
        std::size_t headerSize = 0;
        const void* body = nullptr;
        std::size_t bodySize = 0;
        /// Out: bytes the kernel took (0 when the socket's buffer was full or on an error;
        /// the caller queues the rest behind Qt's own buffer).
        std::size_t written = 0;
    };

    /// `parallelFrom`: batches of at least this many sends are split between the calling
    /// thread and the writer's own; 0 never splits (and starts no thread).
    explicit FanOutWriter(std::size_t parallelFrom = 64);
    ~FanOutWriter();
    FanOutWriter(const FanOutWriter&) = delete;
    FanOutWriter& operator=(const FanOutWriter&) = delete;

    void write(std::span<Send> sends);

    /// Batches offered to the second thread, for /metrics and tests.
    std::uint64_t parallelBatches() const { return m_parallelBatches; }

    /// Sends taken at a time from the shared counter.
    static constexpr std::size_t Piece = 8;

private:
    static void sendAll(std::span<Send> sends);
    /// Takes pieces of m_work until none is left.
    void drain(std::span<Send> sends);
    void run();

    std::size_t m_parallelFrom;
    std::uint64_t m_parallelBatches = 0;
    std::mutex m_mutex;
    std::condition_variable m_wake;
    std::condition_variable m_done;
    std::span<Send> m_work;
    std::atomic<std::size_t> m_next {0}; ///< the next send of m_work not taken yet
    bool m_hasWork = false; ///< m_work is offered and the second thread has not taken it
    bool m_helping = false; ///< the second thread is sending from m_work
    bool m_stop = false;
    std::thread m_thread;
};

} // namespace constellate::net
