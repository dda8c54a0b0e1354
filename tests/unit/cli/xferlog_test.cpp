#include "xferlog.hpp"
#include "logging.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <regex>

namespace cppftpd::cli {
namespace {

TransferEvent event(std::string user, std::string path, std::uint64_t bytes, double seconds,
                    bool ascii) {
  TransferEvent e;
  e.session = {"192.0.2.7", 40000, std::move(user)};
  e.path = VirtualPath::resolve({}, path);
  e.bytes = bytes;
  e.seconds = seconds;
  e.ascii = ascii;
  return e;
}

class XferlogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ::setenv("TZ", "UTC", 1);
    ::tzset();
  }
};

TEST_F(XferlogTest, EveryFieldInOrder) {
  // 2026-12-04 02:18:00 UTC
  const std::time_t now = 1796350680;
  EXPECT_EQ(xferlog_line(event("anonymous", "/pub/a.txt", 4096, 0.2, false), Direction::outgoing,
                         true, now),
            "Fri Dec  4 02:18:00 2026 1 192.0.2.7 4096 /pub/a.txt b _ o a anonymous ftp 0 * c\n");
  EXPECT_EQ(xferlog_line(event("alice", "/up/b", 7, 2.5, true), Direction::incoming, false, now),
            "Fri Dec  4 02:18:00 2026 3 192.0.2.7 7 /up/b a _ i r alice ftp 0 * i\n");
}

TEST_F(XferlogTest, TransferTimeRoundsAndIsAtLeastOne) {
  const auto seconds_field = [](double s) {
    const std::string line =
        xferlog_line(event("u", "/f", 1, s, false), Direction::outgoing, true, 0);
    std::smatch m;
    const std::regex re(R"(^\S+ \S+ +\d+ \S+ \d+ (\d+) )");
    return std::regex_search(line, m, re) ? m[1].str() : std::string("?");
  };
  EXPECT_EQ(seconds_field(0), "1");
  EXPECT_EQ(seconds_field(1.49), "1");
  EXPECT_EQ(seconds_field(1.5), "2");
  EXPECT_EQ(seconds_field(61.2), "61");
}

TEST_F(XferlogTest, FilenameKeepsTheFieldCount) {
  const std::string line = xferlog_line(event("u",
                                              "/a b\tc\x01"
                                              "d",
                                              1, 1, false),
                                        Direction::outgoing, true, 0);
  EXPECT_NE(line.find(" /a_b_c_d b _ o "), std::string::npos) << line;
}

TEST(JsonEscapeTest, EscapesQuotesControlsAndBadUtf8) {
  EXPECT_EQ(json_escape("plain"), "plain");
  EXPECT_EQ(json_escape("a\"b\\c"), "a\\\"b\\\\c");
  EXPECT_EQ(json_escape("l1\nl2\r\t"), "l1\\nl2\\r\\t");
  EXPECT_EQ(json_escape(std::string_view("\x00\x1f\x7f", 3)), "\\u0000\\u001f\\u007f");
  EXPECT_EQ(json_escape("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"),
            "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
  EXPECT_EQ(json_escape("\xff"), "\\ufffd");
  EXPECT_EQ(json_escape("\xc3"), "\\ufffd");                        // truncated
  EXPECT_EQ(json_escape("\xc0\xaf"), "\\ufffd\\ufffd");             // overlong
  EXPECT_EQ(json_escape("\xed\xa0\x80"), "\\ufffd\\ufffd\\ufffd");  // surrogate
}

}  // namespace
}  // namespace cppftpd::cli
