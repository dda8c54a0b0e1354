// Atomic uploads: STOR writes to a hidden name beside its target and renames
// it over the target once the whole file arrived, so nobody ever reads a half
// upload and a broken one leaves the previous file as it was.

#include <cppftpd/filesystem.hpp>

#include <fmt/format.h>

#include <random>

namespace cppftpd {

namespace {

// Attempts at a free temporary name (64 random bits each: a clash means
// someone creates these names on purpose).
constexpr int kTemporaryNameAttempts = 4;

class StagedWriter final : public FileWriter {
 public:
  StagedWriter(std::shared_ptr<FileTree> tree, std::unique_ptr<FileWriter> inner,
               VirtualPath temporary, VirtualPath target)
      : tree_(std::move(tree)),
        inner_(std::move(inner)),
        temporary_(std::move(temporary)),
        target_(std::move(target)) {}

  ~StagedWriter() override {
    if (!closed_) static_cast<void>(inner_->close());
    if (!published_) static_cast<void>(tree_->remove_file(temporary_));
  }

  Status write(std::span<const char> data) override { return inner_->write(data); }
  // The staged file is a plain local file: uploads into it keep splice(2).
  int native_handle() const noexcept override { return inner_->native_handle(); }

  Status close() override {
    if (closed_) return close_status_;
    closed_ = true;
    close_status_ = inner_->close();
    return close_status_;
  }

  Status commit() override {
    if (const Status closing = close()) return closing;
    if (published_) return {};
    if (const Status renamed = tree_->rename(temporary_, target_)) return renamed;
    published_ = true;
    return {};
  }

 private:
  std::shared_ptr<FileTree> tree_;
  std::unique_ptr<FileWriter> inner_;
  VirtualPath temporary_;
  VirtualPath target_;
  bool closed_ = false;
  bool published_ = false;
  Status close_status_;
};

class AtomicUploadTree final : public FileTree {
 public:
  explicit AtomicUploadTree(std::shared_ptr<FileTree> inner) : inner_(std::move(inner)) {}

  Result<std::unique_ptr<FileWriter>> open_write(const VirtualPath& path, WriteMode mode,
                                                 std::uint64_t offset) override {
    // APPE, STOU and a resumed STOR (REST) add to what is there: in place.
    if (mode != WriteMode::truncate || offset != 0 || path.is_root()) {
      return inner_->open_write(path, mode, offset);
    }
    // The target must not be a directory (checked now, not after the upload).
    if (auto info = inner_->stat(path); info && info->type == FileType::directory) {
      return std::errc::is_a_directory;
    }
    thread_local std::mt19937_64 random{std::random_device{}()};
    std::error_code last = std::make_error_code(std::errc::file_exists);
    for (int attempt = 0; attempt < kTemporaryNameAttempts; ++attempt) {
      const VirtualPath temporary =
          path.parent().child(fmt::format(".cppftpd-upload-{:016x}.part", random()));
      auto opened = inner_->open_write(temporary, WriteMode::create_new, 0);
      if (opened) {
        return std::unique_ptr<FileWriter>(
            std::make_unique<StagedWriter>(inner_, std::move(opened).value(), temporary, path));
      }
      last = opened.error();
      if (last != std::errc::file_exists) break;
    }
    return last;
  }

  Result<FileInfo> stat(const VirtualPath& path) override { return inner_->stat(path); }
  Result<FileInfo> lstat(const VirtualPath& path) override { return inner_->lstat(path); }
  Status enter_directory(const VirtualPath& path) override { return inner_->enter_directory(path); }
  Result<std::vector<FileInfo>> list(const VirtualPath& path, std::size_t max_entries) override {
    return inner_->list(path, max_entries);
  }
  Result<std::unique_ptr<DirectoryReader>> open_directory(const VirtualPath& path) override {
    return inner_->open_directory(path);
  }
  Result<std::unique_ptr<FileReader>> open_read(const VirtualPath& path,
                                                std::uint64_t offset) override {
    return inner_->open_read(path, offset);
  }
  Status make_directory(const VirtualPath& path) override { return inner_->make_directory(path); }
  Status remove_directory(const VirtualPath& path) override {
    return inner_->remove_directory(path);
  }
  Status remove_file(const VirtualPath& path) override { return inner_->remove_file(path); }
  Status rename(const VirtualPath& from, const VirtualPath& to) override {
    return inner_->rename(from, to);
  }
  Status set_mode(const VirtualPath& path, std::uint32_t mode) override {
    return inner_->set_mode(path, mode);
  }
  Status set_mtime(const VirtualPath& path, std::time_t mtime) override {
    return inner_->set_mtime(path, mtime);
  }

 private:
  std::shared_ptr<FileTree> inner_;
};

class AtomicUploadFilesystem final : public Filesystem {
 public:
  explicit AtomicUploadFilesystem(std::unique_ptr<Filesystem> inner) : inner_(std::move(inner)) {}

  Result<std::unique_ptr<FileTree>> open_tree(const std::string& home) override {
    auto tree = inner_->open_tree(home);
    if (!tree) return tree.error();
    return std::unique_ptr<FileTree>(
        std::make_unique<AtomicUploadTree>(std::shared_ptr<FileTree>(std::move(tree).value())));
  }

 private:
  std::unique_ptr<Filesystem> inner_;
};

}  // namespace

std::unique_ptr<Filesystem> make_atomic_upload_filesystem(std::unique_ptr<Filesystem> inner) {
  return std::make_unique<AtomicUploadFilesystem>(std::move(inner));
}

}  // namespace cppftpd
