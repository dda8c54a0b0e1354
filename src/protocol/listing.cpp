#include "protocol/listing.hpp"

#include "protocol/line_reader.hpp"

#include <fmt/format.h>
#include <fnmatch.h>

#include <algorithm>
#include <array>

namespace cppftpd::protocol {
namespace {

constexpr std::time_t kSecondsPerDay = 24 * 60 * 60;
// ls -l shows the time of day for entries of the last six months.
constexpr std::time_t kSixMonths = 180 * kSecondsPerDay;
// A little clock skew between hosts still counts as recent; further in the
// future shows the year, as ls does, so clients do not guess last year.
constexpr std::time_t kFutureSlack = kSecondsPerDay;

// English abbreviations whatever the locale: clients parse these.
constexpr std::array<const char*, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

// The facts, in canonical order, with the names FEAT and OPTS use.
struct FactName {
  MlstFact fact;
  std::string_view name;
};
constexpr std::array<FactName, 8> kFactNames = {{
    {kFactType, "type"},
    {kFactSize, "size"},
    {kFactModify, "modify"},
    {kFactPerm, "perm"},
    {kFactUnique, "unique"},
    {kFactUnixMode, "unix.mode"},
    {kFactUnixUid, "unix.uid"},
    {kFactUnixGid, "unix.gid"},
}};

char lower_ascii(char c) noexcept {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower_ascii(a[i]) != lower_ascii(b[i])) return false;
  }
  return true;
}

// A name as a listing shows it: CR and LF become '?' (as `ls -q` shows
// them), so a file named "x\r\n-rw-r--r-- ... y" on disk cannot add a line
// to LIST/NLST/MLSD output, which clients split at line ends.
void append_name(std::string& out, std::string_view name) {
  const std::size_t start = out.size();
  out += name;
  std::replace_if(
      out.begin() + static_cast<std::ptrdiff_t>(start), out.end(),
      [](char c) { return c == '\r' || c == '\n'; }, '?');
}

bool is_ascii_letter(char c) noexcept { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }

// "rwxr-xr-x" from the permission bits, with setuid/setgid/sticky shown in
// the execute columns as ls does (s/S, s/S, t/T).
std::string permission_string(std::uint32_t mode) {
  std::string out(9, '-');
  constexpr std::array<std::uint32_t, 9> kBits = {0400, 0200, 0100, 040, 020, 010, 04, 02, 01};
  constexpr std::string_view kLetters = "rwxrwxrwx";
  for (std::size_t i = 0; i < kBits.size(); ++i) {
    if ((mode & kBits[i]) != 0) out[i] = kLetters[i];
  }
  const auto special = [&](std::uint32_t bit, std::size_t column, char set_exec, char set_no_exec) {
    if ((mode & bit) != 0) out[column] = out[column] == 'x' ? set_exec : set_no_exec;
  };
  special(04000, 2, 's', 'S');
  special(02000, 5, 's', 'S');
  special(01000, 8, 't', 'T');
  return out;
}

bool to_tm(std::time_t time, bool use_localtime, std::tm& out) {
  return (use_localtime ? localtime_r(&time, &out) : gmtime_r(&time, &out)) != nullptr;
}

bool is_leap_year(int year) noexcept {
  return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

int days_in_month(int year, int month) noexcept {
  constexpr std::array<int, 12> kDays = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && is_leap_year(year) ? 29 : kDays[static_cast<std::size_t>(month - 1)];
}

}  // namespace

std::string format_list_line(const FileInfo& info, std::time_t now, bool use_localtime) {
  const bool is_link = !info.link_target.empty() || info.type == FileType::symlink;
  char type = '-';
  if (is_link) {
    type = 'l';
  } else if (info.type == FileType::directory) {
    type = 'd';
  } else if (info.type == FileType::other && info.other_kind != 0) {
    type = info.other_kind;  // FIFO, socket, device: as ls shows them
  }
  // A symlink's own mode means nothing on Linux; ls shows it as rwxrwxrwx.
  const std::string permissions = is_link ? "rwxrwxrwx" : permission_string(info.mode);

  std::tm tm{};
  if (!to_tm(info.mtime, use_localtime, tm)) {
    // Beyond what struct tm holds: show the epoch rather than garbage.
    const std::time_t epoch = 0;
    gmtime_r(&epoch, &tm);
  }
  const bool recent = info.mtime > now - kSixMonths && info.mtime <= now + kFutureSlack;
  const char* month = kMonths[static_cast<std::size_t>(tm.tm_mon)];
  const std::string date =
      recent ? fmt::format("{} {:2} {:02}:{:02}", month, tm.tm_mday, tm.tm_hour, tm.tm_min)
             : fmt::format("{} {:2}  {}", month, tm.tm_mday,
                           static_cast<long long>(tm.tm_year) + 1900);

  std::string line = fmt::format("{}{} {:>3} {:<8} {:<8} {:>8} {} ", type, permissions, info.nlink,
                                 info.uid, info.gid, info.size, date);
  append_name(line, info.name);
  if (!info.link_target.empty()) {
    line += " -> ";
    append_name(line, info.link_target);
  }
  line += "\r\n";
  return line;
}

std::string format_nlst_line(std::string_view name) {
  std::string line;
  append_name(line, name);
  line += "\r\n";
  return line;
}

std::string format_mlst_feature(unsigned enabled) {
  // RFC 3659 7.8: "MLST" SP 1*(factname ["*"] ";"), '*' on the facts now on.
  std::string out = "MLST ";
  for (const auto& [fact, name] : kFactNames) {
    out += name;
    if ((enabled & fact) != 0) out.push_back('*');
    out.push_back(';');
  }
  return out;
}

std::optional<unsigned> parse_mlst_opts(std::string_view facts) {
  // RFC 3659 7.9: a list of "factname;"; facts not supported are ignored.
  // The list is one word: 7.9.2's "opts MLst unique type;" gets "501 Invalid
  // MLST options" (and leaves the selection as it was). Trailing spaces are
  // forgiven.
  facts = trim_trailing_spaces(facts);
  const bool one_word = std::none_of(facts.begin(), facts.end(), [](char c) {
    return static_cast<unsigned char>(c) <= ' ' || c == '\x7f';
  });
  if (!one_word) return std::nullopt;
  unsigned enabled = 0;
  while (!facts.empty()) {
    const auto semicolon = facts.find(';');
    const auto name = facts.substr(0, semicolon);
    for (const auto& [fact, known] : kFactNames) {
      if (iequals(name, known)) enabled |= fact;
    }
    if (semicolon == std::string_view::npos) break;
    facts.remove_prefix(semicolon + 1);
  }
  return enabled;
}

std::string format_mlst_opts_reply(unsigned enabled) {
  // RFC 3659 7.9.1: "MLST OPTS" [ SP 1*( factname ";" ) ] -- with no fact on,
  // nothing follows, not even the space.
  std::string out = "MLST OPTS";
  bool first = true;
  for (const auto& [fact, name] : kFactNames) {
    if ((enabled & fact) == 0) continue;
    if (first) out.push_back(' ');
    first = false;
    out += name;
    out.push_back(';');
  }
  return out;
}

std::string format_mlsx_entry(const FileInfo& info, std::string_view name, unsigned facts,
                              std::string_view perm, std::string_view type_override) {
  std::string out;
  if ((facts & kFactType) != 0) {
    // RFC 3659 7.5.1: file, dir (cdir/pdir via the override), or an
    // "OS.name=type" value for what is neither. A symlink here is a dangling
    // one (others are listed as their targets), which 7.5.1.5 lets a server
    // show "in any OS dependent manner".
    std::string_view type = type_override;
    if (type.empty()) {
      switch (info.type) {
        case FileType::regular:
          type = "file";
          break;
        case FileType::directory:
          type = "dir";
          break;
        case FileType::symlink:
          type = "OS.unix=symlink";
          break;
        case FileType::other:
          type = "OS.unix=special";
          break;
      }
    }
    out += "type=";
    out += type;
    out.push_back(';');
  }
  // RFC 3659 7.5.7: size applies to non-directory types; of those, only a
  // regular file has a size a client can transfer.
  if ((facts & kFactSize) != 0 && info.type == FileType::regular) {
    out += fmt::format("size={};", info.size);
  }
  if ((facts & kFactModify) != 0) out += fmt::format("modify={};", format_time_val(info.mtime));
  if ((facts & kFactPerm) != 0) {
    out += "perm=";
    out += perm;
    out.push_back(';');
  }
  // RFC 3659 7.5.2: any token unique to the object; device and inode are.
  if ((facts & kFactUnique) != 0) out += fmt::format("unique={:x}g{:x};", info.device, info.inode);
  if ((facts & kFactUnixMode) != 0) out += fmt::format("unix.mode={:04o};", info.mode & 07777);
  if ((facts & kFactUnixUid) != 0) out += fmt::format("unix.uid={};", info.uid);
  if ((facts & kFactUnixGid) != 0) out += fmt::format("unix.gid={};", info.gid);
  // RFC 3659 7.2: one space between the facts and the name, even with no facts.
  out.push_back(' ');
  append_name(out, name);
  return out;
}

std::string format_time_val(std::time_t time) {
  // RFC 3659 2.3: the year ranges over 1000-9999; times beyond are clamped to
  // the ends so the value keeps its fixed 14-digit form.
  constexpr std::string_view kEarliest = "10000101000000";
  constexpr std::string_view kLatest = "99991231235959";
  std::tm tm{};
  if (gmtime_r(&time, &tm) == nullptr) return std::string(time < 0 ? kEarliest : kLatest);
  if (tm.tm_year < 1000 - 1900) return std::string(kEarliest);
  if (tm.tm_year > 9999 - 1900) return std::string(kLatest);
  return fmt::format("{:04}{:02}{:02}{:02}{:02}{:02}", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                     tm.tm_hour, tm.tm_min, tm.tm_sec);
}

std::optional<std::time_t> parse_time_val(std::string_view text) {
  // RFC 3659 2.3: time-val = 14DIGIT [ "." 1*DIGIT ], in UTC.
  constexpr std::size_t kDigits = 14;
  if (text.size() < kDigits) return std::nullopt;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (i == kDigits) {
      if (c != '.' || text.size() == kDigits + 1) return std::nullopt;
    } else if (c < '0' || c > '9') {
      return std::nullopt;
    }
  }
  const auto field = [&](std::size_t offset, std::size_t length) {
    int value = 0;
    for (std::size_t i = offset; i < offset + length; ++i) value = value * 10 + (text[i] - '0');
    return value;
  };
  const int year = field(0, 4);
  const int month = field(4, 2);
  const int day = field(6, 2);
  const int hour = field(8, 2);
  const int minute = field(10, 2);
  const int second = field(12, 2);
  // Ranges from RFC 3659 2.3; second 60 is a leap second.
  if (year < 1000 || month < 1 || month > 12 || day < 1 || day > days_in_month(year, month) ||
      hour > 23 || minute > 59 || second > 60) {
    return std::nullopt;
  }
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  return timegm(&tm);
}

ListArguments parse_list_arguments(std::string_view argument) {
  // Many clients send ls options ("LIST -la"), which RFC 959 does not define;
  // a leading word of a '-' and letters only is taken as such options.
  ListArguments result;
  std::string_view rest = argument;
  bool stripped = false;
  while (true) {
    auto word_start = rest.find_first_not_of(' ');
    if (word_start == std::string_view::npos) word_start = rest.size();
    const auto candidate = rest.substr(word_start);
    const auto word_end = std::min(candidate.find(' '), candidate.size());
    const auto word = candidate.substr(0, word_end);
    if (word.size() < 2 || word.front() != '-') break;
    bool letters = true;
    for (const char c : word.substr(1)) letters = letters && is_ascii_letter(c);
    if (!letters) break;
    if (word.find_first_of("aA") != std::string_view::npos) result.all = true;
    stripped = true;
    rest = candidate.substr(word_end);
  }
  if (stripped) {
    // The spaces between the options and the path separate, they are not the path.
    const auto start = rest.find_first_not_of(' ');
    rest = start == std::string_view::npos ? std::string_view{} : rest.substr(start);
  }
  result.path.assign(rest);
  return result;
}

std::string_view directory_part(std::string_view written) {
  const std::size_t slash = written.rfind('/');
  return slash == std::string_view::npos ? std::string_view() : written.substr(0, slash + 1);
}

bool has_glob(std::string_view text) { return text.find_first_of("*?[") != std::string_view::npos; }

bool glob_match(std::string_view pattern, std::string_view name) {
  // One name against one pattern: a '/' would reach into another directory,
  // and a NUL would cut the C strings fnmatch(3) sees.
  if (pattern.find('/') != std::string_view::npos || name.find('/') != std::string_view::npos) {
    return false;
  }
  if (pattern.find('\0') != std::string_view::npos || name.find('\0') != std::string_view::npos) {
    return false;
  }
  const std::string pattern_string(pattern);
  const std::string name_string(name);
  return fnmatch(pattern_string.c_str(), name_string.c_str(), 0) == 0;
}

}  // namespace cppftpd::protocol
