// Directory and file commands: CWD, CDUP, PWD, MKD, RMD, DELE, RNFR, RNTO
// and their X-forms (RFC 959 4.1, RFC 775), SIZE, MDTM (RFC 3659), MFMT
// (draft-somers-ftp-mfxx), SITE CHMOD, permission checks.

#include "ftp_test_client.hpp"

namespace ftptest {
namespace {

class NavigationTest : public FtpTest {
 protected:
  void SetUp() override {
    FtpTest::SetUp();
    std::filesystem::create_directories(path("sub/deeper"));
    write_file(path("file.txt"), "0123456789");
    write_file(path("sub/inner.txt"), "inner");
  }
};

TEST_F(NavigationTest, PwdStartsAtRoot) {
  ControlClient client = user_session();
  const Reply pwd = client.cmd("PWD");
  EXPECT_EQ(pwd.code, 257);
  // RFC 959 Appendix II: the directory name comes first, in quotes.
  EXPECT_EQ(pwd.text(), "\"/\" is the current directory.");
  EXPECT_EQ(client.cmd("XPWD").text(), "\"/\" is the current directory.");
  EXPECT_EQ(client.cmd("PWD x").code, 501);
}

TEST_F(NavigationTest, CwdAndCdup) {
  ControlClient client = user_session();
  const Reply cwd = client.cmd("CWD sub");
  EXPECT_EQ(cwd.code, 250) << cwd;
  EXPECT_EQ(client.cmd("PWD").text(), "\"/sub\" is the current directory.");
  EXPECT_EQ(client.cmd("CWD deeper").code, 250);
  EXPECT_EQ(client.cmd("PWD").text(), "\"/sub/deeper\" is the current directory.");
  EXPECT_EQ(client.cmd("CDUP").code, 250);
  EXPECT_EQ(client.cmd("PWD").text(), "\"/sub\" is the current directory.");
  EXPECT_EQ(client.cmd("XCUP").code, 250);
  EXPECT_EQ(client.cmd("PWD").text(), "\"/\" is the current directory.");
  // CDUP at the root stays there.
  EXPECT_EQ(client.cmd("CDUP").code, 250);
  EXPECT_EQ(client.cmd("PWD").text(), "\"/\" is the current directory.");
  EXPECT_EQ(client.cmd("XCWD /sub/deeper").code, 250);
  EXPECT_EQ(client.cmd("XPWD").text(), "\"/sub/deeper\" is the current directory.");
  // CWD without an argument: back to the home directory.
  EXPECT_EQ(client.cmd("CWD").code, 250);
  EXPECT_EQ(client.cmd("PWD").text(), "\"/\" is the current directory.");
  EXPECT_EQ(client.cmd("CDUP x").code, 501);
  EXPECT_EQ(client.cmd("XCUP x").code, 501);
}

TEST_F(NavigationTest, CwdErrors) {
  ControlClient client = user_session();
  EXPECT_EQ(client.cmd("CWD missing").code, 550);
  EXPECT_EQ(client.cmd("CWD file.txt").code, 550);
  EXPECT_EQ(client.cmd("XCWD missing").code, 550);
  EXPECT_EQ(client.cmd("PWD").text(), "\"/\" is the current directory.");
}

TEST_F(NavigationTest, RelativePathsFollowTheWorkingDirectory) {
  ControlClient client = user_session();
  EXPECT_EQ(client.cmd("CWD sub").code, 250);
  EXPECT_EQ(client.cmd("SIZE inner.txt").text(), "5");
  EXPECT_EQ(client.cmd("SIZE ../file.txt").text(), "10");
  EXPECT_EQ(client.cmd("SIZE /file.txt").text(), "10");
}

TEST_F(NavigationTest, MkdAndRmd) {
  ControlClient client = user_session();
  const Reply mkd = client.cmd("MKD newdir");
  EXPECT_EQ(mkd.code, 257) << mkd;
  EXPECT_EQ(mkd.text(), "\"/newdir\" directory created.");
  EXPECT_TRUE(std::filesystem::is_directory(path("newdir")));
  EXPECT_EQ(client.cmd("MKD newdir").code, 550);  // exists
  EXPECT_EQ(client.cmd("MKD missing/child").code, 550);
  EXPECT_EQ(client.cmd("MKD").code, 501);

  EXPECT_EQ(client.cmd("RMD newdir").code, 250);
  EXPECT_FALSE(file_exists(path("newdir")));
  EXPECT_EQ(client.cmd("RMD newdir").code, 550);
  EXPECT_EQ(client.cmd("RMD sub").code, 550);  // not empty
  EXPECT_TRUE(std::filesystem::is_directory(path("sub")));
  EXPECT_EQ(client.cmd("RMD file.txt").code, 550);
  EXPECT_EQ(client.cmd("RMD /").code, 550);
  EXPECT_EQ(client.cmd("RMD").code, 501);

  EXPECT_EQ(client.cmd("XMKD xdir").code, 257);
  EXPECT_TRUE(std::filesystem::is_directory(path("xdir")));
  EXPECT_EQ(client.cmd("XRMD xdir").code, 250);
  EXPECT_FALSE(file_exists(path("xdir")));
}

TEST_F(NavigationTest, QuotesInDirectoryNamesAreDoubled) {
  // RFC 959 Appendix II: 257 "/usr/dm/foo""bar" directory created.
  ControlClient client = user_session();
  const Reply mkd = client.cmd("MKD a\"b");
  EXPECT_EQ(mkd.code, 257) << mkd;
  EXPECT_EQ(mkd.text(), "\"/a\"\"b\" directory created.");
  EXPECT_TRUE(std::filesystem::is_directory(path("a\"b")));
  EXPECT_EQ(client.cmd("CWD a\"b").code, 250);
  const Reply pwd = client.cmd("PWD");
  EXPECT_EQ(pwd.code, 257);
  EXPECT_EQ(pwd.text(), "\"/a\"\"b\" is the current directory.");
}

// RFC 2640 3.1: a <CR> in a pathname comes as <CR><NUL>, whose NUL "MUST be
// stripped away"; a bare NUL is still refused.
TEST_F(NavigationTest, CrNulInAPathnameIsACr) {
  using namespace std::string_literals;
  ControlClient client = user_session();
  ASSERT_TRUE(client.send_raw("MKD cr\r\0name\r\n"s));
  const Reply mkd = client.read_reply();
  EXPECT_EQ(mkd.code, 257) << mkd;
  EXPECT_TRUE(std::filesystem::is_directory(path("cr\rname")));
  // The reply pads the CR the same way.
  EXPECT_EQ(mkd.raw, "257 \"/cr\r\0name\" directory created.\r\n"s);
  ASSERT_TRUE(client.send_raw("RMD cr\r\0name\r\n"s));
  EXPECT_EQ(client.read_reply().code, 250);
  EXPECT_FALSE(std::filesystem::exists(path("cr\rname")));
  ASSERT_TRUE(client.send_raw("MKD nul\0name\r\n"s));
  EXPECT_EQ(client.read_reply().code, 501);
}

// The control connection is Telnet (RFC 959 4, RFC 854): a byte 255 in a
// pathname comes as IAC IAC, and goes back doubled the same way.
TEST_F(NavigationTest, IacInAPathnameIsDoubledBothWays) {
  using namespace std::string_literals;
  ControlClient client = user_session();
  ASSERT_TRUE(client.send_raw("MKD iac\xff\xffname\r\n"s));
  const Reply mkd = client.read_reply();
  EXPECT_EQ(mkd.code, 257) << mkd;
  EXPECT_TRUE(std::filesystem::is_directory(path("iac\xffname")));
  EXPECT_EQ(mkd.raw, "257 \"/iac\xff\xffname\" directory created.\r\n"s);
  ASSERT_TRUE(client.send_raw("CWD iac\xff\xffname\r\n"s));
  EXPECT_EQ(client.read_reply().code, 250);
  EXPECT_EQ(client.cmd("PWD").raw, "257 \"/iac\xff\xffname\" is the current directory.\r\n"s);
}

TEST_F(NavigationTest, Dele) {
  ControlClient client = user_session();
  EXPECT_EQ(client.cmd("DELE file.txt").code, 250);
  EXPECT_FALSE(file_exists(path("file.txt")));
  EXPECT_EQ(client.cmd("DELE file.txt").code, 550);
  EXPECT_EQ(client.cmd("DELE sub").code, 550);  // a directory
  EXPECT_TRUE(std::filesystem::is_directory(path("sub")));
  EXPECT_EQ(client.cmd("DELE").code, 501);
}

TEST_F(NavigationTest, RenameFile) {
  ControlClient client = user_session();
  const Reply rnfr = client.cmd("RNFR file.txt");
  EXPECT_EQ(rnfr.code, 350) << rnfr;
  const Reply rnto = client.cmd("RNTO sub/moved.txt");
  EXPECT_EQ(rnto.code, 250) << rnto;
  EXPECT_FALSE(file_exists(path("file.txt")));
  EXPECT_EQ(read_file(path("sub/moved.txt")), "0123456789");
  // A directory too.
  EXPECT_EQ(client.cmd("RNFR sub").code, 350);
  EXPECT_EQ(client.cmd("RNTO renamed").code, 250);
  EXPECT_TRUE(std::filesystem::is_directory(path("renamed")));
}

TEST_F(NavigationTest, RenameErrors) {
  ControlClient client = user_session();
  // RFC 959 4.1.3: RNTO must come right after RNFR.
  EXPECT_EQ(client.cmd("RNTO x").code, 503);
  EXPECT_EQ(client.cmd("RNFR missing").code, 550);
  EXPECT_EQ(client.cmd("RNTO x").code, 503);
  EXPECT_EQ(client.cmd("RNFR file.txt").code, 350);
  EXPECT_EQ(client.cmd("NOOP").code, 200);
  EXPECT_EQ(client.cmd("RNTO x").code, 503) << "a command between RNFR and RNTO must cancel it";
  EXPECT_TRUE(file_exists(path("file.txt")));
  EXPECT_EQ(client.cmd("RNFR file.txt").code, 350);
  EXPECT_EQ(client.cmd("RNTO missing/x").code, 550);
  EXPECT_EQ(client.cmd("RNFR /").code, 550);
  EXPECT_EQ(client.cmd("RNFR").code, 501);
  EXPECT_EQ(client.cmd("RNTO").code, 501);
}

TEST_F(NavigationTest, Size) {
  ControlClient client = user_session();
  const Reply size = client.cmd("SIZE file.txt");
  EXPECT_EQ(size.code, 213);  // RFC 3659 4.2
  EXPECT_EQ(size.text(), "10");
  EXPECT_EQ(client.cmd("SIZE missing").code, 550);
  EXPECT_EQ(client.cmd("SIZE sub").code, 550);
  EXPECT_EQ(client.cmd("SIZE").code, 501);
}

TEST_F(NavigationTest, MdtmAndMfmt) {
  ControlClient client = user_session();
  const Reply mdtm = client.cmd("MDTM file.txt");
  EXPECT_EQ(mdtm.code, 213);  // RFC 3659 3.2: 14 digits, UTC
  EXPECT_EQ(mdtm.text().size(), 14U) << mdtm;
  EXPECT_EQ(mdtm.text().find_first_not_of("0123456789"), std::string::npos) << mdtm;
  EXPECT_EQ(client.cmd("MDTM missing").code, 550);
  EXPECT_EQ(client.cmd("MDTM").code, 501);

  // draft-somers-ftp-mfxx 3: "213 Modify=<time-val>; <path>".
  const Reply mfmt = client.cmd("MFMT 20200102030405 file.txt");
  EXPECT_EQ(mfmt.code, 213) << mfmt;
  EXPECT_EQ(mfmt.text(), "Modify=20200102030405; file.txt");  // the path as written (mfxx 3.4)
  EXPECT_EQ(client.cmd("MDTM file.txt").text(), "20200102030405");
  struct stat st {};
  ASSERT_EQ(::stat(path("file.txt").c_str(), &st), 0);
  EXPECT_EQ(st.st_mtime, 1577934245);  // 2020-01-02T03:04:05Z

  // mfxx 3.1: the reply's time-val is the one stored, which the file system
  // may clamp (ext4 stops in 2446): it is what MDTM reads back.
  const Reply far = client.cmd("MFMT 99991231235959 file.txt");
  EXPECT_EQ(far.code, 213) << far;
  const Reply far_mdtm = client.cmd("MDTM file.txt");
  EXPECT_EQ(far.text(), "Modify=" + far_mdtm.text() + "; file.txt") << far_mdtm;

  EXPECT_EQ(client.cmd("MFMT 2020 file.txt").code, 501);
  EXPECT_EQ(client.cmd("MFMT 20201345000000 file.txt").code, 501);
  EXPECT_EQ(client.cmd("MFMT 20200102030405").code, 501);
  EXPECT_EQ(client.cmd("MFMT").code, 501);
  EXPECT_EQ(client.cmd("MFMT 20200102030405 missing").code, 550);
}

TEST_F(NavigationTest, SiteChmod) {
  ControlClient client = user_session();
  const Reply chmod = client.cmd("SITE CHMOD 600 file.txt");
  EXPECT_EQ(chmod.code, 200) << chmod;
  struct stat st {};
  ASSERT_EQ(::stat(path("file.txt").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600U);
  EXPECT_EQ(client.cmd("site chmod 644 file.txt").code, 200);  // case-insensitive
  ASSERT_EQ(::stat(path("file.txt").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0644U);

  EXPECT_EQ(client.cmd("SITE CHMOD 999 file.txt").code, 501);
  EXPECT_EQ(client.cmd("SITE CHMOD 644").code, 501);
  EXPECT_EQ(client.cmd("SITE CHMOD").code, 501);
  EXPECT_EQ(client.cmd("SITE CHMOD 644 missing").code, 550);
  EXPECT_EQ(client.cmd("SITE BOGUS").code, 500);
  EXPECT_EQ(client.cmd("SITE").code, 501);
}

TEST_F(NavigationTest, SiteHelp) {
  ControlClient client = user_session();
  const Reply help = client.cmd("SITE HELP");
  EXPECT_EQ(help.code, 214) << help;
  EXPECT_TRUE(help.contains(" CHMOD\r\n")) << help;
  EXPECT_TRUE(help.contains(" HELP\r\n")) << help;
  EXPECT_EQ(client.cmd("SITE HELP CHMOD").code, 214);
  EXPECT_EQ(client.cmd("SITE HELP BOGUS").code, 501);
}

TEST_F(NavigationTest, AnonymousIsReadOnly) {
  ControlClient client = anonymous_session();
  EXPECT_EQ(client.cmd("CWD sub").code, 250);
  EXPECT_EQ(client.cmd("SIZE inner.txt").code, 213);
  EXPECT_EQ(client.cmd("CDUP").code, 250);
  for (const char* line :
       {"MKD newdir", "XMKD newdir", "RMD sub/deeper", "DELE file.txt", "RNFR file.txt",
        "SITE CHMOD 600 file.txt", "MFMT 20200102030405 file.txt", "STOR upload.txt",
        "APPE file.txt", "STOU"}) {
    const Reply reply = client.cmd(line);
    EXPECT_EQ(reply.code, 550) << line << ": " << reply;
  }
  EXPECT_FALSE(file_exists(path("newdir")));
  EXPECT_TRUE(file_exists(path("file.txt")));
  EXPECT_TRUE(file_exists(path("sub/deeper")));
  EXPECT_FALSE(file_exists(path("upload.txt")));
  struct stat st {};
  ASSERT_EQ(::stat(path("file.txt").c_str(), &st), 0);
  EXPECT_NE(st.st_mtime, 1577934245);
}

TEST(NavigationPermissions, OverridePermGrantsWritesInOneDirectory) {
  TestServer server({}, [](cppftpd::MemoryAuthorizer& users, const std::string& home) {
    std::filesystem::create_directory(home + "/upload");
    users.add_user("limited", "pw", home, "elr");
    users.override_perm("limited", "/upload", "elrw");
  });
  ControlClient client = server.connect();
  ASSERT_TRUE(client.login("limited", "pw"));
  EXPECT_EQ(upload(client, "STOR outside.txt", "x").preliminary.code, 550);
  const Transfer allowed = upload(client, "STOR upload/inside.txt", "x");
  EXPECT_EQ(allowed.preliminary.code, 150) << allowed;
  EXPECT_EQ(allowed.completion.code, 226) << allowed;
  EXPECT_EQ(read_file(server.path("upload/inside.txt")), "x");
  EXPECT_FALSE(file_exists(server.path("outside.txt")));
}

}  // namespace
}  // namespace ftptest
