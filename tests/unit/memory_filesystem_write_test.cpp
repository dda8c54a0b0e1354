// MemoryFilesystem: writers, directory changes, renames, metadata changes,
// read-only mode, the capacity, and several threads at once.
#include "memory_filesystem_test_support.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <ctime>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace cppftpd::memory_filesystem_test {
namespace {

// --- open_write ----------------------------------------------------------------

TEST_F(MemoryFilesystemTest, TruncateCreatesAndReplaces) {
  write_all(*tree_, at("/new.txt"), WriteMode::truncate, 0, "fresh");
  EXPECT_EQ(content("/new.txt"), "fresh");
  EXPECT_EQ(tree_->stat(at("/new.txt"))->mode, 0644u);
  write_all(*tree_, at("/file.txt"), WriteMode::truncate, 0, "short");
  EXPECT_EQ(content("/file.txt"), "short");
  EXPECT_EQ(tree_->stat(at("/file.txt"))->size, 5u);
}

TEST_F(MemoryFilesystemTest, NewFileExistsEmptyFromOpenAndCommitsAtClose) {
  auto writer = tree_->open_write(at("/upload.bin"), WriteMode::truncate, 0);
  ASSERT_TRUE(writer);
  const auto during = tree_->stat(at("/upload.bin"));
  ASSERT_TRUE(during);
  EXPECT_EQ(during->size, 0u);
  EXPECT_FALSE((*writer)->write(std::string_view("part one, ")));
  EXPECT_FALSE((*writer)->write(std::string_view("part two")));
  EXPECT_EQ(content("/upload.bin"), "");  // nothing half-written is visible
  EXPECT_FALSE((*writer)->close());
  EXPECT_EQ(content("/upload.bin"), "part one, part two");
  EXPECT_EQ(tree_->stat(at("/upload.bin"))->inode, during->inode);
}

TEST_F(MemoryFilesystemTest, ExistingFileKeepsItsContentUntilCommit) {
  auto writer = tree_->open_write(at("/file.txt"), WriteMode::truncate, 0);
  ASSERT_TRUE(writer);
  EXPECT_FALSE((*writer)->write(std::string_view("new")));
  EXPECT_EQ(read_all(*tree_, at("/file.txt")), "hello world");
  EXPECT_FALSE((*writer)->close());
  EXPECT_EQ(read_all(*tree_, at("/file.txt")), "new");
}

TEST_F(MemoryFilesystemTest, CommitUpdatesTheMtime) {
  ASSERT_FALSE(tree_->set_mtime(at("/file.txt"), 1));
  write_all(*tree_, at("/file.txt"), WriteMode::append, 0, "!");
  EXPECT_LE(std::abs(tree_->stat(at("/file.txt"))->mtime - std::time(nullptr)), 5);
}

TEST_F(MemoryFilesystemTest, RestOffsetCutsTheFileThere) {
  ASSERT_FALSE(files_.add_file("/resume.bin", "0123456789"));
  write_all(*tree_, at("/resume.bin"), WriteMode::truncate, 4, "ab");
  EXPECT_EQ(content("/resume.bin"), "0123ab");
}

TEST_F(MemoryFilesystemTest, RestOffsetAtTheEndResumes) {
  ASSERT_FALSE(files_.add_file("/resume.bin", "01234"));
  write_all(*tree_, at("/resume.bin"), WriteMode::truncate, 5, "56789");
  EXPECT_EQ(content("/resume.bin"), "0123456789");
}

TEST_F(MemoryFilesystemTest, RestOffsetPastTheEndLeavesAGapOfNuls) {
  ASSERT_FALSE(files_.add_file("/resume.bin", "ab"));
  write_all(*tree_, at("/resume.bin"), WriteMode::truncate, 4, "cd");
  EXPECT_EQ(content("/resume.bin"), std::string("ab\0\0cd", 6));
  write_all(*tree_, at("/brand_new.bin"), WriteMode::truncate, 3, "x");
  EXPECT_EQ(content("/brand_new.bin"), std::string("\0\0\0x", 4));
}

TEST_F(MemoryFilesystemTest, RestWithoutDataStillCuts) {
  ASSERT_FALSE(files_.add_file("/resume.bin", "0123456789"));
  write_all(*tree_, at("/resume.bin"), WriteMode::truncate, 3, "");
  EXPECT_EQ(content("/resume.bin"), "012");
}

TEST_F(MemoryFilesystemTest, AppendCreatesAndAppends) {
  write_all(*tree_, at("/log.txt"), WriteMode::append, 0, "one ");
  write_all(*tree_, at("/log.txt"), WriteMode::append, 0, "two");
  write_all(*tree_, at("/log.txt"), WriteMode::append, 2, " three");  // offset has no say
  EXPECT_EQ(content("/log.txt"), "one two three");
}

TEST_F(MemoryFilesystemTest, OverlappingAppendsBothLand) {
  auto first = tree_->open_write(at("/log.txt"), WriteMode::append, 0);
  auto second = tree_->open_write(at("/log.txt"), WriteMode::append, 0);
  ASSERT_TRUE(first && second);
  EXPECT_FALSE((*first)->write(std::string_view("[first]")));
  EXPECT_FALSE((*second)->write(std::string_view("[second]")));
  EXPECT_FALSE((*second)->close());
  EXPECT_FALSE((*first)->close());
  EXPECT_EQ(content("/log.txt"), "[second][first]");
}

TEST_F(MemoryFilesystemTest, CreateNewRefusesAnExistingName) {
  EXPECT_EQ(tree_->open_write(at("/file.txt"), WriteMode::create_new, 0).error(),
            errc(std::errc::file_exists));
  EXPECT_EQ(tree_->open_write(at("/sub"), WriteMode::create_new, 0).error(),
            errc(std::errc::file_exists));
  EXPECT_EQ(tree_->open_write(VirtualPath(), WriteMode::create_new, 0).error(),
            errc(std::errc::file_exists));
  EXPECT_EQ(content("/file.txt"), "hello world");
  write_all(*tree_, at("/unique.txt"), WriteMode::create_new, 7, "u");  // offset has no say
  EXPECT_EQ(content("/unique.txt"), "u");
}

TEST_F(MemoryFilesystemTest, CreateNewTakesTheNameAtOnce) {
  // Two STOU racing for one name: the second loses before the first closes.
  auto first = tree_->open_write(at("/stou.1"), WriteMode::create_new, 0);
  ASSERT_TRUE(first);
  EXPECT_EQ(tree_->open_write(at("/stou.1"), WriteMode::create_new, 0).error(),
            errc(std::errc::file_exists));
  EXPECT_FALSE((*first)->write(std::string_view("mine")));
  EXPECT_FALSE((*first)->close());
  EXPECT_EQ(content("/stou.1"), "mine");
}

TEST_F(MemoryFilesystemTest, WriteErrors) {
  EXPECT_EQ(tree_->open_write(VirtualPath(), WriteMode::truncate, 0).error(),
            errc(std::errc::is_a_directory));
  EXPECT_EQ(tree_->open_write(VirtualPath(), WriteMode::append, 0).error(),
            errc(std::errc::is_a_directory));
  EXPECT_EQ(tree_->open_write(at("/sub"), WriteMode::truncate, 0).error(),
            errc(std::errc::is_a_directory));
  EXPECT_EQ(tree_->open_write(at("/sub"), WriteMode::append, 0).error(),
            errc(std::errc::is_a_directory));
  EXPECT_EQ(tree_->open_write(at("/missing/x"), WriteMode::truncate, 0).error(),
            errc(std::errc::no_such_file_or_directory));
  EXPECT_EQ(tree_->open_write(at("/file.txt/x"), WriteMode::truncate, 0).error(),
            errc(std::errc::not_a_directory));
  EXPECT_EQ(tree_->open_write(at("/file.txt"), WriteMode::truncate, ~std::uint64_t{0}).error(),
            errc(std::errc::invalid_argument));
  EXPECT_FALSE(tree_->stat(at("/missing")));
  EXPECT_EQ(content("/file.txt"), "hello world");
}

TEST_F(MemoryFilesystemTest, WriterWritesLargeDataAndCloses) {
  std::string big(3 * 1024 * 1024 + 7, '\0');
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 31 % 251);
  auto writer = tree_->open_write(at("/big.bin"), WriteMode::truncate, 0);
  ASSERT_TRUE(writer);
  EXPECT_FALSE((*writer)->write(std::span<const char>(big.data(), 1000)));
  EXPECT_FALSE((*writer)->write(std::span<const char>(big.data() + 1000, big.size() - 1000)));
  EXPECT_FALSE((*writer)->write({}));
  EXPECT_FALSE((*writer)->close());
  EXPECT_FALSE((*writer)->close());  // closing twice is harmless
  EXPECT_EQ((*writer)->write(big), errc(std::errc::bad_file_descriptor));
  EXPECT_EQ(content("/big.bin"), big);
  EXPECT_EQ(read_all(*tree_, at("/big.bin"), big.size() - 10), big.substr(big.size() - 10));
}

TEST_F(MemoryFilesystemTest, WriterWithoutCloseStillCommits) {
  {
    auto writer = tree_->open_write(at("/x.txt"), WriteMode::truncate, 0);
    ASSERT_TRUE(writer);
    EXPECT_FALSE((*writer)->write(std::string_view("abc")));
  }
  EXPECT_EQ(content("/x.txt"), "abc");
}

TEST_F(MemoryFilesystemTest, WriterFollowsARenamedFile) {
  auto writer = tree_->open_write(at("/file.txt"), WriteMode::append, 0);
  ASSERT_TRUE(writer);
  ASSERT_FALSE(tree_->rename(at("/file.txt"), at("/sub/moved.txt")));
  EXPECT_FALSE((*writer)->write(std::string_view("!")));
  EXPECT_FALSE((*writer)->close());
  EXPECT_EQ(content("/sub/moved.txt"), "hello world!");
  EXPECT_FALSE(tree_->stat(at("/file.txt")));
}

TEST_F(MemoryFilesystemTest, WriterIntoADeletedFileLeavesNothing) {
  auto writer = tree_->open_write(at("/gone.txt"), WriteMode::truncate, 0);
  ASSERT_TRUE(writer);
  ASSERT_FALSE(tree_->remove_file(at("/gone.txt")));
  EXPECT_FALSE((*writer)->write(std::string_view("lost")));
  EXPECT_FALSE((*writer)->close());
  EXPECT_EQ(tree_->stat(at("/gone.txt")).error(), errc(std::errc::no_such_file_or_directory));
}

// --- directories, rename, remove -------------------------------------------------

TEST_F(MemoryFilesystemTest, MakeAndRemoveDirectory) {
  EXPECT_FALSE(tree_->make_directory(at("/newdir")));
  const auto made = tree_->stat(at("/newdir"));
  ASSERT_TRUE(made);
  EXPECT_EQ(made->type, FileType::directory);
  EXPECT_EQ(made->mode, 0755u);
  EXPECT_FALSE(tree_->make_directory(at("/newdir/nested")));
  EXPECT_EQ(tree_->make_directory(at("/newdir")), errc(std::errc::file_exists));
  EXPECT_EQ(tree_->make_directory(at("/file.txt")), errc(std::errc::file_exists));
  EXPECT_EQ(tree_->make_directory(VirtualPath()), errc(std::errc::file_exists));
  EXPECT_EQ(tree_->make_directory(at("/missing/x")), errc(std::errc::no_such_file_or_directory));
  EXPECT_EQ(tree_->make_directory(at("/file.txt/x")), errc(std::errc::not_a_directory));

  EXPECT_EQ(tree_->remove_directory(at("/newdir")), errc(std::errc::directory_not_empty));
  EXPECT_FALSE(tree_->remove_directory(at("/newdir/nested")));
  EXPECT_FALSE(tree_->remove_directory(at("/newdir")));
  EXPECT_EQ(tree_->stat(at("/newdir")).error(), errc(std::errc::no_such_file_or_directory));
  EXPECT_EQ(tree_->remove_directory(at("/newdir")), errc(std::errc::no_such_file_or_directory));
  EXPECT_EQ(tree_->remove_directory(at("/file.txt")), errc(std::errc::not_a_directory));
  EXPECT_EQ(tree_->remove_directory(at("/file.txt/x")), errc(std::errc::not_a_directory));
  EXPECT_EQ(tree_->remove_directory(at("/sub")), errc(std::errc::directory_not_empty));
}

TEST_F(MemoryFilesystemTest, DirectoryMtimeChangesWithItsEntries) {
  const auto touched = [&](const char* directory) {
    return std::abs(tree_->stat(at(directory))->mtime - std::time(nullptr)) <= 5;
  };
  ASSERT_FALSE(tree_->set_mtime(at("/sub"), 1));
  ASSERT_FALSE(tree_->make_directory(at("/sub/d")));
  EXPECT_TRUE(touched("/sub"));
  ASSERT_FALSE(tree_->set_mtime(at("/sub"), 1));
  ASSERT_FALSE(tree_->set_mtime(at("/home"), 1));
  ASSERT_FALSE(tree_->rename(at("/sub/inner.txt"), at("/home/inner.txt")));
  EXPECT_TRUE(touched("/sub"));
  EXPECT_TRUE(touched("/home"));
  ASSERT_FALSE(tree_->set_mtime(at("/home"), 1));
  ASSERT_FALSE(tree_->remove_file(at("/home/inner.txt")));
  EXPECT_TRUE(touched("/home"));
  // Writing into an existing file changes the file, not its directory.
  ASSERT_FALSE(tree_->set_mtime(VirtualPath(), 1));
  write_all(*tree_, at("/file.txt"), WriteMode::truncate, 0, "x");
  EXPECT_EQ(tree_->stat(VirtualPath())->mtime, 1);
}

TEST_F(MemoryFilesystemTest, RootCannotBeRemovedOrRenamed) {
  MemoryFilesystem files;
  auto tree = open(files, "/");
  ASSERT_TRUE(tree);  // an empty root: rmdir would otherwise succeed
  EXPECT_EQ(tree->remove_directory(VirtualPath()), errc(std::errc::permission_denied));
  EXPECT_EQ(tree->remove_file(VirtualPath()), errc(std::errc::permission_denied));
  EXPECT_EQ(tree->rename(VirtualPath(), at("/x")), errc(std::errc::permission_denied));
  ASSERT_FALSE(tree->make_directory(at("/d")));
  EXPECT_EQ(tree->rename(at("/d"), VirtualPath()), errc(std::errc::permission_denied));
  EXPECT_EQ(tree->set_mode(VirtualPath(), 0), errc(std::errc::permission_denied));
  EXPECT_EQ(tree->stat(at("/d"))->type, FileType::directory);
  EXPECT_EQ(tree->stat(VirtualPath())->mode, 0755u);
}

TEST_F(MemoryFilesystemTest, RemoveFile) {
  EXPECT_FALSE(tree_->remove_file(at("/file.txt")));
  EXPECT_EQ(files_.read_file("/file.txt").error(), errc(std::errc::no_such_file_or_directory));
  EXPECT_EQ(tree_->remove_file(at("/file.txt")), errc(std::errc::no_such_file_or_directory));
  EXPECT_EQ(tree_->remove_file(at("/sub")), errc(std::errc::is_a_directory));
  EXPECT_EQ(tree_->remove_file(at("/sub/inner.txt/x")), errc(std::errc::not_a_directory));
  EXPECT_EQ(tree_->stat(at("/sub"))->type, FileType::directory);
}

TEST_F(MemoryFilesystemTest, RenameAcrossDirectories) {
  ASSERT_FALSE(tree_->make_directory(at("/other")));
  EXPECT_FALSE(tree_->rename(at("/sub/inner.txt"), at("/other/renamed.txt")));
  EXPECT_FALSE(tree_->stat(at("/sub/inner.txt")));
  EXPECT_EQ(content("/other/renamed.txt"), "inner");
  EXPECT_FALSE(tree_->rename(at("/other"), at("/sub/other")));
  EXPECT_EQ(content("/sub/other/renamed.txt"), "inner");
  // Replaces an existing file, as rename(2) does.
  EXPECT_FALSE(tree_->rename(at("/sub/other/renamed.txt"), at("/file.txt")));
  EXPECT_EQ(content("/file.txt"), "inner");
  // And an empty directory.
  ASSERT_FALSE(tree_->make_directory(at("/empty")));
  EXPECT_FALSE(tree_->rename(at("/sub/other"), at("/empty")));
  EXPECT_EQ(tree_->stat(at("/empty"))->type, FileType::directory);
  EXPECT_FALSE(tree_->stat(at("/sub/other")));
  // The same name: nothing to do.
  EXPECT_FALSE(tree_->rename(at("/file.txt"), at("/file.txt")));
  EXPECT_FALSE(tree_->rename(at("/sub"), at("/sub")));
  EXPECT_EQ(content("/file.txt"), "inner");
}

TEST_F(MemoryFilesystemTest, RenameKeepsTheNodeAndItsMetadata) {
  ASSERT_FALSE(tree_->set_mode(at("/file.txt"), 0600));
  const auto before = tree_->stat(at("/file.txt"));
  ASSERT_TRUE(before);
  ASSERT_FALSE(tree_->rename(at("/file.txt"), at("/sub/f")));
  const auto after = tree_->stat(at("/sub/f"));
  ASSERT_TRUE(after);
  EXPECT_EQ(after->inode, before->inode);
  EXPECT_EQ(after->mode, 0600u);
  EXPECT_EQ(after->mtime, before->mtime);
  EXPECT_EQ(after->name, "f");
}

TEST_F(MemoryFilesystemTest, RenameErrors) {
  EXPECT_EQ(tree_->rename(at("/missing"), at("/x")), errc(std::errc::no_such_file_or_directory));
  EXPECT_EQ(tree_->rename(at("/missing/x"), at("/x")), errc(std::errc::no_such_file_or_directory));
  EXPECT_EQ(tree_->rename(at("/file.txt"), at("/missing/x")),
            errc(std::errc::no_such_file_or_directory));
  EXPECT_EQ(tree_->rename(at("/file.txt"), at("/file.txt/x")), errc(std::errc::not_a_directory));
  EXPECT_EQ(tree_->rename(at("/sub"), at("/sub/inside")), errc(std::errc::invalid_argument));
  ASSERT_FALSE(files_.add_directory("/sub/deep/deeper"));
  EXPECT_EQ(tree_->rename(at("/sub"), at("/sub/deep/deeper/x")), errc(std::errc::invalid_argument));
  EXPECT_EQ(tree_->rename(at("/sub"), at("/file.txt")), errc(std::errc::not_a_directory));
  EXPECT_EQ(tree_->rename(at("/file.txt"), at("/sub")), errc(std::errc::is_a_directory));
  EXPECT_EQ(tree_->rename(at("/home/bob"), at("/sub")), errc(std::errc::directory_not_empty));
  EXPECT_EQ(tree_->rename(at("/home"), at("/home/bob")), errc(std::errc::invalid_argument));
  // A sibling whose name starts with the directory's is not inside it.
  EXPECT_FALSE(tree_->rename(at("/sub"), at("/sub2")));
  EXPECT_EQ(content("/sub2/inner.txt"), "inner");
  EXPECT_EQ(content("/file.txt"), "hello world");
  EXPECT_EQ(content("/home/bob/notes.txt"), "bob's");
}

// --- set_mode / set_mtime ----------------------------------------------------------

TEST_F(MemoryFilesystemTest, SetMode) {
  EXPECT_FALSE(tree_->set_mode(at("/file.txt"), 0600));
  EXPECT_EQ(tree_->stat(at("/file.txt"))->mode, 0600u);
  EXPECT_FALSE(tree_->set_mode(at("/sub"), 01750));  // sticky is fine
  EXPECT_EQ(tree_->stat(at("/sub"))->mode, 01750u);
  EXPECT_FALSE(tree_->set_mode(at("/file.txt"), 0));
  EXPECT_EQ(tree_->stat(at("/file.txt"))->mode, 0u);
  EXPECT_EQ(read_all(*tree_, at("/file.txt")), "hello world");  // metadata only
  EXPECT_EQ(tree_->set_mode(at("/missing"), 0600), errc(std::errc::no_such_file_or_directory));
  EXPECT_EQ(tree_->set_mode(at("/file.txt/x"), 0600), errc(std::errc::not_a_directory));
}

TEST_F(MemoryFilesystemTest, SetModeRefusesSetuidSetgidAndStrayBits) {
  EXPECT_EQ(tree_->set_mode(at("/file.txt"), 04755), errc(std::errc::operation_not_permitted));
  EXPECT_EQ(tree_->set_mode(at("/file.txt"), 02755), errc(std::errc::operation_not_permitted));
  EXPECT_EQ(tree_->set_mode(at("/file.txt"), 06755), errc(std::errc::operation_not_permitted));
  EXPECT_EQ(tree_->set_mode(at("/file.txt"), 010644), errc(std::errc::invalid_argument));
  EXPECT_EQ(tree_->set_mode(at("/file.txt"), 0100644), errc(std::errc::invalid_argument));
  EXPECT_EQ(tree_->stat(at("/file.txt"))->mode, 0644u);
}

TEST_F(MemoryFilesystemTest, SetMtime) {
  EXPECT_FALSE(tree_->set_mtime(at("/file.txt"), 1'000'000'001));
  EXPECT_EQ(tree_->stat(at("/file.txt"))->mtime, 1'000'000'001);
  EXPECT_FALSE(tree_->set_mtime(at("/sub"), 1'234'567'890));
  EXPECT_EQ(tree_->stat(at("/sub"))->mtime, 1'234'567'890);
  EXPECT_FALSE(tree_->set_mtime(VirtualPath(), 1'111'111'111));
  EXPECT_EQ(tree_->stat(VirtualPath())->mtime, 1'111'111'111);
  EXPECT_FALSE(tree_->set_mtime(at("/file.txt"), 0));
  EXPECT_EQ(tree_->stat(at("/file.txt"))->mtime, 0);
  EXPECT_EQ(tree_->set_mtime(at("/missing"), 1), errc(std::errc::no_such_file_or_directory));
  EXPECT_EQ(tree_->set_mtime(at("/file.txt/x"), 1), errc(std::errc::not_a_directory));
}

// --- read-only mode -------------------------------------------------------------

TEST_F(MemoryFilesystemTest, ReadOnlyRefusesEveryChange) {
  const auto rofs = errc(std::errc::read_only_file_system);
  files_.set_read_only(true);
  for (const auto mode : {WriteMode::truncate, WriteMode::append, WriteMode::create_new}) {
    EXPECT_EQ(tree_->open_write(at("/new.txt"), mode, 0).error(), rofs);
    EXPECT_EQ(tree_->open_write(at("/file.txt"), mode, 0).error(), rofs);
    EXPECT_EQ(tree_->open_write(at("/missing/x"), mode, 0).error(), rofs);  // before other checks
  }
  EXPECT_EQ(tree_->make_directory(at("/d")), rofs);
  EXPECT_EQ(tree_->make_directory(VirtualPath()), rofs);
  EXPECT_EQ(tree_->remove_directory(at("/home/alice")), rofs);
  EXPECT_EQ(tree_->remove_file(at("/file.txt")), rofs);
  EXPECT_EQ(tree_->rename(at("/file.txt"), at("/x")), rofs);
  EXPECT_EQ(tree_->set_mode(at("/file.txt"), 0600), rofs);
  EXPECT_EQ(tree_->set_mtime(at("/file.txt"), 1), rofs);

  // Nothing changed, and reading still works.
  EXPECT_FALSE(tree_->stat(at("/new.txt")));
  EXPECT_FALSE(tree_->stat(at("/d")));
  EXPECT_EQ(read_all(*tree_, at("/file.txt")), "hello world");
  EXPECT_EQ(tree_->stat(at("/file.txt"))->mode, 0644u);
  EXPECT_EQ(tree_->stat(at("/file.txt"))->mtime, 1'000'000'000);
  EXPECT_TRUE(tree_->list(VirtualPath(), 10));

  // The embedder may still change what is served.
  EXPECT_FALSE(files_.add_file("/generated.txt", "gen"));
  EXPECT_FALSE(files_.add_directory("/generated"));
  EXPECT_EQ(read_all(*tree_, at("/generated.txt")), "gen");

  files_.set_read_only(false);
  EXPECT_FALSE(tree_->make_directory(at("/d")));
  write_all(*tree_, at("/new.txt"), WriteMode::truncate, 0, "ok");
  EXPECT_EQ(content("/new.txt"), "ok");
}

TEST_F(MemoryFilesystemTest, ReadOnlyStopsWritersAlreadyOpen) {
  auto writer = tree_->open_write(at("/file.txt"), WriteMode::truncate, 0);
  ASSERT_TRUE(writer);
  EXPECT_FALSE((*writer)->write(std::string_view("before")));
  files_.set_read_only(true);
  EXPECT_EQ((*writer)->write(std::string_view("after")), errc(std::errc::read_only_file_system));
  EXPECT_EQ((*writer)->close(), errc(std::errc::read_only_file_system));
  EXPECT_EQ(content("/file.txt"), "hello world");
}

// --- capacity ---------------------------------------------------------------------

TEST_F(MemoryFilesystemTest, CapacityLimitsUploads) {
  // Holds 11 + 5 + 7 + 5 = 28 bytes.
  files_.set_capacity(40);
  auto writer = tree_->open_write(at("/up.bin"), WriteMode::truncate, 0);
  ASSERT_TRUE(writer);
  EXPECT_FALSE((*writer)->write(std::string(10, 'a')));
  EXPECT_EQ((*writer)->write(std::string(3, 'b')), errc(std::errc::no_space_on_device));
  EXPECT_FALSE((*writer)->write(std::string(2, 'c')));  // what still fits is taken
  EXPECT_FALSE((*writer)->close());
  EXPECT_EQ(content("/up.bin"), "aaaaaaaaaacc");
  EXPECT_EQ(files_.add_file("/more", "x"), errc(std::errc::no_space_on_device));
  EXPECT_FALSE(tree_->stat(at("/more")));

  // Removing and shrinking make room again; replacing counts the difference.
  ASSERT_FALSE(tree_->remove_file(at("/file.txt")));
  EXPECT_FALSE(files_.add_file("/more", std::string(11, 'm')));
  EXPECT_EQ(files_.add_file("/more", std::string(12, 'm')), errc(std::errc::no_space_on_device));
  EXPECT_FALSE(files_.add_file("/sub/inner.txt", ""));
  EXPECT_FALSE(files_.add_file("/more", std::string(16, 'm')));
  EXPECT_EQ(content("/more"), std::string(16, 'm'));
}

TEST_F(MemoryFilesystemTest, CapacityCountsWhatOpenWritersHold) {
  files_.set_capacity(28 + 10);
  auto first = tree_->open_write(at("/a"), WriteMode::truncate, 0);
  auto second = tree_->open_write(at("/b"), WriteMode::truncate, 0);
  ASSERT_TRUE(first && second);
  EXPECT_FALSE((*first)->write(std::string(6, 'a')));
  EXPECT_EQ((*second)->write(std::string(5, 'b')), errc(std::errc::no_space_on_device));
  EXPECT_FALSE((*first)->close());
  EXPECT_EQ((*second)->write(std::string(5, 'b')), errc(std::errc::no_space_on_device));
  EXPECT_FALSE((*second)->write(std::string(4, 'b')));
  EXPECT_FALSE((*second)->close());
  // A closed writer gives its claim back: replacing /a with less frees room.
  write_all(*tree_, at("/a"), WriteMode::truncate, 0, "");
  write_all(*tree_, at("/c"), WriteMode::truncate, 0, "cccccc");
  EXPECT_EQ(content("/c"), "cccccc");
}

TEST_F(MemoryFilesystemTest, AbsurdRestOffsetIsRefusedNotAllocated) {
  // With the default capacity, an offset far past it must fail at once.
  const std::uint64_t huge = std::uint64_t{1} << 62;
  EXPECT_EQ(tree_->open_write(at("/file.txt"), WriteMode::truncate, huge).error(),
            errc(std::errc::no_space_on_device));
  EXPECT_EQ(tree_->open_write(at("/new.bin"), WriteMode::truncate, huge).error(),
            errc(std::errc::no_space_on_device));
  EXPECT_FALSE(tree_->stat(at("/new.bin")));  // nothing created by a refusal
  files_.set_capacity(28 + 4);
  EXPECT_EQ(tree_->open_write(at("/file.txt"), WriteMode::truncate, 16).error(),
            errc(std::errc::no_space_on_device));
  {
    auto writer = tree_->open_write(at("/file.txt"), WriteMode::truncate, 15);  // 4: fits
    ASSERT_TRUE(writer);
  }  // dropped without close(): commits the cut, as REST + STOR on a disk would
  EXPECT_EQ(content("/file.txt"), std::string("hello world\0\0\0\0", 15));
  // The claim for the gap was given back: exactly the room freed is usable.
  ASSERT_FALSE(tree_->remove_file(at("/sub/inner.txt")));
  EXPECT_FALSE(files_.add_file("/z", "12345"));
  EXPECT_EQ(files_.add_file("/z2", "1"), errc(std::errc::no_space_on_device));
}

TEST_F(MemoryFilesystemTest, LoweringTheCapacityStopsGrowthAtCommit) {
  auto writer = tree_->open_write(at("/up.bin"), WriteMode::truncate, 0);
  ASSERT_TRUE(writer);
  EXPECT_FALSE((*writer)->write(std::string(10, 'a')));
  files_.set_capacity(28 + 9);  // the 10 bytes already held no longer fit
  EXPECT_EQ((*writer)->close(), errc(std::errc::no_space_on_device));
  EXPECT_EQ(content("/up.bin"), "");
  // Shrinking still works, and the failed writer gave its claim back.
  write_all(*tree_, at("/file.txt"), WriteMode::truncate, 0, "hello");
  write_all(*tree_, at("/up.bin"), WriteMode::truncate, 0, std::string(15, 'b'));
  EXPECT_EQ(content("/up.bin"), std::string(15, 'b'));
}

// --- threads ----------------------------------------------------------------------

TEST(MemoryFilesystemThreadsTest, ContendedAppendsAreNeverLost) {
  // Appends build the new content outside the lock; one that finds the file
  // changed meanwhile must build again rather than overwrite the other.
  MemoryFilesystem files;
  constexpr int kThreads = 4;
  constexpr int kAppends = 100;
  constexpr std::size_t kChunk = 1024;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto tree = files.open_tree("/");
      if (!tree) {
        ++failures;
        return;
      }
      const std::string chunk(kChunk, static_cast<char>('0' + t));
      for (int i = 0; i < kAppends; ++i) {
        auto writer = (*tree)->open_write(at("/log"), WriteMode::append, 0);
        if (!writer || (*writer)->write(chunk) || (*writer)->close()) ++failures;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  const std::string log = *files.read_file("/log");
  ASSERT_EQ(log.size(), kThreads * kAppends * kChunk);
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ(std::count(log.begin(), log.end(), static_cast<char>('0' + t)),
              std::ptrdiff_t{kAppends} * static_cast<std::ptrdiff_t>(kChunk));
  }
}

TEST(MemoryFilesystemThreadsTest, ConcurrentReadersAndWriters) {
  MemoryFilesystem files;
  constexpr int kThreads = 4;
  constexpr int kRounds = 200;
  for (int t = 0; t < kThreads; ++t) ASSERT_FALSE(files.add_directory("/t" + std::to_string(t)));
  // Every version of /shared is one letter repeated: a reader must never see
  // a mix, a partial file or an empty one.
  ASSERT_FALSE(files.add_file("/shared", std::string(4096, 'a')));
  std::atomic<int> failures{0};
  const auto check = [&](bool ok) {
    if (!ok) failures.fetch_add(1, std::memory_order_relaxed);
  };

  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      // Even threads work from "/", odd ones from their own directory; all
      // share /shared and /shared.log through a tree on "/".
      auto opened = files.open_tree(t % 2 == 0 ? "/" : "/t" + std::to_string(t));
      auto opened_root = files.open_tree("/");
      check(opened.ok() && opened_root.ok());
      if (!opened || !opened_root) return;
      FileTree& tree = **opened;
      FileTree& root = **opened_root;
      const std::string mine = t % 2 == 0 ? "/t" + std::to_string(t) : "";
      for (int round = 0; round < kRounds; ++round) {
        const std::string name = mine + "/f" + std::to_string(round % 5);
        const std::string data = std::to_string(t) + ":" + std::to_string(round);
        if (auto writer = tree.open_write(at(name), WriteMode::truncate, 0)) {
          check(!(*writer)->write(data));
          check(!(*writer)->close());
        } else {
          check(false);
        }
        check(read_all(tree, at(name)) == data);
        check(!tree.rename(at(name), at(name + ".moved")));
        check(tree.list(at(mine.empty() ? "/" : mine), 100).ok());
        if (round % 3 == 0) check(!tree.remove_file(at(name + ".moved")));
        const char letter = static_cast<char>('a' + (t + round) % 26);
        auto writer = root.open_write(at("/shared"), WriteMode::truncate, 0);
        check(writer.ok());
        if (writer) {
          check(!(*writer)->write(std::string(2048, letter)));
          check(!(*writer)->write(std::string(2048, letter)));
          check(!(*writer)->close());
        }
        const std::string shared =
            t % 2 == 0 ? read_all(root, at("/shared")) : *files.read_file("/shared");
        check(shared.size() == 4096 &&
              std::all_of(shared.begin(), shared.end(), [&](char c) { return c == shared[0]; }));
        // Appends to one file from every thread: none may be lost.
        for (auto* log : {&tree, &root}) {
          const std::string path = log == &root ? "/shared.log" : mine + "/log";
          auto appender = log->open_write(at(path), WriteMode::append, 0);
          check(appender.ok());
          if (appender) {
            check(!(*appender)->write(std::string(64, static_cast<char>('0' + t))));
            check(!(*appender)->close());
          }
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);

  auto root = files.open_tree("/");
  ASSERT_TRUE(root);
  std::set<std::uint64_t> inodes;
  std::size_t nodes = 0;
  for (int t = 0; t < kThreads; ++t) {
    const std::string dir = "/t" + std::to_string(t);
    EXPECT_EQ(*files.read_file(dir + "/log"),
              std::string(kRounds * 64, static_cast<char>('0' + t)));
    const auto listing = (*root)->list(at(dir), 100);
    ASSERT_TRUE(listing);
    for (const auto& info : *listing) {
      inodes.insert(info.inode);
      ++nodes;
    }
    // Each f<k>.moved holds that thread's last write of it, unless removed.
    for (int k = 0; k < 5; ++k) {
      const int last = kRounds - 5 + k;
      const std::string path = dir + "/f" + std::to_string(k) + ".moved";
      if (last % 3 == 0) {
        EXPECT_FALSE(files.read_file(path)) << path;
      } else {
        EXPECT_EQ(*files.read_file(path), std::to_string(t) + ":" + std::to_string(last)) << path;
      }
    }
  }
  EXPECT_EQ(inodes.size(), nodes);
  const std::string log = *files.read_file("/shared.log");
  ASSERT_EQ(log.size(), std::size_t{kThreads} * kRounds * 64);
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ(std::count(log.begin(), log.end(), static_cast<char>('0' + t)), kRounds * 64);
  }
  for (std::size_t i = 0; i < log.size(); i += 64) {
    EXPECT_EQ(log.substr(i, 64), std::string(64, log[i])) << "an append was torn at " << i;
  }
}

}  // namespace
}  // namespace cppftpd::memory_filesystem_test
