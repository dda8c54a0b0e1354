#pragma once
// TlsContext: the server's OpenSSL context for FTPS (RFC 4217), built once
// from TlsConfig and shared, read-only, by every session and worker.
// DataBinding ties a PROT P data connection to its control connection.

#include <cppftpd/config.hpp>

#include <asio/ssl/context.hpp>

#include <array>
#include <string>

using SSL = struct ssl_st;

namespace cppftpd::tls {

class TlsContext {
 public:
  /// Loads the certificate and key (or generates a self-signed pair when no
  /// certificate is configured), sets the protocol floor, the ciphers and the
  /// server session cache. Throws std::runtime_error naming the file and
  /// OpenSSL's reason when the configuration cannot be used.
  explicit TlsContext(const TlsConfig& config);

  asio::ssl::context& context() noexcept { return context_; }
  /// SHA-256 fingerprint of the certificate ("AB:CD:...").
  const std::string& fingerprint() const noexcept { return fingerprint_; }
  /// Whether the certificate was generated at start-up.
  bool self_signed() const noexcept { return self_signed_; }

 private:
  asio::ssl::context context_;
  std::string fingerprint_;
  bool self_signed_ = false;
};

/// A random TLS session-id context, one per control connection. OpenSSL
/// resumes a session only on a connection with the same session-id context
/// (TLS 1.2 session IDs and TLS 1.3 tickets alike), so a data connection
/// bound to it can resume this control connection's session and no other.
class SessionBinding {
 public:
  SessionBinding();
  /// Sets the binding on a connection before its handshake.
  void apply(SSL* ssl) const;

 private:
  std::array<unsigned char, 32> id_{};
};

/// Readies a data connection: no TLS 1.3 session tickets are sent on it.
/// Clients resume from the control connection, and a ticket the client never
/// reads makes its close reset the connection, which can destroy the end of
/// an upload the server has not read yet.
void prepare_data_connection(SSL* ssl);

/// Whether the completed handshake on `ssl` resumed a session.
bool session_resumed(SSL* ssl);
/// "TLSv1.3 TLS_AES_256_GCM_SHA384" for logs.
std::string describe(SSL* ssl);

}  // namespace cppftpd::tls
