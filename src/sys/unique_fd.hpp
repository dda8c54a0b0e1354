#pragma once
// UniqueFd: sole owner of a kernel file descriptor, closed when the owner goes away.

#include <unistd.h>

namespace cppftpd::sys {

/// Owns one file descriptor (or none, -1). Move-only; closes on destruction.
class UniqueFd {
 public:
  UniqueFd() noexcept = default;
  /// Takes ownership of `fd` (-1 for none).
  explicit UniqueFd(int fd) noexcept : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) reset(other.release());
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }

  /// The descriptor, still owned (-1 when empty).
  int get() const noexcept { return fd_; }
  /// Gives up ownership without closing; the caller now owns the descriptor.
  int release() noexcept {
    const int fd = fd_;
    fd_ = -1;
    return fd;
  }
  /// Closes the owned descriptor (if any) and takes `fd` instead.
  void reset(int fd = -1) noexcept {
    // close(2) errors are ignored here: on Linux the descriptor is released
    // even when close fails, and retrying on EINTR could close a reused number.
    // Callers that must see a late write error close explicitly (FileWriter).
    if (fd_ >= 0 && fd_ != fd) ::close(fd_);
    fd_ = fd;
  }
  explicit operator bool() const noexcept { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

}  // namespace cppftpd::sys
