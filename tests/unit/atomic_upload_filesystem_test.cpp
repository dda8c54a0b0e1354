#include <cppftpd/filesystem.hpp>
#include <cppftpd/memory_filesystem.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <string_view>

namespace cppftpd {
namespace {

VirtualPath path(std::string_view p) { return VirtualPath::resolve({}, p); }

std::span<const char> bytes(std::string_view s) { return {s.data(), s.size()}; }

class AtomicUploadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(memory_.add_file("/dir/old.txt", "old"));
    auto tree = atomic_->open_tree("/");
    ASSERT_TRUE(tree);
    tree_ = std::move(tree).value();
  }

  std::vector<std::string> names(std::string_view dir) {
    std::vector<std::string> result;
    auto entries = tree_->list(path(dir), 100);
    EXPECT_TRUE(entries);
    for (const auto& e : *entries) result.push_back(e.name);
    std::sort(result.begin(), result.end());
    return result;
  }

  MemoryFilesystem memory_;
  std::unique_ptr<Filesystem> atomic_ =
      make_atomic_upload_filesystem(std::make_unique<MemoryFilesystem>(memory_));
  std::unique_ptr<FileTree> tree_;
};

TEST_F(AtomicUploadTest, TargetChangesOnlyOnCommit) {
  auto writer = tree_->open_write(path("/dir/old.txt"), WriteMode::truncate, 0);
  ASSERT_TRUE(writer);
  ASSERT_FALSE((*writer)->write(bytes("new content")));
  ASSERT_FALSE((*writer)->close());
  EXPECT_EQ(memory_.read_file("/dir/old.txt").value(), "old");  // closed, not committed
  const auto during = names("/dir");
  ASSERT_EQ(during.size(), 2U);
  EXPECT_EQ(during[0].rfind(".cppftpd-upload-", 0), 0U) << during[0];
  EXPECT_FALSE((*writer)->commit());
  EXPECT_EQ(memory_.read_file("/dir/old.txt").value(), "new content");
  EXPECT_EQ(names("/dir"), std::vector<std::string>{"old.txt"});
  writer->reset();
  EXPECT_EQ(names("/dir"), std::vector<std::string>{"old.txt"});
}

TEST_F(AtomicUploadTest, NewFileAppearsOnlyOnCommit) {
  auto writer = tree_->open_write(path("/dir/new.txt"), WriteMode::truncate, 0);
  ASSERT_TRUE(writer);
  ASSERT_FALSE((*writer)->write(bytes("n")));
  EXPECT_FALSE(tree_->stat(path("/dir/new.txt")));
  EXPECT_FALSE((*writer)->commit());  // closes first
  EXPECT_EQ(memory_.read_file("/dir/new.txt").value(), "n");
}

TEST_F(AtomicUploadTest, AbandonedUploadLeavesTheOldFileAndNoTemporary) {
  {
    auto writer = tree_->open_write(path("/dir/old.txt"), WriteMode::truncate, 0);
    ASSERT_TRUE(writer);
    ASSERT_FALSE((*writer)->write(bytes("half")));
    ASSERT_FALSE((*writer)->close());
  }  // no commit: the transfer broke
  EXPECT_EQ(memory_.read_file("/dir/old.txt").value(), "old");
  EXPECT_EQ(names("/dir"), std::vector<std::string>{"old.txt"});
}

TEST_F(AtomicUploadTest, AppendAndResumeWriteInPlace) {
  auto append = tree_->open_write(path("/dir/old.txt"), WriteMode::append, 0);
  ASSERT_TRUE(append);
  ASSERT_FALSE((*append)->write(bytes("+")));
  ASSERT_FALSE((*append)->close());
  EXPECT_EQ(memory_.read_file("/dir/old.txt").value(), "old+");
  auto resume = tree_->open_write(path("/dir/old.txt"), WriteMode::truncate, 2);
  ASSERT_TRUE(resume);
  ASSERT_FALSE((*resume)->write(bytes("X")));
  ASSERT_FALSE((*resume)->close());
  EXPECT_EQ(memory_.read_file("/dir/old.txt").value(), "olX");
  EXPECT_EQ(names("/dir"), std::vector<std::string>{"old.txt"});
}

TEST_F(AtomicUploadTest, DirectoryTargetIsRefusedUpFront) {
  auto writer = tree_->open_write(path("/dir"), WriteMode::truncate, 0);
  ASSERT_FALSE(writer);
  EXPECT_EQ(writer.error(), std::errc::is_a_directory);
  EXPECT_EQ(names("/dir"), std::vector<std::string>{"old.txt"});
}

TEST_F(AtomicUploadTest, MissingDirectoryIsAnError) {
  auto writer = tree_->open_write(path("/none/x"), WriteMode::truncate, 0);
  ASSERT_FALSE(writer);
  EXPECT_EQ(writer.error(), std::errc::no_such_file_or_directory);
}

}  // namespace
}  // namespace cppftpd
