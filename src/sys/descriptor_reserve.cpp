#include "sys/descriptor_reserve.hpp"

#include "sys/socket_options.hpp"

#include <fcntl.h>
#include <sys/socket.h>

namespace cppftpd::sys {

namespace {

UniqueFd open_spare() noexcept { return UniqueFd(::open("/dev/null", O_RDONLY | O_CLOEXEC)); }

}  // namespace

DescriptorReserve::DescriptorReserve() noexcept : spare_(open_spare()) {}

std::size_t DescriptorReserve::refuse_waiting(int listener_fd, std::string_view reply,
                                              std::size_t max) noexcept {
  spare_.reset();
  std::size_t refused = 0;
  while (refused < max && readable_now(listener_fd)) {
    UniqueFd client(::accept4(listener_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
    if (!client) break;
    // Best effort: the client may be gone already.
    (void)::send(client.get(), reply.data(), reply.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    (void)::shutdown(client.get(), SHUT_RDWR);
    ++refused;
  }
  spare_ = open_spare();
  return refused;
}

}  // namespace cppftpd::sys
