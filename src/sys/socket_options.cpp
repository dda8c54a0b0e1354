#include "sys/socket_options.hpp"

#include <sys/socket.h>

namespace cppftpd::sys {

void set_oob_inline(int fd) noexcept {
  const int on = 1;
  // Best effort: without it only urgent-data ABOR lines degrade.
  (void)::setsockopt(fd, SOL_SOCKET, SO_OOBINLINE, &on, sizeof on);
}

}  // namespace cppftpd::sys
