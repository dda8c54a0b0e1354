// UnixAuthorizer's policy (who may log in) and the accounts it makes. The PAM
// conversation itself is exercised against real accounts in
// tests/interop/test_pam.py.

#include <cppftpd/unix_authorizer.hpp>

#include <gtest/gtest.h>

#include <pwd.h>

#include <stdexcept>

namespace cppftpd {
namespace {

// Debian's "nobody": uid 65534, shell /usr/sbin/nologin, home /nonexistent.
bool have_nobody() {
  const passwd* entry = ::getpwnam("nobody");
  return entry != nullptr && entry->pw_uid == 65534;
}

TEST(UnixAuthorizer, RootAndUnknownUsersNeverLogIn) {
  UnixAuthorizerOptions options;
  options.allowed_users = {"root"};  // not even when listed
  options.require_valid_shell = false;
  const UnixAuthorizer authorizer(options);
  EXPECT_EQ(authorizer.refusal("root"), "root");
  EXPECT_EQ(authorizer.refusal("no-such-user-cppftpd"), "unknown user");
  EXPECT_EQ(authorizer.refusal(""), "unknown user");
  EXPECT_EQ(authorizer.refusal(std::string_view("root\0x", 6)), "unknown user");
  EXPECT_FALSE(authorizer.lookup("root"));
}

TEST(UnixAuthorizer, ShellsOutsideEtcShellsAreRefusedUnlessAllowed) {
  if (!have_nobody()) GTEST_SKIP() << "no nobody account";
  const UnixAuthorizer strict;
  EXPECT_EQ(strict.refusal("nobody"), "shell not in /etc/shells");
  UnixAuthorizerOptions options;
  options.require_valid_shell = false;
  const UnixAuthorizer lenient(options);
  EXPECT_EQ(lenient.refusal("nobody"), "");
  const auto account = lenient.lookup("nobody");
  ASSERT_TRUE(account);
  EXPECT_EQ(account->name, "nobody");
  EXPECT_EQ(account->home, ::getpwnam("nobody")->pw_dir);
  ASSERT_TRUE(account->credentials);
  EXPECT_EQ(account->credentials->uid, 65534U);
  EXPECT_EQ(account->credentials->gid, ::getpwnam("nobody")->pw_gid);
  EXPECT_FALSE(account->anonymous);
}

TEST(UnixAuthorizer, AllowAndDenyLists) {
  if (!have_nobody()) GTEST_SKIP() << "no nobody account";
  UnixAuthorizerOptions options;
  options.require_valid_shell = false;
  options.allowed_users = {"someone-else"};
  EXPECT_EQ(UnixAuthorizer(options).refusal("nobody"), "not in the allowed users");
  options.allowed_users = {"nobody"};
  EXPECT_EQ(UnixAuthorizer(options).refusal("nobody"), "");
  options.rejected_users = {"nobody"};
  EXPECT_EQ(UnixAuthorizer(options).refusal("nobody"), "rejected");
}

TEST(UnixAuthorizer, PermissionLettersApplyEverywhere) {
  UnixAuthorizerOptions options;
  options.perms = "elr";
  const UnixAuthorizer authorizer(options);
  const Account account;
  const VirtualPath path = VirtualPath::resolve({}, "/a/b");
  EXPECT_TRUE(authorizer.has_perm(account, 'r', path));
  EXPECT_FALSE(authorizer.has_perm(account, 'w', path));
  EXPECT_EQ(authorizer.perms(account, path).str(), "elr");
}

TEST(UnixAuthorizer, BadOptionsThrow) {
  UnixAuthorizerOptions options;
  options.perms = "elrZ";
  EXPECT_THROW(UnixAuthorizer{options}, std::invalid_argument);
  options = {};
  options.pam_service = "../shadow";
  EXPECT_THROW(UnixAuthorizer{options}, std::invalid_argument);
  options.pam_service = "";
  EXPECT_THROW(UnixAuthorizer{options}, std::invalid_argument);
}

TEST(UnixAuthorizer, WrongPasswordsAndNulBytesFail) {
  if (!have_nobody()) GTEST_SKIP() << "no nobody account";
  UnixAuthorizerOptions options;
  options.require_valid_shell = false;
  UnixAuthorizer authorizer(options);
  // nobody has no usable password ("*" in /etc/shadow): PAM must refuse.
  EXPECT_FALSE(authorizer.authenticate("nobody", "anything"));
  EXPECT_FALSE(authorizer.authenticate("nobody", ""));
  EXPECT_FALSE(authorizer.authenticate("nobody", std::string_view("a\0b", 3)));
  EXPECT_FALSE(authorizer.authenticate("root", "anything"));
}

}  // namespace
}  // namespace cppftpd
