#pragma once
// Every limit of the protocol, named in one place (DESIGN.md principle 4).

#include <chrono>
#include <cstddef>
#include <cstdint>

namespace cppftpd::limits {

/// Longest command line accepted, CRLF excluded. Longer lines get one 500.
inline constexpr std::size_t kMaxCommandLine = 4096;
/// Most command bytes read ahead, looking for an ABOR, while a command waits
/// for the running transfer (Session::watch_for_abort).
inline constexpr std::size_t kMaxReadAhead = 16 * 1024;
/// Longest path argument (after resolution) a command may name.
inline constexpr std::size_t kMaxPathLength = 4096;
/// Most entries a listing sent on the control connection (STAT path) may
/// hold. LIST, NLST and MLSD stream theirs over the data connection, a batch
/// at a time, and have no such limit.
inline constexpr std::size_t kMaxListingEntries = 100'000;
/// Directories of up to this many entries are listed sorted by name (their
/// names are read first); a bigger one is listed in the order the file system
/// gives, as it is read, so no directory is ever held whole in memory.
inline constexpr std::size_t kSortedListingEntries = 100'000;
/// Entries read, formatted and sent per batch of a streamed listing.
inline constexpr std::size_t kListingBatch = 512;
/// Most replies queued to a client that does not read them.
inline constexpr std::size_t kMaxPendingReplyBytes = 1 << 20;
/// Unsent bytes a RETR's data socket may hold (TCP_NOTSENT_LOWAT) while
/// sendfile feeds it, when several downloads run at once. Measured on
/// loopback, 300 x RETR of 10 MiB at once: 1.03 s with the kernel's default
/// (no bound), 0.36 to 0.47 s with 128 KiB (64 KiB: the same; 512 KiB:
/// 0.75 s). A lone download goes faster without it (below).
inline constexpr int kNotsentLowat = 128 * 1024;
/// Concurrent sendfile downloads (in the process) from which each bounds
/// its unsent bytes with kNotsentLowat. One stream of 1 GiB, 8 interleaved
/// rounds: 3,703 MiB/s with the bound, 3,981 without (pyftpdlib, which sets
/// none, 4,570): alone, the bound only adds wake-ups.
inline constexpr int kConcurrentSendsForLowat = 2;
/// Transfer buffer for copies that cannot use sendfile.
inline constexpr std::size_t kTransferBuffer = 256 * 1024;
/// sendfile(2) chunk per call. One stream of 1 GiB, no unsent bound, 8
/// interleaved rounds per run, medians (MiB/s) of three runs: 1 MiB 4,402;
/// 256 KiB 4,732, 4,697, 4,877; 128 KiB 4,757, 5,078, 5,001; 64 KiB 4,172,
/// 4,085. A call holds the socket's lock for its whole chunk, and the ACKs
/// that arrive meanwhile wait for it; below 128 KiB, the calls cost more.
inline constexpr std::size_t kSendfileChunk = 128 * 1024;
/// Largest file whose TYPE A size SIZE computes (by reading it); larger: 550.
inline constexpr std::uint64_t kMaxAsciiSizeScan = 64ULL << 20;
/// Attempts at finding a free name for STOU.
inline constexpr int kStouAttempts = 100;

// --- Security and robustness (docs/security.md). The limits a deployment
// tunes are ServerConfig fields: max_connections, max_connections_per_ip,
// max_login_attempts, idle_timeout, login_timeout, data_timeout,
// data_connect_timeout, ban_after_failures/ban_window/ban_duration.

/// Data connections one session may have at once: one per PASV/EPSV/PORT/
/// EPRT, and the passive listener closes after it accepted the client's.
inline constexpr std::size_t kMaxDataConnectionsPerSession = 1;
/// Addresses the failed-login ban table remembers (bounded: an attacker with
/// many addresses cannot grow it); when full, expired and then the oldest
/// unbanned entries go first.
inline constexpr std::size_t kMaxBanTableEntries = 10'000;
/// Pause of the accept loop after accept() failed (EMFILE, ENOMEM): no spin.
inline constexpr std::chrono::milliseconds kAcceptRetryDelay{100};
/// Waiting connections told 421 per accept failure while out of descriptors.
inline constexpr std::size_t kMaxRefusedPerAcceptRound = 256;
/// How long a closing session waits for its last reply (421, 221) to drain
/// to a client that does not read, before it closes anyway.
inline constexpr std::chrono::seconds kFinalReplyDrain{5};
/// How often an event loop checks its sessions' login, idle and data
/// deadlines (Session::check_deadlines). The timeouts are whole seconds, so
/// each fires within one more second.
inline constexpr std::chrono::seconds kDeadlineSweep{1};

}  // namespace cppftpd::limits
