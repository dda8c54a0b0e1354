#pragma once
// ServerConfig: every setting of the server, immutable once the server runs
// (DESIGN.md principle 10). The CLI fills it from its flags.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
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

/// FTPS (RFC 4217): TLS on the control and data connections, with OpenSSL.
struct TlsConfig {
  /// Offer AUTH TLS on the control port (explicit FTPS).
  bool enabled = false;
  /// PEM certificate (chain). Empty with `enabled`: a self-signed certificate
  /// is generated at start-up and kept for the process's life.
  std::string certificate_file;
  /// PEM private key. Empty: the key is read from certificate_file.
  std::string private_key_file;
  /// Refuse USER and PASS (530) until the control connection is protected.
  bool control_required = false;
  /// Refuse transfers (521) on a data connection that is not protected (PROT C).
  bool data_required = false;
  /// Every PROT P data connection must resume the TLS session of its own
  /// control connection (vsftpd's require_ssl_reuse): a connection from anyone
  /// else cannot ride the session, but clients that cannot resume (Python's
  /// ftplib) cannot transfer. Off (the default, as pyftpdlib): a fresh session
  /// is accepted until one data connection of the control connection has
  /// resumed, and refused from then on. The data peer's address must be the
  /// control peer's either way.
  bool require_session_reuse = false;
  /// Lowest protocol version accepted: "1.2" or "1.3".
  std::string min_version = "1.2";
  /// OpenSSL cipher list for TLS 1.2 (TLS 1.3 suites are OpenSSL's defaults).
  std::string ciphers =
      "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
      "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
      "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
      "DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384";
  /// Implicit FTPS: a second listener, on the control listener's host, whose
  /// connections start with a TLS handshake (990 by convention; 0 picks a
  /// free port, Server::implicit_tls_port() tells which). Needs `enabled`.
  std::optional<std::uint16_t> implicit_port;
  /// Time a client has to complete a TLS handshake (control or data).
  std::chrono::seconds handshake_timeout{30};
};

/// Bandwidth limits in bytes per second (0: none), as in ServerConfig; for
/// Server::set_rates().
struct RateSettings {
  std::uint64_t max_download_rate = 0;        ///< one download (an account's own wins)
  std::uint64_t max_upload_rate = 0;          ///< one upload (an account's own wins)
  std::uint64_t max_total_download_rate = 0;  ///< all downloads together
  std::uint64_t max_total_upload_rate = 0;    ///< all uploads together
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
  /// FTPS settings (off unless tls.enabled).
  TlsConfig tls;

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
  /// Use splice(2) for binary uploads to local files (socket -> pipe -> file).
  bool use_splice = true;
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
  /// Most bytes per second of all downloads / all uploads together, across
  /// every session and thread (a server-wide cap on top of the per-transfer
  /// limits above); 0: no cap. Server::set_total_rates() changes them while
  /// the server runs.
  std::uint64_t max_total_download_rate = 0;
  std::uint64_t max_total_upload_rate = 0;
  // -- end of the service block --------------------------------------------

  /// Event-loop threads; 0: one per core.
  unsigned threads = 0;
  /// Handle SIGINT/SIGTERM by stopping the server (from the Server's
  /// construction on, so a signal can never find the process unprepared).
  bool handle_signals = true;

  // --- Security and robustness (docs/security.md) ---------------------------
  /// Per-address ban: this many failed logins from one address, across all
  /// its sessions, within ban_window, ban it for ban_duration (421 at
  /// connect, before the greeting). 0 turns the ban off.
  unsigned ban_after_failures = 10;
  std::chrono::seconds ban_window{600};
  std::chrono::seconds ban_duration{900};
  /// Time from connect to a successful login; past it: 421 and close.
  std::chrono::seconds login_timeout{60};
  /// Delete what arrived of an upload that did not complete (client gone,
  /// ABOR, stall). Off: the partial file stays, so REST can resume it.
  bool delete_incomplete_uploads = false;
  /// When not empty, Server::start() switches to this user (initgroups,
  /// setgid, setuid) after binding the listening sockets and before serving
  /// anyone; start() throws if that fails or root could be regained.
  std::string run_as_user;
};

}  // namespace cppftpd
