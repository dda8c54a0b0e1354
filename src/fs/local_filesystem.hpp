#pragma once
// The local disk as a Filesystem, every tree confined by the kernel to its
// home directory (DESIGN.md principle 7).

#include "sys/unique_fd.hpp"

#include <cppftpd/filesystem.hpp>

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace cppftpd {

/// Opens users' home directories on the local disk as LocalFileTrees.
class LocalFilesystem final : public Filesystem {
 public:
  /// Opens `home` (which must be an existing directory) as a tree whose "/" it is.
  /// Trees of one home share one descriptor of it while any is open (one
  /// descriptor per home, not per session), as long as `home` still names
  /// that same directory.
  Result<std::unique_ptr<FileTree>> open_tree(const std::string& home) override;

 private:
  std::mutex mutex_;
  std::unordered_map<std::string, std::weak_ptr<const sys::UniqueFd>> homes_;
};

/// One user's tree on the local disk. Every path is resolved by openat2()
/// beneath the root directory fd with RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS:
/// no "..", absolute symlink or relative symlink can reach outside, and there
/// is no window between a check and the use of the path. Symlinks inside the
/// tree are followed where they stay inside. Operations on an entry's own name
/// (mkdir, rmdir, unlink, rename, lstat, set_mtime) act on the final component
/// through its confined parent directory and never follow a final symlink.
/// The root itself can be neither removed, renamed nor chmod'ed.
class LocalFileTree final : public FileTree {
 public:
  /// Takes the root: a directory fd (O_PATH is enough).
  explicit LocalFileTree(sys::UniqueFd root);
  /// Shares the root with other trees.
  explicit LocalFileTree(std::shared_ptr<const sys::UniqueFd> root) noexcept;

  Result<FileInfo> stat(const VirtualPath& path) override;
  Result<FileInfo> lstat(const VirtualPath& path) override;
  Status enter_directory(const VirtualPath& path) override;
  Result<std::vector<FileInfo>> list(const VirtualPath& path, std::size_t max_entries) override;
  /// Reads the names first and hands them out sorted, as list() does, for
  /// up to limits::kSortedListingEntries names; a bigger directory is handed
  /// out in directory order as it is read. Metadata is read per batch.
  Result<std::unique_ptr<DirectoryReader>> open_directory(const VirtualPath& path) override;
  /// Regular files only: a directory fails with is_a_directory, anything else
  /// (FIFO, device, socket) with invalid_argument, and opening never blocks.
  Result<std::unique_ptr<FileReader>> open_read(const VirtualPath& path,
                                                std::uint64_t offset) override;
  /// Regular files only (as open_read). WriteMode::truncate with offset > 0
  /// (REST + STOR) cuts the file at `offset` and writes from there, as vsftpd
  /// and pyftpdlib do; append and create_new ignore `offset`.
  Result<std::unique_ptr<FileWriter>> open_write(const VirtualPath& path, WriteMode mode,
                                                 std::uint64_t offset) override;
  Status make_directory(const VirtualPath& path) override;
  Status remove_directory(const VirtualPath& path) override;
  Status remove_file(const VirtualPath& path) override;
  Status rename(const VirtualPath& from, const VirtualPath& to) override;
  /// Follows symlinks inside the tree. Accepts the 0777 bits and the sticky
  /// bit; setuid/setgid (06000) fail with operation_not_permitted, other bits
  /// with invalid_argument.
  Status set_mode(const VirtualPath& path, std::uint32_t mode) override;
  /// Sets the modification time of the entry itself (a final symlink is not
  /// followed); the access time is left alone.
  Status set_mtime(const VirtualPath& path, std::time_t mtime) override;

 private:
  // The confined parent directory of a non-root path, and the final name.
  struct ParentAndName {
    sys::UniqueFd parent;
    std::string name;
  };
  Result<ParentAndName> open_parent(const VirtualPath& path) const;
  Result<sys::UniqueFd> open_path(const VirtualPath& path, int flags, unsigned mode = 0) const;
  // The listing entry `name` of directory `directory` (open as `dir_fd`):
  // its lstat, or for a symlink what it leads to where that stays inside;
  // std::nullopt when the entry was removed since it was read.
  Result<std::optional<FileInfo>> describe_entry(int dir_fd, const VirtualPath& directory,
                                                 const std::string& name) const;
  friend class LocalDirectoryReader;

  std::shared_ptr<const sys::UniqueFd> root_;
};

}  // namespace cppftpd
