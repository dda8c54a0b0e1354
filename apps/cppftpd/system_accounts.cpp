#include "system_accounts.hpp"

#include <algorithm>
#include <cctype>

namespace cppftpd::cli {

namespace {

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

bool anonymous_name(std::string_view user) {
  return equals_ignoring_case(user, "anonymous") || equals_ignoring_case(user, "ftp");
}

}  // namespace

std::set<std::string, std::less<>> split_user_list(std::string_view text) {
  std::set<std::string, std::less<>> names;
  while (!text.empty()) {
    const auto comma = text.find(',');
    std::string_view item = text.substr(0, comma);
    while (!item.empty() && std::isspace(static_cast<unsigned char>(item.front()))) {
      item.remove_prefix(1);
    }
    while (!item.empty() && std::isspace(static_cast<unsigned char>(item.back()))) {
      item.remove_suffix(1);
    }
    if (!item.empty()) names.emplace(item);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return names;
}

bool SystemAccountChain::configured(std::string_view user) const {
  return anonymous_name(user) || configured_.has_user(user);
}

bool SystemAccountChain::configured(const Account& account) const {
  return account.anonymous || configured_.has_user(account.name);
}

std::optional<Account> SystemAccountChain::authenticate(std::string_view user,
                                                        std::string_view password) {
  if (!configured(user)) return system_.authenticate(user, password);
  auto account = configured_.authenticate(user, password);
  // The server runs as root with --unix: a configured account must not
  // touch files with root's rights.
  if (account && !account->credentials) account->credentials = guest_;
  return account;
}

bool SystemAccountChain::has_perm(const Account& account, char letter,
                                  const VirtualPath& path) const {
  return configured(account) ? configured_.has_perm(account, letter, path)
                             : system_.has_perm(account, letter, path);
}

Permissions SystemAccountChain::perms(const Account& account, const VirtualPath& path) const {
  return configured(account) ? configured_.perms(account, path) : system_.perms(account, path);
}

}  // namespace cppftpd::cli
