#include "transfer/throttle.hpp"

#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include <algorithm>

namespace cppftpd {

Throttle::Throttle(std::uint64_t bytes_per_second) noexcept
    : rate_(std::max<std::uint64_t>(bytes_per_second, 1)) {}

Throttle::Clock::duration Throttle::charge(std::uint64_t bytes, Clock::time_point now) noexcept {
  if (!started_ || next_ < now) {
    started_ = true;
    next_ = now;
  }
  // In nanoseconds, with the 128-bit-free split to keep bytes * 1e9 in range.
  const std::uint64_t whole = bytes / rate_;
  const std::uint64_t rest = bytes % rate_;
  next_ += std::chrono::seconds(whole) + std::chrono::nanoseconds(rest * 1'000'000'000ULL / rate_);
  return next_ - now;
}

asio::awaitable<void> Throttle::pace(std::uint64_t bytes) {
  const auto wait = charge(bytes, Clock::now());
  if (wait <= Clock::duration::zero()) co_return;
  asio::steady_timer timer(co_await asio::this_coro::executor, wait);
  std::error_code ignored;
  co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
}

std::size_t Throttle::chunk(std::size_t ceiling) const noexcept {
  const std::uint64_t eighth = rate_ / 8;
  return static_cast<std::size_t>(
      std::clamp<std::uint64_t>(eighth, std::min<std::uint64_t>(1024, ceiling), ceiling));
}

}  // namespace cppftpd
