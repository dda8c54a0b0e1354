#include "sys/openat2.hpp"

#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

namespace cppftpd::sys {

namespace {

// The kernel gives EAGAIN under RESOLVE_BENEATH when a concurrent rename or
// mount could have let ".." escape; it asks the caller to retry. A bound keeps
// a hostile renaming loop from spinning us forever.
constexpr int kEagainRetries = 32;

}  // namespace

Result<UniqueFd> openat2(int dirfd, const char* path, std::uint64_t flags, std::uint64_t mode,
                         std::uint64_t resolve) noexcept {
  open_how how{};
  // O_LARGEFILE is 0 on 64-bit glibc and required on 32-bit: the raw syscall
  // does not get it added the way glibc's open() wrappers add it.
  how.flags = flags | static_cast<std::uint64_t>(O_LARGEFILE);
  how.mode = mode;
  how.resolve = resolve;
  for (;;) {
    const long fd = ::syscall(SYS_openat2, dirfd, path, &how, sizeof how);
    if (fd >= 0) return UniqueFd(static_cast<int>(fd));
    if (errno != EINTR) return std::error_code(errno, std::generic_category());
  }
}

Result<UniqueFd> open_beneath(int root_fd, const std::string& relative, std::uint64_t flags,
                              std::uint64_t mode) noexcept {
  // c_str() would silently cut the path at the NUL: the kernel would open a
  // different (shorter) path than the one the caller checked permissions on.
  if (relative.find('\0') != std::string::npos) return std::errc::invalid_argument;
  for (int attempt = 0;; ++attempt) {
    auto fd = openat2(root_fd, relative.c_str(), flags, mode, kResolveConfined);
    if (fd.ok()) return fd;
    const int error = fd.error().value();
    if (error == EAGAIN && attempt < kEagainRetries) continue;
    // EXDEV: the lookup tried to leave the root. ELOOP: a magic link, or a
    // symlink chain too long to be honest. Both are refusals, not missing files.
    if (error == EXDEV || error == ELOOP) return std::errc::permission_denied;
    return fd;
  }
}

}  // namespace cppftpd::sys
