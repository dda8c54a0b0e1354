#include "sys/splice.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

namespace cppftpd::sys {

namespace {

std::error_code last_error() { return {errno, std::generic_category()}; }

}  // namespace

Result<SplicePipe> SplicePipe::make(std::size_t capacity) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) return last_error();
  UniqueFd read(fds[0]);
  UniqueFd write(fds[1]);
  // Larger than the 64 KiB default means fewer system calls per byte;
  // /proc/sys/fs/pipe-max-size (1 MiB by default) bounds it for non-root.
  const int size = ::fcntl(write.get(), F_SETPIPE_SZ, static_cast<int>(capacity));
  const int actual = size > 0 ? size : ::fcntl(write.get(), F_GETPIPE_SZ);
  if (actual <= 0) return last_error();
  return SplicePipe(std::move(read), std::move(write), static_cast<std::size_t>(actual));
}

Result<std::size_t> SplicePipe::splice_in(int socket_fd, std::size_t count) {
  for (;;) {
    const ssize_t moved = ::splice(socket_fd, nullptr, write_.get(), nullptr, count,
                                   SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
    if (moved >= 0) return static_cast<std::size_t>(moved);
    if (errno == EINTR) continue;
    return last_error();
  }
}

Status SplicePipe::splice_out(int file_fd, std::size_t count) {
  while (count > 0) {
    const ssize_t moved = ::splice(read_.get(), nullptr, file_fd, nullptr, count, SPLICE_F_MOVE);
    if (moved < 0) {
      if (errno == EINTR) continue;
      return last_error();
    }
    // The pipe holds `count` bytes: 0 would mean it was drained behind our back.
    if (moved == 0) return std::make_error_code(std::errc::io_error);
    count -= static_cast<std::size_t>(moved);
  }
  return {};
}

}  // namespace cppftpd::sys
