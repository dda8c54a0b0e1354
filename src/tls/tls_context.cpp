#include "tls/tls_context.hpp"

#include <fmt/format.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <stdexcept>

namespace cppftpd::tls {

namespace {

// Sessions resumable by data connections: long enough for a long control
// session, bounded so the cache cannot grow without limit.
constexpr long kSessionTimeoutSeconds = 12 * 3600;
constexpr long kSessionCacheSize = 20'000;
constexpr long kSelfSignedDays = 365;

struct PkeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct X509Free {
  void operator()(X509* cert) const { X509_free(cert); }
};
struct ExtFree {
  void operator()(X509_EXTENSION* ext) const { X509_EXTENSION_free(ext); }
};

// OpenSSL's queued errors as one message (and the queue emptied).
std::string openssl_reason() {
  std::string text;
  while (const unsigned long code = ERR_get_error()) {
    char buffer[256];
    ERR_error_string_n(code, buffer, sizeof buffer);
    if (!text.empty()) text += "; ";
    text += buffer;
  }
  return text.empty() ? std::string("unknown OpenSSL error") : text;
}

[[noreturn]] void fail(const std::string& what) {
  throw std::runtime_error(fmt::format("TLS: {}: {}", what, openssl_reason()));
}

// An ECDSA P-256 key and a certificate for it, valid for localhost: made in
// well under a millisecond, accepted by every current client (which is then
// told not to verify it, or to pin its fingerprint from the log).
void use_self_signed(SSL_CTX* ctx) {
  std::unique_ptr<EVP_PKEY, PkeyFree> key(EVP_EC_gen("P-256"));
  if (!key) fail("cannot generate a key");
  std::unique_ptr<X509, X509Free> cert(X509_new());
  if (!cert) fail("cannot make a certificate");
  X509_set_version(cert.get(), 2);  // v3
  unsigned char serial[16];
  if (RAND_bytes(serial, sizeof serial) != 1) fail("no randomness for the serial number");
  serial[0] &= 0x7f;  // positive
  BIGNUM* number = BN_bin2bn(serial, sizeof serial, nullptr);
  BN_to_ASN1_INTEGER(number, X509_get_serialNumber(cert.get()));
  BN_free(number);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), kSelfSignedDays * 24 * 3600);
  X509_set_pubkey(cert.get(), key.get());
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("cppftpd self-signed"), -1, -1,
                             0);
  X509_set_issuer_name(cert.get(), name);
  X509V3_CTX v3{};
  X509V3_set_ctx(&v3, cert.get(), cert.get(), nullptr, nullptr, 0);
  std::unique_ptr<X509_EXTENSION, ExtFree> san(
      X509V3_EXT_conf_nid(nullptr, &v3, NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1,IP:::1"));
  if (!san || X509_add_ext(cert.get(), san.get(), -1) != 1) fail("cannot add subjectAltName");
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0) fail("cannot sign the certificate");
  if (SSL_CTX_use_certificate(ctx, cert.get()) != 1 ||
      SSL_CTX_use_PrivateKey(ctx, key.get()) != 1) {
    fail("cannot use the generated certificate");
  }
}

std::string sha256_fingerprint(const X509* cert) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (cert == nullptr || X509_digest(cert, EVP_sha256(), digest, &length) != 1) return {};
  std::string text;
  for (unsigned int i = 0; i < length; ++i) {
    if (i != 0) text += ':';
    text += fmt::format("{:02X}", digest[i]);
  }
  return text;
}

}  // namespace

TlsContext::TlsContext(const TlsConfig& config) : context_(asio::ssl::context::tls_server) {
  SSL_CTX* ctx = context_.native_handle();
  ERR_clear_error();
  // Compression (CRIME) and renegotiation (a CPU-exhaustion lever) are off;
  // the server's cipher order wins.
  SSL_CTX_set_options(
      ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  int floor = TLS1_2_VERSION;
  if (config.min_version == "1.3") {
    floor = TLS1_3_VERSION;
  } else if (config.min_version != "1.2") {
    throw std::runtime_error("TLS: minimum version must be 1.2 or 1.3, not '" + config.min_version +
                             "'");
  }
  if (SSL_CTX_set_min_proto_version(ctx, floor) != 1) fail("cannot set the minimum version");
  if (SSL_CTX_set_cipher_list(ctx, config.ciphers.c_str()) != 1) {
    fail("cipher list '" + config.ciphers + "'");
  }
  SSL_CTX_set_dh_auto(ctx, 1);

  if (config.certificate_file.empty()) {
    if (!config.private_key_file.empty()) {
      throw std::runtime_error("TLS: a key file was given without a certificate file");
    }
    use_self_signed(ctx);
    self_signed_ = true;
  } else {
    if (SSL_CTX_use_certificate_chain_file(ctx, config.certificate_file.c_str()) != 1) {
      fail("certificate file '" + config.certificate_file + "'");
    }
    const std::string& key_file =
        config.private_key_file.empty() ? config.certificate_file : config.private_key_file;
    if (SSL_CTX_use_PrivateKey_file(ctx, key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
      fail("key file '" + key_file + "'");
    }
    if (SSL_CTX_check_private_key(ctx) != 1) {
      fail("key file '" + key_file + "' does not match the certificate");
    }
  }
  fingerprint_ = sha256_fingerprint(SSL_CTX_get0_certificate(ctx));

  // Data connections resume the control connection's session (RFC 4217
  // 10.2: "It is reasonable for the server to insist that the data
  // connection uses a TLS cached session"): TLS 1.2 session IDs come from
  // this cache; tickets (TLS 1.2 and 1.3) carry the session themselves.
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER);
  SSL_CTX_sess_set_cache_size(ctx, kSessionCacheSize);
  SSL_CTX_set_timeout(ctx, kSessionTimeoutSeconds);
}

SessionBinding::SessionBinding() {
  if (RAND_bytes(id_.data(), static_cast<int>(id_.size())) != 1) {
    throw std::runtime_error("TLS: no randomness for a session binding");
  }
}

void SessionBinding::apply(SSL* ssl) const {
  static_assert(sizeof(id_) <= SSL_MAX_SID_CTX_LENGTH);
  SSL_set_session_id_context(ssl, id_.data(), static_cast<unsigned int>(id_.size()));
}

void prepare_data_connection(SSL* ssl) { SSL_set_num_tickets(ssl, 0); }

bool session_resumed(SSL* ssl) { return SSL_session_reused(ssl) == 1; }

std::string describe(SSL* ssl) {
  return fmt::format("{} {}", SSL_get_version(ssl), SSL_get_cipher_name(ssl));
}

}  // namespace cppftpd::tls
