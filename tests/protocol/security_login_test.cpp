// Brute force and login defences (docs/security.md, "Brute force"): the
// per-address ban across sessions, USER that never tells whether a name
// exists, and the login timeout. Every refusal is followed by a check that
// a well-behaved client is still served.

#include "ftp_test_client.hpp"

namespace ftptest {
namespace {

// A server whose ban trips quickly: 4 failures (2 sessions of 2) within the
// window ban the address.
TestServer ban_server(unsigned threshold = 4, std::chrono::seconds duration = 60s) {
  return TestServer([=](cppftpd::ServerConfig& config) {
    config.failed_login_delay = 10ms;
    config.max_login_attempts = 2;
    config.ban_after_failures = threshold;
    config.ban_window = 600s;
    config.ban_duration = duration;
  });
}

// Two wrong passwords in one session: the per-session limit disconnects.
void fail_twice(const TestServer& server, const char* source = nullptr) {
  ControlClient client = server.connect(source);
  ASSERT_EQ(client.greeting().code, 220) << client.greeting();
  EXPECT_EQ(client.cmd("USER user").code, 331);
  EXPECT_EQ(client.cmd("PASS wrong").code, 530);
  EXPECT_EQ(client.cmd("USER user").code, 331);
  EXPECT_EQ(client.cmd("PASS wrong").code, 530);
  EXPECT_TRUE(client.wait_closed());
}

// One wrong password in a fresh session; the reply to PASS.
Reply fail_once(const TestServer& server) {
  ControlClient client = server.connect();
  EXPECT_EQ(client.greeting().code, 220) << client.greeting();
  EXPECT_EQ(client.cmd("USER user").code, 331);
  return client.cmd("PASS wrong");
}

TEST(SecurityBan, RepeatedFailuresAcrossSessionsBanTheAddress) {
  TestServer server = ban_server();
  fail_twice(server);  // failures 1 and 2
  ControlClient second = server.connect();
  ASSERT_EQ(second.greeting().code, 220);
  EXPECT_EQ(second.cmd("USER user").code, 331);
  EXPECT_EQ(second.cmd("PASS wrong").code, 530);  // 3
  EXPECT_EQ(second.cmd("USER nobody-here").code, 331);
  // The 4th failure starts the ban: 421 and the connection closes.
  const Reply banned = second.cmd("PASS wrong");
  EXPECT_EQ(banned.code, 421) << banned;
  EXPECT_TRUE(banned.contains("Too many failed logins")) << banned;
  EXPECT_TRUE(second.wait_closed());

  // From now on the address gets 421 before any greeting, and is closed,
  // even with the right password in hand.
  for (int i = 0; i < 3; ++i) {
    ControlClient refused = server.connect();
    ASSERT_TRUE(refused.connected());
    EXPECT_EQ(refused.greeting().code, 421) << refused.greeting();
    EXPECT_TRUE(refused.greeting().contains("Too many failed logins")) << refused.greeting();
    EXPECT_TRUE(refused.wait_closed());
  }
  // Another address is served normally.
  ControlClient other = server.connect("127.0.0.2");
  ASSERT_EQ(other.greeting().code, 220) << other.greeting();
  EXPECT_TRUE(other.login());
  EXPECT_EQ(other.cmd("PWD").code, 257);
}

TEST(SecurityBan, BanEndsAfterItsDuration) {
  TestServer server = ban_server(2, 1s);
  EXPECT_EQ(fail_once(server).code, 530);
  EXPECT_EQ(fail_once(server).code, 421);
  ControlClient refused = server.connect();
  EXPECT_EQ(refused.greeting().code, 421) << refused.greeting();
  // Polled, not slept: the first greeting after the ban ends is 220.
  Reply greeting;
  EXPECT_TRUE(poll_until([&] {
    ControlClient again = server.connect();
    greeting = again.greeting();
    return greeting.code == 220;
  })) << greeting;
  ControlClient client = server.connect();
  EXPECT_TRUE(client.login());
}

TEST(SecurityBan, ZeroTurnsTheBanOff) {
  TestServer server = ban_server(0);
  for (int i = 0; i < 5; ++i) fail_twice(server);  // 10 failures
  ControlClient client = server.connect();
  ASSERT_EQ(client.greeting().code, 220) << client.greeting();
  EXPECT_TRUE(client.login());
}

TEST(SecurityBan, SuccessfulLoginsAndOtherAddressesDoNotCount) {
  TestServer server = ban_server(3);
  for (int i = 0; i < 5; ++i) {
    ControlClient client = server.connect();
    EXPECT_TRUE(client.login());
  }
  fail_twice(server, "127.0.0.2");  // 2 failures, from another address
  fail_twice(server);               // 2 from 127.0.0.1: below 3 each
  ControlClient client = server.connect();
  ASSERT_EQ(client.greeting().code, 220) << client.greeting();
  EXPECT_TRUE(client.login());
  ControlClient other = server.connect("127.0.0.2");
  EXPECT_EQ(other.greeting().code, 220) << other.greeting();
}

// A successful login forgives the address's failures so far: a client (or a
// test suite) that checks refusals between its logins is never banned; a
// guesser still is, after the threshold in a row.
TEST(SecurityBan, ASuccessfulLoginForgivesTheFailuresBeforeIt) {
  TestServer server = ban_server(3);
  for (int round = 0; round < 4; ++round) {
    fail_twice(server);  // 2 failures: one short of the ban
    ControlClient good = server.connect();
    ASSERT_EQ(good.greeting().code, 220) << round << ": " << good.greeting();
    EXPECT_TRUE(good.login()) << round;
  }
  fail_twice(server);
  EXPECT_EQ(fail_once(server).code, 421);  // the third in a row bans
  ControlClient refused = server.connect();
  EXPECT_EQ(refused.greeting().code, 421) << refused.greeting();
}

TEST(SecurityLogin, UserAlwaysAnswers331TheSameWay) {
  // draft-ietf-ftpext-sec-consider-02 section 7: USER must not tell which
  // names exist; the failure comes only with PASS, and reads the same.
  TestServer server([](cppftpd::ServerConfig& config) { config.max_login_attempts = 10; });
  ControlClient client = server.connect();
  const Reply known = client.cmd("USER user");
  const Reply unknown = client.cmd("USER no-such-user");
  const Reply root = client.cmd("USER root");
  EXPECT_EQ(known.code, 331) << known;
  EXPECT_EQ(unknown.raw, known.raw);
  EXPECT_EQ(root.raw, known.raw);
  const Reply unknown_pass = client.cmd("PASS secret");
  EXPECT_EQ(client.cmd("USER user").raw, known.raw);
  const Reply known_pass = client.cmd("PASS secret");
  EXPECT_EQ(unknown_pass.code, 530) << unknown_pass;
  EXPECT_EQ(known_pass.raw, unknown_pass.raw);
  EXPECT_TRUE(client.login());
}

TEST(SecurityLogin, LoginTimeoutClosesSessionsThatNeverLogIn) {
  TestServer server([](cppftpd::ServerConfig& config) { config.login_timeout = 1s; });
  ControlClient dawdler = server.connect();
  ControlClient user = server.connect();
  ASSERT_TRUE(user.login());
  // Commands do not extend the login deadline (they do the idle timeout).
  EXPECT_EQ(dawdler.cmd("USER user").code, 331);
  EXPECT_EQ(dawdler.cmd("NOOP").code, 200);
  const Reply timed_out = dawdler.read_reply();  // blocks until the deadline
  EXPECT_EQ(timed_out.code, 421) << timed_out;
  EXPECT_TRUE(timed_out.contains("Login timed out")) << timed_out;
  EXPECT_TRUE(dawdler.wait_closed());
  // The session that logged in in time is not touched.
  EXPECT_EQ(user.cmd("NOOP").code, 200);
  ControlClient late = server.connect();
  EXPECT_TRUE(late.login());
}

}  // namespace
}  // namespace ftptest
