// Fuzzes the listing formatters (src/protocol/listing.*): a random FileInfo
// becomes a LIST line and an MLSx entry, and each is parsed back here.
//
// Properties:
// - no CR or LF in a line but its final CRLF (LIST), none at all (MLSx): a
//   file name cannot inject a listing line; CR and LF in names show as '?';
// - the LIST line parses as "ls -l": type, permissions, nlink, uid, gid, size,
//   date (recent: "Mon dd HH:MM", else "Mon dd  YYYY"), name [-> target];
// - the MLSx entry is "fact=value;"... SP name, the enabled facts in RFC 3659
//   order with the values put in;
// - NLST lines, the MLST OPTS reply and the time-val format round-trip.

#include "fuzz_check.hpp"
#include "protocol/listing.hpp"

#include <fuzzer/FuzzedDataProvider.h>
#include <algorithm>

#include <array>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <ctime>
#include <string>
#include <string_view>
#include <vector>

namespace {

namespace protocol = cppftpd::protocol;
using cppftpd::FileInfo;
using cppftpd::FileType;

// How a name is shown in a listing: CR and LF become '?', as `ls -q` shows them.
std::string displayed(std::string_view name) {
  std::string out(name);
  for (char& c : out) {
    if (c == '\r' || c == '\n') c = '?';
  }
  return out;
}

bool no_cr_lf(std::string_view text) {
  return text.find_first_of("\r\n") == std::string_view::npos;
}

template <typename T>
T number(std::string_view& text) {
  T value{};
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  FUZZ_CHECK(error == std::errc());
  text.remove_prefix(static_cast<std::size_t>(end - text.data()));
  return value;
}

void skip_spaces(std::string_view& text) {
  const auto start = text.find_first_not_of(' ');
  text.remove_prefix(start == std::string_view::npos ? text.size() : start);
}

void expect(std::string_view& text, std::string_view literal) {
  FUZZ_CHECK(text.starts_with(literal));
  text.remove_prefix(literal.size());
}

void check_list_line(const FileInfo& info, std::time_t now, bool use_localtime) {
  const std::string line = protocol::format_list_line(info, now, use_localtime);
  FUZZ_CHECK(line.ends_with("\r\n"));
  std::string_view text(line);
  text.remove_suffix(2);
  FUZZ_CHECK(no_cr_lf(text));

  const bool is_link = !info.link_target.empty() || info.type == FileType::symlink;
  FUZZ_CHECK(text.size() > 11);
  FUZZ_CHECK(text[0] == (is_link ? 'l' : info.type == FileType::directory ? 'd' : '-'));
  constexpr std::array<std::string_view, 9> kColumns = {"r-",   "w-", "xsS-", "r-",  "w-",
                                                        "xsS-", "r-", "w-",   "xtT-"};
  for (std::size_t i = 0; i < kColumns.size(); ++i) {
    FUZZ_CHECK(kColumns[i].find(text[1 + i]) != std::string_view::npos);
  }
  text.remove_prefix(10);
  expect(text, " ");
  skip_spaces(text);
  FUZZ_CHECK(number<std::uint64_t>(text) == info.nlink);
  expect(text, " ");
  skip_spaces(text);
  FUZZ_CHECK(number<std::uint32_t>(text) == info.uid);
  expect(text, " ");
  skip_spaces(text);
  FUZZ_CHECK(number<std::uint32_t>(text) == info.gid);
  expect(text, " ");
  skip_spaces(text);
  FUZZ_CHECK(number<std::uint64_t>(text) == info.size);
  expect(text, " ");

  constexpr std::string_view kMonths = "JanFebMarAprMayJunJulAugSepOctNovDec";
  FUZZ_CHECK(text.size() > 3);
  const auto month = kMonths.find(text.substr(0, 3));
  FUZZ_CHECK(month != std::string_view::npos && month % 3 == 0);
  text.remove_prefix(3);
  expect(text, " ");
  if (text.starts_with(' ')) text.remove_prefix(1);
  const int day = number<int>(text);
  FUZZ_CHECK(day >= 1 && day <= 31);
  expect(text, " ");
  constexpr std::time_t kSixMonths = 180 * 24 * 60 * 60;
  const bool recent = info.mtime > now - kSixMonths && info.mtime <= now + 24 * 60 * 60;
  if (recent) {
    FUZZ_CHECK(text.size() >= 5 && text[2] == ':');
    std::string_view hours = text.substr(0, 2);
    std::string_view minutes = text.substr(3, 2);
    FUZZ_CHECK(number<int>(hours) <= 23 && hours.empty());
    FUZZ_CHECK(number<int>(minutes) <= 59 && minutes.empty());
    text.remove_prefix(5);
  } else {
    expect(text, " ");
    (void)number<long long>(text);
  }
  expect(text, " ");
  std::string expected = displayed(info.name);
  if (!info.link_target.empty()) expected += " -> " + displayed(info.link_target);
  FUZZ_CHECK(text == expected);
}

void check_mlsx_entry(const FileInfo& info, unsigned facts, std::string_view perm,
                      std::string_view type_override) {
  const std::string entry =
      protocol::format_mlsx_entry(info, info.name, facts, perm, type_override);
  FUZZ_CHECK(no_cr_lf(entry));
  const auto space = entry.find(' ');
  FUZZ_CHECK(space != std::string::npos);
  FUZZ_CHECK(std::string_view(entry).substr(space + 1) == displayed(info.name));

  std::string type(type_override);
  if (type.empty()) {
    constexpr std::array<std::string_view, 4> kTypes = {"file", "dir", "OS.unix=symlink",
                                                        "OS.unix=special"};
    type = kTypes[static_cast<std::size_t>(info.type)];
  }
  std::vector<std::string> expected;
  char buffer[64];
  if ((facts & protocol::kFactType) != 0) expected.push_back("type=" + type);
  if ((facts & protocol::kFactSize) != 0 && info.type == FileType::regular) {
    expected.push_back("size=" + std::to_string(info.size));
  }
  if ((facts & protocol::kFactModify) != 0) {
    expected.push_back("modify=" + protocol::format_time_val(info.mtime));
  }
  if ((facts & protocol::kFactPerm) != 0) expected.push_back("perm=" + std::string(perm));
  if ((facts & protocol::kFactUnique) != 0) {
    std::snprintf(buffer, sizeof buffer, "unique=%llxg%llx",
                  static_cast<unsigned long long>(info.device),
                  static_cast<unsigned long long>(info.inode));
    expected.emplace_back(buffer);
  }
  if ((facts & protocol::kFactUnixMode) != 0) {
    std::snprintf(buffer, sizeof buffer, "unix.mode=%04o", info.mode & 07777);
    expected.emplace_back(buffer);
  }
  if ((facts & protocol::kFactUnixUid) != 0) {
    expected.push_back("unix.uid=" + std::to_string(info.uid));
  }
  if ((facts & protocol::kFactUnixGid) != 0) {
    expected.push_back("unix.gid=" + std::to_string(info.gid));
  }
  std::string expected_facts;
  for (const auto& fact : expected) expected_facts += fact + ";";
  FUZZ_CHECK(entry.substr(0, space) == expected_facts);
}

void check_time_val(std::time_t time, std::string_view text) {
  const std::string formatted = protocol::format_time_val(time);
  FUZZ_CHECK(formatted.size() == 14 &&
             formatted.find_first_not_of("0123456789") == std::string::npos);
  const auto parsed = protocol::parse_time_val(formatted);
  FUZZ_CHECK(parsed.has_value());
  // Times outside years 1000-9999 are clamped to the ends.
  if (formatted != "10000101000000" && formatted != "99991231235959") FUZZ_CHECK(*parsed == time);

  const auto value = protocol::parse_time_val(text);
  if (!value) return;
  FUZZ_CHECK(text.size() >= 14);
  // A leap second (:60) normalises to the next minute; all else reads back.
  if (text.substr(12, 2) != "60")
    FUZZ_CHECK(protocol::format_time_val(*value) == text.substr(0, 14));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider provider(data, size);
  FileInfo info;
  info.type = static_cast<FileType>(provider.ConsumeIntegralInRange<int>(0, 3));
  info.size = provider.ConsumeIntegral<std::uint64_t>();
  info.mtime = provider.ConsumeIntegral<std::int64_t>();
  info.mode = provider.ConsumeIntegral<std::uint32_t>();
  info.uid = provider.ConsumeIntegral<std::uint32_t>();
  info.gid = provider.ConsumeIntegral<std::uint32_t>();
  info.nlink = provider.ConsumeIntegral<std::uint64_t>();
  info.device = provider.ConsumeIntegral<std::uint64_t>();
  info.inode = provider.ConsumeIntegral<std::uint64_t>();
  // The clock is real (up to the year 3000); file times are whatever stat says.
  const std::time_t now = provider.ConsumeIntegralInRange<std::int64_t>(0, 32503680000);
  const bool use_localtime = provider.ConsumeBool();
  const unsigned facts = provider.ConsumeIntegral<std::uint8_t>();
  std::string perm;
  for (const char letter : std::string_view("acdeflmprw")) {
    if (provider.ConsumeBool()) perm.push_back(letter);
  }
  constexpr std::array<std::string_view, 3> kOverrides = {"", "cdir", "pdir"};
  const auto type_override = kOverrides[provider.ConsumeIntegralInRange<std::size_t>(0, 2)];
  info.link_target = provider.ConsumeRandomLengthString(128);
  const std::string time_text = provider.ConsumeRandomLengthString(32);
  info.name = provider.ConsumeRemainingBytesAsString();
  if (info.name.empty()) info.name = "x";  // a directory entry always has a name

  check_list_line(info, now, use_localtime);
  check_mlsx_entry(info, facts, perm, type_override);

  const std::string nlst = protocol::format_nlst_line(info.name);
  FUZZ_CHECK(nlst == displayed(info.name) + "\r\n");

  const std::string opts = protocol::format_mlst_opts_reply(facts);
  FUZZ_CHECK(opts.starts_with("MLST OPTS"));
  // "MLST OPTS" [SP 1*(factname ";")] (RFC 3659 7.9.1).
  FUZZ_CHECK(protocol::parse_mlst_opts(opts.size() > 9 ? std::string_view(opts).substr(10) : "") ==
             facts);
  // Any text: a fact set within kFactAll, or nullopt (501) exactly when the
  // list, trailing spaces aside, holds a space or a control character.
  const auto parsed = protocol::parse_mlst_opts(info.name);
  std::string_view trimmed = info.name;
  while (!trimmed.empty() && trimmed.back() == ' ') trimmed.remove_suffix(1);
  const bool one_word = std::none_of(trimmed.begin(), trimmed.end(), [](char c) {
    return static_cast<unsigned char>(c) <= ' ' || c == '\x7f';
  });
  FUZZ_CHECK(parsed.has_value() == one_word);
  FUZZ_CHECK(!parsed || (*parsed & ~protocol::kFactAll) == 0u);
  FUZZ_CHECK(protocol::format_mlst_feature(facts).starts_with("MLST type"));

  check_time_val(info.mtime, time_text);
  return 0;
}
