// Data connections and their security: PASV, PORT (RFC 959 4.1.2), EPSV,
// EPRT, EPSV ALL (RFC 2428), bounce and port-theft protection (RFC 2577,
// draft-ietf-ftpext-sec-consider), and path confinement to the user's root.
// Only loopback is ever connected to; foreign addresses are named in PORT/
// EPRT arguments solely to check that they are refused.

#include "ftp_test_client.hpp"

namespace ftptest {
namespace {

class DataConnectionTest : public FtpTest {
 protected:
  void SetUp() override {
    FtpTest::SetUp();
    write_file(path("file.txt"), "payload");
  }
};

std::string port_argument(std::uint16_t port) {
  return "127,0,0,1," + std::to_string(port >> 8) + "," + std::to_string(port & 0xFF);
}

TEST_F(DataConnectionTest, PasvNamesTheControlAddress) {
  ControlClient client = user_session();
  const Reply pasv = client.cmd("PASV");
  ASSERT_EQ(pasv.code, 227) << pasv;
  EXPECT_EQ(pasv.text().substr(0, 23), "Entering Passive Mode (") << pasv;
  std::string host;
  EXPECT_NE(parse_pasv(pasv, &host), 0);
  EXPECT_EQ(host, "127.0.0.1");
  // A second PASV replaces the first listener.
  const Transfer t = download(client, "RETR file.txt");
  EXPECT_EQ(t.data, "payload");
}

TEST_F(DataConnectionTest, EpsvReplyFormat) {
  ControlClient client = user_session();
  const Reply epsv = client.cmd("EPSV");
  ASSERT_EQ(epsv.code, 229) << epsv;
  // RFC 2428 3: "229 Entering Extended Passive Mode (|||port|)".
  EXPECT_NE(parse_epsv(epsv), 0) << epsv;
  EXPECT_EQ(client.cmd("EPSV 1").code, 229);
  EXPECT_EQ(client.cmd("epsv 1").code, 229);
  const Transfer t = download(client, "RETR file.txt", /*extended=*/true);
  EXPECT_EQ(t.completion.code, 226) << t;
  EXPECT_EQ(t.data, "payload");
}

TEST_F(DataConnectionTest, EpsvErrors) {
  ControlClient client = user_session();
  // RFC 2428 3: a protocol the server does not use on this connection: 522.
  const Reply v6 = client.cmd("EPSV 2");
  EXPECT_EQ(v6.code, 522) << v6;
  EXPECT_TRUE(v6.contains("(1)")) << v6;
  EXPECT_EQ(client.cmd("EPSV 3").code, 522);
  EXPECT_EQ(client.cmd("EPSV foo").code, 501);
}

TEST_F(DataConnectionTest, EpsvAllRefusesOtherSetups) {
  ControlClient client = user_session();
  EXPECT_EQ(client.cmd("EPSV ALL").code, 200);
  // RFC 2428 4: after EPSV ALL only EPSV may set up data connections.
  EXPECT_EQ(client.cmd("PASV").code, 503);
  EXPECT_EQ(client.cmd("PORT " + port_argument(40000)).code, 503);
  EXPECT_EQ(client.cmd("EPRT |1|127.0.0.1|40000|").code, 503);
  const Transfer t = download(client, "RETR file.txt", /*extended=*/true);
  EXPECT_EQ(t.completion.code, 226) << t;
  EXPECT_EQ(t.data, "payload");
  // A new login forgets it.
  EXPECT_EQ(client.cmd("REIN").code, 220);
  ASSERT_TRUE(client.login());
  EXPECT_EQ(client.cmd("PASV").code, 227);
}

TEST_F(DataConnectionTest, PortActiveMode) {
  ControlClient client = user_session();
  std::uint16_t port = 0;
  Fd listener = listen_tcp(port);
  ASSERT_TRUE(listener);
  const Reply reply = client.cmd("PORT " + port_argument(port));
  EXPECT_EQ(reply.code, 200) << reply;
  EXPECT_EQ(client.cmd("RETR file.txt").code, 150);
  Fd data = accept_tcp(listener.get());
  ASSERT_TRUE(data) << "the server never connected";
  EXPECT_EQ(recv_all(data.get()), "payload");
  EXPECT_EQ(client.read_reply().code, 226);
}

TEST_F(DataConnectionTest, UnspecifiedActiveAddressMeansTheClient) {
  // lftp announces "EPRT |2|::|port|" (and some clients PORT 0,0,0,0,...)
  // when it leaves its data socket unbound: the server connects back to the
  // control peer, never to the unspecified address.
  ControlClient client = user_session();
  std::uint16_t port = 0;
  Fd listener = listen_tcp(port);
  ASSERT_TRUE(listener);
  const Reply reply = client.cmd("PORT 0,0,0,0," + std::to_string(port / 256) + "," +
                                 std::to_string(port % 256));
  EXPECT_EQ(reply.code, 200) << reply;
  EXPECT_EQ(client.cmd("RETR file.txt").code, 150);
  Fd data = accept_tcp(listener.get());
  ASSERT_TRUE(data) << "the server never connected back to the client";
  EXPECT_EQ(recv_all(data.get()), "payload");
  EXPECT_EQ(client.read_reply().code, 226);
}

TEST_F(DataConnectionTest, EprtActiveModeUpload) {
  ControlClient client = user_session();
  std::uint16_t port = 0;
  Fd listener = listen_tcp(port);
  ASSERT_TRUE(listener);
  EXPECT_EQ(client.cmd("TYPE I").code, 200);
  const Reply reply = client.cmd("EPRT |1|127.0.0.1|" + std::to_string(port) + "|");
  EXPECT_EQ(reply.code, 200) << reply;
  EXPECT_EQ(client.cmd("STOR up.bin").code, 150);
  Fd data = accept_tcp(listener.get());
  ASSERT_TRUE(data);
  ASSERT_TRUE(send_all(data.get(), all_bytes()));
  data.reset();
  EXPECT_EQ(client.read_reply().code, 226);
  EXPECT_EQ(read_file(path("up.bin")), all_bytes());
}

TEST_F(DataConnectionTest, MalformedPortAndEprtAre501) {
  ControlClient client = user_session();
  for (const char* line :
       {"PORT 127,0,0,1,300,1", "PORT 127,0,0,1,4", "PORT 127,0,0,1,4,1,1", "PORT a,b,c,d,e,f",
        "PORT 127.0.0.1:1025", "PORT 127,0,0,1,0,0", "EPRT |1|127.0.0.1|", "EPRT |1|127.0.0.1|0|",
        "EPRT |1|127.0.0.1|70000|", "EPRT |1|not-an-ip|1025|", "EPRT 1|127.0.0.1|1025",
        "EPRT |1|::1|1025|", "EPRT |1|127.0.0.1%lo|1025|"}) {
    const Reply reply = client.cmd(line);
    EXPECT_EQ(reply.code, 501) << line << ": " << reply;
  }
  // RFC 2428 2: an unknown network protocol is 522.
  const Reply family = client.cmd("EPRT |3|127.0.0.1|1025|");
  EXPECT_EQ(family.code, 522) << family;
  EXPECT_EQ(client.cmd("RETR file.txt").code, 425) << "a refused PORT prepared a connection";
}

TEST_F(DataConnectionTest, PortToAForeignAddressIsRefused) {
  // Bounce protection (RFC 2577 3): the control peer is 127.0.0.1, so a
  // data connection to any other address is refused at PORT time, before
  // any connection attempt (the later RETR finds nothing prepared).
  ControlClient client = user_session();
  for (const char* line : {"PORT 10,0,0,1,4,1", "PORT 127,0,0,2,4,1", "EPRT |1|10.0.0.1|1025|",
                           "EPRT |1|127.0.0.2|1025|", "EPRT |2|::1|1025|"}) {
    const Reply reply = client.cmd(line);
    EXPECT_EQ(reply.code, 501) << line << ": " << reply;
    EXPECT_EQ(client.cmd("RETR file.txt").code, 425) << line;
  }
}

TEST_F(DataConnectionTest, PortToAPrivilegedPortIsRefused) {
  ControlClient client = user_session();
  const Reply reply = client.cmd("PORT 127,0,0,1,0,21");
  EXPECT_EQ(reply.code, 501) << reply;
  EXPECT_EQ(client.cmd("EPRT |1|127.0.0.1|1023|").code, 501);
  EXPECT_EQ(client.cmd("RETR file.txt").code, 425);
}

TEST(DataConnectionPermits, PrivilegedPortsWhenPermitted) {
  TestServer server([](cppftpd::ServerConfig& config) { config.permit_privileged_ports = true; });
  ControlClient client = server.connect();
  ASSERT_TRUE(client.login());
  // Only accepted: no transfer follows, so nothing connects to port 21.
  EXPECT_EQ(client.cmd("PORT 127,0,0,1,0,21").code, 200);
  EXPECT_EQ(client.cmd("PORT 10,0,0,1,0,21").code, 501) << "privileged ports do not permit bounce";
}

TEST(DataConnectionPermits, ForeignLoopbackAddressWhenPermitted) {
  TestServer server([](cppftpd::ServerConfig& config) { config.permit_foreign_addresses = true; });
  write_file(server.path("file.txt"), "fxp");
  // The data connection goes to 127.0.0.2, another loopback address.
  Fd listener(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in local = ipv4_address("127.0.0.2", 0);
  ASSERT_EQ(::bind(listener.get(), reinterpret_cast<sockaddr*>(&local), sizeof local), 0);
  ASSERT_EQ(::listen(listener.get(), 1), 0);
  socklen_t length = sizeof local;
  ::getsockname(listener.get(), reinterpret_cast<sockaddr*>(&local), &length);
  const std::uint16_t port = ntohs(local.sin_port);

  ControlClient client = server.connect();
  ASSERT_TRUE(client.login());
  EXPECT_EQ(client.cmd("EPRT |1|127.0.0.2|" + std::to_string(port) + "|").code, 200);
  EXPECT_EQ(client.cmd("RETR file.txt").code, 150);
  Fd data = accept_tcp(listener.get());
  ASSERT_TRUE(data);
  EXPECT_EQ(recv_all(data.get()), "fxp");
  EXPECT_EQ(client.read_reply().code, 226);
}

TEST_F(DataConnectionTest, PassivePortTheftIsRefused) {
  // draft-ietf-ftpext-sec-consider "port stealing": a connection to the
  // passive port from another address is closed without data, and the real
  // client still gets the file.
  ControlClient client = user_session();
  const Reply pasv = client.cmd("PASV");
  ASSERT_EQ(pasv.code, 227);
  const std::uint16_t port = parse_pasv(pasv);
  Fd thief = connect_tcp(port, "127.0.0.1", "127.0.0.2");
  ASSERT_TRUE(thief) << "could not connect from 127.0.0.2";
  EXPECT_EQ(client.cmd("RETR file.txt").code, 150);
  std::string stolen;
  EXPECT_TRUE(wait_closed(thief.get(), &stolen)) << "the thief's connection stayed open";
  EXPECT_EQ(stolen, "");
  Fd data = connect_tcp(port, "127.0.0.1");
  ASSERT_TRUE(data);
  EXPECT_EQ(recv_all(data.get()), "payload");
  EXPECT_EQ(client.read_reply().code, 226);
}

TEST_F(DataConnectionTest, ActiveDataComesFromTheServerAddress) {
  ControlClient client = user_session();
  std::uint16_t port = 0;
  Fd listener = listen_tcp(port);
  EXPECT_EQ(client.cmd("PORT " + port_argument(port)).code, 200);
  EXPECT_EQ(client.cmd("RETR file.txt").code, 150);
  sockaddr_in peer{};
  socklen_t length = sizeof peer;
  pollfd p{listener.get(), POLLIN, 0};
  ASSERT_EQ(::poll(&p, 1, kIoTimeoutSeconds * 1000), 1);
  Fd data(::accept4(listener.get(), reinterpret_cast<sockaddr*>(&peer), &length, SOCK_CLOEXEC));
  ASSERT_TRUE(data);
  set_timeouts(data.get());
  char address[INET_ADDRSTRLEN] = {};
  ::inet_ntop(AF_INET, &peer.sin_addr, address, sizeof address);
  EXPECT_STREQ(address, "127.0.0.1");
  EXPECT_EQ(recv_all(data.get()), "payload");
  EXPECT_EQ(client.read_reply().code, 226);
}

// --- IPv6 and dual stack (RFC 2428) ---

TEST(DataConnectionIpv6, EpsvAndEprtOverIpv6) {
  TestServer server([](cppftpd::ServerConfig& config) { config.listen = {"::1", 0}; });
  write_file(server.path("file.txt"), "over six");
  ControlClient client = server.connect(nullptr, "::1");
  ASSERT_TRUE(client.connected());
  ASSERT_TRUE(client.login());
  // RFC 2428 3: the protocol of this connection is 2; 1 is refused naming it.
  const Reply v4 = client.cmd("EPSV 1");
  EXPECT_EQ(v4.code, 522) << v4;
  EXPECT_TRUE(v4.contains("(2)")) << v4;
  EXPECT_EQ(client.cmd("EPSV 2").code, 229);
  // PASV can only name an IPv4 address.
  const Reply pasv = client.cmd("PASV");
  EXPECT_GE(pasv.code, 400) << pasv;
  const Transfer t = download(client, "RETR file.txt", /*extended=*/true);
  EXPECT_EQ(t.completion.code, 226) << t;
  EXPECT_EQ(t.data, "over six");

  std::uint16_t port = 0;
  Fd listener = listen_tcp(port, "::1");
  ASSERT_TRUE(listener);
  EXPECT_EQ(client.cmd("EPRT |2|::1|" + std::to_string(port) + "|").code, 200);
  EXPECT_EQ(client.cmd("RETR file.txt").code, 150);
  Fd data = accept_tcp(listener.get());
  ASSERT_TRUE(data);
  EXPECT_EQ(recv_all(data.get()), "over six");
  EXPECT_EQ(client.read_reply().code, 226);
  // An IPv4 target is foreign to an IPv6 client.
  EXPECT_EQ(client.cmd("EPRT |1|127.0.0.1|" + std::to_string(port) + "|").code, 501);
}

TEST(DataConnectionIpv6, DualStackServesIpv4Clients) {
  // An empty host listens on [::] for both families: an IPv4 client arrives
  // as ::ffff:127.0.0.1 and must be treated as 127.0.0.1 throughout.
  TestServer server([](cppftpd::ServerConfig& config) {
    config.listen = {"", 0};
    config.max_connections_per_ip = 1;
  });
  write_file(server.path("file.txt"), "dual");
  ControlClient client = server.connect();
  ASSERT_TRUE(client.login());
  EXPECT_EQ(download(client, "RETR file.txt").data, "dual");  // PASV names 127.0.0.1
  EXPECT_EQ(client.cmd("EPSV 1").code, 229);
  std::uint16_t port = 0;
  Fd listener = listen_tcp(port);
  EXPECT_EQ(client.cmd("PORT " + port_argument(port)).code, 200) << "own address seen as foreign";
  EXPECT_EQ(client.cmd("RETR file.txt").code, 150);
  Fd data = accept_tcp(listener.get());
  ASSERT_TRUE(data);
  EXPECT_EQ(recv_all(data.get()), "dual");
  EXPECT_EQ(client.read_reply().code, 226);
  EXPECT_EQ(client.cmd("PORT 127,0,0,2,4,1").code, 501);
  // The per-address limit counts the mapped and plain forms as one.
  ControlClient second = server.connect();
  EXPECT_EQ(second.greeting().code, 421) << second.greeting();
}

// --- Path confinement (DESIGN.md principle 7) ---

class ConfinementTest : public DataConnectionTest {
 protected:
  void SetUp() override {
    DataConnectionTest::SetUp();
    std::filesystem::create_directory(path("sub"));
    std::filesystem::create_directory_symlink("/", path("to_root"));
    std::filesystem::create_directory_symlink("/etc", path("to_etc"));
    std::filesystem::create_directory_symlink(server().outside(), path("to_outside"));
    std::filesystem::create_symlink(server().outside() + "/secret.txt", path("secret_link"));
    std::filesystem::create_symlink("../outside/secret.txt", path("relative_link"));
    std::filesystem::create_symlink("file.txt", path("inside_link"));
  }
};

TEST_F(ConfinementTest, DotDotStaysAtTheRoot) {
  ControlClient client = user_session();
  EXPECT_EQ(client.cmd("CWD ..").code, 250);
  EXPECT_EQ(client.cmd("PWD").text(), "\"/\" is the current directory.");
  EXPECT_EQ(client.cmd("CWD ../../..").code, 250);
  EXPECT_EQ(client.cmd("PWD").text(), "\"/\" is the current directory.");
  EXPECT_EQ(client.cmd("CWD sub/../../..").code, 250);
  EXPECT_EQ(client.cmd("PWD").text(), "\"/\" is the current directory.");
  // Still the root of the tree: its own files are there.
  EXPECT_EQ(client.cmd("SIZE file.txt").text(), "7");
  EXPECT_EQ(client.cmd("SIZE ../outside/secret.txt").code, 550);
}

TEST_F(ConfinementTest, RetrOfSystemFilesFails) {
  ControlClient client = user_session();
  for (const char* line : {"RETR ../../etc/passwd", "RETR /etc/passwd", "RETR ../outside/secret.txt",
                           "RETR to_etc/passwd", "RETR to_root/etc/passwd",
                           "RETR to_outside/secret.txt", "RETR secret_link", "RETR relative_link"}) {
    const Transfer t = download(client, line);
    EXPECT_EQ(t.preliminary.code, 550) << line << ": " << t;
    EXPECT_EQ(t.data, "") << line;
  }
  // A symlink that stays inside works.
  EXPECT_EQ(download(client, "RETR inside_link").data, "payload");
}

TEST_F(ConfinementTest, SymlinkedDirectoriesCannotBeEntered) {
  ControlClient client = user_session();
  for (const char* target : {"to_root", "to_etc", "to_outside"}) {
    const Reply cwd = client.cmd(std::string("CWD ") + target);
    EXPECT_EQ(cwd.code, 550) << target << ": " << cwd;
    EXPECT_EQ(client.cmd("PWD").text(), "\"/\" is the current directory.") << target;
    EXPECT_EQ(download(client, std::string("LIST ") + target).preliminary.code, 550) << target;
    EXPECT_EQ(download(client, std::string("NLST ") + target + "/").preliminary.code, 550);
    EXPECT_EQ(client.cmd(std::string("MLST ") + target + "/passwd").code, 550);
    EXPECT_EQ(client.cmd(std::string("SIZE ") + target + "/passwd").code, 550);
  }
}

TEST_F(ConfinementTest, WritesThroughEscapingLinksFail) {
  ControlClient client = user_session();
  EXPECT_EQ(client.cmd("TYPE I").code, 200);
  EXPECT_EQ(upload(client, "STOR to_outside/planted.txt", "x").preliminary.code, 550);
  EXPECT_FALSE(file_exists(server().outside() + "/planted.txt"));
  EXPECT_EQ(upload(client, "STOR secret_link", "x").preliminary.code, 550);
  EXPECT_EQ(read_file(server().outside() + "/secret.txt"), "secret outside the root\n");
  EXPECT_EQ(client.cmd("MKD to_outside/newdir").code, 550);
  EXPECT_FALSE(file_exists(server().outside() + "/newdir"));
  EXPECT_EQ(client.cmd("DELE to_outside/secret.txt").code, 550);
  EXPECT_EQ(client.cmd("SITE CHMOD 777 to_outside/secret.txt").code, 550);
  EXPECT_EQ(client.cmd("RNFR to_outside/secret.txt").code, 550);
  EXPECT_TRUE(file_exists(server().outside() + "/secret.txt"));
  // Removing the link itself is fine: only the link goes.
  EXPECT_EQ(client.cmd("DELE secret_link").code, 250);
  EXPECT_TRUE(file_exists(server().outside() + "/secret.txt"));
}

}  // namespace
}  // namespace ftptest
