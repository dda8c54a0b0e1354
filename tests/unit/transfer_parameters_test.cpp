#include "protocol/transfer_parameters.hpp"

#include <gtest/gtest.h>

#include <string_view>

namespace cppftpd::protocol {
namespace {

using namespace std::literals;

const std::error_code kInvalid = std::make_error_code(std::errc::invalid_argument);
const std::error_code kUnsupported = std::make_error_code(std::errc::not_supported);

// TYPE (RFC 959 3.1.1)

TEST(ParseType, AsciiAndImage) {
  for (const auto text : {"A"sv, "a"sv, "A N"sv, "a n"sv}) {
    const auto type = parse_type_argument(text);
    ASSERT_TRUE(type.ok()) << text;
    EXPECT_EQ(*type, TransferType::ascii) << text;
  }
  for (const auto text : {"I"sv, "i"sv, "L 8"sv, "l 8"sv, "L8"sv}) {
    const auto type = parse_type_argument(text);
    ASSERT_TRUE(type.ok()) << text;
    EXPECT_EQ(*type, TransferType::image) << text;
  }
}

TEST(ParseType, DefinedButUnsupported) {
  for (const auto text : {"E"sv, "e n"sv, "A T"sv, "A C"sv, "L 7"sv, "L 16"sv, "l 36"sv}) {
    EXPECT_EQ(parse_type_argument(text).error(), kUnsupported) << text;
  }
}

TEST(ParseType, Malformed) {
  for (const auto text :
       {""sv, " "sv, "X"sv, "AN"sv, "A  N"sv, " A"sv, "II"sv, "L"sv, "I\0"sv, "ASCII"sv}) {
    EXPECT_EQ(parse_type_argument(text).error(), kInvalid) << text;
  }
}

TEST(ParseType, TrailingSpacesAreForgiven) {
  // Some clients pad the argument ("TYPE I "); pyftpdlib takes it too.
  EXPECT_EQ(*parse_type_argument("A "sv), TransferType::ascii);
  EXPECT_EQ(*parse_type_argument("I  "sv), TransferType::image);
  EXPECT_EQ(*parse_type_argument("L 8 "sv), TransferType::image);
}

// STRU and MODE (RFC 959 4.1.2)

TEST(ParseStru, FileOnly) {
  EXPECT_FALSE(parse_stru_argument("F"));
  EXPECT_FALSE(parse_stru_argument("f"));
  EXPECT_EQ(parse_stru_argument("R"), kUnsupported);
  EXPECT_EQ(parse_stru_argument("p"), kUnsupported);
  EXPECT_FALSE(parse_stru_argument("F "));  // a trailing space is forgiven
  for (const auto text : {""sv, " F"sv, "FF"sv, "X"sv, "F\0"sv}) {
    EXPECT_EQ(parse_stru_argument(text), kInvalid) << text;
  }
}

TEST(ParseMode, StreamOnly) {
  EXPECT_FALSE(parse_mode_argument("S"));
  EXPECT_FALSE(parse_mode_argument("s"));
  EXPECT_EQ(parse_mode_argument("B"), kUnsupported);
  EXPECT_EQ(parse_mode_argument("c"), kUnsupported);
  EXPECT_FALSE(parse_mode_argument("S "));  // a trailing space is forgiven
  for (const auto text : {""sv, " S"sv, "SS"sv, "Z"sv, "Stream"sv}) {
    EXPECT_EQ(parse_mode_argument(text), kInvalid) << text;
  }
}

// REST (RFC 3659 5)

TEST(ParseRest, DecimalOffsets) {
  EXPECT_EQ(*parse_rest_argument("0"), 0u);
  EXPECT_EQ(*parse_rest_argument("1024"), 1024u);
  EXPECT_EQ(*parse_rest_argument("000123"), 123u);
  EXPECT_EQ(*parse_rest_argument("18446744073709551615"), 18446744073709551615u);
}

TEST(ParseRest, Malformed) {
  for (const auto text : {""sv, " "sv, "-1"sv, "+1"sv, " 1"sv, "1 "sv, "0x10"sv, "1.5"sv, "12a"sv,
                          "1\0"sv, "18446744073709551616"sv, "99999999999999999999999999"sv}) {
    EXPECT_EQ(parse_rest_argument(text).error(), kInvalid) << text;
  }
}

// Parsed at every split: the parsers take a string_view that may end
// anywhere; a prefix of a valid argument must never read past its end.
TEST(ParseRest, EveryPrefix) {
  constexpr std::string_view kText = "18446744073709551615";
  for (std::size_t n = 1; n <= kText.size(); ++n) {
    EXPECT_TRUE(parse_rest_argument(kText.substr(0, n)).ok()) << n;
  }
}

}  // namespace
}  // namespace cppftpd::protocol
