#pragma once
// AsyncEvent: a one-shot "something happened" that coroutines on one
// io_context can await (Asio has no async condition variable; a timer that
// never expires and is cancelled to notify is the idiomatic stand-in).

#include <asio/awaitable.hpp>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>

namespace cppftpd {

class AsyncEvent {
 public:
  explicit AsyncEvent(const asio::any_io_executor& executor) : timer_(executor) {
    timer_.expires_at(asio::steady_timer::time_point::max());
  }

  /// Wakes every waiter, now and later, until reset().
  void notify() {
    set_ = true;
    timer_.cancel();
  }
  void reset() {
    set_ = false;
    timer_.expires_at(asio::steady_timer::time_point::max());
  }
  bool is_set() const noexcept { return set_; }

  /// Returns once notify() has been called.
  asio::awaitable<void> wait() {
    while (!set_) {
      std::error_code ignored;
      co_await timer_.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
    }
  }

 private:
  asio::steady_timer timer_;
  bool set_ = false;
};

}  // namespace cppftpd
