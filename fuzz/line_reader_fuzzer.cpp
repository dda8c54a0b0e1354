// Fuzzes the command-line parser: LineReader (framing, Telnet IAC, the line
// cap) and split_command (verb and argument).
//
// Properties:
// - the events (lines, too_long) of the whole stream fed at once equal those
//   of the same stream split at fuzzer-chosen offsets, and fed byte by byte
//   (state carries across calls; DESIGN.md principle 1);
// - next() returns need_more only with its input consumed;
// - a line holds no LF and is at most max_line bytes;
// - split_command equals a simple reference model of RFC 959 5.3.1.

#include "fuzz_check.hpp"
#include "protocol/line_reader.hpp"

#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace {

using cppftpd::protocol::CommandLine;
using cppftpd::protocol::LineReader;

using Events = std::vector<std::pair<LineReader::Status, std::string>>;

void feed(LineReader& reader, std::string_view chunk, Events& events) {
  while (true) {
    const auto status = reader.next(chunk);
    if (status == LineReader::Status::need_more) {
      FUZZ_CHECK(chunk.empty());
      return;
    }
    events.emplace_back(status, status == LineReader::Status::line ? reader.line() : "");
  }
}

bool is_letter(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }

// Reference: skip spaces; a verb of 1-4 letters ends the line or is followed by
// one space, after which everything is the argument, each <CR><NUL> in it
// read as <CR> (RFC 2640 3.1).
CommandLine reference_split(std::string_view line) {
  std::size_t pos = line.find_first_not_of(' ');
  if (pos == std::string_view::npos) return {};
  std::size_t end = pos;
  while (end < line.size() && is_letter(line[end])) ++end;
  if (end == pos || end - pos > 4) return {};
  if (end < line.size() && line[end] != ' ') return {};
  CommandLine command;
  for (std::size_t i = pos; i < end; ++i) {
    const char c = line[i];
    command.verb.push_back(c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c);
  }
  for (std::size_t i = end + 1; i < line.size(); ++i) {
    command.argument.push_back(line[i]);
    if (line[i] == '\r' && i + 1 < line.size() && line[i + 1] == '\0') ++i;
  }
  return command;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider provider(data, size);
  // Small caps make too_long reachable within -max_len; 0 picks the real one.
  std::size_t max_line = provider.ConsumeIntegralInRange<std::size_t>(0, 64);
  if (max_line == 0) max_line = cppftpd::limits::kMaxCommandLine;
  std::vector<std::size_t> cuts(provider.ConsumeIntegralInRange<std::size_t>(0, 8));
  for (auto& cut : cuts) cut = provider.ConsumeIntegral<std::uint16_t>();
  const std::string stream = provider.ConsumeRemainingBytesAsString();
  for (auto& cut : cuts) cut = stream.empty() ? 0 : cut % (stream.size() + 1);
  std::sort(cuts.begin(), cuts.end());

  Events whole;
  LineReader whole_reader(max_line);
  feed(whole_reader, stream, whole);

  Events split;
  LineReader split_reader(max_line);
  std::size_t start = 0;
  for (const auto cut : cuts) {
    feed(split_reader, std::string_view(stream).substr(start, cut - start), split);
    start = cut;
  }
  feed(split_reader, std::string_view(stream).substr(start), split);
  FUZZ_CHECK(split == whole);

  Events bytewise;
  LineReader byte_reader(max_line);
  for (const char c : stream) feed(byte_reader, std::string_view(&c, 1), bytewise);
  FUZZ_CHECK(bytewise == whole);

  for (const auto& [status, line] : whole) {
    if (status != LineReader::Status::line) continue;
    FUZZ_CHECK(line.find('\n') == std::string::npos);
    FUZZ_CHECK(line.size() <= max_line);
    const CommandLine command = cppftpd::protocol::split_command(line);
    const CommandLine expected = reference_split(line);
    FUZZ_CHECK(command.verb == expected.verb);
    FUZZ_CHECK(command.argument == expected.argument);
    FUZZ_CHECK(cppftpd::protocol::upper_ascii(command.verb) == command.verb);
  }

  // reset() drops a partial line: what follows parses as from a new reader.
  whole_reader.reset();
  Events after_reset;
  feed(whole_reader, stream, after_reset);
  Events fresh;
  LineReader fresh_reader(max_line);
  feed(fresh_reader, stream, fresh);
  FUZZ_CHECK(after_reset == fresh);
  return 0;
}
