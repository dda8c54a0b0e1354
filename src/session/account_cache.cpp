#include "session/account_cache.hpp"

#include <algorithm>
#include <utility>

namespace cppftpd {

std::shared_ptr<const Account> AccountCache::share(Account account) {
  const std::lock_guard lock(mutex_);
  auto& entry = accounts_[account.name];
  if (auto shared = entry.lock(); shared && *shared == account) return shared;
  // Not make_shared: an expired entry must not keep the Account's memory
  // (a make_shared block lives until its last weak_ptr goes).
  std::shared_ptr<const Account> shared(new Account(std::move(account)));
  entry = shared;
  if (accounts_.size() >= sweep_at_) sweep();
  return shared;
}

std::size_t AccountCache::size() const {
  const std::lock_guard lock(mutex_);
  return accounts_.size();
}

void AccountCache::sweep() {
  std::erase_if(accounts_, [](const auto& entry) { return entry.second.expired(); });
  // Amortised: the table is swept again only once it has doubled, so a
  // login costs O(1) whatever the number of accounts.
  sweep_at_ = std::max<std::size_t>(64, accounts_.size() * 2);
}

}  // namespace cppftpd
