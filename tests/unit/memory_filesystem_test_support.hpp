#pragma once
// Helpers and the fixture shared by the MemoryFilesystem tests. In a named
// namespace: GoogleTest requires one fixture type per test suite across all
// translation units.

#include <cppftpd/cppftpd.hpp>  // the umbrella header must bring MemoryFilesystem

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace cppftpd::memory_filesystem_test {

inline VirtualPath at(std::string_view path) { return VirtualPath::resolve({}, path); }

inline std::error_code errc(std::errc value) { return std::make_error_code(value); }

inline std::unique_ptr<FileTree> open(MemoryFilesystem& files, const std::string& home) {
  auto tree = files.open_tree(home);
  EXPECT_TRUE(tree) << home << ": " << tree.error().message();
  return tree ? std::move(tree).value() : nullptr;
}

inline std::string read_all(FileTree& tree, const VirtualPath& path, std::uint64_t offset = 0) {
  auto reader = tree.open_read(path, offset);
  EXPECT_TRUE(reader) << path.str() << ": " << reader.error().message();
  if (!reader) return {};
  EXPECT_EQ((*reader)->native_handle(), -1);  // no kernel file: no sendfile
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

inline void write_all(FileTree& tree, const VirtualPath& path, WriteMode mode, std::uint64_t offset,
                      std::string_view data) {
  auto writer = tree.open_write(path, mode, offset);
  ASSERT_TRUE(writer) << path.str() << ": " << writer.error().message();
  EXPECT_FALSE((*writer)->write(data));
  EXPECT_FALSE((*writer)->close());
}

inline std::vector<std::string> names(const std::vector<FileInfo>& entries) {
  std::vector<std::string> result;
  for (const auto& info : entries) result.push_back(info.name);
  return result;
}

// Layout:
//   /file.txt          "hello world"
//   /sub/inner.txt     "inner"
//   /home/alice/secret.txt
//   /home/bob/notes.txt
class MemoryFilesystemTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(files_.add_file("/file.txt", "hello world", 1'000'000'000));
    ASSERT_FALSE(files_.add_file("/sub/inner.txt", "inner"));
    ASSERT_FALSE(files_.add_file("/home/alice/secret.txt", "alice's"));
    ASSERT_FALSE(files_.add_file("/home/bob/notes.txt", "bob's"));
    tree_ = open(files_, "/");
    ASSERT_TRUE(tree_);
  }

  std::string content(std::string_view path) const {
    auto result = files_.read_file(path);
    EXPECT_TRUE(result) << path << ": " << result.error().message();
    return result ? *result : std::string();
  }

  MemoryFilesystem files_;
  std::unique_ptr<FileTree> tree_;
};

}  // namespace cppftpd::memory_filesystem_test
