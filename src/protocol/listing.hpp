#pragma once
// Listing lines: LIST (ls -l), NLST, MLSD/MLST facts (RFC 3659 7), and the
// time formats of MDTM/MFMT (RFC 3659 2.3). Pure functions.

#include <cppftpd/filesystem.hpp>

#include <cstdint>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>

namespace cppftpd::protocol {

/// One "ls -l" line, the format every client parses, ending in CRLF:
/// "drwxr-xr-x   2 1000     1000         4096 Nov 25 10:10 name".
/// The time is "Mon dd HH:MM" when within six months (180 days) of `now`,
/// else "Mon dd  YYYY". Numeric uid/gid (no account names leak).
/// Symlinks (non-empty link_target) show as "l...... name -> target".
/// In names and targets, CR and LF show as '?' (here, in NLST and MLSx), so no
/// name can split or forge a listing line.
std::string format_list_line(const FileInfo& info, std::time_t now, bool use_localtime);

/// One NLST line (RFC 959 4.1.3): the name (CR and LF as '?') and CRLF.
std::string format_nlst_line(std::string_view name);

/// MLST facts (RFC 3659 7.5), as a bit set.
enum MlstFact : unsigned {
  kFactType = 1u << 0,
  kFactSize = 1u << 1,
  kFactModify = 1u << 2,
  kFactPerm = 1u << 3,
  kFactUnique = 1u << 4,
  kFactUnixMode = 1u << 5,
  kFactUnixUid = 1u << 6,
  kFactUnixGid = 1u << 7,
  kFactAll = (1u << 8) - 1,
};
/// The facts on by default (all of them).
inline constexpr unsigned kDefaultMlstFacts = kFactAll;

/// The FEAT line for MLST: "MLST type*;size*;modify*;perm*;unique*;unix.mode*;unix.uid*;unix.gid*;"
/// with '*' on the facts in `enabled` (RFC 3659 7.8).
std::string format_mlst_feature(unsigned enabled);

/// Parses OPTS MLST's fact list "type;size;" (case-insensitive). Unknown facts
/// are ignored (RFC 3659 7.9); an empty list turns every fact off. A list with
/// a space or a control character in it is not a fact list: nullopt (501).
std::optional<unsigned> parse_mlst_opts(std::string_view facts);

/// The text of the OPTS MLST reply: "MLST OPTS type;size;" (the facts now on).
std::string format_mlst_opts_reply(unsigned enabled);

/// One MLSD/MLST entry "fact=value;fact=value; name" (no CRLF; the caller adds
/// it for MLSD and the leading space for MLST). `type_override` replaces the
/// type value ("cdir", "pdir") when not empty. `perm` is the perm fact's value
/// (RFC 3659 7.5.5: a c d e f l m p r w letters). Facts in canonical order:
/// type size modify perm unique unix.mode unix.uid unix.gid; size only for
/// files; unix.mode as octal digits ("0644"); unique "<dev hex>g<ino hex>".
std::string format_mlsx_entry(const FileInfo& info, std::string_view name, unsigned facts,
                              std::string_view perm, std::string_view type_override = {});

/// "YYYYMMDDHHMMSS" in UTC (RFC 3659 2.3).
std::string format_time_val(std::time_t time);
/// Parses "YYYYMMDDHHMMSS" with an optional ".fraction" (ignored), as UTC.
/// std::nullopt for anything else, including out-of-range fields.
std::optional<std::time_t> parse_time_val(std::string_view text);

/// LIST/NLST arguments: leading "-options" words ("-a", "-l", "-la", "-al",
/// "-A", ...) stripped; `all` when an option contained 'a' or 'A'.
struct ListArguments {
  bool all = false;
  std::string path;  ///< what remains (may be empty: the current directory)
};
ListArguments parse_list_arguments(std::string_view argument);

/// The directory part of a path as a client wrote it, up to and including its
/// last '/' ("sub/*.txt": "sub/"; "a.txt": ""): what NLST and STOU put before
/// a name so the client can use it from where it is.
std::string_view directory_part(std::string_view written);

/// Whether `text` holds glob characters (*, ?, [).
bool has_glob(std::string_view text);
/// fnmatch(3)-style match of one name against a pattern (no '/' inside).
bool glob_match(std::string_view pattern, std::string_view name);

}  // namespace cppftpd::protocol
