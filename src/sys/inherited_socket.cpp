#include "sys/inherited_socket.hpp"

#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>

namespace cppftpd::sys {

int listening_tcp_family(int fd, std::error_code& error) noexcept {
  error.clear();
  sockaddr_storage address{};
  socklen_t length = sizeof address;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    error.assign(errno, std::system_category());  // EBADF, ENOTSOCK
    return 0;
  }
  int type = 0;
  int listening = 0;
  int protocol = 0;
  socklen_t size = sizeof type;
  const bool ok =
      ::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &size) == 0 &&
      (size = sizeof listening,
       ::getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &size) == 0) &&
      (size = sizeof protocol, ::getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &protocol, &size) == 0);
  if (!ok) {
    error.assign(errno, std::system_category());
    return 0;
  }
  const int family = address.ss_family;
  if ((family != AF_INET && family != AF_INET6) || type != SOCK_STREAM || protocol != IPPROTO_TCP) {
    error = std::make_error_code(std::errc::address_family_not_supported);
    return 0;
  }
  if (listening == 0) {
    error = std::make_error_code(std::errc::invalid_argument);
    return 0;
  }
  return family;
}

}  // namespace cppftpd::sys
