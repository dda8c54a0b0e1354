#pragma once
// A blocking FTPS client for the protocol tests: OpenSSL over the raw test
// sockets of ftp_test_client.hpp, so every read and write keeps their
// timeouts. It can resume a session (or deliberately not) on each data
// connection, which is what the session-reuse tests need.

#include "ftp_test_client.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>

namespace ftptest {

struct SslCtxFree {
  void operator()(SSL_CTX* ctx) const { SSL_CTX_free(ctx); }
};
struct SslFree {
  void operator()(SSL* ssl) const { SSL_free(ssl); }
};
struct SessionFree {
  void operator()(SSL_SESSION* session) const { SSL_SESSION_free(session); }
};
using SslCtxPtr = std::unique_ptr<SSL_CTX, SslCtxFree>;
using SslPtr = std::unique_ptr<SSL, SslFree>;
using SessionPtr = std::unique_ptr<SSL_SESSION, SessionFree>;

/// `size` bytes of a repeatable pseudo-random pattern.
inline std::string pattern(std::size_t size, unsigned seed) {
  std::string out(size, '\0');
  std::uint32_t state = seed * 2654435761U + 1;
  for (auto& c : out) {
    state = state * 1664525U + 1013904223U;
    c = static_cast<char>(state >> 24);
  }
  return out;
}

/// A client context that does not verify the (self-signed) certificate.
/// `max_version` 0: the library's range; else e.g. TLS1_1_VERSION, with the
/// security level lowered so that such old versions are really offered.
inline SslCtxPtr client_context(int max_version = 0, int min_version = 0) {
  SslCtxPtr ctx(SSL_CTX_new(TLS_client_method()));
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_NONE, nullptr);
  if (max_version != 0) {
    SSL_CTX_set_security_level(ctx.get(), 0);
    SSL_CTX_set_min_proto_version(ctx.get(), min_version != 0 ? min_version : TLS1_VERSION);
    SSL_CTX_set_max_proto_version(ctx.get(), max_version);
  }
  return ctx;
}

/// One TLS connection over a connected test socket.
class TlsConnection {
 public:
  TlsConnection() = default;
  /// Handshakes as the TLS client; `resume` is offered when given.
  TlsConnection(SSL_CTX* ctx, Fd fd, SSL_SESSION* resume = nullptr) : fd_(std::move(fd)) {
    if (!fd_) return;
    ssl_.reset(SSL_new(ctx));
    SSL_set_fd(ssl_.get(), fd_.get());
    if (resume != nullptr) SSL_set_session(ssl_.get(), resume);
    ok_ = SSL_connect(ssl_.get()) == 1;
    ERR_clear_error();
  }

  bool ok() const { return ok_; }
  SSL* ssl() const { return ssl_.get(); }
  int fd() const { return fd_.get(); }
  bool resumed() const { return ok_ && SSL_session_reused(ssl_.get()) == 1; }
  /// The negotiated protocol version (TLS1_2_VERSION, ...).
  int version() const { return ok_ ? SSL_version(ssl_.get()) : 0; }

  bool write(std::string_view data) {
    while (!data.empty()) {
      const int put = SSL_write(ssl_.get(), data.data(), static_cast<int>(data.size()));
      if (put <= 0) return false;
      data.remove_prefix(static_cast<std::size_t>(put));
    }
    return true;
  }
  /// Some bytes, or "" at the end (clean_eof: the peer sent close_notify).
  std::string read_some(bool* clean_eof = nullptr) {
    char buffer[16384];
    const int got = SSL_read(ssl_.get(), buffer, sizeof buffer);
    if (got <= 0) {
      if (clean_eof != nullptr) {
        *clean_eof = SSL_get_error(ssl_.get(), got) == SSL_ERROR_ZERO_RETURN;
      }
      ERR_clear_error();
      return {};
    }
    return std::string(buffer, static_cast<std::size_t>(got));
  }
  std::string read_all(bool* clean_eof = nullptr) {
    std::string out;
    for (;;) {
      std::string chunk = read_some(clean_eof);
      if (chunk.empty()) return out;
      out += chunk;
    }
  }
  /// Closes without close_notify, as many clients end an upload; the session
  /// stays resumable on this side (OpenSSL would otherwise drop it).
  void close_without_notify() {
    if (ok_) {
      SSL_set_quiet_shutdown(ssl_.get(), 1);
      SSL_shutdown(ssl_.get());
    }
    ssl_.reset();
    fd_.reset();
  }
  /// Sends close_notify (and waits for the server's) as a polite client does.
  void shutdown() {
    if (!ok_) return;
    if (SSL_shutdown(ssl_.get()) == 0) SSL_shutdown(ssl_.get());
    ERR_clear_error();
  }

 private:
  Fd fd_;
  SslPtr ssl_;
  bool ok_ = false;
};

/// An FTPS control connection: explicit (AUTH TLS after the greeting) or
/// implicit (TLS first).
class TlsControlClient {
 public:
  TlsControlClient(std::uint16_t port, bool implicit, SSL_CTX* ctx)
      : ctx_(ctx), plain_fd_(connect_tcp(port, "127.0.0.1")) {
    if (!plain_fd_) return;
    if (implicit) {
      start_tls();
      if (tls_.ok()) greeting_ = read_reply();
    } else {
      greeting_ = read_reply();
    }
  }

  const Reply& greeting() const { return greeting_; }
  bool secure() const { return tls_.ok(); }
  TlsConnection& tls() { return tls_; }
  int fd() const { return tls_.ok() ? tls_.fd() : plain_fd_.get(); }

  /// AUTH TLS and the handshake; the AUTH reply.
  Reply auth(std::string_view mechanism = "TLS") {
    const Reply reply = cmd("AUTH " + std::string(mechanism));
    if (reply.code == 234) start_tls();
    return reply;
  }
  /// AUTH TLS, PBSZ 0, PROT P, login as user: the usual FTPS start.
  bool secure_login(std::string_view user = kUser, std::string_view password = kPassword) {
    return auth().code == 234 && cmd("PBSZ 0").code == 200 && cmd("PROT P").code == 200 &&
           cmd("USER " + std::string(user)).code == 331 &&
           cmd("PASS " + std::string(password)).code == 230;
  }

  bool send_raw(std::string_view bytes) {
    return tls_.ok() ? tls_.write(bytes) : send_all(plain_fd_.get(), bytes);
  }
  Reply cmd(std::string_view line) {
    send_raw(std::string(line) + "\r\n");
    return read_reply();
  }
  Reply read_reply() {
    Reply reply;
    std::string line;
    if (!read_line(line, reply)) return reply;
    char separator = 0;
    const int code = reply_code_of(line, separator);
    if (code < 0) {
      reply.code = -1;
      return reply;
    }
    if (separator == '-') {
      const std::string end = line.substr(0, 3) + " ";
      do {
        if (!read_line(line, reply)) return reply;
      } while (line.compare(0, 4, end) != 0);
    }
    reply.code = code;
    return reply;
  }

  /// The TLS session to resume on data connections (after at least one
  /// reply was read under TLS, so TLS 1.3 tickets have arrived).
  SessionPtr session() const { return SessionPtr(SSL_get1_session(tls_.ssl())); }

  /// PASV and a plain TCP connection to its port.
  Fd open_pasv() {
    const Reply reply = cmd("PASV");
    EXPECT_EQ(reply.code, 227) << reply;
    const auto port = parse_pasv(reply);
    return port == 0 ? Fd() : connect_tcp(port, "127.0.0.1");
  }

  /// Whether the server has closed the connection (within the I/O timeout).
  bool wait_closed() {
    if (tls_.ok()) {
      while (!tls_.read_some().empty()) {
      }
      return true;
    }
    return ftptest::wait_closed(plain_fd_.get());
  }

 private:
  void start_tls() { tls_ = TlsConnection(ctx_, std::move(plain_fd_)); }

  bool read_line(std::string& line, Reply& reply) {
    for (;;) {
      const auto newline = buffer_.find('\n');
      if (newline != std::string::npos) {
        reply.raw.append(buffer_, 0, newline + 1);
        line = buffer_.substr(0, newline);
        buffer_.erase(0, newline + 1);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        reply.lines.push_back(line);
        return true;
      }
      if (tls_.ok()) {
        std::string chunk = tls_.read_some();
        if (chunk.empty()) return false;
        buffer_ += chunk;
      } else {
        char chunk[4096];
        const ssize_t got = ::recv(plain_fd_.get(), chunk, sizeof chunk, 0);
        if (got <= 0) return false;
        buffer_.append(chunk, static_cast<std::size_t>(got));
      }
    }
  }

  SSL_CTX* ctx_;
  Fd plain_fd_;
  TlsConnection tls_;
  Reply greeting_;
  std::string buffer_;
};

/// A transfer over a PROT P data connection: PASV, connect, TLS handshake
/// (resuming `resume` if given), the command, the data, the final reply.
struct TlsTransfer {
  Reply preliminary;
  bool handshake_ok = false;
  bool resumed = false;
  std::string data;
  bool clean_eof = false;
  Reply completion;
};

/// PASV, the command, the TLS handshake (resuming `resume` if given), then
/// `move` with the data connection, and the final reply.
inline TlsTransfer tls_transfer(TlsControlClient& client, SSL_CTX* ctx, std::string_view command,
                                SSL_SESSION* resume,
                                const std::function<void(TlsConnection&, TlsTransfer&)>& move) {
  TlsTransfer result;
  Fd fd = client.open_pasv();
  if (!fd) return result;
  result.preliminary = client.cmd(command);
  if (result.preliminary.code != 150) return result;
  TlsConnection data(ctx, std::move(fd), resume);
  result.handshake_ok = data.ok();
  result.resumed = data.resumed();
  if (data.ok()) {
    move(data, result);
    data.shutdown();
  }
  result.completion = client.read_reply();
  return result;
}

inline TlsTransfer tls_download(TlsControlClient& client, SSL_CTX* ctx, std::string_view command,
                                SSL_SESSION* resume) {
  return tls_transfer(client, ctx, command, resume, [](TlsConnection& data, TlsTransfer& result) {
    result.data = data.read_all(&result.clean_eof);
  });
}

inline TlsTransfer tls_upload(TlsControlClient& client, SSL_CTX* ctx, std::string_view command,
                              std::string_view content, SSL_SESSION* resume) {
  return tls_transfer(client, ctx, command, resume, [content](TlsConnection& data, TlsTransfer&) {
    EXPECT_TRUE(data.write(content));
  });
}

}  // namespace ftptest
