#pragma once
// systemd socket activation (sd_listen_fds(3)): LISTEN_PID names this
// process and LISTEN_FDS counts the descriptors passed from 3 on.

#include <optional>
#include <string>

namespace cppftpd::cli {

/// The listening descriptor systemd passed (3), or std::nullopt when none
/// was passed to this process. Unsets LISTEN_PID, LISTEN_FDS and
/// LISTEN_FDNAMES so children do not see them. Throws std::runtime_error
/// when the variables are malformed or pass more than one descriptor.
std::optional<int> socket_from_systemd();

}  // namespace cppftpd::cli
