// The command table is data: these tests hold it to the invariants that
// dispatch(), FEAT and HELP rely on.

#include "session/command_table.hpp"
#include "session/session.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

namespace cppftpd {
namespace {

TEST(CommandTable, SortedAndUniqueSoBinarySearchWorks) {
  const auto table = Session::command_table();
  ASSERT_FALSE(table.empty());
  for (std::size_t i = 1; i < table.size(); ++i) {
    EXPECT_LT(table[i - 1].verb, table[i].verb) << "row " << i;
  }
  for (const auto& row : table) {
    const CommandSpec* found = find_command(row.verb);
    ASSERT_NE(found, nullptr) << row.verb;
    EXPECT_EQ(found->verb, row.verb);
  }
  EXPECT_EQ(find_command("BOGUS"), nullptr);
  EXPECT_EQ(find_command("retr"), nullptr);  // verbs are upper-cased before lookup
}

TEST(CommandTable, EveryCommandOfTheIssueIsPresent) {
  for (const char* verb :
       {"USER", "PASS", "ACCT", "REIN", "QUIT", "PORT", "PASV", "TYPE", "STRU", "MODE",
        "RETR", "STOR", "STOU", "APPE", "ALLO", "REST", "RNFR", "RNTO", "ABOR", "DELE",
        "RMD",  "MKD",  "PWD",  "CWD",  "CDUP", "LIST", "NLST", "SITE", "SYST", "STAT",
        "HELP", "NOOP", "XCUP", "XCWD", "XMKD", "XPWD", "XRMD", "FEAT", "OPTS", "EPRT",
        "EPSV", "SIZE", "MDTM", "MLST", "MLSD", "MFMT"}) {
    EXPECT_NE(find_command(verb), nullptr) << verb;
  }
}

TEST(CommandTable, PermissionLettersMatchPyftpdlib) {
  const std::pair<const char*, char> expected[] = {
      {"CWD", 'e'},  {"XCWD", 'e'}, {"LIST", 'l'}, {"NLST", 'l'}, {"MLSD", 'l'}, {"MLST", 'l'},
      {"SIZE", 'l'}, {"MDTM", 'l'}, {"RETR", 'r'}, {"APPE", 'a'}, {"DELE", 'd'}, {"RMD", 'd'},
      {"XRMD", 'd'}, {"RNFR", 'f'}, {"RNTO", 'f'}, {"MKD", 'm'},  {"XMKD", 'm'}, {"STOR", 'w'}};
  for (const auto& [verb, letter] : expected) {
    const CommandSpec* row = find_command(verb);
    ASSERT_NE(row, nullptr) << verb;
    EXPECT_EQ(row->perm, letter) << verb;
  }
}

TEST(CommandTable, OnlyLoginCommandsWorkBeforeLogin) {
  // FTPS (RFC 4217 10.3): AUTH, PBSZ and PROT may come before USER; HOST
  // (RFC 7151 3) must.
  const std::set<std::string_view> open{"ACCT", "AUTH", "CCC",  "FEAT", "HELP", "HOST",
                                        "NOOP", "OPTS", "PASS", "PBSZ", "PROT", "QUIT",
                                        "REIN", "STAT", "SYST", "USER", "XSTA"};
  for (const auto& row : Session::command_table()) {
    EXPECT_EQ(row.access == Access::anyone, open.count(row.verb) == 1) << row.verb;
  }
}

TEST(CommandTable, OnlyAborStatQuitNoopRunDuringATransfer) {
  const std::set<std::string_view> during{"ABOR", "NOOP", "QUIT", "STAT", "XSTA"};
  for (const auto& row : Session::command_table()) {
    EXPECT_EQ((row.flags & kDuringTransfer) != 0, during.count(row.verb) == 1) << row.verb;
  }
}

TEST(CommandTable, FeatIsGeneratedFromTheTable) {
  const auto lines = feature_lines(protocol::kDefaultMlstFacts, false);
  EXPECT_TRUE(std::is_sorted(lines.begin(), lines.end()));
  const std::set<std::string> got(lines.begin(), lines.end());
  for (const char* feature :
       {"EPRT", "EPSV", "HOST", "MDTM", "MFMT", "REST STREAM", "SIZE", "TVFS", "UTF8"}) {
    EXPECT_EQ(got.count(feature), 1U) << feature;
  }
  const auto mlst = std::find_if(lines.begin(), lines.end(),
                                 [](const std::string& l) { return l.starts_with("MLST "); });
  ASSERT_NE(mlst, lines.end());
  EXPECT_NE(mlst->find("type*;"), std::string::npos);
  // Turning facts off (OPTS MLST) removes their '*'.
  const auto only_size = feature_lines(protocol::kFactSize, false);
  const auto mlst2 = std::find_if(only_size.begin(), only_size.end(),
                                  [](const std::string& l) { return l.starts_with("MLST "); });
  ASSERT_NE(mlst2, only_size.end());
  EXPECT_NE(mlst2->find("size*;"), std::string::npos);
  EXPECT_EQ(mlst2->find("type*;"), std::string::npos);
}

// RFC 4217 6: with FTPS configured, FEAT lists AUTH TLS, PBSZ and PROT;
// without it, none of them.
TEST(CommandTable, FeatListsTlsOnlyWhenConfigured) {
  const auto plain = feature_lines(protocol::kDefaultMlstFacts, false);
  const std::set<std::string> without(plain.begin(), plain.end());
  const auto secure = feature_lines(protocol::kDefaultMlstFacts, true);
  const std::set<std::string> with(secure.begin(), secure.end());
  for (const char* feature : {"AUTH TLS", "PBSZ", "PROT"}) {
    EXPECT_EQ(without.count(feature), 0U) << feature;
    EXPECT_EQ(with.count(feature), 1U) << feature;
  }
  EXPECT_EQ(with.size(), without.size() + 3);
}

TEST(CommandTable, OnlyUserAndPassCarryCredentials) {
  for (const auto& row : Session::command_table()) {
    const bool creds = row.verb == "USER" || row.verb == "PASS";
    EXPECT_EQ((row.flags & kCredentials) != 0, creds) << row.verb;
  }
}

TEST(CommandTable, HelpListsEveryVerbOnce) {
  std::string all;
  for (const auto& line : help_lines(true)) all += line + " ";
  std::string without_tls;
  for (const auto& line : help_lines(false)) without_tls += line + " ";
  for (const auto& row : Session::command_table()) {
    const std::string word = " " + std::string(row.verb) + " ";
    EXPECT_NE((" " + all).find(word), std::string::npos) << row.verb;
    EXPECT_EQ((" " + without_tls).find(word) == std::string::npos, (row.flags & kTlsOnly) != 0)
        << row.verb;
    EXPECT_FALSE(row.help.empty()) << row.verb;
  }
}

TEST(CommandTable, SiteCommandsSorted) {
  const auto site = Session::site_command_table();
  for (std::size_t i = 1; i < site.size(); ++i) EXPECT_LT(site[i - 1].name, site[i].name);
  EXPECT_NE(find_site_command("CHMOD"), nullptr);
  EXPECT_NE(find_site_command("HELP"), nullptr);
  EXPECT_EQ(find_site_command("EXEC"), nullptr);
}

}  // namespace
}  // namespace cppftpd
