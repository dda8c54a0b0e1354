// Robustness (docs/security.md, "Resource exhaustion" and "Faults"): slow
// clients cost a good client nothing, a client killed mid-upload leaves its
// partial file (kept or deleted as configured) and fires
// on_incomplete_file_received.

#include "ftp_test_client.hpp"

#include <atomic>
#include <mutex>

namespace ftptest {
namespace {

// Makes the next close() of `fd` a reset (RST), as when a client is killed.
void abort_on_close(int fd) {
  linger hard{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
}

// A client that half-closes after its last command (shutdown(SHUT_WR), as
// `printf 'USER ...' | nc -N` does) still reads: every reply it is owed comes
// before the server's close, logged in or not. (Before the fix, most of 40
// runs lost one reply or both: the close on EOF raced the queued writes.)
TEST(SecurityHalfClose, EveryQueuedReplyIsSentBeforeTheClose) {
  TestServer server;
  for (int run = 0; run < 40; ++run) {
    ControlClient client = server.connect();
    ASSERT_EQ(client.greeting().code, 220);
    const bool logged_in = run % 2 == 0;
    if (logged_in) {
      ASSERT_TRUE(client.login());
    }
    ASSERT_TRUE(client.send_raw(logged_in ? "PWD\r\nNOOP\r\nSYST\r\n" : "NOOP\r\nSYST\r\n"));
    ASSERT_EQ(::shutdown(client.fd(), SHUT_WR), 0);
    if (logged_in) {
      EXPECT_EQ(client.read_reply().code, 257) << "run " << run;
    }
    EXPECT_EQ(client.read_reply().code, 200) << "run " << run;
    EXPECT_EQ(client.read_reply().code, 215) << "run " << run;
    // Then the server closes: end of stream, no further reply.
    EXPECT_EQ(client.read_reply().code, 0) << "run " << run;
  }
}

TEST(SecuritySlowClients, ManySlowClientsDoNotCostAGoodClient) {
  TestServer server([](cppftpd::ServerConfig& config) {
    config.login_timeout = 3s;
    config.data_timeout = 30s;
  });
  ASSERT_TRUE(make_sparse_file(server.path("big.bin"), 64U << 20));
  write_file(server.path("small.txt"), "served");

  // 1. Clients that hold a partial line and never finish it.
  std::vector<ControlClient> partial;
  for (int i = 0; i < 60; ++i) {
    partial.push_back(server.connect());
    ASSERT_EQ(partial.back().greeting().code, 220);
    ASSERT_TRUE(partial.back().send_raw("USER slo"));
  }
  // 2. Clients that start a download and never read their data connection.
  std::vector<ControlClient> non_readers;
  std::vector<Fd> unread_data;
  for (int i = 0; i < 10; ++i) {
    non_readers.push_back(server.connect());
    ASSERT_TRUE(non_readers.back().login());
    ASSERT_EQ(non_readers.back().cmd("TYPE I").code, 200);
    unread_data.push_back(non_readers.back().open_pasv());
    ASSERT_TRUE(unread_data.back());
    ASSERT_EQ(non_readers.back().cmd("RETR big.bin").code, 150);
  }
  // 3. Clients that send commands and never read the replies.
  std::vector<ControlClient> deaf;
  std::string noops;
  for (int i = 0; i < 4000; ++i) noops += "NOOP\r\n";
  for (int i = 0; i < 10; ++i) {
    deaf.push_back(server.connect());
    ASSERT_TRUE(deaf.back().send_raw(noops));
  }

  // The good client is served at once, every step.
  const auto started = std::chrono::steady_clock::now();
  ControlClient good = server.connect();
  ASSERT_EQ(good.greeting().code, 220);
  ASSERT_TRUE(good.login());
  EXPECT_EQ(download(good, "RETR small.txt").data, "served");
  EXPECT_EQ(download(good, "LIST").completion.code, 226);
  EXPECT_EQ(good.cmd("QUIT").code, 221);
  const auto took = std::chrono::steady_clock::now() - started;
  // Normally a few milliseconds; the bound leaves room for a loaded CI machine.
  EXPECT_LT(took, 5s) << "a good client waited behind slow ones";

  // The partial-line holders are thrown out at the login deadline.
  for (auto& client : partial) {
    std::string before;
    EXPECT_TRUE(client.wait_closed(&before));
    EXPECT_NE(before.find("421"), std::string::npos) << before;
  }
  // And still nothing is slow for the next client.
  ControlClient after = server.connect();
  EXPECT_TRUE(after.login());
  EXPECT_EQ(download(after, "RETR small.txt").data, "served");
}

TEST(SecuritySlowClients, AClientThatNeverReadsIsClosedAtItsTimeout) {
  // Replies pile up unread (small receive buffer, never read) below the
  // outbox ceiling; the idle timeout's 421 cannot be delivered either, and
  // the session must close anyway (at the latest limits::kFinalReplyDrain
  // after the 421) rather than wait for the client forever.
  // Sessions that have fully ended (on_disconnect fires once run() is over
  // and the socket is closed).
  auto ended = std::make_shared<std::atomic<int>>(0);
  cppftpd::EventHooks hooks;
  hooks.on_disconnect = [ended](const cppftpd::SessionEvent&) { ++*ended; };
  TestServer server([](cppftpd::ServerConfig& config) { config.idle_timeout = 1s; }, AddUsers{},
                    std::move(hooks));
  Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  ASSERT_TRUE(fd);
  const int small = 4096;
  ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  set_timeouts(fd.get());
  const sockaddr_in address = ipv4_address("127.0.0.1", server.port());
  ASSERT_EQ(::connect(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address), 0);
  char greeting[256];
  ASSERT_GT(::recv(fd.get(), greeting, sizeof greeting, 0), 0);  // the session exists
  std::string helps;
  for (int i = 0; i < 3000; ++i) helps += "HELP\r\n";
  ASSERT_TRUE(send_all(fd.get(), helps));
  // The session ends (polled, bounded) although its client never reads.
  EXPECT_TRUE(poll_until([&] { return ended->load() == 1; }, 10s))
      << "the session of a client that never reads was never closed";
  ControlClient good = server.connect();
  EXPECT_TRUE(good.login());
}

class IncompleteUpload : public ::testing::Test {
 protected:
  void start(bool delete_incomplete) {
    cppftpd::EventHooks hooks;
    hooks.on_incomplete_file_received = [this](const cppftpd::TransferEvent& event) {
      std::lock_guard lock(mutex_);
      incomplete_.push_back(event.path.str() + " " + std::to_string(event.bytes));
    };
    server_ = std::make_unique<TestServer>(
        [=](cppftpd::ServerConfig& config) {
          config.delete_incomplete_uploads = delete_incomplete;
        },
        AddUsers{}, std::move(hooks));
  }
  // STOR, some bytes, then both connections die with a reset.
  void killed_mid_upload(const std::string& name, std::string_view sent) {
    ControlClient client = server_->connect();
    ASSERT_TRUE(client.login());
    ASSERT_EQ(client.cmd("TYPE I").code, 200);
    Fd data = client.open_pasv();
    ASSERT_TRUE(data);
    ASSERT_EQ(client.cmd("STOR " + name).code, 150);
    ASSERT_TRUE(send_all(data.get(), sent));
    ASSERT_TRUE(poll_until([&] { return read_file(server_->path(name)).size() == sent.size(); }));
    abort_on_close(data.get());
    abort_on_close(client.fd());
    data.reset();
    client.close();
  }
  std::vector<std::string> incomplete() {
    std::lock_guard lock(mutex_);
    return incomplete_;
  }

  std::unique_ptr<TestServer> server_;
  std::mutex mutex_;
  std::vector<std::string> incomplete_;
};

TEST_F(IncompleteUpload, KilledClientLeavesThePartialFileForRest) {
  start(false);
  killed_mid_upload("partial.bin", "first half;");
  ASSERT_TRUE(poll_until([&] { return !incomplete().empty(); }));
  EXPECT_EQ(incomplete(), std::vector<std::string>{"/partial.bin 11"});
  EXPECT_EQ(read_file(server_->path("partial.bin")), "first half;");
  // REST resumes it (RFC 3659 5.3).
  ControlClient client = server_->connect();
  ASSERT_TRUE(client.login());
  ASSERT_EQ(client.cmd("TYPE I").code, 200);
  EXPECT_EQ(client.cmd("SIZE partial.bin").text(), "11");
  Fd data = client.open_pasv();
  EXPECT_EQ(client.cmd("REST 11").code, 350);
  EXPECT_EQ(client.cmd("STOR partial.bin").code, 150);
  ASSERT_TRUE(send_all(data.get(), "second half"));
  data.reset();
  EXPECT_EQ(client.read_reply().code, 226);
  EXPECT_EQ(read_file(server_->path("partial.bin")), "first half;second half");
}

TEST_F(IncompleteUpload, DeleteIncompleteRemovesThePartialFile) {
  start(true);
  killed_mid_upload("partial.bin", "doomed");
  ASSERT_TRUE(poll_until([&] { return !incomplete().empty(); }));
  EXPECT_EQ(incomplete(), std::vector<std::string>{"/partial.bin 6"});
  EXPECT_TRUE(poll_until([&] { return !file_exists(server_->path("partial.bin")); }));
  // A complete upload stays.
  ControlClient client = server_->connect();
  ASSERT_TRUE(client.login());
  EXPECT_EQ(upload(client, "STOR whole.bin", "whole").completion.code, 226);
  EXPECT_EQ(read_file(server_->path("whole.bin")), "whole");
}

}  // namespace
}  // namespace ftptest
