// Informational and parameter commands: SYST, NOOP, HELP, FEAT (RFC 2389),
// OPTS, STAT, TYPE, STRU, MODE, ALLO, REST; unknown verbs and argument
// policy; HELP and FEAT list exactly what the command table implements.

#include "ftp_test_client.hpp"

#include <sstream>

namespace ftptest {
namespace {

using CommandsTest = FtpTest;

// Every verb of the command table (RFC 959 4.1, RFC 775, RFC 2389, RFC 2428,
// RFC 3659, draft-somers-ftp-mfxx).
const std::set<std::string> kVerbs = {
    "ABOR", "ACCT", "ALLO", "APPE", "CDUP", "CWD",  "DELE", "EPRT", "EPSV", "FEAT", "HELP", "HOST",
    "LIST", "MDTM", "MFMT", "MKD",  "MLSD", "MLST", "MODE", "NLST", "NOOP", "OPTS", "PASS", "PASV",
    "PORT", "PWD",  "QUIT", "REIN", "REST", "RETR", "RMD",  "RNFR", "RNTO", "SITE", "SIZE", "STAT",
    "STOR", "STOU", "STRU", "SYST", "TYPE", "USER", "XCUP", "XCWD", "XMKD", "XPWD", "XRMD", "XSTA"};

std::set<std::string> words_of(const std::vector<std::string>& lines) {
  std::set<std::string> words;
  for (const auto& line : lines) {
    std::istringstream in(line);
    std::string word;
    while (in >> word) words.insert(word);
  }
  return words;
}

TEST_F(CommandsTest, Syst) {
  ControlClient client = server().connect();
  const Reply syst = client.cmd("SYST");
  EXPECT_EQ(syst.code, 215);
  EXPECT_EQ(syst.text(), "UNIX Type: L8");
  EXPECT_EQ(client.cmd("SYST x").code, 501);
}

TEST_F(CommandsTest, Noop) {
  ControlClient client = server().connect();
  EXPECT_EQ(client.cmd("NOOP").code, 200);
  EXPECT_EQ(client.cmd("noop").code, 200);  // verbs are case-insensitive (RFC 959 5.3)
  EXPECT_EQ(client.cmd("NOOP x").code, 501);
}

TEST_F(CommandsTest, UnknownCommandIs500) {
  ControlClient client = user_session();
  const Reply bogus = client.cmd("BOGUS");
  EXPECT_EQ(bogus.code, 500) << bogus;
  EXPECT_EQ(client.cmd("XYZ arg").code, 500);
  EXPECT_EQ(client.cmd("").code, 500);
  EXPECT_EQ(client.cmd("NOOP").code, 200);
}

TEST_F(CommandsTest, ArgumentToNoArgumentCommandIs501) {
  ControlClient client = user_session();
  for (const char* line : {"PWD x", "XPWD x", "CDUP x", "XCUP x", "PASV x", "NOOP x", "SYST x",
                           "FEAT x", "ABOR x", "REIN x", "QUIT x"}) {
    const Reply reply = client.cmd(line);
    EXPECT_EQ(reply.code, 501) << line << ": " << reply;
  }
  EXPECT_EQ(client.cmd("PWD").code, 257) << "a 501 must not log out";
}

TEST_F(CommandsTest, MissingArgumentIs501) {
  ControlClient client = user_session();
  for (const char* line : {"RETR", "STOR", "APPE", "DELE", "MKD",  "RMD",  "RNFR", "RNTO",
                           "SIZE", "MDTM", "MFMT", "TYPE", "STRU", "MODE", "REST", "ALLO",
                           "PORT", "EPRT", "SITE", "OPTS", "ACCT", "XMKD", "XRMD"}) {
    const Reply reply = client.cmd(line);
    EXPECT_EQ(reply.code, 501) << line << ": " << reply;
  }
}

TEST_F(CommandsTest, Type) {
  ControlClient client = user_session();
  EXPECT_EQ(client.cmd("TYPE I").code, 200);
  EXPECT_TRUE(client.cmd("STAT").contains("TYPE: Binary"));
  EXPECT_EQ(client.cmd("TYPE A").code, 200);
  EXPECT_TRUE(client.cmd("STAT").contains("TYPE: ASCII"));
  EXPECT_EQ(client.cmd("type i").code, 200);
  EXPECT_EQ(client.cmd("TYPE A N").code, 200);
  EXPECT_EQ(client.cmd("TYPE L 8").code, 200);
  // RFC 959 4.2: 504, command not implemented for that parameter.
  EXPECT_EQ(client.cmd("TYPE E").code, 504);
  EXPECT_EQ(client.cmd("TYPE A T").code, 504);
  EXPECT_EQ(client.cmd("TYPE L 7").code, 504);
  EXPECT_EQ(client.cmd("TYPE X").code, 501);
  EXPECT_TRUE(client.cmd("STAT").contains("TYPE: Binary")) << "a refused TYPE changed the type";
}

TEST_F(CommandsTest, StruAndMode) {
  ControlClient client = user_session();
  EXPECT_EQ(client.cmd("STRU F").code, 200);
  EXPECT_EQ(client.cmd("STRU R").code, 504);
  EXPECT_EQ(client.cmd("STRU P").code, 504);
  EXPECT_EQ(client.cmd("STRU X").code, 501);
  EXPECT_EQ(client.cmd("MODE S").code, 200);
  EXPECT_EQ(client.cmd("MODE B").code, 504);
  EXPECT_EQ(client.cmd("MODE C").code, 504);
  EXPECT_EQ(client.cmd("MODE X").code, 501);
  // A trailing space after the code is forgiven (some clients pad).
  EXPECT_EQ(client.cmd("TYPE I ").code, 200);
  EXPECT_EQ(client.cmd("TYPE L 8  ").code, 200);
  EXPECT_EQ(client.cmd("MODE S ").code, 200);
  EXPECT_EQ(client.cmd("STRU F ").code, 200);
  EXPECT_EQ(client.cmd("TYPE  I").code, 501);
}

TEST_F(CommandsTest, AlloAndRest) {
  ControlClient client = user_session();
  EXPECT_EQ(client.cmd("ALLO 1000").code, 202);
  // TYPE A, the default: still 350 (RFC 3659 5.3; RestInAsciiModeCountsConvertedOctets).
  EXPECT_EQ(client.cmd("REST 100").code, 350);
  EXPECT_EQ(client.cmd("TYPE I").code, 200);
  const Reply rest = client.cmd("REST 100");
  EXPECT_EQ(rest.code, 350) << rest;  // RFC 3659 5.3
  EXPECT_EQ(client.cmd("REST abc").code, 501);
  EXPECT_EQ(client.cmd("REST -1").code, 501);
  EXPECT_EQ(client.cmd("REST 99999999999999999999999").code, 501);
}

TEST_F(CommandsTest, StatWithoutTransfer) {
  ControlClient client = server().connect();
  const Reply before = client.cmd("STAT");
  EXPECT_EQ(before.code, 211) << before;
  EXPECT_TRUE(before.contains("Waiting for login.")) << before;
  ASSERT_TRUE(client.login());
  const Reply after = client.cmd("STAT");
  EXPECT_EQ(after.code, 211) << after;
  EXPECT_TRUE(after.contains("Logged in as: user")) << after;
  EXPECT_TRUE(after.contains("Data connection closed.")) << after;
  EXPECT_EQ(client.cmd("XSTA").code, 211);
}

TEST_F(CommandsTest, FeatListsTheExtensions) {
  ControlClient client = server().connect();  // FEAT works before login (RFC 2389 3)
  const Reply feat = client.cmd("FEAT");
  ASSERT_EQ(feat.code, 211) << feat;
  // RFC 2389 3.2: "211-..." first, "211 End" last, each feature after one space.
  EXPECT_EQ(feat.lines.front().substr(0, 4), "211-");
  EXPECT_EQ(feat.lines.back(), "211 End");
  EXPECT_TRUE(feat.crlf);
  std::set<std::string> features;
  for (const auto& line : feat.body()) {
    ASSERT_GE(line.size(), 2U);
    EXPECT_EQ(line[0], ' ') << line;
    EXPECT_NE(line[1], ' ') << line;
    features.insert(line.substr(1));
  }
  for (const char* expected :
       {"EPRT", "EPSV", "HOST", "MDTM", "MFMT", "REST STREAM", "SIZE", "TVFS", "UTF8"}) {
    EXPECT_EQ(features.count(expected), 1U) << "FEAT lacks " << expected << ": " << feat;
  }
  EXPECT_EQ(
      features.count("MLST type*;size*;modify*;perm*;unique*;unix.mode*;unix.uid*;unix.gid*;"), 1U)
      << feat;
}

TEST_F(CommandsTest, FeatAdvertisesOnlyWhatWorks) {
  ControlClient client = user_session();
  const Reply feat = client.cmd("FEAT");
  ASSERT_EQ(feat.code, 211);
  for (const auto& line : feat.body()) {
    const std::string feature = line.substr(
        1, line.find(' ', 1) == std::string::npos ? std::string::npos : line.find(' ', 1) - 1);
    if (feature == "TVFS") continue;  // a property of paths, not a command
    if (feature == "UTF8") {
      EXPECT_EQ(client.cmd("OPTS UTF8 ON").code, 200);
      continue;
    }
    const Reply help = client.cmd("HELP " + feature);
    EXPECT_EQ(help.code, 214) << "FEAT advertises " << feature << " but HELP does not know it";
    EXPECT_EQ(kVerbs.count(feature), 1U) << feature;
  }
}

TEST_F(CommandsTest, HelpListsEveryVerbOfTheTable) {
  ControlClient client = server().connect();
  const Reply help = client.cmd("HELP");
  ASSERT_EQ(help.code, 214) << help;
  EXPECT_EQ(help.lines.front().substr(0, 4), "214-");
  EXPECT_EQ(help.lines.back().substr(0, 4), "214 ");
  const std::set<std::string> listed = words_of(help.body());
  for (const auto& verb : kVerbs) EXPECT_EQ(listed.count(verb), 1U) << "HELP lacks " << verb;
  for (const auto& verb : listed) {
    const Reply one = client.cmd("HELP " + verb);
    EXPECT_EQ(one.code, 214) << verb << ": " << one;
    EXPECT_TRUE(one.contains(verb)) << one;
  }
  EXPECT_EQ(client.cmd("help noop").code, 214);
  EXPECT_EQ(client.cmd("HELP BOGUS").code, 501);
  // Without TLS configured, the FTPS verbs (502 here) are not offered.
  for (const char* verb : {"AUTH", "PBSZ", "PROT", "CCC"}) {
    EXPECT_EQ(listed.count(verb), 0U) << "HELP lists " << verb << " without TLS";
  }
}

TEST_F(CommandsTest, EveryListedVerbIsUnderstood) {
  // No verb of HELP may be "500 not understood": each is dispatched, even if
  // before login it is refused (530) or lacks its argument (501).
  ControlClient client = server().connect();
  const Reply help = client.cmd("HELP");
  ASSERT_EQ(help.code, 214);
  for (const auto& verb : words_of(help.body())) {
    if (verb == "QUIT") continue;
    const Reply reply = client.cmd(verb);
    EXPECT_NE(reply.code, 500) << verb << ": " << reply;
    EXPECT_GT(reply.code, 0) << verb << ": connection lost";
  }
}

TEST_F(CommandsTest, OptsUtf8) {
  ControlClient client = server().connect();
  EXPECT_EQ(client.cmd("OPTS UTF8 ON").code, 200);
  EXPECT_EQ(client.cmd("OPTS UTF8").code, 200);
  EXPECT_EQ(client.cmd("OPTS utf8 on").code, 200);
  EXPECT_EQ(client.cmd("OPTS UTF8 OFF").code, 504);
  EXPECT_EQ(client.cmd("OPTS BOGUS").code, 501);
}

TEST_F(CommandsTest, OptsMlstChangesTheFeatLine) {
  ControlClient client = user_session();
  const Reply opts = client.cmd("OPTS MLST type;size;");
  EXPECT_EQ(opts.code, 200) << opts;
  // RFC 3659 7.9.1: the reply names the facts now on.
  EXPECT_EQ(opts.text(), "MLST OPTS type;size;");
  EXPECT_TRUE(client.cmd("FEAT").contains(
      " MLST type*;size*;modify;perm;unique;unix.mode;unix.uid;unix.gid;\r\n"));
  // Unknown facts are ignored, case does not matter.
  EXPECT_EQ(client.cmd("OPTS MLST Modify;bogus;").text(), "MLST OPTS modify;");
  // RFC 3659 7.9.2: two words are not a fact list; the selection stays.
  const Reply invalid = client.cmd("OPTS MLST unique type;");
  EXPECT_EQ(invalid.code, 501) << invalid;
  EXPECT_TRUE(client.cmd("FEAT").contains(
      " MLST type;size;modify*;perm;unique;unix.mode;unix.uid;unix.gid;\r\n"));
  // No fact at all: nothing after "MLST OPTS".
  EXPECT_EQ(client.cmd("OPTS MLST").text(), "MLST OPTS");
}

TEST_F(CommandsTest, SizeCountsConvertedLineEndsInTypeA) {
  // RFC 3659 4: SIZE is what RETR would send in the current TYPE. In TYPE A
  // a bare LF goes out as CRLF; an existing CRLF stays as it is.
  write_file(path("lines.txt"), "a\nb\r\nc\n");
  ControlClient client = user_session();
  EXPECT_EQ(client.cmd("TYPE A").code, 200);
  EXPECT_EQ(client.cmd("SIZE lines.txt").text(), "9");
  EXPECT_EQ(client.cmd("TYPE I").code, 200);
  EXPECT_EQ(client.cmd("SIZE lines.txt").text(), "7");
}

}  // namespace
}  // namespace ftptest
