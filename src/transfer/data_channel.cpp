#include "transfer/data_channel.hpp"

#include "protocol/host_port.hpp"
#include "sys/socket_options.hpp"

#include <spdlog/spdlog.h>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include <random>

namespace cppftpd {

namespace {

using asio::ip::tcp;

// Where in a passive range to start looking: random, so that concurrent
// sessions do not all race for the first port and a client cannot predict
// the next port (draft-ietf-ftpext-sec-consider-02, "port stealing").
std::uint32_t random_offset(std::uint32_t span) {
  thread_local std::minstd_rand engine{std::random_device{}()};
  return std::uniform_int_distribution<std::uint32_t>(0, span - 1)(engine);
}

// An Asio cancellation (ABOR closed the socket) reads as operation_canceled.
std::error_code canceled_or(std::error_code ec) {
  return ec == asio::error::operation_aborted ? std::make_error_code(std::errc::operation_canceled)
                                              : ec;
}

}  // namespace

Result<std::uint16_t> DataChannel::listen_passive(const asio::any_io_executor& executor,
                                                  const asio::ip::address& local,
                                                  const PortRange& range) {
  cancel();
  const auto address = protocol::unmap(local);
  const std::uint32_t first = range.first;
  const std::uint32_t span = range.first == 0 ? 1 : range.last - range.first + 1U;
  const std::uint32_t start = span > 1 ? random_offset(span) : 0;
  std::error_code ec = std::make_error_code(std::errc::address_in_use);
  std::unique_ptr<tcp::acceptor> acceptor;
  for (std::uint32_t i = 0; i < span; ++i) {
    if (!acceptor) {
      acceptor = std::make_unique<tcp::acceptor>(executor);
      acceptor->open(address.is_v4() ? tcp::v4() : tcp::v6(), ec);
      if (ec) return ec;
      acceptor->set_option(tcp::acceptor::reuse_address(true), ec);
    }
    const auto port = static_cast<std::uint16_t>(range.first == 0 ? 0 : first + (start + i) % span);
    acceptor->bind(tcp::endpoint(address, port), ec);
    if (!ec) {
      acceptor->listen(8, ec);
      // Two sockets with SO_REUSEADDR may both bind a port nobody listens
      // on yet (two sessions on two threads picking the same port); the
      // second to listen() gets EADDRINUSE. That port is taken: a new
      // socket tries the next one.
      if (ec) acceptor.reset();
    }
    if (!ec) break;
    if (ec != asio::error::address_in_use) return ec;
  }
  if (ec) return ec;
  const auto port = acceptor->local_endpoint(ec).port();
  if (ec) return ec;
  listener_ = std::move(acceptor);
  return port;
}

void DataChannel::set_active(const tcp::endpoint& target) {
  cancel();
  active_ = target;
}

asio::awaitable<Result<tcp::socket>> DataChannel::open(const asio::ip::address& control_peer,
                                                       const asio::ip::address& local,
                                                       std::chrono::seconds timeout) {
  // The deadline cancels the pending accept/connect from a timer callback,
  // so the accept's completion resumes this coroutine at once (Asio's `||`
  // would first wait for the cancelled timer: a window in which the
  // connection is neither queued nor handed over).
  // Shared with the timer callback, which may run after open() returned (if
  // it fired just as the connection completed): `finished` keeps it from
  // touching a socket that is gone.
  struct DeadlineState {
    bool timed_out = false;
    bool finished = false;
  };
  auto state = std::make_shared<DeadlineState>();
  struct Finish {
    DeadlineState& state;
    ~Finish() { state.finished = true; }
  } finish{*state};
  const asio::any_io_executor executor = co_await asio::this_coro::executor;
  asio::steady_timer deadline(executor);
  deadline.expires_after(timeout);

  if (listener_) {
    tcp::acceptor acceptor = std::move(*listener_);
    listener_.reset();
    accepting_ = &acceptor;
    deadline.async_wait([state, &acceptor](const std::error_code& ec) {
      if (ec || state->finished) return;  // open() has finished: `acceptor` may be gone
      state->timed_out = true;
      std::error_code ignored;
      acceptor.cancel(ignored);
    });
    const auto expected = protocol::unmap(control_peer);
    std::error_code mode_error;
    acceptor.non_blocking(true, mode_error);
    for (;;) {
      // Wait for a connection, then take it here: it stays in the kernel's
      // accept queue until this coroutine runs, so connection_pending() sees
      // it all along. (An async_accept takes it off the queue in the reactor
      // and resumes later: a QUIT handled in between saw neither a queued
      // connection nor a transfer socket, and cut a transfer that had come.)
      std::error_code ec;
      co_await acceptor.async_wait(tcp::acceptor::wait_read,
                                   asio::redirect_error(asio::use_awaitable, ec));
      tcp::socket socket(executor);
      if (!ec) {
        acceptor.accept(socket, ec);
        if (ec == asio::error::would_block || ec == asio::error::try_again ||
            ec == asio::error::connection_aborted) {
          continue;  // gone before we took it: wait for the next
        }
      }
      if (ec) {
        accepting_ = nullptr;
        deadline.cancel();
        if (state->timed_out) co_return std::errc::timed_out;
        co_return canceled_or(ec);
      }
      std::error_code peer_error;
      const auto peer = socket.remote_endpoint(peer_error);
      if (!peer_error && protocol::unmap(peer.address()) == expected) {
        accepting_ = nullptr;
        deadline.cancel();
        co_return std::move(socket);
      }
      // RFC 2577 / sec-consider "port stealing": a connection from anywhere
      // but the client is dropped, and the real client can still connect.
      spdlog::warn("refused passive data connection from {} (expected {})",
                   peer_error ? std::string("?") : peer.address().to_string(),
                   expected.to_string());
    }
  }

  if (!active_) co_return std::errc::not_connected;
  const tcp::endpoint target = *active_;
  active_.reset();
  tcp::socket socket(executor);
  std::error_code ec;
  socket.open(target.protocol(), ec);
  if (ec) co_return ec;
  // Connect from the address the client reached us at, so that the data
  // connection comes from the same host as the control connection.
  const auto source = protocol::unmap(local);
  if (source.is_v4() == target.address().is_v4()) {
    socket.bind(tcp::endpoint(source, 0), ec);
    if (ec) co_return ec;
  }
  connecting_ = &socket;
  deadline.async_wait([state, &socket](const std::error_code& wait_error) {
    if (wait_error || state->finished) return;  // open() has finished
    state->timed_out = true;
    std::error_code ignored;
    socket.cancel(ignored);
  });
  co_await socket.async_connect(target, asio::redirect_error(asio::use_awaitable, ec));
  connecting_ = nullptr;
  deadline.cancel();
  if (state->timed_out) co_return std::errc::timed_out;
  if (ec) co_return canceled_or(ec);
  co_return std::move(socket);
}

bool DataChannel::connection_pending() noexcept {
  if (connecting_ != nullptr || active_) return true;  // connecting, or about to
  // The listener is either still here (open() not yet started) or in open().
  tcp::acceptor* listener = accepting_ != nullptr ? accepting_ : listener_.get();
  return listener != nullptr && sys::readable_now(listener->native_handle());
}

void DataChannel::cancel() {
  std::error_code ignored;
  if (accepting_) accepting_->close(ignored);
  if (connecting_) connecting_->close(ignored);
  listener_.reset();
  active_.reset();
}

}  // namespace cppftpd
