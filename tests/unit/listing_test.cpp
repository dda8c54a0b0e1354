#include "protocol/listing.hpp"

#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <cstdlib>
#include <limits>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cppftpd::protocol {
namespace {

using namespace std::literals;

constexpr std::time_t kDay = 24 * 60 * 60;

std::time_t utc(int year, int month, int day, int hour = 0, int minute = 0, int second = 0) {
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  return timegm(&tm);
}

FileInfo regular_file() {
  FileInfo info;
  info.name = "file.txt";
  info.type = FileType::regular;
  info.size = 123;
  info.mtime = utc(2023, 11, 25, 10, 10, 0);
  info.mode = 0644;
  info.uid = 1000;
  info.gid = 1000;
  info.nlink = 1;
  info.device = 0x803;
  info.inode = 0x1a2b;
  return info;
}

FileInfo directory() {
  FileInfo info = regular_file();
  info.name = "pub";
  info.type = FileType::directory;
  info.size = 4096;
  info.mode = 0755;
  info.nlink = 2;
  return info;
}

const std::time_t kNow = utc(2023, 11, 25, 12, 0, 0);

// The permission column of a LIST line for `mode` on a regular file.
std::string permissions_of(std::uint32_t mode) {
  FileInfo info = regular_file();
  info.mode = mode;
  return format_list_line(info, kNow, false).substr(0, 10);
}

// Sets TZ for one test and restores it after.
class ScopedTimeZone {
 public:
  explicit ScopedTimeZone(const char* zone) {
    if (const char* old = std::getenv("TZ")) old_ = old;
    setenv("TZ", zone, 1);
    tzset();
  }
  ~ScopedTimeZone() {
    if (old_) {
      setenv("TZ", old_->c_str(), 1);
    } else {
      unsetenv("TZ");
    }
    tzset();
  }
  ScopedTimeZone(const ScopedTimeZone&) = delete;
  ScopedTimeZone& operator=(const ScopedTimeZone&) = delete;

 private:
  std::optional<std::string> old_;
};

// LIST

TEST(FormatListLine, RegularFile) {
  EXPECT_EQ(format_list_line(regular_file(), kNow, false),
            "-rw-r--r--   1 1000     1000          123 Nov 25 10:10 file.txt\r\n");
}

TEST(FormatListLine, Directory) {
  EXPECT_EQ(format_list_line(directory(), kNow, false),
            "drwxr-xr-x   2 1000     1000         4096 Nov 25 10:10 pub\r\n");
}

TEST(FormatListLine, SpecialFilesShowTheirLsLetter) {
  // A FIFO, socket or device is not a regular file a client could fetch.
  FileInfo fifo = regular_file();
  fifo.type = FileType::other;
  fifo.size = 0;
  for (const char kind : {'p', 's', 'c', 'b'}) {
    fifo.other_kind = kind;
    EXPECT_EQ(format_list_line(fifo, kNow, false),
              std::string(1, kind) +
                  "rw-r--r--   1 1000     1000            0 Nov 25 10:10 file.txt\r\n");
  }
  fifo.other_kind = 0;  // unknown: as before
  EXPECT_EQ(format_list_line(fifo, kNow, false).substr(0, 10), "-rw-r--r--");
}

TEST(FormatListLine, OldFileShowsYear) {
  FileInfo info = regular_file();
  info.mtime = utc(2020, 3, 7, 8, 9, 10);
  EXPECT_EQ(format_list_line(info, kNow, false),
            "-rw-r--r--   1 1000     1000          123 Mar  7  2020 file.txt\r\n");
}

TEST(FormatListLine, DayIsSpacePadded) {
  FileInfo info = regular_file();
  info.mtime = utc(2023, 11, 5, 1, 2, 0);
  EXPECT_EQ(format_list_line(info, kNow, false),
            "-rw-r--r--   1 1000     1000          123 Nov  5 01:02 file.txt\r\n");
}

TEST(FormatListLine, SixMonthBoundary) {
  FileInfo info = regular_file();
  info.mtime = kNow - 180 * kDay;
  EXPECT_NE(format_list_line(info, kNow, false).find("May 29  2023"), std::string::npos)
      << format_list_line(info, kNow, false);
  info.mtime = kNow - 180 * kDay + 1;
  EXPECT_NE(format_list_line(info, kNow, false).find("May 29 12:00"), std::string::npos)
      << format_list_line(info, kNow, false);
}

TEST(FormatListLine, FutureBoundary) {
  FileInfo info = regular_file();
  info.mtime = kNow + kDay;  // clock skew: still recent
  EXPECT_NE(format_list_line(info, kNow, false).find("Nov 26 12:00"), std::string::npos)
      << format_list_line(info, kNow, false);
  info.mtime = kNow + kDay + 1;  // the future: shows the year, as ls does
  EXPECT_NE(format_list_line(info, kNow, false).find("Nov 26  2023"), std::string::npos)
      << format_list_line(info, kNow, false);
  info.mtime = kNow + 400 * kDay;
  EXPECT_NE(format_list_line(info, kNow, false).find("Dec 29  2024"), std::string::npos)
      << format_list_line(info, kNow, false);
}

TEST(FormatListLine, EnglishMonthsInOrder) {
  constexpr std::array<std::string_view, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  FileInfo info = regular_file();
  for (int month = 1; month <= 12; ++month) {
    info.mtime = utc(2001, month, 15, 0, 0, 0);
    const auto line = format_list_line(info, kNow, false);
    EXPECT_EQ(line.substr(42, 12), std::string(kMonths[month - 1]) + " 15  2001") << line;
  }
}

TEST(FormatListLine, EpochAndPreEpoch) {
  FileInfo info = regular_file();
  info.mtime = 0;
  EXPECT_NE(format_list_line(info, kNow, false).find(" Jan  1  1970 "), std::string::npos);
  info.mtime = utc(1969, 7, 20, 20, 17, 0);
  EXPECT_NE(format_list_line(info, kNow, false).find(" Jul 20  1969 "), std::string::npos);
}

TEST(FormatListLine, TimeBeyondStructTmDoesNotBreakTheLine) {
  FileInfo info = regular_file();
  info.mtime = std::numeric_limits<std::time_t>::max();
  const auto line = format_list_line(info, kNow, false);
  EXPECT_EQ(line.substr(0, 42), "-rw-r--r--   1 1000     1000          123 ");
  EXPECT_TRUE(line.ends_with(" file.txt\r\n")) << line;
}

TEST(FormatListLine, UseLocaltime) {
  // POSIX TZ "XYZ-5" is five hours ahead of UTC, and needs no zone files.
  const ScopedTimeZone zone("XYZ-5");
  EXPECT_NE(format_list_line(regular_file(), kNow, true).find(" Nov 25 15:10 "), std::string::npos);
  EXPECT_NE(format_list_line(regular_file(), kNow, false).find(" Nov 25 10:10 "),
            std::string::npos);
  FileInfo info = regular_file();
  info.mtime = utc(2023, 11, 25, 21, 30, 0);  // the next day in the local zone
  EXPECT_NE(format_list_line(info, kNow, true).find(" Nov 26 02:30 "), std::string::npos);
}

TEST(FormatListLine, PermissionBits) {
  EXPECT_EQ(permissions_of(0), "----------");
  EXPECT_EQ(permissions_of(0777), "-rwxrwxrwx");
  EXPECT_EQ(permissions_of(0400), "-r--------");
  EXPECT_EQ(permissions_of(0200), "--w-------");
  EXPECT_EQ(permissions_of(0100), "---x------");
  EXPECT_EQ(permissions_of(0040), "----r-----");
  EXPECT_EQ(permissions_of(0020), "-----w----");
  EXPECT_EQ(permissions_of(0010), "------x---");
  EXPECT_EQ(permissions_of(0004), "-------r--");
  EXPECT_EQ(permissions_of(0002), "--------w-");
  EXPECT_EQ(permissions_of(0001), "---------x");
  EXPECT_EQ(permissions_of(0640), "-rw-r-----");
}

TEST(FormatListLine, SpecialBits) {
  EXPECT_EQ(permissions_of(04755), "-rwsr-xr-x");
  EXPECT_EQ(permissions_of(04644), "-rwSr--r--");
  EXPECT_EQ(permissions_of(02755), "-rwxr-sr-x");
  EXPECT_EQ(permissions_of(02745), "-rwxr-Sr-x");
  EXPECT_EQ(permissions_of(01777), "-rwxrwxrwt");
  EXPECT_EQ(permissions_of(01776), "-rwxrwxrwT");
  EXPECT_EQ(permissions_of(07000), "---S--S--T");
  EXPECT_EQ(permissions_of(07777), "-rwsrwsrwt");
}

TEST(FormatListLine, BitsAboveModeIgnored) { EXPECT_EQ(permissions_of(0100644), "-rw-r--r--"); }

TEST(FormatListLine, WideColumnsGrow) {
  FileInfo info = regular_file();
  info.size = 12345678901234ULL;
  info.nlink = 12345;
  info.uid = 4294967295U;
  info.gid = 123456789;
  EXPECT_EQ(format_list_line(info, kNow, false),
            "-rw-r--r-- 12345 4294967295 123456789 12345678901234 Nov 25 10:10 file.txt\r\n");
}

TEST(FormatListLine, SmallNumbersAligned) {
  FileInfo info = regular_file();
  info.size = 0;
  info.uid = 0;
  info.gid = 0;
  EXPECT_EQ(format_list_line(info, kNow, false),
            "-rw-r--r--   1 0        0               0 Nov 25 10:10 file.txt\r\n");
}

TEST(FormatListLine, Symlink) {
  FileInfo info = regular_file();
  info.type = FileType::symlink;
  info.name = "link";
  info.mode = 0;
  info.size = 6;
  info.link_target = "target";
  EXPECT_EQ(format_list_line(info, kNow, false),
            "lrwxrwxrwx   1 1000     1000            6 Nov 25 10:10 link -> target\r\n");
}

TEST(FormatListLine, FollowedSymlinkWithTargetIsShownAsLink) {
  FileInfo info = directory();
  info.name = "link";
  info.link_target = "../some dir";
  EXPECT_EQ(format_list_line(info, kNow, false),
            "lrwxrwxrwx   2 1000     1000         4096 Nov 25 10:10 link -> ../some dir\r\n");
}

TEST(FormatListLine, SymlinkWithoutTarget) {
  FileInfo info = regular_file();
  info.type = FileType::symlink;
  info.name = "dangling";
  const auto line = format_list_line(info, kNow, false);
  EXPECT_EQ(line.substr(0, 10), "lrwxrwxrwx");
  EXPECT_EQ(line.find("->"), std::string::npos);
  EXPECT_TRUE(line.ends_with(" dangling\r\n")) << line;
}

TEST(FormatListLine, OtherTypeIsNotADirectory) {
  FileInfo info = regular_file();
  info.type = FileType::other;
  info.mode = 0600;
  EXPECT_EQ(format_list_line(info, kNow, false).substr(0, 10), "-rw-------");
}

TEST(FormatListLine, NameKeptVerbatim) {
  FileInfo info = regular_file();
  info.name = " two  spaces \xc3\xa9 ";
  EXPECT_TRUE(format_list_line(info, kNow, false).ends_with("10:10  two  spaces \xc3\xa9 \r\n"));
}

// Found by fuzz/listing_fuzzer.cpp: a name (or link target) holding CR or LF
// (legal on Linux, or "STOR a\rb") was copied verbatim, so it could end a
// listing line early and forge the next one. They show as '?' (ls -q).
TEST(FormatListLine, CrAndLfInNamesCannotForgeALine) {
  FileInfo info = regular_file();
  info.name = "evil\r\n-rw-r--r--   1 0 0 1 Jan  1  1970 fake";
  info.link_target = "t\nx\r";
  const std::string line = format_list_line(info, kNow, false);
  // "\?" keeps "??-" from reading as a trigraph.
  EXPECT_TRUE(line.ends_with(" evil?\?-rw-r--r--   1 0 0 1 Jan  1  1970 fake -> t?x?\r\n")) << line;
  EXPECT_EQ(line.find_first_of("\r\n"), line.size() - 2);
}

TEST(FormatNlstLine, NameAndCrlf) {
  EXPECT_EQ(format_nlst_line("file.txt"), "file.txt\r\n");
  EXPECT_EQ(format_nlst_line(" sp ace "), " sp ace \r\n");
  EXPECT_EQ(format_nlst_line("a\r\nb\nc\r"), "a??b?c?\r\n");
}

// MLSx

TEST(FormatMlsxEntry, CrAndLfInNamesCannotForgeAnEntry) {
  EXPECT_EQ(format_mlsx_entry(regular_file(), "a\r\ntype=file; b", kFactType, ""),
            "type=file; a??type=file; b");
}

TEST(FormatMlsxEntry, RegularFileAllFacts) {
  EXPECT_EQ(format_mlsx_entry(regular_file(), "file.txt", kFactAll, "adfrw"),
            "type=file;size=123;modify=20231125101000;perm=adfrw;unique=803g1a2b;"
            "unix.mode=0644;unix.uid=1000;unix.gid=1000; file.txt");
}

TEST(FormatMlsxEntry, DirectoryHasNoSize) {
  EXPECT_EQ(format_mlsx_entry(directory(), "pub", kFactAll, "elcmp"),
            "type=dir;modify=20231125101000;perm=elcmp;unique=803g1a2b;"
            "unix.mode=0755;unix.uid=1000;unix.gid=1000; pub");
}

TEST(FormatMlsxEntry, TypeOverride) {
  EXPECT_EQ(format_mlsx_entry(directory(), "/pub", kFactType, "", "cdir"), "type=cdir; /pub");
  EXPECT_EQ(format_mlsx_entry(directory(), "..", kFactType | kFactPerm, "el", "pdir"),
            "type=pdir;perm=el; ..");
}

TEST(FormatMlsxEntry, OsTypes) {
  FileInfo info = regular_file();
  info.type = FileType::symlink;
  EXPECT_EQ(format_mlsx_entry(info, "link", kFactType | kFactSize, ""),
            "type=OS.unix=symlink; link");
  info.type = FileType::other;
  EXPECT_EQ(format_mlsx_entry(info, "fifo", kFactType | kFactSize, ""),
            "type=OS.unix=special; fifo");
}

TEST(FormatMlsxEntry, NoFactsStillHasTheSpace) {
  // RFC 3659 7.9: with no facts, the line starts with the space.
  EXPECT_EQ(format_mlsx_entry(regular_file(), "file.txt", 0, "r"), " file.txt");
  EXPECT_EQ(format_mlsx_entry(directory(), "pub", kFactSize, "r"), " pub");
}

TEST(FormatMlsxEntry, EmptyPermStillShown) {
  EXPECT_EQ(format_mlsx_entry(regular_file(), "f", kFactPerm, ""), "perm=; f");
}

TEST(FormatMlsxEntry, UnixMode) {
  FileInfo info = regular_file();
  for (const auto& [mode, text] :
       std::vector<std::pair<std::uint32_t, std::string>>{{0644, "0644"},
                                                          {0755, "0755"},
                                                          {04755, "4755"},
                                                          {0, "0000"},
                                                          {07777, "7777"},
                                                          {01, "0001"},
                                                          {0100644, "0644"}}) {
    info.mode = mode;
    EXPECT_EQ(format_mlsx_entry(info, "f", kFactUnixMode, ""), "unix.mode=" + text + "; f");
  }
}

TEST(FormatMlsxEntry, UniqueIsLowerCaseHex) {
  FileInfo info = regular_file();
  info.device = 0xFD01;
  info.inode = 0xABCDEF0123456789ULL;
  EXPECT_EQ(format_mlsx_entry(info, "f", kFactUnique, ""), "unique=fd01gabcdef0123456789; f");
  info.device = 0;
  info.inode = 0;
  EXPECT_EQ(format_mlsx_entry(info, "f", kFactUnique, ""), "unique=0g0; f");
}

TEST(FormatMlsxEntry, LargeSizeAndIds) {
  FileInfo info = regular_file();
  info.size = 18446744073709551615ULL;
  info.uid = 4294967295U;
  info.gid = 0;
  EXPECT_EQ(format_mlsx_entry(info, "f", kFactSize | kFactUnixUid | kFactUnixGid, ""),
            "size=18446744073709551615;unix.uid=4294967295;unix.gid=0; f");
}

TEST(FormatMlsxEntry, EveryFactSubsetInCanonicalOrder) {
  const FileInfo info = regular_file();
  const std::array<std::pair<unsigned, std::string_view>, 8> pieces = {{
      {kFactType, "type=file;"},
      {kFactSize, "size=123;"},
      {kFactModify, "modify=20231125101000;"},
      {kFactPerm, "perm=r;"},
      {kFactUnique, "unique=803g1a2b;"},
      {kFactUnixMode, "unix.mode=0644;"},
      {kFactUnixUid, "unix.uid=1000;"},
      {kFactUnixGid, "unix.gid=1000;"},
  }};
  for (unsigned facts = 0; facts <= kFactAll; ++facts) {
    std::string expected;
    for (const auto& [fact, piece] : pieces) {
      if ((facts & fact) != 0) expected += piece;
    }
    expected += " name with spaces";
    EXPECT_EQ(format_mlsx_entry(info, "name with spaces", facts, "r"), expected)
        << "facts " << facts;
  }
}

TEST(MlstFeature, AllEnabled) {
  EXPECT_EQ(format_mlst_feature(kFactAll),
            "MLST type*;size*;modify*;perm*;unique*;unix.mode*;unix.uid*;unix.gid*;");
  EXPECT_EQ(format_mlst_feature(kDefaultMlstFacts), format_mlst_feature(kFactAll));
}

TEST(MlstFeature, NoneEnabled) {
  EXPECT_EQ(format_mlst_feature(0),
            "MLST type;size;modify;perm;unique;unix.mode;unix.uid;unix.gid;");
}

TEST(MlstFeature, SomeEnabled) {
  EXPECT_EQ(format_mlst_feature(kFactType | kFactModify | kFactUnixGid),
            "MLST type*;size;modify*;perm;unique;unix.mode;unix.uid;unix.gid*;");
}

TEST(ParseMlstOpts, Lists) {
  EXPECT_EQ(parse_mlst_opts("type;size;"), kFactType | kFactSize);
  EXPECT_EQ(parse_mlst_opts("size;type;"), kFactType | kFactSize);
  EXPECT_EQ(parse_mlst_opts("unix.mode;unix.uid;unix.gid;"),
            kFactUnixMode | kFactUnixUid | kFactUnixGid);
  EXPECT_EQ(parse_mlst_opts("type;size;modify;perm;unique;unix.mode;unix.uid;unix.gid;"), kFactAll);
}

TEST(ParseMlstOpts, CaseInsensitive) {
  EXPECT_EQ(parse_mlst_opts("Type;SIZE;Modify;UNIX.mode;"),
            kFactType | kFactSize | kFactModify | kFactUnixMode);
}

TEST(ParseMlstOpts, EmptyTurnsAllOff) { EXPECT_EQ(parse_mlst_opts(""), 0u); }

TEST(ParseMlstOpts, UnknownIgnored) {
  // RFC 3659 7.9.2's example: "lang;type;charset;create;" selects type.
  EXPECT_EQ(parse_mlst_opts("lang;type;charset;create;"), kFactType);
  EXPECT_EQ(parse_mlst_opts("size;frogs;"), kFactSize);
  EXPECT_EQ(parse_mlst_opts("unix.chgd;x.hidden;unix;mode;types;typ;"), 0u);
}

TEST(ParseMlstOpts, MissingFinalSemicolonAndEmptyItems) {
  EXPECT_EQ(parse_mlst_opts("type"), kFactType);
  EXPECT_EQ(parse_mlst_opts(";;type;;size"), kFactType | kFactSize);
  EXPECT_EQ(parse_mlst_opts(";"), 0u);
}

TEST(ParseMlstOpts, AListWithASpaceIsInvalid) {
  // RFC 3659 7.9.2: "opts MLst unique type;" is answered "501 Invalid MLST
  // options". Trailing spaces are forgiven.
  EXPECT_EQ(parse_mlst_opts("unique type;"), std::nullopt);
  EXPECT_EQ(parse_mlst_opts(" type;"), std::nullopt);
  EXPECT_EQ(parse_mlst_opts("type;\tsize;"), std::nullopt);
  EXPECT_EQ(parse_mlst_opts("type;size;  "), kFactType | kFactSize);
}

TEST(FormatMlstOptsReply, Forms) {
  EXPECT_EQ(format_mlst_opts_reply(kFactType | kFactSize), "MLST OPTS type;size;");
  EXPECT_EQ(format_mlst_opts_reply(kFactAll),
            "MLST OPTS type;size;modify;perm;unique;unix.mode;unix.uid;unix.gid;");
  // RFC 3659 7.9.1: "MLST OPTS" [ SP 1*( factname ";" ) ].
  EXPECT_EQ(format_mlst_opts_reply(0), "MLST OPTS");
}

TEST(FormatMlstOptsReply, RoundTripsThroughParse) {
  for (unsigned facts = 0; facts <= kFactAll; ++facts) {
    const auto reply = format_mlst_opts_reply(facts);
    const auto list = reply.size() > 10 ? std::string_view(reply).substr(10) : ""sv;
    EXPECT_EQ(parse_mlst_opts(list), facts) << reply;
  }
}

// Time values (RFC 3659 2.3)

TEST(FormatTimeVal, Values) {
  EXPECT_EQ(format_time_val(0), "19700101000000");
  EXPECT_EQ(format_time_val(utc(2023, 11, 25, 10, 10, 0)), "20231125101000");
  EXPECT_EQ(format_time_val(utc(2000, 2, 29, 23, 59, 59)), "20000229235959");
  EXPECT_EQ(format_time_val(-1), "19691231235959");
  EXPECT_EQ(format_time_val(utc(1000, 1, 1)), "10000101000000");
  EXPECT_EQ(format_time_val(utc(9999, 12, 31, 23, 59, 59)), "99991231235959");
}

TEST(FormatTimeVal, OutOfRangeClamped) {
  EXPECT_EQ(format_time_val(utc(9999, 12, 31, 23, 59, 59) + 1), "99991231235959");
  EXPECT_EQ(format_time_val(std::numeric_limits<std::time_t>::max()), "99991231235959");
  EXPECT_EQ(format_time_val(utc(1000, 1, 1) - 1), "10000101000000");
  EXPECT_EQ(format_time_val(std::numeric_limits<std::time_t>::min()), "10000101000000");
}

TEST(ParseTimeVal, Valid) {
  EXPECT_EQ(parse_time_val("19700101000000"), std::optional<std::time_t>(0));
  EXPECT_EQ(parse_time_val("20231125101000"), utc(2023, 11, 25, 10, 10, 0));
  EXPECT_EQ(parse_time_val("20240229120000"), utc(2024, 2, 29, 12, 0, 0));
  EXPECT_EQ(parse_time_val("20000229000000"), utc(2000, 2, 29));
  EXPECT_EQ(parse_time_val("10000101000000"), utc(1000, 1, 1));
  EXPECT_EQ(parse_time_val("99991231235959"), utc(9999, 12, 31, 23, 59, 59));
  EXPECT_EQ(parse_time_val("19691231235959"), std::optional<std::time_t>(-1));
}

TEST(ParseTimeVal, FractionIgnored) {
  EXPECT_EQ(parse_time_val("20231125101000.1"), utc(2023, 11, 25, 10, 10, 0));
  EXPECT_EQ(parse_time_val("20231125101000.999999999999999999999"), utc(2023, 11, 25, 10, 10, 0));
}

TEST(ParseTimeVal, LeapSecond) {
  // Second 60 is allowed (RFC 3659 2.3); as a time_t it is the next minute.
  EXPECT_EQ(parse_time_val("20161231235960"), utc(2017, 1, 1));
}

TEST(ParseTimeVal, Malformed) {
  for (const auto text : {
           ""sv,
           "2023112510100"sv,
           "202311251010000"sv,
           "2023112510100a"sv,
           "20231125101000."sv,
           "20231125101000.a"sv,
           "20231125101000.1a"sv,
           "20231125101000,5"sv,
           "20231125101000 "sv,
           " 20231125101000"sv,
           "+2023112510100"sv,
           "-2023112510100"sv,
           "2023-11-25 10:10"sv,
           "20231125101000\0"sv,
           "20231125101000..1"sv,
           "20230025101000"sv,  // month 0
           "20231325101000"sv,  // month 13
           "20231100101000"sv,  // day 0
           "20231132101000"sv,  // day 32
           "20231131101000"sv,  // 31 November
           "20230229101000"sv,  // not a leap year
           "19000229101000"sv,  // not a leap year either
           "20231125241000"sv,  // hour 24
           "20231125106000"sv,  // minute 60
           "20231125101061"sv,  // second 61
           "09991231235959"sv,  // before year 1000
           "00000101000000"sv,
       }) {
    EXPECT_EQ(parse_time_val(text), std::nullopt) << "\"" << text << "\"";
  }
}

TEST(TimeVal, RandomRoundTrip) {
  std::mt19937_64 random(99);
  std::uniform_int_distribution<std::time_t> pick(utc(1000, 1, 1), utc(9999, 12, 31, 23, 59, 59));
  for (int i = 0; i < 5000; ++i) {
    const std::time_t time = pick(random);
    const auto text = format_time_val(time);
    ASSERT_EQ(text.size(), 14u);
    EXPECT_EQ(parse_time_val(text), time) << text;
  }
}

// LIST/NLST arguments

TEST(DirectoryPart, UpToTheLastSlash) {
  EXPECT_EQ(directory_part("sub/*.txt"), "sub/");
  EXPECT_EQ(directory_part("/a/b/c.txt"), "/a/b/");
  EXPECT_EQ(directory_part("../dir/x"), "../dir/");
  EXPECT_EQ(directory_part("dir/"), "dir/");
  EXPECT_EQ(directory_part("a.txt"), "");
  EXPECT_EQ(directory_part(""), "");
}

TEST(ParseListArguments, NoArgument) {
  const auto args = parse_list_arguments("");
  EXPECT_FALSE(args.all);
  EXPECT_EQ(args.path, "");
}

TEST(ParseListArguments, OptionsOnly) {
  for (const auto& [text, all] : std::vector<std::pair<std::string_view, bool>>{{"-la", true},
                                                                                {"-al", true},
                                                                                {"-a", true},
                                                                                {"-A", true},
                                                                                {"-l", false},
                                                                                {"-R", false},
                                                                                {"-lR", false},
                                                                                {"-l -a", true},
                                                                                {"-l  ", false},
                                                                                {" -la", true}}) {
    const auto args = parse_list_arguments(text);
    EXPECT_EQ(args.all, all) << text;
    EXPECT_EQ(args.path, "") << text;
  }
}

TEST(ParseListArguments, OptionsAndPath) {
  auto args = parse_list_arguments("-la /pub");
  EXPECT_TRUE(args.all);
  EXPECT_EQ(args.path, "/pub");
  args = parse_list_arguments("-l   /pub");
  EXPECT_FALSE(args.all);
  EXPECT_EQ(args.path, "/pub");
  args = parse_list_arguments("-l -A my dir ");
  EXPECT_TRUE(args.all);
  EXPECT_EQ(args.path, "my dir ");
}

TEST(ParseListArguments, PathOnlyIsVerbatim) {
  for (const auto text : {"/pub"sv, "my file"sv, "name "sv, "a -la"sv, "*.txt"sv}) {
    const auto args = parse_list_arguments(text);
    EXPECT_FALSE(args.all) << text;
    EXPECT_EQ(args.path, text) << text;
  }
}

TEST(ParseListArguments, DashWordsThatAreNotOptions) {
  for (const auto text : {"-"sv, "--"sv, "-1"sv, "-la-x"sv, "-l.txt"sv, "--all"sv, "-\xc3\xa9"sv}) {
    const auto args = parse_list_arguments(text);
    EXPECT_FALSE(args.all) << text;
    EXPECT_EQ(args.path, text) << text;
  }
  const auto args = parse_list_arguments("-a -file-name");
  EXPECT_TRUE(args.all);
  EXPECT_EQ(args.path, "-file-name");
}

// Globs

TEST(HasGlob, Characters) {
  EXPECT_TRUE(has_glob("*.txt"));
  EXPECT_TRUE(has_glob("file?.txt"));
  EXPECT_TRUE(has_glob("[ab].txt"));
  EXPECT_FALSE(has_glob("file.txt"));
  EXPECT_FALSE(has_glob(""));
  EXPECT_FALSE(has_glob("a]b{c}"));
}

TEST(GlobMatch, Star) {
  EXPECT_TRUE(glob_match("*.txt", "a.txt"));
  EXPECT_TRUE(glob_match("*.txt", ".txt"));
  EXPECT_FALSE(glob_match("*.txt", "a.txt.bak"));
  EXPECT_TRUE(glob_match("*", "anything at all"));
  EXPECT_TRUE(glob_match("*", ""));
  EXPECT_TRUE(glob_match("a*b*c", "aXbYc"));
  EXPECT_FALSE(glob_match("a*b*c", "aXbY"));
}

TEST(GlobMatch, StarMatchesLeadingDot) { EXPECT_TRUE(glob_match("*", ".hidden")); }

TEST(GlobMatch, QuestionMark) {
  EXPECT_TRUE(glob_match("file?.txt", "file1.txt"));
  EXPECT_FALSE(glob_match("file?.txt", "file.txt"));
  EXPECT_FALSE(glob_match("file?.txt", "file12.txt"));
}

TEST(GlobMatch, Brackets) {
  EXPECT_TRUE(glob_match("[ab].txt", "a.txt"));
  EXPECT_FALSE(glob_match("[ab].txt", "c.txt"));
  EXPECT_TRUE(glob_match("[!ab].txt", "c.txt"));
  EXPECT_FALSE(glob_match("[!ab].txt", "a.txt"));
  EXPECT_TRUE(glob_match("[0-9]", "5"));
  EXPECT_FALSE(glob_match("[0-9]", "x"));
}

TEST(GlobMatch, Literal) {
  EXPECT_TRUE(glob_match("file.txt", "file.txt"));
  EXPECT_FALSE(glob_match("file.txt", "File.txt"));
  EXPECT_TRUE(glob_match("\\*", "*"));
  EXPECT_FALSE(glob_match("\\*", "a"));
}

TEST(GlobMatch, SlashNeverMatches) {
  EXPECT_FALSE(glob_match("*/x", "a/x"));
  EXPECT_FALSE(glob_match("*", "a/b"));
  EXPECT_FALSE(glob_match("/*", "/a"));
}

TEST(GlobMatch, NulNeverMatches) {
  EXPECT_FALSE(glob_match("a\0*"sv, "a"));
  EXPECT_FALSE(glob_match("a*"sv, "ab\0c"sv));
}

TEST(GlobMatch, PathologicalPatternIsFast) {
  // A pattern with many stars against a long name that almost matches: a
  // naive backtracking matcher takes exponential time here.
  const std::string name(250, 'a');
  std::string pattern;
  for (int i = 0; i < 30; ++i) pattern += "*a";
  pattern += "*b";
  const auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(glob_match(pattern, name));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
}

}  // namespace
}  // namespace cppftpd::protocol
