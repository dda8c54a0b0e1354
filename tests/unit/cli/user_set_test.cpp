#include "user_set.hpp"

#include <gtest/gtest.h>

#include <filesystem>

namespace cppftpd::cli {
namespace {

// sha512-crypt of "alicepass" (openssl passwd -6 -salt cppftpdexample alicepass)
constexpr const char* kAliceHash =
    "$6$cppftpdexample$Zhx15l8uibR57fTKoFz1v5eYH/ILdi0ijLgSJvPLDLvwkb.qGmty1OuVYruMGdfFzUIkO0YJjzOv"
    "2spWIut6e1";

std::shared_ptr<UserSet> users(UserLimits limits) {
  auto set = std::make_shared<UserSet>();
  set->authorizer.add_user("alice", hashed(kAliceHash),
                           std::filesystem::temp_directory_path().string(), "elr");
  set->limits["alice"] = limits;
  return set;
}

TEST(ReloadableAuthorizerTest, AuthenticationReservesTheSlot) {
  ReloadableAuthorizer authorizer(users({1, true, 0, 0}));
  // Two logins racing: both authenticate before either logs in.
  EXPECT_TRUE(authorizer.authenticate("alice", "alicepass"));
  EXPECT_FALSE(authorizer.authenticate("alice", "alicepass"));
  authorizer.session_started("alice");  // the first takes its slot
  EXPECT_FALSE(authorizer.authenticate("alice", "alicepass"));
  authorizer.session_ended("alice");
  EXPECT_TRUE(authorizer.authenticate("alice", "alicepass"));
}

TEST(ReloadableAuthorizerTest, DisabledAndRatesAndWrongPassword) {
  ReloadableAuthorizer authorizer(users({0, false, 0, 0}));
  EXPECT_FALSE(authorizer.authenticate("alice", "alicepass"));
  authorizer.replace(users({0, true, 1000, 2000}));
  const auto account = authorizer.authenticate("alice", "alicepass");
  ASSERT_TRUE(account);
  EXPECT_EQ(account->max_download_rate, 1000U);
  EXPECT_EQ(account->max_upload_rate, 2000U);
  EXPECT_FALSE(authorizer.authenticate("alice", "wrong"));
  EXPECT_TRUE(authorizer.has_perm(*account, 'r', VirtualPath()));
  authorizer.replace(std::make_shared<UserSet>());  // alice removed
  EXPECT_FALSE(authorizer.has_perm(*account, 'r', VirtualPath()));
}

}  // namespace
}  // namespace cppftpd::cli
