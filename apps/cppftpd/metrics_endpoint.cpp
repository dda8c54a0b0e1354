#include "metrics_endpoint.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

#include <charconv>
#include <stdexcept>

namespace cppftpd::cli {

namespace {

std::string response(std::string_view status, std::string_view type, std::string_view body) {
  return fmt::format(
      "HTTP/1.0 {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
      status, type, body.size(), body);
}

}  // namespace

RequestHead parse_request_head(std::string_view data) {
  RequestHead head;
  // RFC 9112 2.2: a bare LF may end a line; the head ends with an empty line.
  std::size_t end = data.find("\r\n\r\n");
  if (end == std::string_view::npos) end = data.find("\n\n");
  if (end == std::string_view::npos) {
    head.status = data.size() >= kMaxRequestHead ? RequestHead::Status::too_large
                                                 : RequestHead::Status::incomplete;
    return head;
  }
  if (end > kMaxRequestHead) {
    head.status = RequestHead::Status::too_large;
    return head;
  }
  std::string_view line = data.substr(0, data.find('\n'));
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  const auto first = line.find(' ');
  const auto second = first == std::string_view::npos ? first : line.find(' ', first + 1);
  if (first == 0 || second == std::string_view::npos || second == first + 1) {
    head.status = RequestHead::Status::bad;
    return head;
  }
  const std::string_view version = line.substr(second + 1);
  if (version != "HTTP/1.0" && version != "HTTP/1.1") {
    head.status = RequestHead::Status::bad;
    return head;
  }
  head.method = std::string(line.substr(0, first));
  head.target = std::string(line.substr(first + 1, second - first - 1));
  head.status = RequestHead::Status::ok;
  return head;
}

std::string respond(const RequestHead& head, const Metrics& metrics) {
  constexpr std::string_view kText = "text/plain; charset=utf-8";
  switch (head.status) {
    case RequestHead::Status::too_large:
      return response("431 Request Header Fields Too Large", kText, "request too large\n");
    case RequestHead::Status::bad:
    case RequestHead::Status::incomplete:
      return response("400 Bad Request", kText, "bad request\n");
    case RequestHead::Status::ok:
      break;
  }
  if (head.method != "GET") return response("405 Method Not Allowed", kText, "GET only\n");
  const std::string_view path = std::string_view(head.target).substr(0, head.target.find('?'));
  if (path != "/metrics") return response("404 Not Found", kText, "try /metrics\n");
  return response("200 OK", "text/plain; version=0.0.4; charset=utf-8", metrics.render());
}

asio::ip::tcp::endpoint parse_listen_address(const std::string& text) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    throw std::invalid_argument("expected ADDR:PORT (e.g. 127.0.0.1:9121 or [::1]:9121), not '" +
                                text + "'");
  }
  std::string host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  const std::string_view port_text = std::string_view(text).substr(colon + 1);
  unsigned port = 0;
  const auto [end, ec] =
      std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || end != port_text.data() + port_text.size() || port > 65535 ||
      port_text.empty()) {
    throw std::invalid_argument("bad port in '" + text + "'");
  }
  std::error_code error;
  const auto address = asio::ip::make_address(host, error);
  if (error) throw std::invalid_argument("'" + host + "' is not an IP address");
  return {address, static_cast<std::uint16_t>(port)};
}

MetricsEndpoint::MetricsEndpoint(asio::io_context& context, const asio::ip::tcp::endpoint& where,
                                 const Metrics& metrics)
    : acceptor_(context), metrics_(metrics) {
  acceptor_.open(where.protocol());
  acceptor_.set_option(asio::ip::tcp::acceptor::reuse_address(true));
  acceptor_.bind(where);
  acceptor_.listen();
  asio::co_spawn(context, accept_loop(), asio::detached);
}

asio::awaitable<void> MetricsEndpoint::accept_loop() {
  for (;;) {
    std::error_code error;
    auto socket = co_await acceptor_.async_accept(asio::redirect_error(asio::use_awaitable, error));
    if (error == asio::error::operation_aborted) co_return;
    if (error) {
      // EMFILE and the like: pause instead of spinning.
      asio::steady_timer pause(acceptor_.get_executor(), std::chrono::milliseconds(100));
      co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, error));
      continue;
    }
    if (*active_ >= kMaxConnections) continue;  // dropped: the socket closes here
    ++*active_;
    asio::co_spawn(acceptor_.get_executor(), serve(std::move(socket)), asio::detached);
  }
}

asio::awaitable<void> MetricsEndpoint::serve(asio::ip::tcp::socket accepted) {
  struct Release {
    std::shared_ptr<std::size_t> count;
    ~Release() { --*count; }
  } release{active_};
  // Shared with the deadline's handler, which may run after this returns.
  const auto socket = std::make_shared<asio::ip::tcp::socket>(std::move(accepted));

  // One deadline for the whole exchange: a slow client is cut.
  asio::steady_timer deadline(socket->get_executor(), kRequestTimeout);
  deadline.async_wait([socket](const std::error_code& error) {
    if (!error) {
      std::error_code ignored;
      socket->close(ignored);
    }
  });
  std::string data;
  std::array<char, 1024> buffer{};
  RequestHead head;
  // Bounded: each round adds at least one byte, and the head is capped.
  while (head.status == RequestHead::Status::incomplete) {
    std::error_code error;
    const std::size_t n = co_await socket->async_read_some(
        asio::buffer(buffer), asio::redirect_error(asio::use_awaitable, error));
    if (error) co_return;
    data.append(buffer.data(), n);
    head = parse_request_head(data);
  }
  const std::string reply = respond(head, metrics_);
  std::error_code error;
  co_await asio::async_write(*socket, asio::buffer(reply),
                             asio::redirect_error(asio::use_awaitable, error));
  socket->shutdown(asio::ip::tcp::socket::shutdown_both, error);
}

}  // namespace cppftpd::cli
