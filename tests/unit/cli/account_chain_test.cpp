// --unix: the configured users beside the system ones (system_accounts.hpp).

#include "system_accounts.hpp"

#include <gtest/gtest.h>

#include <filesystem>

namespace cppftpd::cli {
namespace {

class AccountChainTest : public ::testing::Test {
 protected:
  AccountChainTest() {
    auto set = std::make_shared<UserSet>();
    home_ = std::filesystem::temp_directory_path().string();
    set->authorizer.add_user("virt", "pw", home_, "elr");
    set->authorizer.add_anonymous(home_, "elr");
    configured_ = std::make_unique<ReloadableAuthorizer>(set);
    UnixAuthorizerOptions options;
    options.perms = "elrw";
    system_ = std::make_unique<UnixAuthorizer>(options);
    chain_ = std::make_unique<SystemAccountChain>(*configured_, *system_, guest_);
  }

  std::string home_;
  Credentials guest_{4242, 4343, {4444}};
  std::unique_ptr<ReloadableAuthorizer> configured_;
  std::unique_ptr<UnixAuthorizer> system_;
  std::unique_ptr<SystemAccountChain> chain_;
};

TEST_F(AccountChainTest, ConfiguredUsersGetTheGuestIdentityAndTheirOwnLetters) {
  const auto account = chain_->authenticate("virt", "pw");
  ASSERT_TRUE(account);
  ASSERT_TRUE(account->credentials);
  EXPECT_EQ(account->credentials->uid, 4242U);
  EXPECT_EQ(account->credentials->gid, 4343U);
  EXPECT_EQ(account->credentials->groups, std::vector<std::uint32_t>{4444});
  const VirtualPath root;
  EXPECT_TRUE(chain_->has_perm(*account, 'r', root));
  EXPECT_FALSE(chain_->has_perm(*account, 'w', root));  // elr, not the system users' elrw
  EXPECT_EQ(chain_->perms(*account, root).str(), "elr");
  EXPECT_FALSE(chain_->authenticate("virt", "wrong"));
}

TEST_F(AccountChainTest, AnonymousIsConfiguredNeverSystem) {
  for (const char* name : {"anonymous", "FTP"}) {
    const auto account = chain_->authenticate(name, "guest@");
    ASSERT_TRUE(account) << name;
    EXPECT_TRUE(account->anonymous);
    ASSERT_TRUE(account->credentials);
    EXPECT_EQ(account->credentials->uid, 4242U);
  }
}

TEST_F(AccountChainTest, OtherNamesAreSystemAccounts) {
  // Unknown to both: refused (by UnixAuthorizer, before any PAM call).
  EXPECT_FALSE(chain_->authenticate("no-such-user-cppftpd", "x"));
  EXPECT_FALSE(chain_->authenticate("root", "x"));
  // A system account's letters are the --unix-perms ones.
  Account system;
  system.name = "someone";
  system.credentials = Credentials{1000, 1000, {}};
  const VirtualPath root;
  EXPECT_TRUE(chain_->has_perm(system, 'w', root));
  EXPECT_FALSE(chain_->has_perm(system, 'd', root));
}

TEST(SplitUserList, TrimsAndDropsEmptyItems) {
  EXPECT_EQ(split_user_list(" alice, bob,,carol ,"),
            (std::set<std::string, std::less<>>{"alice", "bob", "carol"}));
  EXPECT_TRUE(split_user_list("").empty());
  EXPECT_TRUE(split_user_list(" , ").empty());
}

}  // namespace
}  // namespace cppftpd::cli
