#pragma once
// LineReader: splits the control stream into command lines. No I/O: the
// session feeds it whatever bytes arrived (DESIGN.md principle 1).

#include "protocol/limits.hpp"

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>

namespace cppftpd::protocol {

/// Turns a byte stream into lines:
/// - a line ends at LF; a CR right before it is dropped (bare-LF clients work);
/// - Telnet commands (RFC 854, used by RFC 959 4.1.3 for ABOR's "IAC IP IAC DM")
///   are removed: IAC IAC yields one 0xFF byte, IAC WILL/WONT/DO/DONT x is
///   dropped whole, IAC followed by any other byte drops both;
/// - a line longer than max_line yields `too_long` exactly once, and the rest
///   of it, up to and including its LF, is discarded.
/// State carries across calls, so input may be split at any byte.
class LineReader {
 public:
  enum class Status { need_more, line, too_long };

  explicit LineReader(std::size_t max_line = limits::kMaxCommandLine) : max_line_(max_line) {}

  /// Consumes bytes from the front of `input` until one event. On `line`,
  /// line() holds the line (without CR/LF). On need_more, input is empty.
  Status next(std::string_view& input);
  const std::string& line() const noexcept { return line_; }
  /// Moves the line out: the reader then holds no buffer until the next one
  /// (an idle session keeps none).
  std::string take_line() noexcept { return std::exchange(line_, std::string()); }

  /// Drops any partial line (REIN and TLS upgrade start clean).
  void reset();

 private:
  enum class Telnet { data, iac, option };
  std::size_t max_line_;
  std::string partial_;
  std::string line_;
  Telnet telnet_ = Telnet::data;
  bool discarding_ = false;
};

/// A command line split into its verb and argument.
struct CommandLine {
  std::string verb;      ///< upper-cased; empty if the line has no valid verb
  std::string argument;  ///< everything after the first space, verbatim
};

/// Splits "verb[ argument]". The verb is 1-4 ASCII letters (case-insensitive,
/// returned upper-cased); anything else yields an empty verb. Leading spaces
/// before the verb are skipped. The argument keeps inner and trailing spaces
/// (file names may have them); a <CR><NUL> in it is a <CR> (RFC 2640 3.1).
CommandLine split_command(std::string_view line);

/// `text` with ASCII letters upper-cased (verbs, TYPE/MODE/STRU/OPTS words;
/// locale-independent).
std::string upper_ascii(std::string_view text);

/// `text` without its trailing spaces (arguments some clients pad: "TYPE I ").
std::string_view trim_trailing_spaces(std::string_view text) noexcept;

}  // namespace cppftpd::protocol
