#include "session/command_table.hpp"

#include "protocol/listing.hpp"
#include "session/session.hpp"

#include <algorithm>
#include <array>

namespace cppftpd {

namespace {

constexpr auto kAny = Access::anyone;
constexpr auto kUser = Access::logged_in;
constexpr std::uint8_t kNone = 0;
constexpr std::uint8_t kTransfer = kDuringTransfer;
constexpr std::uint8_t kRest = kKeepsRest;
constexpr std::uint8_t kTls = kTlsOnly;
constexpr std::uint8_t kCreds = kCredentials;
constexpr std::uint8_t kXfer = kStartsTransfer;

}  // namespace

// Sorted by verb: find_command() does a binary search (checked by a unit test).
// Reply codes and syntax are RFC 959 4.1 and 5.3 unless a row says otherwise.
std::span<const CommandSpec> Session::command_table() {
  using S = Session;
  static constexpr std::array<CommandSpec, 52> kTable{{
      {"ABOR", &S::cmd_abor, kUser, Arg::none, PathArg::none, 0, kTransfer,
       "Syntax: ABOR (abort transfer).", ""},
      {"ACCT", &S::cmd_acct, kAny, Arg::required, PathArg::none, 0, kNone,
       "Syntax: ACCT <SP> account-information (not needed here).", ""},
      {"ALLO", &S::cmd_allo, kUser, Arg::required, PathArg::none, 0, kRest,
       "Syntax: ALLO <SP> bytes (no storage allocation needed).", ""},
      {"APPE", &S::cmd_appe, kUser, Arg::required, PathArg::argument, 'a', kXfer,
       "Syntax: APPE <SP> file-name (append data to file).", ""},
      // RFC 4217 4 and RFC 2228 3: AUTH TLS (TLS-C, SSL and TLS-P too).
      {"AUTH", &S::cmd_auth, kAny, Arg::required, PathArg::none, 0, kTls,
       "Syntax: AUTH <SP> TLS (set up secure control channel).", "AUTH TLS"},
      // RFC 4217 5: clearing the control channel is refused (534).
      {"CCC", &S::cmd_ccc, kAny, Arg::none, PathArg::none, 0, kTls,
       "Syntax: CCC (clear command channel; refused).", ""},
      {"CDUP", &S::cmd_cdup, kUser, Arg::none, PathArg::none, 0, kNone,
       "Syntax: CDUP (go to parent directory).", ""},
      // RFC 3659 6: TVFS, the "/"-separated virtual tree every path here uses.
      {"CWD", &S::cmd_cwd, kUser, Arg::optional, PathArg::argument, 'e', kNone,
       "Syntax: CWD [<SP> dir-name] (change working directory).", "TVFS"},
      {"DELE", &S::cmd_dele, kUser, Arg::required, PathArg::argument, 'd', kNone,
       "Syntax: DELE <SP> file-name (delete file).", ""},
      {"EPRT", &S::cmd_eprt, kUser, Arg::required, PathArg::none, 0, kRest,
       "Syntax: EPRT <SP> |proto|ip|port| (extended active mode).", "EPRT"},
      {"EPSV", &S::cmd_epsv, kUser, Arg::optional, PathArg::none, 0, kRest,
       "Syntax: EPSV [<SP> proto/\"ALL\"] (extended passive mode).", "EPSV"},
      {"FEAT", &S::cmd_feat, kAny, Arg::none, PathArg::none, 0, kRest,
       "Syntax: FEAT (list all new features supported).", ""},
      {"HELP", &S::cmd_help, kAny, Arg::optional, PathArg::none, 0, kRest,
       "Syntax: HELP [<SP> cmd] (show help).", ""},
      // RFC 7151: the virtual host, before login; this server has one.
      {"HOST", &S::cmd_host, kAny, Arg::required, PathArg::none, 0, kNone,
       "Syntax: HOST <SP> hostname (virtual host to log in to; before USER).", "HOST"},
      {"LIST", &S::cmd_list, kUser, Arg::optional, PathArg::listing, 'l', kXfer,
       "Syntax: LIST [<SP> path] (list files).", ""},
      {"MDTM", &S::cmd_mdtm, kUser, Arg::required, PathArg::argument, 'l', kRest,
       "Syntax: MDTM [<SP> path] (file last modification time).", "MDTM"},
      {"MFMT", &S::cmd_mfmt, kUser, Arg::required, PathArg::none, 0, kNone,
       "Syntax: MFMT <SP> timeval <SP> path (file update last modification time).", "MFMT"},
      {"MKD", &S::cmd_mkd, kUser, Arg::required, PathArg::argument, 'm', kNone,
       "Syntax: MKD <SP> path (create directory).", ""},
      {"MLSD", &S::cmd_mlsd, kUser, Arg::optional, PathArg::argument, 'l', kXfer,
       "Syntax: MLSD [<SP> path] (list directory).", ""},
      // The MLST feature line is built from the session's fact set.
      {"MLST", &S::cmd_mlst, kUser, Arg::optional, PathArg::argument, 'l', kNone,
       "Syntax: MLST [<SP> path] (show information about path).", "MLST"},
      {"MODE", &S::cmd_mode, kUser, Arg::required, PathArg::none, 0, kRest,
       "Syntax: MODE <SP> mode (noop; set data transfer mode).", ""},
      {"NLST", &S::cmd_nlst, kUser, Arg::optional, PathArg::listing, 'l', kXfer,
       "Syntax: NLST [<SP> path] (list path in a compact form).", ""},
      {"NOOP", &S::cmd_noop, kAny, Arg::none, PathArg::none, 0, kTransfer | kRest,
       "Syntax: NOOP (just do nothing).", ""},
      // RFC 2640 3.2: paths are UTF-8; "OPTS UTF8 ON" is accepted.
      {"OPTS", &S::cmd_opts, kAny, Arg::required, PathArg::none, 0, kRest,
       "Syntax: OPTS <SP> cmd [<SP> option] (set option for command).", "UTF8"},
      {"PASS", &S::cmd_pass, kAny, Arg::optional, PathArg::none, 0, kCreds,
       "Syntax: PASS [<SP> password] (set user password).", ""},
      {"PASV", &S::cmd_pasv, kUser, Arg::none, PathArg::none, 0, kRest,
       "Syntax: PASV (open passive data connection).", ""},
      // RFC 4217 9 and RFC 2228 3: PBSZ 0, then PROT C or P.
      {"PBSZ", &S::cmd_pbsz, kAny, Arg::required, PathArg::none, 0, kTls | kRest,
       "Syntax: PBSZ <SP> 0 (protection buffer size).", "PBSZ"},
      {"PORT", &S::cmd_port, kUser, Arg::required, PathArg::none, 0, kRest,
       "Syntax: PORT <sp> h,h,h,h,p,p (open active data connection).", ""},
      {"PROT", &S::cmd_prot, kAny, Arg::required, PathArg::none, 0, kTls | kRest,
       "Syntax: PROT <SP> [C | P] (data channel protection level).", "PROT"},
      {"PWD", &S::cmd_pwd, kUser, Arg::none, PathArg::none, 0, kRest,
       "Syntax: PWD (get current working directory).", ""},
      {"QUIT", &S::cmd_quit, kAny, Arg::none, PathArg::none, 0, kTransfer,
       "Syntax: QUIT (quit current session).", ""},
      {"REIN", &S::cmd_rein, kAny, Arg::none, PathArg::none, 0, kNone,
       "Syntax: REIN (flush account).", ""},
      // RFC 3659 5: restart of STREAM mode transfers.
      {"REST", &S::cmd_rest, kUser, Arg::required, PathArg::none, 0, kRest,
       "Syntax: REST <SP> offset (set file offset).", "REST STREAM"},
      {"RETR", &S::cmd_retr, kUser, Arg::required, PathArg::argument, 'r', kXfer,
       "Syntax: RETR <SP> file-name (retrieve a file).", ""},
      {"RMD", &S::cmd_rmd, kUser, Arg::required, PathArg::argument, 'd', kNone,
       "Syntax: RMD <SP> dir-name (remove directory).", ""},
      {"RNFR", &S::cmd_rnfr, kUser, Arg::required, PathArg::argument, 'f', kNone,
       "Syntax: RNFR <SP> file-name (rename (source name)).", ""},
      {"RNTO", &S::cmd_rnto, kUser, Arg::required, PathArg::argument, 'f', kNone,
       "Syntax: RNTO <SP> file-name (rename (destination name)).", ""},
      {"SITE", &S::cmd_site, kUser, Arg::required, PathArg::none, 0, kNone,
       "Syntax: SITE <SP> site-command (execute SITE command).", ""},
      {"SIZE", &S::cmd_size, kUser, Arg::required, PathArg::argument, 'l', kRest,
       "Syntax: SIZE <SP> file-name (get file size).", "SIZE"},
      {"STAT", &S::cmd_stat, kAny, Arg::optional, PathArg::none, 0, kTransfer | kRest,
       "Syntax: STAT [<SP> path name] (server stats [list files]).", ""},
      {"STOR", &S::cmd_stor, kUser, Arg::required, PathArg::argument, 'w', kXfer,
       "Syntax: STOR <SP> file-name (store a file).", ""},
      {"STOU", &S::cmd_stou, kUser, Arg::optional, PathArg::none, 0, kXfer,
       "Syntax: STOU [<SP> name] (store a file with a unique name).", ""},
      {"STRU", &S::cmd_stru, kUser, Arg::required, PathArg::none, 0, kRest,
       "Syntax: STRU <SP> type (noop; set file structure).", ""},
      {"SYST", &S::cmd_syst, kAny, Arg::none, PathArg::none, 0, kRest,
       "Syntax: SYST (get operating system type).", ""},
      {"TYPE", &S::cmd_type, kUser, Arg::required, PathArg::none, 0, kRest,
       "Syntax: TYPE <SP> [A | I] (set transfer type).", ""},
      {"USER", &S::cmd_user, kAny, Arg::required, PathArg::none, 0, kCreds,
       "Syntax: USER <SP> user-name (set username).", ""},
      // RFC 775: the X-forms of the directory commands.
      {"XCUP", &S::cmd_cdup, kUser, Arg::none, PathArg::none, 0, kNone,
       "Syntax: XCUP (obsolete; go to parent directory).", ""},
      {"XCWD", &S::cmd_cwd, kUser, Arg::optional, PathArg::argument, 'e', kNone,
       "Syntax: XCWD [<SP> dir-name] (obsolete; change directory).", ""},
      {"XMKD", &S::cmd_mkd, kUser, Arg::required, PathArg::argument, 'm', kNone,
       "Syntax: XMKD <SP> dir-name (obsolete; create directory).", ""},
      {"XPWD", &S::cmd_pwd, kUser, Arg::none, PathArg::none, 0, kRest,
       "Syntax: XPWD (obsolete; get current dir).", ""},
      {"XRMD", &S::cmd_rmd, kUser, Arg::required, PathArg::argument, 'd', kNone,
       "Syntax: XRMD <SP> dir-name (obsolete; remove directory).", ""},
      {"XSTA", &S::cmd_stat, kAny, Arg::optional, PathArg::none, 0, kTransfer | kRest,
       "Syntax: XSTA [<SP> path name] (obsolete; server stats).", ""},
  }};
  return kTable;
}

std::span<const SiteCommandSpec> Session::site_command_table() {
  using S = Session;
  static constexpr std::array<SiteCommandSpec, 2> kSite{{
      {"CHMOD", &S::site_chmod, "Syntax: SITE CHMOD <SP> mode <SP> path (change file mode)."},
      {"HELP", &S::site_help, "Syntax: SITE HELP [<SP> cmd] (show SITE command help)."},
  }};
  return kSite;
}

const CommandSpec* find_command(std::string_view verb) {
  const auto table = Session::command_table();
  const auto it =
      std::lower_bound(table.begin(), table.end(), verb,
                       [](const CommandSpec& row, std::string_view v) { return row.verb < v; });
  return it != table.end() && it->verb == verb ? &*it : nullptr;
}

const SiteCommandSpec* find_site_command(std::string_view name) {
  const auto table = Session::site_command_table();
  const auto it =
      std::lower_bound(table.begin(), table.end(), name,
                       [](const SiteCommandSpec& row, std::string_view v) { return row.name < v; });
  return it != table.end() && it->name == name ? &*it : nullptr;
}

std::vector<std::string> feature_lines(unsigned mlst_facts, bool tls) {
  std::vector<std::string> lines;
  for (const auto& row : Session::command_table()) {
    if (row.feat.empty() || ((row.flags & kTlsOnly) != 0 && !tls)) continue;
    lines.emplace_back(row.feat == "MLST" ? protocol::format_mlst_feature(mlst_facts)
                                          : std::string(row.feat));
  }
  std::sort(lines.begin(), lines.end());
  lines.erase(std::unique(lines.begin(), lines.end()), lines.end());
  return lines;
}

std::vector<std::string> help_lines(bool tls) {
  std::vector<std::string> lines;
  std::string line;
  int in_line = 0;
  for (const auto& row : Session::command_table()) {
    if (!tls && (row.flags & kTlsOnly) != 0) continue;
    line += row.verb;
    line.append(8 - row.verb.size(), ' ');
    if (++in_line == 8) {
      lines.push_back(std::move(line));
      line.clear();
      in_line = 0;
    }
  }
  if (!line.empty()) lines.push_back(std::move(line));
  for (auto& l : lines) {
    while (!l.empty() && l.back() == ' ') l.pop_back();
  }
  return lines;
}

}  // namespace cppftpd
