// Per-thread fs credentials (sys/thread_credentials.hpp) and the tree that
// runs every operation as one user (fs/credential_tree.hpp). Most checks need
// root, as the feature does; they are skipped without it.

#include "sys/thread_credentials.hpp"
#include "fs/credential_tree.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <latch>
#include <string>
#include <thread>

namespace cppftpd {
namespace {

namespace stdfs = std::filesystem;

constexpr uid_t kNobody = 65534;
constexpr gid_t kNogroup = 65534;
constexpr gid_t kSpareGroup = 4242;  // need not exist: ids are numbers to the kernel

VirtualPath at(std::string_view path) { return VirtualPath::resolve({}, path); }

class ThreadCredentialsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root (CAP_SETUID, CAP_SETGID)";
    char pattern[] = "/tmp/cppftpd-creds-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    dir_ = pattern;
    ASSERT_EQ(::chmod(dir_.c_str(), 0755), 0);
    write(dir_ + "/root-only", 0600);
    write(dir_ + "/group-only", 0060);
    ASSERT_EQ(::chown((dir_ + "/group-only").c_str(), 0, kSpareGroup), 0);
    stdfs::create_directory(dir_ + "/open");
    ASSERT_EQ(::chmod((dir_ + "/open").c_str(), 0777), 0);
    stdfs::create_directory(dir_ + "/closed");
    ASSERT_EQ(::chmod((dir_ + "/closed").c_str(), 0700), 0);
  }
  void TearDown() override {
    if (!dir_.empty()) stdfs::remove_all(dir_);
  }
  static void write(const std::string& path, mode_t mode) {
    std::ofstream(path) << "data";
    ASSERT_EQ(::chmod(path.c_str(), mode), 0);
  }
  // errno of open(O_RDONLY), or 0 if it opened.
  static int open_error(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return errno;
    ::close(fd);
    return 0;
  }
  static sys::FsIdentity nobody(std::vector<gid_t> groups = {}) {
    return {kNobody, kNogroup, std::move(groups)};
  }

  std::string dir_;
};

TEST_F(ThreadCredentialsTest, TheKernelChecksAsTheUserAndRestoresAfterwards) {
  ASSERT_EQ(open_error(dir_ + "/root-only"), 0);
  {
    const sys::ScopedFsIdentity as(nobody());
    ASSERT_TRUE(as.ok()) << as.status().message();
    EXPECT_EQ(sys::current_fsuid(), kNobody);
    EXPECT_EQ(sys::current_fsgid(), kNogroup);
    // CAP_DAC_OVERRIDE went with the fs uid: root's bypass is gone.
    EXPECT_EQ(open_error(dir_ + "/root-only"), EACCES);
    EXPECT_EQ(open_error(dir_ + "/closed/."), EACCES);
  }
  EXPECT_EQ(sys::current_fsuid(), 0U);
  EXPECT_EQ(sys::current_fsgid(), 0U);
  EXPECT_EQ(open_error(dir_ + "/root-only"), 0);
}

TEST_F(ThreadCredentialsTest, SupplementaryGroupsApply) {
  {
    const sys::ScopedFsIdentity as(nobody());
    ASSERT_TRUE(as.ok());
    EXPECT_EQ(open_error(dir_ + "/group-only"), EACCES);
  }
  {
    const sys::ScopedFsIdentity as(nobody({kSpareGroup}));
    ASSERT_TRUE(as.ok());
    EXPECT_EQ(open_error(dir_ + "/group-only"), 0);
  }
}

TEST_F(ThreadCredentialsTest, NewFilesBelongToTheUser) {
  {
    const sys::ScopedFsIdentity as(nobody());
    ASSERT_TRUE(as.ok());
    write(dir_ + "/open/made", 0644);
  }
  struct stat st {};
  ASSERT_EQ(::stat((dir_ + "/open/made").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, kNobody);
  EXPECT_EQ(st.st_gid, kNogroup);
}

TEST_F(ThreadCredentialsTest, OnlyTheCallingThreadSwitches) {
  // While one thread is nobody, another of the same process is still root,
  // and the other way round: glibc's process-wide setgroups/setuid would
  // fail this.
  std::latch switched(1);
  std::latch checked(1);
  std::atomic<int> other_thread_error{-1};
  std::thread user([&] {
    const sys::ScopedFsIdentity as(nobody({kSpareGroup}));
    other_thread_error = as.ok() ? open_error(dir_ + "/root-only") : -2;
    switched.count_down();
    checked.wait();
  });
  switched.wait();
  EXPECT_EQ(other_thread_error.load(), EACCES);
  EXPECT_EQ(sys::current_fsuid(), 0U);
  EXPECT_EQ(open_error(dir_ + "/root-only"), 0);
  gid_t groups[64];
  const int count = ::getgroups(64, groups);
  ASSERT_GE(count, 0);
  EXPECT_EQ(std::count(groups, groups + count, kSpareGroup), 0);
  checked.count_down();
  user.join();
}

TEST_F(ThreadCredentialsTest, WithoutThePrivilegeNothingSwitches) {
  // A child that gave up root cannot become anyone else: the switch reports
  // it, and the thread keeps its own ids.
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    if (::setgid(1000) != 0 || ::setuid(1000) != 0) ::_exit(10);
    const sys::ScopedFsIdentity as(nobody());
    if (as.ok()) ::_exit(11);
    if (as.status() != std::errc::operation_not_permitted) ::_exit(12);
    ::_exit(sys::current_fsuid() == 1000 ? 0 : 13);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST_F(ThreadCredentialsTest, TreeOperationsRunAsTheUser) {
  auto filesystem = make_local_filesystem();
  auto opened = open_tree_as(*filesystem, dir_, nobody());
  ASSERT_TRUE(opened) << opened.error().message();
  FileTree& tree = **opened;
  EXPECT_TRUE(tree.stat(at("/root-only")));  // a stat needs only the directory
  EXPECT_EQ(tree.open_read(at("/root-only"), 0).error(), std::errc::permission_denied);
  EXPECT_EQ(tree.list(at("/closed"), 100).error(), std::errc::permission_denied);
  // CWD: a directory nobody may not search is not entered; a file is none.
  EXPECT_TRUE(tree.stat(at("/closed")));
  EXPECT_EQ(tree.enter_directory(at("/closed")), std::errc::permission_denied);
  EXPECT_FALSE(tree.enter_directory(at("/open")));
  EXPECT_FALSE(tree.enter_directory(at("/")));
  EXPECT_EQ(tree.enter_directory(at("/root-only")), std::errc::not_a_directory);
  EXPECT_EQ(tree.enter_directory(at("/missing")), std::errc::no_such_file_or_directory);
  EXPECT_EQ(tree.make_directory(at("/not-mine")), std::errc::permission_denied);
  EXPECT_EQ(tree.remove_file(at("/root-only")), std::errc::permission_denied);
  EXPECT_FALSE(tree.make_directory(at("/open/mine")));
  auto writer = tree.open_write(at("/open/file"), WriteMode::truncate, 0);
  ASSERT_TRUE(writer);
  EXPECT_FALSE((*writer)->write(std::span<const char>("abc", 3)));
  EXPECT_FALSE((*writer)->close());
  EXPECT_FALSE((*writer)->commit());
  struct stat st {};
  ASSERT_EQ(::stat((dir_ + "/open/mine").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, kNobody);
  ASSERT_EQ(::stat((dir_ + "/open/file").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, kNobody);
  // Between operations the thread is itself again.
  EXPECT_EQ(sys::current_fsuid(), 0U);
}

TEST_F(ThreadCredentialsTest, AtomicUploadsPublishAsTheUser) {
  auto filesystem = make_atomic_upload_filesystem(make_local_filesystem());
  auto opened = open_tree_as(*filesystem, dir_, nobody());
  ASSERT_TRUE(opened);
  {
    auto writer = (*opened)->open_write(at("/open/staged"), WriteMode::truncate, 0);
    ASSERT_TRUE(writer) << writer.error().message();
    EXPECT_FALSE((*writer)->write(std::span<const char>("abc", 3)));
    EXPECT_FALSE((*writer)->close());
    EXPECT_FALSE((*writer)->commit());
  }
  struct stat st {};
  ASSERT_EQ(::stat((dir_ + "/open/staged").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, kNobody);
  // An abandoned upload removes its temporary, as the user.
  {
    auto writer = (*opened)->open_write(at("/open/abandoned"), WriteMode::truncate, 0);
    ASSERT_TRUE(writer);
  }
  std::size_t entries = 0;
  for ([[maybe_unused]] const auto& entry : stdfs::directory_iterator(dir_ + "/open")) ++entries;
  EXPECT_EQ(entries, 1U);
  // A home the user cannot reach does not open.
  auto closed = open_tree_as(*filesystem, dir_ + "/closed", nobody());
  EXPECT_EQ(closed.error(), std::errc::permission_denied);
}

}  // namespace
}  // namespace cppftpd
