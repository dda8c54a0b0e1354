#pragma once
// The command table (DESIGN.md principle 2): one row per verb says who may
// use it, what argument it takes, which permission letter guards its path,
// how HELP describes it and what FEAT advertises for it. Login, argument and
// permission checks happen once, in Session::dispatch; FEAT and HELP are
// generated from these rows, so they list exactly what is implemented.

#include <cppftpd/virtual_path.hpp>

#include <asio/awaitable.hpp>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace cppftpd {

class Session;
struct CommandSpec;

/// A command as the handler receives it, checks done.
struct Request {
  const CommandSpec& spec;
  std::string argument;     ///< verbatim text after the verb
  VirtualPath path;         ///< resolved path argument (PathArg::argument/listing)
  bool path_given = false;  ///< whether the client named a path (else the cwd)
  bool list_all = false;    ///< LIST/NLST "-a"
  std::string written;      ///< LIST/NLST/STAT: the path as the client wrote it, after the options
};

enum class Access : std::uint8_t {
  anyone,     ///< before login too (USER, PASS, QUIT, FEAT, ...)
  logged_in,  ///< 530 before login
};

enum class Arg : std::uint8_t {
  none,      ///< 501 if an argument is given
  required,  ///< 501 if none is given
  optional,
};

enum class PathArg : std::uint8_t {
  none,      ///< the argument is not a path (or the handler parses it)
  argument,  ///< the whole argument is a path; absent: the working directory
  listing,   ///< LIST/NLST: "-la"-style options, then an optional path
};

/// Flags of a row.
enum CommandFlags : std::uint8_t {
  kDuringTransfer = 1 << 0,  ///< answered at once while a transfer runs
  kKeepsRest = 1 << 1,       ///< does not cancel a pending REST
  kTlsOnly = 1 << 2,         ///< FTPS: 502 (and not in FEAT) unless TLS is configured
  kCredentials = 1 << 3,     ///< carries credentials: 530 in the clear when TLS is required
  kStartsTransfer = 1 << 4,  ///< opens a data transfer (RETR, STOR, LIST, ...)
};

struct CommandSpec {
  using Handler = asio::awaitable<void> (Session::*)(const Request&);
  std::string_view verb;
  Handler handler;
  Access access;
  Arg arg;
  PathArg path;
  char perm;  ///< permission letter checked on `path`, or 0
  std::uint8_t flags;
  std::string_view help;  ///< "Syntax: ..." text of HELP <verb>
  std::string_view feat;  ///< FEAT line this command adds, or empty
};

struct SiteCommandSpec {
  using Handler = asio::awaitable<void> (Session::*)(const Request&, std::string_view);
  std::string_view name;
  Handler handler;
  std::string_view help;
};

/// The row for `verb` (upper-case), or nullptr.
const CommandSpec* find_command(std::string_view verb);
/// The SITE row for `name` (upper-case), or nullptr.
const SiteCommandSpec* find_site_command(std::string_view name);

/// FEAT body lines (RFC 2389 3.2), sorted, one per feature, from the table.
/// `mlst_facts` is the session's current MLST fact set; `tls`: whether FTPS
/// is configured (RFC 4217 6: then AUTH TLS, PBSZ and PROT are listed).
std::vector<std::string> feature_lines(unsigned mlst_facts, bool tls);
/// HELP body: every verb of the table, eight to a line; the FTPS ones (AUTH,
/// PBSZ, PROT, CCC) only when `tls` (without it they answer 502).
std::vector<std::string> help_lines(bool tls);

}  // namespace cppftpd
