#include "protocol/line_reader.hpp"

#include <gtest/gtest.h>

#include <ostream>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace cppftpd::protocol {
namespace {

using namespace std::literals;
using Status = LineReader::Status;

// One event of the reader: a line (with its text) or a too_long.
struct Event {
  Status status;
  std::string line;
  friend bool operator==(const Event&, const Event&) = default;
  friend std::ostream& operator<<(std::ostream& os, const Event& event) {
    os << (event.status == Status::line ? "line" : "too_long") << "(\"";
    for (const char c : event.line) {
      const auto byte = static_cast<unsigned char>(c);
      if (byte < 0x20 || byte >= 0x7F) {
        os << "\\x" << std::hex << static_cast<int>(byte) << std::dec;
      } else {
        os << c;
      }
    }
    return os << "\")";
  }
};
using Events = std::vector<Event>;

// Feeds one chunk and collects every event until the reader needs more.
void feed(LineReader& reader, std::string_view chunk, Events& events) {
  while (true) {
    const Status status = reader.next(chunk);
    if (status == Status::need_more) {
      EXPECT_TRUE(chunk.empty()) << "need_more must consume all input";
      return;
    }
    events.push_back({status, status == Status::line ? reader.line() : std::string{}});
  }
}

Events read_whole(std::string_view input, std::size_t max_line = limits::kMaxCommandLine) {
  LineReader reader(max_line);
  Events events;
  feed(reader, input, events);
  return events;
}

// Feeds `input` cut at the given (ascending) offsets.
Events read_split(std::string_view input, const std::vector<std::size_t>& cuts,
                  std::size_t max_line) {
  LineReader reader(max_line);
  Events events;
  std::size_t start = 0;
  for (const std::size_t cut : cuts) {
    feed(reader, input.substr(start, cut - start), events);
    start = cut;
  }
  feed(reader, input.substr(start), events);
  return events;
}

// "Parsegrind": the events must not depend on how the input is split. Checks
// every single cut, every pair of cuts (for short inputs), and byte by byte.
void expect_split_invariant(std::string_view input, std::size_t max_line, const Events& expected) {
  for (std::size_t i = 0; i <= input.size(); ++i) {
    ASSERT_EQ(read_split(input, {i}, max_line), expected) << "cut at " << i;
  }
  if (input.size() <= 48) {
    for (std::size_t i = 0; i <= input.size(); ++i) {
      for (std::size_t j = i; j <= input.size(); ++j) {
        ASSERT_EQ(read_split(input, {i, j}, max_line), expected) << "cuts at " << i << ", " << j;
      }
    }
  }
  std::vector<std::size_t> every_byte;
  for (std::size_t i = 1; i < input.size(); ++i) every_byte.push_back(i);
  ASSERT_EQ(read_split(input, every_byte, max_line), expected) << "byte by byte";
}

// Reads `input` whole, checks it against `expected`, then checks every split.
void expect_events(std::string_view input, const Events& expected,
                   std::size_t max_line = limits::kMaxCommandLine) {
  ASSERT_EQ(read_whole(input, max_line), expected);
  expect_split_invariant(input, max_line, expected);
}

Event line(std::string text) { return {Status::line, std::move(text)}; }
Event too_long() { return {Status::too_long, {}}; }

TEST(LineReader, CrlfLine) { expect_events("USER anonymous\r\n", {line("USER anonymous")}); }

TEST(LineReader, BareLfLine) { expect_events("NOOP\n", {line("NOOP")}); }

TEST(LineReader, SeveralLinesInOneBuffer) {
  expect_events("USER a\r\nPASS b\r\nQUIT\n", {line("USER a"), line("PASS b"), line("QUIT")});
}

TEST(LineReader, EmptyLines) { expect_events("\r\n\n\r\n", {line(""), line(""), line("")}); }

TEST(LineReader, PartialLineNeedsMore) {
  LineReader reader;
  std::string_view input = "USER ano";
  EXPECT_EQ(reader.next(input), Status::need_more);
  EXPECT_TRUE(input.empty());
  input = "nymous\r";
  EXPECT_EQ(reader.next(input), Status::need_more);
  input = "\nPWD\r\n";
  ASSERT_EQ(reader.next(input), Status::line);
  EXPECT_EQ(reader.line(), "USER anonymous");
  EXPECT_EQ(input, "PWD\r\n") << "only the first line is consumed";
  ASSERT_EQ(reader.next(input), Status::line);
  EXPECT_EQ(reader.line(), "PWD");
  EXPECT_EQ(reader.next(input), Status::need_more);
}

TEST(LineReader, EmptyInputNeedsMore) {
  LineReader reader;
  std::string_view input;
  EXPECT_EQ(reader.next(input), Status::need_more);
}

TEST(LineReader, OnlyTheCrBeforeLfIsDropped) {
  expect_events("a\rb\r\n", {line("a\rb")});
  expect_events("a\r\r\n", {line("a\r")});
  expect_events("\r\rX\n", {line("\r\rX")});
}

TEST(LineReader, UnterminatedLineYieldsNothing) { expect_events("RETR file", {}); }

TEST(LineReader, IacIacIsOneDataByte) {
  expect_events(
      "RETR a\xff\xff"
      "b\r\n",
      {line("RETR a\xff"
            "b")});
  expect_events("\xff\xff\xff\xff\n", {line("\xff\xff")});
}

TEST(LineReader, NegotiationsAreDroppedWhole) {
  // IAC WILL/WONT/DO/DONT <option>: three bytes, whatever the option byte is.
  expect_events("\xff\xfb\x01NOOP\r\n", {line("NOOP")});
  expect_events("NO\xff\xfc\x03OP\r\n", {line("NOOP")});
  expect_events("NOOP\xff\xfd\x18\r\n", {line("NOOP")});
  expect_events("\xff\xfe\xffNOOP\r\n", {line("NOOP")});  // option 255 is not an IAC
  // The option byte is not data even when it is a LF or a CR.
  expect_events("NO\xff\xfd\nOP\r\n", {line("NOOP")});
  expect_events("NOOP\xff\xfb\r\n", {line("NOOP")});
}

TEST(LineReader, OtherTelnetCommandsDropTwoBytes) {
  // IP (244), DM (242), AYT (246), NOP (241), SB (250), SE (240), GA (249).
  expect_events(
      "\xff\xf4\xff\xf2"
      "ABOR\r\n",
      {line("ABOR")});
  expect_events(
      "ST\xff\xf6"
      "AT\r\n",
      {line("STAT")});
  expect_events("\xff\xf1\xff\xfa\xff\xf0\xff\xf9X\n", {line("X")});
  // IAC followed by an ordinary byte drops both, even a LF.
  expect_events("NOOP\xff\n\r\n", {line("NOOP")});
  expect_events(
      "A\xff"
      "BC\n",
      {line("AC")});
}

TEST(LineReader, PythonFtplibAbort) {
  // ftplib.FTP.abort() sends b'\xff\xf4\xff\xf2ABOR\r\n' in one send.
  expect_events(
      "RETR big\r\n\xff\xf4\xff\xf2"
      "ABOR\r\n",
      {line("RETR big"), line("ABOR")});
}

TEST(LineReader, TelnetCommandsDoNotCountTowardsLength) {
  expect_events(
      "\xff\xf4\xff\xf2"
      "ABOR\r\n",
      {line("ABOR")}, 4);
  expect_events(
      "AB\xff\xfb\x01"
      "CD\r\n",
      {line("ABCD")}, 4);
  // An escaped 0xFF is one byte of content.
  expect_events("ABC\xff\xff\r\n", {line("ABC\xff")}, 4);
  expect_events("ABCD\xff\xff\r\n", {too_long()}, 4);
}

TEST(LineReader, LineOfExactlyMaxLength) {
  expect_events("ABCD\r\n", {line("ABCD")}, 4);
  expect_events("ABCD\n", {line("ABCD")}, 4);
}

TEST(LineReader, LineOneByteOverMax) {
  expect_events("ABCDE\r\nNOOP\r\n", {too_long(), line("NOOP")}, 4);
  expect_events("ABCDE\n", {too_long()}, 4);
}

TEST(LineReader, CrInsideCountsTowardsLength) {
  // "ABCD\r" + "\r\n": the content is "ABCD\r", five bytes.
  expect_events("ABCD\r\r\nX\n", {too_long(), line("X")}, 4);
  // "ABCD\r" followed by data: the CR was content.
  expect_events("ABCD\rX\nY\n", {too_long(), line("Y")}, 4);
}

TEST(LineReader, TooLongIsReportedOnceAndRestDiscarded) {
  const std::string input = std::string(100, 'x') + "\r\nPWD\r\n";
  expect_events(input, {too_long(), line("PWD")}, 10);
  // Reported as soon as the limit is passed, before the LF arrives.
  LineReader reader(10);
  std::string_view chunk = "0123456789A";
  EXPECT_EQ(reader.next(chunk), Status::too_long);
  EXPECT_TRUE(chunk.empty());
  for (int i = 0; i < 1000; ++i) {
    chunk = "more bytes of the same line ";
    EXPECT_EQ(reader.next(chunk), Status::need_more);
  }
  chunk = "tail\r\nNOOP\r\n";
  ASSERT_EQ(reader.next(chunk), Status::line);
  EXPECT_EQ(reader.line(), "NOOP");
}

TEST(LineReader, TelnetStillParsedWhileDiscarding) {
  // The LF inside "IAC DO LF" does not end the discarded line.
  expect_events("ABCDEFG\xff\xfd\nXYZ\nOK\n", {too_long(), line("OK")}, 4);
  expect_events("ABCDEFG\xff\nXYZ\nOK\n", {too_long(), line("OK")}, 4);
}

TEST(LineReader, SeveralLongLines) {
  expect_events("ABCDEF\nAB\nABCDEFGHIJ\r\n\nABCDE\n",
                {too_long(), line("AB"), too_long(), line(""), too_long()}, 4);
}

TEST(LineReader, DefaultLimitIsMaxCommandLine) {
  const std::string longest(limits::kMaxCommandLine, 'a');
  EXPECT_EQ(read_whole(longest + "\r\n"), Events{line(longest)});
  EXPECT_EQ(read_whole(longest + "b\r\nNOOP\r\n"), (Events{too_long(), line("NOOP")}));
}

TEST(LineReader, ZeroLimitAllowsOnlyEmptyLines) {
  expect_events("\r\nA\r\n\n", {line(""), too_long(), line("")}, 0);
}

TEST(LineReader, ResetDropsPartialLine) {
  LineReader reader;
  std::string_view input = "USER half";
  EXPECT_EQ(reader.next(input), Status::need_more);
  reader.reset();
  input = "PBSZ 0\r\n";
  ASSERT_EQ(reader.next(input), Status::line);
  EXPECT_EQ(reader.line(), "PBSZ 0");
}

TEST(LineReader, ResetDropsTelnetState) {
  LineReader reader;
  std::string_view input = "X\xff";
  EXPECT_EQ(reader.next(input), Status::need_more);
  reader.reset();
  input = "NOOP\r\n";  // without the reset, IAC 'N' would eat the N
  ASSERT_EQ(reader.next(input), Status::line);
  EXPECT_EQ(reader.line(), "NOOP");

  input = "X\xff\xfb";
  EXPECT_EQ(reader.next(input), Status::need_more);
  reader.reset();
  input = "NOOP\r\n";
  ASSERT_EQ(reader.next(input), Status::line);
  EXPECT_EQ(reader.line(), "NOOP");
}

TEST(LineReader, ResetEndsDiscarding) {
  LineReader reader(4);
  std::string_view input = "TOO LONG";
  EXPECT_EQ(reader.next(input), Status::too_long);
  reader.reset();
  input = "NOOP\r\n";
  ASSERT_EQ(reader.next(input), Status::line);
  EXPECT_EQ(reader.line(), "NOOP");
}

TEST(LineReader, BytesAfterLineStayInInput) {
  LineReader reader;
  std::string_view input = "A\nB";
  ASSERT_EQ(reader.next(input), Status::line);
  EXPECT_EQ(input, "B");
  EXPECT_EQ(reader.next(input), Status::need_more);
  input = "\n";
  ASSERT_EQ(reader.next(input), Status::line);
  EXPECT_EQ(reader.line(), "B");
}

// A plain, whole-input model of the specification: first remove the Telnet
// commands from the stream, then cut the data bytes into lines.
Events reference_model(std::string_view input, std::size_t max_line) {
  std::string data;
  for (std::size_t i = 0; i < input.size(); ++i) {
    const auto byte = static_cast<unsigned char>(input[i]);
    if (byte != 0xFF) {
      data.push_back(input[i]);
      continue;
    }
    if (i + 1 >= input.size()) break;
    const auto command = static_cast<unsigned char>(input[i + 1]);
    if (command == 0xFF) {
      data.push_back(input[i + 1]);
      i += 1;
    } else if (command >= 0xFB && command <= 0xFE) {
      i += 2;
    } else {
      i += 1;
    }
  }
  Events events;
  std::size_t start = 0;
  while (true) {
    const auto newline = data.find('\n', start);
    std::string content =
        data.substr(start, newline == std::string::npos ? newline : newline - start);
    if (newline == std::string::npos) {
      // An unfinished line is reported once it cannot fit whatever follows.
      const bool may_still_fit =
          content.size() <= max_line || (content.size() == max_line + 1 && content.back() == '\r');
      if (!may_still_fit) events.push_back(too_long());
      return events;
    }
    if (!content.empty() && content.back() == '\r') content.pop_back();
    events.push_back(content.size() > max_line ? too_long() : line(content));
    start = newline + 1;
  }
}

TEST(LineReader, ReferenceModelAgreesOnHandPickedCases) {
  EXPECT_EQ(reference_model("\xff\xf4\xff\xf2"
                            "ABOR\r\n",
                            4),
            Events{line("ABOR")});
  EXPECT_EQ(reference_model("ABCDE\nX\n", 4), (Events{too_long(), line("X")}));
}

TEST(LineReader, RandomStreamsMatchModelUnderAnySplit) {
  // Bytes chosen to hit every state transition: IAC, the negotiation verbs,
  // other commands, CR, LF and plain data.
  constexpr std::string_view kAlphabet = "ab\r\n\xff\xff\xff\xfb\xfc\xfd\xfe\xf4\xf2 ";
  std::mt19937 random(12345);
  std::uniform_int_distribution<std::size_t> pick(0, kAlphabet.size() - 1);
  std::uniform_int_distribution<std::size_t> length(0, 40);
  std::uniform_int_distribution<std::size_t> limit(0, 6);
  for (int round = 0; round < 400; ++round) {
    std::string input;
    const std::size_t size = length(random);
    for (std::size_t i = 0; i < size; ++i) input.push_back(kAlphabet[pick(random)]);
    const std::size_t max_line = limit(random);
    const Events expected = reference_model(input, max_line);
    ASSERT_EQ(read_whole(input, max_line), expected) << "round " << round;
    std::vector<std::size_t> cuts;
    for (std::size_t i = 1; i < input.size(); ++i) cuts.push_back(i);
    ASSERT_EQ(read_split(input, cuts, max_line), expected) << "round " << round;
    for (std::size_t i = 0; i <= input.size(); ++i) {
      ASSERT_EQ(read_split(input, {i}, max_line), expected) << "round " << round << " cut " << i;
    }
  }
}

TEST(SplitCommand, VerbAndArgument) {
  const auto command = split_command("USER anonymous");
  EXPECT_EQ(command.verb, "USER");
  EXPECT_EQ(command.argument, "anonymous");
}

TEST(SplitCommand, VerbIsUpperCased) {
  EXPECT_EQ(split_command("user x").verb, "USER");
  EXPECT_EQ(split_command("rEtR x").verb, "RETR");
}

TEST(SplitCommand, ArgumentIsVerbatimAfterFirstSpace) {
  const auto command = split_command("retr  a b ");
  EXPECT_EQ(command.verb, "RETR");
  EXPECT_EQ(command.argument, " a b ");
  EXPECT_EQ(split_command("STOR name with  spaces  ").argument, "name with  spaces  ");
  EXPECT_EQ(split_command("STOR a\tb\rc\xff").argument, "a\tb\rc\xff");
}

// RFC 2640 3.1: the NUL of a <CR><NUL> is stripped; a lone NUL or CR stays
// (the session refuses a NUL in a path with 501).
TEST(SplitCommand, CrNulInTheArgumentIsACr) {
  using namespace std::string_literals;
  EXPECT_EQ(split_command("MKD cr\r\0name"s).argument, "cr\rname");
  EXPECT_EQ(split_command("RNTO a\r\0\r\0b\r\0"s).argument, "a\r\rb\r");
  EXPECT_EQ(split_command("MKD a\0b"s).argument, "a\0b"s);
  EXPECT_EQ(split_command("MKD a\rb"s).argument, "a\rb");
  EXPECT_EQ(split_command("MKD a\0\r"s).argument, "a\0\r"s);
}

TEST(SplitCommand, NoArgument) {
  EXPECT_EQ(split_command("NOOP").verb, "NOOP");
  EXPECT_EQ(split_command("NOOP").argument, "");
  EXPECT_EQ(split_command("NOOP ").verb, "NOOP");
  EXPECT_EQ(split_command("NOOP ").argument, "");
  EXPECT_EQ(split_command("NOOP  ").argument, " ");
}

TEST(SplitCommand, ShortVerbs) {
  EXPECT_EQ(split_command("PWD").verb, "PWD");
  EXPECT_EQ(split_command("X").verb, "X");
  const auto command = split_command("a b");
  EXPECT_EQ(command.verb, "A");
  EXPECT_EQ(command.argument, "b");
}

TEST(SplitCommand, LeadingSpacesSkipped) {
  const auto command = split_command("   cwd /pub");
  EXPECT_EQ(command.verb, "CWD");
  EXPECT_EQ(command.argument, "/pub");
}

TEST(SplitCommand, InvalidVerbs) {
  for (const std::string_view bad :
       {""sv, " "sv, "    "sv, "RETRX"sv, "ABCDE arg"sv, "RETR5"sv, "1234"sv, "R2D2"sv, "NOOP\t"sv,
        "CWD\t/x"sv, "-la"sv, "\xff\xf4"sv, "R\xc3\x89TR"sv, "US-R x"sv, "USER\r"sv, "\tUSER"sv}) {
    const auto command = split_command(bad);
    EXPECT_EQ(command.verb, "") << "line \"" << bad << "\"";
    EXPECT_EQ(command.argument, "") << "line \"" << bad << "\"";
  }
  EXPECT_EQ(split_command("USER\0x"s).verb, "") << "NUL after the verb";
}

}  // namespace
}  // namespace cppftpd::protocol
