#pragma once
// The tree behind MemoryFilesystem: nodes, one mutex, and every operation on
// them. MemoryFilesystem and its FileTrees, readers and writers are thin
// handles over one shared MemoryStore.

#include <cppftpd/filesystem.hpp>
#include <cppftpd/result.hpp>
#include <cppftpd/virtual_path.hpp>

#include <cstdint>
#include <ctime>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace cppftpd::detail {

struct MemoryNode;
using MemoryNodePtr = std::shared_ptr<MemoryNode>;
/// A file's content. Never changed in place: a commit installs a new string,
/// so a reader holding the old one reads on undisturbed.
using MemoryContent = std::shared_ptr<const std::string>;

/// A directory or a regular file. Guarded by its store's mutex.
struct MemoryNode {
  FileType type = FileType::regular;
  std::uint64_t inode = 0;
  std::time_t mtime = 0;
  std::uint32_t mode = 0;
  /// False once removed from the tree (or replaced by a rename); the node then
  /// lives on only in the readers, writers and trees that still hold it.
  bool linked = true;
  MemoryContent content;  ///< regular files only; never null for them
  std::map<std::string, MemoryNodePtr, std::less<>> children;  ///< directories only
  std::uint64_t subdirectories = 0;                            ///< for nlink
};

/// The shared tree. Every public function takes the mutex for its whole
/// duration (commit() excepted, see there); FileTree operations take the
/// tree's home node and a VirtualPath inside it, so they cannot reach
/// anything that is not below the home.
class MemoryStore {
 public:
  MemoryStore();

  // --- the embedder's side (paths inside the whole tree) -----------------
  Status add_directory(std::string_view path);
  Status add_file(std::string_view path, std::string content, std::time_t mtime);
  Result<std::string> read_file(std::string_view path) const;
  void set_read_only(bool read_only);
  void set_capacity(std::uint64_t bytes);
  /// The directory at `path`, to become a tree's home.
  Result<MemoryNodePtr> find_directory(std::string_view path) const;

  // --- FileTree operations, `path` relative to `home` --------------------
  Result<FileInfo> stat(const MemoryNodePtr& home, const VirtualPath& path) const;
  Result<std::vector<FileInfo>> list(const MemoryNodePtr& home, const VirtualPath& path,
                                     std::size_t max_entries) const;
  Result<MemoryContent> open_read(const MemoryNodePtr& home, const VirtualPath& path) const;
  /// The file a writer will commit into, created empty if it is new. Room for
  /// the gap a REST offset past the end leaves is reserved and its size put
  /// in `reserved`, which the writer hands back to commit().
  Result<MemoryNodePtr> open_write(const MemoryNodePtr& home, const VirtualPath& path,
                                   WriteMode mode, std::uint64_t offset, std::uint64_t& reserved);
  Status make_directory(const MemoryNodePtr& home, const VirtualPath& path);
  Status remove_directory(const MemoryNodePtr& home, const VirtualPath& path);
  Status remove_file(const MemoryNodePtr& home, const VirtualPath& path);
  Status rename(const MemoryNodePtr& home, const VirtualPath& from, const VirtualPath& to);
  Status set_mode(const MemoryNodePtr& home, const VirtualPath& path, std::uint32_t mode);
  Status set_mtime(const MemoryNodePtr& home, const VirtualPath& path, std::time_t mtime);

  // --- writers ----------------------------------------------------------
  /// Claims room for `bytes` more bytes held by a writer.
  Status reserve(std::uint64_t bytes);
  /// Writes `data` into `file` as `mode` and `offset` say, and gives back the
  /// `reserved` bytes. The new content is built outside the lock (an append
  /// copies the whole file) and installed only if the file did not change
  /// meanwhile, else built again: other sessions never wait for the copy.
  Status commit(const MemoryNodePtr& file, WriteMode mode, std::uint64_t offset, std::string data,
                std::uint64_t reserved);

 private:
  struct Parent {
    MemoryNode* directory;
    std::string_view name;  // a view into the VirtualPath the caller holds
  };

  Result<MemoryNodePtr> walk(const MemoryNodePtr& from, const VirtualPath& path) const;
  Result<Parent> walk_parent(const MemoryNodePtr& from, const VirtualPath& path) const;
  Result<MemoryNode*> make_directories(const VirtualPath& path);
  MemoryNodePtr make_node(FileType type, std::time_t mtime);
  void attach(MemoryNode& directory, std::string_view name, MemoryNodePtr node);
  MemoryNodePtr detach(MemoryNode& directory, std::string_view name);
  void unlink(MemoryNode& node);
  bool fits(std::uint64_t old_size, std::uint64_t new_size) const noexcept;
  Status check_writable() const noexcept;

  mutable std::mutex mutex_;
  MemoryNodePtr root_;
  std::uint64_t next_inode_ = 1;
  bool read_only_ = false;
  std::uint64_t capacity_;
  std::uint64_t used_ = 0;      // bytes in the files of the tree
  std::uint64_t reserved_ = 0;  // bytes claimed by open writers
};

}  // namespace cppftpd::detail
