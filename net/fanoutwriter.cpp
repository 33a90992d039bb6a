#include "fanoutwriter.h"

#include <algorithm>

#include <sys/socket.h>
#include <sys/uio.h>

namespace constellate::net {

FanOutWriter::FanOutWriter(std::size_t parallelFrom) : m_parallelFrom(parallelFrom)
{
    if (m_parallelFrom > 0)
        m_thread = std::thread([this] { run(); });
}

FanOutWriter::~FanOutWriter()
{
    if (!m_thread.joinable())
        return;
    {
        std::lock_guard lock(m_mutex);
        m_stop = true;
    }
    m_wake.notify_one();
    m_thread.join();
}

void FanOutWriter::sendAll(std::span<Send> sends)
{
    for (Send& s : sends) {
        iovec parts[2] = {{const_cast<void*>(s.header), s.headerSize}, {const_cast<void*>(s.body), s.bodySize}};
        msghdr msg {};
        msg.msg_iov = parts;
        msg.msg_iovlen = s.bodySize ? 2 : 1;
        const ssize_t n = ::sendmsg(s.fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
        s.written = n > 0 ? std::size_t(n) : 0;
    }
}

void FanOutWriter::drain(std::span<Send> sends)
{
    for (;;) {
        const std::size_t first = m_next.fetch_add(Piece, std::memory_order_relaxed);
        if (first >= sends.size())
            return;
        sendAll(sends.subspan(first, std::min(Piece, sends.size() - first)));
    }
}

void FanOutWriter::write(std::span<Send> sends)
{
    if (m_parallelFrom == 0 || sends.size() < m_parallelFrom) {
        sendAll(sends);
        return;
    }
    {
        std::lock_guard lock(m_mutex);
        m_work = sends;
        m_next.store(0, std::memory_order_relaxed);
        m_hasWork = true;
    }
    m_wake.notify_one();
    ++m_parallelBatches;
    drain(sends);
    std::unique_lock lock(m_mutex);
    if (m_hasWork) {
        // The second thread never came to it: withdrawn, nothing to wait for.
        m_hasWork = false;
    } else {
        // It did: it may still be sending its last piece.
        m_done.wait(lock, [this] { return !m_helping; });
    }
    m_work = {};
}

void FanOutWriter::run()
{
    std::unique_lock lock(m_mutex);
    for (;;) {
        m_wake.wait(lock, [this] { return m_hasWork || m_stop; });
        if (m_stop)
            return;
        const std::span<Send> work = m_work;
        m_hasWork = false;
        m_helping = true;
        lock.unlock();
        drain(work);
        lock.lock();
        m_helping = false;
        m_done.notify_one();
    }
}

} // namespace constellate::net
