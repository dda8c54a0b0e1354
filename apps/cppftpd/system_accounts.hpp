#pragma once
// --unix: system accounts (PAM) beside the configured virtual users.

#include "user_set.hpp"

#include <cppftpd/unix_authorizer.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace cppftpd::cli {

/// Splits a comma-separated list of user names ("alice, bob"); empty items
/// are dropped.
std::set<std::string, std::less<>> split_user_list(std::string_view text);

/// The daemon's authorizer with --unix: names the configured users know
/// (the users file, [[users]], -u, anonymous/ftp) are theirs, and their file
/// access runs as the guest user (--unix-guest), never as root; every other
/// name is a system account, checked by PAM (UnixAuthorizer). A configured
/// user thus shadows a system account of the same name.
class SystemAccountChain final : public Authorizer {
 public:
  SystemAccountChain(ReloadableAuthorizer& configured, UnixAuthorizer& system,
                     Credentials guest) noexcept
      : configured_(configured), system_(system), guest_(std::move(guest)) {}

  std::optional<Account> authenticate(std::string_view user, std::string_view password) override;
  bool has_perm(const Account& account, char letter, const VirtualPath& path) const override;
  Permissions perms(const Account& account, const VirtualPath& path) const override;

 private:
  bool configured(const Account& account) const;
  bool configured(std::string_view user) const;

  ReloadableAuthorizer& configured_;
  UnixAuthorizer& system_;
  Credentials guest_;
};

}  // namespace cppftpd::cli
