#pragma once
// Bandwidth limits (pyftpdlib's ThrottledDTPHandler read_limit / write_limit):
// Throttle paces one transfer, to its own rate and to a RateLimit that all
// transfers of one direction share (the server-wide cap).

#include <asio/awaitable.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>

namespace cppftpd {

/// A rate in bytes per second that any number of transfers, on any threads,
/// draw from together: the sum of what they move stays within it. Lock-free;
/// the rate can change while transfers run (a reload). 0: no limit.
///
/// Like Throttle, it is a schedule, not a bucket: each charge() pushes the time
/// when everything charged so far may have moved, and the caller waits until
/// then. Idle time earns no credit, so the cap is an upper bound at every
/// moment, never a long-run average that a burst may exceed.
class RateLimit {
 public:
  using Clock = std::chrono::steady_clock;

  explicit RateLimit(std::uint64_t bytes_per_second = 0) noexcept;

  void set_rate(std::uint64_t bytes_per_second) noexcept;
  std::uint64_t rate() const noexcept { return rate_.load(std::memory_order_relaxed); }

  /// How long the caller must wait, after `bytes` more moved at `now`, for
  /// everything charged to this limit to have kept to its rate. Zero when
  /// there is no limit.
  Clock::duration charge(std::uint64_t bytes, Clock::time_point now) noexcept;

 private:
  std::atomic<std::uint64_t> rate_;
  // Clock::rep of the time when the bytes charged so far may all have moved.
  std::atomic<Clock::rep> next_;
};

/// Paces one transfer: to its own rate (the account's or the server's per
/// transfer limit; 0: none) and to a shared RateLimit (nullptr: none).
class Throttle {
 public:
  using Clock = std::chrono::steady_clock;

  explicit Throttle(std::uint64_t bytes_per_second, RateLimit* shared = nullptr) noexcept;

  /// Whether a transfer with this per-transfer rate and shared limit needs
  /// pacing at all (without it, sendfile/splice may run at full speed).
  static bool needed(std::uint64_t bytes_per_second, const RateLimit* shared) noexcept {
    return bytes_per_second != 0 || (shared != nullptr && shared->rate() != 0);
  }

  /// How long to wait, after `bytes` more moved at `now`, so that the bytes
  /// so far have not gone faster than either rate. Time spent waiting for the
  /// network earns no credit for later: the rate is an upper bound.
  Clock::duration charge(std::uint64_t bytes, Clock::time_point now) noexcept;

  /// charge() for now, then sleeps that long on the calling coroutine's
  /// executor (other sessions keep running).
  asio::awaitable<void> pace(std::uint64_t bytes);

  /// Bytes to move between two pauses, within [1 KiB, `ceiling`]: about an
  /// eighth of a second of the transfer's own rate (so a pause never looks
  /// like a stall and ABOR is prompt), and a 32nd of a second of the shared
  /// one (many transfers take turns within it).
  std::size_t chunk(std::size_t ceiling) const noexcept;

 private:
  std::uint64_t rate_;  // 0: no per-transfer limit
  RateLimit* shared_;
  bool started_ = false;
  // When the bytes charged so far may all have moved (per-transfer rate).
  Clock::time_point next_;
};

/// A server's bandwidth limits, changeable while it runs (Server::set_rates):
/// the default rate of one download / upload (an account's own wins) and the
/// caps that all downloads / all uploads share.
struct Bandwidth {
  std::atomic<std::uint64_t> per_download{0};
  std::atomic<std::uint64_t> per_upload{0};
  RateLimit all_downloads;
  RateLimit all_uploads;
};

}  // namespace cppftpd
