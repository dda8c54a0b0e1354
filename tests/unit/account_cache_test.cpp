// AccountCache: sessions of one account share one Account; another Account
// for the same name (a reloaded users file) is not mixed up with it; entries
// no session holds are swept.
#include "session/account_cache.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace cppftpd {
namespace {

Account account(const std::string& name, const std::string& home = "/srv/ftp") {
  Account a;
  a.name = name;
  a.home = home;
  a.msg_login = "Welcome, " + name + ", to the long login message.";
  return a;
}

TEST(AccountCacheTest, EqualAccountsAreShared) {
  AccountCache cache;
  const auto first = cache.share(account("alice"));
  const auto second = cache.share(account("alice"));
  EXPECT_EQ(first.get(), second.get());
  EXPECT_EQ(first->name, "alice");
  EXPECT_EQ(first->msg_login, "Welcome, alice, to the long login message.");
  const auto bob = cache.share(account("bob"));
  EXPECT_NE(bob.get(), first.get());
  EXPECT_EQ(bob->name, "bob");
}

TEST(AccountCacheTest, AnotherAccountOfTheSameNameIsNotMixedUp) {
  AccountCache cache;
  const auto before = cache.share(account("alice", "/srv/old"));
  const auto after = cache.share(account("alice", "/srv/new"));
  EXPECT_NE(before.get(), after.get());
  EXPECT_EQ(before->home, "/srv/old");  // the session that has it keeps it
  EXPECT_EQ(after->home, "/srv/new");
  // From now on the new one is shared.
  EXPECT_EQ(cache.share(account("alice", "/srv/new")).get(), after.get());
  // Credentials and limits count too.
  Account limited = account("alice", "/srv/new");
  limited.max_download_rate = 1000;
  EXPECT_NE(cache.share(limited).get(), after.get());
  Account system = account("alice", "/srv/new");
  system.credentials = Credentials{1000, 1000, {27}};
  const auto with_credentials = cache.share(system);
  EXPECT_TRUE(with_credentials->credentials);
  system.credentials->groups.push_back(100);
  EXPECT_NE(cache.share(system).get(), with_credentials.get());
}

TEST(AccountCacheTest, AccountsNoSessionHoldsAreSwept) {
  AccountCache cache;
  std::vector<std::shared_ptr<const Account>> held;
  for (int i = 0; i < 1000; ++i) {
    auto shared = cache.share(account("user" + std::to_string(i)));
    if (i % 100 == 0) held.push_back(std::move(shared));  // 10 stay logged in
  }
  // Swept as it grew: far fewer entries than names seen, and the held ones work.
  EXPECT_LT(cache.size(), 200U);
  EXPECT_EQ(cache.share(account("user500")).get(), held[5].get());
}

}  // namespace
}  // namespace cppftpd
