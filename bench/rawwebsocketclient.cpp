#include "rawwebsocketclient.h"

#include <QByteArray>
#include <QCryptographicHash>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <climits>
#include <random>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <unistd.h>

namespace constellate::bench {

namespace {

constexpr std::uint64_t MaxMessageBytes = std::uint64_t(1) << 30;
constexpr std::size_t ReadChunk = 256 * 1024;
constexpr std::size_t MaxHandshakeBytes = 16 * 1024;

std::string acceptFor(const std::string& key)
{
    const QByteArray digest = QCryptographicHash::hash(
        QByteArray::fromStdString(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"), QCryptographicHash::Sha1);
    return digest.toBase64().toStdString();
}

bool headerHas(std::string_view head, std::string_view name, std::string_view value)
{
    // Case-insensitive search for "name: value" among the header lines.
    auto lower = [](std::string_view s) {
        std::string out(s);
        for (char& c : out)
            c = char(std::tolower(static_cast<unsigned char>(c)));
        return out;
    };
    const std::string h = lower(head);
    const std::string n = lower(name) + ":";
    for (std::size_t at = h.find(n); at != std::string::npos; at = h.find(n, at + 1)) {
        if (at != 0 && h[at - 1] != '\n')
            continue;
        std::size_t v = at + n.size();
        while (v < h.size() && h[v] == ' ')
            ++v;
        const std::size_t end = h.find('\r', v);
        const std::string_view got = std::string_view(head).substr(v, end - v);
        if (got == value || lower(got) == lower(value))
            return true;
    }
    return false;
}

} // namespace

std::int64_t monotonicNs()
{
    timespec ts {};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return std::int64_t(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

std::int64_t realtimeOffsetNs()
{
    // The smallest bracket of three tries: the two clocks read as close together as we can.
    std::int64_t best = 0;
    std::int64_t bestSpan = INT64_MAX;
    for (int i = 0; i < 3; ++i) {
        timespec a {}, r {}, b {};
        clock_gettime(CLOCK_MONOTONIC, &a);
        clock_gettime(CLOCK_REALTIME, &r);
        clock_gettime(CLOCK_MONOTONIC, &b);
        const std::int64_t ma = std::int64_t(a.tv_sec) * 1'000'000'000 + a.tv_nsec;
        const std::int64_t mb = std::int64_t(b.tv_sec) * 1'000'000'000 + b.tv_nsec;
        const std::int64_t real = std::int64_t(r.tv_sec) * 1'000'000'000 + r.tv_nsec;
        if (mb - ma < bestSpan) {
            bestSpan = mb - ma;
            best = real - (ma + (mb - ma) / 2);
        }
    }
    return best;
}

RawWebSocketClient::~RawWebSocketClient()
{
    if (m_fd >= 0)
        ::close(m_fd);
}

bool RawWebSocketClient::start(const sockaddr* address, socklen_t length, std::string host, std::string path,
                               std::string* error)
{
    m_host = std::move(host);
    m_path = std::move(path);
    m_fd = ::socket(address->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (m_fd < 0) {
        *error = std::string("socket: ") + std::strerror(errno);
        return false;
    }
    const int one = 1;
    ::setsockopt(m_fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    ::setsockopt(m_fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one);
    std::random_device random;
    m_maskState = random() | 1u;
    std::string nonce(16, '\0');
    for (char& c : nonce)
        c = char(random());
    m_key = QByteArray::fromStdString(nonce).toBase64().toStdString();
    m_state = State::Connecting;
    if (::connect(m_fd, address, length) != 0 && errno != EINPROGRESS) {
        *error = std::string("connect: ") + std::strerror(errno);
        ::close(m_fd);
        m_fd = -1;
        m_state = State::Closed;
        return false;
    }
    return true;
}

void RawWebSocketClient::fail(const std::string& why)
{
    if (m_state == State::Closed)
        return;
    m_state = State::Closed;
    if (m_fd >= 0)
        ::close(m_fd); // also leaves the epoll set
    m_fd = -1;
    m_outbox.clear();
    if (onClosed)
        onClosed(why);
}

void RawWebSocketClient::onWritable()
{
    if (m_state == State::Connecting) {
        int err = 0;
        socklen_t len = sizeof err;
        if (::getsockopt(m_fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) {
            fail(std::string("connect: ") + std::strerror(err ? err : errno));
            return;
        }
        m_state = State::Handshaking;
        const std::string request = "GET " + m_path + " HTTP/1.1\r\nHost: " + m_host
            + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + m_key
            + "\r\nSec-WebSocket-Version: 13\r\n\r\n";
        writeNow(request.data(), request.size());
        return;
    }
    writeOutbox();
}

void RawWebSocketClient::writeOutbox()
{
    while (!m_outbox.empty() && m_fd >= 0) {
        const ssize_t n = ::send(m_fd, m_outbox.data(), m_outbox.size(), MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return;
            if (errno == EINTR)
                continue;
            fail(std::string("send: ") + std::strerror(errno));
            return;
        }
        bytesWritten += std::uint64_t(n);
        m_outbox.erase(0, std::size_t(n));
    }
}

void RawWebSocketClient::writeNow(const char* data, std::size_t size)
{
    if (m_fd < 0)
        return;
    if (!m_outbox.empty()) {
        m_outbox.append(data, size);
        return;
    }
    std::size_t done = 0;
    while (done < size) {
        const ssize_t n = ::send(m_fd, data + done, size - done, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                break;
            fail(std::string("send: ") + std::strerror(errno));
            return;
        }
        done += std::size_t(n);
        bytesWritten += std::uint64_t(n);
    }
    if (done < size)
        m_outbox.append(data + done, size - done);
}

std::size_t RawWebSocketClient::sendBinary(std::string_view payload)
{
    if (m_state != State::Open)
        return 0;
    m_scratch.clear();
    m_scratch.push_back(char(0x82)); // FIN, binary
    const std::size_t n = payload.size();
    if (n < 126) {
        m_scratch.push_back(char(0x80 | n));
    } else if (n < 65536) {
        m_scratch.push_back(char(0x80 | 126));
        m_scratch.push_back(char(n >> 8));
        m_scratch.push_back(char(n & 0xff));
    } else {
        m_scratch.push_back(char(0x80 | 127));
        for (int shift = 56; shift >= 0; shift -= 8)
            m_scratch.push_back(char((std::uint64_t(n) >> shift) & 0xff));
    }
    // xorshift32: masks need not be secret here, only present.
    std::uint32_t x = m_maskState;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    m_maskState = x;
    char mask[4];
    std::memcpy(mask, &x, 4);
    m_scratch.append(mask, 4);
    const std::size_t start = m_scratch.size();
    m_scratch.append(payload);
    for (std::size_t i = 0; i < n; ++i)
        m_scratch[start + i] = char(m_scratch[start + i] ^ mask[i & 3]);
    writeNow(m_scratch.data(), m_scratch.size());
    return m_scratch.size();
}

void RawWebSocketClient::close(const std::string& why)
{
    if (m_state == State::Open) {
        // Close frame, code 1000, masked with a zero key.
        const char frame[] = {char(0x88), char(0x82), 0, 0, 0, 0, char(0x03), char(0xe8)};
        writeNow(frame, sizeof frame);
        if (m_fd >= 0)
            ::shutdown(m_fd, SHUT_WR);
    }
    fail(why.empty() ? std::string("closed by the client") : why);
}

void RawWebSocketClient::onReadable()
{
    thread_local std::string buffer(ReadChunk, '\0');
    thread_local const std::int64_t realOffset = realtimeOffsetNs();
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(timespec)) + 64];
    while (m_fd >= 0) {
        iovec io {buffer.data(), buffer.size()};
        msghdr msg {};
        msg.msg_iov = &io;
        msg.msg_iovlen = 1;
        msg.msg_control = control;
        msg.msg_controllen = sizeof control;
        const ssize_t n = ::recvmsg(m_fd, &msg, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                fail(std::string("read: ") + std::strerror(errno));
            return;
        }
        if (n == 0) {
            fail("the server closed the connection");
            return;
        }
        const std::int64_t now = monotonicNs();
        ++reads;
        std::int64_t arrival = now;
        for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
            if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
                timespec ts {};
                std::memcpy(&ts, CMSG_DATA(c), sizeof ts);
                const std::int64_t stamp = std::int64_t(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec - realOffset;
                if (stamp > 0 && stamp <= now) {
                    arrival = stamp;
                    ++kernelTimestamps;
                } else {
                    ++kernelTimestampsLate;
                }
            }
        }
        bytesRead += std::uint64_t(n);
        consume(buffer.data(), std::size_t(n), now, arrival);
        if (std::size_t(n) < buffer.size())
            return; // drained (level-triggered: epoll reports the rest, if any)
    }
}

void RawWebSocketClient::consume(const char* data, std::size_t size, std::int64_t now, std::int64_t arrival)
{
    if (m_state == State::Handshaking || !m_inbox.empty()) {
        m_inbox.append(data, size);
        if (m_state == State::Handshaking && !parseHandshake(now))
            return;
        const std::size_t used = parseFrames(m_inbox.data(), m_inbox.size(), now, arrival);
        if (m_state == State::Open)
            m_inbox.erase(0, used);
        return;
    }
    const std::size_t used = parseFrames(data, size, now, arrival);
    if (m_state == State::Open && used < size)
        m_inbox.assign(data + used, size - used);
}

bool RawWebSocketClient::parseHandshake(std::int64_t now)
{
    const std::size_t end = m_inbox.find("\r\n\r\n");
    if (end == std::string::npos) {
        if (m_inbox.size() > MaxHandshakeBytes)
            fail("the handshake answer is too long");
        return false;
    }
    const std::string_view head(m_inbox.data(), end + 2);
    if (!head.starts_with("HTTP/1.1 101")) {
        fail("handshake refused: " + std::string(head.substr(0, head.find('\r'))));
        return false;
    }
    if (!headerHas(head, "Sec-WebSocket-Accept", acceptFor(m_key))) {
        fail("handshake: wrong Sec-WebSocket-Accept");
        return false;
    }
    m_inbox.erase(0, end + 4);
    m_state = State::Open;
    openedNs = now;
    if (onOpen)
        onOpen();
    return m_state == State::Open;
}

std::size_t RawWebSocketClient::parseFrames(const char* data, std::size_t size, std::int64_t now,
                                            std::int64_t arrival)
{
    std::size_t pos = 0;
    while (m_state == State::Open && size - pos >= 2) {
        const auto b0 = std::uint8_t(data[pos]);
        const auto b1 = std::uint8_t(data[pos + 1]);
        std::size_t header = 2;
        std::uint64_t length = b1 & 0x7f;
        if (length == 126) {
            if (size - pos < 4)
                break;
            length = (std::uint64_t(std::uint8_t(data[pos + 2])) << 8) | std::uint8_t(data[pos + 3]);
            header = 4;
        } else if (length == 127) {
            if (size - pos < 10)
                break;
            length = 0;
            for (int i = 0; i < 8; ++i)
                length = (length << 8) | std::uint8_t(data[pos + 2 + std::size_t(i)]);
            header = 10;
        }
        const bool masked = b1 & 0x80;
        if (masked)
            header += 4;
        if (length > MaxMessageBytes) {
            fail("a frame of " + std::to_string(length) + " bytes");
            return pos;
        }
        if (size - pos < header + length)
            break;
        const char* payloadData = data + pos + header;
        std::string unmasked;
        if (masked) { // servers do not mask; accept it anyway
            unmasked.assign(payloadData, std::size_t(length));
            const char* key = data + pos + header - 4;
            for (std::size_t i = 0; i < unmasked.size(); ++i)
                unmasked[i] = char(unmasked[i] ^ key[i & 3]);
            payloadData = unmasked.data();
        }
        const std::string_view payload(payloadData, std::size_t(length));
        pos += header + std::size_t(length);
        ++framesReceived;
        headerBytesReceived += header;
        const bool fin = b0 & 0x80;
        switch (b0 & 0x0f) {
        case 0x0: // continuation
            payloadBytesReceived += length;
            m_message.append(payload);
            if (m_message.size() > MaxMessageBytes) {
                fail("a message over 1 GiB");
                return pos;
            }
            if (fin && m_fragmented) {
                m_fragmented = false;
                ++messagesReceived;
                const std::string whole = std::move(m_message);
                m_message.clear();
                if (onMessage)
                    onMessage(whole, now, arrival);
            }
            break;
        case 0x1: // text: not used by the protocol; delivered like binary
        case 0x2:
            payloadBytesReceived += length;
            if (fin) {
                ++messagesReceived;
                if (onMessage)
                    onMessage(payload, now, arrival);
            } else {
                m_fragmented = true;
                m_message.assign(payload);
            }
            break;
        case 0x8: {
            std::string why = "closed by the server";
            if (payload.size() >= 2)
                why += " (code " + std::to_string((std::uint8_t(payload[0]) << 8) | std::uint8_t(payload[1])) + ": "
                    + std::string(payload.substr(2)) + ")";
            const char frame[] = {char(0x88), char(0x80), 0, 0, 0, 0};
            writeNow(frame, sizeof frame);
            fail(why);
            return pos;
        }
        case 0x9: { // ping: answer with a pong carrying the same payload
            std::string pong;
            pong.push_back(char(0x8a));
            pong.push_back(char(0x80 | std::min<std::size_t>(payload.size(), 125)));
            pong.append(4, '\0');
            pong.append(payload.substr(0, 125));
            writeNow(pong.data(), pong.size());
            break;
        }
        default: break; // pong
        }
    }
    return pos;
}

} // namespace constellate::bench
