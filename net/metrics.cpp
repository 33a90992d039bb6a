#include "metrics.h"

namespace constellate::net {

void LatencyHistogram::observe(double seconds)
{
    for (std::size_t i = 0; i < Bounds.size(); ++i) {
        if (seconds <= Bounds[i]) {
            m_buckets[i].fetch_add(1, std::memory_order_relaxed);
            break;
        }
    }
    m_count.fetch_add(1, std::memory_order_relaxed);
    m_sumNanos.fetch_add(std::uint64_t(seconds * 1e9), std::memory_order_relaxed);
}

void LatencyHistogram::render(QByteArray& out, const char* name, const char* help) const
{
    out += QByteArray("# HELP ") + name + ' ' + help + "\n# TYPE " + name + " histogram\n";
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < Bounds.size(); ++i) {
        cumulative += m_buckets[i].load(std::memory_order_relaxed);
        out += QByteArray(name) + "_bucket{le=\"" + QByteArray::number(Bounds[i], 'g', 6) + "\"} "
            + QByteArray::number(cumulative) + '\n';
    }
    const std::uint64_t n = m_count.load(std::memory_order_relaxed);
    out += QByteArray(name) + "_bucket{le=\"+Inf\"} " + QByteArray::number(n) + '\n';
    out += QByteArray(name) + "_sum " + QByteArray::number(double(m_sumNanos.load()) / 1e9, 'g', 9) + '\n';
    out += QByteArray(name) + "_count " + QByteArray::number(n) + '\n';
}

QByteArray ServerMetrics::render() const
{
    QByteArray out;
    auto metric = [&out](const char* name, const char* type, const char* help, auto value) {
        out += QByteArray("# HELP ") + name + ' ' + help + "\n# TYPE " + name + ' ' + type + '\n' + name + ' '
            + QByteArray::number(qint64(value)) + '\n';
    };
    metric("constellate_connections", "gauge", "Open WebSocket connections.", connections.load());
    metric("constellate_rooms", "gauge", "Rooms loaded in memory.", rooms.load());
    metric("constellate_operations_total", "counter", "Document operations accepted.", operations.load());
    metric("constellate_transactions_total", "counter", "Transactions accepted.", transactions.load());
    metric("constellate_messages_in_total", "counter", "Protocol messages received.", messagesIn.load());
    metric("constellate_messages_out_total", "counter", "Protocol messages sent.", messagesOut.load());
    metric("constellate_bytes_in_total", "counter", "WebSocket payload bytes received.", bytesIn.load());
    metric("constellate_bytes_out_total", "counter", "WebSocket payload bytes sent.", bytesOut.load());
    metric("constellate_errors_sent_total", "counter", "Error messages sent to clients.", errorsSent.load());
    metric("constellate_presence_dropped_total", "counter", "Stale presence updates dropped for slow clients.",
           presenceDropped.load());
    metric("constellate_slow_disconnects_total", "counter", "Clients disconnected for not reading.",
           slowDisconnects.load());
    metric("constellate_frames_direct_total", "counter", "Frames written straight to the socket in one system call.",
           framesDirect.load());
    metric("constellate_frames_buffered_total", "counter",
           "Frames (or their rest) queued behind a socket's backlog or sent through TLS.", framesBuffered.load());
    metric("constellate_parallel_fanouts_total", "counter", "Fan-outs offered to the second writer thread.",
           parallelBatches.load());
    metric("constellate_send_buffer_bytes", "gauge",
           "Memory held for sending: every connection's frame buffer and what its socket has not written yet.",
           sendBufferBytes.load());
    metric("constellate_snapshots_compressed_total", "counter",
           "Room snapshots compressed: for joiners (one per room state, shared by its joiners), named versions and "
           "compaction (these reuse the joiners' one when it is current).",
           snapshotsCompressed.load());
    fanOut.render(out, "constellate_fanout_latency_seconds",
                  "Time from a message's arrival to its relay being handed to each recipient's socket.");
    commit.render(out, "constellate_commit_latency_seconds",
                  "Time from an operation's arrival to its durable SQLite commit.");
    return out;
}

} // namespace constellate::net
