#pragma once
// DescriptorReserve: one descriptor held back for the moment the process
// runs out (EMFILE), so that a waiting client can still be told 421 and
// closed instead of hanging in the accept queue (docs/security.md,
// "Resource exhaustion").

#include "sys/unique_fd.hpp"

#include <cstddef>
#include <string_view>

namespace cppftpd::sys {

class DescriptorReserve {
 public:
  /// Holds one descriptor (/dev/null) if it can get one.
  DescriptorReserve() noexcept;

  /// With the reserve released, accepts up to `max` connections waiting on
  /// the listening socket `listener_fd` (never blocks), writes `reply` to
  /// each (a fresh socket's buffer takes it at once) and closes it; then
  /// takes the reserve back. Returns how many were refused.
  std::size_t refuse_waiting(int listener_fd, std::string_view reply, std::size_t max) noexcept;

 private:
  UniqueFd spare_;
};

}  // namespace cppftpd::sys
