#pragma once
// The storage interface (DESIGN.md principle 6): a session never calls the OS
// for files; it calls a FileTree made by a Filesystem.

#include <cppftpd/result.hpp>
#include <cppftpd/virtual_path.hpp>

#include <cstdint>
#include <ctime>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace cppftpd {

/// What a directory entry is.
enum class FileType { regular, directory, symlink, other };

/// Metadata of one entry, as listings (LIST, MLSD, STAT) and SIZE/MDTM need it.
struct FileInfo {
  std::string name;  ///< the entry's own name (no '/')
  FileType type = FileType::other;
  std::uint64_t size = 0;  ///< bytes
  std::time_t mtime = 0;   ///< last modification, seconds since the epoch (UTC)
  std::uint32_t mode = 0;  ///< permission bits (07777), as st_mode & 07777
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
  std::uint64_t nlink = 1;
  std::uint64_t device = 0;  ///< with inode: a unique id for MLSD's "unique" fact
  std::uint64_t inode = 0;
  std::string link_target;  ///< for symlinks, where they point (as stored)
  /// For FileType::other, the letter `ls -l` shows for it: 'p' (FIFO), 's'
  /// (socket), 'c' or 'b' (device); 0 when not known ('-' is shown then).
  char other_kind = 0;
};

/// A file open for reading.
class FileReader {
 public:
  virtual ~FileReader() = default;
  /// Reads up to buffer.size() bytes; 0 means end of file.
  virtual Result<std::size_t> read(std::span<char> buffer) = 0;
  /// A kernel file descriptor positioned at the read offset, if there is one:
  /// lets the transfer use sendfile(2). -1 when the data is not in a kernel file.
  virtual int native_handle() const noexcept { return -1; }
};

/// A file open for writing.
class FileWriter {
 public:
  virtual ~FileWriter() = default;
  /// Writes all of `data` or fails.
  virtual Status write(std::span<const char> data) = 0;
  /// Flushes and closes; reports a late error (e.g. ENOSPC on close).
  virtual Status close() = 0;
  /// A kernel file descriptor positioned at the write offset, if bytes may be
  /// put there directly (lets STOR use splice(2)); -1 otherwise. Writes made
  /// through it count as write()s; close() is still called.
  virtual int native_handle() const noexcept { return -1; }
  /// Called once the whole upload arrived, after close() and before the
  /// 226 reply; an error here turns the reply into 451/452. A writer that
  /// stages its data (atomic uploads) publishes it here; by default there
  /// is nothing to do.
  virtual Status commit() { return {}; }
};

/// A directory open for a listing (FileTree::open_directory), read a batch of
/// entries at a time: LIST, NLST and MLSD send each batch before the next is
/// read, so a listing is never held whole in memory, whatever its size.
class DirectoryReader {
 public:
  virtual ~DirectoryReader() = default;
  /// Up to `max` more entries (max > 0), with the metadata list() gives
  /// them, in the listing's order; an empty vector at the end. Entries
  /// removed since the directory was opened are left out.
  virtual Result<std::vector<FileInfo>> next(std::size_t max) = 0;
};

/// How many entries FileTree::open_directory()'s default reads at once.
inline constexpr std::size_t kDefaultListingLimit = 100'000;

/// How STOR/APPE/STOU open their target.
enum class WriteMode {
  truncate,    ///< STOR: create or replace; with offset > 0 (REST) keep and write at offset
  append,      ///< APPE: create or append at the end
  create_new,  ///< STOU: fail with EEXIST if the name is taken
};

/// One user's confined view of storage: every path is a VirtualPath, and no
/// operation can reach outside the tree. Errors are std::errc values
/// (no_such_file_or_directory, permission_denied, not_a_directory, ...).
class FileTree {
 public:
  virtual ~FileTree() = default;
  /// Metadata of `path` (a symlink is followed; a dangling one is an error).
  virtual Result<FileInfo> stat(const VirtualPath& path) = 0;
  /// Metadata of `path` without following a final symlink.
  virtual Result<FileInfo> lstat(const VirtualPath& path) = 0;
  /// The entries of directory `path`, without "." and "..", at most
  /// `max_entries` of them (more is an error: std::errc::value_too_large).
  virtual Result<std::vector<FileInfo>> list(const VirtualPath& path, std::size_t max_entries) = 0;
  /// Directory `path` open for a streamed listing; errors as list() (a path
  /// that is not a directory: not_a_directory). The default reads
  /// list(path, kDefaultListingLimit) at once and hands it out in batches;
  /// a tree that can read entries as they are asked for overrides it (the
  /// local disk's does, for directories of any size).
  virtual Result<std::unique_ptr<DirectoryReader>> open_directory(const VirtualPath& path);
  /// Whether `path` is a directory the user may enter (CWD): success, or
  /// not_a_directory, permission_denied (no search permission), ... The
  /// default checks only that stat() says directory; a tree with access
  /// rights of its own overrides it (the local disk's asks the kernel).
  virtual Status enter_directory(const VirtualPath& path);
  virtual Result<std::unique_ptr<FileReader>> open_read(const VirtualPath& path,
                                                        std::uint64_t offset) = 0;
  virtual Result<std::unique_ptr<FileWriter>> open_write(const VirtualPath& path, WriteMode mode,
                                                         std::uint64_t offset) = 0;
  virtual Status make_directory(const VirtualPath& path) = 0;
  virtual Status remove_directory(const VirtualPath& path) = 0;
  virtual Status remove_file(const VirtualPath& path) = 0;
  virtual Status rename(const VirtualPath& from, const VirtualPath& to) = 0;
  virtual Status set_mode(const VirtualPath& path, std::uint32_t mode) = 0;
  virtual Status set_mtime(const VirtualPath& path, std::time_t mtime) = 0;
};

/// Makes the FileTree of a user at login, from the user's home directory.
class Filesystem {
 public:
  virtual ~Filesystem() = default;
  virtual Result<std::unique_ptr<FileTree>> open_tree(const std::string& home) = 0;
};

/// The local disk, each tree confined by the kernel to its home directory
/// (openat2 with RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS).
std::unique_ptr<Filesystem> make_local_filesystem();

/// Wraps `inner` for atomic uploads: STOR (WriteMode::truncate at offset 0)
/// writes to a hidden temporary name in the target's directory
/// (".cppftpd-upload-<random>.part") and renames it over the target only when
/// the upload completed (FileWriter::commit()); a broken or aborted upload
/// leaves the previous file untouched and removes the temporary. APPE, STOU
/// and a resumed STOR (REST) write in place, as without the wrapper.
std::unique_ptr<Filesystem> make_atomic_upload_filesystem(std::unique_ptr<Filesystem> inner);

}  // namespace cppftpd
