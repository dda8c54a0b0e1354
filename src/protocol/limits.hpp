#pragma once
// Every limit of the protocol, named in one place (DESIGN.md principle 4).

#include <cstddef>
#include <cstdint>

namespace cppftpd::limits {

/// Longest command line accepted, CRLF excluded. Longer lines get one 500.
inline constexpr std::size_t kMaxCommandLine = 4096;
/// Longest path argument (after resolution) a command may name.
inline constexpr std::size_t kMaxPathLength = 4096;
/// Most entries one listing (LIST, NLST, MLSD, STAT path) may hold.
inline constexpr std::size_t kMaxListingEntries = 100'000;
/// Most replies queued to a client that does not read them.
inline constexpr std::size_t kMaxPendingReplyBytes = 1 << 20;
/// Transfer buffer for copies that cannot use sendfile.
inline constexpr std::size_t kTransferBuffer = 256 * 1024;
/// sendfile(2) chunk per call.
inline constexpr std::size_t kSendfileChunk = 1 << 20;
/// Largest file whose TYPE A size SIZE computes (by reading it); larger: 550.
inline constexpr std::uint64_t kMaxAsciiSizeScan = 64ULL << 20;
/// Attempts at finding a free name for STOU.
inline constexpr int kStouAttempts = 100;

}  // namespace cppftpd::limits
