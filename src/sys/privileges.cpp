#include "sys/privileges.hpp"

#include <grp.h>
#include <pwd.h>
#include <sys/types.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

namespace cppftpd::sys {

namespace {

std::error_code last_error() noexcept { return {errno, std::generic_category()}; }

}  // namespace

Status drop_privileges(const std::string& user) {
  if (user.empty() || user.find('\0') != std::string::npos) {
    return std::make_error_code(std::errc::invalid_argument);
  }
  long size = ::sysconf(_SC_GETPW_R_SIZE_MAX);
  std::vector<char> buffer(size > 0 ? static_cast<std::size_t>(size) : 16384);
  passwd entry{};
  passwd* found = nullptr;
  const int lookup = ::getpwnam_r(user.c_str(), &entry, buffer.data(), buffer.size(), &found);
  if (lookup != 0) return std::error_code(lookup, std::generic_category());
  if (found == nullptr) return std::make_error_code(std::errc::no_such_file_or_directory);
  // Switching to root (or to a uid-0 alias) would drop nothing.
  if (found->pw_uid == 0 || found->pw_gid == 0) {
    return std::make_error_code(std::errc::invalid_argument);
  }
  const uid_t uid = found->pw_uid;
  const gid_t gid = found->pw_gid;

  // Groups first (needs root), then the group id, then the user id last.
  if (::initgroups(found->pw_name, gid) != 0) return last_error();
  if (::setgid(gid) != 0) return last_error();
  if (::setuid(uid) != 0) return last_error();

  // setuid() as root sets real, effective and saved ids: none may be 0 now,
  // and asking for root back must fail.
  uid_t ruid = 0;
  uid_t euid = 0;
  uid_t suid = 0;
  gid_t rgid = 0;
  gid_t egid = 0;
  gid_t sgid = 0;
  if (::getresuid(&ruid, &euid, &suid) != 0 || ::getresgid(&rgid, &egid, &sgid) != 0) {
    return last_error();
  }
  if (ruid == 0 || euid == 0 || suid == 0 || rgid == 0 || egid == 0 || sgid == 0 ||
      ::setuid(0) == 0 || ::setgid(0) == 0) {
    return std::make_error_code(std::errc::operation_not_permitted);
  }
  return {};
}

}  // namespace cppftpd::sys
