#include "protocol/line_reader.hpp"

namespace cppftpd::protocol {
namespace {

// Telnet command codes (RFC 854, "TELNET COMMAND STRUCTURE").
constexpr unsigned char kIac = 255;
constexpr unsigned char kWill = 251;
constexpr unsigned char kWont = 252;
constexpr unsigned char kDo = 253;
constexpr unsigned char kDont = 254;

bool is_ascii_letter(char c) noexcept { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }

char to_upper_ascii(char c) noexcept {
  return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
}

}  // namespace

LineReader::Status LineReader::next(std::string_view& input) {
  while (!input.empty()) {
    const auto byte = static_cast<unsigned char>(input.front());
    input.remove_prefix(1);

    // RFC 854: IAC introduces a command. IAC IAC is a data byte 255; the
    // option negotiations WILL/WONT/DO/DONT carry one more byte (the option
    // code); every other command (IP, DM, AYT, ...) is a single byte. RFC 959
    // 4.1.3 has clients send ABOR as "IAC IP IAC DM ABOR", so these are dropped.
    switch (telnet_) {
      case Telnet::option:
        telnet_ = Telnet::data;
        continue;
      case Telnet::iac:
        if (byte == kWill || byte == kWont || byte == kDo || byte == kDont) {
          telnet_ = Telnet::option;
          continue;
        }
        telnet_ = Telnet::data;
        if (byte != kIac) continue;
        break;  // IAC IAC: fall through to store one data byte 0xFF
      case Telnet::data:
        if (byte == kIac) {
          telnet_ = Telnet::iac;
          continue;
        }
        if (byte == '\n') {
          if (discarding_) {
            // The end of an over-long line already reported: start afresh.
            discarding_ = false;
            continue;
          }
          // RFC 959 ends lines with CRLF; a bare LF is accepted too.
          if (!partial_.empty() && partial_.back() == '\r') partial_.pop_back();
          line_ = std::exchange(partial_, std::string());
          return Status::line;
        }
        break;
    }

    if (discarding_) continue;
    partial_.push_back(static_cast<char>(byte));
    // The line content excludes the CR of a final CRLF, so a line of exactly
    // max_line_ bytes may hold one extra byte while that byte is a CR; any byte
    // after it proves the CR was content.
    const bool only_trailing_cr = partial_.size() == max_line_ + 1 && partial_.back() == '\r';
    if (partial_.size() > max_line_ && !only_trailing_cr) {
      partial_.clear();
      line_.clear();
      discarding_ = true;
      return Status::too_long;
    }
  }
  return Status::need_more;
}

void LineReader::reset() {
  partial_.clear();
  line_.clear();
  telnet_ = Telnet::data;
  discarding_ = false;
}

CommandLine split_command(std::string_view line) {
  std::size_t pos = 0;
  while (pos < line.size() && line[pos] == ' ') ++pos;
  const std::size_t verb_start = pos;
  while (pos < line.size() && is_ascii_letter(line[pos])) ++pos;
  const std::size_t verb_length = pos - verb_start;
  // RFC 959 5.3.1: commands are 3 or 4 letters (some extensions fewer); the
  // verb ends at the end of the line or at the single space before the argument.
  if (verb_length == 0 || verb_length > 4) return {};
  if (pos < line.size() && line[pos] != ' ') return {};

  CommandLine command;
  command.verb.reserve(verb_length);
  for (const char c : line.substr(verb_start, verb_length))
    command.verb.push_back(to_upper_ascii(c));
  if (pos < line.size()) {
    // RFC 2640 3.1: a <CR> in a pathname travels as <CR><NUL>, and "on
    // receipt of a pathname containing a <CR><NUL> sequence the <NUL>
    // character MUST be stripped away". No other argument holds the pair.
    const std::string_view argument = line.substr(pos + 1);
    command.argument.reserve(argument.size());
    for (std::size_t i = 0; i < argument.size(); ++i) {
      command.argument.push_back(argument[i]);
      if (argument[i] == '\r' && i + 1 < argument.size() && argument[i + 1] == '\0') ++i;
    }
  }
  return command;
}

std::string_view trim_trailing_spaces(std::string_view text) noexcept {
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  return text;
}

std::string upper_ascii(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

}  // namespace cppftpd::protocol
