#pragma once
// A listening socket handed over by whoever started the process (systemd
// socket activation, inetd-style supervisors).

#include <system_error>

namespace cppftpd::sys {

/// The address family (AF_INET or AF_INET6) of `fd` if it is a listening
/// TCP socket; otherwise an error saying what it is not.
int listening_tcp_family(int fd, std::error_code& error) noexcept;

}  // namespace cppftpd::sys
