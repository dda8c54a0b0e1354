#include "sys/socket_options.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>

namespace cppftpd::sys {

void set_oob_inline(int fd) noexcept {
  const int on = 1;
  // Best effort: without it only urgent-data ABOR lines degrade.
  (void)::setsockopt(fd, SOL_SOCKET, SO_OOBINLINE, &on, sizeof on);
}

void set_notsent_lowat(int fd, int bytes) noexcept {
  (void)::setsockopt(fd, IPPROTO_TCP, TCP_NOTSENT_LOWAT, &bytes, sizeof bytes);
}

bool readable_now(int fd) noexcept {
  pollfd entry{fd, POLLIN, 0};
  return ::poll(&entry, 1, 0) > 0 && (entry.revents & POLLIN) != 0;
}

}  // namespace cppftpd::sys
