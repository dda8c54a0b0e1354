#include "fs/local_filesystem.hpp"
#include "protocol/limits.hpp"
#include "sys/openat2.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>

namespace cppftpd {
namespace {

namespace stdfs = std::filesystem;

VirtualPath at(std::string_view path) { return VirtualPath::resolve({}, path); }

std::error_code errc(std::errc value) { return std::make_error_code(value); }

// Kills the test binary if a call that must not block does block: a hang
// becomes a loud failure instead of a stuck test run.
class Watchdog {
 public:
  explicit Watchdog(unsigned seconds) { ::alarm(seconds); }
  ~Watchdog() { ::alarm(0); }
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;
};

// Layout, under a fresh mkdtemp() directory:
//   outside/secret.txt            must never be reachable
//   home/                         the tree's "/"
//   home/file.txt                 "hello world"
//   home/sub/inner.txt            "inner"
class LocalFilesystemTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = "/tmp/cppftpd-fs-test-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    base_ = pattern;
    home_ = base_ + "/home";
    outside_ = base_ + "/outside";
    stdfs::create_directories(home_ + "/sub");
    stdfs::create_directories(outside_);
    write(outside_ + "/secret.txt", "secret");
    write(home_ + "/file.txt", "hello world");
    write(home_ + "/sub/inner.txt", "inner");

    auto tree = make_local_filesystem()->open_tree(home_);
    ASSERT_TRUE(tree) << tree.error().message();
    tree_ = std::move(tree).value();
  }

  void TearDown() override {
    tree_.reset();
    std::error_code ignored;
    stdfs::remove_all(base_, ignored);  // does not follow symlinks
  }

  static void write(const std::string& path, const std::string& content) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << content;
    ASSERT_TRUE(out.good()) << path;
  }
  static std::string read(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }
  void symlink(const std::string& target, const std::string& link_in_home) const {
    ASSERT_EQ(::symlink(target.c_str(), (home_ + "/" + link_in_home).c_str()), 0) << link_in_home;
  }
  std::string read_all(const VirtualPath& path, std::uint64_t offset = 0) {
    auto reader = tree_->open_read(path, offset);
    EXPECT_TRUE(reader) << path.str() << ": " << reader.error().message();
    if (!reader) return {};
    std::string content;
    char buffer[4];  // small, so the loop runs more than once
    for (;;) {
      auto count = (*reader)->read(buffer);
      EXPECT_TRUE(count);
      if (!count || *count == 0) break;
      content.append(buffer, *count);
    }
    return content;
  }
  void write_all(const VirtualPath& path, WriteMode mode, std::uint64_t offset,
                 std::string_view data) {
    auto writer = tree_->open_write(path, mode, offset);
    ASSERT_TRUE(writer) << path.str() << ": " << writer.error().message();
    EXPECT_FALSE((*writer)->write(data));
    EXPECT_FALSE((*writer)->close());
  }
  static const FileInfo* find(const std::vector<FileInfo>& entries, std::string_view name) {
    const auto it = std::find_if(entries.begin(), entries.end(),
                                 [&](const FileInfo& info) { return info.name == name; });
    return it == entries.end() ? nullptr : &*it;
  }

  std::string base_;
  std::string home_;
  std::string outside_;
  std::unique_ptr<FileTree> tree_;
};

// --- sys::openat2 -------------------------------------------------------------

TEST_F(LocalFilesystemTest, Openat2ReportsWhyALookupWasStopped) {
  sys::UniqueFd root(::open(home_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  ASSERT_TRUE(root);
  // The raw wrapper hands back the kernel's reasons...
  EXPECT_EQ(sys::openat2(root.get(), "../outside", O_PATH, 0, sys::kResolveConfined).error(),
            std::error_code(EXDEV, std::generic_category()));
  sys::UniqueFd proc(::open("/proc/self", O_PATH | O_DIRECTORY | O_CLOEXEC));
  ASSERT_TRUE(proc);
  EXPECT_EQ(sys::openat2(proc.get(), "root", O_PATH, 0, sys::kResolveConfined).error(),
            std::error_code(ELOOP, std::generic_category()));  // RESOLVE_NO_MAGICLINKS
  auto fd =
      sys::openat2(root.get(), "sub/inner.txt", O_RDONLY | O_CLOEXEC, 0, sys::kResolveConfined);
  ASSERT_TRUE(fd);
  EXPECT_GE(fd->get(), 0);
  // ...and open_beneath() turns both into a refusal.
  EXPECT_EQ(sys::open_beneath(root.get(), "../outside", O_PATH).error(),
            errc(std::errc::permission_denied));
  EXPECT_EQ(sys::open_beneath(proc.get(), "root", O_PATH).error(),
            errc(std::errc::permission_denied));
  EXPECT_EQ(sys::open_beneath(root.get(), "missing", O_PATH).error(),
            errc(std::errc::no_such_file_or_directory));
  EXPECT_EQ(sys::open_beneath(root.get(), std::string("sub\0/x", 6), O_PATH).error(),
            errc(std::errc::invalid_argument));
}

TEST(UniqueFdTest, OwnsMovesAndReleases) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  sys::UniqueFd a(fds[0]);
  EXPECT_TRUE(a);
  sys::UniqueFd b(std::move(a));
  EXPECT_FALSE(a);  // NOLINT(bugprone-use-after-move): moved-from state is specified
  EXPECT_EQ(b.get(), fds[0]);
  b = sys::UniqueFd(fds[1]);  // closes fds[0]
  EXPECT_EQ(::fcntl(fds[0], F_GETFD), -1);
  const int raw = b.release();
  EXPECT_FALSE(b);
  EXPECT_EQ(raw, fds[1]);
  EXPECT_NE(::fcntl(raw, F_GETFD), -1);  // release() did not close it
  b.reset(raw);
  b.reset();
  EXPECT_EQ(::fcntl(raw, F_GETFD), -1);
  EXPECT_EQ(sys::UniqueFd().get(), -1);
}

// --- open_tree ---------------------------------------------------------------

TEST_F(LocalFilesystemTest, OpenTreeNeedsAnExistingDirectory) {
  const auto filesystem = make_local_filesystem();
  EXPECT_EQ(filesystem->open_tree(base_ + "/missing").error(),
            errc(std::errc::no_such_file_or_directory));
  EXPECT_EQ(filesystem->open_tree(home_ + "/file.txt").error(), errc(std::errc::not_a_directory));
  EXPECT_EQ(filesystem->open_tree("").error(), errc(std::errc::no_such_file_or_directory));
  EXPECT_EQ(filesystem->open_tree(home_ + std::string("\0/x", 3)).error(),
            errc(std::errc::invalid_argument));
}

TEST_F(LocalFilesystemTest, TreeKeepsWorkingWhenItsHomeIsRenamed) {
  // The root is a descriptor, not a string: it follows the directory.
  stdfs::rename(home_, base_ + "/moved");
  EXPECT_EQ(read_all(at("/file.txt")), "hello world");
}

// --- stat / lstat ------------------------------------------------------------

TEST_F(LocalFilesystemTest, StatFillsEveryField) {
  ASSERT_EQ(::chmod((home_ + "/file.txt").c_str(), 0640), 0);
  struct stat expected {};
  ASSERT_EQ(::stat((home_ + "/file.txt").c_str(), &expected), 0);

  const auto info = tree_->stat(at("/file.txt"));
  ASSERT_TRUE(info) << info.error().message();
  EXPECT_EQ(info->name, "file.txt");
  EXPECT_EQ(info->type, FileType::regular);
  EXPECT_EQ(info->size, 11u);
  EXPECT_EQ(info->mtime, expected.st_mtime);
  EXPECT_EQ(info->mode, 0640u);
  EXPECT_EQ(info->uid, expected.st_uid);
  EXPECT_EQ(info->gid, expected.st_gid);
  EXPECT_EQ(info->nlink, 1u);
  EXPECT_EQ(info->device, expected.st_dev);
  EXPECT_EQ(info->inode, expected.st_ino);
  EXPECT_TRUE(info->link_target.empty());
}

TEST_F(LocalFilesystemTest, StatOfRootAndDirectories) {
  const auto root = tree_->stat(VirtualPath());
  ASSERT_TRUE(root);
  EXPECT_EQ(root->type, FileType::directory);
  EXPECT_EQ(root->name, "");
  const auto sub = tree_->stat(at("/sub"));
  ASSERT_TRUE(sub);
  EXPECT_EQ(sub->type, FileType::directory);
  EXPECT_EQ(sub->name, "sub");
  const auto lroot = tree_->lstat(VirtualPath());
  ASSERT_TRUE(lroot);
  EXPECT_EQ(lroot->type, FileType::directory);
  EXPECT_EQ(lroot->inode, root->inode);
}

TEST_F(LocalFilesystemTest, StatErrors) {
  EXPECT_EQ(tree_->stat(at("/missing")).error(), errc(std::errc::no_such_file_or_directory));
  EXPECT_EQ(tree_->stat(at("/file.txt/x")).error(), errc(std::errc::not_a_directory));
  EXPECT_EQ(tree_->lstat(at("/missing")).error(), errc(std::errc::no_such_file_or_directory));
  EXPECT_EQ(tree_->lstat(at("/missing/x")).error(), errc(std::errc::no_such_file_or_directory));
}

TEST_F(LocalFilesystemTest, PathWithNulIsRefused) {
  // c_str() would cut "file.txt\0x" to "file.txt"; the tree must not.
  const auto path = at(std::string_view("/file.txt\0x", 11));
  EXPECT_EQ(tree_->stat(path).error(), errc(std::errc::invalid_argument));
  EXPECT_EQ(tree_->lstat(path).error(), errc(std::errc::invalid_argument));
  EXPECT_EQ(tree_->open_read(path, 0).error(), errc(std::errc::invalid_argument));
  EXPECT_EQ(tree_->remove_file(path), errc(std::errc::invalid_argument));
  EXPECT_EQ(tree_->make_directory(at(std::string_view("/d\0ir", 5))),
            errc(std::errc::invalid_argument));
  EXPECT_TRUE(stdfs::exists(home_ + "/file.txt"));
  EXPECT_FALSE(stdfs::exists(home_ + "/d"));
}

TEST_F(LocalFilesystemTest, LstatDescribesTheLinkItself) {
  symlink("file.txt", "link");
  const auto link = tree_->lstat(at("/link"));
  ASSERT_TRUE(link);
  EXPECT_EQ(link->type, FileType::symlink);
  EXPECT_EQ(link->name, "link");
  EXPECT_EQ(link->link_target, "file.txt");
  EXPECT_EQ(link->size, 8u);  // a link's size is the length of its target

  const auto followed = tree_->stat(at("/link"));
  ASSERT_TRUE(followed);
  EXPECT_EQ(followed->type, FileType::regular);
  EXPECT_EQ(followed->size, 11u);
  EXPECT_EQ(followed->name, "link");
}

// --- confinement --------------------------------------------------------------

TEST_F(LocalFilesystemTest, DotDotInAVirtualPathStaysAtTheRoot) {
  // ".." never reaches the kernel: resolve() clamps it at "/".
  const auto path = VirtualPath::resolve({}, "/../outside/secret.txt");
  EXPECT_EQ(path.str(), "/outside/secret.txt");
  EXPECT_EQ(tree_->stat(path).error(), errc(std::errc::no_such_file_or_directory));
}

TEST_F(LocalFilesystemTest, SymlinkToSlashIsRefused) {
  symlink("/", "root_link");
  EXPECT_EQ(tree_->stat(at("/root_link")).error(), errc(std::errc::permission_denied));
  EXPECT_EQ(tree_->stat(at("/root_link/etc/passwd")).error(), errc(std::errc::permission_denied));
  EXPECT_EQ(tree_->list(at("/root_link"), 1000).error(), errc(std::errc::permission_denied));
  EXPECT_EQ(tree_->open_read(at("/root_link/etc/passwd"), 0).error(),
            errc(std::errc::permission_denied));
}

TEST_F(LocalFilesystemTest, SymlinkToEtcIsRefused) {
  symlink("/etc", "etc");
  EXPECT_EQ(tree_->stat(at("/etc")).error(), errc(std::errc::permission_denied));
  EXPECT_EQ(tree_->open_read(at("/etc/passwd"), 0).error(), errc(std::errc::permission_denied));
  EXPECT_EQ(tree_->list(at("/etc"), 1000).error(), errc(std::errc::permission_denied));
}

TEST_F(LocalFilesystemTest, AbsoluteSymlinkOutIsRefusedForWrites) {
  // Writes aim at the test's own outside/ directory, so even a broken build
  // cannot create anything in the real system.
  symlink(outside_, "abs_out");
  EXPECT_EQ(tree_->open_write(at("/abs_out/created"), WriteMode::create_new, 0).error(),
            errc(std::errc::permission_denied));
  EXPECT_EQ(tree_->open_write(at("/abs_out/secret.txt"), WriteMode::truncate, 0).error(),
            errc(std::errc::permission_denied));
  EXPECT_EQ(tree_->make_directory(at("/abs_out/created-dir")), errc(std::errc::permission_denied));
  EXPECT_EQ(tree_->remove_file(at("/abs_out/secret.txt")), errc(std::errc::permission_denied));
  EXPECT_FALSE(stdfs::exists(outside_ + "/created"));
  EXPECT_FALSE(stdfs::exists(outside_ + "/created-dir"));
  EXPECT_EQ(read(outside_ + "/secret.txt"), "secret");
}

TEST_F(LocalFilesystemTest, AbsoluteSymlinkIntoTheTreeItselfIsRefused) {
  // RESOLVE_BENEATH refuses every absolute link, even one that would land inside.
  symlink(home_ + "/file.txt", "abs_link");
  EXPECT_EQ(tree_->stat(at("/abs_link")).error(), errc(std::errc::permission_denied));
}

TEST_F(LocalFilesystemTest, RelativeSymlinkOutIsRefused) {
  symlink("../outside", "escape");
  symlink("../outside/secret.txt", "escape_file");
  EXPECT_EQ(tree_->stat(at("/escape")).error(), errc(std::errc::permission_denied));
  EXPECT_EQ(tree_->stat(at("/escape/secret.txt")).error(), errc(std::errc::permission_denied));
  EXPECT_EQ(tree_->open_read(at("/escape_file"), 0).error(), errc(std::errc::permission_denied));
  EXPECT_EQ(tree_->open_read(at("/escape/secret.txt"), 0).error(),
            errc(std::errc::permission_denied));
  EXPECT_EQ(tree_->list(at("/escape"), 1000).error(), errc(std::errc::permission_denied));
}

TEST_F(LocalFilesystemTest, DotDotLinkInsideASubdirectoryIsRefusedAtTheRoot) {
  symlink("..", "sub/up");      // /sub/up -> / : fine
  symlink("../..", "sub/up2");  // /sub/up2 -> above the root
  const auto up = tree_->stat(at("/sub/up"));
  ASSERT_TRUE(up);
  EXPECT_EQ(up->type, FileType::directory);
  EXPECT_EQ(read_all(at("/sub/up/file.txt")), "hello world");
  EXPECT_EQ(tree_->stat(at("/sub/up2")).error(), errc(std::errc::permission_denied));
  EXPECT_EQ(tree_->stat(at("/sub/up2/outside/secret.txt")).error(),
            errc(std::errc::permission_denied));
  EXPECT_EQ(tree_->stat(at("/sub/up/sub/up2/outside/secret.txt")).error(),
            errc(std::errc::permission_denied));
}

TEST_F(LocalFilesystemTest, WritesThroughEscapingLinksCreateNothingOutside) {
  symlink("../outside", "escape");
  symlink("../outside/created.txt", "dangling_out");
  for (const auto mode : {WriteMode::truncate, WriteMode::append, WriteMode::create_new}) {
    EXPECT_EQ(tree_->open_write(at("/escape/created.txt"), mode, 0).error(),
              errc(std::errc::permission_denied));
  }
  EXPECT_EQ(tree_->open_write(at("/dangling_out"), WriteMode::truncate, 0).error(),
            errc(std::errc::permission_denied));
  EXPECT_EQ(tree_->open_write(at("/dangling_out"), WriteMode::append, 0).error(),
            errc(std::errc::permission_denied));
  // O_EXCL refuses the name itself: a link is there.
  EXPECT_EQ(tree_->open_write(at("/dangling_out"), WriteMode::create_new, 0).error(),
            errc(std::errc::file_exists));
  EXPECT_FALSE(stdfs::exists(outside_ + "/created.txt"));
  EXPECT_EQ(read(outside_ + "/secret.txt"), "secret");
}

TEST_F(LocalFilesystemTest, TruncatingThroughAnEscapingLinkLeavesTheTargetAlone) {
  symlink("../outside/secret.txt", "escape_file");
  EXPECT_EQ(tree_->open_write(at("/escape_file"), WriteMode::truncate, 0).error(),
            errc(std::errc::permission_denied));
  EXPECT_EQ(tree_->open_write(at("/escape_file"), WriteMode::truncate, 3).error(),
            errc(std::errc::permission_denied));
  EXPECT_EQ(read(outside_ + "/secret.txt"), "secret");
}

TEST_F(LocalFilesystemTest, NameOperationsOnEscapingLinksTouchOnlyTheLink) {
  symlink("../outside/secret.txt", "escape_file");
  symlink("../outside", "escape_dir");
  struct stat before {};
  ASSERT_EQ(::stat((outside_ + "/secret.txt").c_str(), &before), 0);

  // The link itself lives in the tree: lstat, set_mtime, rename and remove
  // act on it and never on what it points at.
  const auto link = tree_->lstat(at("/escape_file"));
  ASSERT_TRUE(link);
  EXPECT_EQ(link->type, FileType::symlink);
  EXPECT_EQ(link->link_target, "");  // an escaping link's target is not told
  EXPECT_FALSE(tree_->set_mtime(at("/escape_file"), 1'000'000));
  EXPECT_EQ(tree_->lstat(at("/escape_file"))->mtime, 1'000'000);
  EXPECT_EQ(tree_->set_mode(at("/escape_file"), 0777), errc(std::errc::permission_denied));
  EXPECT_EQ(tree_->remove_directory(at("/escape_dir")), errc(std::errc::not_a_directory));
  EXPECT_FALSE(tree_->rename(at("/escape_file"), at("/sub/moved_link")));
  EXPECT_FALSE(tree_->remove_file(at("/sub/moved_link")));
  EXPECT_FALSE(tree_->remove_file(at("/escape_dir")));

  struct stat after {};
  ASSERT_EQ(::stat((outside_ + "/secret.txt").c_str(), &after), 0);
  EXPECT_EQ(after.st_mtime, before.st_mtime);
  EXPECT_EQ(after.st_mode, before.st_mode);
  EXPECT_EQ(read(outside_ + "/secret.txt"), "secret");
  EXPECT_TRUE(stdfs::is_directory(outside_));
}

TEST_F(LocalFilesystemTest, OperationsBeneathEscapingLinksAreRefused) {
  symlink("../outside", "escape");
  EXPECT_EQ(tree_->remove_file(at("/escape/secret.txt")), errc(std::errc::permission_denied));
  EXPECT_EQ(tree_->lstat(at("/escape/secret.txt")).error(), errc(std::errc::permission_denied));
  EXPECT_EQ(tree_->rename(at("/escape/secret.txt"), at("/stolen.txt")),
            errc(std::errc::permission_denied));
  EXPECT_EQ(tree_->rename(at("/file.txt"), at("/escape/planted.txt")),
            errc(std::errc::permission_denied));
  EXPECT_EQ(tree_->set_mtime(at("/escape/secret.txt"), 1), errc(std::errc::permission_denied));
  EXPECT_EQ(tree_->set_mode(at("/escape/secret.txt"), 0777), errc(std::errc::permission_denied));
  EXPECT_EQ(tree_->remove_directory(at("/escape/x")), errc(std::errc::permission_denied));
  EXPECT_EQ(read(outside_ + "/secret.txt"), "secret");
  EXPECT_FALSE(stdfs::exists(outside_ + "/planted.txt"));
  EXPECT_FALSE(stdfs::exists(home_ + "/stolen.txt"));
  EXPECT_TRUE(stdfs::exists(home_ + "/file.txt"));
}

TEST_F(LocalFilesystemTest, MagicLinksAreRefused) {
  // A planted link to /proc/self/root is absolute, so refused anyway.
  symlink("/proc/self/root", "magic");
  EXPECT_EQ(tree_->stat(at("/magic")).error(), errc(std::errc::permission_denied));
  EXPECT_EQ(tree_->stat(at("/magic/etc/passwd")).error(), errc(std::errc::permission_denied));
}

TEST_F(LocalFilesystemTest, MagicLinksInsideATreeAreRefused) {
  // A tree over /proc/self holds real magic links ("root", "cwd", "fd/N"):
  // RESOLVE_NO_MAGICLINKS must stop them even though they sit inside the tree.
  auto tree = make_local_filesystem()->open_tree("/proc/self");
  ASSERT_TRUE(tree);
  EXPECT_EQ((*tree)->stat(at("/root")).error(), errc(std::errc::permission_denied));
  EXPECT_EQ((*tree)->stat(at("/root/etc/passwd")).error(), errc(std::errc::permission_denied));
  EXPECT_EQ((*tree)->open_read(at("/cwd/etc/passwd"), 0).error(),
            errc(std::errc::permission_denied));
  EXPECT_EQ((*tree)->stat(at("/status"))->type, FileType::regular);  // ordinary files still work
}

TEST_F(LocalFilesystemTest, SymlinkChains) {
  symlink("sub", "chain1");
  symlink("chain1/inner.txt", "chain2");
  symlink("chain2", "chain3");
  symlink("escape_step", "bad1");
  symlink("../outside/secret.txt", "escape_step");
  EXPECT_EQ(read_all(at("/chain3")), "inner");
  EXPECT_EQ(tree_->stat(at("/chain3"))->type, FileType::regular);
  EXPECT_EQ(tree_->stat(at("/bad1")).error(), errc(std::errc::permission_denied));
  EXPECT_EQ(tree_->open_read(at("/bad1"), 0).error(), errc(std::errc::permission_denied));
}

TEST_F(LocalFilesystemTest, SymlinkLoopsFail) {
  symlink("loop2", "loop1");
  symlink("loop1", "loop2");
  EXPECT_EQ(tree_->stat(at("/loop1")).error(), errc(std::errc::permission_denied));
  EXPECT_EQ(tree_->open_read(at("/loop1"), 0).error(), errc(std::errc::permission_denied));
}

TEST_F(LocalFilesystemTest, SymlinksInsideTheTreeWork) {
  symlink("sub", "sub_link");
  symlink("sub/inner.txt", "inner_link");
  symlink("../file.txt", "sub/up_file");
  EXPECT_EQ(read_all(at("/sub_link/inner.txt")), "inner");
  EXPECT_EQ(read_all(at("/inner_link")), "inner");
  EXPECT_EQ(read_all(at("/sub/up_file")), "hello world");
  EXPECT_EQ(read_all(at("/sub_link/up_file")), "hello world");
  const auto listing = tree_->list(at("/sub_link"), 100);
  ASSERT_TRUE(listing);
  EXPECT_EQ(listing->size(), 2u);
  write_all(at("/sub_link/new.txt"), WriteMode::truncate, 0, "via link");
  EXPECT_EQ(read(home_ + "/sub/new.txt"), "via link");
}

// --- list --------------------------------------------------------------------

TEST_F(LocalFilesystemTest, ListIsSortedAndDescribesEntries) {
  write(home_ + "/b.txt", "bb");
  write(home_ + "/A.txt", "a");
  ASSERT_EQ(::mkfifo((home_ + "/fifo").c_str(), 0600), 0);
  const auto listing = tree_->list(VirtualPath(), 100);
  ASSERT_TRUE(listing) << listing.error().message();
  std::vector<std::string> names;
  for (const auto& info : *listing) names.push_back(info.name);
  EXPECT_EQ(names, (std::vector<std::string>{"A.txt", "b.txt", "fifo", "file.txt", "sub"}));

  const FileInfo* file = find(*listing, "file.txt");
  ASSERT_NE(file, nullptr);
  EXPECT_EQ(file->type, FileType::regular);
  EXPECT_EQ(file->size, 11u);
  EXPECT_TRUE(file->link_target.empty());
  struct stat expected {};
  ASSERT_EQ(::stat((home_ + "/file.txt").c_str(), &expected), 0);
  EXPECT_EQ(file->inode, expected.st_ino);
  EXPECT_EQ(file->mtime, expected.st_mtime);
  EXPECT_EQ(file->mode, expected.st_mode & 07777);
  EXPECT_EQ(find(*listing, "sub")->type, FileType::directory);
  EXPECT_EQ(find(*listing, "fifo")->type, FileType::other);
  EXPECT_EQ(find(*listing, "fifo")->other_kind, 'p');
  EXPECT_EQ(find(*listing, "file.txt")->other_kind, 0);
}

TEST_F(LocalFilesystemTest, ListSortsByBytes) {
  for (const char* name : {"b", "B", "a", "\xc3\xa9", "_", "0"}) write(home_ + "/sub/" + name, "");
  const auto listing = tree_->list(at("/sub"), 100);
  ASSERT_TRUE(listing);
  std::vector<std::string> names;
  for (const auto& info : *listing) names.push_back(info.name);
  EXPECT_EQ(names, (std::vector<std::string>{"0", "B", "_", "a", "b", "inner.txt", "\xc3\xa9"}));
}

TEST_F(LocalFilesystemTest, ListSymlinks) {
  symlink("sub", "dir_link");
  symlink("file.txt", "file_link");
  symlink("missing", "dangling");
  symlink("/etc", "abs_escape");
  symlink("../outside/secret.txt", "rel_escape");
  symlink("../file.txt", "sub/parent_link");  // resolved from the root: inside

  const auto listing = tree_->list(VirtualPath(), 100);
  ASSERT_TRUE(listing);

  const FileInfo* dir_link = find(*listing, "dir_link");
  ASSERT_NE(dir_link, nullptr);
  EXPECT_EQ(dir_link->type, FileType::directory);
  EXPECT_EQ(dir_link->link_target, "sub");

  const FileInfo* file_link = find(*listing, "file_link");
  ASSERT_NE(file_link, nullptr);
  EXPECT_EQ(file_link->type, FileType::regular);
  EXPECT_EQ(file_link->size, 11u);  // the target's size
  EXPECT_EQ(file_link->link_target, "file.txt");
  EXPECT_EQ(file_link->inode, find(*listing, "file.txt")->inode);

  for (const char* name : {"dangling", "abs_escape", "rel_escape"}) {
    const FileInfo* link = find(*listing, name);
    ASSERT_NE(link, nullptr) << name;
    EXPECT_EQ(link->type, FileType::symlink) << name;
  }
  // The link's own lstat data; where an escaping link leads is not told
  // (docs/security.md: listings do not map the host).
  EXPECT_EQ(find(*listing, "dangling")->size, 7u);
  EXPECT_EQ(find(*listing, "dangling")->link_target, "missing");
  EXPECT_EQ(find(*listing, "abs_escape")->size, 4u);
  EXPECT_EQ(find(*listing, "abs_escape")->link_target, "");
  EXPECT_EQ(find(*listing, "rel_escape")->link_target, "");
  struct stat secret {};
  ASSERT_EQ(::stat((outside_ + "/secret.txt").c_str(), &secret), 0);
  EXPECT_NE(find(*listing, "rel_escape")->inode, secret.st_ino);  // nothing leaks from outside

  const auto sub = tree_->list(at("/sub"), 100);
  ASSERT_TRUE(sub);
  const FileInfo* parent_link = find(*sub, "parent_link");
  ASSERT_NE(parent_link, nullptr);
  EXPECT_EQ(parent_link->type, FileType::regular);
  EXPECT_EQ(parent_link->size, 11u);
}

TEST_F(LocalFilesystemTest, ListMaxEntries) {
  // "/" holds file.txt and sub.
  EXPECT_TRUE(tree_->list(VirtualPath(), 2));
  EXPECT_EQ(tree_->list(VirtualPath(), 1).error(), errc(std::errc::value_too_large));
  EXPECT_EQ(tree_->list(VirtualPath(), 0).error(), errc(std::errc::value_too_large));
  ASSERT_FALSE(tree_->make_directory(at("/empty")));
  const auto empty = tree_->list(at("/empty"), 0);
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->empty());
}

// Every batch of an open directory, read `max` entries at a time.
std::vector<std::string> read_names(DirectoryReader& reader, std::size_t max) {
  std::vector<std::string> names;
  for (;;) {
    auto batch = reader.next(max);
    EXPECT_TRUE(batch) << batch.error().message();
    if (!batch || batch->empty()) return names;
    EXPECT_LE(batch->size(), max);
    for (const auto& entry : *batch) names.push_back(entry.name);
  }
}

TEST_F(LocalFilesystemTest, OpenDirectoryHandsOutSortedBatchesWithMetadata) {
  for (const char* name : {"d", "b", "e", "a", "c"}) write(home_ + "/sub/" + name, name);
  ASSERT_EQ(::symlink("a", (home_ + "/sub/link").c_str()), 0);
  auto reader = tree_->open_directory(at("/sub"));
  ASSERT_TRUE(reader) << reader.error().message();
  // Removed after the names were read: left out, not an error.
  ASSERT_EQ(::unlink((home_ + "/sub/c").c_str()), 0);
  auto first = (*reader)->next(2);
  ASSERT_TRUE(first);
  ASSERT_EQ(first->size(), 2U);
  EXPECT_EQ((*first)[0].name, "a");
  EXPECT_EQ((*first)[0].type, FileType::regular);
  EXPECT_EQ((*first)[0].size, 1U);
  EXPECT_EQ((*first)[1].name, "b");
  const auto rest = read_names(**reader, 2);
  EXPECT_EQ(rest, (std::vector<std::string>{"d", "e", "inner.txt", "link"}));
  // The end stays the end.
  auto after = (*reader)->next(10);
  ASSERT_TRUE(after);
  EXPECT_TRUE(after->empty());

  // A link is described by what it leads to, as list() does.
  auto again = tree_->open_directory(at("/sub"));
  ASSERT_TRUE(again);
  auto all = (*again)->next(100);
  ASSERT_TRUE(all);
  const auto link = std::find_if(all->begin(), all->end(),
                                 [](const FileInfo& entry) { return entry.name == "link"; });
  ASSERT_NE(link, all->end());
  EXPECT_EQ(link->type, FileType::regular);
  EXPECT_EQ(link->link_target, "a");
}

TEST_F(LocalFilesystemTest, OpenDirectoryErrors) {
  EXPECT_EQ(tree_->open_directory(at("/missing")).error(),
            errc(std::errc::no_such_file_or_directory));
  EXPECT_EQ(tree_->open_directory(at("/file.txt")).error(), errc(std::errc::not_a_directory));
  EXPECT_FALSE(tree_->open_directory(at("/../outside")));
  ASSERT_EQ(::symlink(outside_.c_str(), (home_ + "/out").c_str()), 0);
  EXPECT_FALSE(tree_->open_directory(at("/out")));  // confined like every path
}

// Past limits::kSortedListingEntries the names are not all held: the rest
// comes in directory order, every name still exactly once.
TEST_F(LocalFilesystemTest, OpenDirectoryListsADirectoryTooBigToSort) {
  const std::size_t count = limits::kSortedListingEntries + 1000;
  const std::string big = home_ + "/big";
  ASSERT_EQ(::mkdir(big.c_str(), 0755), 0);
  const int dir = ::open(big.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  ASSERT_GE(dir, 0);
  for (std::size_t i = 0; i < count; ++i) {
    const int fd = ::openat(dir, std::to_string(i).c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
    ASSERT_GE(fd, 0) << i;
    ::close(fd);
  }
  ::close(dir);
  auto reader = tree_->open_directory(at("/big"));
  ASSERT_TRUE(reader) << reader.error().message();
  std::vector<std::string> names = read_names(**reader, 4096);
  ASSERT_EQ(names.size(), count);
  std::sort(names.begin(), names.end());
  EXPECT_EQ(std::adjacent_find(names.begin(), names.end()), names.end()) << "a name came twice";
  // A listing of that size was refused before; list() keeps its own bound.
  EXPECT_EQ(tree_->list(at("/big"), limits::kSortedListingEntries).error(),
            errc(std::errc::value_too_large));
}

TEST_F(LocalFilesystemTest, ListErrors) {
  EXPECT_EQ(tree_->list(at("/file.txt"), 100).error(), errc(std::errc::not_a_directory));
  EXPECT_EQ(tree_->list(at("/missing"), 100).error(), errc(std::errc::no_such_file_or_directory));
  symlink("file.txt", "file_link");
  EXPECT_EQ(tree_->list(at("/file_link"), 100).error(), errc(std::errc::not_a_directory));
}

// --- open_read ---------------------------------------------------------------

TEST_F(LocalFilesystemTest, ReadWholeFileAndFromOffset) {
  EXPECT_EQ(read_all(at("/file.txt")), "hello world");
  EXPECT_EQ(read_all(at("/file.txt"), 6), "world");
  EXPECT_EQ(read_all(at("/file.txt"), 11), "");
  EXPECT_EQ(read_all(at("/file.txt"), 1000), "");  // past the end: EOF, not an error
  EXPECT_EQ(tree_->open_read(at("/file.txt"), ~std::uint64_t{0}).error(),
            errc(std::errc::invalid_argument));
}

TEST_F(LocalFilesystemTest, NativeHandleIsPositionedAtTheOffset) {
  auto reader = tree_->open_read(at("/file.txt"), 6);
  ASSERT_TRUE(reader);
  const int fd = (*reader)->native_handle();
  ASSERT_GE(fd, 0);
  EXPECT_EQ(::lseek(fd, 0, SEEK_CUR), 6);
  EXPECT_EQ(::fcntl(fd, F_GETFL) & O_NONBLOCK, 0);  // blocking again once known regular
  EXPECT_NE(::fcntl(fd, F_GETFD) & FD_CLOEXEC, 0);
}

TEST_F(LocalFilesystemTest, ReadErrors) {
  EXPECT_EQ(tree_->open_read(VirtualPath(), 0).error(), errc(std::errc::is_a_directory));
  EXPECT_EQ(tree_->open_read(at("/sub"), 0).error(), errc(std::errc::is_a_directory));
  EXPECT_EQ(tree_->open_read(at("/missing"), 0).error(),
            errc(std::errc::no_such_file_or_directory));
  symlink("missing", "dangling");
  EXPECT_EQ(tree_->open_read(at("/dangling"), 0).error(),
            errc(std::errc::no_such_file_or_directory));
}

TEST_F(LocalFilesystemTest, FifoNeverBlocks) {
  ASSERT_EQ(::mkfifo((home_ + "/fifo").c_str(), 0666), 0);
  const Watchdog watchdog(20);
  EXPECT_EQ(tree_->open_read(at("/fifo"), 0).error(), errc(std::errc::invalid_argument));
  // No reader: a non-blocking open for writing fails at once (ENXIO).
  for (const auto mode : {WriteMode::truncate, WriteMode::append}) {
    EXPECT_TRUE(tree_->open_write(at("/fifo"), mode, 0).error());
  }
  EXPECT_EQ(tree_->open_write(at("/fifo"), WriteMode::create_new, 0).error(),
            errc(std::errc::file_exists));
  EXPECT_EQ(tree_->stat(at("/fifo"))->type, FileType::other);
}

TEST_F(LocalFilesystemTest, FifoWithAReaderIsStillRefused) {
  ASSERT_EQ(::mkfifo((home_ + "/fifo").c_str(), 0666), 0);
  const Watchdog watchdog(20);
  const int reader = ::open((home_ + "/fifo").c_str(), O_RDONLY | O_NONBLOCK);
  ASSERT_GE(reader, 0);
  EXPECT_EQ(tree_->open_write(at("/fifo"), WriteMode::truncate, 0).error(),
            errc(std::errc::invalid_argument));
  EXPECT_EQ(tree_->open_write(at("/fifo"), WriteMode::truncate, 5).error(),
            errc(std::errc::invalid_argument));
  EXPECT_EQ(tree_->open_write(at("/fifo"), WriteMode::append, 0).error(),
            errc(std::errc::invalid_argument));
  char byte = 0;
  EXPECT_EQ(::read(reader, &byte, 1), 0);  // nothing was written into it
  ::close(reader);
}

TEST_F(LocalFilesystemTest, DevicesAreRefused) {
  // Only root may mknod; a link to /dev/null is refused for escaping anyway.
  if (::mknod((home_ + "/null").c_str(), S_IFCHR | 0666, makedev(1, 3)) != 0) {
    GTEST_SKIP() << "cannot create a device node here";
  }
  EXPECT_EQ(tree_->open_read(at("/null"), 0).error(), errc(std::errc::invalid_argument));
  EXPECT_EQ(tree_->open_write(at("/null"), WriteMode::truncate, 0).error(),
            errc(std::errc::invalid_argument));
}

// --- open_write --------------------------------------------------------------

TEST_F(LocalFilesystemTest, TruncateCreatesAndReplaces) {
  write_all(at("/new.txt"), WriteMode::truncate, 0, "fresh");
  EXPECT_EQ(read(home_ + "/new.txt"), "fresh");
  write_all(at("/file.txt"), WriteMode::truncate, 0, "short");
  EXPECT_EQ(read(home_ + "/file.txt"), "short");
}

TEST_F(LocalFilesystemTest, NewFilesGet0666LessUmask) {
  const mode_t old_mask = ::umask(022);
  write_all(at("/new.txt"), WriteMode::truncate, 0, "x");
  ::umask(old_mask);
  EXPECT_EQ(tree_->stat(at("/new.txt"))->mode, 0644u);
}

TEST_F(LocalFilesystemTest, RestOffsetCutsTheFileThere) {
  write(home_ + "/resume.bin", "0123456789");
  write_all(at("/resume.bin"), WriteMode::truncate, 4, "ab");
  EXPECT_EQ(read(home_ + "/resume.bin"), "0123ab");
}

TEST_F(LocalFilesystemTest, RestOffsetAtTheEndResumes) {
  write(home_ + "/resume.bin", "01234");
  write_all(at("/resume.bin"), WriteMode::truncate, 5, "56789");
  EXPECT_EQ(read(home_ + "/resume.bin"), "0123456789");
}

TEST_F(LocalFilesystemTest, RestOffsetPastTheEndLeavesAHole) {
  write(home_ + "/resume.bin", "ab");
  write_all(at("/resume.bin"), WriteMode::truncate, 4, "cd");
  EXPECT_EQ(read(home_ + "/resume.bin"), std::string("ab\0\0cd", 6));
  write_all(at("/brand_new.bin"), WriteMode::truncate, 3, "x");
  EXPECT_EQ(read(home_ + "/brand_new.bin"), std::string("\0\0\0x", 4));
}

TEST_F(LocalFilesystemTest, AppendCreatesAndAppends) {
  write_all(at("/log.txt"), WriteMode::append, 0, "one ");
  write_all(at("/log.txt"), WriteMode::append, 0, "two");
  write_all(at("/log.txt"), WriteMode::append, 2, " three");  // offset has no say
  EXPECT_EQ(read(home_ + "/log.txt"), "one two three");
}

TEST_F(LocalFilesystemTest, CreateNewRefusesAnExistingName) {
  EXPECT_EQ(tree_->open_write(at("/file.txt"), WriteMode::create_new, 0).error(),
            errc(std::errc::file_exists));
  EXPECT_EQ(read(home_ + "/file.txt"), "hello world");
  EXPECT_EQ(tree_->open_write(at("/sub"), WriteMode::create_new, 0).error(),
            errc(std::errc::file_exists));
  symlink("missing_target", "dangling");
  EXPECT_EQ(tree_->open_write(at("/dangling"), WriteMode::create_new, 0).error(),
            errc(std::errc::file_exists));
  EXPECT_FALSE(stdfs::exists(home_ + "/missing_target"));
  write_all(at("/unique.txt"), WriteMode::create_new, 0, "u");
  EXPECT_EQ(read(home_ + "/unique.txt"), "u");
}

TEST_F(LocalFilesystemTest, WriteThroughInnerDanglingLinkCreatesItsTarget) {
  symlink("sub/target.txt", "inner_dangling");
  write_all(at("/inner_dangling"), WriteMode::truncate, 0, "t");
  EXPECT_EQ(read(home_ + "/sub/target.txt"), "t");
}

TEST_F(LocalFilesystemTest, WriteErrors) {
  EXPECT_EQ(tree_->open_write(VirtualPath(), WriteMode::truncate, 0).error(),
            errc(std::errc::is_a_directory));
  EXPECT_EQ(tree_->open_write(at("/sub"), WriteMode::truncate, 0).error(),
            errc(std::errc::is_a_directory));
  EXPECT_EQ(tree_->open_write(at("/sub"), WriteMode::append, 0).error(),
            errc(std::errc::is_a_directory));
  EXPECT_EQ(tree_->open_write(at("/missing/x"), WriteMode::truncate, 0).error(),
            errc(std::errc::no_such_file_or_directory));
  EXPECT_EQ(tree_->open_write(at("/file.txt/x"), WriteMode::truncate, 0).error(),
            errc(std::errc::not_a_directory));
}

TEST_F(LocalFilesystemTest, WriterWritesLargeDataAndCloses) {
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
  EXPECT_EQ(read(home_ + "/big.bin"), big);
  auto reader = tree_->open_read(at("/big.bin"), big.size() - 10);
  ASSERT_TRUE(reader);
  std::string tail(64, '\0');
  const auto count = (*reader)->read(tail);
  ASSERT_TRUE(count);
  EXPECT_EQ(tail.substr(0, *count), big.substr(big.size() - 10));
}

TEST_F(LocalFilesystemTest, WriterWithoutCloseStillClosesItsDescriptor) {
  int fd = -1;
  {
    auto writer = tree_->open_write(at("/x.txt"), WriteMode::truncate, 0);
    ASSERT_TRUE(writer);
    EXPECT_FALSE((*writer)->write(std::string_view("abc")));
    auto reader = tree_->open_read(at("/x.txt"), 0);
    ASSERT_TRUE(reader);
    fd = (*reader)->native_handle();
    ASSERT_GE(fd, 0);
  }
  EXPECT_EQ(::fcntl(fd, F_GETFD), -1);  // the reader closed it on destruction
  EXPECT_EQ(read(home_ + "/x.txt"), "abc");
}

// --- directories, rename, remove ---------------------------------------------

TEST_F(LocalFilesystemTest, MakeAndRemoveDirectory) {
  EXPECT_FALSE(tree_->make_directory(at("/newdir")));
  EXPECT_TRUE(stdfs::is_directory(home_ + "/newdir"));
  EXPECT_FALSE(tree_->make_directory(at("/newdir/nested")));
  EXPECT_EQ(tree_->make_directory(at("/newdir")), errc(std::errc::file_exists));
  EXPECT_EQ(tree_->make_directory(at("/file.txt")), errc(std::errc::file_exists));
  EXPECT_EQ(tree_->make_directory(VirtualPath()), errc(std::errc::file_exists));
  EXPECT_EQ(tree_->make_directory(at("/missing/x")), errc(std::errc::no_such_file_or_directory));

  EXPECT_EQ(tree_->remove_directory(at("/newdir")), errc(std::errc::directory_not_empty));
  EXPECT_FALSE(tree_->remove_directory(at("/newdir/nested")));
  EXPECT_FALSE(tree_->remove_directory(at("/newdir")));
  EXPECT_FALSE(stdfs::exists(home_ + "/newdir"));
  EXPECT_EQ(tree_->remove_directory(at("/newdir")), errc(std::errc::no_such_file_or_directory));
  EXPECT_EQ(tree_->remove_directory(at("/file.txt")), errc(std::errc::not_a_directory));
}

TEST_F(LocalFilesystemTest, NewDirectoriesGet0777LessUmask) {
  const mode_t old_mask = ::umask(027);
  EXPECT_FALSE(tree_->make_directory(at("/d")));
  ::umask(old_mask);
  EXPECT_EQ(tree_->stat(at("/d"))->mode, 0750u);
}

TEST_F(LocalFilesystemTest, RemoveDirectoryDoesNotFollowALink) {
  ASSERT_FALSE(tree_->make_directory(at("/empty")));
  symlink("empty", "empty_link");
  EXPECT_EQ(tree_->remove_directory(at("/empty_link")), errc(std::errc::not_a_directory));
  EXPECT_TRUE(stdfs::is_directory(home_ + "/empty"));
}

TEST_F(LocalFilesystemTest, RootCannotBeRemovedOrRenamed) {
  stdfs::remove_all(home_ + "/sub");
  stdfs::remove(home_ + "/file.txt");  // an empty home: rmdir would succeed
  EXPECT_EQ(tree_->remove_directory(VirtualPath()), errc(std::errc::permission_denied));
  EXPECT_EQ(tree_->remove_file(VirtualPath()), errc(std::errc::permission_denied));
  EXPECT_EQ(tree_->rename(VirtualPath(), at("/x")), errc(std::errc::permission_denied));
  ASSERT_FALSE(tree_->make_directory(at("/d")));
  EXPECT_EQ(tree_->rename(at("/d"), VirtualPath()), errc(std::errc::permission_denied));
  EXPECT_EQ(tree_->set_mode(VirtualPath(), 0), errc(std::errc::permission_denied));
  EXPECT_TRUE(stdfs::is_directory(home_ + "/d"));
  EXPECT_TRUE(stdfs::is_directory(home_));
}

TEST_F(LocalFilesystemTest, RemoveFile) {
  EXPECT_FALSE(tree_->remove_file(at("/file.txt")));
  EXPECT_FALSE(stdfs::exists(home_ + "/file.txt"));
  EXPECT_EQ(tree_->remove_file(at("/file.txt")), errc(std::errc::no_such_file_or_directory));
  EXPECT_EQ(tree_->remove_file(at("/sub")), errc(std::errc::is_a_directory));
  EXPECT_TRUE(stdfs::is_directory(home_ + "/sub"));
}

TEST_F(LocalFilesystemTest, RemoveFileRemovesALinkNotItsTarget) {
  symlink("sub/inner.txt", "link");
  symlink("sub", "dir_link");
  EXPECT_FALSE(tree_->remove_file(at("/link")));
  EXPECT_FALSE(tree_->remove_file(at("/dir_link")));
  EXPECT_FALSE(stdfs::is_symlink(home_ + "/link"));
  EXPECT_EQ(read(home_ + "/sub/inner.txt"), "inner");
  EXPECT_TRUE(stdfs::is_directory(home_ + "/sub"));
}

TEST_F(LocalFilesystemTest, RenameAcrossDirectories) {
  ASSERT_FALSE(tree_->make_directory(at("/other")));
  EXPECT_FALSE(tree_->rename(at("/sub/inner.txt"), at("/other/renamed.txt")));
  EXPECT_FALSE(stdfs::exists(home_ + "/sub/inner.txt"));
  EXPECT_EQ(read(home_ + "/other/renamed.txt"), "inner");
  EXPECT_FALSE(tree_->rename(at("/other"), at("/sub/other")));
  EXPECT_EQ(read(home_ + "/sub/other/renamed.txt"), "inner");
  // Replaces an existing file, as rename(2) does.
  EXPECT_FALSE(tree_->rename(at("/sub/other/renamed.txt"), at("/file.txt")));
  EXPECT_EQ(read(home_ + "/file.txt"), "inner");
}

TEST_F(LocalFilesystemTest, RenameErrors) {
  EXPECT_EQ(tree_->rename(at("/missing"), at("/x")), errc(std::errc::no_such_file_or_directory));
  EXPECT_EQ(tree_->rename(at("/file.txt"), at("/missing/x")),
            errc(std::errc::no_such_file_or_directory));
  EXPECT_EQ(tree_->rename(at("/sub"), at("/sub/inside")), errc(std::errc::invalid_argument));
  EXPECT_EQ(tree_->rename(at("/sub"), at("/file.txt")), errc(std::errc::not_a_directory));
  EXPECT_TRUE(stdfs::is_directory(home_ + "/sub"));
}

TEST_F(LocalFilesystemTest, RenameThroughAnInnerLinkedParent) {
  symlink("sub", "sub_link");
  EXPECT_FALSE(tree_->rename(at("/file.txt"), at("/sub_link/moved.txt")));
  EXPECT_EQ(read(home_ + "/sub/moved.txt"), "hello world");
}

// --- set_mode / set_mtime ------------------------------------------------------

TEST_F(LocalFilesystemTest, SetMode) {
  EXPECT_FALSE(tree_->set_mode(at("/file.txt"), 0600));
  EXPECT_EQ(tree_->stat(at("/file.txt"))->mode, 0600u);
  EXPECT_FALSE(tree_->set_mode(at("/sub"), 01750));  // sticky is fine
  EXPECT_EQ(tree_->stat(at("/sub"))->mode, 01750u);
  EXPECT_EQ(tree_->set_mode(at("/missing"), 0600), errc(std::errc::no_such_file_or_directory));
}

TEST_F(LocalFilesystemTest, SetModeRefusesSetuidSetgidAndStrayBits) {
  EXPECT_EQ(tree_->set_mode(at("/file.txt"), 04755), errc(std::errc::operation_not_permitted));
  EXPECT_EQ(tree_->set_mode(at("/file.txt"), 02755), errc(std::errc::operation_not_permitted));
  EXPECT_EQ(tree_->set_mode(at("/file.txt"), 010644), errc(std::errc::invalid_argument));
  EXPECT_EQ(tree_->set_mode(at("/file.txt"), 0100644), errc(std::errc::invalid_argument));
  struct stat st {};
  ASSERT_EQ(::stat((home_ + "/file.txt").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07000, 0u);
}

TEST_F(LocalFilesystemTest, SetModeFollowsInnerLinksOnly) {
  symlink("file.txt", "link");
  symlink("../outside/secret.txt", "escape");
  EXPECT_FALSE(tree_->set_mode(at("/link"), 0604));
  EXPECT_EQ(tree_->stat(at("/file.txt"))->mode, 0604u);
  struct stat before {};
  ASSERT_EQ(::stat((outside_ + "/secret.txt").c_str(), &before), 0);
  EXPECT_EQ(tree_->set_mode(at("/escape"), 0777), errc(std::errc::permission_denied));
  struct stat after {};
  ASSERT_EQ(::stat((outside_ + "/secret.txt").c_str(), &after), 0);
  EXPECT_EQ(after.st_mode, before.st_mode);
}

TEST_F(LocalFilesystemTest, SetMtime) {
  EXPECT_FALSE(tree_->set_mtime(at("/file.txt"), 1'000'000'000));
  EXPECT_EQ(tree_->stat(at("/file.txt"))->mtime, 1'000'000'000);
  EXPECT_FALSE(tree_->set_mtime(at("/sub"), 1'234'567'890));
  EXPECT_EQ(tree_->stat(at("/sub"))->mtime, 1'234'567'890);
  EXPECT_FALSE(tree_->set_mtime(VirtualPath(), 1'111'111'111));
  EXPECT_EQ(tree_->stat(VirtualPath())->mtime, 1'111'111'111);
  EXPECT_EQ(tree_->set_mtime(at("/missing"), 1), errc(std::errc::no_such_file_or_directory));
}

TEST_F(LocalFilesystemTest, SetMtimeLeavesTheAccessTime) {
  struct stat before {};
  ASSERT_EQ(::stat((home_ + "/file.txt").c_str(), &before), 0);
  EXPECT_FALSE(tree_->set_mtime(at("/file.txt"), 1'000'000'000));
  struct stat after {};
  ASSERT_EQ(::stat((home_ + "/file.txt").c_str(), &after), 0);
  EXPECT_EQ(after.st_atim.tv_sec, before.st_atim.tv_sec);
  EXPECT_EQ(after.st_atim.tv_nsec, before.st_atim.tv_nsec);
  EXPECT_EQ(after.st_mtim.tv_nsec, 0);
}

TEST_F(LocalFilesystemTest, SetMtimeOnALinkChangesTheLinkOnly) {
  symlink("file.txt", "link");
  const auto target_before = tree_->stat(at("/file.txt"));
  ASSERT_TRUE(target_before);
  EXPECT_FALSE(tree_->set_mtime(at("/link"), 1'000'000'000));
  EXPECT_EQ(tree_->lstat(at("/link"))->mtime, 1'000'000'000);
  EXPECT_EQ(tree_->stat(at("/file.txt"))->mtime, target_before->mtime);
}

}  // namespace
}  // namespace cppftpd

namespace cppftpd {
namespace {

int open_descriptors() {
  int count = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
    ++count;
  }
  return count;
}

// One descriptor per home, not per session (10,000 sessions of one account
// fit in 10,000 descriptors), and a home replaced since is opened afresh.
TEST(LocalFilesystemHomes, TreesOfOneHomeShareOneDescriptorUntilItIsReplaced) {
  std::string pattern = "/tmp/cppftpd-homes-test-XXXXXX";
  ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
  const std::string base = pattern;
  const std::string home = base + "/home";
  std::filesystem::create_directories(home);
  { std::ofstream(home + "/old.txt") << "old"; }
  LocalFilesystem filesystem;
  auto first = filesystem.open_tree(home);
  ASSERT_TRUE(first);
  const int with_one = open_descriptors();
  auto second = filesystem.open_tree(home);
  ASSERT_TRUE(second);
  EXPECT_EQ(open_descriptors(), with_one);  // shared
  EXPECT_TRUE((*second)->stat(VirtualPath::resolve(VirtualPath(), "/old.txt")));

  // The home is moved away and a new directory takes its name.
  std::filesystem::rename(home, base + "/moved");
  std::filesystem::create_directories(home);
  { std::ofstream(home + "/new.txt") << "new"; }
  auto third = filesystem.open_tree(home);
  ASSERT_TRUE(third);
  EXPECT_TRUE((*third)->stat(VirtualPath::resolve(VirtualPath(), "/new.txt")));
  EXPECT_FALSE((*third)->stat(VirtualPath::resolve(VirtualPath(), "/old.txt")));
  EXPECT_TRUE((*first)->stat(VirtualPath::resolve(VirtualPath(), "/old.txt")));  // still its own

  // Once no tree holds it, the descriptor is closed.
  first->reset();
  second->reset();
  third->reset();
  EXPECT_LT(open_descriptors(), with_one);
  std::error_code ignored;
  std::filesystem::remove_all(base, ignored);
}

}  // namespace
}  // namespace cppftpd
