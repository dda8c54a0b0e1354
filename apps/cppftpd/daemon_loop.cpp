#include "daemon_loop.hpp"

#include <spdlog/spdlog.h>

#include <csignal>

namespace cppftpd::cli {

DaemonLoop::DaemonLoop(std::function<void()> reload, std::function<void()> reopen)
    : signals_(context_, SIGHUP, SIGUSR1), reload_(std::move(reload)), reopen_(std::move(reopen)) {
  wait_for_signal();
}

DaemonLoop::~DaemonLoop() { stop(); }

void DaemonLoop::stop() {
  context_.stop();
  if (thread_.joinable()) thread_.join();
  services_.clear();  // nothing runs them any more
}

void DaemonLoop::start() {
  thread_ = std::thread([this] { context_.run(); });
}

void DaemonLoop::wait_for_signal() {
  signals_.async_wait([this](const std::error_code& error, int number) {
    if (error) return;  // cancelled: the loop is stopping
    // A reload or reopen that throws must not end the daemon: it is logged.
    try {
      // Reopened first, so what follows goes to the new files.
      if (reopen_) reopen_();
      if (number == SIGHUP) {
        spdlog::info("SIGHUP: log files reopened, reloading users");
        if (reload_) reload_();
      } else {
        spdlog::info("SIGUSR1: log files reopened");
      }
    } catch (const std::exception& e) {
      spdlog::error("signal {}: {}", number, e.what());
    }
    wait_for_signal();
  });
}

}  // namespace cppftpd::cli
