#include "protocol/reply.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace cppftpd::protocol {
namespace {

using namespace std::literals;

// Splits a reply into its lines, checking each ends in CRLF, no LF appears
// anywhere else, and a CR or a NUL elsewhere only as the pair CR NUL (a CR
// in a path, RFC 2640 3.1).
std::vector<std::string> reply_lines(const std::string& reply) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < reply.size()) {
    const auto crlf = reply.find("\r\n", start);
    EXPECT_NE(crlf, std::string::npos) << "unterminated line in " << reply;
    if (crlf == std::string::npos) break;
    std::string line = reply.substr(start, crlf - start);
    EXPECT_EQ(line.find('\n'), std::string::npos) << "stray LF in " << reply;
    for (std::size_t i = 0; i < line.size(); ++i) {
      if (line[i] == '\r') {
        EXPECT_TRUE(i + 1 < line.size() && line[i + 1] == '\0') << "bare CR in " << reply;
      } else if (line[i] == '\0') {
        EXPECT_TRUE(i > 0 && line[i - 1] == '\r') << "bare NUL in " << reply;
      }
    }
    lines.push_back(std::move(line));
    start = crlf + 2;
  }
  return lines;
}

// The shape RFC 959 4.2 requires: a single "xyz text" line, or "xyz-text",
// lines that cannot end the reply, and "xyz text" last.
void expect_well_formed(const std::string& reply, int code) {
  const std::string prefix = std::to_string(code);
  const auto lines = reply_lines(reply);
  ASSERT_FALSE(lines.empty());
  if (lines.size() == 1) {
    EXPECT_EQ(lines[0].substr(0, 4), prefix + " ");
    return;
  }
  EXPECT_EQ(lines.front().substr(0, 4), prefix + "-");
  for (std::size_t i = 1; i + 1 < lines.size(); ++i) {
    EXPECT_EQ(lines[i].substr(0, 1), " ") << "middle line " << i << " of " << reply;
  }
  EXPECT_EQ(lines.back().substr(0, 4), prefix + " ");
}

TEST(FormatReply, SingleLine) {
  EXPECT_EQ(format_reply(200, "Command okay."), "200 Command okay.\r\n");
  EXPECT_EQ(format_reply(530, "Login incorrect."), "530 Login incorrect.\r\n");
}

TEST(FormatReply, EmptyText) { EXPECT_EQ(format_reply(200, ""), "200 \r\n"); }

TEST(FormatReply, TwoLines) {
  EXPECT_EQ(format_reply(230, "Welcome\nLogin successful."),
            "230-Welcome\r\n230 Login successful.\r\n");
}

TEST(FormatReply, MultiLineMiddleLinesGetOneSpace) {
  EXPECT_EQ(format_reply(211, "Status:\nConnected\n  indented\nEnd"),
            "211-Status:\r\n Connected\r\n   indented\r\n211 End\r\n");
}

TEST(FormatReply, MiddleLineCannotEndReplyEarly) {
  // A banner line "230 ..." would read as the end of the reply (RFC 959 4.2).
  const auto reply = format_reply(220, "Banner\n230 Logged in.\nReady");
  EXPECT_EQ(reply, "220-Banner\r\n 230 Logged in.\r\n220 Ready\r\n");
  expect_well_formed(reply, 220);
}

TEST(FormatReply, EmptyLinesInText) {
  EXPECT_EQ(format_reply(214, "\n\n"), "214-\r\n \r\n214 \r\n");
  EXPECT_EQ(format_reply(214, "Help\n"), "214-Help\r\n214 \r\n");
}

TEST(FormatReply, CrIsPaddedWithNul) {
  // RFC 2640 3.1: "When a <CR> character is encountered as part of a
  // pathname it MUST be padded with a <NUL>".
  EXPECT_EQ(format_reply(257, "\"a\rb\" created"), "257 \"a\r\0b\" created\r\n"sv);
  EXPECT_EQ(format_reply(550, "\r"), "550 \r\0\r\n"sv);
  EXPECT_EQ(format_reply(550, "line one\r\nline two"), "550-line one\r\0\r\n550 line two\r\n"sv);
}

TEST(FormatReply, IacIsDoubled) {
  // The control connection is a Telnet one (RFC 959 4, RFC 854): a data byte
  // 255 travels as IAC IAC, or a Telnet client reads it as a command.
  EXPECT_EQ(format_reply(257, "\"/a\xff\" created"), "257 \"/a\xff\xff\" created\r\n");
  EXPECT_EQ(format_reply(211, "\xff\n\xff\xff"), "211-\xff\xff\r\n211 \xff\xff\xff\xff\r\n");
}

TEST(FormatReply, CannotBeInjectedThroughFileName) {
  // A file name chosen by the client, echoed in a reply.
  const auto reply = format_reply(550, "x\r\n230 User logged in.\r: No such file");
  EXPECT_EQ(reply, "550-x\r\0\r\n550 230 User logged in.\r\0: No such file\r\n"sv);
  expect_well_formed(reply, 550);
}

TEST(FormatReply, NulBecomesSpace) {
  EXPECT_EQ(format_reply(257, "\"a\0b\" created"sv), "257 \"a b\" created\r\n");
  EXPECT_EQ(format_reply(257, "\0\n\0"sv), "257- \r\n257  \r\n");
}

TEST(FormatReply, CodeIsWrittenAsIs) { EXPECT_EQ(format_reply(421, "Bye"), "421 Bye\r\n"); }

TEST(FormatReply, RandomTextAlwaysWellFormed) {
  constexpr std::string_view kAlphabet = "ab 2\r\n\0-"sv;
  std::mt19937 random(4242);
  std::uniform_int_distribution<std::size_t> pick(0, kAlphabet.size() - 1);
  std::uniform_int_distribution<std::size_t> length(0, 30);
  for (int round = 0; round < 2000; ++round) {
    std::string text;
    const auto size = length(random);
    for (std::size_t i = 0; i < size; ++i) text.push_back(kAlphabet[pick(random)]);
    const auto reply = format_reply(250, text);
    expect_well_formed(reply, 250);
    // Each LF in the text is one line break, nothing else is.
    const auto newlines = static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
    EXPECT_EQ(reply_lines(reply).size(), newlines + 1) << reply;
  }
}

TEST(FormatMultiline, FeatStyle) {
  const std::vector<std::string> body = {"EPRT", "EPSV", "MDTM", "UTF8"};
  EXPECT_EQ(format_multiline(211, "Features:", body, "End"),
            "211-Features:\r\n EPRT\r\n EPSV\r\n MDTM\r\n UTF8\r\n211 End\r\n");
}

TEST(FormatMultiline, EmptyBody) {
  EXPECT_EQ(format_multiline(211, "Features:", {}, "End"), "211-Features:\r\n211 End\r\n");
}

TEST(FormatMultiline, BodyLinesStartingWithDigitsAreIndented) {
  // STAT of a directory whose names start with a reply code.
  const std::vector<std::string> body = {"213 fake end", "-rw-r--r-- 1 0 0 1 Jan  1  2020 x"};
  const auto reply = format_multiline(213, "Status of /:", body, "End of status");
  EXPECT_EQ(reply,
            "213-Status of /:\r\n 213 fake end\r\n -rw-r--r-- 1 0 0 1 Jan  1  2020 x\r\n"
            "213 End of status\r\n");
  expect_well_formed(reply, 213);
}

TEST(FormatMultiline, LfInsideRemovedCrPadded) {
  const std::vector<std::string> body = {"a\r\nb", "c\nd", "e\rf", "line\r\n"};
  const auto reply = format_multiline(211, "first\r\n", body, "la\nst");
  EXPECT_EQ(reply, "211-first\r\0\r\n a\r\0b\r\n cd\r\n e\r\0f\r\n line\r\0\r\n211 last\r\n"sv);
  expect_well_formed(reply, 211);
}

TEST(FormatMultiline, NulBecomesSpace) {
  const std::vector<std::string> body = {"a\0b"s};
  EXPECT_EQ(format_multiline(211, "x\0"sv, body, "\0y"sv), "211-x \r\n a b\r\n211  y\r\n");
}

TEST(FormatMultiline, EmptyBodyLine) {
  const std::vector<std::string> body = {""};
  EXPECT_EQ(format_multiline(214, "Help", body, "End"), "214-Help\r\n \r\n214 End\r\n");
}

TEST(QuotePath, Plain) {
  EXPECT_EQ(quote_path("/usr/dm/pathname"), "\"/usr/dm/pathname\"");
  EXPECT_EQ(quote_path("/"), "\"/\"");
  EXPECT_EQ(quote_path(""), "\"\"");
}

TEST(QuotePath, QuotesDoubled) {
  // The example of RFC 959 Appendix II.
  EXPECT_EQ(quote_path("/usr/dm/foo\"bar"), "\"/usr/dm/foo\"\"bar\"");
  EXPECT_EQ(quote_path("\""), "\"\"\"\"");
  EXPECT_EQ(quote_path("\"\"x\""), "\"\"\"\"\"x\"\"\"");
}

TEST(QuotePath, LfBecomesNul) {
  EXPECT_EQ(quote_path("/a\nb"), "\"/a\0b\""s);
  EXPECT_EQ(quote_path("\n\n"), "\"\0\0\""s);
}

TEST(QuotePath, OtherBytesVerbatim) {
  EXPECT_EQ(quote_path("/dir with spaces/\xc3\xa9t\xc3\xa9 "),
            "\"/dir with spaces/\xc3\xa9t\xc3\xa9 \"");
  EXPECT_EQ(quote_path("/a\rb"), "\"/a\rb\"");
}

TEST(QuotePath, UnquotesToOriginal) {
  // A client's reading: drop the outer quotes, then "" -> ".
  for (const std::string_view path : {"/"sv, "/a\"b"sv, "/\"\""sv, "/x\"/\"y\""sv}) {
    const auto quoted = quote_path(path);
    ASSERT_GE(quoted.size(), 2u);
    std::string unquoted;
    for (std::size_t i = 1; i + 1 < quoted.size(); ++i) {
      unquoted.push_back(quoted[i]);
      if (quoted[i] == '"') {
        ASSERT_EQ(quoted[i + 1], '"') << "an undoubled quote inside " << quoted;
        ++i;
      }
    }
    EXPECT_EQ(unquoted, path);
  }
}

}  // namespace
}  // namespace cppftpd::protocol
