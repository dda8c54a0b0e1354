#include "socket_activation.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <charconv>
#include <cstdlib>
#include <stdexcept>
#include <string_view>

namespace cppftpd::cli {

namespace {

constexpr int kFirstPassedFd = 3;  // SD_LISTEN_FDS_START

std::optional<long> number(const char* text) {
  if (text == nullptr) return std::nullopt;
  const std::string_view s(text);
  long value = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return value;
}

}  // namespace

std::optional<int> socket_from_systemd() {
  const char* pid_text = std::getenv("LISTEN_PID");
  const char* fds_text = std::getenv("LISTEN_FDS");
  if (pid_text == nullptr && fds_text == nullptr) return std::nullopt;
  const auto pid = number(pid_text);
  const auto fds = number(fds_text);
  const std::string pid_copy = pid_text != nullptr ? pid_text : "";
  const std::string fds_copy = fds_text != nullptr ? fds_text : "";
  ::unsetenv("LISTEN_PID");
  ::unsetenv("LISTEN_FDS");
  ::unsetenv("LISTEN_FDNAMES");
  // Meant for another process (a parent that exec'd us without cleaning
  // up): not ours to take.
  if (pid && *pid != ::getpid()) return std::nullopt;
  if (!pid || !fds) {
    throw std::runtime_error("socket activation: malformed LISTEN_PID='" + pid_copy +
                             "' or LISTEN_FDS='" + fds_copy + "'");
  }
  if (*fds == 0) return std::nullopt;
  if (*fds != 1) {
    throw std::runtime_error("socket activation: " + fds_copy +
                             " sockets passed; cppftpd accepts on exactly one (the control port)");
  }
  // Not to be inherited by anything we start.
  const int flags = ::fcntl(kFirstPassedFd, F_GETFD);
  if (flags >= 0) ::fcntl(kFirstPassedFd, F_SETFD, flags | FD_CLOEXEC);
  return kFirstPassedFd;
}

}  // namespace cppftpd::cli
