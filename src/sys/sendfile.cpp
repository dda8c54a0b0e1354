#include "sys/sendfile.hpp"

#include <sys/sendfile.h>

#include <cerrno>

namespace cppftpd::sys {

Result<std::size_t> send_file_chunk(int out_fd, int in_fd, std::size_t count) {
  for (;;) {
    const ssize_t sent = ::sendfile(out_fd, in_fd, nullptr, count);
    if (sent >= 0) return static_cast<std::size_t>(sent);
    if (errno == EINTR) continue;
    return std::error_code(errno, std::generic_category());
  }
}

}  // namespace cppftpd::sys
