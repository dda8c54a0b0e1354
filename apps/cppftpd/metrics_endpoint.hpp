#pragma once
// MetricsEndpoint: a tiny HTTP/1.0 responder for Prometheus (GET /metrics),
// on the DaemonLoop's context. One request per connection; the request head
// is bounded (kMaxRequestHead) and must arrive within kRequestTimeout; at
// most kMaxConnections are served at once (more are closed at once).

#include "metrics.hpp"

#include <asio/awaitable.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace cppftpd::cli {

inline constexpr std::size_t kMaxRequestHead = 4096;
inline constexpr std::chrono::seconds kRequestTimeout{5};
inline constexpr std::size_t kMaxConnections = 16;

/// What the first bytes of a request say.
struct RequestHead {
  enum class Status { incomplete, too_large, bad, ok };
  Status status = Status::incomplete;
  std::string method;
  std::string target;
};

/// Parses a request head ("GET /metrics HTTP/1.1\r\n...\r\n\r\n"); pure.
RequestHead parse_request_head(std::string_view data);

/// The whole HTTP/1.0 response to `head` (status line, headers, body).
std::string respond(const RequestHead& head, const Metrics& metrics);

/// "ADDR:PORT", "[IPv6]:PORT" -> endpoint; throws std::invalid_argument.
asio::ip::tcp::endpoint parse_listen_address(const std::string& text);

class MetricsEndpoint {
 public:
  /// Binds at once (throws std::system_error when it cannot).
  MetricsEndpoint(asio::io_context& context, const asio::ip::tcp::endpoint& where,
                  const Metrics& metrics);
  /// The bound endpoint (port 0 picks one).
  asio::ip::tcp::endpoint local_endpoint() const { return acceptor_.local_endpoint(); }

 private:
  asio::awaitable<void> accept_loop();
  asio::awaitable<void> serve(asio::ip::tcp::socket socket);

  asio::ip::tcp::acceptor acceptor_;
  const Metrics& metrics_;
  std::shared_ptr<std::size_t> active_ = std::make_shared<std::size_t>(0);
};

}  // namespace cppftpd::cli
