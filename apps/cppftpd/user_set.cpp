#include "user_set.hpp"

#include <spdlog/spdlog.h>

namespace cppftpd::cli {

ReloadableAuthorizer::ReloadableAuthorizer(std::shared_ptr<UserSet> users)
    : users_(std::move(users)) {}

void ReloadableAuthorizer::replace(std::shared_ptr<UserSet> users) {
  users_.store(std::move(users));
}

std::shared_ptr<UserSet> ReloadableAuthorizer::current() const { return users_.load(); }

void ReloadableAuthorizer::session_started(std::string_view user) {
  const std::lock_guard lock(mutex_);
  auto it = sessions_.find(user);
  if (it == sessions_.end()) it = sessions_.emplace(std::string(user), Slots{}).first;
  if (!it->second.reserved.empty()) it->second.reserved.pop_front();  // the login takes its slot
  ++it->second.active;
}

void ReloadableAuthorizer::session_ended(std::string_view user) {
  const std::lock_guard lock(mutex_);
  const auto it = sessions_.find(user);
  if (it == sessions_.end()) return;
  if (it->second.active > 0) --it->second.active;
  if (it->second.active == 0 && it->second.reserved.empty()) sessions_.erase(it);
}

std::optional<Account> ReloadableAuthorizer::authenticate(std::string_view user,
                                                          std::string_view password) {
  const auto users = current();
  // The password is checked first, whatever the limits say, so a disabled
  // or full account costs the same time as any other and tells nothing to
  // whoever does not know its password.
  auto account = users->authorizer.authenticate(user, password);
  if (!account) return std::nullopt;
  const auto limits = users->limits.find(account->name);
  if (limits == users->limits.end()) return account;
  if (!limits->second.enabled) {
    spdlog::info("login of '{}' refused: the account is disabled", account->name);
    return std::nullopt;
  }
  if (const unsigned most = limits->second.max_sessions; most != 0) {
    const auto now = std::chrono::steady_clock::now();
    const std::lock_guard lock(mutex_);
    Slots& slots = sessions_[account->name];
    // Bounded: at most `most` reservations are ever held.
    while (!slots.reserved.empty() && slots.reserved.front() + kReservation < now) {
      slots.reserved.pop_front();
    }
    if (slots.active + slots.reserved.size() >= most) {
      spdlog::info("login of '{}' refused: {} sessions already (max_sessions)", account->name,
                   slots.active + slots.reserved.size());
      return std::nullopt;
    }
    slots.reserved.push_back(now);
  }
  account->max_download_rate = limits->second.max_download_rate;
  account->max_upload_rate = limits->second.max_upload_rate;
  return account;
}

bool ReloadableAuthorizer::has_user(std::string_view user) const {
  return current()->authorizer.has_user(user);
}

bool ReloadableAuthorizer::has_perm(const Account& account, char letter,
                                    const VirtualPath& path) const {
  return current()->authorizer.has_perm(account, letter, path);
}

Permissions ReloadableAuthorizer::perms(const Account& account, const VirtualPath& path) const {
  return current()->authorizer.perms(account, path);
}

}  // namespace cppftpd::cli
