#pragma once
// Dropping root after binding (docs/security.md, "Privileges").

#include <cppftpd/result.hpp>

#include <string>

namespace cppftpd::sys {

/// Switches the whole process (every thread: glibc broadcasts set*id) to
/// `user`: its supplementary groups (initgroups), then its group (setgid),
/// then its uid (setuid), in that order, since each step needs the
/// privilege the next one drops. Then verifies that root cannot be
/// regained (setuid(0) and setgid(0) must fail) and that no id is still 0.
/// Errors: no such user (ENOENT), user is root (EINVAL), or the errno of
/// the step that failed.
Status drop_privileges(const std::string& user);

}  // namespace cppftpd::sys
