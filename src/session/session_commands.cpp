// File-system and informational commands: CWD, CDUP, PWD, MKD, RMD, DELE,
// RNFR, RNTO (RFC 959 4.1), SIZE, MDTM (RFC 3659 4, 3), MFMT
// (draft-somers-ftp-mfxx), SITE, SYST, NOOP, HELP, FEAT (RFC 2389), OPTS.

#include "session/session.hpp"

#include "protocol/line_reader.hpp"

#include "protocol/ascii.hpp"
#include "protocol/limits.hpp"
#include "protocol/listing.hpp"
#include "protocol/reply.hpp"

#include <spdlog/spdlog.h>
#include <charconv>

namespace cppftpd {

namespace {

// "WORD rest" -> {"WORD", "rest"}.
std::pair<std::string_view, std::string_view> split_word(std::string_view text) {
  const auto space = text.find(' ');
  if (space == std::string_view::npos) return {text, {}};
  return {text.substr(0, space), text.substr(space + 1)};
}

}  // namespace

asio::awaitable<void> Session::cmd_cwd(const Request& request) {
  // RFC 959 4.1.1. Without an argument, back to the home ("/").
  // A directory the user cannot search is not entered (550, as chdir(2)
  // refuses it): every path inside it would fail.
  const VirtualPath target = request.path_given ? request.path : VirtualPath();
  if (const Status entered = tree_->enter_directory(target)) {
    if (entered == std::errc::not_a_directory) {
      reply(550, "Not a directory.");
    } else {
      reply_error(entered);
    }
    co_return;
  }
  cwd_ = target;
  reply(250, fmt::format("{} is the current directory.", protocol::quote_path(cwd_.str())));
}

asio::awaitable<void> Session::cmd_cdup(const Request& request) {
  const VirtualPath target = cwd_.parent();
  if (!allowed('e', target)) {
    reply(550, "Not enough privileges.");
    co_return;
  }
  Request cwd_request{request.spec, "..", target, true, false, {}};
  co_await cmd_cwd(cwd_request);
}

asio::awaitable<void> Session::cmd_pwd(const Request&) {
  reply(257, fmt::format("{} is the current directory.", protocol::quote_path(cwd_.str())));
  co_return;
}

asio::awaitable<void> Session::cmd_mkd(const Request& request) {
  if (auto error = tree_->make_directory(request.path)) {
    reply_error(error);
    co_return;
  }
  log_info(fmt::format("MKD {}", request.path.str()));
  reply(257, fmt::format("{} directory created.", protocol::quote_path(request.path.str())));
}

asio::awaitable<void> Session::cmd_rmd(const Request& request) {
  if (request.path.is_root()) {
    reply(550, "Can't remove root directory.");
    co_return;
  }
  if (auto error = tree_->remove_directory(request.path)) {
    reply_error(error);
    co_return;
  }
  log_info(fmt::format("RMD {}", request.path.str()));
  reply(250, "Directory removed.");
}

asio::awaitable<void> Session::cmd_dele(const Request& request) {
  if (auto error = tree_->remove_file(request.path)) {
    reply_error(error);
    co_return;
  }
  log_info(fmt::format("DELE {}", request.path.str()));
  reply(250, "File removed.");
}

asio::awaitable<void> Session::cmd_rnfr(const Request& request) {
  if (request.path.is_root()) {
    reply(550, "Can't rename home directory.");
    co_return;
  }
  auto info = tree_->lstat(request.path);
  if (!info) {
    reply_error(info.error());
    co_return;
  }
  rename_from_ = std::make_unique<VirtualPath>(request.path);
  reply(350, "Ready for destination name.");
}

asio::awaitable<void> Session::cmd_rnto(const Request& request) {
  if (!rename_source_) {
    reply(503, "Bad sequence of commands: use RNFR first.");
    co_return;
  }
  if (request.path.is_root()) {
    reply(550, "Can't overwrite home directory.");
    co_return;
  }
  if (auto error = tree_->rename(*rename_source_, request.path)) {
    reply_error(error);
    co_return;
  }
  log_info(fmt::format("RNFR {} RNTO {}", rename_source_->str(), request.path.str()));
  reply(250, "Renaming ok.");
}

asio::awaitable<void> Session::cmd_size(const Request& request) {
  auto info = tree_->stat(request.path);
  if (!info) {
    reply_error(info.error());
    co_return;
  }
  if (info->type != FileType::regular) {
    reply(550, fmt::format("{} is not retrievable.", request.path.str()));
    co_return;
  }
  if (!ascii_) {
    reply(213, std::to_string(info->size));
    co_return;
  }
  // RFC 3659 4: the size is what RETR would send in the current TYPE, so in
  // TYPE A the converted line ends count.
  const auto size = ascii_size(request.path, *info);
  if (!size) {
    if (size.error() == std::errc::file_too_large) {
      reply(550, "SIZE not allowed in ASCII mode for files this large; use TYPE I.");
    } else {
      reply_error(size.error());
    }
    co_return;
  }
  reply(213, std::to_string(*size));
}

Result<std::uint64_t> Session::ascii_size(const VirtualPath& path, const FileInfo& info) {
  // Reading the file is the only way to count its line ends: done up to a
  // bound (limits::kMaxAsciiSizeScan), refused beyond it (file_too_large).
  if (info.size > limits::kMaxAsciiSizeScan) return std::errc::file_too_large;
  auto reader = tree_->open_read(path, 0);
  if (!reader) return reader.error();
  protocol::AsciiEncoder encoder;
  std::vector<char> chunk(64 * 1024);
  std::string converted;
  std::uint64_t total = 0;
  for (;;) {
    auto got = (*reader)->read(chunk);
    if (!got) return got.error();
    if (*got == 0) return total;
    converted.clear();
    encoder.encode({chunk.data(), *got}, converted);
    total += converted.size();
  }
}

asio::awaitable<void> Session::cmd_mdtm(const Request& request) {
  auto info = tree_->stat(request.path);
  if (!info) {
    reply_error(info.error());
    co_return;
  }
  if (info->type != FileType::regular) {
    reply(550, fmt::format("{} is not retrievable.", request.path.str()));
    co_return;
  }
  reply(213, protocol::format_time_val(info->mtime));  // RFC 3659 3.2, always UTC
}

asio::awaitable<void> Session::cmd_mfmt(const Request& request) {
  // draft-somers-ftp-mfxx 3: "MFMT <time-val> <pathname>" -> "213 Modify=<time-val>; <path>".
  const auto [time_text, path_text] = split_word(request.argument);
  const auto mtime = protocol::parse_time_val(time_text);
  if (!mtime || path_text.empty() || path_text.find('\0') != std::string_view::npos) {
    reply(501, "Syntax error: MFMT <SP> YYYYMMDDHHMMSS <SP> path.");
    co_return;
  }
  const VirtualPath path = resolve(path_text);
  if (!allowed('T', path)) {
    reply(550, "Not enough privileges.");
    co_return;
  }
  auto info = tree_->stat(path);
  if (!info) {
    reply_error(info.error());
    co_return;
  }
  if (auto error = tree_->set_mtime(path, *mtime)) {
    reply_error(error);
    co_return;
  }
  // mfxx 3.1: the time-val "MUST be the modified last modification time of
  // the object", which the file system may have clamped: read back. The
  // pathname as the client wrote it, as in the draft's example (3.4).
  const auto stored = tree_->stat(path);
  const std::time_t now_set = stored ? stored->mtime : *mtime;
  reply(213, fmt::format("Modify={}; {}", protocol::format_time_val(now_set), path_text));
}

asio::awaitable<void> Session::cmd_site(const Request& request) {
  const auto [name, argument] = split_word(request.argument);
  const SiteCommandSpec* site = find_site_command(protocol::upper_ascii(name));
  if (site == nullptr) {
    reply(500, fmt::format("Unknown SITE command \"{}\".", name));
    co_return;
  }
  co_await (this->*(site->handler))(request, argument);
}

asio::awaitable<void> Session::site_chmod(const Request&, std::string_view argument) {
  const auto [mode_text, path_text] = split_word(argument);
  unsigned mode = 0;
  const auto [end, error] =
      std::from_chars(mode_text.data(), mode_text.data() + mode_text.size(), mode, 8);
  if (error != std::errc() || end != mode_text.data() + mode_text.size() || mode_text.empty() ||
      mode_text.size() > 4 || mode > 07777 || path_text.empty() ||
      path_text.find('\0') != std::string_view::npos) {
    reply(501, "Syntax error: SITE CHMOD <SP> octal-mode <SP> path.");
    co_return;
  }
  const VirtualPath path = resolve(path_text);
  if (!allowed('M', path)) {
    reply(550, "Not enough privileges.");
    co_return;
  }
  if (auto status = tree_->set_mode(path, mode)) {
    reply_error(status);
    co_return;
  }
  reply(200, "SITE CHMOD successful.");
}

asio::awaitable<void> Session::site_help(const Request&, std::string_view argument) {
  if (!argument.empty()) {
    const SiteCommandSpec* site = find_site_command(protocol::upper_ascii(argument));
    if (site == nullptr) {
      reply(501, "Unrecognized SITE command.");
    } else {
      reply(214, site->help);
    }
    co_return;
  }
  std::vector<std::string> body;
  for (const auto& row : site_command_table()) body.emplace_back(row.name);
  reply_lines(214, "The following SITE commands are recognized:", body,
              "Help SITE command successful.");
}

asio::awaitable<void> Session::cmd_syst(const Request&) {
  reply(215, "UNIX Type: L8");  // RFC 959 4.1.3, with the byte size as L8
  co_return;
}

asio::awaitable<void> Session::cmd_noop(const Request&) {
  reply(200, "NOOP ok.");
  co_return;
}

asio::awaitable<void> Session::cmd_help(const Request& request) {
  if (!request.argument.empty()) {
    const CommandSpec* spec = find_command(protocol::upper_ascii(request.argument));
    if (spec == nullptr) {
      reply(501, "Unrecognized command.");
    } else {
      reply(214, spec->help);
    }
    co_return;
  }
  reply_lines(214, "The following commands are recognized:", help_lines(services_.tls != nullptr),
              "Help command successful.");
}

asio::awaitable<void> Session::cmd_feat(const Request&) {
  // RFC 2389 3.2: "211-" first line, one feature per line after a space, "211 End".
  reply_lines(211, "Features supported:", feature_lines(mlst_facts_, services_.tls != nullptr),
              "End");
  co_return;
}

asio::awaitable<void> Session::cmd_opts(const Request& request) {
  const auto [name, value] = split_word(request.argument);
  const std::string command = protocol::upper_ascii(name);
  if (command == "UTF8") {
    // RFC 2640: paths are always UTF-8 here; there is nothing to switch off.
    const std::string setting = protocol::upper_ascii(value);
    if (setting.empty() || setting == "ON") {
      reply(200, "Always in UTF8 mode.");
    } else {
      reply(504, "UTF8 cannot be turned off.");
    }
  } else if (command == "MLST") {
    // RFC 3659 7.9: choose the facts; the reply names those now on.
    auto facts = protocol::parse_mlst_opts(value);
    if (!facts) {
      reply(501, "Invalid MLST options.");
      co_return;
    }
    mlst_facts_ = *facts;
    reply(200, protocol::format_mlst_opts_reply(mlst_facts_));
  } else {
    reply(501, fmt::format("Invalid OPTS argument \"{}\".", name));
  }
  co_return;
}

}  // namespace cppftpd
