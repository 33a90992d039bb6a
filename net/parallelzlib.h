#pragma once

// zlib compression of one buffer on several threads, pigz's way: one ordinary zlib stream,
// byte for byte readable by qUncompress and every inflate (docs/architecture.md, "Joining").

#include <cstddef>
#include <string>
#include <string_view>

namespace constellate::net {

/// Pieces smaller than this are not worth a thread of their own (a thread costs tens of µs;
/// zlib level 6 does about 20 MB/s here, so 256 KiB is some 12 ms of work).
inline constexpr std::size_t ParallelZlibMinPiece = 256 * 1024;

/// How many pieces parallelZlibCompress cuts `bytes` into on `threads` threads: as many as
/// threads, but none smaller than ParallelZlibMinPiece; 1 means qCompress itself.
std::size_t parallelZlibPieceCount(std::size_t bytes, int threads);

/// What qCompress(data, level 6) writes — a u32 big-endian uncompressed size, then a zlib
/// stream — made on up to `threads` threads: the input is cut in pieces of at least
/// ParallelZlibMinPiece, each deflated raw on its own thread with the previous piece's last
/// 32 KiB as dictionary (so the ratio is that of one stream), ended by a sync flush (the
/// last by the final block), concatenated between the zlib header and the Adler-32 of the
/// whole. With one piece it is qCompress itself. The calling thread compresses the first
/// piece and waits for the others: do not call it on a thread that must not block.
/// Throws std::bad_alloc or std::runtime_error when zlib fails (it only fails for memory).
std::string parallelZlibCompress(std::string_view data, int threads);

} // namespace constellate::net
