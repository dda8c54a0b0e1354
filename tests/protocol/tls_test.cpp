// FTPS (RFC 4217, RFC 2228): AUTH/PBSZ/PROT/CCC in every order, protected
// transfers, the data connection bound to its control connection's TLS
// session, implicit TLS, policies and the protocol floor.

#include "tls_test_client.hpp"

#include <fstream>

namespace ftptest {
namespace {

void enable_tls(cppftpd::ServerConfig& config) {
  config.tls.enabled = true;
  config.tls.handshake_timeout = 5s;
}

class TlsTest : public ::testing::Test {
 protected:
  void start(const Configure& more = {}) {
    server_ = std::make_unique<TestServer>([&](cppftpd::ServerConfig& config) {
      enable_tls(config);
      if (more) more(config);
    });
    write_file(server_->path("hello.txt"), "hello over TLS");
  }
  TlsControlClient explicit_client() {
    TlsControlClient client(server_->port(), false, ctx_.get());
    EXPECT_EQ(client.greeting().code, 220) << client.greeting();
    return client;
  }

  SslCtxPtr ctx_ = client_context();
  std::unique_ptr<TestServer> server_;
};

bool has_line(const Reply& reply, std::string_view text) {
  for (const auto& line : reply.lines) {
    if (line == " " + std::string(text)) return true;
  }
  return false;
}

TEST(TlsNotConfigured, AuthIs502AndFeatListsNoTls) {
  TestServer server;
  ControlClient client = server.connect();
  const Reply feat = client.cmd("FEAT");
  EXPECT_EQ(feat.code, 211);
  EXPECT_FALSE(has_line(feat, "AUTH TLS"));
  EXPECT_FALSE(has_line(feat, "PBSZ"));
  EXPECT_EQ(client.cmd("AUTH TLS").code, 502);
  EXPECT_EQ(client.cmd("PBSZ 0").code, 502);
  EXPECT_EQ(client.cmd("PROT P").code, 502);
  EXPECT_TRUE(client.login());  // and the session goes on
}

TEST_F(TlsTest, FeatListsAuthTlsPbszProt) {
  start();
  auto client = explicit_client();
  const Reply feat = client.cmd("FEAT");
  EXPECT_EQ(feat.code, 211);
  EXPECT_TRUE(has_line(feat, "AUTH TLS")) << feat;
  EXPECT_TRUE(has_line(feat, "PBSZ")) << feat;
  EXPECT_TRUE(has_line(feat, "PROT")) << feat;
}

TEST_F(TlsTest, HelpListsTheFtpsVerbs) {
  start();
  auto client = explicit_client();
  const Reply help = client.cmd("HELP");
  EXPECT_EQ(help.code, 214) << help;
  for (const char* verb : {"AUTH", "PBSZ", "PROT", "CCC"}) {
    EXPECT_TRUE(help.contains(std::string(" ") + verb)) << verb << ": " << help;
  }
}

TEST_F(TlsTest, WrongOrderBeforeAuth) {
  start();
  auto client = explicit_client();
  EXPECT_EQ(client.cmd("PBSZ 0").code, 503);  // RFC 2228: no security exchange yet
  EXPECT_EQ(client.cmd("PROT P").code, 503);
  EXPECT_EQ(client.cmd("CCC").code, 533);  // RFC 4217 5: not protected
  EXPECT_EQ(client.cmd("AUTH KERBEROS_V4").code, 504);
  EXPECT_EQ(client.cmd("AUTH").code, 501);
  // None of that broke the session: TLS still comes up.
  EXPECT_EQ(client.auth().code, 234);
  ASSERT_TRUE(client.secure());
  EXPECT_EQ(client.cmd("NOOP").code, 200);
}

TEST_F(TlsTest, WrongOrderAfterAuth) {
  start();
  auto client = explicit_client();
  ASSERT_EQ(client.auth().code, 234);
  ASSERT_TRUE(client.secure());
  EXPECT_EQ(client.cmd("PROT P").code, 503);    // PBSZ first
  EXPECT_EQ(client.cmd("AUTH TLS").code, 503);  // already
  EXPECT_EQ(client.cmd("PBSZ abc").code, 501);
  EXPECT_EQ(client.cmd("PBSZ 4294967296").code, 501);  // past 32 bits
  const Reply pbsz = client.cmd("PBSZ 1024");
  EXPECT_EQ(pbsz.code, 200);
  EXPECT_NE(pbsz.text().find("PBSZ=0"), std::string::npos) << pbsz;
  EXPECT_EQ(client.cmd("PROT S").code, 536);
  EXPECT_EQ(client.cmd("PROT E").code, 536);
  EXPECT_EQ(client.cmd("PROT Q").code, 504);
  EXPECT_EQ(client.cmd("PROT c").code, 200);
  EXPECT_EQ(client.cmd("PROT P").code, 200);
  EXPECT_EQ(client.cmd("CCC").code, 534);  // clearing is refused
  EXPECT_EQ(client.cmd("REIN").code, 502);
  EXPECT_EQ(client.cmd("USER user").code, 331);
  EXPECT_EQ(client.cmd("PASS 12345").code, 230);
}

TEST_F(TlsTest, AuthResetsTheLogin) {
  start();
  auto client = explicit_client();
  EXPECT_EQ(client.cmd("USER user").code, 331);
  EXPECT_EQ(client.cmd("PASS 12345").code, 230);
  EXPECT_EQ(client.cmd("CWD /").code, 250);
  ASSERT_EQ(client.auth().code, 234);
  // RFC 4217 4.2: the user must log in again after AUTH.
  EXPECT_EQ(client.cmd("PWD").code, 530);
  EXPECT_EQ(client.cmd("USER user").code, 331);
  EXPECT_EQ(client.cmd("PASS 12345").code, 230);
}

TEST_F(TlsTest, PlaintextPipelinedAfterAuthIsDropped) {
  start();
  auto client = explicit_client();
  EXPECT_EQ(client.cmd("USER user").code, 331);
  // An attacker on the path appends a command to the clear-text AUTH: it
  // must not run once TLS is up (the STARTTLS injection, CVE-2011-0411).
  ASSERT_TRUE(client.send_raw("AUTH TLS\r\nPASS 12345\r\n"));
  ASSERT_EQ(client.read_reply().code, 234);
  // The handshake waits for the server to have read past the AUTH line.
  TlsConnection tls(ctx_.get(), Fd(::dup(client.fd())));
  ASSERT_TRUE(tls.ok());
  ASSERT_TRUE(tls.write("PWD\r\n"));
  const std::string reply = tls.read_some();
  EXPECT_EQ(reply.substr(0, 4), "530 ") << reply;  // not logged in: PASS was dropped
}

TEST_F(TlsTest, ProtectedDownloadUploadAndListingResumeTheSession) {
  start();
  auto client = explicit_client();
  ASSERT_TRUE(client.secure_login());
  const auto session = client.session();
  ASSERT_NE(session, nullptr);
  const std::string big = pattern(1 << 20, 7);
  write_file(server_->path("big.bin"), big);
  ASSERT_EQ(client.cmd("TYPE I").code, 200);

  const auto down = tls_download(client, ctx_.get(), "RETR big.bin", session.get());
  EXPECT_EQ(down.preliminary.code, 150) << down.preliminary;
  EXPECT_TRUE(down.handshake_ok);
  EXPECT_TRUE(down.resumed);
  EXPECT_TRUE(down.clean_eof);  // close_notify: the end is the server's, not a cut
  EXPECT_EQ(down.data, big);
  EXPECT_EQ(down.completion.code, 226) << down.completion;

  const std::string upload = pattern(300000, 3);
  const auto up = tls_upload(client, ctx_.get(), "STOR up.bin", upload, session.get());
  EXPECT_TRUE(up.resumed);
  EXPECT_EQ(up.completion.code, 226) << up.completion;
  EXPECT_EQ(read_file(server_->path("up.bin")), upload);

  const auto list = tls_download(client, ctx_.get(), "NLST", session.get());
  EXPECT_EQ(list.completion.code, 226) << list.completion;
  EXPECT_NE(list.data.find("up.bin\r\n"), std::string::npos) << list.data;

  // PROT C: back to a clear data connection on the same session.
  ASSERT_EQ(client.cmd("PROT C").code, 200);
  Fd plain = client.open_pasv();
  ASSERT_TRUE(plain);
  EXPECT_EQ(client.cmd("RETR hello.txt").code, 150);
  EXPECT_EQ(recv_all(plain.get()), "hello over TLS");
  EXPECT_EQ(client.read_reply().code, 226);
}

// Many clients end an upload by closing the socket, without close_notify and
// without reading anything: every byte must still arrive (no session ticket
// left unread on their side turns the close into a reset).
TEST_F(TlsTest, UploadEndedByAPlainCloseKeepsEveryByte) {
  start();
  auto client = explicit_client();
  ASSERT_TRUE(client.secure_login());
  ASSERT_EQ(client.cmd("TYPE I").code, 200);
  const auto session = client.session();
  const std::string content = pattern(2 << 20, 11);
  for (int round = 0; round < 5; ++round) {
    Fd fd = client.open_pasv();
    ASSERT_TRUE(fd);
    ASSERT_EQ(client.cmd("STOR abrupt.bin").code, 150);
    TlsConnection data(ctx_.get(), std::move(fd), session.get());
    ASSERT_TRUE(data.resumed());
    ASSERT_TRUE(data.write(content));
    data.close_without_notify();  // nothing read, no close_notify
    const Reply done = client.read_reply();
    EXPECT_EQ(done.code, 226) << done;
    EXPECT_EQ(read_file(server_->path("abrupt.bin")), content) << "round " << round;
  }
}

TEST_F(TlsTest, AsciiDownloadOverTls) {
  start();
  auto client = explicit_client();
  ASSERT_TRUE(client.secure_login());
  const auto session = client.session();
  write_file(server_->path("lines.txt"), "a\nb\n");
  ASSERT_EQ(client.cmd("TYPE A").code, 200);
  const auto down = tls_download(client, ctx_.get(), "RETR lines.txt", session.get());
  EXPECT_EQ(down.data, "a\r\nb\r\n");
  EXPECT_EQ(down.completion.code, 226);
}

void require_reuse(cppftpd::ServerConfig& config) { config.tls.require_session_reuse = true; }

TEST_F(TlsTest, FreshTlsSessionOnDataConnectionIsRefusedWhenReuseIsRequired) {
  start(require_reuse);
  auto client = explicit_client();
  ASSERT_TRUE(client.secure_login());
  // No session offered: a full handshake, which anyone could do.
  const auto stolen = tls_download(client, ctx_.get(), "RETR hello.txt", nullptr);
  EXPECT_EQ(stolen.preliminary.code, 150);
  EXPECT_EQ(stolen.data, "");
  EXPECT_EQ(stolen.completion.code, 522) << stolen.completion;
  // The session is intact: a resumed connection works right after.
  const auto session = client.session();
  const auto good = tls_download(client, ctx_.get(), "RETR hello.txt", session.get());
  EXPECT_TRUE(good.resumed);
  EXPECT_EQ(good.data, "hello over TLS");
  EXPECT_EQ(good.completion.code, 226);
}

TEST_F(TlsTest, AnotherControlConnectionsSessionIsRefusedWhenReuseIsRequired) {
  start(require_reuse);
  auto victim = explicit_client();
  ASSERT_TRUE(victim.secure_login());
  auto thief = explicit_client();
  ASSERT_TRUE(thief.secure_login());
  const auto thief_session = thief.session();
  // The thief (a logged-in user too, from the same address) connects to the
  // victim's passive port resuming its *own* session: refused.
  const auto stolen = tls_download(victim, ctx_.get(), "RETR hello.txt", thief_session.get());
  EXPECT_FALSE(stolen.resumed);
  EXPECT_EQ(stolen.data, "");
  EXPECT_EQ(stolen.completion.code, 522) << stolen.completion;
  const auto own = victim.session();
  const auto good = tls_download(victim, ctx_.get(), "RETR hello.txt", own.get());
  EXPECT_EQ(good.data, "hello over TLS");
  EXPECT_EQ(good.completion.code, 226);
}

// The default (as pyftpdlib, for Python's ftplib, which never resumes): a
// fresh session is accepted...
TEST_F(TlsTest, FreshSessionIsAcceptedByDefault) {
  start();
  auto client = explicit_client();
  ASSERT_TRUE(client.secure_login());
  for (int i = 0; i < 2; ++i) {
    const auto down = tls_download(client, ctx_.get(), "RETR hello.txt", nullptr);
    EXPECT_FALSE(down.resumed);
    EXPECT_EQ(down.data, "hello over TLS");
    EXPECT_EQ(down.completion.code, 226);
  }
}

// ...until a data connection of the same control connection has resumed: a
// client that can resume always does, so a fresh session after that is
// somebody else's (here a thief resuming its own session on the victim's
// passive port, which comes out as a full handshake).
TEST_F(TlsTest, FreshSessionIsRefusedOnceTheClientHasResumed) {
  start();
  auto victim = explicit_client();
  ASSERT_TRUE(victim.secure_login());
  const auto own = victim.session();
  const auto first = tls_download(victim, ctx_.get(), "RETR hello.txt", own.get());
  EXPECT_TRUE(first.resumed);
  EXPECT_EQ(first.completion.code, 226);
  auto thief = explicit_client();
  ASSERT_TRUE(thief.secure_login());
  const auto thief_session = thief.session();
  const auto stolen = tls_download(victim, ctx_.get(), "RETR hello.txt", thief_session.get());
  EXPECT_FALSE(stolen.resumed);
  EXPECT_EQ(stolen.data, "");
  EXPECT_EQ(stolen.completion.code, 522) << stolen.completion;
  const auto fresh = tls_download(victim, ctx_.get(), "RETR hello.txt", nullptr);
  EXPECT_EQ(fresh.completion.code, 522) << fresh.completion;
  // The victim's own session still works.
  const auto again = tls_download(victim, ctx_.get(), "RETR hello.txt", own.get());
  EXPECT_EQ(again.data, "hello over TLS");
  EXPECT_EQ(again.completion.code, 226);
}

TEST_F(TlsTest, ControlRequiredRefusesCredentialsInTheClear) {
  start([](cppftpd::ServerConfig& config) { config.tls.control_required = true; });
  auto client = explicit_client();
  EXPECT_EQ(client.cmd("USER user").code, 530);
  EXPECT_EQ(client.cmd("PASS 12345").code, 530);
  EXPECT_EQ(client.cmd("FEAT").code, 211);
  ASSERT_EQ(client.auth().code, 234);
  EXPECT_EQ(client.cmd("USER user").code, 331);
  EXPECT_EQ(client.cmd("PASS 12345").code, 230);
}

TEST_F(TlsTest, DataRequiredRefusesClearTransfers) {
  start([](cppftpd::ServerConfig& config) { config.tls.data_required = true; });
  auto client = explicit_client();
  ASSERT_EQ(client.auth().code, 234);
  ASSERT_EQ(client.cmd("USER user").code, 331);
  ASSERT_EQ(client.cmd("PASS 12345").code, 230);
  // RFC 4217 10.2: checked on the transfer command, 521, before any 150.
  EXPECT_EQ(client.cmd("PASV").code, 227);
  EXPECT_EQ(client.cmd("RETR hello.txt").code, 521);
  EXPECT_EQ(client.cmd("LIST").code, 521);
  ASSERT_EQ(client.cmd("PBSZ 0").code, 200);
  EXPECT_EQ(client.cmd("PROT C").code, 534);
  ASSERT_EQ(client.cmd("PROT P").code, 200);
  const auto session = client.session();
  const auto down = tls_download(client, ctx_.get(), "RETR hello.txt", session.get());
  EXPECT_EQ(down.data, "hello over TLS");
  EXPECT_EQ(down.completion.code, 226);
}

TEST_F(TlsTest, ImplicitTlsGreetsInsideTlsAndProtectsData) {
  start();  // for its root; the implicit listener is on a server of its own
  cppftpd::MemoryAuthorizer users;
  users.add_user("user", "12345", server_->root(), "elradfmwMT");
  cppftpd::ServerConfig config;
  config.listen = {"127.0.0.1", 0};
  config.handle_signals = false;
  config.threads = 1;
  enable_tls(config);
  config.tls.implicit_port = 0;
  config.tls.handshake_timeout = 1s;  // the plain client below waits for it
  cppftpd::Server server(config, users);
  server.start();
  ASSERT_NE(server.implicit_tls_port(), 0);
  ASSERT_NE(server.implicit_tls_port(), server.port());
  {
    TlsControlClient client(server.implicit_tls_port(), true, ctx_.get());
    ASSERT_TRUE(client.secure());
    EXPECT_EQ(client.greeting().code, 220) << client.greeting();
    EXPECT_EQ(client.cmd("AUTH TLS").code, 503);  // already
    EXPECT_EQ(client.cmd("USER user").code, 331);
    EXPECT_EQ(client.cmd("PASS 12345").code, 230);
    const auto session = client.session();
    // No PROT P needed: an implicit session's data is protected.
    const auto down = tls_download(client, ctx_.get(), "RETR hello.txt", session.get());
    EXPECT_TRUE(down.resumed);
    EXPECT_EQ(down.data, "hello over TLS");
    EXPECT_EQ(down.completion.code, 226);
  }
  {
    // A plain-text client on the implicit port gets no greeting in clear.
    ControlClient plain(server.implicit_tls_port());
    EXPECT_NE(plain.greeting().code, 220);
  }
  server.stop();
  server.wait();
}

TEST_F(TlsTest, SilentClientIsTimedOutDuringTheHandshake) {
  start([](cppftpd::ServerConfig& config) { config.tls.handshake_timeout = 1s; });
  auto client = explicit_client();
  ASSERT_EQ(client.cmd("AUTH TLS").code, 234);
  // ...and never sends a ClientHello: the server closes within its deadline,
  // while other sessions are served meanwhile.
  auto other = explicit_client();
  ASSERT_TRUE(other.secure_login());
  EXPECT_TRUE(ftptest::wait_closed(client.fd()));
  EXPECT_EQ(other.cmd("NOOP").code, 200);
}

TEST_F(TlsTest, GarbageInsteadOfClientHelloClosesOnlyThatSession) {
  start();
  auto client = explicit_client();
  ASSERT_EQ(client.cmd("AUTH TLS").code, 234);
  ASSERT_TRUE(client.send_raw(std::string(600, 'G')));
  EXPECT_TRUE(ftptest::wait_closed(client.fd()));
  auto other = explicit_client();
  EXPECT_TRUE(other.secure_login());
}

TEST_F(TlsTest, OldProtocolVersionsAreRefused) {
  start();
  for (const int version : {TLS1_VERSION, TLS1_1_VERSION}) {
    auto old_ctx = client_context(version);
    TlsControlClient client(server_->port(), false, old_ctx.get());
    ASSERT_EQ(client.greeting().code, 220);
    EXPECT_EQ(client.auth().code, 234);
    EXPECT_FALSE(client.secure()) << "version " << version;
  }
  auto tls12 = client_context(TLS1_2_VERSION, TLS1_2_VERSION);
  TlsControlClient client(server_->port(), false, tls12.get());
  EXPECT_EQ(client.auth().code, 234);
  ASSERT_TRUE(client.secure());
  EXPECT_EQ(client.tls().version(), TLS1_2_VERSION);
  // TLS 1.2 resumption (session IDs / tickets) binds the data connection too.
  ASSERT_EQ(client.cmd("PBSZ 0").code, 200);
  ASSERT_EQ(client.cmd("PROT P").code, 200);
  ASSERT_EQ(client.cmd("USER user").code, 331);
  ASSERT_EQ(client.cmd("PASS 12345").code, 230);
  const auto session = client.session();
  const auto down = tls_download(client, tls12.get(), "RETR hello.txt", session.get());
  EXPECT_TRUE(down.resumed);
  EXPECT_EQ(down.completion.code, 226);
  const auto fresh = tls_download(client, tls12.get(), "RETR hello.txt", nullptr);
  EXPECT_EQ(fresh.completion.code, 522);
}

TEST_F(TlsTest, MinimumVersionThirteenRefusesTwelve) {
  start([](cppftpd::ServerConfig& config) { config.tls.min_version = "1.3"; });
  auto tls12 = client_context(TLS1_2_VERSION, TLS1_2_VERSION);
  TlsControlClient client(server_->port(), false, tls12.get());
  EXPECT_EQ(client.auth().code, 234);
  EXPECT_FALSE(client.secure());
  auto modern = explicit_client();
  EXPECT_TRUE(modern.secure_login());
}

TEST(TlsConfiguration, BadFilesAndVersionsAreClearErrors) {
  TempDir tmp;
  cppftpd::MemoryAuthorizer users;
  auto attempt = [&](const std::function<void(cppftpd::TlsConfig&)>& change) -> std::string {
    cppftpd::ServerConfig config;
    config.listen = {"127.0.0.1", 0};
    config.handle_signals = false;
    config.tls.enabled = true;
    change(config.tls);
    try {
      cppftpd::Server server(config, users);
    } catch (const std::exception& e) {
      return e.what();
    }
    return {};
  };
  const std::string missing = tmp.path() + "/missing.pem";
  const auto no_file = attempt([&](cppftpd::TlsConfig& tls) { tls.certificate_file = missing; });
  EXPECT_NE(no_file.find(missing), std::string::npos) << no_file;
  const std::string garbage = tmp.path() + "/garbage.pem";
  write_file(garbage, "not a certificate\n");
  const auto bad = attempt([&](cppftpd::TlsConfig& tls) { tls.certificate_file = garbage; });
  EXPECT_NE(bad.find(garbage), std::string::npos) << bad;
  const auto version = attempt([](cppftpd::TlsConfig& tls) { tls.min_version = "1.0"; });
  EXPECT_NE(version.find("1.0"), std::string::npos) << version;
  const auto no_tls = attempt([](cppftpd::TlsConfig& tls) {
    tls.enabled = false;
    tls.implicit_port = 0;
  });
  EXPECT_FALSE(no_tls.empty());
}

}  // namespace
}  // namespace ftptest
