#pragma once
// System accounts (pyftpdlib's UnixAuthorizer): local users log in with their
// own password through PAM, into their own home, with their own rights.

#include <cppftpd/authorizer.hpp>

#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>

namespace cppftpd {

/// What UnixAuthorizer lets in.
struct UnixAuthorizerOptions {
  /// The PAM service: its policy is /etc/pam.d/<service> (dist/pam.d/cppftpd
  /// is one; without the file PAM applies /etc/pam.d/other).
  std::string pam_service = "cppftpd";
  /// Non-empty: only these users may log in.
  std::set<std::string, std::less<>> allowed_users;
  /// These users may never log in (checked after allowed_users).
  std::set<std::string, std::less<>> rejected_users;
  /// Refuse users whose login shell is not listed in /etc/shells (vsftpd's
  /// check_shell, pyftpdlib's require_valid_shell): service accounts with
  /// /usr/sbin/nologin stay out.
  bool require_valid_shell = true;
  /// The letters every system user holds everywhere in its home; the
  /// kernel's own permission checks apply on top, as that user.
  std::string perms = "elradfmwMT";
  std::string msg_login = "Login successful.";
  std::string msg_quit = "Goodbye.";
};

/// The uid, gid and supplementary groups (getgrouplist(3)) of system user
/// `user`; std::nullopt if there is no such user or it is root (uid 0).
std::optional<Credentials> system_credentials(std::string_view user);

/// Logs local users in through PAM (pam_authenticate, then pam_acct_mgmt for
/// expired or locked accounts), with the home directory of their passwd
/// entry as "/", and makes every file operation of their session run with
/// their uid, gid and groups (Account::credentials). Root (uid 0) never logs
/// in, whatever the lists say. Needs a server running as root: PAM reads
/// /etc/shadow, and switching credentials needs CAP_SETUID/CAP_SETGID.
///
/// PAM conversations run one at a time (modules are not all thread-safe);
/// PAM's own delay after a failure is turned off, since the server already
/// delays a failed login without holding a thread.
class UnixAuthorizer final : public Authorizer {
 public:
  /// Throws std::invalid_argument for unknown permission letters.
  explicit UnixAuthorizer(UnixAuthorizerOptions options = {});

  std::optional<Account> authenticate(std::string_view user, std::string_view password) override;
  bool has_perm(const Account& account, char letter, const VirtualPath& path) const override;
  Permissions perms(const Account& account, const VirtualPath& path) const override;

  /// The account `user` would get, from the passwd and group databases,
  /// if the options let the user in (without checking any password): for
  /// tests and for `cppftpd --check`. std::nullopt: unknown or refused.
  std::optional<Account> lookup(std::string_view user) const;

  /// Why `user` may not log in ("unknown user", "root", "not in the allowed
  /// users", "rejected", "shell not in /etc/shells"), or empty if it may.
  std::string refusal(std::string_view user) const;

 private:
  UnixAuthorizerOptions options_;
  Permissions perms_;
  std::mutex pam_mutex_;
};

}  // namespace cppftpd
