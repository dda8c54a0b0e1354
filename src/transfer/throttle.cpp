#include "transfer/throttle.hpp"

#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include <algorithm>

namespace cppftpd {
namespace {

// How long `bytes` take at `rate` bytes per second (rate > 0), split so that
// bytes * 1e9 never overflows.
std::chrono::nanoseconds duration_of(std::uint64_t bytes, std::uint64_t rate) noexcept {
  const std::uint64_t whole = bytes / rate;
  const std::uint64_t rest = bytes % rate;
  return std::chrono::seconds(whole) + std::chrono::nanoseconds(rest * 1'000'000'000ULL / rate);
}

}  // namespace

RateLimit::RateLimit(std::uint64_t bytes_per_second) noexcept
    : rate_(bytes_per_second), next_(Clock::rep{}) {}

void RateLimit::set_rate(std::uint64_t bytes_per_second) noexcept {
  rate_.store(bytes_per_second, std::memory_order_relaxed);
}

RateLimit::Clock::duration RateLimit::charge(std::uint64_t bytes, Clock::time_point now) noexcept {
  const std::uint64_t rate = this->rate();
  if (rate == 0) return Clock::duration::zero();
  const auto cost = std::chrono::duration_cast<Clock::duration>(duration_of(bytes, rate)).count();
  const Clock::rep at = now.time_since_epoch().count();
  Clock::rep next = next_.load(std::memory_order_relaxed);
  Clock::rep due = 0;
  do {
    // Bytes charged while nothing else was due start the schedule afresh.
    due = std::max(next, at) + cost;
  } while (!next_.compare_exchange_weak(next, due, std::memory_order_relaxed));
  return Clock::duration(due - at);
}

Throttle::Throttle(std::uint64_t bytes_per_second, RateLimit* shared) noexcept
    : rate_(bytes_per_second), shared_(shared) {}

Throttle::Clock::duration Throttle::charge(std::uint64_t bytes, Clock::time_point now) noexcept {
  Clock::duration wait = Clock::duration::zero();
  if (rate_ != 0) {
    if (!started_ || next_ < now) {
      started_ = true;
      next_ = now;
    }
    next_ += std::chrono::duration_cast<Clock::duration>(duration_of(bytes, rate_));
    wait = next_ - now;
  }
  if (shared_ != nullptr) wait = std::max(wait, shared_->charge(bytes, now));
  return wait;
}

asio::awaitable<void> Throttle::pace(std::uint64_t bytes) {
  const auto wait = charge(bytes, Clock::now());
  if (wait <= Clock::duration::zero()) co_return;
  asio::steady_timer timer(co_await asio::this_coro::executor, wait);
  std::error_code ignored;
  co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
}

std::size_t Throttle::chunk(std::size_t ceiling) const noexcept {
  std::uint64_t bytes = ceiling;
  if (rate_ != 0) bytes = std::min(bytes, rate_ / 8);
  if (shared_ != nullptr && shared_->rate() != 0) bytes = std::min(bytes, shared_->rate() / 32);
  return static_cast<std::size_t>(
      std::clamp<std::uint64_t>(bytes, std::min<std::uint64_t>(1024, ceiling), ceiling));
}

}  // namespace cppftpd
