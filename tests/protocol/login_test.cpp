// Login and account commands: greeting, USER, PASS, ACCT, REIN, QUIT
// (RFC 959 4.1.1, 5.4), failed-login delay and attempt limit.

#include "ftp_test_client.hpp"

namespace ftptest {
namespace {

using LoginTest = FtpTest;

TEST_F(LoginTest, GreetingIs220) {
  ControlClient client = server().connect();
  ASSERT_TRUE(client.connected());
  EXPECT_EQ(client.greeting().code, 220) << client.greeting();
  EXPECT_EQ(client.greeting().lines.size(), 1U);
  EXPECT_TRUE(client.greeting().crlf);
  EXPECT_EQ(client.greeting().text(), "cppftpd ready.");
}

TEST(LoginBanner, GreetingUsesConfiguredBanner) {
  TestServer server([](cppftpd::ServerConfig& config) { config.banner = "Welcome to the test."; });
  ControlClient client = server.connect();
  EXPECT_EQ(client.greeting().code, 220);
  EXPECT_EQ(client.greeting().text(), "Welcome to the test.");
}

TEST_F(LoginTest, NamedUserLogsIn) {
  ControlClient client = server().connect();
  const Reply user = client.cmd("USER user");
  EXPECT_EQ(user.code, 331) << user;
  const Reply pass = client.cmd("PASS 12345");
  EXPECT_EQ(pass.code, 230) << pass;
  EXPECT_EQ(pass.text(), "Login successful.");
  EXPECT_EQ(client.cmd("PWD").code, 257);
}

// RFC 7151: HOST before login selects the virtual host (this server has
// one, so any valid name does); a literal must be the server's own address;
// 501 for a bad name, 503 after login; repeated, the last one counts; a USER
// sent before it is flushed.
TEST_F(LoginTest, HostBeforeLoginSelectsTheVirtualHost) {
  ControlClient client = server().connect();
  EXPECT_EQ(client.cmd("HOST ftp.example.com").code, 220);
  EXPECT_EQ(client.cmd("HOST 127.0.0.1").code, 220);  // the server's address
  const Reply other = client.cmd("HOST 192.0.2.1");
  EXPECT_EQ(other.code, 504) << other;
  EXPECT_EQ(client.cmd("HOST [::1]").code, 504);  // connected over IPv4
  EXPECT_EQ(client.cmd("HOST bad_name!").code, 501);
  EXPECT_EQ(client.cmd("HOST").code, 501);
  EXPECT_EQ(client.cmd("USER user").code, 331);
  EXPECT_EQ(client.cmd("HOST ftp.example.com").code, 220);
  EXPECT_EQ(client.cmd("PASS 12345").code, 503) << "HOST flushes a USER sent before it";
  EXPECT_TRUE(client.login());
  const Reply after = client.cmd("HOST ftp.example.com");
  EXPECT_EQ(after.code, 503) << after;
  EXPECT_EQ(client.cmd("PWD").code, 257);
  EXPECT_TRUE(client.cmd("FEAT").contains("\r\n HOST\r\n"));
}

TEST_F(LoginTest, AnonymousLogsInWithAnyPassword) {
  for (const char* name : {"anonymous", "ftp", "ANONYMOUS"}) {
    ControlClient client = server().connect();
    EXPECT_EQ(client.cmd(std::string("USER ") + name).code, 331) << name;
    EXPECT_EQ(client.cmd("PASS whatever@example.com").code, 230) << name;
    EXPECT_EQ(client.cmd("PWD").code, 257) << name;
  }
}

TEST_F(LoginTest, WrongPasswordIs530AfterTheDelay) {
  ControlClient client = server().connect();
  EXPECT_EQ(client.cmd("USER user").code, 331);
  const auto start = std::chrono::steady_clock::now();
  const Reply pass = client.cmd("PASS wrong");
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(pass.code, 530) << pass;
  // failed_login_delay is 200 ms in TestServer: never answered before that.
  EXPECT_GE(elapsed, 200ms);
  // Still not logged in, and still connected.
  EXPECT_EQ(client.cmd("PWD").code, 530);
  EXPECT_EQ(client.cmd("NOOP").code, 200);
}

TEST_F(LoginTest, UnknownUserIs530) {
  ControlClient client = server().connect();
  EXPECT_EQ(client.cmd("USER nobody").code, 331);  // no user enumeration at USER
  EXPECT_EQ(client.cmd("PASS 12345").code, 530);
}

TEST_F(LoginTest, ThreeFailedAttemptsCloseTheConnection) {
  ControlClient client = server().connect();
  for (int attempt = 1; attempt <= 3; ++attempt) {
    EXPECT_EQ(client.cmd("USER user").code, 331) << attempt;
    const Reply pass = client.cmd("PASS wrong");
    EXPECT_EQ(pass.code, 530) << "attempt " << attempt << ": " << pass;
  }
  // After the third 530 the server closes: recv returns 0, nothing more.
  std::string extra;
  EXPECT_TRUE(client.wait_closed(&extra));
  EXPECT_EQ(extra, "");
}

TEST(LoginAttempts, MaxLoginAttemptsIsConfigurable) {
  TestServer server([](cppftpd::ServerConfig& config) {
    config.max_login_attempts = 1;
    config.failed_login_delay = 10ms;
  });
  ControlClient client = server.connect();
  EXPECT_EQ(client.cmd("USER user").code, 331);
  EXPECT_EQ(client.cmd("PASS wrong").code, 530);
  EXPECT_TRUE(client.wait_closed());
}

TEST(LoginDelay, FailedLoginDelayDoesNotStallOtherSessions) {
  // One event-loop thread: both sessions share it, so a delay that blocked
  // the loop would hold back B's reply until A's 530.
  TestServer server([](cppftpd::ServerConfig& config) {
    config.threads = 1;
    config.failed_login_delay = 3s;
  });
  ControlClient b = server.connect();
  ASSERT_TRUE(b.login());
  ControlClient a = server.connect();
  EXPECT_EQ(a.cmd("USER user").code, 331);
  ASSERT_TRUE(a.send("PASS wrong"));

  EXPECT_EQ(b.cmd("NOOP").code, 200);
  // Ordering, not timing: B has its answer while A's 530 has not come yet.
  EXPECT_FALSE(a.reply_pending()) << "A's 530 came before B's NOOP reply";
  const Reply refused = a.read_reply();
  EXPECT_EQ(refused.code, 530) << refused;
}

TEST_F(LoginTest, PassWithoutUserIs503) {
  ControlClient client = server().connect();
  const Reply pass = client.cmd("PASS 12345");
  EXPECT_EQ(pass.code, 503) << pass;
  EXPECT_EQ(client.cmd("PWD").code, 530);
}

TEST_F(LoginTest, PassAfterLoginIs503) {
  ControlClient client = user_session();
  EXPECT_EQ(client.cmd("PASS 12345").code, 503);
}

TEST_F(LoginTest, CommandsBeforeLoginAre530) {
  ControlClient client = server().connect();
  for (const char* line : {"PWD",    "CWD /",     "LIST",
                           "NLST",   "RETR x",    "STOR x",
                           "PASV",   "EPSV",      "PORT 127,0,0,1,4,1",
                           "MKD d",  "DELE x",    "SIZE x",
                           "MDTM x", "TYPE I",    "MLSD",
                           "MLST",   "SITE HELP", "STAT /",
                           "ABOR",   "REST 0",    "CDUP",
                           "RNFR x"}) {
    const Reply reply = client.cmd(line);
    EXPECT_EQ(reply.code, 530) << line << ": " << reply;
  }
  // Commands every client needs before login work.
  EXPECT_EQ(client.cmd("NOOP").code, 200);
  EXPECT_EQ(client.cmd("SYST").code, 215);
  EXPECT_EQ(client.cmd("FEAT").code, 211);
  EXPECT_EQ(client.cmd("HELP").code, 214);
  EXPECT_EQ(client.cmd("STAT").code, 211);
  EXPECT_EQ(client.cmd("OPTS UTF8 ON").code, 200);
}

TEST_F(LoginTest, UserAfterLoginFlushesTheLogin) {
  // RFC 959 4.1.1: USER in the middle of a session starts the login over.
  ControlClient client = user_session();
  EXPECT_EQ(client.cmd("CWD /").code, 250);
  const Reply user = client.cmd("USER user");
  EXPECT_EQ(user.code, 331) << user;
  EXPECT_EQ(client.cmd("PWD").code, 530) << "still logged in after USER";
  EXPECT_EQ(client.cmd("PASS 12345").code, 230);
  EXPECT_EQ(client.cmd("PWD").code, 257);
}

TEST_F(LoginTest, ReinResetsTheSession) {
  ControlClient client = user_session();
  std::filesystem::create_directory(path("sub"));
  EXPECT_EQ(client.cmd("CWD sub").code, 250);
  EXPECT_EQ(client.cmd("TYPE I").code, 200);
  const Reply rein = client.cmd("REIN");
  EXPECT_EQ(rein.code, 220) << rein;
  EXPECT_EQ(client.cmd("PWD").code, 530);
  EXPECT_EQ(client.cmd("LIST").code, 530);
  ASSERT_TRUE(client.login());
  // A fresh login: back at "/" and in the default TYPE A.
  EXPECT_EQ(client.cmd("PWD").text(), "\"/\" is the current directory.");
  EXPECT_TRUE(client.cmd("STAT").contains("TYPE: ASCII"));
}

TEST_F(LoginTest, ReinResetsTheFailedAttemptCount) {
  ControlClient client = server().connect();
  for (int attempt = 0; attempt < 2; ++attempt) {
    client.cmd("USER user");
    EXPECT_EQ(client.cmd("PASS wrong").code, 530);
  }
  EXPECT_EQ(client.cmd("REIN").code, 220);
  client.cmd("USER user");
  EXPECT_EQ(client.cmd("PASS wrong").code, 530);
  EXPECT_EQ(client.cmd("NOOP").code, 200) << "closed although REIN reset the count";
}

TEST_F(LoginTest, QuitSays221AndCloses) {
  ControlClient client = user_session();
  const Reply quit = client.cmd("QUIT");
  EXPECT_EQ(quit.code, 221) << quit;
  EXPECT_EQ(quit.text(), "Goodbye.");
  EXPECT_TRUE(client.wait_closed());
}

TEST_F(LoginTest, QuitBeforeLogin) {
  ControlClient client = server().connect();
  EXPECT_EQ(client.cmd("QUIT").code, 221);
  EXPECT_TRUE(client.wait_closed());
}

TEST_F(LoginTest, QuitWithArgumentIs501) {
  ControlClient client = server().connect();
  EXPECT_EQ(client.cmd("QUIT now").code, 501);
  EXPECT_EQ(client.cmd("NOOP").code, 200);
}

TEST_F(LoginTest, AcctIs202) {
  ControlClient client = server().connect();
  EXPECT_EQ(client.cmd("ACCT project").code, 202);
  EXPECT_EQ(client.cmd("ACCT").code, 501);
  ASSERT_TRUE(client.login());
  EXPECT_EQ(client.cmd("ACCT project").code, 202);
}

TEST_F(LoginTest, UserWithoutNameIs501) {
  ControlClient client = server().connect();
  EXPECT_EQ(client.cmd("USER").code, 501);
}

TEST(LoginMessages, CustomLoginAndQuitMessages) {
  TestServer server({}, [](cppftpd::MemoryAuthorizer& users, const std::string& home) {
    users.add_user("greeted", "pw", home, "elr", "Hello there.", "See you.");
  });
  ControlClient client = server.connect();
  EXPECT_EQ(client.cmd("USER greeted").code, 331);
  const Reply pass = client.cmd("PASS pw");
  EXPECT_EQ(pass.code, 230);
  EXPECT_EQ(pass.text(), "Hello there.");
  const Reply quit = client.cmd("QUIT");
  EXPECT_EQ(quit.code, 221);
  EXPECT_EQ(quit.text(), "See you.");
}

}  // namespace
}  // namespace ftptest
