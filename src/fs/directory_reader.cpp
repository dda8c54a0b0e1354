// FileTree::open_directory()'s default: the whole list(), handed out in
// batches. Trees that can read a directory as it is asked for override it.

#include <cppftpd/filesystem.hpp>

#include <algorithm>
#include <iterator>
#include <utility>

namespace cppftpd {

namespace {

class BufferedDirectoryReader final : public DirectoryReader {
 public:
  explicit BufferedDirectoryReader(std::vector<FileInfo> entries) : entries_(std::move(entries)) {}

  Result<std::vector<FileInfo>> next(std::size_t max) override {
    const std::size_t count = std::min(max, entries_.size() - position_);
    const auto first = entries_.begin() + static_cast<std::ptrdiff_t>(position_);
    std::vector<FileInfo> batch(
        std::make_move_iterator(first),
        std::make_move_iterator(first + static_cast<std::ptrdiff_t>(count)));
    position_ += count;
    return batch;
  }

 private:
  std::vector<FileInfo> entries_;
  std::size_t position_ = 0;
};

}  // namespace

Status FileTree::enter_directory(const VirtualPath& path) {
  auto info = stat(path);
  if (!info) return info.error();
  if (info->type != FileType::directory) return std::make_error_code(std::errc::not_a_directory);
  return {};
}

Result<std::unique_ptr<DirectoryReader>> FileTree::open_directory(const VirtualPath& path) {
  auto entries = list(path, kDefaultListingLimit);
  if (!entries) return entries.error();
  return std::unique_ptr<DirectoryReader>(
      std::make_unique<BufferedDirectoryReader>(std::move(entries).value()));
}

}  // namespace cppftpd
