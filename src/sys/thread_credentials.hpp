#pragma once
// Per-thread file-system credentials: how one multi-threaded server process
// touches files as many different system users at once (docs/security.md,
// "System accounts").

#include <cppftpd/result.hpp>

#include <sys/types.h>

#include <vector>

namespace cppftpd::sys {

/// Who a thread acts as on the file system.
struct FsIdentity {
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;  ///< supplementary groups
};

/// For its lifetime, makes the calling thread (and only it) access files as
/// `identity`: its file-system uid and gid (setfsuid(2), setfsgid(2)) and its
/// supplementary groups (the raw setgroups system call: glibc's wrapper would
/// change every thread of the process, which is exactly what must not
/// happen). Kernel credentials are per thread, so other threads of the same
/// process keep their own. Switching the fs uid from 0 to another id also
/// clears the file capabilities of the thread's effective set
/// (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER, CAP_CHOWN, CAP_FSETID,
/// ...; capabilities(7)), so the kernel checks permissions as it would for a
/// process of that user, and files it creates belong to that user. The
/// destructor restores what the thread had, in the reverse order.
///
/// Needs CAP_SETUID and CAP_SETGID (root). Use it only where nothing
/// suspends in between: a coroutine that resumed on another thread would
/// leave the identity behind.
class ScopedFsIdentity {
 public:
  /// Switches; `ok()` tells whether every step took effect (each is checked
  /// by reading it back). On failure nothing stays switched.
  explicit ScopedFsIdentity(const FsIdentity& identity);
  ~ScopedFsIdentity();
  ScopedFsIdentity(const ScopedFsIdentity&) = delete;
  ScopedFsIdentity& operator=(const ScopedFsIdentity&) = delete;

  /// The error of the step that failed (operation_not_permitted when the
  /// process lacks the privilege), or success.
  Status status() const noexcept { return status_; }
  bool ok() const noexcept { return !status_; }

 private:
  void restore() noexcept;

  Status status_;
  bool switched_ = false;
  uid_t saved_uid_ = 0;
  gid_t saved_gid_ = 0;
  std::vector<gid_t> saved_groups_;
};

/// The calling thread's current fs uid and fs gid (for tests and checks).
uid_t current_fsuid() noexcept;
gid_t current_fsgid() noexcept;

}  // namespace cppftpd::sys
