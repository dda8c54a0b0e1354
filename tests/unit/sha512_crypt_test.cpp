// detail::sha512_crypt against the specification's test vectors and against
// libxcrypt (crypt_rn), which it must match byte for byte on every setting it
// takes, and leave every other setting to.
#include "auth/sha512_crypt.hpp"

#include <crypt.h>
#include <gtest/gtest.h>

#include <array>
#include <memory>
#include <string>

namespace cppftpd::detail {
namespace {

std::string libxcrypt(const std::string& password, const std::string& setting) {
  auto data = std::make_unique<crypt_data>();
  const char* out = ::crypt_rn(password.c_str(), setting.c_str(), data.get(),
                               static_cast<int>(sizeof(crypt_data)));
  return out != nullptr && out[0] != '*' ? std::string(out) : std::string();
}

// Drepper's "Unix crypt using SHA-256 and SHA-512", the SHA-512 test vectors
// (those with rounds in libxcrypt's range; rounds=10 is below it).
TEST(Sha512CryptTest, SpecificationVectors) {
  struct Vector {
    const char* setting;
    const char* password;
    const char* expected;
  };
  const Vector vectors[] = {
      {"$6$saltstring", "Hello world!",
       "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoE"
       "OfaS35inz1"},
      {"$6$rounds=10000$saltstringsaltstring", "Hello world!",
       "$6$rounds=10000$saltstringsaltst$OW1/O6BYHV6BcXZu8QVeXbDWra3Oeqh0sbHbbMCVNSnCM/UrjmM0Dp8v"
       "OuZeHBy/YTBmSK6H9qs/y3RnOaw5v."},
      {"$6$rounds=5000$toolongsaltstring", "This is just a test",
       "$6$rounds=5000$toolongsaltstrin$lQ8jolhgVRVhY4b5pZKaysCLi0QBxGoNeKQzQ3glMhwllF7oGDZxUhx1y"
       "xdYcz/e1JSbq3y6JMxxl8audkUEm0"},
      {"$6$rounds=1400$anotherlongsaltstring",
       "a very much longer text to encrypt.  This one even stretches over morethan one line.",
       "$6$rounds=1400$anotherlongsalts$POfYwTEok97VWcjxIiSOjiykti.o/pQs.wPvMxQ6Fm7I6IoYN3CmLs66x9"
       "t0oSwbtEW7o7UmJEiDwGqd8p4ur1"},
      {"$6$rounds=77777$short", "we have a short salt string but not a short password",
       "$6$rounds=77777$short$WuQyW2YR.hBNpjjRhpYD/ifIw05xdfeEyQoMxIXbkvr0gge1a1x3yRULJ5CCaUeOxFm"
       "tlcGZelFl5CxtgfiAc0"},
      {"$6$rounds=123456$asaltof16chars..", "a short string",
       "$6$rounds=123456$asaltof16chars..$BtCwjqMJGx5hrJhZywWvt0RLE8uZ4oPwcelCjmw2kSYu.Ec6ycULevo"
       "BK25fs2xXgMNrCzIMVcgEJAstJeonj1"},
  };
  for (const auto& vector : vectors) {
    const std::string setting = vector.setting;
    // The spec's settings with a salt over 16 characters are not canonical:
    // they are left to libxcrypt, which cuts the salt. The canonical form of
    // each (the expected hash itself, as stored) is computed here.
    const auto direct = sha512_crypt(vector.password, setting);
    if (direct) {
      EXPECT_EQ(*direct, vector.expected) << setting;
    }
    const auto stored = sha512_crypt(vector.password, vector.expected);
    ASSERT_TRUE(stored) << vector.expected;
    EXPECT_EQ(*stored, vector.expected);
    EXPECT_EQ(libxcrypt(vector.password, vector.expected), vector.expected);
  }
}

// Every password length up to libxcrypt's limit (one, two and more SHA-512
// blocks per round, and the 64-byte boundaries of steps 11 and 16), every
// salt length, the default and explicit rounds.
TEST(Sha512CryptTest, MatchesLibxcryptOnEveryShape) {
  const std::string salt_chars = "./09AZaz./0123456789";
  const auto compare = [](const std::string& password, const std::string& setting) {
    const std::string expected = libxcrypt(password, setting);
    ASSERT_FALSE(expected.empty()) << setting << " / " << password.size();
    const auto computed = sha512_crypt(password, setting);
    ASSERT_TRUE(computed) << setting;
    EXPECT_EQ(*computed, expected) << setting << " / length " << password.size();
    // The whole hash as a setting gives the same hash.
    EXPECT_EQ(sha512_crypt(password, expected), expected);
  };
  const auto password_of = [](std::size_t length) {
    std::string password;
    for (std::size_t i = 0; i < length; ++i) password.push_back(static_cast<char>('!' + i % 90));
    return password;
  };
  // The least rounds (cheap, so the whole grid): every salt length, and
  // passwords of one, two and more blocks per round.
  for (std::size_t salt_length = 1; salt_length <= 16; ++salt_length) {
    for (std::size_t length :
         {0, 1, 7, 8, 15, 16, 31, 32, 33, 48, 63, 64, 65, 100, 127, 128, 129, 200, 256, 300, 511}) {
      compare(password_of(length), "$6$rounds=1000$" + salt_chars.substr(0, salt_length));
    }
  }
  // The default rounds, written and not, and some other count.
  for (const std::string prefix : {"$6$", "$6$rounds=5000$", "$6$rounds=1001$"}) {
    for (std::size_t salt_length : {1, 16}) {
      for (std::size_t length : {0, 8, 64, 129}) {
        compare(password_of(length), prefix + salt_chars.substr(0, salt_length));
      }
    }
  }
}

TEST(Sha512CryptTest, BytesOutsideAsciiInThePassword) {
  const std::string password = "p\xC3\xA4ss\xFF\x01\x7F w\xC3\xB6rd";
  const std::string setting = "$6$abcdefgh12345678";
  const auto computed = sha512_crypt(password, setting);
  ASSERT_TRUE(computed);
  EXPECT_EQ(*computed, libxcrypt(password, setting));
}

// Anything but a canonical "$6$" setting is left to libxcrypt.
TEST(Sha512CryptTest, LeavesOtherSettingsToLibxcrypt) {
  const char* others[] = {
      "",
      "$5$saltsalt",                    // sha256-crypt
      "$y$j9T$34.UVIm0b8t/ZvcQUx27k0",  // yescrypt
      "$6$",                            // no salt
      "$6$$hash",                       // empty salt
      "$6$toolongsaltstring17",         // salt over 16: libxcrypt cuts it
      "$6$salt:bad",                    // a character outside the alphabet
      "$6$sa lt",                       //
      "$6$rounds=999$salt",             // below the minimum
      "$6$rounds=1000000000$salt",      // above the maximum
      "$6$rounds=01000$salt",           // a leading zero
      "$6$rounds=$salt",                // no number
      "$6$rounds=5000",                 // no '$' after it
      "$6$rounds=5x00$salt",            // not a number
      "$6$rounds=-5000$salt",           //
      "6$salt",                         // no leading '$'
      "$6$salt$x y",                    // libxcrypt refuses blanks after the salt,
      "$6$salt$x:y",                    //   and ':', '*', '!', ';'
      "$6$salt$short",                  // not a whole hash after the salt
      "$6$salt$$",                      //
      "$6x$salt",                       //
  };
  for (const char* setting : others) {
    EXPECT_FALSE(sha512_crypt("password", setting)) << setting;
  }
  EXPECT_FALSE(sha512_crypt(std::string(512, 'a'), "$6$salt"));  // libxcrypt refuses 512 and more
  EXPECT_TRUE(sha512_crypt(std::string(511, 'a'), "$6$salt"));
  EXPECT_FALSE(sha512_crypt(std::string("pass\0word", 9), "$6$salt"));
}

// A wrong password gives another hash (the comparison is the caller's).
TEST(Sha512CryptTest, AnotherPasswordAnotherHash) {
  const std::string hash = libxcrypt("correct horse", "$6$TAkhMVzFN1RrFEIP");
  const auto right = sha512_crypt("correct horse", hash);
  const auto wrong = sha512_crypt("correct horse ", hash);
  ASSERT_TRUE(right && wrong);
  EXPECT_EQ(*right, hash);
  EXPECT_NE(*wrong, hash);
  EXPECT_EQ(wrong->size(), hash.size());
}

}  // namespace
}  // namespace cppftpd::detail
