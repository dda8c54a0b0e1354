#include "sys/socket_options.hpp"

#include <poll.h>
#include <sys/socket.h>

namespace cppftpd::sys {

void set_oob_inline(int fd) noexcept {
  const int on = 1;
  // Best effort: without it only urgent-data ABOR lines degrade.
  (void)::setsockopt(fd, SOL_SOCKET, SO_OOBINLINE, &on, sizeof on);
}

bool readable_now(int fd) noexcept {
  pollfd entry{fd, POLLIN, 0};
  return ::poll(&entry, 1, 0) > 0 && (entry.revents & POLLIN) != 0;
}

}  // namespace cppftpd::sys
