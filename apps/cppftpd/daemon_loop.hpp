#pragma once
// DaemonLoop: the daemon's own event loop, beside the server's workers, on
// one thread: SIGHUP (reload) and SIGUSR1 (reopen log files), and the
// metrics endpoint. Nothing on it is on the FTP hot path.

#include <asio/io_context.hpp>
#include <asio/signal_set.hpp>

#include <functional>
#include <memory>
#include <thread>
#include <vector>

namespace cppftpd::cli {

class DaemonLoop {
 public:
  /// Handles SIGHUP with `reload` and SIGUSR1 with `reopen`, from now on (the
  /// default action of both would end the process). Both run on the loop's
  /// thread, one at a time.
  DaemonLoop(std::function<void()> reload, std::function<void()> reopen);
  /// Stops the loop and joins its thread.
  ~DaemonLoop();
  DaemonLoop(const DaemonLoop&) = delete;
  DaemonLoop& operator=(const DaemonLoop&) = delete;

  /// The loop's context, for other services (metrics) to run on; start()
  /// must be called after they are set up.
  asio::io_context& context() noexcept { return context_; }
  /// Keeps `service` (which runs on context()) alive until the loop's
  /// thread has stopped.
  void keep(std::shared_ptr<void> service) { services_.push_back(std::move(service)); }
  /// Starts the loop's thread.
  void start();
  /// Stops the loop and joins its thread (also done by the destructor).
  void stop();

 private:
  void wait_for_signal();

  asio::io_context context_{1};
  asio::signal_set signals_;
  std::function<void()> reload_;
  std::function<void()> reopen_;
  std::thread thread_;
  std::vector<std::shared_ptr<void>> services_;
};

}  // namespace cppftpd::cli
