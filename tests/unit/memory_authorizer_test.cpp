#include <cppftpd/authorizer.hpp>

#include <gtest/gtest.h>

#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

namespace cppftpd {
namespace {

namespace stdfs = std::filesystem;

VirtualPath at(std::string_view path) { return VirtualPath::resolve({}, path); }

class MemoryAuthorizerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = "/tmp/cppftpd-auth-test-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    // The canonical form: /tmp might itself be a symlink somewhere.
    base_ = stdfs::canonical(pattern).string();
    home_ = base_ + "/home";
    stdfs::create_directories(home_ + "/upload/deep/deeper");
    stdfs::create_directories(home_ + "/pub");
    std::ofstream(base_ + "/plain-file") << "x";
  }
  void TearDown() override {
    std::error_code ignored;
    stdfs::remove_all(base_, ignored);
  }

  std::string base_;
  std::string home_;
  MemoryAuthorizer users_;
};

TEST_F(MemoryAuthorizerTest, AuthenticatesNamedUser) {
  users_.add_user("alice", "s3cret", home_, "elradfmwMT", "Hi Alice.", "Bye Alice.");
  EXPECT_TRUE(users_.has_user("alice"));

  const auto account = users_.authenticate("alice", "s3cret");
  ASSERT_TRUE(account);
  EXPECT_EQ(account->name, "alice");
  EXPECT_EQ(account->home, home_);
  EXPECT_FALSE(account->anonymous);
  EXPECT_EQ(account->msg_login, "Hi Alice.");
  EXPECT_EQ(account->msg_quit, "Bye Alice.");
}

TEST_F(MemoryAuthorizerTest, RefusesWrongPasswordsAndNames) {
  users_.add_user("alice", "s3cret", home_);
  EXPECT_FALSE(users_.authenticate("alice", "wrong"));
  EXPECT_FALSE(users_.authenticate("alice", ""));
  EXPECT_FALSE(users_.authenticate("alice", "s3cre"));    // prefix
  EXPECT_FALSE(users_.authenticate("alice", "s3cret "));  // longer
  EXPECT_FALSE(users_.authenticate("alice", "S3CRET"));
  EXPECT_FALSE(users_.authenticate("Alice", "s3cret"));  // names are case-sensitive
  EXPECT_FALSE(users_.authenticate("bob", "s3cret"));
  EXPECT_FALSE(users_.authenticate("", ""));
  EXPECT_FALSE(users_.authenticate(std::string_view("alice\0", 6), "s3cret"));
  EXPECT_FALSE(users_.authenticate("alice", std::string_view("s3cret\0", 7)));
}

TEST_F(MemoryAuthorizerTest, EmptyPasswordIsAPassword) {
  users_.add_user("guest", "", home_);
  EXPECT_TRUE(users_.authenticate("guest", ""));
  EXPECT_FALSE(users_.authenticate("guest", "x"));
}

TEST_F(MemoryAuthorizerTest, PasswordsWithBinaryBytes) {
  const std::string password("a\0b\xff", 4);
  users_.add_user("bin", password, home_);
  EXPECT_TRUE(users_.authenticate("bin", password));
  EXPECT_FALSE(users_.authenticate("bin", std::string_view("a\0b", 3)));
  EXPECT_FALSE(users_.authenticate("bin", "a"));
}

TEST_F(MemoryAuthorizerTest, HomeIsCanonicalised) {
  const std::string link = base_ + "/home-link";
  stdfs::create_directory_symlink(home_, link);
  users_.add_user("alice", "pw", link + "/./upload/..");
  const auto account = users_.authenticate("alice", "pw");
  ASSERT_TRUE(account);
  EXPECT_EQ(account->home, home_);
}

TEST_F(MemoryAuthorizerTest, AddUserRejectsBadArguments) {
  EXPECT_THROW(users_.add_user("", "pw", home_), std::invalid_argument);
  EXPECT_THROW(users_.add_user("alice", "pw", base_ + "/missing"), std::invalid_argument);
  EXPECT_THROW(users_.add_user("alice", "pw", base_ + "/plain-file"), std::invalid_argument);
  EXPECT_THROW(users_.add_user("alice", "pw", ""), std::invalid_argument);
  EXPECT_THROW(users_.add_user("alice", "pw", home_, "elrX"), std::invalid_argument);
  // Names that log in as anonymous are reserved for add_anonymous().
  for (const char* reserved : {"anonymous", "ANONYMOUS", "Anonymous", "ftp", "FTP"}) {
    EXPECT_THROW(users_.add_user(reserved, "pw", home_), std::invalid_argument) << reserved;
  }
  // Nothing half-added by a failed call.
  EXPECT_FALSE(users_.has_user("alice"));
  EXPECT_FALSE(users_.authenticate("alice", "pw"));

  users_.add_user("alice", "pw", home_);
  EXPECT_THROW(users_.add_user("alice", "other", home_), std::invalid_argument);
  EXPECT_TRUE(users_.authenticate("alice", "pw"));  // the first one stands
  EXPECT_FALSE(users_.authenticate("alice", "other"));
}

TEST_F(MemoryAuthorizerTest, AnonymousAcceptsAnyPasswordUnderBothNames) {
  EXPECT_FALSE(users_.authenticate("anonymous", "me@example.com"));
  users_.add_anonymous(home_);
  EXPECT_TRUE(users_.has_user("anonymous"));
  for (const char* name : {"anonymous", "ANONYMOUS", "Anonymous", "ftp", "FTP", "fTp"}) {
    for (const char* password : {"", "guest@", "anything at all"}) {
      const auto account = users_.authenticate(name, password);
      ASSERT_TRUE(account) << name << " / " << password;
      EXPECT_EQ(account->name, "anonymous");
      EXPECT_TRUE(account->anonymous);
      EXPECT_EQ(account->home, home_);
    }
  }
  EXPECT_FALSE(users_.authenticate("anonymou", ""));
  EXPECT_FALSE(users_.authenticate("ftpx", ""));
}

TEST_F(MemoryAuthorizerTest, AnonymousDefaultsToReadOnly) {
  users_.add_anonymous(home_);
  const auto account = users_.authenticate("ftp", "x");
  ASSERT_TRUE(account);
  EXPECT_EQ(users_.perms(*account, at("/pub")).str(), "elr");
  EXPECT_FALSE(users_.has_perm(*account, 'w', at("/upload/file")));
}

TEST_F(MemoryAuthorizerTest, AnonymousMayBeGivenWriteLetters) {
  // What the CLI's -w does: a deliberate public upload area.
  users_.add_anonymous(home_, "elradfmw", "Welcome.", "Later.");
  const auto account = users_.authenticate("anonymous", "");
  ASSERT_TRUE(account);
  EXPECT_EQ(account->msg_login, "Welcome.");
  EXPECT_EQ(account->msg_quit, "Later.");
  EXPECT_TRUE(users_.has_perm(*account, 'w', at("/upload/file")));
}

TEST_F(MemoryAuthorizerTest, AddAnonymousRejectsBadArguments) {
  EXPECT_THROW(users_.add_anonymous(base_ + "/missing"), std::invalid_argument);
  EXPECT_THROW(users_.add_anonymous(home_, "elr?"), std::invalid_argument);
  EXPECT_FALSE(users_.has_user("anonymous"));
  users_.add_anonymous(home_);
  EXPECT_THROW(users_.add_anonymous(home_), std::invalid_argument);
}

TEST_F(MemoryAuthorizerTest, RemoveUser) {
  users_.add_user("alice", "pw", home_);
  users_.add_anonymous(home_);
  users_.remove_user("nobody");  // ignored
  users_.remove_user("ALICE");   // names are exact: ignored too
  EXPECT_TRUE(users_.has_user("alice"));

  users_.remove_user("alice");
  EXPECT_FALSE(users_.has_user("alice"));
  EXPECT_FALSE(users_.authenticate("alice", "pw"));

  users_.remove_user("anonymous");
  EXPECT_FALSE(users_.has_user("anonymous"));
  EXPECT_FALSE(users_.authenticate("anonymous", ""));
  EXPECT_FALSE(users_.authenticate("ftp", ""));

  // The name is free again.
  users_.add_user("alice", "new", home_);
  EXPECT_TRUE(users_.authenticate("alice", "new"));
}

TEST_F(MemoryAuthorizerTest, BasePermsApplyEverywhereWithoutOverrides) {
  users_.add_user("alice", "pw", home_, "elrw");
  const auto account = users_.authenticate("alice", "pw");
  ASSERT_TRUE(account);
  for (const char* path : {"/", "/pub", "/a/b/c/d"}) {
    EXPECT_EQ(users_.perms(*account, at(path)).str(), "elrw") << path;
    EXPECT_TRUE(users_.has_perm(*account, 'w', at(path)));
    EXPECT_FALSE(users_.has_perm(*account, 'd', at(path)));
    EXPECT_FALSE(users_.has_perm(*account, '?', at(path)));
  }
}

TEST_F(MemoryAuthorizerTest, NonRecursiveOverrideCoversTheDirectoryAndItsEntries) {
  users_.add_user("alice", "pw", home_, "elr");
  users_.override_perm("alice", "/upload", "elrw");
  const auto account = users_.authenticate("alice", "pw");
  ASSERT_TRUE(account);
  EXPECT_TRUE(users_.has_perm(*account, 'w', at("/upload")));
  EXPECT_TRUE(users_.has_perm(*account, 'w', at("/upload/file.txt")));
  EXPECT_TRUE(users_.has_perm(*account, 'w', at("/upload/deep")));
  EXPECT_FALSE(users_.has_perm(*account, 'w', at("/upload/deep/file.txt")));
  EXPECT_FALSE(users_.has_perm(*account, 'w', at("/")));
  EXPECT_FALSE(users_.has_perm(*account, 'w', at("/uploads")));  // not a prefix match
  EXPECT_FALSE(users_.has_perm(*account, 'w', at("/pub/upload")));
}

TEST_F(MemoryAuthorizerTest, RecursiveOverrideCoversEverythingBelow) {
  users_.add_user("alice", "pw", home_, "elr");
  users_.override_perm("alice", "/upload", "elrw", true);
  const auto account = users_.authenticate("alice", "pw");
  ASSERT_TRUE(account);
  EXPECT_TRUE(users_.has_perm(*account, 'w', at("/upload")));
  EXPECT_TRUE(users_.has_perm(*account, 'w', at("/upload/deep/deeper/file")));
  EXPECT_FALSE(users_.has_perm(*account, 'w', at("/uploadx/file")));
  EXPECT_FALSE(users_.has_perm(*account, 'w', at("/pub")));
}

TEST_F(MemoryAuthorizerTest, OverridesCanTakeLettersAway) {
  users_.add_user("alice", "pw", home_, "elradfmwMT");
  users_.override_perm("alice", "/pub", "el", true);
  const auto account = users_.authenticate("alice", "pw");
  ASSERT_TRUE(account);
  EXPECT_EQ(users_.perms(*account, at("/pub/x/y")).str(), "el");
  EXPECT_EQ(users_.perms(*account, at("/other")).str(), "elradfmwMT");
}

TEST_F(MemoryAuthorizerTest, MostSpecificOverrideWins) {
  users_.add_user("alice", "pw", home_, "e");
  users_.override_perm("alice", "/", "el", true);
  users_.override_perm("alice", "/upload", "elr", true);
  users_.override_perm("alice", "/upload/deep", "elrw", false);
  const auto account = users_.authenticate("alice", "pw");
  ASSERT_TRUE(account);
  EXPECT_EQ(users_.perms(*account, at("/")).str(), "el");
  EXPECT_EQ(users_.perms(*account, at("/pub/x")).str(), "el");
  EXPECT_EQ(users_.perms(*account, at("/upload")).str(), "elr");
  EXPECT_EQ(users_.perms(*account, at("/upload/deep")).str(), "elrw");
  EXPECT_EQ(users_.perms(*account, at("/upload/deep/file")).str(), "elrw");
  // Below the non-recursive one, the recursive /upload is the longest match.
  EXPECT_EQ(users_.perms(*account, at("/upload/deep/deeper/file")).str(), "elr");
}

TEST_F(MemoryAuthorizerTest, MostSpecificOverrideWinsWhateverTheOrder) {
  users_.add_user("alice", "pw", home_, "e");
  users_.override_perm("alice", "/upload/deep", "elrw", true);
  users_.override_perm("alice", "/upload", "elr", true);
  users_.override_perm("alice", "/", "el", true);
  const auto account = users_.authenticate("alice", "pw");
  ASSERT_TRUE(account);
  EXPECT_EQ(users_.perms(*account, at("/upload/deep/deeper/file")).str(), "elrw");
  EXPECT_EQ(users_.perms(*account, at("/upload/x/y")).str(), "elr");
  EXPECT_EQ(users_.perms(*account, at("/x/y")).str(), "el");
}

TEST_F(MemoryAuthorizerTest, RepeatedOverrideReplaces) {
  users_.add_user("alice", "pw", home_, "elr");
  users_.override_perm("alice", "/upload", "elrw", true);
  users_.override_perm("alice", "/upload/", "elrd", false);
  const auto account = users_.authenticate("alice", "pw");
  ASSERT_TRUE(account);
  EXPECT_EQ(users_.perms(*account, at("/upload/x")).str(), "elrd");
  EXPECT_EQ(users_.perms(*account, at("/upload/deep/x")).str(), "elr");
}

TEST_F(MemoryAuthorizerTest, OverrideAcceptsARealPathInsideTheHome) {
  users_.add_user("alice", "pw", home_, "elr");
  users_.override_perm("alice", home_ + "/upload", "elrw");
  users_.override_perm("alice", home_, "elrm");
  const auto account = users_.authenticate("alice", "pw");
  ASSERT_TRUE(account);
  EXPECT_TRUE(users_.has_perm(*account, 'w', at("/upload/file")));
  EXPECT_TRUE(users_.has_perm(*account, 'm', at("/newdir")));
  EXPECT_FALSE(users_.has_perm(*account, 'm', at("/upload/newdir")));
}

TEST_F(MemoryAuthorizerTest, OverrideAcceptsARealPathThroughASymlinkedHome) {
  const std::string link = base_ + "/home-link";
  stdfs::create_directory_symlink(home_, link);
  users_.add_user("alice", "pw", link, "elr");
  users_.override_perm("alice", link + "/upload", "elrw");
  const auto account = users_.authenticate("alice", "pw");
  ASSERT_TRUE(account);
  EXPECT_TRUE(users_.has_perm(*account, 'w', at("/upload/file")));
}

TEST_F(MemoryAuthorizerTest, OverrideOfAPathOutsideTheHomeIsVirtual) {
  users_.add_user("alice", "pw", home_, "elr");
  users_.override_perm("alice", "/tmp", "elrw");
  users_.override_perm("alice", "relative/dir", "elrd");
  const auto account = users_.authenticate("alice", "pw");
  ASSERT_TRUE(account);
  EXPECT_TRUE(users_.has_perm(*account, 'w', at("/tmp/file")));
  EXPECT_TRUE(users_.has_perm(*account, 'd', at("/relative/dir/file")));
}

TEST_F(MemoryAuthorizerTest, OverrideRejectsUnknownUserAndBadLetters) {
  users_.add_user("alice", "pw", home_, "elr");
  EXPECT_THROW(users_.override_perm("bob", "/upload", "elrw"), std::invalid_argument);
  EXPECT_THROW(users_.override_perm("anonymous", "/upload", "elrw"), std::invalid_argument);
  EXPECT_THROW(users_.override_perm("alice", "/upload", "elrz"), std::invalid_argument);
  const auto account = users_.authenticate("alice", "pw");
  ASSERT_TRUE(account);
  EXPECT_EQ(users_.perms(*account, at("/upload/x")).str(), "elr");
}

TEST_F(MemoryAuthorizerTest, AnonymousOverrides) {
  users_.add_anonymous(home_);
  users_.override_perm("anonymous", "/upload", "elrw");
  const auto account = users_.authenticate("ftp", "");
  ASSERT_TRUE(account);
  EXPECT_TRUE(users_.has_perm(*account, 'w', at("/upload/file")));
  EXPECT_FALSE(users_.has_perm(*account, 'w', at("/file")));
}

TEST_F(MemoryAuthorizerTest, OverridesAreKeptPerUser) {
  users_.add_user("alice", "pw", home_, "elr");
  users_.add_user("bob", "pw", home_, "elr");
  users_.override_perm("alice", "/upload", "elrw");
  const auto bob = users_.authenticate("bob", "pw");
  ASSERT_TRUE(bob);
  EXPECT_FALSE(users_.has_perm(*bob, 'w', at("/upload/file")));
}

TEST_F(MemoryAuthorizerTest, UnknownOrRemovedAccountsHoldNothing) {
  users_.add_user("alice", "pw", home_, "elradfmwMT");
  const auto account = users_.authenticate("alice", "pw");
  ASSERT_TRUE(account);

  Account stranger;
  stranger.name = "mallory";
  EXPECT_EQ(users_.perms(stranger, at("/")), Permissions());
  EXPECT_FALSE(users_.has_perm(stranger, 'r', at("/")));

  users_.remove_user("alice");
  EXPECT_FALSE(users_.has_perm(*account, 'r', at("/file")));
}

}  // namespace
}  // namespace cppftpd
