#include "metrics.hpp"
#include "metrics_endpoint.hpp"

#include <gtest/gtest.h>

namespace cppftpd::cli {
namespace {

using Status = RequestHead::Status;

TEST(RequestHeadTest, CompleteRequestSplitAtEveryByte) {
  const std::string request = "GET /metrics HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n\r\n";
  for (std::size_t cut = 0; cut < request.size(); ++cut) {
    EXPECT_EQ(parse_request_head(request.substr(0, cut)).status, Status::incomplete) << cut;
  }
  const auto head = parse_request_head(request);
  ASSERT_EQ(head.status, Status::ok);
  EXPECT_EQ(head.method, "GET");
  EXPECT_EQ(head.target, "/metrics");
}

TEST(RequestHeadTest, BareLineFeedsAndHttp10) {
  const auto head = parse_request_head("GET /metrics HTTP/1.0\n\n");
  EXPECT_EQ(head.status, Status::ok);
}

TEST(RequestHeadTest, Malformed) {
  for (const char* bad :
       {"GET\r\n\r\n", "GET /metrics\r\n\r\n", " /metrics HTTP/1.1\r\n\r\n",
        "GET  HTTP/1.1\r\n\r\n", "GET /metrics HTTP/2\r\n\r\n", "GET /metrics FTP/1.0\r\n\r\n"}) {
    EXPECT_EQ(parse_request_head(bad).status, Status::bad) << bad;
  }
}

TEST(RequestHeadTest, TooLarge) {
  std::string big = "GET /metrics HTTP/1.1\r\nX: " + std::string(kMaxRequestHead, 'a');
  EXPECT_EQ(parse_request_head(big).status, Status::too_large);
  EXPECT_EQ(parse_request_head(big + "\r\n\r\n").status, Status::too_large);
}

TEST(RespondTest, StatusByRequest) {
  const Metrics metrics;
  const auto status_line = [&](const std::string& request) {
    const std::string reply = respond(parse_request_head(request), metrics);
    return reply.substr(0, reply.find("\r\n"));
  };
  EXPECT_EQ(status_line("GET /metrics HTTP/1.1\r\n\r\n"), "HTTP/1.0 200 OK");
  EXPECT_EQ(status_line("GET /metrics?x=1 HTTP/1.1\r\n\r\n"), "HTTP/1.0 200 OK");
  EXPECT_EQ(status_line("GET / HTTP/1.1\r\n\r\n"), "HTTP/1.0 404 Not Found");
  EXPECT_EQ(status_line("POST /metrics HTTP/1.1\r\n\r\n"), "HTTP/1.0 405 Method Not Allowed");
  EXPECT_EQ(status_line("nonsense\r\n\r\n"), "HTTP/1.0 400 Bad Request");
  const std::string reply = respond(parse_request_head("GET /metrics HTTP/1.1\r\n\r\n"), metrics);
  const auto body = reply.substr(reply.find("\r\n\r\n") + 4);
  EXPECT_NE(reply.find("Content-Length: " + std::to_string(body.size()) + "\r\n"),
            std::string::npos);
}

TEST(MetricsTest, HooksCount) {
  Metrics metrics;
  EventHooks hooks;
  int earlier = 0;
  hooks.on_login = [&](const SessionEvent&) { ++earlier; };  // kept, and called first
  metrics.add_hooks(hooks);
  const SessionEvent session{"127.0.0.1", 1, "u"};
  hooks.on_connect(session);
  hooks.on_connect(session);
  hooks.on_disconnect(session);
  hooks.on_login(session);
  hooks.on_login_failed(session);
  hooks.on_login_failed(session);
  TransferEvent transfer;
  transfer.bytes = 100;
  hooks.on_file_sent(transfer);
  transfer.bytes = 7;
  hooks.on_incomplete_file_received(transfer);
  hooks.on_reply(226);
  hooks.on_reply(226);
  hooks.on_reply(530);
  hooks.on_reply(42);  // out of range: counted nowhere visible
  metrics.count_reload(false);
  EXPECT_EQ(earlier, 1);
  const std::string text = metrics.render();
  for (const char* line :
       {"cppftpd_sessions_open 1\n", "cppftpd_connections_total 2\n",
        "cppftpd_logins_total{result=\"ok\"} 1\n", "cppftpd_logins_total{result=\"failed\"} 2\n",
        "cppftpd_transfer_bytes_total{direction=\"out\"} 100\n",
        "cppftpd_transfer_bytes_total{direction=\"in\"} 7\n",
        "cppftpd_transfers_total{direction=\"out\",result=\"complete\"} 1\n",
        "cppftpd_transfers_total{direction=\"in\",result=\"incomplete\"} 1\n",
        "cppftpd_transfers_total{direction=\"in\",result=\"complete\"} 0\n",
        "cppftpd_replies_total{code=\"226\"} 2\n", "cppftpd_replies_total{code=\"530\"} 1\n",
        "cppftpd_reply_classes_total{class=\"2xx\"} 2\n",
        "cppftpd_reply_classes_total{class=\"5xx\"} 1\n",
        "cppftpd_reloads_total{result=\"failed\"} 1\n"}) {
    EXPECT_NE(text.find(line), std::string::npos) << line << "\n" << text;
  }
  EXPECT_EQ(text.find("code=\"42\""), std::string::npos);
}

TEST(ListenAddressTest, Parses) {
  EXPECT_EQ(parse_listen_address("127.0.0.1:9121").port(), 9121);
  EXPECT_TRUE(parse_listen_address("[::1]:0").address().is_v6());
  for (const char* bad :
       {"9121", ":9121", "localhost:1", "1.2.3.4:", "1.2.3.4:99999", "1.2.3.4:1x", "[::1:1"}) {
    EXPECT_THROW(parse_listen_address(bad), std::invalid_argument) << bad;
  }
}

}  // namespace
}  // namespace cppftpd::cli
