#pragma once
// TLS handshake and shutdown on an asio::ssl::stream, each bounded by a
// deadline: a client that opens TLS and goes silent is cut, and never
// stalls the event loop (everything here is asynchronous).

#include <asio/awaitable.hpp>
#include <asio/redirect_error.hpp>
#include <asio/ssl/stream.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include <chrono>
#include <memory>
#include <system_error>

namespace cppftpd::tls {

namespace detail {

// Closes the connection's socket if `timeout` passes first. The state is
// shared with the timer's handler, so disarm() makes a handler that was
// already queued harmless after the guarded operation returned.
template <typename Lowest>
class Deadline {
 public:
  Deadline(const asio::any_io_executor& executor, Lowest& socket, std::chrono::seconds timeout)
      : state_(std::make_shared<State>(executor, &socket)) {
    state_->timer.expires_after(timeout);
    state_->timer.async_wait([state = state_](const std::error_code& ec) {
      if (ec || state->socket == nullptr) return;
      state->expired = true;
      std::error_code ignored;
      state->socket->close(ignored);
    });
  }
  ~Deadline() { disarm(); }
  Deadline(const Deadline&) = delete;
  Deadline& operator=(const Deadline&) = delete;

  /// True when the deadline passed (and the socket was closed).
  bool disarm() {
    state_->socket = nullptr;
    state_->timer.cancel();
    return state_->expired;
  }

 private:
  struct State {
    State(const asio::any_io_executor& executor, Lowest* s) : timer(executor), socket(s) {}
    asio::steady_timer timer;
    Lowest* socket;
    bool expired = false;
  };
  std::shared_ptr<State> state_;
};

}  // namespace detail

/// The server side of a TLS handshake. timed_out when the client did not
/// finish within `timeout` (its connection is then closed).
template <typename Stream>
asio::awaitable<std::error_code> server_handshake(Stream& stream, std::chrono::seconds timeout) {
  detail::Deadline deadline(co_await asio::this_coro::executor, stream.lowest_layer(), timeout);
  std::error_code ec;
  co_await stream.async_handshake(asio::ssl::stream_base::server,
                                  asio::redirect_error(asio::use_awaitable, ec));
  if (deadline.disarm()) ec = std::make_error_code(std::errc::timed_out);
  co_return ec;
}

/// Sends close_notify and waits, up to `timeout`, for the client's (RFC 8446
/// 6.1): the client then knows the data ended here and was not cut.
template <typename Stream>
asio::awaitable<void> shutdown(Stream& stream, std::chrono::seconds timeout) {
  detail::Deadline deadline(co_await asio::this_coro::executor, stream.lowest_layer(), timeout);
  std::error_code ignored;
  co_await stream.async_shutdown(asio::redirect_error(asio::use_awaitable, ignored));
  deadline.disarm();
}

}  // namespace cppftpd::tls
