#pragma once
// AsyncEvent: a one-shot "something happened" that coroutines on one
// io_context can await (Asio has no async condition variable; a timer that
// never expires and is cancelled to notify is the idiomatic stand-in). All
// its users run on one executor (the session's).

#include <asio/awaitable.hpp>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include <memory>

namespace cppftpd {

class AsyncEvent {
 public:
  AsyncEvent() = default;

  /// Wakes every waiter, now and later, until reset().
  void notify() {
    set_ = true;
    if (timer_) timer_->cancel();
  }
  void reset() noexcept { set_ = false; }
  bool is_set() const noexcept { return set_; }

  /// Returns once notify() has been called. The timer is made by the first
  /// wait that has to wait (on the waiter's executor) and kept: most
  /// sessions never wait, and an idle one should not hold it.
  asio::awaitable<void> wait() {
    while (!set_) {
      if (!timer_) {
        timer_ = std::make_unique<asio::steady_timer>(co_await asio::this_coro::executor,
                                                      asio::steady_timer::time_point::max());
      }
      std::error_code ignored;
      co_await timer_->async_wait(asio::redirect_error(asio::use_awaitable, ignored));
    }
  }

 private:
  std::unique_ptr<asio::steady_timer> timer_;
  bool set_ = false;
};

}  // namespace cppftpd
