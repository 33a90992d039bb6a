#pragma once

#include <QByteArray>

#include <array>
#include <atomic>
#include <cstdint>

namespace constellate::net {

/// A latency histogram in the Prometheus sense: cumulative buckets in seconds, a sum and
/// a count. Observations are made on one thread; rendering may happen on another.
class LatencyHistogram {
public:
    /// Bucket upper bounds in seconds: 50 µs to 1 s.
    static constexpr std::array<double, 13> Bounds = {0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                                      0.01,    0.025,  0.05,    0.1,    0.25,  1.0};
    void observe(double seconds);
    void render(QByteArray& out, const char* name, const char* help) const;
    std::uint64_t count() const { return m_count.load(std::memory_order_relaxed); }

private:
    std::array<std::atomic<std::uint64_t>, Bounds.size()> m_buckets {};
    std::atomic<std::uint64_t> m_count {0};
    std::atomic<std::uint64_t> m_sumNanos {0};
};

/// What /metrics reports (Prometheus text format 0.0.4).
struct ServerMetrics {
    std::atomic<std::int64_t> connections {0};
    std::atomic<std::int64_t> rooms {0};
    std::atomic<std::uint64_t> operations {0};   ///< operations accepted (not duplicates)
    std::atomic<std::uint64_t> transactions {0};
    std::atomic<std::uint64_t> messagesIn {0};
    std::atomic<std::uint64_t> messagesOut {0};
    std::atomic<std::uint64_t> bytesIn {0};
    std::atomic<std::uint64_t> bytesOut {0};
    std::atomic<std::uint64_t> errorsSent {0};
    std::atomic<std::uint64_t> presenceDropped {0}; ///< stale presence dropped for slow clients
    std::atomic<std::uint64_t> slowDisconnects {0};
    std::atomic<std::uint64_t> framesDirect {0};   ///< frames the kernel took in one sendmsg()
    std::atomic<std::uint64_t> framesBuffered {0}; ///< frames (or their rest) queued in Qt's buffers
    std::atomic<std::uint64_t> parallelBatches {0}; ///< fan-outs offered to the second writer thread
    std::atomic<std::uint64_t> snapshotsCompressed {0}; ///< joiners' snapshots made (one per room state)
    /// Memory held for sending, set just before render(): every connection's frame buffer
    /// (capacity) and what its socket has not written yet.
    std::atomic<std::int64_t> sendBufferBytes {0};
    LatencyHistogram fanOut; ///< from a message's arrival to its frame being handed to each socket
    LatencyHistogram commit; ///< from an operation's arrival to its SQLite commit

    QByteArray render() const;
};

} // namespace constellate::net
