#include <cppftpd/authorizer.hpp>

#include <gtest/gtest.h>

#include <crypt.h>
#include <stdlib.h>
#include <unistd.h>

#include <array>
#include <filesystem>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

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

// --- crypt(3) hashes -------------------------------------------------------------

// "correct horse" under each method. The sha512-crypt and sha256-crypt ones
// were checked against an independent implementation (openssl passwd -6/-5).
constexpr const char* kYescrypt =
    "$y$j9T$34.UVIm0b8t/ZvcQUx27k0$NKMrrrEvsUuauFs5xCfPIDU9vX/WgCK.bAvbe1C/MsC";
constexpr const char* kSha512 =
    "$6$TAkhMVzFN1RrFEIP$363DSHeEvtqk9CbIhyg2S8TH6fqtDGzAlqCdgl6jc.t2qaYOhRpQZZSvwH4BS./"
    "ObhduI0D83mO0SzT63Uv1p0";
constexpr const char* kSha256 = "$5$iExYnguG2zlGxrlZ$Bk4o4WKTzE4tsA28lRNRqQ99yIXrBtRHVKWYEQdUMCB";
constexpr const char* kBcrypt = "$2b$05$kTg4Qn0/A7oLvpvcPnO3h.mZVkgmMxEVx1J0aCr0qy5jNeCbWDSwK";

// A fresh hash of `password` by the method `prefix` names, with a random salt.
std::string make_hash(const char* prefix, const std::string& password, unsigned long cost = 0) {
  std::array<char, CRYPT_GENSALT_OUTPUT_SIZE> setting{};
  if (::crypt_gensalt_rn(prefix, cost, nullptr, 0, setting.data(),
                         static_cast<int>(setting.size())) == nullptr) {
    ADD_FAILURE() << "crypt_gensalt_rn(" << prefix << ") failed";
    return {};
  }
  auto data = std::make_unique<crypt_data>();
  const char* hash = ::crypt_rn(password.c_str(), setting.data(), data.get(),
                                static_cast<int>(sizeof(crypt_data)));
  if (hash == nullptr) {
    ADD_FAILURE() << "crypt_rn(" << setting.data() << ") failed";
    return {};
  }
  return hash;
}

TEST(HashedPasswordTest, HashedWrapsTheString) {
  const HashedPassword password = hashed(kSha512);
  EXPECT_EQ(password.hash, kSha512);
}

TEST_F(MemoryAuthorizerTest, AuthenticatesFixedHashesOfEveryMethod) {
  const std::pair<const char*, const char*> users[] = {
      {"yes", kYescrypt}, {"sha512", kSha512}, {"sha256", kSha256}, {"bcrypt", kBcrypt}};
  for (const auto& [name, hash] : users) users_.add_user(name, hashed(hash), home_, "elrw");
  for (const auto& [name, hash] : users) {
    const auto account = users_.authenticate(name, "correct horse");
    ASSERT_TRUE(account) << name;
    EXPECT_EQ(account->name, name);
    EXPECT_EQ(account->home, home_);
    EXPECT_FALSE(account->anonymous);
    EXPECT_TRUE(users_.has_perm(*account, 'w', at("/x")));
    for (const char* wrong : {"correct horse ", "Correct horse", "correct hors", "", hash}) {
      EXPECT_FALSE(users_.authenticate(name, wrong)) << name << " / " << wrong;
    }
  }
}

TEST_F(MemoryAuthorizerTest, AuthenticatesGeneratedYescryptAndSha512Hashes) {
  users_.add_user("yes", hashed(make_hash("$y$", "pässwörd")), home_, "elr", "Hi.", "Bye.");
  users_.add_user("sha", hashed(make_hash("$6$", "s3cret", 1000)), home_);  // rounds=1000
  const auto yes = users_.authenticate("yes", "pässwörd");
  ASSERT_TRUE(yes);
  EXPECT_EQ(yes->msg_login, "Hi.");
  EXPECT_EQ(yes->msg_quit, "Bye.");
  EXPECT_FALSE(users_.authenticate("yes", "passwort"));
  EXPECT_FALSE(users_.authenticate("yes", "s3cret"));
  EXPECT_TRUE(users_.authenticate("sha", "s3cret"));
  EXPECT_FALSE(users_.authenticate("sha", "s3cret\n"));
  EXPECT_FALSE(users_.authenticate("sha", "pässwörd"));
  EXPECT_FALSE(users_.authenticate("nobody", "s3cret"));
}

TEST_F(MemoryAuthorizerTest, PasswordWithANulNeverMatchesAHash) {
  // crypt(3) would stop at the NUL and see "correct horse".
  users_.add_user("sha512", hashed(kSha512), home_);
  EXPECT_FALSE(users_.authenticate("sha512", std::string_view("correct horse\0", 14)));
  EXPECT_FALSE(users_.authenticate("sha512", std::string_view("correct horse\0junk", 18)));
  EXPECT_TRUE(users_.authenticate("sha512", "correct horse"));
}

TEST_F(MemoryAuthorizerTest, InvalidHashesAreRejectedAtAddUser) {
  const std::string sha512 = kSha512;
  const std::string bad[] = {
      "",
      "correct horse",  // clear text passed as a hash by mistake
      "abcdefghijklm",  // would pass for a DES hash: refused
      "ab",             // a DES setting
      "*",
      "!",
      "$6$",                                // a setting, not a hash
      "$6$TAkhMVzFN1RrFEIP",                // ditto
      "$6$TAkhMVzFN1RrFEIP$",               // ditto
      sha512.substr(0, sha512.size() - 1),  // cut short
      sha512 + "x",                         // too long
      // A salt longer than sha512-crypt's 16 characters, at the right length:
      // crypt(3) would cut the salt, so nothing could ever match.
      "$6$TAkhMVzFN1RrFEIPextra" + sha512.substr(19, sha512.size() - 19 - 5),
      "$y$j9T$abc$",
      "$y$zz$34.UVIm0b8t/ZvcQUx27k0$NKMrrrEvsUuauFs5xCfPIDU9vX/WgCK.bAvbe1C/MsC",
      "$2b$10$short",
      "$unknown$salt$hash",
      std::string(kYescrypt) + std::string(1, '\0'),
      std::string("$6$ab\0cd$", 9) + std::string(86, 'a'),
  };
  for (const auto& hash : bad) {
    EXPECT_THROW(users_.add_user("alice", hashed(hash), home_), std::invalid_argument) << hash;
  }
  // Real DES-based hashes, which libxcrypt could verify, are refused too.
  for (const char* setting : {"ab", "_J9..abcd"}) {
    auto data = std::make_unique<crypt_data>();
    const char* des = ::crypt_rn("correct horse", setting, data.get(), sizeof(crypt_data));
    ASSERT_NE(des, nullptr) << setting;
    EXPECT_THROW(users_.add_user("alice", hashed(des), home_), std::invalid_argument) << des;
  }
  EXPECT_FALSE(users_.has_user("alice"));
  EXPECT_FALSE(users_.authenticate("alice", "correct horse"));
  EXPECT_FALSE(users_.authenticate("alice", "ab"));
}

TEST_F(MemoryAuthorizerTest, HashedAddUserChecksTheOtherArgumentsToo) {
  EXPECT_THROW(users_.add_user("", hashed(kSha512), home_), std::invalid_argument);
  EXPECT_THROW(users_.add_user("ftp", hashed(kSha512), home_), std::invalid_argument);
  EXPECT_THROW(users_.add_user("alice", hashed(kSha512), base_ + "/missing"),
               std::invalid_argument);
  EXPECT_THROW(users_.add_user("alice", hashed(kSha512), home_, "elrX"), std::invalid_argument);
  EXPECT_FALSE(users_.has_user("alice"));
  users_.add_user("alice", hashed(kSha512), home_);
  // One name, one user, whichever kind of password either has.
  EXPECT_THROW(users_.add_user("alice", "pw", home_), std::invalid_argument);
  EXPECT_THROW(users_.add_user("alice", hashed(kSha256), home_), std::invalid_argument);
  EXPECT_TRUE(users_.authenticate("alice", "correct horse"));
  EXPECT_FALSE(users_.authenticate("alice", "pw"));
}

TEST_F(MemoryAuthorizerTest, HashedAndClearTextUsersCoexist) {
  users_.add_user("clear", "plain pw", home_, "elr");
  users_.add_user("hashed", hashed(kSha512), home_, "elrw");
  users_.add_anonymous(home_);
  users_.override_perm("hashed", "/upload", "elrd");

  EXPECT_TRUE(users_.authenticate("clear", "plain pw"));
  EXPECT_FALSE(users_.authenticate("clear", "correct horse"));
  EXPECT_FALSE(users_.authenticate("clear", kSha512));
  EXPECT_FALSE(users_.authenticate("clear", ""));
  const auto hashed_account = users_.authenticate("hashed", "correct horse");
  ASSERT_TRUE(hashed_account);
  EXPECT_FALSE(users_.authenticate("hashed", "plain pw"));
  EXPECT_TRUE(users_.has_perm(*hashed_account, 'd', at("/upload/x")));
  EXPECT_TRUE(users_.has_perm(*hashed_account, 'w', at("/x")));
  EXPECT_TRUE(users_.authenticate("anonymous", "anything"));
  EXPECT_FALSE(users_.authenticate("nobody", "correct horse"));
  EXPECT_FALSE(users_.authenticate("nobody", "plain pw"));

  users_.remove_user("hashed");
  EXPECT_FALSE(users_.authenticate("hashed", "correct horse"));
  EXPECT_TRUE(users_.authenticate("clear", "plain pw"));
  users_.add_user("hashed", "now clear", home_);
  EXPECT_TRUE(users_.authenticate("hashed", "now clear"));
  EXPECT_FALSE(users_.authenticate("hashed", "correct horse"));
}

TEST_F(MemoryAuthorizerTest, HashedLoginsOnSeveralThreads) {
  // crypt_rn() with a crypt_data per call: no shared state between logins.
  users_.add_user("sha", hashed(make_hash("$6$", "sha pw", 1000)), home_);
  users_.add_user("bcrypt", hashed(make_hash("$2b$", "bcrypt pw", 4)), home_);
  users_.add_user("clear", "clear pw", home_);
  std::vector<std::thread> threads;
  std::vector<int> wrong(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) {
        if (!users_.authenticate("sha", "sha pw")) ++wrong[t];
        if (users_.authenticate("sha", "bcrypt pw")) ++wrong[t];
        if (!users_.authenticate("bcrypt", "bcrypt pw")) ++wrong[t];
        if (users_.authenticate("bcrypt", "sha pw")) ++wrong[t];
        if (!users_.authenticate("clear", "clear pw")) ++wrong[t];
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(wrong, std::vector<int>(4, 0));
}

}  // namespace
}  // namespace cppftpd
