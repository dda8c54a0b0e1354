#pragma once
// Server: listens, runs the sessions, stops cleanly.

#include <cppftpd/authorizer.hpp>
#include <cppftpd/config.hpp>
#include <cppftpd/events.hpp>
#include <cppftpd/filesystem.hpp>

#include <cstdint>
#include <memory>

namespace cppftpd {

/// An FTP server. The constructor binds the listening socket(s) (throwing
/// std::system_error with a clear message when it cannot), so port() is known
/// before run(). The authorizer must outlive the server.
class Server {
 public:
  Server(ServerConfig config, Authorizer& authorizer);
  /// As above, with event hooks.
  Server(ServerConfig config, Authorizer& authorizer, EventHooks hooks);
  /// As above, with storage other than the local disk (nullptr: the local
  /// disk), and optionally event hooks.
  Server(ServerConfig config, Authorizer& authorizer, std::unique_ptr<Filesystem> filesystem,
         EventHooks hooks = {});
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  /// Serves until stop() is called or, when config.handle_signals, until
  /// SIGINT/SIGTERM. Returns after every session has ended.
  void run();
  /// Starts serving on background threads and returns at once; wait() joins.
  void start();
  /// Waits for the threads started by start() to finish (after stop()).
  void wait();
  /// Stops accepting, lets running transfers finish within
  /// config.shutdown_grace, then closes every session. Thread-safe.
  void stop();

  /// The bound control port (useful with port 0).
  std::uint16_t port() const noexcept;
  /// The bound implicit FTPS port (config.tls.implicit_port), or 0.
  std::uint16_t implicit_tls_port() const noexcept;

  /// Changes the bandwidth limits while the server runs (e.g. on a reload);
  /// they start as the ServerConfig fields of the same names. Running
  /// transfers follow new server-wide caps at once; a new per-transfer rate
  /// applies from the next transfer. Thread-safe.
  void set_rates(const RateSettings& rates) noexcept;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cppftpd
