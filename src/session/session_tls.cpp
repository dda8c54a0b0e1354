// FTPS on the control connection (RFC 4217, RFC 2228): AUTH, PBSZ, PROT,
// CCC, and the reads and writes that go through TLS once it is on.

#include "session/session.hpp"

#include "protocol/line_reader.hpp"
#include "tls/handshake.hpp"

#include <spdlog/spdlog.h>
#include <asio/redirect_error.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

#include <charconv>

namespace cppftpd {

namespace {

constexpr auto kAwait = asio::use_awaitable;

}  // namespace

asio::awaitable<std::string_view> Session::read_control_tls(std::error_code& ec) {
  const std::size_t got = co_await control_tls_->async_read_some(asio::buffer(*tls_read_buffer_),
                                                                 asio::redirect_error(kAwait, ec));
  co_return std::string_view(tls_read_buffer_->data(), ec ? 0 : got);
}

std::string_view Session::read_available(std::error_code& ec) {
  // One buffer per worker thread: the session waits for readiness with no
  // buffer of its own, then reads without blocking (the socket is
  // non-blocking) and the caller consumes the bytes before it suspends again.
  thread_local std::array<char, 4096> buffer;
  const std::size_t got = control_.read_some(asio::buffer(buffer), ec);
  return std::string_view(buffer.data(), ec ? 0 : got);
}

asio::awaitable<void> Session::write_control(std::string_view data, std::error_code& ec) {
  if (control_tls_) {
    co_await asio::async_write(*control_tls_, asio::buffer(data), asio::redirect_error(kAwait, ec));
  } else {
    co_await asio::async_write(control_, asio::buffer(data), asio::redirect_error(kAwait, ec));
  }
}

asio::awaitable<bool> Session::start_control_tls() {
  auto stream = std::make_unique<ControlTls>(control_, services_.tls->context());
  // Every session gets its own session-id context: its data connections can
  // resume this session and no other (see tls::SessionBinding).
  tls_binding_ = std::make_unique<tls::SessionBinding>();
  tls_binding_->apply(stream->native_handle());
  const std::error_code ec = co_await tls::server_handshake(*stream, config_.tls.handshake_timeout);
  if (ec) {
    // RFC 4217 10.1: a handshake that failed part-way leaves the connection
    // in an unknown state: drop it.
    log_info(fmt::format("TLS handshake on the control connection failed: {}", ec.message()));
    co_return false;
  }
  log_info(
      fmt::format("TLS on the control connection: {}", tls::describe(stream->native_handle())));
  control_tls_ = std::move(stream);
  tls_read_buffer_ = std::make_unique<std::array<char, 4096>>();
  co_return true;
}

asio::awaitable<void> Session::cmd_auth(const Request& request) {
  if (control_tls_) {
    reply(503, "Already using TLS.");
    co_return;
  }
  // RFC 4217 8 names TLS (TLS-C a synonym); SSL is what older clients send.
  // TLS-P (the drafts before RFC 4217) also protects the data connections.
  const std::string mechanism = protocol::upper_ascii(request.argument);
  if (mechanism != "TLS" && mechanism != "TLS-C" && mechanism != "SSL" && mechanism != "TLS-P") {
    reply(504, "AUTH mechanism not understood (use AUTH TLS).");
    co_return;
  }
  // RFC 2228 3 / RFC 4217 4.2: 234, then the TLS negotiation.
  reply(234, fmt::format("AUTH {} successful.", mechanism));
  co_await flush();
  if (closed_) co_return;
  // Whatever the client sent after AUTH and before the handshake travelled in
  // the clear, where anyone could have put it: it is dropped, never run
  // under the protection that follows (the STARTTLS command injection of
  // CVE-2011-0411).
  unread_ = {};
  reader_.reset();
  if (!co_await start_control_tls()) {
    close();
    co_return;
  }
  // RFC 4217 4.2: after AUTH the user must log in again, and every transfer
  // parameter is reset as if by REIN.
  reset_login();
  pbsz_done_ = false;
  protect_data_ = mechanism == "TLS-P";
}

asio::awaitable<void> Session::cmd_ccc(const Request&) {
  // RFC 4217 5: 533 when the control connection is not protected; 534 when
  // the server will not clear it. Clearing would expose every later command
  // (RFC 4217 15.3), so it is refused.
  if (!control_tls_) {
    reply(533, "Command channel is not protected.");
  } else {
    reply(534, "CCC not allowed: the control channel stays protected.");
  }
  co_return;
}

asio::awaitable<void> Session::cmd_pbsz(const Request& request) {
  // RFC 2228 3 (PBSZ): 503 before a security exchange; 501 for what is not
  // a 32-bit decimal; else 200. TLS is a stream: the size is always 0
  // (RFC 4217 9), said as "PBSZ=0" when the client asked for another.
  if (!control_tls_) {
    reply(503, "PBSZ not allowed on insecure control connection.");
    co_return;
  }
  const std::string& text = request.argument;
  std::uint32_t size = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), size);
  if (ec != std::errc() || end != text.data() + text.size()) {
    reply(501, "PBSZ needs a decimal integer below 2^32.");
    co_return;
  }
  pbsz_done_ = true;
  reply(200, size == 0 ? std::string("PBSZ=0 successful.") : std::string("PBSZ=0"));
}

asio::awaitable<void> Session::cmd_prot(const Request& request) {
  // RFC 2228 3 (PROT) and RFC 4217 9: C and P are the levels TLS has; S
  // and E are levels it does not (536); anything else 504.
  if (!control_tls_) {
    reply(503, "PROT not allowed on insecure control connection.");
    co_return;
  }
  if (!pbsz_done_) {
    reply(503, "You must issue the PBSZ command prior to PROT.");
    co_return;
  }
  const std::string level = protocol::upper_ascii(request.argument);
  if (level == "C") {
    if (config_.tls.data_required) {
      reply(534, "PROT C refused: data connections must be protected.");
      co_return;
    }
    protect_data_ = false;
    reply(200, "Protection set to Clear.");
  } else if (level == "P") {
    protect_data_ = true;
    reply(200, "Protection set to Private.");
  } else if (level == "S" || level == "E") {
    reply(536, fmt::format("PROT {} unsupported (use C or P).", level));
  } else {
    reply(504, "Unrecognized PROT type (use C or P).");
  }
  co_return;
}

}  // namespace cppftpd
