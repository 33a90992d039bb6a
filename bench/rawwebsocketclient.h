#pragma once

// A WebSocket client over a non-blocking socket, for the load tool: hundreds of them
// share one thread and one epoll set, so each costs a read() and a few comparisons per
// frame instead of QWebSocket's notifier, signal and QByteArray per message. Binary
// frames only; the server's frames may be fragmented (Qt splits at 512 KiB). Loopback
// only: the owner resolves and checks the address (constellate-load refuses other hosts).

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include <sys/socket.h>

namespace constellate::bench {

/// Monotonic clock in nanoseconds: the one clock every send and receipt is measured on.
std::int64_t monotonicNs();
/// CLOCK_REALTIME minus CLOCK_MONOTONIC, in nanoseconds (kernel timestamps are real time).
std::int64_t realtimeOffsetNs();

/// One client connection. Driven by its owner's event loop: call onWritable() and
/// onReadable() when epoll says so, and keep EPOLLOUT in the set while wantsWrite().
class RawWebSocketClient {
public:
    enum class State : std::uint8_t { Connecting, Handshaking, Open, Closed };

    /// A whole binary message (reassembled when fragmented); the time the read that
    /// completed it returned, and the time the kernel queued its last segment to this
    /// socket (SO_TIMESTAMPNS, on the same monotonic clock; the read time when the kernel
    /// gave none). The arrival time leaves out how long this one thread took to get to
    /// the socket: what a receiver of its own, in its own process, would see.
    std::function<void(std::string_view payload, std::int64_t readNs, std::int64_t arrivalNs)> onMessage;
    std::function<void()> onOpen;                       ///< the handshake succeeded
    std::function<void(const std::string& why)> onClosed; ///< once, whatever the cause

    RawWebSocketClient() = default;
    RawWebSocketClient(const RawWebSocketClient&) = delete;
    RawWebSocketClient& operator=(const RawWebSocketClient&) = delete;
    ~RawWebSocketClient();

    /// Starts a non-blocking connect; false with *error set when the socket cannot be made.
    bool start(const sockaddr* address, socklen_t length, std::string host, std::string path, std::string* error);
    int fd() const { return m_fd; }
    State state() const { return m_state; }
    bool wantsWrite() const { return m_state == State::Connecting || !m_outbox.empty(); }

    void onWritable();
    void onReadable();

    /// Frames (masked, as clients must) and writes at once; what the socket does not take
    /// waits for onWritable(). Returns the wire bytes of the frame.
    std::size_t sendBinary(std::string_view payload);
    /// A close frame, then the socket is shut down.
    void close(const std::string& why = {});

    // Counters (bytes as on the wire, after the handshake unless said).
    std::uint64_t bytesRead = 0;        ///< everything read, handshake included
    std::uint64_t reads = 0;            ///< recvmsg() calls that returned data
    std::uint64_t bytesWritten = 0;     ///< everything written, handshake included
    std::uint64_t framesReceived = 0;
    std::uint64_t messagesReceived = 0; ///< WebSocket messages (a fragmented one counts once)
    std::uint64_t payloadBytesReceived = 0;
    std::uint64_t headerBytesReceived = 0;
    std::int64_t openedNs = 0;          ///< when the handshake answer arrived
    std::uint64_t kernelTimestamps = 0; ///< reads that carried a usable one
    std::uint64_t kernelTimestampsLate = 0; ///< reads whose stamp was after the read (clock offset): not used

private:
    void fail(const std::string& why);
    void writeOutbox();
    void writeNow(const char* data, std::size_t size);
    void consume(const char* data, std::size_t size, std::int64_t now, std::int64_t arrival);
    std::size_t parseFrames(const char* data, std::size_t size, std::int64_t now, std::int64_t arrival);
    bool parseHandshake(std::int64_t now);

    int m_fd = -1;
    State m_state = State::Closed;
    std::string m_host;
    std::string m_path;
    std::string m_key;
    std::string m_inbox;    ///< bytes read but not yet parsed (a partial frame)
    std::string m_message;  ///< a fragmented message being reassembled
    bool m_fragmented = false;
    std::string m_outbox;   ///< bytes the socket did not take yet
    std::string m_scratch;  ///< the frame being built
    std::uint32_t m_maskState = 0x9e3779b9u;
};

} // namespace constellate::bench
