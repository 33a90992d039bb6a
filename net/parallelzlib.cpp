#include "parallelzlib.h"

#include <QByteArray>

#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <exception>
#include <functional>
#include <new>
#include <stdexcept>
#include <system_error>
#include <thread>
#include <vector>

namespace constellate::net {

namespace {

constexpr int Level = 6; // qCompress's default, and its header's FLEVEL
constexpr std::size_t Window = 32768; // deflate's window: what a piece may refer back to
constexpr unsigned char ZlibHeader[2] = { 0x78, 0x9c }; // 32 KiB window, default level, no dictionary
// Larger inputs go the one-thread way: zlib counts a call's bytes in 32 bits, and qCompress's
// size header is 32 bits too. Snapshots are far below this.
constexpr std::size_t MaxParallelInput = std::size_t(1) << 31;

/// One piece of the input and its raw deflate output (no header, no trailer).
struct Piece {
    std::string_view input;
    std::string_view dictionary; ///< the window before `input`; empty for the first piece
    bool last = false;
    std::string deflated;
    uLong adler = 0; ///< Adler-32 of `input` alone
    std::exception_ptr error;
};

const Bytef* bytesOf(std::string_view s)
{
    return reinterpret_cast<const Bytef*>(s.data());
}

void deflatePiece(Piece& p)
{
    z_stream s {};
    if (deflateInit2(&s, Level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        throw std::bad_alloc();
    struct End {
        z_stream* s;
        ~End() { deflateEnd(s); }
    } end { &s };
    if (!p.dictionary.empty() && deflateSetDictionary(&s, bytesOf(p.dictionary), uInt(p.dictionary.size())) != Z_OK)
        throw std::runtime_error("deflateSetDictionary failed");
    // A sync flush adds an empty stored block (5 bytes) to what deflateBound allows for.
    p.deflated.resize(deflateBound(&s, uLong(p.input.size())) + 16);
    s.next_in = const_cast<Bytef*>(bytesOf(p.input));
    s.avail_in = uInt(p.input.size());
    // Not the last: a sync flush ends the piece on a byte boundary without a final block,
    // so the next piece's blocks follow it in the same stream.
    const int flush = p.last ? Z_FINISH : Z_SYNC_FLUSH;
    std::size_t used = 0;
    for (;;) {
        if (used == p.deflated.size())
            p.deflated.resize(p.deflated.size() * 2);
        s.next_out = reinterpret_cast<Bytef*>(p.deflated.data() + used);
        s.avail_out = uInt(p.deflated.size() - used);
        const int ret = deflate(&s, flush);
        used = p.deflated.size() - s.avail_out;
        if (ret == Z_STREAM_ERROR)
            throw std::runtime_error("deflate failed");
        // Done: the final block written, or the flush complete (room left over).
        if (ret == Z_STREAM_END || (!p.last && s.avail_in == 0 && s.avail_out != 0))
            break;
    }
    p.deflated.resize(used);
    p.adler = adler32(adler32(0, nullptr, 0), bytesOf(p.input), uInt(p.input.size()));
}

void run(Piece& p) noexcept
{
    try {
        deflatePiece(p);
    } catch (...) {
        p.error = std::current_exception();
    }
}

void appendBigEndian32(std::string& out, std::uint32_t v)
{
    out += char(v >> 24);
    out += char(v >> 16);
    out += char(v >> 8);
    out += char(v);
}

} // namespace

std::size_t parallelZlibPieceCount(std::size_t bytes, int threads)
{
    if (bytes > MaxParallelInput)
        return 1;
    return std::clamp<std::size_t>(bytes / ParallelZlibMinPiece, 1, std::size_t(std::max(threads, 1)));
}

std::string parallelZlibCompress(std::string_view data, int threads)
{
    const std::size_t count = parallelZlibPieceCount(data.size(), threads);
    if (count == 1) {
        const QByteArray c = qCompress(reinterpret_cast<const uchar*>(data.data()), qsizetype(data.size()), Level);
        return std::string(c.constData(), std::size_t(c.size()));
    }

    const std::size_t step = (data.size() + count - 1) / count;
    std::vector<Piece> pieces(count);
    for (std::size_t i = 0; i < count; ++i) {
        const std::size_t begin = i * step;
        pieces[i].input = data.substr(begin, std::min(step, data.size() - begin));
        if (i > 0)
            pieces[i].dictionary = data.substr(begin - Window, Window); // step >= Window
        pieces[i].last = i + 1 == count;
    }

    // This thread does the first piece, one thread each the others. Should a thread not
    // start, this one does the rest after its own.
    std::vector<std::thread> helpers;
    helpers.reserve(count - 1);
    for (std::size_t i = 1; i < count; ++i) {
        try {
            helpers.emplace_back(run, std::ref(pieces[i]));
        } catch (const std::system_error&) {
            break;
        }
    }
    run(pieces[0]);
    for (std::size_t i = helpers.size() + 1; i < count; ++i)
        run(pieces[i]);
    for (std::thread& t : helpers)
        t.join();

    std::size_t total = 4 + sizeof ZlibHeader + 4;
    uLong adler = pieces[0].adler;
    for (std::size_t i = 0; i < count; ++i) {
        if (pieces[i].error)
            std::rethrow_exception(pieces[i].error);
        total += pieces[i].deflated.size();
        if (i > 0)
            adler = adler32_combine(adler, pieces[i].adler, z_off_t(pieces[i].input.size()));
    }
    std::string out;
    out.reserve(total);
    appendBigEndian32(out, std::uint32_t(data.size()));
    out.append(reinterpret_cast<const char*>(ZlibHeader), sizeof ZlibHeader);
    for (const Piece& p : pieces)
        out += p.deflated;
    appendBigEndian32(out, std::uint32_t(adler));
    return out;
}

} // namespace constellate::net
