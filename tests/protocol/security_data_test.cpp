// Data-channel defences (docs/security.md): bounce (PORT/EPRT to a third
// host or a privileged port), passive-port theft from another address,
// random passive ports, one connection per PASV. After every refusal the
// same session still transfers normally.

#include "ftp_test_client.hpp"

#include <algorithm>

namespace ftptest {
namespace {

class SecurityData : public FtpTest {
 protected:
  void SetUp() override {
    FtpTest::SetUp();
    write_file(path("file.txt"), "payload");
  }
};

TEST_F(SecurityData, BounceTargetsAreRefusedAndTheSessionGoesOn) {
  ControlClient client = user_session();
  // RFC 2577 section 3 / CERT CA-1997-27: no connection to a third host or
  // to a privileged port (the addresses are only named, never reached).
  for (const char* line : {"PORT 127,0,0,2,31,64", "PORT 192,0,2,1,31,64", "PORT 127,0,0,1,0,21",
                           "PORT 127,0,0,1,3,255", "EPRT |1|127.0.0.2|8000|",
                           "EPRT |1|198.51.100.7|8000|", "EPRT |1|127.0.0.1|25|"}) {
    const Reply refused = client.cmd(line);
    EXPECT_EQ(refused.code, 501) << line << ": " << refused;
    // Nothing was prepared: a transfer now has no data connection.
    EXPECT_EQ(client.cmd("RETR file.txt").code, 425) << line;
  }
  EXPECT_EQ(download(client, "RETR file.txt").data, "payload");
}

TEST_F(SecurityData, UploadTheftFromAnotherAddressIsRefused) {
  // draft-ietf-ftpext-sec-consider-02 section 8 ("Port Stealing"): a thief
  // that connects first and sends its own bytes must not become the file;
  // the client's connection is still accepted afterwards.
  ControlClient client = user_session();
  ASSERT_EQ(client.cmd("TYPE I").code, 200);
  const Reply pasv = client.cmd("PASV");
  ASSERT_EQ(pasv.code, 227) << pasv;
  const std::uint16_t port = parse_pasv(pasv);
  Fd thief = connect_tcp(port, "127.0.0.1", "127.0.0.2");
  ASSERT_TRUE(thief) << "could not connect from 127.0.0.2";
  send_all(thief.get(), "planted by the thief");
  EXPECT_EQ(client.cmd("STOR upload.bin").code, 150);
  EXPECT_TRUE(wait_closed(thief.get())) << "the thief's connection stayed open";
  Fd data = connect_tcp(port, "127.0.0.1");
  ASSERT_TRUE(data);
  ASSERT_TRUE(send_all(data.get(), "the real upload"));
  data.reset();
  EXPECT_EQ(client.read_reply().code, 226);
  EXPECT_EQ(read_file(path("upload.bin")), "the real upload");
  EXPECT_EQ(download(client, "RETR upload.bin").data, "the real upload");
}

TEST_F(SecurityData, OnePassiveSetupAcceptsOneConnection) {
  ControlClient client = user_session();
  const Reply pasv = client.cmd("PASV");
  const std::uint16_t port = parse_pasv(pasv);
  ASSERT_NE(port, 0) << pasv;
  Fd data = connect_tcp(port);
  ASSERT_TRUE(data);
  EXPECT_EQ(client.cmd("RETR file.txt").code, 150);
  EXPECT_EQ(recv_all(data.get()), "payload");
  EXPECT_EQ(client.read_reply().code, 226);
  // The listener closed once it had the client's connection.
  Fd second = connect_tcp(port);
  EXPECT_FALSE(second) << "a second connection to a used passive port was accepted";
  EXPECT_EQ(client.cmd("RETR file.txt").code, 425);
  EXPECT_EQ(download(client, "RETR file.txt").data, "payload");
}

TEST(SecurityDataPorts, PassivePortsAreRandomWithinTheRange) {
  constexpr std::uint16_t kFirst = 47'100;
  constexpr std::uint16_t kLast = 47'399;
  TestServer server([](cppftpd::ServerConfig& config) { config.passive_ports = {kFirst, kLast}; });
  ControlClient client = server.connect();
  ASSERT_TRUE(client.login());
  std::vector<std::uint16_t> ports;
  for (int i = 0; i < 40; ++i) {
    const Reply pasv = client.cmd("PASV");  // each PASV closes the previous listener
    ASSERT_EQ(pasv.code, 227) << pasv;
    ports.push_back(parse_pasv(pasv));
  }
  int successive = 0;
  for (std::size_t i = 0; i < ports.size(); ++i) {
    EXPECT_GE(ports[i], kFirst);
    EXPECT_LE(ports[i], kLast);
    if (i > 0 && ports[i] == ports[i - 1] + 1) ++successive;
  }
  std::vector<std::uint16_t> distinct = ports;
  std::sort(distinct.begin(), distinct.end());
  distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
  // Sequential allocation would give 39 successive pairs; random, ~0.
  EXPECT_LT(successive, 5);
  EXPECT_GT(distinct.size(), 25U);
  write_file(server.path("file.txt"), "ranged");
  EXPECT_EQ(download(client, "RETR file.txt").data, "ranged");
}

}  // namespace
}  // namespace ftptest
