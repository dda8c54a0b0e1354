// cppftpd: flags -> ServerConfig -> Server::run(). Nothing else.
// The flags are pyftpdlib's (python -m pyftpdlib), so nothing new to learn.

#include "config_file.hpp"
#include "daemon_loop.hpp"
#include "hook_chain.hpp"
#include "logging.hpp"
#include "metrics.hpp"
#include "metrics_endpoint.hpp"
#include "passwd.hpp"
#include "pidfile.hpp"
#include "socket_activation.hpp"
#include "system_accounts.hpp"
#include "user_set.hpp"
#include "users_file.hpp"
#include "xferlog.hpp"

#include <cppftpd/cppftpd.hpp>

#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <set>
#include <string>

namespace {

constexpr std::string_view kAllPerms = "elradfmwMT";
// The bandwidth options (long names), which a reload (SIGHUP) applies too.
constexpr std::array<const char*, 4> kRateOptions = {
    "max-download-rate", "max-upload-rate", "max-total-download-rate", "max-total-upload-rate"};

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
  if (argc >= 2 && std::string_view(argv[1]) == "passwd") {
    return cppftpd::cli::passwd_main(argc - 1, argv + 1);
  }
  CLI::App app{"cppftpd: share a directory over FTP (anonymous, read-only, port 2121 by default)",
               "cppftpd"};
  // An option given twice takes its last value, as pyftpdlib's optparse
  // does (a wrapper can append "-p 2122" to a base command line).
  app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  std::string interface;
  unsigned port = 2121;
  bool write = false;
  std::string directory;
  std::string nat_address;
  std::string range_text;
  bool debug = false;
  bool verbose = false;
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
  bool tls_require_session_reuse = false;
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
  app.add_flag("-V,--verbose", verbose, "more verbose logging: as --debug (pyftpdlib's flag)");
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
  app.add_flag("--tls-require-session-reuse", tls_require_session_reuse,
               "refuse every PROT P data connection that does not resume the control "
               "connection's TLS session (vsftpd's require_ssl_reuse; Python's ftplib cannot)");
  app.add_flag("--tls-no-session-reuse", tls_no_session_reuse,
               "the default: accept PROT P data connections that do not resume the control "
               "connection's TLS session, until one has (kept for older command lines)");
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

  // Running in production (docs/cppftpd.example.toml, README "Running as a service").
  std::string config_path;
  bool check_only = false;
  std::string users_path;
  app.add_option("--config", config_path,
                 "read settings (the long flags' names) and [[users]] from this TOML file; "
                 "flags on the command line win");
  app.add_flag("--check", check_only, "check the configuration and exit (0: valid, 1: not)");
  bool print_config = false;
  app.add_flag("--print-config", print_config,
               "check the configuration, print every setting in effect (the file's, the command "
               "line's and the defaults) as TOML, and exit");
  app.add_option("--users", users_path,
                 "read [[users]] (crypt(3) hashes only) from this TOML file; reloaded on SIGHUP");
  std::string xferlog_path;
  std::string log_format = "text";
  std::string log_file;
  bool use_syslog = false;
  app.add_option("--xferlog", xferlog_path,
                 "append a line per file transfer to FILE, in wu-ftpd's xferlog(5) format");
  app.add_option("--log-format", log_format,
                 "text (pyftpdlib's lines, default) or json (JSON lines)")
      ->check(CLI::IsMember({"text", "json"}));
  app.add_option("--log-file", log_file,
                 "log to FILE instead of standard error; reopened on SIGHUP and SIGUSR1");
  app.add_flag("--syslog", use_syslog, "log to syslog (facility daemon) instead of standard error");
  std::string metrics_address;
  app.add_option("--metrics", metrics_address,
                 "serve Prometheus metrics at http://ADDR:PORT/metrics (e.g. 127.0.0.1:9121; "
                 "default: off)");
  std::string pidfile_path;
  app.add_option("--pidfile", pidfile_path,
                 "write the process id to FILE once listening; removed on exit");
  bool atomic_uploads = false;
  app.add_flag("--atomic-uploads", atomic_uploads,
               "STOR writes to a hidden temporary file, renamed over the target once complete");
  std::uint64_t max_download_rate = 0;
  std::uint64_t max_upload_rate = 0;
  app.add_option("--max-download-rate", max_download_rate,
                 "most bytes/s of one download (pyftpdlib's write_limit; default 0: no limit)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--max-upload-rate", max_upload_rate,
                 "most bytes/s of one upload (pyftpdlib's read_limit; default 0: no limit)")
      ->check(CLI::NonNegativeNumber);
  std::uint64_t max_total_download_rate = 0;
  std::uint64_t max_total_upload_rate = 0;
  app.add_option("--max-total-download-rate", max_total_download_rate,
                 "most bytes/s of all downloads together, every session counted (default 0: "
                 "no limit); reloaded on SIGHUP")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--max-total-upload-rate", max_total_upload_rate,
                 "most bytes/s of all uploads together, every session counted (default 0: "
                 "no limit); reloaded on SIGHUP")
      ->check(CLI::NonNegativeNumber);
  // System accounts (README "System accounts", docs/security.md).
  bool unix_accounts = false;
  std::string pam_service = "cppftpd";
  std::string unix_allow;
  std::string unix_deny;
  bool unix_any_shell = false;
  std::string unix_perms = std::string(kAllPerms);
  std::string unix_guest = "nobody";
  app.add_flag("--unix", unix_accounts,
               "log local system users in through PAM, each into its home with its own rights "
               "(needs root; no implicit anonymous share)");
  app.add_option("--pam-service", pam_service,
                 "PAM service of --unix logins: /etc/pam.d/NAME (default cppftpd)");
  app.add_option("--unix-allow", unix_allow,
                 "with --unix: only these system users (comma-separated) may log in");
  app.add_option("--unix-deny", unix_deny,
                 "with --unix: these system users (comma-separated) may not log in");
  app.add_flag("--unix-any-shell", unix_any_shell,
               "with --unix: also let in users whose shell is not in /etc/shells");
  app.add_option("--unix-perms", unix_perms,
                 "with --unix: permission letters of system users (default elradfmwMT)");
  app.add_option("--unix-guest", unix_guest,
                 "with --unix: system user whose rights the configured (non-system) users and "
                 "anonymous get (default nobody)");
  app.footer(
      "Subcommand:\n  cppftpd passwd [--method yescrypt|sha512]\n"
      "      print a crypt(3) hash of a password (read without echo, or from standard input)\n"
      "      for password_hash in [[users]]");

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

  // The rate options given on the command line: a reload keeps them, as the
  // first reading of the file did (the command line wins).
  std::set<std::string> rates_from_command_line;
  for (const char* name : kRateOptions) {
    if (app.get_option(std::string("--") + name)->count() > 0) rates_from_command_line.insert(name);
  }
  if (!config_path.empty()) {
    try {
      const toml::table table = cppftpd::cli::read_toml_file(config_path);
      cppftpd::cli::apply_settings(table, config_path, app);
    } catch (const cppftpd::cli::ConfigError& e) {
      return fail(e.what());
    }
  }

  if (!tls && (!certfile.empty() || !keyfile.empty() || tls_control_required || tls_data_required ||
               tls_implicit_port || tls_no_session_reuse || tls_require_session_reuse)) {
    return fail("--certfile, --keyfile and the --tls-* options need --tls");
  }
  if (tls_no_session_reuse && tls_require_session_reuse) {
    return fail("--tls-no-session-reuse and --tls-require-session-reuse contradict each other");
  }
  if (!keyfile.empty() && certfile.empty()) return fail("--keyfile needs --certfile");
  std::optional<asio::ip::tcp::endpoint> metrics_endpoint;
  if (!metrics_address.empty()) {
    try {
      metrics_endpoint = cppftpd::cli::parse_listen_address(metrics_address);
    } catch (const std::invalid_argument& e) {
      return fail(std::string("--metrics: ") + e.what());
    }
  }
  if (use_syslog && !log_file.empty()) return fail("--syslog and --log-file exclude each other");
  if (!unix_accounts) {
    // By value, not by presence: --print-config writes the defaults, and
    // what it writes must read back.
    const std::pair<const char*, bool> changed[] = {
        {"--pam-service", pam_service != "cppftpd"}, {"--unix-allow", !unix_allow.empty()},
        {"--unix-deny", !unix_deny.empty()},         {"--unix-any-shell", unix_any_shell},
        {"--unix-perms", unix_perms != kAllPerms},   {"--unix-guest", unix_guest != "nobody"}};
    for (const auto& [name, set] : changed) {
      if (set) return fail(std::string(name) + " needs --unix");
    }
  } else if (!run_as.empty()) {
    return fail(
        "--unix and --run-as exclude each other: system logins need root, and each session "
        "already runs its file access as its own user");
  }
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
  // pyftpdlib's -V asks for "a more verbose logging"; the more verbose
  // level here is -D's.
  if (verbose) debug = true;
  config.log_commands = debug;
  config.tls.enabled = tls;
  config.tls.certificate_file = certfile;
  config.tls.private_key_file = keyfile;
  config.tls.control_required = tls_control_required;
  config.tls.data_required = tls_data_required;
  config.tls.require_session_reuse = tls_require_session_reuse;
  config.tls.min_version = tls_min_version;
  if (tls_implicit_port) config.tls.implicit_port = static_cast<std::uint16_t>(*tls_implicit_port);
  config.run_as_user = run_as;
  config.ban_after_failures = ban_after;
  config.ban_duration = std::chrono::seconds(ban_time);
  config.login_timeout = timeout_or_never(login_timeout);
  config.delete_incomplete_uploads = delete_incomplete;
  config.max_download_rate = max_download_rate;
  config.max_upload_rate = max_upload_rate;
  config.max_total_download_rate = max_total_download_rate;
  config.max_total_upload_rate = max_total_upload_rate;
  const cppftpd::RateSettings start_rates{max_download_rate, max_upload_rate,
                                          max_total_download_rate, max_total_upload_rate};

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

  const std::string perms = write ? std::string(kAllPerms) : std::string("elr");
  // Every generation of accounts is built here: at start-up and on SIGHUP.
  // The files are read again each time; -u/-P and the anonymous default of
  // a plain share come from the command line and stay.
  // `rates` gets the bandwidth limits of this generation: the command line's,
  // else the file's, else none.
  auto load_users = [&](cppftpd::RateSettings& rates) -> std::shared_ptr<cppftpd::cli::UserSet> {
    std::vector<cppftpd::cli::UserSpec> specs;
    rates = start_rates;
    if (!config_path.empty()) {
      const toml::table table = cppftpd::cli::read_toml_file(config_path);
      cppftpd::cli::check_settings(table, config_path, app);
      specs = cppftpd::cli::read_users(table, config_path);
      rates = cppftpd::cli::read_rates(table, config_path, rates, rates_from_command_line);
    }
    if (!users_path.empty()) {
      const toml::table table = cppftpd::cli::read_toml_file(users_path);
      for (const auto& [key, node] : table) {
        if (key.str() != "users") {
          throw cppftpd::cli::ConfigError(cppftpd::cli::where(users_path, node) + "key '" +
                                          std::string(key.str()) +
                                          "': a users file holds only [[users]] tables");
        }
      }
      auto more = cppftpd::cli::read_users(table, users_path);
      specs.insert(specs.end(), more.begin(), more.end());
    }
    auto set = std::make_shared<cppftpd::cli::UserSet>();
    try {
      if (!username.empty()) {
        set->authorizer.add_user(username, password, home, perms);
      } else if (specs.empty() && !unix_accounts) {
        set->authorizer.add_anonymous(home, perms);
      }
    } catch (const std::invalid_argument& e) {
      throw cppftpd::cli::ConfigError(e.what());
    }
    for (const auto& spec : specs) cppftpd::cli::add_to(*set, spec);
    return set;
  };
  std::shared_ptr<cppftpd::cli::UserSet> first_users;
  try {
    cppftpd::RateSettings unused;
    first_users = load_users(unused);
  } catch (const cppftpd::cli::ConfigError& e) {
    return fail(e.what());
  }
  // --unix: system accounts beside the configured ones (system_accounts.hpp).
  std::optional<cppftpd::UnixAuthorizer> system_users;
  std::optional<cppftpd::Credentials> guest;
  if (unix_accounts) {
    cppftpd::UnixAuthorizerOptions options;
    options.pam_service = pam_service;
    options.allowed_users = cppftpd::cli::split_user_list(unix_allow);
    options.rejected_users = cppftpd::cli::split_user_list(unix_deny);
    options.require_valid_shell = !unix_any_shell;
    options.perms = unix_perms;
    try {
      system_users.emplace(std::move(options));
    } catch (const std::invalid_argument& e) {
      return fail(std::string("--unix: ") + e.what());
    }
    guest = cppftpd::system_credentials(unix_guest);
    if (!guest) {
      return fail("--unix-guest: '" + unix_guest + "' is not a system user other than root");
    }
  }
  if (print_config) {
    std::fputs(cppftpd::cli::settings_as_toml(app).c_str(), stdout);
    return 0;
  }
  if (check_only) {
    std::printf("cppftpd: configuration OK%s%s\n", config_path.empty() ? "" : ": ",
                config_path.c_str());
    return 0;
  }

  try {
    if (const auto fd = cppftpd::cli::socket_from_systemd()) config.listen_fd = *fd;
  } catch (const std::runtime_error& e) {
    return fail(e.what());
  }

  raise_descriptor_limit();
  std::function<void()> reopen_log;
  try {
    reopen_log = cppftpd::cli::install_logger(
        {log_format == "json" ? cppftpd::cli::LogFormat::json : cppftpd::cli::LogFormat::text,
         log_file, use_syslog, debug});
  } catch (const std::exception& e) {
    return fail(std::string("--log-file: ") + e.what());
  }
  std::shared_ptr<cppftpd::cli::TransferLog> transfer_log;
  if (!xferlog_path.empty()) {
    try {
      transfer_log = std::make_shared<cppftpd::cli::TransferLog>(xferlog_path);
    } catch (const std::exception& e) {
      return fail(std::string("--xferlog: ") + e.what());
    }
  }
  // SIGHUP and SIGUSR1 (logrotate's postrotate) reopen both files.
  auto reopen = [&] {
    reopen_log();
    if (transfer_log) transfer_log->reopen();
  };

  cppftpd::cli::ReloadableAuthorizer users(first_users);
  if (write && first_users->authorizer.has_user("anonymous")) {
    spdlog::warn("write permissions assigned to anonymous user.");
  }
  cppftpd::EventHooks hooks;
  hooks.on_login = [&users](const cppftpd::SessionEvent& event) {
    users.session_started(event.user);
  };
  hooks.on_logout = [&users](const cppftpd::SessionEvent& event) {
    users.session_ended(event.user);
  };
  if (transfer_log) cppftpd::cli::add_transfer_log_hooks(hooks, transfer_log);
  cppftpd::cli::Metrics metrics;
  if (metrics_endpoint) metrics.add_hooks(hooks);
  try {
    std::unique_ptr<cppftpd::Filesystem> filesystem;  // null: the local disk
    if (atomic_uploads) {
      filesystem = cppftpd::make_atomic_upload_filesystem(cppftpd::make_local_filesystem());
    }
    std::optional<cppftpd::cli::SystemAccountChain> chain;
    cppftpd::Authorizer* authorizer = &users;
    if (system_users) {
      if (::geteuid() != 0) {
        return fail(
            "--unix needs root: PAM reads /etc/shadow, and each session switches its file "
            "access to its user");
      }
      chain.emplace(users, *system_users, *guest);
      authorizer = &*chain;
    }
    cppftpd::Server server(config, *authorizer, std::move(filesystem), hooks);
    // --unix: root is how it works (sessions never touch files as root).
    if (::geteuid() == 0 && run_as.empty() && !allow_root && !unix_accounts) {
      // A policy of this command, not of the library: a server reachable by
      // anyone should not run with every privilege. Checked once the flags
      // and the listening address are known to be good, before serving.
      return fail(
          "refusing to serve as root: pass --run-as USER to switch to USER after binding the "
          "ports, or --allow-root to serve as root anyway");
    }
    if (config.listen_fd >= 0) {
      spdlog::info("accepting on the socket passed by systemd (descriptor {})", config.listen_fd);
    }
    std::optional<cppftpd::cli::PidFile> pidfile;
    if (!pidfile_path.empty()) {
      try {
        pidfile.emplace(pidfile_path);
      } catch (const std::runtime_error& e) {
        return fail(std::string("--pidfile: ") + e.what());
      }
    }
    // SIGHUP: a new generation of users, or none if anything in it is wrong.
    auto reload = [&] {
      try {
        cppftpd::RateSettings rates;
        auto next = load_users(rates);
        users.replace(next);
        server.set_rates(rates);
        metrics.count_reload(true);
        spdlog::info(
            "reload: rates (bytes/s, 0: none): download {}, upload {}, all downloads {}, all "
            "uploads {}",
            rates.max_download_rate, rates.max_upload_rate, rates.max_total_download_rate,
            rates.max_total_upload_rate);
        spdlog::info("reload: users loaded{}{}{}{}", config_path.empty() ? "" : " from ",
                     config_path, users_path.empty() ? "" : " and ", users_path);
      } catch (const cppftpd::cli::ConfigError& e) {
        metrics.count_reload(false);
        spdlog::error("reload failed, keeping the previous users: {}", e.what());
      }
    };
    cppftpd::cli::DaemonLoop daemon(reload, reopen);
    if (metrics_endpoint) {
      try {
        auto endpoint = std::make_shared<cppftpd::cli::MetricsEndpoint>(daemon.context(),
                                                                        *metrics_endpoint, metrics);
        const auto bound = endpoint->local_endpoint();
        daemon.keep(endpoint);
        spdlog::info("metrics: http://{}/metrics",
                     bound.address().is_v6()
                         ? fmt::format("[{}]:{}", bound.address().to_string(), bound.port())
                         : fmt::format("{}:{}", bound.address().to_string(), bound.port()));
      } catch (const std::system_error& e) {
        return fail("--metrics " + metrics_address + ": " + e.what());
      }
    }
    daemon.start();
    spdlog::info(">>> starting FTP server on {}:{}, pid={} <<<",
                 interface.empty() ? std::string("::") : interface, server.port(), ::getpid());
    if (unix_accounts) {
      spdlog::info("system accounts through PAM service '{}' (permissions {}); other users as '{}'",
                   pam_service, unix_perms, unix_guest);
    } else {
      spdlog::info("sharing {} ({}, {})", home, username.empty() ? "anonymous" : username,
                   write ? "read-write" : "read-only");
    }
    spdlog::info("masquerade (NAT) address: {}", nat_address.empty() ? "None" : nat_address);
    spdlog::info("passive ports: {}", range_text.empty() ? "None" : range_text);
    if (tls) {
      spdlog::info("FTPS: explicit (AUTH TLS) on port {}{}", server.port(),
                   tls_implicit_port
                       ? fmt::format(", implicit on port {}", server.implicit_tls_port())
                       : std::string());
    }
    server.run();
    daemon.stop();
    spdlog::info(">>> FTP server stopped <<<");
  } catch (const std::exception& e) {
    return fail(e.what());
  }
  return 0;
}
