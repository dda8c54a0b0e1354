// MemoryFilesystem: the embedder's side, trees and confinement, metadata,
// listings and reads. Writes, changes, limits and threads are in
// memory_filesystem_write_test.cpp.
#include "memory_filesystem_test_support.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <limits>
#include <set>
#include <string>
#include <vector>

namespace cppftpd::memory_filesystem_test {
namespace {

// --- the embedder's side --------------------------------------------------------

TEST(MemoryFilesystemEmptyTest, StartsWithJustTheRoot) {
  MemoryFilesystem files;
  auto tree = open(files, "/");
  ASSERT_TRUE(tree);
  const auto root = tree->stat(VirtualPath());
  ASSERT_TRUE(root);
  EXPECT_EQ(root->type, FileType::directory);
  EXPECT_EQ(root->name, "");
  EXPECT_EQ(root->mode, 0755u);
  EXPECT_EQ(root->nlink, 2u);
  EXPECT_EQ(root->size, 0u);
  EXPECT_NE(root->inode, 0u);
  EXPECT_LE(std::abs(root->mtime - std::time(nullptr)), 5);
  const auto listing = tree->list(VirtualPath(), 0);
  ASSERT_TRUE(listing);
  EXPECT_TRUE(listing->empty());
}

TEST_F(MemoryFilesystemTest, AddDirectoryIsMkdirP) {
  EXPECT_FALSE(files_.add_directory("/a/b/c"));
  EXPECT_EQ(tree_->stat(at("/a/b/c"))->type, FileType::directory);
  EXPECT_EQ(tree_->stat(at("/a/b"))->mode, 0755u);
  EXPECT_FALSE(files_.add_directory("/a/b"));  // exists: fine
  EXPECT_FALSE(files_.add_directory("/"));
  EXPECT_FALSE(files_.add_directory("rel/dir"));  // relative paths start at "/"
  EXPECT_EQ(tree_->stat(at("/rel/dir"))->type, FileType::directory);
  EXPECT_FALSE(files_.add_directory("/x/../y/./z//"));
  EXPECT_EQ(tree_->stat(at("/y/z"))->type, FileType::directory);
  EXPECT_FALSE(tree_->stat(at("/x")));

  EXPECT_EQ(files_.add_directory("/file.txt"), errc(std::errc::file_exists));
  EXPECT_EQ(files_.add_directory("/file.txt/d"), errc(std::errc::not_a_directory));
  EXPECT_EQ(files_.add_directory(std::string_view("/n\0ul", 5)), errc(std::errc::invalid_argument));
  EXPECT_FALSE(tree_->stat(at("/n")));
}

TEST_F(MemoryFilesystemTest, AddFileCreatesParentsAndReplaces) {
  EXPECT_FALSE(files_.add_file("/deep/er/new.txt", "new", 1'234));
  const auto info = tree_->stat(at("/deep/er/new.txt"));
  ASSERT_TRUE(info);
  EXPECT_EQ(info->type, FileType::regular);
  EXPECT_EQ(info->size, 3u);
  EXPECT_EQ(info->mtime, 1'234);
  EXPECT_EQ(info->mode, 0644u);
  EXPECT_EQ(tree_->stat(at("/deep/er"))->type, FileType::directory);

  // Replacing keeps the node (inode, mode) and takes the new content and time.
  ASSERT_FALSE(tree_->set_mode(at("/deep/er/new.txt"), 0600));
  EXPECT_FALSE(files_.add_file("/deep/er/new.txt", "replaced", 5'678));
  const auto replaced = tree_->stat(at("/deep/er/new.txt"));
  ASSERT_TRUE(replaced);
  EXPECT_EQ(replaced->inode, info->inode);
  EXPECT_EQ(replaced->mode, 0600u);
  EXPECT_EQ(replaced->mtime, 5'678);
  EXPECT_EQ(content("/deep/er/new.txt"), "replaced");

  EXPECT_FALSE(files_.add_file("/now.txt", ""));
  EXPECT_LE(std::abs(tree_->stat(at("/now.txt"))->mtime - std::time(nullptr)), 5);
  EXPECT_EQ(tree_->stat(at("/now.txt"))->size, 0u);
}

TEST_F(MemoryFilesystemTest, AddFileErrors) {
  EXPECT_EQ(files_.add_file("/", "x"), errc(std::errc::is_a_directory));
  EXPECT_EQ(files_.add_file("/sub", "x"), errc(std::errc::is_a_directory));
  EXPECT_EQ(files_.add_file("/file.txt/x", "x"), errc(std::errc::not_a_directory));
  EXPECT_EQ(files_.add_file("/file.txt/y/z", "x"), errc(std::errc::not_a_directory));
  EXPECT_EQ(files_.add_file(std::string_view("/a\0b", 4), "x"), errc(std::errc::invalid_argument));
  EXPECT_EQ(content("/file.txt"), "hello world");
  EXPECT_FALSE(tree_->stat(at("/a")));
}

TEST_F(MemoryFilesystemTest, ReadFile) {
  EXPECT_EQ(content("/sub/inner.txt"), "inner");
  EXPECT_EQ(content("sub/inner.txt"), "inner");
  EXPECT_EQ(files_.read_file("/missing").error(), errc(std::errc::no_such_file_or_directory));
  EXPECT_EQ(files_.read_file("/sub").error(), errc(std::errc::is_a_directory));
  EXPECT_EQ(files_.read_file("/").error(), errc(std::errc::is_a_directory));
  EXPECT_EQ(files_.read_file("/file.txt/x").error(), errc(std::errc::not_a_directory));
  EXPECT_EQ(files_.read_file(std::string_view("/file.txt\0", 10)).error(),
            errc(std::errc::invalid_argument));
}

TEST_F(MemoryFilesystemTest, BinaryContentSurvives) {
  std::string binary(256, '\0');
  for (std::size_t i = 0; i < binary.size(); ++i) binary[i] = static_cast<char>(i);
  ASSERT_FALSE(files_.add_file("/bin", binary));
  EXPECT_EQ(read_all(*tree_, at("/bin")), binary);
  write_all(*tree_, at("/bin2"), WriteMode::truncate, 0, binary);
  EXPECT_EQ(content("/bin2"), binary);
}

TEST_F(MemoryFilesystemTest, CopiesShareOneTree) {
  MemoryFilesystem copy = files_;
  ASSERT_FALSE(copy.add_file("/from-copy.txt", "c"));
  EXPECT_EQ(content("/from-copy.txt"), "c");
  write_all(*tree_, at("/upload.txt"), WriteMode::truncate, 0, "u");
  EXPECT_EQ(*copy.read_file("/upload.txt"), "u");
  copy.set_read_only(true);
  EXPECT_EQ(tree_->make_directory(at("/d")), errc(std::errc::read_only_file_system));
}

TEST_F(MemoryFilesystemTest, AMoveLeavesAWorkingHandle) {
  MemoryFilesystem moved = std::move(files_);
  EXPECT_EQ(*moved.read_file("/file.txt"), "hello world");
  EXPECT_EQ(content("/file.txt"), "hello world");  // NOLINT(bugprone-use-after-move): by design
}

TEST_F(MemoryFilesystemTest, TreesOutliveTheirFilesystem) {
  std::unique_ptr<FileTree> tree;
  {
    MemoryFilesystem files;
    ASSERT_FALSE(files.add_file("/kept.txt", "kept"));
    tree = open(files, "/");
  }
  ASSERT_TRUE(tree);
  EXPECT_EQ(read_all(*tree, at("/kept.txt")), "kept");
  write_all(*tree, at("/more.txt"), WriteMode::truncate, 0, "more");
  EXPECT_EQ(read_all(*tree, at("/more.txt")), "more");
}

// --- open_tree and confinement --------------------------------------------------

TEST_F(MemoryFilesystemTest, OpenTreeNeedsAnExistingDirectory) {
  EXPECT_EQ(files_.open_tree("/missing").error(), errc(std::errc::no_such_file_or_directory));
  EXPECT_EQ(files_.open_tree("/home/carol").error(), errc(std::errc::no_such_file_or_directory));
  EXPECT_EQ(files_.open_tree("/file.txt").error(), errc(std::errc::not_a_directory));
  EXPECT_EQ(files_.open_tree("/file.txt/x").error(), errc(std::errc::not_a_directory));
  EXPECT_EQ(files_.open_tree("").error(), errc(std::errc::no_such_file_or_directory));
  EXPECT_EQ(files_.open_tree(std::string("/home\0/bob", 10)).error(),
            errc(std::errc::invalid_argument));
  auto bob = open(files_, "home/bob/");  // normalised like any other path
  ASSERT_TRUE(bob);
  EXPECT_EQ(read_all(*bob, at("/notes.txt")), "bob's");
}

TEST_F(MemoryFilesystemTest, TreeSeesItsHomeAsRoot) {
  auto bob = open(files_, "/home/bob");
  ASSERT_TRUE(bob);
  const auto listing = bob->list(VirtualPath(), 100);
  ASSERT_TRUE(listing);
  EXPECT_EQ(names(*listing), std::vector<std::string>{"notes.txt"});
  const auto root = bob->stat(VirtualPath());
  ASSERT_TRUE(root);
  EXPECT_EQ(root->name, "");
  EXPECT_EQ(root->inode, tree_->stat(at("/home/bob"))->inode);

  write_all(*bob, at("/upload.txt"), WriteMode::truncate, 0, "up");
  EXPECT_EQ(content("/home/bob/upload.txt"), "up");
  EXPECT_FALSE(bob->make_directory(at("/dir")));
  EXPECT_EQ(tree_->stat(at("/home/bob/dir"))->type, FileType::directory);
}

TEST_F(MemoryFilesystemTest, DotDotNeverLeavesTheHome) {
  auto bob = open(files_, "/home/bob");
  ASSERT_TRUE(bob);
  for (const char* attempt : {"/../alice/secret.txt", "../alice/secret.txt",
                              "/../../home/alice/secret.txt", "/./../../../file.txt"}) {
    const VirtualPath path = VirtualPath::resolve({}, attempt);
    EXPECT_EQ(bob->stat(path).error(), errc(std::errc::no_such_file_or_directory)) << attempt;
    EXPECT_EQ(bob->open_read(path, 0).error(), errc(std::errc::no_such_file_or_directory))
        << attempt;
    EXPECT_EQ(bob->remove_file(path), errc(std::errc::no_such_file_or_directory)) << attempt;
    EXPECT_EQ(bob->rename(path, at("/stolen")), errc(std::errc::no_such_file_or_directory))
        << attempt;
    EXPECT_EQ(bob->set_mode(path, 0777), errc(std::errc::no_such_file_or_directory)) << attempt;
    EXPECT_EQ(bob->set_mtime(path, 1), errc(std::errc::no_such_file_or_directory)) << attempt;
  }
  EXPECT_EQ(bob->list(VirtualPath::resolve({}, "/../alice"), 100).error(),
            errc(std::errc::no_such_file_or_directory));
  EXPECT_EQ(bob->list(VirtualPath::resolve({}, "/.."), 100)->size(), 1u);  // its own root

  // Writes aimed above the home land inside it.
  EXPECT_EQ(
      bob->open_write(VirtualPath::resolve({}, "/../alice/planted.txt"), WriteMode::truncate, 0)
          .error(),
      errc(std::errc::no_such_file_or_directory));  // bob has no /alice
  EXPECT_FALSE(bob->make_directory(VirtualPath::resolve({}, "/../../alice")));
  EXPECT_FALSE(tree_->stat(at("/alice")));
  EXPECT_EQ(tree_->stat(at("/home/bob/alice"))->type, FileType::directory);
  write_all(*bob, VirtualPath::resolve({}, "/../alice/planted.txt"), WriteMode::truncate, 0, "x");
  EXPECT_EQ(content("/home/bob/alice/planted.txt"), "x");
  EXPECT_EQ(files_.read_file("/home/alice/planted.txt").error(),
            errc(std::errc::no_such_file_or_directory));
  EXPECT_FALSE(bob->rename(at("/notes.txt"), VirtualPath::resolve({}, "/../alice/notes.txt")));
  EXPECT_EQ(content("/home/bob/alice/notes.txt"), "bob's");
  EXPECT_EQ(content("/home/alice/secret.txt"), "alice's");
  EXPECT_FALSE(tree_->stat(at("/home/alice/notes.txt")));
}

TEST_F(MemoryFilesystemTest, RootOfASubtreeIsProtectedLikeTheRealRoot) {
  auto bob = open(files_, "/home/bob");
  ASSERT_TRUE(bob);
  EXPECT_EQ(bob->remove_directory(VirtualPath()), errc(std::errc::permission_denied));
  EXPECT_EQ(bob->remove_file(VirtualPath()), errc(std::errc::permission_denied));
  EXPECT_EQ(bob->rename(VirtualPath(), at("/x")), errc(std::errc::permission_denied));
  EXPECT_EQ(bob->rename(at("/notes.txt"), VirtualPath()), errc(std::errc::permission_denied));
  EXPECT_EQ(bob->set_mode(VirtualPath(), 0), errc(std::errc::permission_denied));
  EXPECT_EQ(tree_->stat(at("/home/bob"))->type, FileType::directory);
  EXPECT_EQ(content("/home/bob/notes.txt"), "bob's");
}

TEST_F(MemoryFilesystemTest, TreeFollowsItsHomeWhenRenamed) {
  auto bob = open(files_, "/home/bob");
  ASSERT_TRUE(bob);
  ASSERT_FALSE(tree_->rename(at("/home/bob"), at("/home/robert")));
  EXPECT_EQ(read_all(*bob, at("/notes.txt")), "bob's");
  write_all(*bob, at("/after.txt"), WriteMode::truncate, 0, "a");
  EXPECT_EQ(content("/home/robert/after.txt"), "a");
}

TEST_F(MemoryFilesystemTest, NothingCanBeCreatedInARemovedHome) {
  ASSERT_FALSE(files_.add_directory("/home/empty"));
  auto tree = open(files_, "/home/empty");
  ASSERT_TRUE(tree);
  ASSERT_FALSE(tree_->remove_directory(at("/home/empty")));
  EXPECT_EQ(tree->make_directory(at("/d")), errc(std::errc::no_such_file_or_directory));
  EXPECT_EQ(tree->open_write(at("/f"), WriteMode::truncate, 0).error(),
            errc(std::errc::no_such_file_or_directory));
  EXPECT_EQ(tree->open_write(at("/f"), WriteMode::create_new, 0).error(),
            errc(std::errc::no_such_file_or_directory));
  EXPECT_EQ(tree->rename(at("/x"), at("/y")), errc(std::errc::no_such_file_or_directory));
  EXPECT_TRUE(tree->list(VirtualPath(), 10)->empty());
  // A new directory of the same name is another one.
  ASSERT_FALSE(files_.add_file("/home/empty/new.txt", "n"));
  EXPECT_TRUE(tree->list(VirtualPath(), 10)->empty());
}

// --- stat / lstat ----------------------------------------------------------------

TEST_F(MemoryFilesystemTest, StatFillsEveryField) {
  const auto info = tree_->stat(at("/file.txt"));
  ASSERT_TRUE(info) << info.error().message();
  EXPECT_EQ(info->name, "file.txt");
  EXPECT_EQ(info->type, FileType::regular);
  EXPECT_EQ(info->size, 11u);
  EXPECT_EQ(info->mtime, 1'000'000'000);
  EXPECT_EQ(info->mode, 0644u);
  EXPECT_EQ(info->uid, 0u);
  EXPECT_EQ(info->gid, 0u);
  EXPECT_EQ(info->nlink, 1u);
  EXPECT_EQ(info->device, 0u);
  EXPECT_NE(info->inode, 0u);
  EXPECT_TRUE(info->link_target.empty());

  const auto lstat = tree_->lstat(at("/file.txt"));
  ASSERT_TRUE(lstat);
  EXPECT_EQ(lstat->inode, info->inode);
  EXPECT_EQ(lstat->size, info->size);
  EXPECT_EQ(lstat->type, FileType::regular);
}

TEST_F(MemoryFilesystemTest, DirectoryNlinkCountsSubdirectories) {
  EXPECT_EQ(tree_->stat(at("/sub"))->nlink, 2u);  // holds a file only
  ASSERT_FALSE(tree_->make_directory(at("/sub/a")));
  ASSERT_FALSE(tree_->make_directory(at("/sub/b")));
  EXPECT_EQ(tree_->stat(at("/sub"))->nlink, 4u);
  ASSERT_FALSE(tree_->remove_directory(at("/sub/a")));
  EXPECT_EQ(tree_->stat(at("/sub"))->nlink, 3u);
  ASSERT_FALSE(tree_->rename(at("/sub/b"), at("/b")));
  EXPECT_EQ(tree_->stat(at("/sub"))->nlink, 2u);
  EXPECT_EQ(tree_->stat(VirtualPath())->nlink, 5u);  // sub, home, b
  EXPECT_EQ(tree_->stat(at("/sub"))->size, 0u);
}

TEST_F(MemoryFilesystemTest, InodesAreUniqueAndStable) {
  std::set<std::uint64_t> inodes;
  std::size_t count = 0;
  for (const char* path : {"/", "/file.txt", "/sub", "/sub/inner.txt", "/home", "/home/alice",
                           "/home/alice/secret.txt", "/home/bob", "/home/bob/notes.txt"}) {
    inodes.insert(tree_->stat(at(path))->inode);
    ++count;
  }
  EXPECT_EQ(inodes.size(), count);
  // A rename keeps the inode; a new file takes a fresh one, never a freed one.
  const auto before = tree_->stat(at("/file.txt"))->inode;
  ASSERT_FALSE(tree_->rename(at("/file.txt"), at("/renamed.txt")));
  EXPECT_EQ(tree_->stat(at("/renamed.txt"))->inode, before);
  ASSERT_FALSE(tree_->remove_file(at("/renamed.txt")));
  write_all(*tree_, at("/file.txt"), WriteMode::truncate, 0, "x");
  EXPECT_FALSE(inodes.contains(tree_->stat(at("/file.txt"))->inode));
}

TEST_F(MemoryFilesystemTest, StatErrors) {
  EXPECT_EQ(tree_->stat(at("/missing")).error(), errc(std::errc::no_such_file_or_directory));
  EXPECT_EQ(tree_->stat(at("/missing/x")).error(), errc(std::errc::no_such_file_or_directory));
  EXPECT_EQ(tree_->stat(at("/file.txt/x")).error(), errc(std::errc::not_a_directory));
  EXPECT_EQ(tree_->lstat(at("/missing")).error(), errc(std::errc::no_such_file_or_directory));
  EXPECT_EQ(tree_->lstat(at("/file.txt/x")).error(), errc(std::errc::not_a_directory));
}

TEST_F(MemoryFilesystemTest, PathWithNulIsRefused) {
  ASSERT_FALSE(files_.add_file("/d", "d"));
  const auto path = at(std::string_view("/file.txt\0x", 11));
  EXPECT_EQ(tree_->stat(path).error(), errc(std::errc::invalid_argument));
  EXPECT_EQ(tree_->lstat(path).error(), errc(std::errc::invalid_argument));
  EXPECT_EQ(tree_->list(path, 10).error(), errc(std::errc::invalid_argument));
  EXPECT_EQ(tree_->open_read(path, 0).error(), errc(std::errc::invalid_argument));
  EXPECT_EQ(tree_->open_write(path, WriteMode::truncate, 0).error(),
            errc(std::errc::invalid_argument));
  EXPECT_EQ(tree_->remove_file(path), errc(std::errc::invalid_argument));
  EXPECT_EQ(tree_->remove_directory(path), errc(std::errc::invalid_argument));
  EXPECT_EQ(tree_->rename(path, at("/x")), errc(std::errc::invalid_argument));
  EXPECT_EQ(tree_->rename(at("/file.txt"), path), errc(std::errc::invalid_argument));
  EXPECT_EQ(tree_->set_mode(path, 0600), errc(std::errc::invalid_argument));
  EXPECT_EQ(tree_->set_mtime(path, 1), errc(std::errc::invalid_argument));
  EXPECT_EQ(tree_->make_directory(at(std::string_view("/d\0ir", 5))),
            errc(std::errc::invalid_argument));
  EXPECT_EQ(content("/file.txt"), "hello world");
  EXPECT_EQ(content("/d"), "d");
}

// --- list ----------------------------------------------------------------------

TEST_F(MemoryFilesystemTest, ListIsSortedByBytesAndDescribesEntries) {
  for (const char* name : {"b", "B", "a", "\xc3\xa9", "_", "0"}) {
    ASSERT_FALSE(files_.add_file(std::string("/sub/") + name, name));
  }
  ASSERT_FALSE(files_.add_directory("/sub/dir"));
  const auto listing = tree_->list(at("/sub"), 100);
  ASSERT_TRUE(listing) << listing.error().message();
  EXPECT_EQ(names(*listing),
            (std::vector<std::string>{"0", "B", "_", "a", "b", "dir", "inner.txt", "\xc3\xa9"}));
  const auto inner = std::find_if(listing->begin(), listing->end(),
                                  [](const FileInfo& info) { return info.name == "inner.txt"; });
  ASSERT_NE(inner, listing->end());
  EXPECT_EQ(inner->type, FileType::regular);
  EXPECT_EQ(inner->size, 5u);
  EXPECT_EQ(inner->inode, tree_->stat(at("/sub/inner.txt"))->inode);
  EXPECT_EQ(inner->mode, 0644u);
  const auto dir = std::find_if(listing->begin(), listing->end(),
                                [](const FileInfo& info) { return info.name == "dir"; });
  ASSERT_NE(dir, listing->end());
  EXPECT_EQ(dir->type, FileType::directory);
  EXPECT_EQ(dir->mode, 0755u);

  const auto root = tree_->list(VirtualPath(), 100);
  ASSERT_TRUE(root);
  EXPECT_EQ(names(*root), (std::vector<std::string>{"file.txt", "home", "sub"}));
}

TEST_F(MemoryFilesystemTest, ListMaxEntries) {
  EXPECT_TRUE(tree_->list(VirtualPath(), 3));
  EXPECT_EQ(tree_->list(VirtualPath(), 2).error(), errc(std::errc::value_too_large));
  EXPECT_EQ(tree_->list(VirtualPath(), 0).error(), errc(std::errc::value_too_large));
  ASSERT_FALSE(tree_->make_directory(at("/empty")));
  const auto empty = tree_->list(at("/empty"), 0);
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->empty());
}

TEST_F(MemoryFilesystemTest, ListErrors) {
  EXPECT_EQ(tree_->list(at("/file.txt"), 100).error(), errc(std::errc::not_a_directory));
  EXPECT_EQ(tree_->list(at("/missing"), 100).error(), errc(std::errc::no_such_file_or_directory));
  EXPECT_EQ(tree_->list(at("/file.txt/x"), 100).error(), errc(std::errc::not_a_directory));
}

// --- open_read -----------------------------------------------------------------

TEST_F(MemoryFilesystemTest, ReadWholeFileAndFromOffset) {
  EXPECT_EQ(read_all(*tree_, at("/file.txt")), "hello world");
  EXPECT_EQ(read_all(*tree_, at("/file.txt"), 6), "world");
  EXPECT_EQ(read_all(*tree_, at("/file.txt"), 11), "");
  EXPECT_EQ(read_all(*tree_, at("/file.txt"), 1000), "");  // past the end: EOF, not an error
  const auto max_offset = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  EXPECT_EQ(read_all(*tree_, at("/file.txt"), max_offset), "");
  EXPECT_EQ(tree_->open_read(at("/file.txt"), max_offset + 1).error(),
            errc(std::errc::invalid_argument));
  EXPECT_EQ(tree_->open_read(at("/file.txt"), ~std::uint64_t{0}).error(),
            errc(std::errc::invalid_argument));
}

TEST_F(MemoryFilesystemTest, ReadIntoAnEmptyBuffer) {
  auto reader = tree_->open_read(at("/file.txt"), 0);
  ASSERT_TRUE(reader);
  EXPECT_EQ(*(*reader)->read({}), 0u);  // nothing asked, nothing read; not the end yet
  char buffer[64];
  EXPECT_EQ(*(*reader)->read(buffer), 11u);
  EXPECT_EQ(*(*reader)->read(buffer), 0u);
}

TEST_F(MemoryFilesystemTest, ReadErrors) {
  EXPECT_EQ(tree_->open_read(VirtualPath(), 0).error(), errc(std::errc::is_a_directory));
  EXPECT_EQ(tree_->open_read(at("/sub"), 0).error(), errc(std::errc::is_a_directory));
  EXPECT_EQ(tree_->open_read(at("/missing"), 0).error(),
            errc(std::errc::no_such_file_or_directory));
  EXPECT_EQ(tree_->open_read(at("/file.txt/x"), 0).error(), errc(std::errc::not_a_directory));
}

TEST_F(MemoryFilesystemTest, ReaderSurvivesDeletionAndReplacement) {
  auto deleted = tree_->open_read(at("/file.txt"), 0);
  auto replaced = tree_->open_read(at("/sub/inner.txt"), 0);
  auto overwritten = tree_->open_read(at("/home/bob/notes.txt"), 0);
  auto renamed_over = tree_->open_read(at("/home/alice/secret.txt"), 2);
  ASSERT_TRUE(deleted && replaced && overwritten && renamed_over);

  ASSERT_FALSE(tree_->remove_file(at("/file.txt")));
  ASSERT_FALSE(files_.add_file("/sub/inner.txt", "replaced by the embedder"));
  write_all(*tree_, at("/home/bob/notes.txt"), WriteMode::truncate, 0, "uploaded over");
  ASSERT_FALSE(files_.add_file("/other.txt", "other"));
  ASSERT_FALSE(tree_->rename(at("/other.txt"), at("/home/alice/secret.txt")));

  const auto drain = [](FileReader& reader) {
    std::string content;
    char buffer[3];
    for (;;) {
      auto count = reader.read(buffer);
      EXPECT_TRUE(count);
      if (!count || *count == 0) return content;
      content.append(buffer, *count);
    }
  };
  EXPECT_EQ(drain(**deleted), "hello world");
  EXPECT_EQ(drain(**replaced), "inner");
  EXPECT_EQ(drain(**overwritten), "bob's");
  EXPECT_EQ(drain(**renamed_over), "ice's");
  // New readers see the new content.
  EXPECT_EQ(read_all(*tree_, at("/sub/inner.txt")), "replaced by the embedder");
  EXPECT_EQ(read_all(*tree_, at("/home/bob/notes.txt")), "uploaded over");
  EXPECT_EQ(read_all(*tree_, at("/home/alice/secret.txt")), "other");
}

}  // namespace
}  // namespace cppftpd::memory_filesystem_test
