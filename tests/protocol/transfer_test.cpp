// File transfers: RETR, STOR, APPE, STOU, REST (RFC 959 4.1.3, RFC 3659 5),
// TYPE A/I conversion (RFC 959 3.1.1), and the control channel during a
// transfer: ABOR (plain and with Telnet IP/Synch), STAT, NOOP, QUIT.

#include "ftp_test_client.hpp"

namespace ftptest {
namespace {

constexpr std::size_t kBigFile = 64U << 20;  // larger than any loopback socket buffers

class TransferTest : public FtpTest {
 protected:
  void SetUp() override {
    FtpTest::SetUp();
    std::filesystem::create_directory(path("sub"));
  }

  void make_sparse(const std::string& name, std::size_t size) {
    ASSERT_TRUE(make_sparse_file(path(name), size));
  }

  // Starts "RETR big" with a data connection the client does not read, so
  // the transfer stays in progress until the test acts.
  Fd start_stalled_retr(ControlClient& client) {
    make_sparse("big", kBigFile);
    EXPECT_EQ(client.cmd("TYPE I").code, 200);
    Fd data = client.open_pasv();
    EXPECT_TRUE(data.valid());
    const Reply started = client.cmd("RETR big");
    EXPECT_EQ(started.code, 150) << started;
    return data;
  }
};

TEST_F(TransferTest, RetrBinaryIsByteExact) {
  const std::string content = all_bytes(64);
  write_file(path("binary.bin"), content);
  ControlClient client = user_session();
  EXPECT_EQ(client.cmd("TYPE I").code, 200);
  const Transfer t = download(client, "RETR binary.bin");
  EXPECT_EQ(t.preliminary.code, 150) << t;
  EXPECT_EQ(t.completion.code, 226) << t;
  EXPECT_TRUE(t.clean_eof);
  EXPECT_EQ(t.data, content);
}

TEST(TransferWithoutSendfile, RetrBinaryIsByteExact) {
  TestServer server([](cppftpd::ServerConfig& config) { config.use_sendfile = false; });
  const std::string content = all_bytes(2048);  // several transfer buffers
  write_file(server.path("binary.bin"), content);
  ControlClient client = server.connect();
  ASSERT_TRUE(client.login());
  EXPECT_EQ(client.cmd("TYPE I").code, 200);
  const Transfer t = download(client, "RETR binary.bin");
  EXPECT_EQ(t.completion.code, 226) << t;
  EXPECT_EQ(t.data, content);
}

TEST_F(TransferTest, StorBinaryIsByteExact) {
  const std::string content = all_bytes(64);
  ControlClient client = user_session();
  EXPECT_EQ(client.cmd("TYPE I").code, 200);
  const Transfer t = upload(client, "STOR binary.bin", content);
  EXPECT_EQ(t.preliminary.code, 150) << t;
  EXPECT_EQ(t.completion.code, 226) << t;
  EXPECT_EQ(read_file(path("binary.bin")), content);
  // And back again.
  EXPECT_EQ(download(client, "RETR binary.bin").data, content);
}

TEST_F(TransferTest, TypeAsciiRetrConvertsLfToCrlf) {
  write_file(path("text.txt"), "one\ntwo\n\nthree");
  ControlClient client = user_session();
  // TYPE A is the default (RFC 959 3.1.1.1) ...
  const Transfer by_default = download(client, "RETR text.txt");
  EXPECT_EQ(by_default.completion.code, 226) << by_default;
  EXPECT_EQ(by_default.data, "one\r\ntwo\r\n\r\nthree");
  // ... and TYPE A asks for it explicitly.
  EXPECT_EQ(client.cmd("TYPE A").code, 200);
  EXPECT_EQ(download(client, "RETR text.txt").data, "one\r\ntwo\r\n\r\nthree");
  EXPECT_EQ(client.cmd("TYPE I").code, 200);
  EXPECT_EQ(download(client, "RETR text.txt").data, "one\ntwo\n\nthree");
}

TEST_F(TransferTest, TypeAsciiStorConvertsCrlfToLf) {
  ControlClient client = user_session();
  EXPECT_EQ(client.cmd("TYPE A").code, 200);
  const Transfer t = upload(client, "STOR text.txt", "one\r\ntwo\r\n\r\nlone\rcr\r\n");
  EXPECT_EQ(t.completion.code, 226) << t;
  EXPECT_EQ(read_file(path("text.txt")), "one\ntwo\n\nlone\rcr\n");
  EXPECT_EQ(client.cmd("TYPE I").code, 200);
  EXPECT_EQ(upload(client, "STOR raw.txt", "one\r\ntwo\r\n").completion.code, 226);
  EXPECT_EQ(read_file(path("raw.txt")), "one\r\ntwo\r\n");
}

TEST_F(TransferTest, StorReplacesAnExistingFile) {
  write_file(path("file.txt"), "a much longer original content");
  ControlClient client = user_session();
  EXPECT_EQ(client.cmd("TYPE I").code, 200);
  EXPECT_EQ(upload(client, "STOR file.txt", "short").completion.code, 226);
  EXPECT_EQ(read_file(path("file.txt")), "short");
}

TEST_F(TransferTest, RestRetrResumesFromTheOffset) {
  write_file(path("digits.txt"), "0123456789");
  ControlClient client = user_session();
  EXPECT_EQ(client.cmd("TYPE I").code, 200);
  // The order ftplib uses: PASV, REST, RETR.
  Fd data = client.open_pasv();
  ASSERT_TRUE(data);
  EXPECT_EQ(client.cmd("REST 4").code, 350);
  EXPECT_EQ(client.cmd("RETR digits.txt").code, 150);
  EXPECT_EQ(recv_all(data.get()), "456789");
  EXPECT_EQ(client.read_reply().code, 226);
  // The offset was for one transfer only.
  EXPECT_EQ(download(client, "RETR digits.txt").data, "0123456789");
}

TEST_F(TransferTest, RestIsClearedByAnUnrelatedCommand) {
  write_file(path("digits.txt"), "0123456789");
  ControlClient client = user_session();
  EXPECT_EQ(client.cmd("TYPE I").code, 200);
  EXPECT_EQ(client.cmd("REST 4").code, 350);
  EXPECT_EQ(client.cmd("CWD /").code, 250);  // RFC 3659 5.3: REST applies to the next transfer
  EXPECT_EQ(download(client, "RETR digits.txt").data, "0123456789");
}

// RFC 3659 5.3: a marker out of range rejects the transfer command (554);
// one at the very end is a valid, empty transfer.
TEST_F(TransferTest, RestPastTheEndRejectsTheRetrAndAtTheEndSendsNothing) {
  write_file(path("digits.txt"), "0123456789");
  ControlClient client = user_session();
  EXPECT_EQ(client.cmd("TYPE I").code, 200);
  Fd data = client.open_pasv();
  ASSERT_TRUE(data);
  EXPECT_EQ(client.cmd("REST 100").code, 350);
  const Reply refused = client.cmd("RETR digits.txt");
  EXPECT_EQ(refused.code, 554) << refused;
  EXPECT_NE(refused.text().find("REST position (100) > file size (10)"), std::string::npos)
      << refused;
  EXPECT_EQ(client.cmd("REST 10").code, 350);
  const Transfer t = download(client, "RETR digits.txt");
  EXPECT_EQ(t.completion.code, 226) << t;
  EXPECT_EQ(t.data, "");
}

// RFC 3659 5.3: REST is answered 350 in TYPE A too (the default type; only a
// syntax error is reported on REST itself). The marker counts octets of the
// converted stream (5.2): RETR skips that many converted octets, and checks
// the range against the converted size; STOR cannot place such a marker in
// the stored file and is refused (554, on the transfer command, as 5.3 has
// it). TYPE I counts file octets.
TEST_F(TransferTest, RestInAsciiModeCountsConvertedOctets) {
  write_file(path("lines.txt"), "line1\nline2\nline3\n");  // 21 octets converted
  ControlClient client = user_session();
  EXPECT_EQ(client.cmd("TYPE A").code, 200);
  EXPECT_EQ(client.cmd("REST 14").code, 350);
  const Transfer tail = download(client, "RETR lines.txt");
  EXPECT_EQ(tail.completion.code, 226) << tail;
  EXPECT_EQ(tail.data, "line3\r\n");
  // Inside a converted line end: the client merges what it has.
  EXPECT_EQ(client.cmd("REST 6").code, 350);
  EXPECT_EQ(download(client, "RETR lines.txt").data, "\nline2\r\nline3\r\n");
  EXPECT_EQ(client.cmd("REST 21").code, 350);
  const Transfer at_end = download(client, "RETR lines.txt");
  EXPECT_EQ(at_end.completion.code, 226) << at_end;
  EXPECT_EQ(at_end.data, "");
  {
    Fd data = client.open_pasv();
    ASSERT_TRUE(data);
    EXPECT_EQ(client.cmd("REST 22").code, 350);
    const Reply past = client.cmd("RETR lines.txt");
    EXPECT_EQ(past.code, 554) << past;
    EXPECT_NE(past.text().find("REST position (22) > file size (21)"), std::string::npos) << past;
  }
  {
    Fd data = client.open_pasv();
    ASSERT_TRUE(data);
    EXPECT_EQ(client.cmd("REST 5").code, 350);
    const Reply stor = client.cmd("STOR lines.txt");
    EXPECT_EQ(stor.code, 554) << stor;
    EXPECT_EQ(read_file(path("lines.txt")), "line1\nline2\nline3\n");
  }
  // Nothing is pending after a refusal: the whole file comes, converted.
  EXPECT_EQ(download(client, "RETR lines.txt").data, "line1\r\nline2\r\nline3\r\n");
  EXPECT_EQ(client.cmd("TYPE I").code, 200);
  EXPECT_EQ(client.cmd("REST 12").code, 350);
  EXPECT_EQ(download(client, "RETR lines.txt").data, "line3\n");
}

// RFC 3659 5.3: APPE after REST MUST act as STOR or not be permitted; it is
// not (450, as pyftpdlib), and the file is left alone. STOU likewise.
TEST_F(TransferTest, AppeAndStouAfterRestAreRefused) {
  write_file(path("digits.txt"), "0123456789");
  ControlClient client = user_session();
  EXPECT_EQ(client.cmd("TYPE I").code, 200);
  Fd data = client.open_pasv();
  ASSERT_TRUE(data);
  EXPECT_EQ(client.cmd("REST 2").code, 350);
  const Reply appe = client.cmd("APPE digits.txt");
  EXPECT_EQ(appe.code, 450) << appe;
  EXPECT_EQ(client.cmd("REST 2").code, 350);
  const Reply stou = client.cmd("STOU");
  EXPECT_EQ(stou.code, 450) << stou;
  EXPECT_EQ(read_file(path("digits.txt")), "0123456789");
  EXPECT_FALSE(std::filesystem::exists(path("ftpd")));
  // The REST was used up: a plain APPE appends.
  Fd again = client.open_pasv();
  ASSERT_TRUE(again);
  EXPECT_EQ(client.cmd("APPE digits.txt").code, 150);
  ASSERT_TRUE(send_all(again.get(), "Q"));
  again.reset();
  EXPECT_EQ(client.read_reply().code, 226);
  EXPECT_EQ(read_file(path("digits.txt")), "0123456789Q");
}

TEST_F(TransferTest, RestStorWritesAtTheOffset) {
  write_file(path("digits.txt"), "0123456789");
  ControlClient client = user_session();
  EXPECT_EQ(client.cmd("TYPE I").code, 200);
  Fd data = client.open_pasv();
  ASSERT_TRUE(data);
  EXPECT_EQ(client.cmd("REST 5").code, 350);
  EXPECT_EQ(client.cmd("STOR digits.txt").code, 150);
  ASSERT_TRUE(send_all(data.get(), "abc"));
  data.reset();
  EXPECT_EQ(client.read_reply().code, 226);
  EXPECT_EQ(read_file(path("digits.txt")), "01234abc");
}

TEST_F(TransferTest, AppeAppends) {
  write_file(path("log.txt"), "abc");
  ControlClient client = user_session();
  EXPECT_EQ(client.cmd("TYPE I").code, 200);
  const Transfer t = upload(client, "APPE log.txt", "def");
  EXPECT_EQ(t.preliminary.code, 150) << t;
  EXPECT_EQ(t.completion.code, 226) << t;
  EXPECT_EQ(read_file(path("log.txt")), "abcdef");
  // APPE of a new file creates it.
  EXPECT_EQ(upload(client, "APPE new.txt", "xyz").completion.code, 226);
  EXPECT_EQ(read_file(path("new.txt")), "xyz");
}

TEST_F(TransferTest, StouStoresUnderUniqueNamesInTheWorkingDirectory) {
  ControlClient client = user_session();
  EXPECT_EQ(client.cmd("TYPE I").code, 200);
  EXPECT_EQ(client.cmd("CWD sub").code, 250);
  std::set<std::string> names;
  for (const char* content : {"first", "second"}) {
    const Transfer t = upload(client, "STOU", content);
    // RFC 1123 4.1.2.9: "150 FILE: <name>".
    ASSERT_EQ(t.preliminary.code, 150) << t;
    ASSERT_EQ(t.preliminary.text().substr(0, 6), "FILE: ") << t;
    const std::string name = t.preliminary.text().substr(6);
    EXPECT_FALSE(name.empty());
    EXPECT_EQ(name.find('/'), std::string::npos) << name;
    EXPECT_EQ(t.completion.code, 226) << t;
    EXPECT_EQ(read_file(path("sub/" + name)), content) << "not in the working directory: " << name;
    names.insert(name);
  }
  EXPECT_EQ(names.size(), 2U) << "STOU reused a name";
}

TEST_F(TransferTest, StouWithANameKeepsExistingFiles) {
  write_file(path("report.txt"), "old");
  ControlClient client = user_session();
  EXPECT_EQ(client.cmd("TYPE I").code, 200);
  const Transfer t = upload(client, "STOU report.txt", "new");
  ASSERT_EQ(t.preliminary.code, 150) << t;
  const std::string name = t.preliminary.text().substr(6);
  EXPECT_NE(name, "report.txt");
  EXPECT_EQ(t.completion.code, 226);
  EXPECT_EQ(read_file(path("report.txt")), "old");
  EXPECT_EQ(read_file(path(name)), "new");
  // With a directory part, the name keeps it: "pppp is the unique pathname"
  // (RFC 1123 4.1.2.9), usable as it is from the working directory.
  write_file(path("sub/report.txt"), "old");
  const Transfer in_sub = upload(client, "STOU sub/report.txt", "newer");
  ASSERT_EQ(in_sub.preliminary.code, 150) << in_sub;
  const std::string sub_name = in_sub.preliminary.text().substr(6);
  EXPECT_EQ(sub_name.rfind("sub/report.txt.", 0), 0U) << sub_name;
  EXPECT_EQ(read_file(path(sub_name)), "newer");
}

TEST_F(TransferTest, TransferWithoutDataConnectionIs425) {
  write_file(path("file.txt"), "x");
  ControlClient client = user_session();
  for (const char* line :
       {"RETR file.txt", "STOR up.txt", "APPE file.txt", "STOU", "LIST", "NLST", "MLSD"}) {
    const Reply reply = client.cmd(line);
    EXPECT_EQ(reply.code, 425) << line << ": " << reply;
  }
  EXPECT_FALSE(file_exists(path("up.txt")));
  EXPECT_EQ(client.cmd("NOOP").code, 200);
}

TEST_F(TransferTest, RetrErrorsAre550AndTheSessionGoesOn) {
  ControlClient client = user_session();
  EXPECT_EQ(client.cmd("TYPE I").code, 200);
  for (const char* line : {"RETR missing", "RETR sub", "STOR missing/x.txt", "STOR sub"}) {
    Fd data = client.open_pasv();
    const Reply reply = client.cmd(line);
    EXPECT_EQ(reply.code, 550) << line << ": " << reply;
    // The prepared data connection is dropped with the failed command.
    std::string leaked;
    EXPECT_TRUE(wait_closed(data.get(), &leaked)) << line;
    EXPECT_EQ(leaked, "");
  }
  write_file(path("ok.txt"), "fine");
  EXPECT_EQ(download(client, "RETR ok.txt").data, "fine");
}

TEST_F(TransferTest, ClientClosingTheDataConnectionIs426) {
  ControlClient client = user_session();
  Fd data = start_stalled_retr(client);
  char some[1024];
  EXPECT_GT(::recv(data.get(), some, sizeof some, 0), 0);
  data.reset();  // unread data: the kernel resets the connection
  const Reply broken = client.read_reply();
  EXPECT_EQ(broken.code, 426) << broken;
  EXPECT_EQ(client.cmd("NOOP").code, 200);
}

TEST_F(TransferTest, AborDuringRetrIs426Then226) {
  ControlClient client = user_session();
  Fd data = start_stalled_retr(client);
  // RFC 959 4.1.3: the transfer's 426, then the ABOR's 226.
  ASSERT_TRUE(client.send("ABOR"));
  const Reply aborted = client.read_reply();
  EXPECT_EQ(aborted.code, 426) << aborted;
  const Reply abor = client.read_reply();
  EXPECT_EQ(abor.code, 226) << abor;
  EXPECT_TRUE(wait_closed(data.get()));
  EXPECT_EQ(client.cmd("NOOP").code, 200);
}

TEST_F(TransferTest, AborRightAfterThe150) {
  // Regression: an ABOR that arrived after the passive accept completed but
  // before the transfer coroutine took the socket was lost; the transfer ran
  // on and ABOR hung until the data timeout. A real (not sparse) file and an
  // ABOR sent as soon as the 150 arrives hit that window.
  write_file(path("real.bin"), std::string(8U << 20, 'r'));
  ControlClient client = user_session();
  EXPECT_EQ(client.cmd("TYPE I").code, 200);
  for (int round = 0; round < 5; ++round) {
    Fd data = client.open_pasv();
    ASSERT_TRUE(data);
    ASSERT_EQ(client.cmd("RETR real.bin").code, 150);
    ASSERT_TRUE(client.send("ABOR"));
    const Reply first = client.read_reply();
    ASSERT_TRUE(first.code == 426 || first.code == 226) << round << ": " << first;
    const Reply second = client.read_reply();
    // 426 then 226; or, had the file gone out whole first, 226 then 225/226.
    EXPECT_GE(second.code, 225) << round << ": " << second;
    EXPECT_LE(second.code, 226) << round << ": " << second;
  }
  EXPECT_EQ(client.cmd("NOOP").code, 200);
}

TEST_F(TransferTest, AborWithFtplibUrgentTelnetBytes) {
  // Python's ftplib-style abort: Telnet IP and Synch (IAC IP IAC DM) before
  // ABOR, the whole line sent with MSG_OOB (RFC 959 4.1.3, RFC 854).
  ControlClient client = user_session();
  Fd data = start_stalled_retr(client);
  ASSERT_TRUE(
      client.send_raw("\xff\xf4\xff\xf2"
                      "ABOR\r\n",
                      MSG_OOB));
  const Reply aborted = client.read_reply();
  EXPECT_EQ(aborted.code, 426) << aborted;
  const Reply abor = client.read_reply();
  EXPECT_EQ(abor.code, 226) << abor;
  EXPECT_EQ(client.cmd("NOOP").code, 200);
}

TEST_F(TransferTest, AborWithTelnetSynchAsUrgentByte) {
  // RFC 959 4.1.3 as written: IAC IP, then the Synch (IAC DM, the DM being
  // TCP urgent data), then ABOR as ordinary data.
  ControlClient client = user_session();
  Fd data = start_stalled_retr(client);
  ASSERT_TRUE(client.send_raw("\xff\xf4\xff"));
  ASSERT_TRUE(client.send_raw("\xf2", MSG_OOB));
  ASSERT_TRUE(client.send_raw("ABOR\r\n"));
  EXPECT_EQ(client.read_reply().code, 426);
  EXPECT_EQ(client.read_reply().code, 226);
  EXPECT_EQ(client.cmd("NOOP").code, 200);
}

// RFC 959 4.1: after IP the server "scans the Telnet stream for EXACTLY ONE
// FTP command". An ABOR queued behind a command that waits for the transfer
// still aborts it at once (the client never reads nor closes the data
// connection here); the replies stay in command order: the transfer's 426,
// the waiting command's, then the ABOR's 226.
TEST_F(TransferTest, AborBehindAQueuedCommandStillAbortsTheTransfer) {
  ControlClient client = user_session();
  Fd data = start_stalled_retr(client);
  ASSERT_TRUE(client.send("PWD"));
  ASSERT_TRUE(client.send_raw("\xff\xf4\xff"));
  ASSERT_TRUE(client.send_raw("\xf2", MSG_OOB));
  ASSERT_TRUE(client.send_raw("ABOR\r\n"));
  const Reply aborted = client.read_reply();
  EXPECT_EQ(aborted.code, 426) << aborted;
  const Reply pwd = client.read_reply();
  EXPECT_EQ(pwd.code, 257) << pwd;
  const Reply abor = client.read_reply();
  EXPECT_EQ(abor.code, 226) << abor;
  EXPECT_TRUE(wait_closed(data.get()));
  EXPECT_EQ(client.cmd("NOOP").code, 200);
  // Nothing is left over: a later ABOR with no transfer is the usual 225.
  EXPECT_EQ(client.cmd("ABOR").code, 225);
}

// The same with several commands queued, the ABOR arriving in the same
// segment as them, and a command after it that is answered in its turn.
TEST_F(TransferTest, AborInAPipelinedBatchAbortsAndTheRestRunsInOrder) {
  ControlClient client = user_session();
  Fd data = start_stalled_retr(client);
  ASSERT_TRUE(client.send_raw("TYPE A\r\nPWD\r\nABOR\r\nSYST\r\n"));
  EXPECT_EQ(client.read_reply().code, 426);
  EXPECT_EQ(client.read_reply().code, 200);
  EXPECT_EQ(client.read_reply().code, 257);
  EXPECT_EQ(client.read_reply().code, 226);
  EXPECT_EQ(client.read_reply().code, 215);
  EXPECT_TRUE(wait_closed(data.get()));
}

// An ABOR queued behind a command that starts a transfer of its own belongs
// to that transfer: the running one is not cut short (all its bytes come).
TEST_F(TransferTest, AborQueuedAfterAnotherTransferCommandIsThatTransfersOwn) {
  ControlClient client = user_session();
  Fd data = start_stalled_retr(client);
  ASSERT_TRUE(client.send_raw("TYPE I\r\nRETR big\r\nABOR\r\n"));
  bool clean = false;
  EXPECT_EQ(recv_all(data.get(), &clean).size(), kBigFile);
  EXPECT_TRUE(clean);
  EXPECT_EQ(client.read_reply().code, 226);
  EXPECT_EQ(client.read_reply().code, 200);
  EXPECT_EQ(client.read_reply().code, 425);  // no PASV for the second RETR
  EXPECT_EQ(client.read_reply().code, 225);  // nothing left to abort
  EXPECT_EQ(client.cmd("NOOP").code, 200);
}

// Only a line the command loop will run as ABOR aborts ahead: not "ABOR x"
// (501), and not an ABOR behind REIN (which logs out: 530). The running
// transfer then goes on to its end.
TEST_F(TransferTest, OnlyALineThatWillRunAsAborAbortsAhead) {
  ControlClient client = user_session();
  for (const char* batch : {"TYPE I\r\nABOR x\r\n", "REIN\r\nABOR\r\n"}) {
    Fd data = start_stalled_retr(client);
    ASSERT_TRUE(client.send_raw(batch));
    bool clean = false;
    EXPECT_EQ(recv_all(data.get(), &clean).size(), kBigFile) << batch;
    EXPECT_TRUE(clean) << batch;
    EXPECT_EQ(client.read_reply().code, 226) << batch;
    const Reply queued = client.read_reply();
    EXPECT_TRUE(queued.code == 200 || queued.code == 220) << batch << queued;
    EXPECT_EQ(client.read_reply().code, queued.code == 200 ? 501 : 530) << batch;
    ASSERT_TRUE(client.login());
  }
  // Nothing is left marked: an ABOR with nothing to abort is the usual 225.
  EXPECT_EQ(client.cmd("ABOR").code, 225);
}

TEST_F(TransferTest, AborWhileWaitingForThePassiveConnection) {
  write_file(path("file.txt"), "x");
  ControlClient client = user_session();
  EXPECT_EQ(client.cmd("PASV").code, 227);
  EXPECT_EQ(client.cmd("RETR file.txt").code, 150);
  // Nobody connects; ABOR must not wait for data_connect_timeout.
  ASSERT_TRUE(client.send("ABOR"));
  EXPECT_EQ(client.read_reply().code, 426);
  EXPECT_EQ(client.read_reply().code, 226);
  EXPECT_EQ(client.cmd("NOOP").code, 200);
}

TEST_F(TransferTest, OnePassiveSetupServesOneTransfer) {
  write_file(path("file.txt"), "once");
  ControlClient client = user_session();
  EXPECT_EQ(download(client, "RETR file.txt").data, "once");
  EXPECT_EQ(client.cmd("RETR file.txt").code, 425);
}

TEST_F(TransferTest, NamesWithSpacesAndUnicode) {
  ControlClient client = user_session();
  EXPECT_EQ(client.cmd("TYPE I").code, 200);
  for (const char* name : {"with space.txt", " leading.txt", "trailing.txt ", "caf\xc3\xa9.txt"}) {
    const Transfer up = upload(client, std::string("STOR ") + name, name);
    EXPECT_EQ(up.completion.code, 226) << name << ": " << up;
    EXPECT_EQ(read_file(path(name)), name) << name;
    EXPECT_EQ(download(client, std::string("RETR ") + name).data, name) << name;
    EXPECT_EQ(client.cmd(std::string("SIZE ") + name).text(), std::to_string(std::strlen(name)));
  }
}

TEST_F(TransferTest, AborWithoutTransfer) {
  ControlClient client = user_session();
  const Reply abor = client.cmd("ABOR");
  // RFC 959 5.4 lists 225 and 226; with no data connection, 225 (as peers).
  EXPECT_EQ(abor.code, 225) << abor;
  // With a prepared passive connection, ABOR closes it: 226 (RFC 959 4.1.3).
  Fd data = client.open_pasv();
  ASSERT_TRUE(data);
  const Reply again = client.cmd("ABOR");
  EXPECT_EQ(again.code, 226) << again;
  EXPECT_EQ(client.cmd("RETR x").code, 425) << "the data connection survived ABOR";
}

TEST_F(TransferTest, AborDuringStorKeepsWhatArrived) {
  ControlClient client = user_session();
  EXPECT_EQ(client.cmd("TYPE I").code, 200);
  Fd data = client.open_pasv();
  ASSERT_TRUE(data);
  EXPECT_EQ(client.cmd("STOR partial.bin").code, 150);
  ASSERT_TRUE(send_all(data.get(), "first part"));
  // The bytes are on disk before ABOR: poll the file, no sleeping.
  EXPECT_TRUE(poll_until([&] { return read_file(path("partial.bin")) == "first part"; }));
  ASSERT_TRUE(client.send("ABOR"));
  EXPECT_EQ(client.read_reply().code, 426);
  EXPECT_EQ(client.read_reply().code, 226);
  EXPECT_EQ(read_file(path("partial.bin")), "first part");
}

TEST_F(TransferTest, StatAndNoopAnswerDuringTransfer) {
  ControlClient client = user_session();
  Fd data = start_stalled_retr(client);
  const Reply stat = client.cmd("STAT");
  EXPECT_EQ(stat.code, 211) << stat;
  EXPECT_TRUE(stat.contains("RETR /big in progress")) << stat;
  EXPECT_EQ(client.cmd("NOOP").code, 200);
  // The data still flows, complete, after the STAT.
  bool clean = false;
  const std::string received = recv_all(data.get(), &clean);
  EXPECT_TRUE(clean);
  EXPECT_EQ(received.size(), kBigFile);
  EXPECT_EQ(client.read_reply().code, 226);
}

TEST_F(TransferTest, OtherCommandsWaitForTheTransfer) {
  // RFC 959 5.3: replies come in order; PWD during a transfer is answered
  // after the transfer's 226.
  ControlClient client = user_session();
  Fd data = start_stalled_retr(client);
  ASSERT_TRUE(client.send("PWD"));
  EXPECT_EQ(recv_all(data.get()).size(), kBigFile);
  EXPECT_EQ(client.read_reply().code, 226);
  EXPECT_EQ(client.read_reply().code, 257);
}

TEST_F(TransferTest, QuitDuringTransferAnswersTheTransferFirst) {
  ControlClient client = user_session();
  Fd data = start_stalled_retr(client);
  ASSERT_TRUE(client.send("QUIT"));
  // RFC 959 4.1.1: the transfer finishes, its reply comes, then 221.
  EXPECT_EQ(recv_all(data.get()).size(), kBigFile);
  const Reply done = client.read_reply();
  EXPECT_TRUE(done.code == 226 || done.code == 426) << done;
  EXPECT_EQ(client.read_reply().code, 221);
  EXPECT_TRUE(client.wait_closed());
}

TEST_F(TransferTest, QuitCutsATransferWhoseDataConnectionNeverOpened) {
  // PASV, RETR (150), then QUIT without ever connecting: nothing has moved,
  // so QUIT must not wait for the passive timeout (30 s by default; the
  // client's 10 s receive timeout would fail this test first).
  write_file(path("quit.txt"), "data");
  ControlClient client = user_session();
  const Reply pasv = client.cmd("PASV");
  ASSERT_EQ(pasv.code, 227) << pasv;
  EXPECT_EQ(client.cmd("RETR quit.txt").code, 150);
  ASSERT_TRUE(client.send("QUIT"));
  EXPECT_EQ(client.read_reply().code, 426);
  EXPECT_EQ(client.read_reply().code, 221);
  EXPECT_TRUE(client.wait_closed());
}

}  // namespace
}  // namespace ftptest
