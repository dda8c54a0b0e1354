// cppftpd: flags -> ServerConfig -> Server::run(). Nothing else.
// The flags are pyftpdlib's (python -m pyftpdlib), so nothing new to learn.

#include <cppftpd/cppftpd.hpp>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>

namespace {

constexpr std::string_view kAllPerms = "elradfmwMT";

// "FROM-TO" -> PortRange, or an error message.
std::string parse_range(const std::string& text, cppftpd::PortRange& range) {
  const auto dash = text.find('-');
  if (dash == std::string::npos) return "expected FROM-TO, e.g. 60000-65535";
  auto number = [](std::string_view s, unsigned& out) {
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && end == s.data() + s.size() && out >= 1 && out <= 65535;
  };
  unsigned first = 0;
  unsigned last = 0;
  if (!number(std::string_view(text).substr(0, dash), first) ||
      !number(std::string_view(text).substr(dash + 1), last) || first > last) {
    return "expected FROM-TO with 1 <= FROM <= TO <= 65535";
  }
  range = {static_cast<std::uint16_t>(first), static_cast<std::uint16_t>(last)};
  return {};
}

// Each session may hold a control socket, a data socket, a passive listener
// and a file: the usual soft limit of 1024 descriptors would cap --max-cons
// far below its default. Raise the soft limit to the hard one.
void raise_descriptor_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    (void)::setrlimit(RLIMIT_NOFILE, &limit);
  }
}

std::chrono::seconds timeout_or_never(unsigned seconds) {
  // pyftpdlib: 0 disables the timeout.
  return seconds == 0 ? std::chrono::hours(24 * 365 * 10) : std::chrono::seconds(seconds);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"cppftpd: share a directory over FTP (anonymous, read-only, port 2121 by default)",
               "cppftpd"};
  std::string interface;
  unsigned port = 2121;
  bool write = false;
  std::string directory;
  std::string nat_address;
  std::string range_text;
  bool debug = false;
  std::string username;
  std::string password;
  unsigned timeout = 300;
  std::string banner = "cppftpd " CPPFTPD_VERSION " ready.";
  bool permit_foreign = false;
  bool permit_privileged = false;
  std::string encoding = "utf8";
  bool use_localtime = false;
  bool disable_sendfile = false;
  std::size_t max_cons = 512;
  std::size_t max_cons_per_ip = 0;
  unsigned max_login_attempts = 3;
  bool tls = false;
  std::string certfile;
  std::string keyfile;
  bool tls_control_required = false;
  bool tls_data_required = false;
  std::optional<unsigned> tls_implicit_port;
  bool tls_no_session_reuse = false;
  std::string tls_min_version = "1.2";
  // Security and robustness (docs/security.md).
  std::string run_as;
  bool allow_root = false;
  unsigned ban_after = 10;
  unsigned ban_time = 900;
  unsigned login_timeout = 60;
  bool delete_incomplete = false;

  app.set_version_flag("-v,--version", "cppftpd " CPPFTPD_VERSION);
  app.add_option("-i,--interface", interface,
                 "address to listen on (default: all interfaces, IPv6 and IPv4)");
  app.add_option("-p,--port", port, "port to listen on (default 2121; 0 picks a free one)")
      ->check(CLI::Range(0, 65535));
  app.add_flag("-w,--write", write, "grant write access (anonymous included; default: read-only)");
  app.add_option("-d,--directory", directory, "directory to share (default: the current one)");
  app.add_option("-n,--nat-address", nat_address, "the NAT address to use for passive connections");
  app.add_option("-r,--range", range_text,
                 "the range of TCP ports to use for passive connections (e.g. -r 8000-9000)");
  app.add_flag("-D,--debug", debug, "log every command and reply (passwords masked)");
  app.add_option("-u,--username", username, "log in as this user instead of anonymous");
  app.add_option("-P,--password", password, "the password of --username");
  app.add_option("--timeout", timeout, "idle timeout in seconds (default 300; 0 disables)");
  app.add_option("--banner", banner, "the text of the 220 greeting");
  app.add_flag("--permit-foreign-addresses", permit_foreign,
               "allow PORT/EPRT to another host than the client's (FXP)");
  app.add_flag("--permit-privileged-ports", permit_privileged,
               "allow PORT/EPRT to ports below 1024");
  app.add_option("--encoding", encoding, "encoding of file names (only utf8 is supported)");
  app.add_flag("--use-localtime", use_localtime, "LIST times in local time instead of UTC");
  app.add_flag("--disable-sendfile", disable_sendfile,
               "copy downloads through user space instead of sendfile(2)");
  app.add_option("--max-cons", max_cons, "most connections at once (default 512)")
      ->check(CLI::Range(std::size_t{1}, std::size_t{1} << 20));
  app.add_option("--max-cons-per-ip", max_cons_per_ip,
                 "most connections from one address (default 0: no limit)");
  app.add_option("--max-login-attempts", max_login_attempts,
                 "failed logins before disconnecting (default 3)")
      ->check(CLI::Range(1U, 1000U));
  app.add_flag("--tls", tls,
               "FTPS: offer AUTH TLS (a self-signed certificate is generated unless --certfile)");
  app.add_option("--certfile", certfile, "TLS certificate file, PEM (with --tls)");
  app.add_option("--keyfile", keyfile,
                 "TLS private key file, PEM (with --tls; default: in the certificate file)");
  app.add_flag("--tls-control-required", tls_control_required,
               "refuse USER/PASS before AUTH TLS (with --tls)");
  app.add_flag("--tls-data-required", tls_data_required,
               "refuse transfers without PROT P (with --tls)");
  app.add_option("--tls-implicit-port", tls_implicit_port,
                 "also listen for implicit FTPS on this port (990 by convention; with --tls)")
      ->check(CLI::Range(0, 65535));
  app.add_flag("--tls-no-session-reuse", tls_no_session_reuse,
               "accept PROT P data connections that do not resume the control connection's TLS "
               "session (for clients that cannot; weaker)");
  app.add_option("--tls-min-version", tls_min_version, "lowest TLS version accepted (default 1.2)")
      ->check(CLI::IsMember({"1.2", "1.3"}));

  // --- Security and robustness (docs/security.md) ---
  app.add_option("--run-as", run_as,
                 "started as root: bind the ports, then switch to this user before serving");
  app.add_flag("--allow-root", allow_root, "serve as root (refused without --run-as otherwise)");
  app.add_option("--ban-after", ban_after,
                 "failed logins from one address within 10 minutes before it is banned "
                 "(default 10; 0: no ban)");
  app.add_option("--ban-time", ban_time, "seconds a banned address is refused (default 900)")
      ->check(CLI::Range(1U, 86400U * 365));
  app.add_option("--login-timeout", login_timeout,
                 "seconds from connect to a successful login (default 60; 0 disables)");
  app.add_flag("--delete-incomplete", delete_incomplete,
               "delete uploads that did not complete (default: keep them, for REST resume)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help/--version exit 0; a bad flag or value exits 2, as pyftpdlib's
    // argparse does (CLI11's own codes are 100+).
    return app.exit(e) == 0 ? 0 : 2;
  }

  auto fail = [](const std::string& message) {
    std::fprintf(stderr, "cppftpd: error: %s\n", message.c_str());
    return 1;
  };

  if (!tls && (!certfile.empty() || !keyfile.empty() || tls_control_required || tls_data_required ||
               tls_implicit_port || tls_no_session_reuse)) {
    return fail("--certfile, --keyfile and the --tls-* options need --tls");
  }
  if (!keyfile.empty() && certfile.empty()) return fail("--keyfile needs --certfile");
  if (!username.empty() && password.empty()) {
    return fail("if username (-u) is supplied, password (-P) is required");
  }
  if (username.empty() && !password.empty()) {
    return fail("if password (-P) is supplied, username (-u) is required");
  }
  std::string lowered = encoding;
  std::transform(lowered.begin(), lowered.end(), lowered.begin(), ::tolower);
  if (lowered != "utf8" && lowered != "utf-8") {
    return fail("--encoding: only utf8 is supported (RFC 2640), not '" + encoding + "'");
  }

  cppftpd::ServerConfig config;
  config.listen = {interface, static_cast<std::uint16_t>(port)};
  config.nat_address = nat_address;
  if (!range_text.empty()) {
    if (auto error = parse_range(range_text, config.passive_ports); !error.empty()) {
      return fail("--range: " + error);
    }
  }
  config.permit_foreign_addresses = permit_foreign;
  config.permit_privileged_ports = permit_privileged;
  config.idle_timeout = timeout_or_never(timeout);
  config.banner = banner;
  config.use_localtime = use_localtime;
  config.use_sendfile = !disable_sendfile;
  config.max_connections = max_cons;
  config.max_connections_per_ip = max_cons_per_ip;
  config.max_login_attempts = max_login_attempts;
  config.log_commands = debug;
  config.tls.enabled = tls;
  config.tls.certificate_file = certfile;
  config.tls.private_key_file = keyfile;
  config.tls.control_required = tls_control_required;
  config.tls.data_required = tls_data_required;
  config.tls.require_session_reuse = !tls_no_session_reuse;
  config.tls.min_version = tls_min_version;
  if (tls_implicit_port) config.tls.implicit_port = static_cast<std::uint16_t>(*tls_implicit_port);
  config.run_as_user = run_as;
  config.ban_after_failures = ban_after;
  config.ban_duration = std::chrono::seconds(ban_time);
  config.login_timeout = timeout_or_never(login_timeout);
  config.delete_incomplete_uploads = delete_incomplete;

  std::error_code ec;
  const std::string home =
      std::filesystem::canonical(directory.empty() ? std::string(".") : directory, ec).string();
  if (ec || !std::filesystem::is_directory(home)) {
    return fail("--directory: '" + (directory.empty() ? std::string(".") : directory) +
                "' is not a directory");
  }
  if (!nat_address.empty()) {
    // Validated here so a typo is a start-up error, not broken PASV replies.
    const auto dots = std::count(nat_address.begin(), nat_address.end(), '.');
    if (dots != 3 || nat_address.find_first_not_of("0123456789.") != std::string::npos) {
      return fail("--nat-address: '" + nat_address + "' is not an IPv4 address");
    }
  }

  raise_descriptor_limit();
  auto logger = spdlog::stderr_color_mt("cppftpd");
  spdlog::set_default_logger(logger);
  spdlog::set_pattern("[%L %Y-%m-%d %H:%M:%S] %v");
  spdlog::set_level(debug ? spdlog::level::debug : spdlog::level::info);

  const std::string perms = write ? std::string(kAllPerms) : std::string("elr");
  cppftpd::MemoryAuthorizer users;
  try {
    if (username.empty()) {
      users.add_anonymous(home, perms);
      if (write) spdlog::warn("write permissions assigned to anonymous user.");
    } else {
      users.add_user(username, password, home, perms);
    }
    cppftpd::Server server(config, users);
    if (::geteuid() == 0 && run_as.empty() && !allow_root) {
      // A policy of this command, not of the library: a server reachable by
      // anyone should not run with every privilege. Checked once the flags
      // and the listening address are known to be good, before serving.
      return fail(
          "refusing to serve as root: pass --run-as USER to switch to USER after binding the "
          "ports, or --allow-root to serve as root anyway");
    }
    spdlog::info(">>> starting FTP server on {}:{}, pid={} <<<",
                 interface.empty() ? std::string("::") : interface, server.port(), ::getpid());
    spdlog::info("sharing {} ({}, {})", home, username.empty() ? "anonymous" : username,
                 write ? "read-write" : "read-only");
    spdlog::info("masquerade (NAT) address: {}", nat_address.empty() ? "None" : nat_address);
    spdlog::info("passive ports: {}", range_text.empty() ? "None" : range_text);
    if (tls) {
      spdlog::info("FTPS: explicit (AUTH TLS) on port {}{}", server.port(),
                   tls_implicit_port
                       ? fmt::format(", implicit on port {}", server.implicit_tls_port())
                       : std::string());
    }
    server.run();
    spdlog::info(">>> FTP server stopped <<<");
  } catch (const std::exception& e) {
    return fail(e.what());
  }
  return 0;
}
