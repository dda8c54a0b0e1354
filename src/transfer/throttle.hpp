#pragma once
// Throttle: paces one transfer to a rate in bytes per second (pyftpdlib's
// ThrottledDTPHandler read_limit / write_limit).

#include <asio/awaitable.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>

namespace cppftpd {

class Throttle {
 public:
  using Clock = std::chrono::steady_clock;

  /// `bytes_per_second` must be positive.
  explicit Throttle(std::uint64_t bytes_per_second) noexcept;

  /// How long to wait, after `bytes` more moved at `now`, so that the bytes
  /// so far have not gone faster than the rate. Time spent waiting for the
  /// network earns no credit for later: the rate is an upper bound.
  Clock::duration charge(std::uint64_t bytes, Clock::time_point now) noexcept;

  /// charge() for now, then sleeps that long on the calling coroutine's
  /// executor (other sessions keep running).
  asio::awaitable<void> pace(std::uint64_t bytes);

  /// Bytes to move between two pauses: about an eighth of a second's worth
  /// (so a pause never looks like a stall and ABOR is prompt), within
  /// [1 KiB, `ceiling`].
  std::size_t chunk(std::size_t ceiling) const noexcept;

 private:
  std::uint64_t rate_;
  bool started_ = false;
  // When the bytes charged so far may all have moved.
  Clock::time_point next_;
};

}  // namespace cppftpd
