#pragma once
// splice(2): socket-to-file copies through a kernel pipe, never through user
// space (DESIGN.md principle 9: "large buffers or splice for STOR").

#include <cppftpd/result.hpp>

#include "sys/unique_fd.hpp"

#include <cstddef>

namespace cppftpd::sys {

/// A pipe to splice through: what splice_in() puts in, splice_out() drains.
class SplicePipe {
 public:
  /// A pipe of (up to) `capacity` bytes; the kernel's default size if it
  /// refuses a larger one.
  static Result<SplicePipe> make(std::size_t capacity);
  /// Moves up to `count` bytes from the non-blocking socket `socket_fd` into
  /// the (empty) pipe. Returns the bytes moved, 0 at end of stream, or an
  /// error; resource_unavailable_try_again when nothing has arrived.
  Result<std::size_t> splice_in(int socket_fd, std::size_t count);
  /// Moves `count` bytes from the pipe into `file_fd` at its offset.
  Status splice_out(int file_fd, std::size_t count);
  /// The pipe's size: the most one splice_in() can move.
  std::size_t capacity() const noexcept { return capacity_; }

 private:
  SplicePipe(UniqueFd read, UniqueFd write, std::size_t capacity)
      : read_(std::move(read)), write_(std::move(write)), capacity_(capacity) {}
  UniqueFd read_;
  UniqueFd write_;
  std::size_t capacity_;
};

}  // namespace cppftpd::sys
