#pragma once
// MemoryFilesystem: storage held in memory (DESIGN.md principle 6, pyftpdlib's
// AbstractedFS idea). Tests run without a disk; embedders serve generated
// content and inspect uploads.

#include <cppftpd/filesystem.hpp>
#include <cppftpd/result.hpp>

#include <cstdint>
#include <ctime>
#include <memory>
#include <string>
#include <string_view>

namespace cppftpd {

namespace detail {
class MemoryStore;  // the shared tree; defined inside the library
}  // namespace detail

/// A tree of directories and regular files held in memory, shared by every
/// session (all operations are thread-safe).
///
/// Paths given to the methods below are paths inside the memory tree, such
/// as "/home/bob/file.txt": they are normalised like a VirtualPath (relative
/// ones start at "/", ".." never climbs above "/"), and a NUL byte in them is
/// std::errc::invalid_argument.
///
/// A MemoryFilesystem is a handle: copies share one tree. Keep a copy to add
/// content or inspect uploads after handing another one to the Server:
///
///     cppftpd::MemoryFilesystem files;
///     files.add_file("/pub/readme.txt", "hello\n");
///     cppftpd::Server server(config, users, std::make_unique<cppftpd::MemoryFilesystem>(files));
///
/// The trees it opens behave like LocalFilesystem's, with the errors of the
/// matching system calls (see FileTree), and these differences:
/// - there are no symbolic links, devices or FIFOs: only directories and
///   regular files;
/// - a file's mode is metadata only (reported in listings, changed by
///   set_mode): every entry belongs to uid 0 and gid 0, which permission bits
///   do not restrict, so they are never enforced;
/// - directories report size 0; nlink is 1 for files and 2 plus the number of
///   subdirectories for directories; device is 0 and every node has its own
///   inode number, never reused;
/// - readers see the file as it was when opened: a later write, replacement
///   or deletion does not change what an open FileReader returns;
/// - a FileWriter collects the data and commits it to the file when closed
///   (or destroyed), in one step: readers never see half an upload. A new
///   file exists, empty, from open_write() on, so a name taken by
///   WriteMode::create_new is reserved at once. Truncation also happens at
///   commit: WriteMode::truncate cuts the file at its offset (0 without REST,
///   filling a gap with NUL bytes) and writes the data there; WriteMode::append
///   adds it at the end of the file as it is then. A writer whose file was
///   deleted or replaced meanwhile commits into the detached file, which is
///   then lost, as on a disk;
/// - the total size of the files, data still held by open writers included,
///   is limited by a capacity (kDefaultCapacity unless set_capacity() says
///   otherwise); a write or commit beyond it fails with
///   std::errc::no_space_on_device;
/// - FileReader::native_handle() is -1: no sendfile(2).
class MemoryFilesystem final : public Filesystem {
 public:
  /// The capacity of a new MemoryFilesystem: 1 GiB.
  static constexpr std::uint64_t kDefaultCapacity = std::uint64_t{1} << 30;

  /// An empty tree: only the directory "/" (mode 0755).
  MemoryFilesystem();
  /// Another handle on the same tree. There are no move operations: a move
  /// copies, so no handle is ever left without a tree.
  MemoryFilesystem(const MemoryFilesystem&) = default;
  MemoryFilesystem& operator=(const MemoryFilesystem&) = default;
  ~MemoryFilesystem() override = default;

  /// Creates directory `path` (mode 0755), and its missing parents, like
  /// `mkdir -p`. An existing directory is fine; an existing file, at `path`
  /// or on the way, is std::errc::file_exists or not_a_directory.
  Status add_directory(std::string_view path);

  /// Creates or replaces regular file `path` (mode 0644 when new), creating
  /// missing parent directories, with `content` and modification time
  /// `mtime`. A directory at `path` is std::errc::is_a_directory; going over
  /// the capacity, std::errc::no_space_on_device.
  Status add_file(std::string_view path, std::string content,
                  std::time_t mtime = std::time(nullptr));

  /// The current content of regular file `path`: what clients see (uploads
  /// are there once their writer is closed).
  Result<std::string> read_file(std::string_view path) const;

  /// When true, every change made through a FileTree (open_write, a writer's
  /// write and commit, make_directory, remove_directory, remove_file, rename,
  /// set_mode, set_mtime) fails with std::errc::read_only_file_system, before
  /// any other check. add_directory() and add_file() still work, so the
  /// embedder can keep updating what it serves.
  void set_read_only(bool read_only);

  /// Sets the most bytes all files together may hold (see the class
  /// comment). Lowering it below what is stored removes nothing; it only
  /// stops growth.
  void set_capacity(std::uint64_t bytes);

  /// Opens directory `home` of the memory tree (e.g. "/" or "/home/bob") as a
  /// tree whose "/" it is: no path of that tree can reach outside it. An
  /// empty or missing `home` is std::errc::no_such_file_or_directory, a file
  /// std::errc::not_a_directory. Like a directory descriptor, the tree keeps
  /// its home if the home is later renamed; once the home is removed, nothing
  /// can be created in it.
  Result<std::unique_ptr<FileTree>> open_tree(const std::string& home) override;

 private:
  std::shared_ptr<detail::MemoryStore> store_;
};

}  // namespace cppftpd
