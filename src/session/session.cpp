// The control channel: greeting, reading lines, dispatch through the command
// table, replies, timeouts, shutdown.

#include "session/session.hpp"

#include "protocol/host_port.hpp"
#include "protocol/limits.hpp"
#include "protocol/reply.hpp"
#include "sys/socket_options.hpp"

#include <spdlog/spdlog.h>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

#include <utility>

namespace cppftpd {

namespace {

// EventHooks::on_reply, for counters: called for every reply, so without the
// logging of fire(); what it throws is dropped.
void count_reply(const EventHooks& hooks, int code) noexcept {
  if (!hooks.on_reply) return;
  try {
    hooks.on_reply(code);
  } catch (...) {  // a counter must not end the session
  }
}

// Passwords are never logged (DESIGN.md; pyftpdlib does the same).
std::string loggable(const std::string& line, const protocol::CommandLine& command) {
  if (command.verb == "PASS") return "PASS ******";
  return line;
}

}  // namespace

Session::Session(asio::ip::tcp::socket control, const SessionServices& services, bool implicit_tls)
    : control_(std::move(control)), services_(services), config_(services.config) {
  std::error_code ec;
  peer_ = control_.remote_endpoint(ec);
  local_ = control_.local_endpoint(ec);
  control_.set_option(asio::ip::tcp::no_delay(true), ec);
  // Reads wait for readiness, then take what is there (read_available).
  control_.non_blocking(true, ec);
  sys::set_oob_inline(control_.native_handle());
  implicit_tls_ = implicit_tls && services.tls != nullptr;
  flushed_.notify();
  transfer_done_.notify();
}

Session::~Session() = default;

void Session::start(std::function<void()> on_end) {
  on_end_ = std::move(on_end);
  log_info("FTP session opened (connect)");
  fire(services_.hooks.on_connect, session_event());
  serve_commands();
}

// An idle plain session holds no coroutine: only this wait (a small
// operation with a plain handler). Readable: serve() runs until the socket
// has nothing more, then the session waits here again.
void Session::wait_for_command() {
  control_.async_wait(asio::ip::tcp::socket::wait_read,
                      [self = shared_from_this()](const std::error_code& ec) {
                        if (ec || self->closed_) {
                          self->finish();
                          return;
                        }
                        self->serve_commands();
                      });
}

void Session::serve_commands() {
  auto served = [self = shared_from_this()] { return self->serve(); };
  auto then = [self = shared_from_this()](std::exception_ptr error) {
    if (error) {
      self->log_failure("session ended by error", error);
      self->close();
    }
    if (self->closed_) {
      self->finish();
    } else {
      self->wait_for_command();
    }
  };
  asio::co_spawn(control_.get_executor(), std::move(served), std::move(then));
}

void Session::finish() {
  if (finishing_) return;
  finishing_ = true;
  auto wind_down = [self = shared_from_this()] { return self->wind_down(); };
  asio::co_spawn(control_.get_executor(), std::move(wind_down), asio::detached);
}

asio::awaitable<void> Session::wind_down() {
  // The connection is gone: stop any transfer and wait for its coroutine.
  abort_transfer();
  co_await transfer_done_.wait();
  close();
  end_login();
  log_info("FTP session closed (disconnect).");
  fire(services_.hooks.on_disconnect, session_event());
  if (on_end_) std::exchange(on_end_, nullptr)();
}

asio::awaitable<void> Session::serve() {
  if (!greeted_) {
    greeted_ = true;
    // Implicit FTPS: TLS from the first byte; the greeting is protected too.
    // Its data connections are protected unless the client says PROT C.
    if (implicit_tls_) {
      // Not `if (!co_await ...)`: GCC 12 then builds a frame whose `this`
      // is garbage at the first resume.
      const bool secured = co_await start_control_tls();
      if (!secured) {
        close();
        co_return;
      }
      protect_data_ = true;
    }
    // RFC 959 5.4: the server greets with 220 when ready.
    reply(220, config_.banner);
  }
  while (!closed_) {
    const auto status = reader_.next(unread_);
    if (status == protocol::LineReader::Status::line) {
      const std::string line = reader_.take_line();
      keep_unread();
      co_await dispatch(line);
      continue;
    }
    if (status == protocol::LineReader::Status::too_long) {
      // One 500 per over-long line; the rest of it is skipped and the
      // session stays usable.
      last_command_ = Clock::now();
      reply(500, "Command line too long.");
      continue;
    }
    if (!pipelined_.empty()) std::string().swap(pipelined_);  // all consumed: free it
    std::error_code ec;
    std::string_view got;
    if (control_tls_) {
      // TLS reads go through the SSL stream: a protected session keeps
      // this coroutine while it waits.
      got = co_await read_control_tls(ec);
    } else {
      got = read_available(ec);
      if (ec == asio::error::would_block || ec == asio::error::try_again) {
        co_return;  // nothing more for now: wait_for_command()
      }
    }
    if (ec || got.empty()) {
      // The client closed, or the connection broke. A client that only
      // half-closed (shutdown(SHUT_WR) after its last command, as
      // `printf ... | nc -N` does) still reads: the replies it is owed, those
      // of a transfer still running included, go out before the close. Each
      // wait is bounded (the transfer's deadlines; check_deadlines() closes a
      // session whose replies are never read, which ends the flush).
      if (!ec || ec == asio::error::eof) {
        if (transfer_) co_await transfer_done_.wait();
        if (writing_) co_await flush();
      }
      close();
      co_return;
    }
    unread_ = got;
  }
}

void Session::keep_unread() {
  if (unread_.empty()) return;
  const bool kept = !pipelined_.empty() && unread_.data() >= pipelined_.data() &&
                    unread_.data() < pipelined_.data() + pipelined_.size();
  if (kept) return;
  pipelined_.assign(unread_);
  unread_ = pipelined_;
}

asio::awaitable<void> Session::dispatch(const std::string& line) {
  last_command_ = Clock::now();
  protocol::CommandLine command = protocol::split_command(line);
  if (config_.log_commands) spdlog::debug("{} <- {}", log_prefix(), loggable(line, command));

  if (command.verb.empty()) {
    reply(500, "Syntax error, command unrecognized.");
    co_return;
  }
  const CommandSpec* spec = find_command(command.verb);
  if (spec == nullptr) {
    reply(500, fmt::format("Command \"{}\" not understood.", command.verb));
    co_return;
  }
  // The ABOR that watch_for_abort() acted on is this one, or none: the mark
  // is used up by the next ABOR line, whatever its reply turns out to be.
  struct ForgetAbortedAhead {
    bool& flag;
    bool applies;
    ~ForgetAbortedAhead() {
      if (applies) flag = false;
    }
  } forget{aborted_ahead_, spec->handler == &Session::cmd_abor};
  // Commands other than ABOR/STAT/QUIT/NOOP wait for the running transfer
  // (RFC 959 5.3: commands are answered in order). An ABOR sent behind the
  // waiting command still aborts the transfer at once (watch_for_abort).
  if (transfer_ && (spec->flags & kDuringTransfer) == 0) {
    if (!ends_abort_scope(*spec)) watch_for_abort();
    co_await transfer_done_.wait();
    watching_abort_ = false;
    if (closed_) co_return;
  }
  // RFC 2228 3: a server that knows AUTH but does not offer security says 502.
  if ((spec->flags & kTlsOnly) != 0 && services_.tls == nullptr) {
    reply(502, "TLS is not configured on this server.");
    co_return;
  }
  // RFC 4217 10.1: the server may deny USER/PASS before TLS is negotiated.
  if ((spec->flags & kCredentials) != 0 && config_.tls.control_required && !control_tls_) {
    reply(530, "SSL/TLS required on the control channel (use AUTH TLS).");
    co_return;
  }
  if (spec->access == Access::logged_in && !account_) {
    reply(530, "Log in with USER and PASS first.");
    co_return;
  }
  if (spec->arg == Arg::none && !command.argument.empty()) {
    reply(501, "Syntax error: command does not accept arguments.");
    co_return;
  }
  if (spec->arg == Arg::required && command.argument.empty()) {
    reply(501, "Syntax error: command needs an argument.");
    co_return;
  }

  // One-command state: RNFR must be followed by RNTO, REST by a transfer
  // (RFC 959 4.1.3, RFC 3659 5.3); anything else in between cancels them.
  rename_source_ = std::exchange(rename_from_, nullptr);
  if ((spec->flags & kKeepsRest) == 0) rest_for_command_ = std::exchange(rest_offset_, 0);

  Request request{*spec, std::move(command.argument), cwd_, false, false, {}};
  if (spec->path != PathArg::none) {
    std::string_view path_text = request.argument;
    if (spec->path == PathArg::listing) {
      auto parsed = list_arguments(request.argument);
      request.list_all = parsed.all;
      request.written = std::move(parsed.path);
      path_text = request.written;
    }
    if (path_text.find('\0') != std::string_view::npos ||
        path_text.size() > limits::kMaxPathLength) {
      reply(501, "Invalid path.");
      co_return;
    }
    request.path_given = !path_text.empty();
    request.path = request.path_given ? resolve(path_text) : cwd_;
    if (spec->perm != 0 && !allowed(spec->perm, request.path)) {
      reply(550, "Not enough privileges.");
      co_return;
    }
  }
  co_await (this->*(spec->handler))(request);
}

// RFC 959 4.1: "Server PI, after receiving 'IP', scans the Telnet stream
// for EXACTLY ONE FTP command" (4.1.3 ABOR: IP and Synch come before ABOR).
// A command that waits for the transfer holds the command loop, so the lines
// behind it are read here instead: each read is appended to the queued bytes
// (unread_), which stay in order for the loop; an ABOR among them aborts the
// transfer now, and is answered 226 when its turn comes, after the
// transfer's 426 and the replies of the commands before it. Plain control
// connections only: a TLS one is read through its SSL stream, which allows
// one read at a time (the command loop's); there an ABOR behind another
// command waits its turn as before.
void Session::watch_for_abort() {
  if (control_tls_) return;
  watching_abort_ = true;
  if (abort_queued()) {
    abort_queued_transfer();
    return;
  }
  if (!abort_wait_armed_) arm_abort_watch();
}

void Session::arm_abort_watch() {
  abort_wait_armed_ = true;
  control_.async_wait(asio::ip::tcp::socket::wait_read,
                      [self = shared_from_this()](const std::error_code& ec) {
                        self->abort_wait_armed_ = false;
                        if (ec || self->closed_ || !self->watching_abort_) return;
                        self->read_ahead_for_abort();
                      });
}

void Session::read_ahead_for_abort() {
  for (;;) {
    // Bounded: past this much queued input the watch stops (the rest stays
    // in the socket for the command loop).
    if (unread_.size() >= limits::kMaxReadAhead) return;
    std::error_code ec;
    const std::string_view got = read_available(ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) {
      arm_abort_watch();
      return;
    }
    // End of stream or an error: the command loop reads it again (a closed
    // socket keeps reporting its end) and closes then.
    if (ec || got.empty()) return;
    // unread_ lies in pipelined_ while a command runs (keep_unread()).
    std::string queued;
    queued.reserve(unread_.size() + got.size());
    queued.append(unread_).append(got);
    pipelined_ = std::move(queued);
    unread_ = pipelined_;
    if (abort_queued()) {
      abort_queued_transfer();
      return;
    }
  }
}

void Session::abort_queued_transfer() {
  watching_abort_ = false;
  // The transfer may have ended on its own meanwhile: then the ABOR is
  // answered as one with no transfer.
  if (!transfer_) return;
  abort_transfer();
  aborted_ahead_ = true;
}

bool Session::abort_queued() const {
  // The queued bytes begin at a line boundary: the command loop has just
  // taken a whole line. A copy of the reader scans them, consuming nothing.
  // Only a line the command loop will run as ABOR counts: no argument (501
  // otherwise), and not behind a command after which it would not abort
  // this transfer (ends_abort_scope); the scan stops at those.
  protocol::LineReader scan;
  std::string_view rest = unread_;
  for (;;) {
    const auto status = scan.next(rest);
    if (status == protocol::LineReader::Status::need_more) return false;
    if (status != protocol::LineReader::Status::line) continue;
    const auto command = protocol::split_command(scan.line());
    if (command.verb == "ABOR" && command.argument.empty()) return true;
    const CommandSpec* spec = find_command(command.verb);
    if (spec != nullptr && ends_abort_scope(*spec)) return false;
  }
}

bool Session::ends_abort_scope(const CommandSpec& spec) {
  // An ABOR after one of these is not the running transfer's: after a
  // command that starts a transfer of its own it is that transfer's; after
  // one that ends the login (REIN, USER, AUTH) it gets 530.
  if ((spec.flags & kStartsTransfer) != 0) return true;
  return spec.handler == &Session::cmd_rein || spec.handler == &Session::cmd_user ||
         spec.handler == &Session::cmd_auth;
}

void Session::check_deadlines(Clock::time_point now) {
  if (closed_ || timed_out_) return;
  std::string_view expired;
  if (!account_ && now - connected_ >= config_.login_timeout) {
    expired = "Login timed out.";
  } else if (transfer_) {
    // A stalled data connection: cut it; the transfer replies 426, and its
    // end restarts the idle deadline.
    if (transfer_->stalled || now - transfer_->progress.last_activity < config_.data_timeout) {
      return;
    }
    log_info("Data connection timed out.");
    transfer_->stalled = true;
    abort_transfer();
    return;
  } else if (now - last_command_ >= config_.idle_timeout) {
    expired = "Control connection timed out.";
  } else {
    return;
  }
  // RFC 959 4.2: 421 Service not available, closing control connection.
  log_info(expired);
  timed_out_ = true;
  reply(421, expired);
  asio::co_spawn(
      control_.get_executor(),
      [self = shared_from_this()] { return self->close_after_final_reply(); }, asio::detached);
}

void Session::reply(int code, std::string_view text) {
  count_reply(services_.hooks, code);
  std::string formatted = protocol::format_reply(code, text);
  if (config_.log_commands) {
    spdlog::debug("{} -> {}", log_prefix(),
                  std::string_view(formatted).substr(0, formatted.size() - 2));
  }
  send(std::move(formatted));
}

void Session::reply_lines(int code, std::string_view first, const std::vector<std::string>& body,
                          std::string_view last) {
  count_reply(services_.hooks, code);
  std::string formatted = protocol::format_multiline(code, first, body, last);
  if (config_.log_commands) spdlog::debug("{} -> {} {} ...", log_prefix(), code, first);
  send(std::move(formatted));
}

void Session::send(std::string data) {
  if (closed_) return;
  if (outbox_.size() > limits::kMaxPendingReplyBytes) {
    // A client that never reads its replies cannot make us buffer forever:
    // what is still queued (unread) has a ceiling; one large reply (STAT of
    // a big directory, bounded by kMaxListingEntries) is fine.
    log_info("Reply queue full; closing.");
    close();
    return;
  }
  if (outbox_.empty()) {
    outbox_ = std::move(data);
  } else {
    outbox_ += data;
  }
  if (!writing_) {
    writing_ = true;
    flushed_.reset();
    asio::co_spawn(
        control_.get_executor(), [self = shared_from_this()] { return self->write_loop(); },
        asio::detached);
  }
}

asio::awaitable<void> Session::write_loop() {
  while (!outbox_.empty() && !closed_) {
    // The batch is this coroutine's: an idle session keeps no reply buffer.
    const std::string batch = std::exchange(outbox_, std::string());
    std::error_code ec;
    co_await write_control(batch, ec);
    if (ec) {
      close();
      break;
    }
  }
  writing_ = false;
  flushed_.notify();
}

asio::awaitable<void> Session::flush() { co_await flushed_.wait(); }

asio::awaitable<void> Session::close_after_flush() {
  co_await flush();
  close();
}

void Session::request_shutdown() {
  if (closed_ || shutting_down_) return;
  shutting_down_ = true;
  if (transfer_) return;  // run_transfer closes after the transfer ends
  reply(421, "Server shutting down.");
  asio::co_spawn(
      control_.get_executor(), [self = shared_from_this()] { return self->close_after_flush(); },
      asio::detached);
}

void Session::close() {
  if (closed_) return;
  closed_ = true;
  std::error_code ignored;
  control_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  control_.close(ignored);
  abort_transfer();
  data_.cancel();
  flushed_.notify();
}

bool Session::allowed(char letter, const VirtualPath& path) const {
  return account_ && services_.authorizer.has_perm(*account_, letter, path);
}

void Session::reply_error(std::error_code error, int code) {
  std::string text = error.message();
  if (error == std::errc::permission_denied || error == std::errc::operation_not_permitted) {
    text = "Permission denied";
  }
  reply(code, text + ".");
}

VirtualPath Session::resolve(std::string_view argument) const {
  return VirtualPath::resolve(cwd_, argument);
}

std::string Session::log_prefix() const {
  return fmt::format("{}:{}-[{}]", protocol::unmap(peer_.address()).to_string(), peer_.port(),
                     account_ ? account_->name : std::string());
}

void Session::log_info(std::string_view message) const {
  spdlog::info("{} {}", log_prefix(), message);
}

void Session::log_failure(std::string_view what, std::exception_ptr error) const {
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    spdlog::error("{} {}: {}", log_prefix(), what, e.what());
  } catch (...) {
    spdlog::error("{} {}: an unknown error", log_prefix(), what);
  }
}

SessionEvent Session::session_event() const {
  return {protocol::unmap(peer_.address()).to_string(), peer_.port(),
          account_ ? account_->name : std::string()};
}

template <typename Event>
void Session::fire(const std::function<void(const Event&)>& hook, const Event& event) const {
  if (!hook) return;
  try {
    hook(event);
  } catch (const std::exception& e) {
    spdlog::error("{} event hook failed: {}", log_prefix(), e.what());
  } catch (...) {
    spdlog::error("{} event hook failed", log_prefix());
  }
}

template void Session::fire(const std::function<void(const SessionEvent&)>&,
                            const SessionEvent&) const;
template void Session::fire(const std::function<void(const TransferEvent&)>&,
                            const TransferEvent&) const;

void Session::end_login() {
  if (!account_) return;
  log_info(fmt::format("USER '{}' logged out.", account_->name));
  fire(services_.hooks.on_logout, session_event());
  account_.reset();
  tree_.reset();
}

}  // namespace cppftpd
