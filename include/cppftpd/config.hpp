#pragma once
// ServerConfig: every setting of the server, immutable once the server runs
// (DESIGN.md principle 10). The CLI fills it from its flags.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

namespace cppftpd {

/// Where the control connection listens. An empty host listens on every
/// address, IPv6 and IPv4 together (dual stack).
struct ListenAddress {
  std::string host;
  std::uint16_t port = 2121;  ///< 0 picks a free port; Server::port() tells which
};

/// Inclusive range of ports for passive data connections; {0, 0} lets the
/// kernel choose.
struct PortRange {
  std::uint16_t first = 0;
  std::uint16_t last = 0;
};

struct ServerConfig {
  ListenAddress listen;
  /// Address put in PASV replies instead of the local one (-n, for NAT).
  std::string nat_address;
  PortRange passive_ports;
  /// Allow PORT/EPRT to an address other than the client's (FXP). Off: no bounce.
  bool permit_foreign_addresses = false;
  /// Allow PORT/EPRT to ports below 1024.
  bool permit_privileged_ports = false;

  /// Idle time on the control connection before it is closed (421).
  std::chrono::seconds idle_timeout{300};
  /// Time a data connection may take to be set up, and may stall while open.
  std::chrono::seconds data_timeout{300};
  /// Time a passive listener waits for the client to connect.
  std::chrono::seconds data_connect_timeout{30};
  /// On stop(): how long running transfers may go on before they are cut.
  std::chrono::seconds shutdown_grace{10};
  /// Delay before answering a failed login (slows brute force; other
  /// sessions are not stalled).
  std::chrono::milliseconds failed_login_delay{1000};

  std::size_t max_connections = 512;
  std::size_t max_connections_per_ip = 0;  ///< 0: no per-address limit
  unsigned max_login_attempts = 3;

  /// Text of the 220 greeting.
  std::string banner = "cppftpd ready.";
  /// LIST times in local time instead of UTC.
  bool use_localtime = false;
  /// Use sendfile(2) for binary downloads from local files.
  bool use_sendfile = true;
  /// Log every command and reply (passwords masked).
  bool log_commands = false;
  // -- Running as a service (issue 7) -------------------------------------
  /// A listening TCP socket (IPv4 or IPv6) to accept control connections
  /// on instead of binding `listen`, e.g. from systemd socket activation.
  /// The server owns it from construction on. -1: bind `listen`.
  int listen_fd = -1;
  /// Most bytes per second of one download / one upload (pyftpdlib's
  /// ThrottledDTPHandler write_limit / read_limit); 0: no limit. An
  /// account's own limit (Account::max_download_rate, ...) takes precedence.
  std::uint64_t max_download_rate = 0;
  std::uint64_t max_upload_rate = 0;
  // -- end of the service block --------------------------------------------

  /// Event-loop threads; 0: one per core.
  unsigned threads = 0;
  /// Handle SIGINT/SIGTERM by stopping the server (from the Server's
  /// construction on, so a signal can never find the process unprepared).
  bool handle_signals = true;
};

}  // namespace cppftpd
