#pragma once
// Session: one coroutine per control connection (DESIGN.md principle 3).
// It reads command lines, dispatches them through the command table, and runs
// each transfer as a second coroutine so that ABOR, STAT and QUIT are read
// and answered while data moves.

#include <cppftpd/authorizer.hpp>
#include <cppftpd/config.hpp>
#include <cppftpd/events.hpp>
#include <cppftpd/filesystem.hpp>

#include "protocol/line_reader.hpp"
#include "protocol/listing.hpp"
#include "session/account_cache.hpp"
#include "session/async_event.hpp"
#include "session/command_table.hpp"
#include "tls/tls_context.hpp"
#include "transfer/data_channel.hpp"
#include "transfer/transfer_pump.hpp"

#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/ssl/stream.hpp>
#include <asio/steady_timer.hpp>
#include <asio/thread_pool.hpp>

#include <array>
#include <chrono>
#include <ctime>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace cppftpd {

/// What every session of a server shares; owned by the server, read-only.
struct SessionServices {
  const ServerConfig& config;
  Authorizer& authorizer;
  Filesystem& filesystem;
  asio::thread_pool& blocking_pool;  ///< where Authorizer::authenticate runs
  const EventHooks& hooks;
  /// Told of every failed login with the peer's address; true when that
  /// address is now banned (the session then says 421 and disconnects).
  std::function<bool(const asio::ip::address&)> login_failed;
  /// Told of every successful login with the peer's address (which forgives
  /// that address's failures so far).
  std::function<void(const asio::ip::address&)> login_succeeded;
  tls::TlsContext* tls = nullptr;  ///< set when FTPS is configured
  /// The server's bandwidth limits (changeable while it runs).
  Bandwidth& bandwidth;
  /// Where sessions of one account share its Account.
  AccountCache& accounts;
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  /// `implicit_tls`: the connection came to the implicit FTPS listener and
  /// starts with a TLS handshake, before the greeting.
  Session(asio::ip::tcp::socket control, const SessionServices& services,
          bool implicit_tls = false);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  /// Greets the client and serves it until QUIT, a timeout, an error or a
  /// shutdown; calls `on_end` once the session has fully ended. Call on the
  /// session's executor, once.
  void start(std::function<void()> on_end);

  /// Server shutdown: an idle session is told 421 and closed; a transfer in
  /// progress may finish within config.shutdown_grace. Call on the session's
  /// executor.
  void request_shutdown();
  /// Closes everything now. Call on the session's executor.
  void close();

  using Clock = std::chrono::steady_clock;

  /// Enforces the session's deadlines as of `now`; the server calls it for
  /// every session of an event loop once a second (limits::kDeadlineSweep),
  /// so an idle session holds no timer of its own. Call on the session's
  /// executor. Past a deadline:
  /// - not logged in config.login_timeout after connect: 421 and close
  ///   (commands do not extend it);
  /// - a transfer that moved nothing for config.data_timeout: cut, 426;
  /// - no command for config.idle_timeout (and no transfer): 421 and close.
  void check_deadlines(Clock::time_point now);

  /// The command table, sorted by verb (see command_table.hpp).
  static std::span<const CommandSpec> command_table();
  /// The SITE sub-commands, sorted by name.
  static std::span<const SiteCommandSpec> site_command_table();

 private:
  // The transfer running in its own coroutine, if any.
  struct ActiveTransfer {
    std::string verb;
    VirtualPath path;
    TransferProgress progress;
    Clock::time_point started = Clock::now();
    asio::ip::tcp::socket* socket = nullptr;  // the data connection once open
    bool aborted = false;                     // ABOR (or shutdown) cut it
    bool stalled = false;                     // check_deadlines() cut it
  };
  // A listing on its way to the client, a batch of entries at a time
  // (session_listing.cpp): only `pending` and one batch are ever in memory.
  struct ListingStream {
    enum class Format { list, nlst, mlsd };
    Format format = Format::list;
    VirtualPath directory;                     // where the entries are
    std::unique_ptr<DirectoryReader> entries;  // null once all were read
    std::string glob;                          // "LIST *.txt": only matching names
    std::string name_prefix;                   // "NLST sub/*.txt": "sub/" before each name
    std::time_t now = 0;                       // LIST's six-month rule
    std::size_t count = 0;                     // entries formatted so far
    std::string pending;                       // formatted, not yet sent
    bool done() const noexcept { return !entries; }
  };

  // What a transfer coroutine moves.
  struct TransferJob {
    std::string verb;
    VirtualPath path;
    std::unique_ptr<FileReader> reader;      // RETR
    std::unique_ptr<FileWriter> writer;      // STOR, APPE, STOU
    std::unique_ptr<ListingStream> listing;  // LIST, NLST, MLSD
    bool ascii = false;
    std::uint64_t ascii_skip = 0;  // REST in TYPE A: converted octets not sent
    bool protect = false;          // PROT P: TLS on the data connection
  };

  // --- control channel (session.cpp) ---
  /// Reads and dispatches command lines while there are any (the greeting
  /// first); returns when the plain socket has nothing more (idle), or when
  /// the connection ended or was closed (closed_).
  asio::awaitable<void> serve();
  /// serve() in a coroutine of its own; then wait_for_command(), or finish().
  void serve_commands();
  void wait_for_command();
  /// Once: wind_down() in a coroutine of its own.
  void finish();
  /// Stops the transfer, closes, ends the login, fires on_disconnect, on_end_.
  asio::awaitable<void> wind_down();
  asio::awaitable<void> dispatch(const std::string& line);
  void reply(int code, std::string_view text);
  void reply_lines(int code, std::string_view first, const std::vector<std::string>& body,
                   std::string_view last);
  void send(std::string data);
  asio::awaitable<void> write_loop();
  asio::awaitable<void> flush();
  asio::awaitable<void> close_after_flush();
  /// close_after_flush() bounded by limits::kFinalReplyDrain: a client that
  /// does not read cannot keep a session it is being thrown out of.
  asio::awaitable<void> close_after_final_reply();
  void log_info(std::string_view message) const;
  /// Logs the exception in `error` (a coroutine that threw), after `what`.
  void log_failure(std::string_view what, std::exception_ptr error) const;
  // Event hooks: the session as an event, and a call that never throws.
  SessionEvent session_event() const;
  template <typename Event>
  void fire(const std::function<void(const Event&)>& hook, const Event& event) const;
  /// Ends the login (on_logout, log line); the account is forgotten.
  void end_login();
  std::string log_prefix() const;

  // --- checks shared by handlers ---
  bool allowed(char letter, const VirtualPath& path) const;
  /// Replies 550 with the error's text.
  void reply_error(std::error_code error, int code = 550);
  /// Resolves a client path against the working directory.
  VirtualPath resolve(std::string_view argument) const;

  // --- transfers (session_transfer.cpp) ---
  void start_transfer(std::unique_ptr<TransferJob> job);
  asio::awaitable<void> run_transfer(std::unique_ptr<TransferJob> job);
  template <typename Stream>
  asio::awaitable<PumpResult> pump(Stream& stream, TransferJob& job, ActiveTransfer& active);
  void abort_transfer();
  asio::awaitable<void> store(const Request& request, WriteMode mode);
  /// While a command waits for the running transfer, keeps reading the
  /// (plain) control connection ahead of it, and aborts the transfer as soon
  /// as an ABOR is among the lines queued behind it (ABOR answers 226 then).
  void watch_for_abort();
  void arm_abort_watch();
  void read_ahead_for_abort();
  /// Whether a complete ABOR line is among the bytes not yet dispatched.
  bool abort_queued() const;
  static bool ends_abort_scope(const CommandSpec& spec);
  void abort_queued_transfer();

  /// True when PASV/EPSV/PORT/EPRT prepared a data connection and the
  /// protection level allows it; else replies 425 (a transfer command never
  /// waits for one that cannot come) or 521 (TLS required on data).
  bool data_connection_prepared();

  // --- FTPS (session_tls.cpp) ---
  /// TLS handshake on the control connection (after 234, or at connect on
  /// the implicit listener). False when it failed: the session must close.
  asio::awaitable<bool> start_control_tls();
  /// Reads the control connection: through TLS once it is on (waiting), or
  /// what the plain socket holds now (would_block: nothing yet). The bytes
  /// read stay valid until the session next suspends.
  asio::awaitable<std::string_view> read_control_tls(std::error_code& ec);
  std::string_view read_available(std::error_code& ec);
  /// Moves what is left of unread_ out of the thread's read buffer.
  void keep_unread();
  /// Writes the control connection, through TLS once it is on.
  asio::awaitable<void> write_control(std::string_view data, std::error_code& ec);

  // --- listings (session_listing.cpp) ---
  /// LIST/NLST/STAT's argument: ls options, then a path; a leading "-word"
  /// that names an entry is the path.
  protocol::ListArguments list_arguments(std::string_view argument) const;
  asio::awaitable<void> send_listing(const Request& request, ListingStream::Format format);
  /// The listing of `path` (a directory, a file, or "dir/*.txt"), with its
  /// first chunk formatted; on the blocking pool (so are the next two).
  /// `written` is the path as the client wrote it: NLST of a file or a
  /// pattern names each entry with its directory part.
  Result<std::unique_ptr<ListingStream>> open_listing(const VirtualPath& path,
                                                      ListingStream::Format format,
                                                      std::string_view written = {});
  /// Formats entries into `listing.pending` until it holds a chunk's worth
  /// or the directory is read; at most `max_entries` in all (more:
  /// value_too_large).
  Status fill_listing(ListingStream& listing, std::size_t max_entries) const;
  /// The whole listing as text (STAT path), of at most kMaxListingEntries.
  Result<std::string> collect_listing(const Request& request);
  /// Sends the listing over the data connection, reading the next chunk on
  /// the blocking pool while nothing else of it is in memory.
  template <typename Stream>
  asio::awaitable<PumpResult> stream_listing(Stream& stream, ListingStream& listing,
                                             ActiveTransfer& active);
  std::string mlsx_perm(const FileInfo& info, const VirtualPath& path) const;

  // --- handlers, reached through the command table ---
  asio::awaitable<void> cmd_abor(const Request&);
  asio::awaitable<void> cmd_acct(const Request&);
  asio::awaitable<void> cmd_allo(const Request&);
  asio::awaitable<void> cmd_appe(const Request&);
  asio::awaitable<void> cmd_auth(const Request&);
  asio::awaitable<void> cmd_ccc(const Request&);
  asio::awaitable<void> cmd_cdup(const Request&);
  asio::awaitable<void> cmd_cwd(const Request&);
  asio::awaitable<void> cmd_dele(const Request&);
  asio::awaitable<void> cmd_eprt(const Request&);
  asio::awaitable<void> cmd_epsv(const Request&);
  asio::awaitable<void> cmd_feat(const Request&);
  asio::awaitable<void> cmd_help(const Request&);
  asio::awaitable<void> cmd_host(const Request&);
  asio::awaitable<void> cmd_list(const Request&);
  asio::awaitable<void> cmd_mdtm(const Request&);
  asio::awaitable<void> cmd_mfmt(const Request&);
  asio::awaitable<void> cmd_mkd(const Request&);
  asio::awaitable<void> cmd_mlsd(const Request&);
  asio::awaitable<void> cmd_mlst(const Request&);
  asio::awaitable<void> cmd_mode(const Request&);
  asio::awaitable<void> cmd_nlst(const Request&);
  asio::awaitable<void> cmd_noop(const Request&);
  asio::awaitable<void> cmd_opts(const Request&);
  asio::awaitable<void> cmd_pass(const Request&);
  asio::awaitable<void> cmd_pasv(const Request&);
  asio::awaitable<void> cmd_pbsz(const Request&);
  asio::awaitable<void> cmd_port(const Request&);
  asio::awaitable<void> cmd_prot(const Request&);
  asio::awaitable<void> cmd_pwd(const Request&);
  asio::awaitable<void> cmd_quit(const Request&);
  asio::awaitable<void> cmd_rein(const Request&);
  asio::awaitable<void> cmd_rest(const Request&);
  asio::awaitable<void> cmd_retr(const Request&);
  asio::awaitable<void> cmd_rmd(const Request&);
  asio::awaitable<void> cmd_rnfr(const Request&);
  asio::awaitable<void> cmd_rnto(const Request&);
  asio::awaitable<void> cmd_site(const Request&);
  asio::awaitable<void> cmd_size(const Request&);
  /// The size of a regular file in TYPE A's network form (RFC 3659 4), read
  /// from the file; file_too_large past limits::kMaxAsciiSizeScan.
  Result<std::uint64_t> ascii_size(const VirtualPath& path, const FileInfo& info);
  asio::awaitable<void> cmd_stat(const Request&);
  asio::awaitable<void> cmd_stor(const Request&);
  asio::awaitable<void> cmd_stou(const Request&);
  asio::awaitable<void> cmd_stru(const Request&);
  asio::awaitable<void> cmd_syst(const Request&);
  asio::awaitable<void> cmd_type(const Request&);
  asio::awaitable<void> cmd_user(const Request&);
  // SITE sub-commands
  asio::awaitable<void> site_chmod(const Request&, std::string_view argument);
  asio::awaitable<void> site_help(const Request&, std::string_view argument);

  // Data-connection set-up shared by PORT/EPRT and PASV/EPSV.
  void prepare_active(const asio::ip::tcp::endpoint& target, std::string_view verb);
  std::optional<std::uint16_t> prepare_passive();
  void reset_login();

  // --- state ---
  asio::ip::tcp::socket control_;
  const SessionServices& services_;
  const ServerConfig& config_;
  asio::ip::tcp::endpoint peer_;
  asio::ip::tcp::endpoint local_;
  // FTPS: the control connection's TLS layer once AUTH TLS (or the implicit
  // listener) negotiated it; declared after control_, destroyed before it.
  using ControlTls = asio::ssl::stream<asio::ip::tcp::socket&>;
  std::unique_ptr<ControlTls> control_tls_;
  std::unique_ptr<tls::SessionBinding> tls_binding_;  // ties data connections to it
  bool implicit_tls_ = false;
  bool pbsz_done_ = false;         // RFC 2228: PBSZ before PROT
  bool protect_data_ = false;      // PROT P
  bool data_tls_resumed_ = false;  // a PROT P data connection resumed the control session

  protocol::LineReader reader_;
  // Bytes read but not yet consumed by reader_. A plain read lands in a
  // buffer of the worker thread (an idle session holds none); what is left
  // there when a command is dispatched moves to pipelined_ first, since the
  // next read on this thread, by any session, overwrites that buffer.
  std::string_view unread_;
  std::string pipelined_;
  std::unique_ptr<std::array<char, 4096>> tls_read_buffer_;  // while TLS is on
  std::string outbox_;                                       // replies not yet handed to the socket
  bool writing_ = false;
  bool closed_ = false;
  bool shutting_down_ = false;
  AsyncEvent flushed_;

  const Clock::time_point connected_ = Clock::now();  // the login deadline runs from here
  Clock::time_point last_command_ = connected_;       // the idle deadline, from here
  bool timed_out_ = false;                            // told 421 by check_deadlines(), closing
  bool greeted_ = false;                              // serve() sent the 220
  bool finishing_ = false;                            // wind_down() runs
  bool watching_abort_ = false;    // a command waits for the transfer (watch_for_abort)
  bool abort_wait_armed_ = false;  // the watch's async_wait is pending
  bool aborted_ahead_ = false;     // the watch aborted the transfer for a queued ABOR
  std::function<void()> on_end_;

  // Login.
  std::optional<std::string> pending_user_;  // after USER, before PASS
  std::shared_ptr<const Account> account_;   // shared with the account's other sessions
  std::unique_ptr<FileTree> tree_;
  unsigned failed_logins_ = 0;

  // Per-login settings and one-command state.
  VirtualPath cwd_;
  bool ascii_ = true;  // RFC 959 3.1.1.1: the default type is ASCII
  std::uint64_t rest_offset_ = 0;
  std::uint64_t rest_for_command_ = 0;
  // By pointer: a session that never renames holds 16 bytes, not 80.
  std::unique_ptr<VirtualPath> rename_from_;
  std::unique_ptr<VirtualPath> rename_source_;
  bool epsv_all_ = false;
  unsigned mlst_facts_ = protocol::kDefaultMlstFacts;

  DataChannel data_;
  std::unique_ptr<ActiveTransfer> transfer_;
  AsyncEvent transfer_done_;
  std::vector<char> transfer_buffer_;  // allocated once, reused by every transfer
};

}  // namespace cppftpd
