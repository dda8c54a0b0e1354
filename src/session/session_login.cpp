// Login and account commands: USER, PASS, ACCT, REIN, QUIT (RFC 959 4.1.1).

#include "session/session.hpp"

#include "fs/credential_tree.hpp"

#include "protocol/host_port.hpp"
#include "protocol/limits.hpp"
#include "protocol/line_reader.hpp"

#include <spdlog/spdlog.h>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/redirect_error.hpp>
#include <asio/use_awaitable.hpp>

namespace cppftpd {

namespace {

bool is_anonymous_name(std::string_view user) {
  const auto name = protocol::upper_ascii(user);
  return name == "ANONYMOUS" || name == "FTP";
}

}  // namespace

void Session::reset_login() {
  end_login();
  pending_user_.reset();
  cwd_ = VirtualPath();
  ascii_ = true;
  rest_offset_ = 0;
  rename_from_.reset();
  epsv_all_ = false;
  mlst_facts_ = protocol::kDefaultMlstFacts;
  data_.cancel();
}

asio::awaitable<void> Session::close_after_final_reply() {
  auto self = shared_from_this();
  asio::steady_timer limit(control_.get_executor(), limits::kFinalReplyDrain);
  limit.async_wait([self](const std::error_code& ec) {
    if (!ec) self->close();
  });
  co_await close_after_flush();
  limit.cancel();
}

asio::awaitable<void> Session::cmd_user(const Request& request) {
  // RFC 959 4.1.1: a new USER at any point flushes the login and begins the
  // login sequence again.
  // draft-ietf-ftpext-sec-consider-02 section 7, "Protecting Usernames":
  // "it is suggested that a server always return 331 to the USER command
  // and then reject the combination of username and password for an invalid
  // username." USER never consults the authorizer, so it reveals nothing.
  const bool had_account = account_ != nullptr;
  if (had_account) reset_login();
  pending_user_ = request.argument;
  if (is_anonymous_name(request.argument)) {
    reply(331, "Anonymous login ok, send your complete email address as your password.");
  } else if (had_account) {
    reply(331, "Previous account information was flushed, send password.");
  } else {
    reply(331, "Username ok, send password.");
  }
  co_return;
}

asio::awaitable<void> Session::cmd_pass(const Request& request) {
  if (account_) {
    reply(503, "User already authenticated.");
    co_return;
  }
  if (!pending_user_) {
    reply(503, "Login with USER first.");
    co_return;
  }
  const std::string user = std::exchange(pending_user_, std::nullopt).value();

  // The authorizer may be slow (a database, the network): it runs on the
  // blocking pool so this io_context keeps serving other sessions.
  // (A named task, not a temporary inside co_await: GCC 12 miscompiles
  // non-trivial temporaries in co_await expressions.)
  auto check = [&authorizer = services_.authorizer, user,
                password = request.argument]() -> asio::awaitable<std::optional<Account>> {
    co_return authorizer.authenticate(user, password);
  };
  std::optional<Account> account;
  try {
    account =
        co_await asio::co_spawn(services_.blocking_pool, std::move(check), asio::use_awaitable);
  } catch (const std::exception& e) {
    spdlog::error("{} authorizer failed: {}", log_prefix(), e.what());
    account.reset();
  }
  if (closed_) co_return;

  std::unique_ptr<FileTree> tree;
  if (account) {
    // An account of a system user (UnixAuthorizer) touches files only as
    // that user: its tree switches the calling thread's fs credentials for
    // every operation (fs/credential_tree.hpp).
    auto opened = account->credentials ? open_tree_as(services_.filesystem, account->home,
                                                      fs_identity(*account->credentials))
                                       : services_.filesystem.open_tree(account->home);
    if (!opened) {
      spdlog::error("{} cannot open home {} of '{}': {}", log_prefix(), account->home, user,
                    opened.error().message());
      reply(530, "Cannot access home directory.");
      co_return;
    }
    tree = std::move(opened).value();
  }

  if (!tree) {
    ++failed_logins_;
    log_info(fmt::format("USER '{}' failed login.", user));
    SessionEvent failed = session_event();
    failed.user = user;
    fire(services_.hooks.on_login_failed, failed);
    // A delay before 530 slows brute force (RFC 2577 "Protecting Passwords");
    // it is a timer, so other sessions are not stalled.
    asio::steady_timer delay(control_.get_executor(), config_.failed_login_delay);
    std::error_code ec;
    co_await delay.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (closed_) co_return;
    // sec-consider-02 section 5: parallel connections subvert the
    // per-connection limit, so failures also count per address, across
    // sessions ("detect suspicious activity across sessions and refuse
    // further connections from the site").
    if (services_.login_failed && services_.login_failed(peer_.address())) {
      log_info("Too many failed logins from this address: banned.");
      reply(421, "Too many failed logins from your address; try again later.");
      co_await close_after_final_reply();
      co_return;
    }
    if (config_.max_login_attempts != 0 && failed_logins_ >= config_.max_login_attempts) {
      reply(530, "Maximum login attempts. Disconnecting.");
      co_await close_after_final_reply();
      co_return;
    }
    reply(530, "Authentication failed.");
    co_return;
  }

  if (services_.login_succeeded) services_.login_succeeded(peer_.address());
  account_ = services_.accounts.share(std::move(*account));
  tree_ = std::move(tree);
  cwd_ = VirtualPath();
  log_info(fmt::format("USER '{}' logged in.", account_->name));
  fire(services_.hooks.on_login, session_event());
  reply(230, account_->msg_login);
}

asio::awaitable<void> Session::cmd_host(const Request& request) {
  // RFC 7151 3: HOST "MUST be issued before the user is authenticated";
  // after, it is "an erroneous sequence of commands" (503).
  if (account_) {
    reply(503, "HOST must come before the login.");
    co_return;
  }
  // 3.3: "A 501 reply SHOULD be sent if the hostname given is syntactically
  // invalid, and a 504 reply SHOULD be sent if a syntactically valid hostname
  // is not a valid virtual hostname for the server"; either way the HOST is
  // ignored (3.3 a) and the client may send another.
  const auto host = protocol::parse_host_argument(request.argument);
  if (!host) {
    reply(501, "Invalid host name.");
    co_return;
  }
  // 3.1: "if the IPv4 or IPv6 literal address specified by the client does
  // not match the literal address for the server, the server MUST respond
  // with a 504 reply".
  if (host->literal && protocol::unmap(*host->literal) != protocol::unmap(local_.address())) {
    reply(504, "That address is not this server's.");
    co_return;
  }
  // One virtual host here: every name selects it (3.3 lets a server route
  // unknown names to a default host). A HOST repeated before login counts as
  // the last one (3); a USER already sent is flushed, since the login
  // belongs to the host chosen.
  pending_user_.reset();
  reply(220, "Host accepted.");
}

asio::awaitable<void> Session::cmd_acct(const Request&) {
  reply(202, "Command not implemented, superfluous at this site.");
  co_return;
}

asio::awaitable<void> Session::cmd_rein(const Request&) {
  // RFC 959 4.1.1: flush the account, keep the connection; a transfer in
  // progress has already completed (REIN waits for it in dispatch).
  // RFC 4217 13: on a protected session REIN would have to clear TLS and go
  // back to the clear, exposing what follows; it is not offered there.
  if (control_tls_) {
    reply(502, "REIN is not available on a TLS-protected session; reconnect instead.");
    co_return;
  }
  reset_login();
  failed_logins_ = 0;
  reply(220, "Service ready for new user.");
  co_return;
}

asio::awaitable<void> Session::cmd_quit(const Request&) {
  // RFC 959 4.1.1: with a transfer in progress, the server answers it first
  // and closes afterwards. One still waiting for its data connection has
  // moved nothing: it is cut (426) instead of holding QUIT for the timeout.
  if (transfer_ && transfer_->socket == nullptr && !data_.connection_pending()) abort_transfer();
  co_await transfer_done_.wait();
  const std::string goodbye = account_ ? account_->msg_quit : std::string("Goodbye.");
  end_login();
  reply(221, goodbye);
  co_await close_after_final_reply();
}

}  // namespace cppftpd
