#include <cppftpd/authorizer.hpp>

#include <gtest/gtest.h>

namespace cppftpd {
namespace {

TEST(PermissionsTest, DefaultGrantsNothing) {
  const Permissions none;
  EXPECT_EQ(none.str(), "");
  EXPECT_FALSE(none.can_write());
  for (const char letter : Permissions::kLetters) EXPECT_FALSE(none.has(letter)) << letter;
}

TEST(PermissionsTest, ParsesEveryLetter) {
  const auto all = Permissions::parse(Permissions::kLetters);
  ASSERT_TRUE(all);
  EXPECT_EQ(all->str(), "elradfmwMT");
  EXPECT_TRUE(all->can_write());
  for (const char letter : Permissions::kLetters) EXPECT_TRUE(all->has(letter)) << letter;
}

TEST(PermissionsTest, EachLetterAlone) {
  for (const char letter : Permissions::kLetters) {
    const auto one = Permissions::parse(std::string(1, letter));
    ASSERT_TRUE(one) << letter;
    EXPECT_EQ(one->str(), std::string(1, letter));
    for (const char other : Permissions::kLetters) {
      EXPECT_EQ(one->has(other), other == letter) << letter << " " << other;
    }
    const bool is_write = Permissions::kReadLetters.find(letter) == std::string_view::npos;
    EXPECT_EQ(one->can_write(), is_write) << letter;
  }
}

TEST(PermissionsTest, ReadLettersAreReadOnly) {
  const auto read = Permissions::parse(Permissions::kReadLetters);
  ASSERT_TRUE(read);
  EXPECT_EQ(read->str(), "elr");
  EXPECT_FALSE(read->can_write());
}

TEST(PermissionsTest, StrIsCanonicalOrderWithoutDuplicates) {
  const auto perms = Permissions::parse("TwMrle");
  ASSERT_TRUE(perms);
  EXPECT_EQ(perms->str(), "elrwMT");
  EXPECT_EQ(Permissions::parse("eeelll")->str(), "el");
  EXPECT_EQ(*Permissions::parse("le"), *Permissions::parse("el"));
  EXPECT_NE(*Permissions::parse("el"), *Permissions::parse("elr"));
}

TEST(PermissionsTest, EmptyStringIsValidAndEmpty) {
  const auto empty = Permissions::parse("");
  ASSERT_TRUE(empty);
  EXPECT_EQ(*empty, Permissions());
}

TEST(PermissionsTest, UnknownLettersAreRejected) {
  for (const char* bad : {"x", "elrx", "E", "L", "m ", " e", "e,l", "t", "W", "elr\n"}) {
    EXPECT_FALSE(Permissions::parse(bad)) << bad;
  }
  EXPECT_FALSE(Permissions::parse(std::string_view("e\0l", 3)));
}

TEST(PermissionsTest, HasIsCaseSensitiveAndRejectsUnknown) {
  const auto perms = Permissions::parse("elradfmwMT");
  ASSERT_TRUE(perms);
  EXPECT_FALSE(perms->has('x'));
  EXPECT_FALSE(perms->has('\0'));
  EXPECT_FALSE(perms->has('E'));
  const auto lower_m = Permissions::parse("m");
  EXPECT_TRUE(lower_m->has('m'));
  EXPECT_FALSE(lower_m->has('M'));
}

}  // namespace
}  // namespace cppftpd
