// Listings: LIST ("ls -l" lines), NLST (RFC 959 4.1.3), MLSD and MLST with
// their facts and OPTS MLST (RFC 3659 7), STAT <path>.

#include "ftp_test_client.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <iterator>
#include <map>
#include <regex>

namespace ftptest {
namespace {

// One "ls -l" line as clients parse it.
struct ListEntry {
  char type = '?';
  std::string perms;
  std::uint64_t size = 0;
  std::string name;
};

std::optional<ListEntry> parse_list_line(const std::string& line) {
  static const std::regex kLine(
      R"(^([-dl])([-rwxsStT]{9}) +\d+ +\S+ +\S+ +(\d+) +(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) +\d{1,2} +(\d{2}:\d{2}|\d{4}) (.+)$)");
  std::smatch match;
  if (!std::regex_match(line, match, kLine)) return std::nullopt;
  ListEntry entry;
  entry.type = match[1].str()[0];
  entry.perms = match[2].str();
  entry.size = std::stoull(match[3].str());
  entry.name = match[6].str();
  return entry;
}

std::map<std::string, ListEntry> parse_listing(const std::string& data) {
  std::map<std::string, ListEntry> entries;
  for (const auto& line : split_lines(data)) {
    const auto entry = parse_list_line(line);
    EXPECT_TRUE(entry.has_value()) << "not an ls -l line: \"" << line << "\"";
    if (entry) entries[entry->name] = *entry;
  }
  return entries;
}

// "fact=value;fact=value; name" -> facts (lower-case names) and name.
struct MlsxEntry {
  std::map<std::string, std::string> facts;
  std::string name;
};

std::optional<MlsxEntry> parse_mlsx(std::string_view line) {
  // RFC 3659 7.2: facts, one space, the name.
  const auto space = line.find(' ');
  if (space == std::string_view::npos) return std::nullopt;
  MlsxEntry entry;
  entry.name = std::string(line.substr(space + 1));
  std::string_view facts = line.substr(0, space);
  while (!facts.empty()) {
    const auto semicolon = facts.find(';');
    if (semicolon == std::string_view::npos) return std::nullopt;  // every fact ends in ';'
    const auto fact = facts.substr(0, semicolon);
    const auto equals = fact.find('=');
    if (equals == std::string_view::npos) return std::nullopt;
    entry.facts[std::string(fact.substr(0, equals))] = std::string(fact.substr(equals + 1));
    facts.remove_prefix(semicolon + 1);
  }
  return entry;
}

std::vector<MlsxEntry> parse_mlsd(const std::string& data) {
  std::vector<MlsxEntry> entries;
  for (const auto& line : split_lines(data)) {
    const auto entry = parse_mlsx(line);
    EXPECT_TRUE(entry.has_value()) << "not an MLSD line: \"" << line << "\"";
    if (entry) entries.push_back(*entry);
  }
  return entries;
}

bool is_time_val(const std::string& text) {
  return text.size() == 14 && text.find_first_not_of("0123456789") == std::string::npos;
}

class ListingTest : public FtpTest {
 protected:
  void SetUp() override {
    FtpTest::SetUp();
    write_file(path("a.txt"), "hello");
    write_file(path("b.txt"), "0123456789");
    write_file(path("c.bin"), "xyz");
    write_file(path(".hidden"), "h");
    std::filesystem::create_directory(path("dir"));
    write_file(path("dir/inner.txt"), "inner");
    ::chmod(path("c.bin").c_str(), 0640);
  }
};

TEST_F(ListingTest, ListLinesParseAsLsL) {
  ControlClient client = user_session();
  const Transfer t = download(client, "LIST");
  EXPECT_EQ(t.preliminary.code, 150) << t;
  EXPECT_EQ(t.completion.code, 226) << t;
  const auto entries = parse_listing(t.data);
  ASSERT_EQ(entries.count("a.txt"), 1U) << t.data;
  EXPECT_EQ(entries.at("a.txt").type, '-');
  EXPECT_EQ(entries.at("a.txt").size, 5U);
  EXPECT_EQ(entries.at("b.txt").size, 10U);
  EXPECT_EQ(entries.at("c.bin").perms, "rw-r-----");
  ASSERT_EQ(entries.count("dir"), 1U) << t.data;
  EXPECT_EQ(entries.at("dir").type, 'd');
  EXPECT_EQ(entries.count("inner.txt"), 0U);
  EXPECT_EQ(entries.count("."), 0U);
  EXPECT_EQ(entries.count(".."), 0U);
}

TEST_F(ListingTest, ListDashLaIsOptionsNotAPath) {
  ControlClient client = user_session();
  const Transfer t = download(client, "LIST -la");
  EXPECT_EQ(t.completion.code, 226) << t;
  const auto entries = parse_listing(t.data);
  EXPECT_EQ(entries.count("a.txt"), 1U) << t.data;
  EXPECT_EQ(entries.count(".hidden"), 1U) << t.data;
  // Options and a path together.
  const Transfer sub = download(client, "LIST -l dir");
  EXPECT_EQ(sub.completion.code, 226) << sub;
  const auto sub_entries = parse_listing(sub.data);
  EXPECT_EQ(sub_entries.size(), 1U);
  EXPECT_EQ(sub_entries.count("inner.txt"), 1U) << sub.data;
}

// A leading "-word" is taken as ls options only when nothing of that name
// is there: "LIST -dir" lists the directory "-dir".
TEST_F(ListingTest, DashNamesThatExistArePathsNotOptions) {
  std::filesystem::create_directory(path("-dir"));
  write_file(path("-dir/s.txt"), "s");
  ControlClient client = user_session();
  const auto dashed = parse_listing(download(client, "LIST -dir").data);
  EXPECT_EQ(dashed.size(), 1U);
  EXPECT_EQ(dashed.count("s.txt"), 1U);
  EXPECT_EQ(split_lines(download(client, "NLST -dir").data), (std::vector<std::string>{"s.txt"}));
  // Options still are options where no such entry exists.
  const auto options = parse_listing(download(client, "LIST -la").data);
  EXPECT_EQ(options.count("-dir"), 1U);
  EXPECT_EQ(options.count(".hidden"), 1U);
  const Reply stat = client.cmd("STAT -dir");
  EXPECT_EQ(stat.code, 213) << stat;
  EXPECT_TRUE(stat.contains("s.txt")) << stat;
  // After options, such a name is an option as for ls(1): "./-dir" names it.
  const auto explicit_path = parse_listing(download(client, "LIST -l ./-dir").data);
  EXPECT_EQ(explicit_path.count("s.txt"), 1U);
}

TEST_F(ListingTest, ListOfAFileIsOneLine) {
  ControlClient client = user_session();
  const Transfer t = download(client, "LIST b.txt");
  EXPECT_EQ(t.completion.code, 226) << t;
  const auto entries = parse_listing(t.data);
  ASSERT_EQ(entries.size(), 1U) << t.data;
  EXPECT_EQ(entries.begin()->first, "b.txt");
  EXPECT_EQ(entries.begin()->second.size, 10U);
}

TEST_F(ListingTest, ListWithAGlob) {
  ControlClient client = user_session();
  const Transfer t = download(client, "LIST *.txt");
  EXPECT_EQ(t.completion.code, 226) << t;
  const auto entries = parse_listing(t.data);
  EXPECT_EQ(entries.size(), 2U) << t.data;
  EXPECT_EQ(entries.count("a.txt"), 1U);
  EXPECT_EQ(entries.count("b.txt"), 1U);
  const Transfer none = download(client, "LIST *.nothing");
  EXPECT_EQ(none.completion.code, 226) << none;
  EXPECT_EQ(none.data, "");
}

TEST_F(ListingTest, ListOfASubdirectoryAndErrors) {
  ControlClient client = user_session();
  EXPECT_EQ(client.cmd("CWD dir").code, 250);
  const auto here = parse_listing(download(client, "LIST").data);
  EXPECT_EQ(here.size(), 1U);
  EXPECT_EQ(here.count("inner.txt"), 1U);
  const auto parent = parse_listing(download(client, "LIST ..").data);
  EXPECT_EQ(parent.count("a.txt"), 1U);
  const Transfer missing = download(client, "LIST /missing");
  EXPECT_EQ(missing.preliminary.code, 550) << missing;
}

TEST_F(ListingTest, ListOverEpsvAndInTypeI) {
  ControlClient client = user_session();
  EXPECT_EQ(client.cmd("TYPE I").code, 200);
  const Transfer t = download(client, "LIST", /*extended=*/true);
  EXPECT_EQ(t.completion.code, 226) << t;
  // Listings keep CRLF line ends whatever the TYPE.
  EXPECT_EQ(parse_listing(t.data).count("a.txt"), 1U);
}

TEST_F(ListingTest, NlstGivesBareNames) {
  ControlClient client = user_session();
  const Transfer t = download(client, "NLST");
  EXPECT_EQ(t.preliminary.code, 150) << t;
  EXPECT_EQ(t.completion.code, 226) << t;
  const auto names = split_lines(t.data);
  const std::set<std::string> set(names.begin(), names.end());
  EXPECT_EQ(set, (std::set<std::string>{".hidden", "a.txt", "b.txt", "c.bin", "dir"})) << t.data;
  const auto globbed = split_lines(download(client, "NLST *.txt").data);
  EXPECT_EQ(std::set<std::string>(globbed.begin(), globbed.end()),
            (std::set<std::string>{"a.txt", "b.txt"}));
  EXPECT_EQ(split_lines(download(client, "NLST dir").data),
            (std::vector<std::string>{"inner.txt"}));
  EXPECT_EQ(download(client, "NLST missing").preliminary.code, 550);
}

// RFC 959 4.1.3: NLST names are "valid pathname strings" a program uses as
// they are (a multiple get): of a file or a pattern with a directory part,
// each name keeps that part, as ls(1) prints them; a directory's entries are
// bare names. (tnftp's "mget dir/*.txt" sent RETR of the bare name: 550.)
TEST_F(ListingTest, NlstOfAPatternOrFileKeepsItsDirectoryPart) {
  write_file(path("dir/second.txt"), "2");
  write_file(path("dir/other.bin"), "b");
  ControlClient client = user_session();
  const auto sorted = [](std::vector<std::string> names) {
    std::sort(names.begin(), names.end());
    return names;
  };
  EXPECT_EQ(sorted(split_lines(download(client, "NLST dir/*.txt").data)),
            (std::vector<std::string>{"dir/inner.txt", "dir/second.txt"}));
  EXPECT_EQ(sorted(split_lines(download(client, "NLST /dir/*.txt").data)),
            (std::vector<std::string>{"/dir/inner.txt", "/dir/second.txt"}));
  EXPECT_EQ(split_lines(download(client, "NLST dir/inner.txt").data),
            (std::vector<std::string>{"dir/inner.txt"}));
  EXPECT_EQ(sorted(split_lines(download(client, "NLST dir/").data)),
            (std::vector<std::string>{"inner.txt", "other.bin", "second.txt"}));
  EXPECT_EQ(split_lines(download(client, "NLST a.txt").data), (std::vector<std::string>{"a.txt"}));
  // Each name works as it is: RETR of it, and SIZE, find the file.
  EXPECT_EQ(client.cmd("SIZE dir/second.txt").code, 213);
  // From inside the directory, the bare pattern gives bare names.
  EXPECT_EQ(client.cmd("CWD dir").code, 250);
  EXPECT_EQ(sorted(split_lines(download(client, "NLST *.txt").data)),
            (std::vector<std::string>{"inner.txt", "second.txt"}));
  EXPECT_EQ(sorted(split_lines(download(client, "NLST ../dir/*.bin").data)),
            (std::vector<std::string>{"../dir/other.bin"}));
}

TEST_F(ListingTest, MlsdFacts) {
  ControlClient client = user_session();
  const Transfer t = download(client, "MLSD");
  EXPECT_EQ(t.preliminary.code, 150) << t;
  EXPECT_EQ(t.completion.code, 226) << t;
  const auto entries = parse_mlsd(t.data);
  ASSERT_GE(entries.size(), 2U) << t.data;
  // RFC 3659 7.5.1.2: the listed directory itself, type=cdir, first.
  EXPECT_EQ(entries.front().facts.at("type"), "cdir") << t.data;
  std::map<std::string, MlsxEntry> by_name;
  for (const auto& entry : entries) {
    if (entry.facts.count("type") != 0 && entry.facts.at("type") == "cdir") continue;
    by_name[entry.name] = entry;
  }
  EXPECT_EQ(by_name.size(), 5U) << t.data;
  ASSERT_EQ(by_name.count("b.txt"), 1U) << t.data;
  const auto& file = by_name.at("b.txt").facts;
  EXPECT_EQ(file.at("type"), "file");
  EXPECT_EQ(file.at("size"), "10");
  EXPECT_TRUE(is_time_val(file.at("modify"))) << file.at("modify");
  EXPECT_EQ(file.at("perm"), "adfrw");  // user has every permission
  EXPECT_FALSE(file.at("unique").empty());
  EXPECT_EQ(file.at("unix.uid"), std::to_string(::getuid()));
  EXPECT_EQ(file.at("unix.gid"), std::to_string(::getgid()));
  EXPECT_EQ(by_name.at("c.bin").facts.at("unix.mode"), "0640");
  ASSERT_EQ(by_name.count("dir"), 1U);
  const auto& dir = by_name.at("dir").facts;
  EXPECT_EQ(dir.at("type"), "dir");
  EXPECT_EQ(dir.count("size"), 0U);
  EXPECT_EQ(dir.at("perm"), "cdeflmp");
  EXPECT_NE(dir.at("unique"), file.at("unique"));
  // The root: neither deletable nor renamable (RFC 3659 7.5.5 'd', 'f').
  const Reply root = client.cmd("MLST /");
  EXPECT_EQ(root.code, 250) << root;
  EXPECT_TRUE(root.contains("perm=celmp;")) << root;
}

TEST_F(ListingTest, MlsdPermsOfAnonymous) {
  ControlClient client = anonymous_session();
  const auto entries = parse_mlsd(download(client, "MLSD").data);
  for (const auto& entry : entries) {
    const auto& type = entry.facts.at("type");
    EXPECT_EQ(entry.facts.at("perm"), type == "file" ? "r" : "el") << entry.name;
  }
}

TEST_F(ListingTest, MlsdErrors) {
  ControlClient client = user_session();
  // RFC 3659 7.1: MLSD of a file is an error (501).
  EXPECT_EQ(download(client, "MLSD b.txt").preliminary.code, 501);
  EXPECT_EQ(download(client, "MLSD missing").preliminary.code, 550);
  const auto sub = parse_mlsd(download(client, "MLSD dir").data);
  ASSERT_EQ(sub.size(), 2U);
  EXPECT_EQ(sub[0].facts.at("type"), "cdir");
  EXPECT_EQ(sub[1].name, "inner.txt");
}

TEST_F(ListingTest, MlstIsOneLineOnTheControlConnection) {
  ControlClient client = user_session();
  const Reply mlst = client.cmd("MLST b.txt");
  ASSERT_EQ(mlst.code, 250) << mlst;
  // RFC 3659 7.2: "250-...", exactly one entry line starting with a single
  // space, "250 ...".
  ASSERT_EQ(mlst.lines.size(), 3U) << mlst;
  EXPECT_EQ(mlst.lines[0].substr(0, 4), "250-");
  EXPECT_EQ(mlst.lines[2].substr(0, 4), "250 ");
  const std::string& line = mlst.lines[1];
  ASSERT_GE(line.size(), 2U);
  EXPECT_EQ(line[0], ' ');
  EXPECT_NE(line[1], ' ');
  const auto entry = parse_mlsx(std::string_view(line).substr(1));
  ASSERT_TRUE(entry) << line;
  EXPECT_EQ(entry->name, "/b.txt");
  EXPECT_EQ(entry->facts.at("type"), "file");
  EXPECT_EQ(entry->facts.at("size"), "10");

  const Reply here = client.cmd("MLST");
  ASSERT_EQ(here.code, 250) << here;
  ASSERT_EQ(here.lines.size(), 3U);
  const auto dir = parse_mlsx(std::string_view(here.lines[1]).substr(1));
  ASSERT_TRUE(dir);
  EXPECT_EQ(dir->name, "/");
  EXPECT_EQ(client.cmd("MLST missing").code, 550);
}

TEST_F(ListingTest, OptsMlstSelectsTheFacts) {
  ControlClient client = user_session();
  EXPECT_EQ(client.cmd("OPTS MLST type;size;").code, 200);
  const auto entries = parse_mlsd(download(client, "MLSD").data);
  ASSERT_FALSE(entries.empty());
  EXPECT_EQ(entries.front().facts.at("type"), "cdir");
  for (const auto& entry : entries) {
    for (const auto& [fact, value] : entry.facts) {
      EXPECT_TRUE(fact == "type" || fact == "size") << fact << " in " << entry.name;
    }
    if (entry.name == "b.txt") {
      EXPECT_EQ(entry.facts.at("size"), "10");
    }
  }
  const Reply mlst = client.cmd("MLST a.txt");
  ASSERT_EQ(mlst.lines.size(), 3U);
  EXPECT_EQ(mlst.lines[1], " type=file;size=5; /a.txt");

  // Without the type fact there is no cdir entry (it could not be told apart).
  EXPECT_EQ(client.cmd("OPTS MLST size;modify;").code, 200);
  const Transfer t = download(client, "MLSD");
  const auto untyped = parse_mlsd(t.data);
  EXPECT_EQ(untyped.size(), 5U) << t.data;
  for (const auto& entry : untyped) {
    EXPECT_EQ(entry.facts.count("type"), 0U);
    EXPECT_NE(entry.name, "/") << t.data;
    EXPECT_TRUE(is_time_val(entry.facts.at("modify")));
  }
}

TEST_F(ListingTest, OptsMlstLastsUntilRein) {
  ControlClient client = user_session();
  EXPECT_EQ(client.cmd("OPTS MLST size;").code, 200);
  EXPECT_EQ(client.cmd("REIN").code, 220);
  ASSERT_TRUE(client.login());
  const Reply mlst = client.cmd("MLST a.txt");
  EXPECT_TRUE(mlst.contains("type=file;")) << mlst;
}

TEST_F(ListingTest, StatOfAPathListsOnTheControlConnection) {
  ControlClient client = user_session();
  const Reply stat = client.cmd("STAT /");
  ASSERT_EQ(stat.code, 213) << stat;
  std::map<std::string, ListEntry> entries;
  for (const auto& line : stat.body()) {
    ASSERT_EQ(line[0], ' ') << line;
    const auto entry = parse_list_line(line.substr(1));
    EXPECT_TRUE(entry) << line;
    if (entry) entries[entry->name] = *entry;
  }
  EXPECT_EQ(entries.count("a.txt"), 1U) << stat;
  EXPECT_EQ(entries.count("dir"), 1U) << stat;
  EXPECT_EQ(client.cmd("STAT b.txt").code, 213);
  EXPECT_EQ(client.cmd("STAT missing").code, 550);
}

// A directory of many batches (and of many 64 KiB chunks of LIST text) is
// streamed whole, sorted, with every entry once, in each format.
TEST_F(ListingTest, BigDirectoriesAreStreamedWholeAndSorted) {
  constexpr int kCount = 3000;
  std::filesystem::create_directory(path("big"));
  std::vector<std::string> expected;
  for (int i = 0; i < kCount; ++i) {
    std::array<char, 64> buffer{};
    std::snprintf(buffer.data(), buffer.size(), "entry_with_a_long_name_%05d", (i * 7919) % kCount);
    const std::string name = buffer.data();
    write_file(path("big/" + name), "x");
    expected.push_back(name);
  }
  std::sort(expected.begin(), expected.end());
  ControlClient client = user_session();

  const Transfer nlst = download(client, "NLST big");
  EXPECT_EQ(nlst.completion.code, 226) << nlst.completion.text();
  EXPECT_EQ(split_lines(nlst.data), expected);

  const Transfer list = download(client, "LIST big");
  EXPECT_EQ(list.completion.code, 226) << list.completion.text();
  EXPECT_GT(list.data.size(), 3U * 64 * 1024);
  std::vector<std::string> listed;
  for (const auto& line : split_lines(list.data)) {
    const auto entry = parse_list_line(line);
    ASSERT_TRUE(entry) << line;
    listed.push_back(entry->name);
  }
  EXPECT_EQ(listed, expected);

  const Transfer mlsd = download(client, "MLSD big");
  EXPECT_EQ(mlsd.completion.code, 226) << mlsd.completion.text();
  const auto entries = parse_mlsd(mlsd.data);
  ASSERT_EQ(entries.size(), expected.size() + 1);
  EXPECT_EQ(entries.front().facts.at("type"), "cdir");
  for (std::size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(entries[i + 1].name, expected[i]);
    EXPECT_EQ(entries[i + 1].facts.at("size"), "1");
  }

  // A glob filters every batch: the names ending in 7 (with the pattern's
  // directory part, see NlstOfAPatternOrFileKeepsItsDirectoryPart).
  const Transfer globbed = download(client, "NLST big/*7");
  EXPECT_EQ(globbed.completion.code, 226);
  std::vector<std::string> sevens;
  for (const std::string& name : expected) {
    if (name.back() == '7') sevens.push_back("big/" + name);
  }
  ASSERT_EQ(sevens.size(), static_cast<std::size_t>(kCount / 10));
  EXPECT_EQ(split_lines(globbed.data), sevens);
  EXPECT_EQ(client.cmd("NOOP").code, 200);
}

// A STAT reply larger than the 1 MiB reply-queue ceiling must still be
// answered in full to a client that reads it: the ceiling counts only what
// the client has left unread.
TEST_F(ListingTest, StatOfAHugeDirectoryIsAnswered) {
  std::filesystem::create_directory(path("many"));
  for (int i = 0; i < 20'000; ++i) {
    write_file(path("many/a_file_with_a_fairly_long_name_" + std::to_string(i)), "");
  }
  ControlClient client = user_session();
  const Reply stat = client.cmd("STAT many");
  EXPECT_TRUE(stat.code == 213 || (stat.code >= 400 && stat.code < 600)) << stat.code;
  EXPECT_EQ(client.cmd("NOOP").code, 200) << "the session was closed";
}

}  // namespace
}  // namespace ftptest
