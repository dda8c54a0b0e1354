#pragma once
// [[users]] tables, in the configuration file or a separate users file
// (--users FILE, same schema):
//
//   [[users]]
//   name = "alice"
//   password_hash = "$y$j9T$..."     # crypt(3); make one with `cppftpd passwd`
//   home = "/srv/ftp/alice"          # relative paths are relative to the file
//   perms = "elradfmwMT"             # default "elr"
//   max_sessions = 2                 # default 0: no limit
//   enabled = true                   # default true
//   max_download_rate = 1048576      # bytes/s per download; default: the server's
//   max_upload_rate = 1048576        # bytes/s per upload; default: the server's
//   msg_login = "Welcome."           # optional 230 text
//   msg_quit = "Bye."                # optional 221 text
//   overrides = [ { directory = "/incoming", perms = "elrw", recursive = true } ]
//
// A user named "anonymous" has no password_hash: it enables anonymous login.
// Clear-text passwords are refused.

#include "user_set.hpp"

#include <toml++/toml.h>

#include <string>
#include <vector>

namespace cppftpd::cli {

/// One directory override of a user (MemoryAuthorizer::override_perm).
struct DirectoryOverride {
  std::string directory;
  std::string perms;
  bool recursive = false;
};

/// One [[users]] entry, checked for shape but not yet for meaning (homes,
/// hashes and letters are checked by add_to()).
struct UserSpec {
  std::string origin;  ///< "FILE:LINE:COLUMN: " of the entry, for messages
  std::string name;
  std::string password_hash;
  std::string home;
  std::string perms = "elr";
  std::vector<DirectoryOverride> overrides;
  unsigned max_sessions = 0;
  bool enabled = true;
  std::uint64_t max_download_rate = 0;  ///< bytes/s; 0: the server's (--max-download-rate)
  std::uint64_t max_upload_rate = 0;
  std::string msg_login = "Login successful.";
  std::string msg_quit = "Goodbye.";
};

/// The [[users]] entries of `table` (read from `path`). Throws ConfigError
/// naming the file, line and key for unknown keys, wrong types, missing
/// names or a clear-text "password".
std::vector<UserSpec> read_users(const toml::table& table, const std::string& path);

/// Adds `spec` to `users` (throws ConfigError with the entry's position when
/// the home, hash, letters or overrides are refused).
void add_to(UserSet& users, const UserSpec& spec);

}  // namespace cppftpd::cli
