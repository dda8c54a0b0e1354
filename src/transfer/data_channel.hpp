#pragma once
// DataChannel: how the next data connection of a session will be made.
// PASV/EPSV open a PassiveListener; PORT/EPRT record where to connect.
// Either way, open() yields a connected socket whose peer is the control
// connection's peer (DESIGN.md principle 8: no bounce, no theft).

#include <cppftpd/config.hpp>
#include <cppftpd/result.hpp>

#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>

#include <chrono>
#include <memory>
#include <optional>

namespace cppftpd {

class DataChannel {
 public:
  /// Opens a listener on `executor`, on `local` (the address the client reached us at), on a
  /// port from `range` (any port when the range is {0,0}). Replaces whatever
  /// was prepared before. Returns the port.
  Result<std::uint16_t> listen_passive(const asio::any_io_executor& executor,
                                       const asio::ip::address& local, const PortRange& range);

  /// Records an active-mode target (PORT/EPRT), already checked by the caller.
  /// Replaces whatever was prepared before.
  void set_active(const asio::ip::tcp::endpoint& target);

  /// Whether PASV/EPSV/PORT/EPRT prepared a connection that open() can use.
  bool prepared() const noexcept { return listener_ != nullptr || active_.has_value(); }

  /// Makes the data connection (on the awaiting coroutine's executor)
  /// prepared earlier, consuming the preparation:
  /// accepts on the passive listener (closing, and going on waiting past, any
  /// connection whose address is not `control_peer`), or connects to the
  /// active target from `local` (port chosen by the kernel). Fails with
  /// timed_out after `timeout`, operation_canceled after cancel().
  asio::awaitable<Result<asio::ip::tcp::socket>> open(const asio::ip::address& control_peer,
                                                      const asio::ip::address& local,
                                                      std::chrono::seconds timeout);

  /// Whether an open() in progress has a connection on its way: one waiting
  /// in the passive listener's accept queue, or an active connect underway.
  bool connection_pending() noexcept;

  /// Aborts an open() in progress and forgets the preparation (ABOR, REIN).
  void cancel();

 private:
  // After PASV/EPSV (an idle session holds none).
  std::unique_ptr<asio::ip::tcp::acceptor> listener_;
  std::optional<asio::ip::tcp::endpoint> active_;
  asio::ip::tcp::socket* connecting_ = nullptr;   // the active socket while open() runs
  asio::ip::tcp::acceptor* accepting_ = nullptr;  // the listener while open() runs
};

}  // namespace cppftpd
