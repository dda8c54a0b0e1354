#pragma once
// openat2(2), the kernel's confined path resolution (DESIGN.md principle 7).

#include "sys/unique_fd.hpp"

#include <cppftpd/result.hpp>

#include <linux/openat2.h>

#include <cstdint>
#include <string>

namespace cppftpd::sys {

/// The resolve flags that confine a lookup to the directory it starts from:
/// RESOLVE_BENEATH (no "..", absolute path or symlink may leave it) and
/// RESOLVE_NO_MAGICLINKS (no /proc/self/fd/N style jumps).
inline constexpr std::uint64_t kResolveConfined = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;

/// openat2(dirfd, path, {flags, mode, resolve}); retries EINTR. The error is
/// errno as a std::generic_category code, unmapped (EXDEV, ELOOP, ...).
Result<UniqueFd> openat2(int dirfd, const char* path, std::uint64_t flags, std::uint64_t mode,
                         std::uint64_t resolve) noexcept;

/// Opens `relative` beneath the directory `root_fd` with kResolveConfined.
/// A lookup that would leave the root (EXDEV) or meets a magic link or a
/// symlink loop (ELOOP) fails with std::errc::permission_denied; a path
/// holding a NUL byte fails with std::errc::invalid_argument. Retries the
/// EAGAIN the kernel returns when a rename raced with resolving "..".
Result<UniqueFd> open_beneath(int root_fd, const std::string& relative, std::uint64_t flags,
                              std::uint64_t mode = 0) noexcept;

}  // namespace cppftpd::sys
