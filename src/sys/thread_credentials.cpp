#include "sys/thread_credentials.hpp"

#include <sys/fsuid.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

namespace cppftpd::sys {

namespace {

// The 32-bit-id system calls where the architecture has both (i386, arm);
// x86-64 and arm64 only have the 32-bit ones under the plain names.
#ifdef SYS_setgroups32
constexpr long kSetGroups = SYS_setgroups32;
constexpr long kGetGroups = SYS_getgroups32;
#else
constexpr long kSetGroups = SYS_setgroups;
constexpr long kGetGroups = SYS_getgroups;
#endif

// The raw system calls act on the calling thread only. glibc's setgroups()
// would signal every thread of the process to change with it (POSIX wants
// process-wide ids), which would hand one session's groups to all others.
int thread_setgroups(const std::vector<gid_t>& groups) noexcept {
  return static_cast<int>(::syscall(kSetGroups, groups.size(), groups.data()));
}

std::error_code errno_code() noexcept { return {errno, std::generic_category()}; }

}  // namespace

uid_t current_fsuid() noexcept {
  // setfsuid() returns the previous fs uid, and an id that cannot be set
  // (-1) changes nothing: the one way to read it.
  return static_cast<uid_t>(::setfsuid(static_cast<uid_t>(-1)));
}

gid_t current_fsgid() noexcept { return static_cast<gid_t>(::setfsgid(static_cast<gid_t>(-1))); }

ScopedFsIdentity::ScopedFsIdentity(const FsIdentity& identity) {
  saved_uid_ = current_fsuid();
  saved_gid_ = current_fsgid();
  const long count = ::syscall(kGetGroups, 0, nullptr);
  if (count < 0) {
    status_ = errno_code();
    return;
  }
  saved_groups_.resize(static_cast<std::size_t>(count));
  if (::syscall(kGetGroups, saved_groups_.size(), saved_groups_.data()) != count) {
    status_ = std::make_error_code(std::errc::resource_unavailable_try_again);
    return;
  }
  // Groups and gid first, while the fs uid is still the privileged one.
  if (thread_setgroups(identity.groups) != 0) {
    status_ = errno_code();
    return;
  }
  switched_ = true;
  // setfsgid()/setfsuid() report no error: each is read back instead.
  ::setfsgid(identity.gid);
  if (current_fsgid() != identity.gid) {
    status_ = std::make_error_code(std::errc::operation_not_permitted);
    restore();
    return;
  }
  ::setfsuid(identity.uid);
  if (current_fsuid() != identity.uid) {
    status_ = std::make_error_code(std::errc::operation_not_permitted);
    restore();
  }
}

ScopedFsIdentity::~ScopedFsIdentity() { restore(); }

void ScopedFsIdentity::restore() noexcept {
  if (!switched_) return;
  switched_ = false;
  // The uid first: it gives back the file capabilities; CAP_SETUID and
  // CAP_SETGID were never dropped, so every step here can succeed.
  ::setfsuid(saved_uid_);
  ::setfsgid(saved_gid_);
  if (current_fsuid() != saved_uid_ || current_fsgid() != saved_gid_ ||
      thread_setgroups(saved_groups_) != 0) {
    // This thread serves other sessions next: continuing as the wrong user
    // would run their file operations with someone else's rights.
    std::abort();
  }
}

}  // namespace cppftpd::sys
