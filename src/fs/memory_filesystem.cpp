#include <cppftpd/memory_filesystem.hpp>

#include "fs/memory_store.hpp"

#include <algorithm>
#include <cstring>
#include <limits>
#include <utility>

namespace cppftpd {

namespace {

using detail::MemoryContent;
using detail::MemoryNodePtr;
using detail::MemoryStore;

// Reads a snapshot: the content as it was at open_read(). Commits install new
// strings and never touch this one, so no lock is needed.
class MemoryFileReader final : public FileReader {
 public:
  MemoryFileReader(MemoryContent content, std::uint64_t offset) noexcept
      : content_(std::move(content)),
        // Past the end is allowed: the reader then sees end of file at once.
        position_(static_cast<std::size_t>(
            std::min<std::uint64_t>(offset, static_cast<std::uint64_t>(content_->size())))) {}

  Result<std::size_t> read(std::span<char> buffer) override {
    const std::size_t count = std::min(buffer.size(), content_->size() - position_);
    if (count > 0) std::memcpy(buffer.data(), content_->data() + position_, count);
    position_ += count;
    return count;
  }

 private:
  MemoryContent content_;
  std::size_t position_;
};

// Collects the data, then commits it to the file in one step (see
// MemoryFilesystem). Destruction without close() commits too, as a disk file
// keeps what was written before its descriptor went away.
class MemoryFileWriter final : public FileWriter {
 public:
  MemoryFileWriter(std::shared_ptr<MemoryStore> store, MemoryNodePtr file, WriteMode mode,
                   std::uint64_t offset, std::uint64_t reserved) noexcept
      : store_(std::move(store)),
        file_(std::move(file)),
        mode_(mode),
        offset_(offset),
        reserved_(reserved) {}

  ~MemoryFileWriter() override {
    // Nobody is left to hear of a failure; only running out of memory while
    // building the content can throw, and a destructor must not.
    try {
      static_cast<void>(close());
    } catch (...) {  // NOLINT(bugprone-empty-catch)
    }
  }

  MemoryFileWriter(const MemoryFileWriter&) = delete;
  MemoryFileWriter& operator=(const MemoryFileWriter&) = delete;

  Status write(std::span<const char> data) override {
    if (closed_) return std::make_error_code(std::errc::bad_file_descriptor);
    if (data.empty()) return {};
    // Claim the room first: the buffer can never outgrow the capacity.
    if (const auto error = store_->reserve(data.size())) return error;
    reserved_ += data.size();
    buffer_.append(data.data(), data.size());
    return {};
  }

  Status close() override {
    if (closed_) return {};
    closed_ = true;
    const std::uint64_t reserved = std::exchange(reserved_, 0);
    return store_->commit(file_, mode_, offset_, std::exchange(buffer_, {}), reserved);
  }

 private:
  std::shared_ptr<MemoryStore> store_;
  MemoryNodePtr file_;
  WriteMode mode_;
  std::uint64_t offset_;
  std::uint64_t reserved_;  // what store_ holds for us, given back by commit()
  std::string buffer_;
  bool closed_ = false;
};

// One user's view: every path is looked up from the home node, downwards only,
// so nothing outside the home can be named. Holding the node (not its path)
// keeps the tree on its home if the home is renamed, as a directory fd does.
class MemoryFileTree final : public FileTree {
 public:
  MemoryFileTree(std::shared_ptr<MemoryStore> store, MemoryNodePtr home) noexcept
      : store_(std::move(store)), home_(std::move(home)) {}

  Result<FileInfo> stat(const VirtualPath& path) override { return store_->stat(home_, path); }

  // Without symlinks, an entry's own metadata is what stat() reports.
  Result<FileInfo> lstat(const VirtualPath& path) override { return store_->stat(home_, path); }

  Result<std::vector<FileInfo>> list(const VirtualPath& path, std::size_t max_entries) override {
    return store_->list(home_, path, max_entries);
  }

  Result<std::unique_ptr<FileReader>> open_read(const VirtualPath& path,
                                                std::uint64_t offset) override {
    // Offsets the local disk refuses (beyond off_t) are refused here too.
    if (offset > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      return std::errc::invalid_argument;
    }
    auto content = store_->open_read(home_, path);
    if (!content) return content.error();
    return std::unique_ptr<FileReader>(
        std::make_unique<MemoryFileReader>(std::move(content).value(), offset));
  }

  Result<std::unique_ptr<FileWriter>> open_write(const VirtualPath& path, WriteMode mode,
                                                 std::uint64_t offset) override {
    std::uint64_t reserved = 0;
    auto file = store_->open_write(home_, path, mode, offset, reserved);
    if (!file) return file.error();
    return std::unique_ptr<FileWriter>(std::make_unique<MemoryFileWriter>(
        store_, std::move(file).value(), mode, offset, reserved));
  }

  Status make_directory(const VirtualPath& path) override {
    return store_->make_directory(home_, path);
  }
  Status remove_directory(const VirtualPath& path) override {
    return store_->remove_directory(home_, path);
  }
  Status remove_file(const VirtualPath& path) override { return store_->remove_file(home_, path); }
  Status rename(const VirtualPath& from, const VirtualPath& to) override {
    return store_->rename(home_, from, to);
  }
  Status set_mode(const VirtualPath& path, std::uint32_t mode) override {
    return store_->set_mode(home_, path, mode);
  }
  Status set_mtime(const VirtualPath& path, std::time_t mtime) override {
    return store_->set_mtime(home_, path, mtime);
  }

 private:
  std::shared_ptr<MemoryStore> store_;
  MemoryNodePtr home_;
};

}  // namespace

MemoryFilesystem::MemoryFilesystem() : store_(std::make_shared<MemoryStore>()) {}

Status MemoryFilesystem::add_directory(std::string_view path) {
  return store_->add_directory(path);
}

Status MemoryFilesystem::add_file(std::string_view path, std::string content, std::time_t mtime) {
  return store_->add_file(path, std::move(content), mtime);
}

Result<std::string> MemoryFilesystem::read_file(std::string_view path) const {
  return store_->read_file(path);
}

void MemoryFilesystem::set_read_only(bool read_only) { store_->set_read_only(read_only); }

void MemoryFilesystem::set_capacity(std::uint64_t bytes) { store_->set_capacity(bytes); }

Result<std::unique_ptr<FileTree>> MemoryFilesystem::open_tree(const std::string& home) {
  auto directory = store_->find_directory(home);
  if (!directory) return directory.error();
  return std::unique_ptr<FileTree>(
      std::make_unique<MemoryFileTree>(store_, std::move(directory).value()));
}

}  // namespace cppftpd
