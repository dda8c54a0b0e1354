#include "fs/local_filesystem.hpp"

#include "protocol/limits.hpp"
#include "sys/openat2.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <iterator>
#include <limits>

namespace cppftpd {

namespace {

// Homes remembered before entries no tree uses any more are dropped.
constexpr std::size_t kPruneHomesAt = 1024;

#ifndef SYS_fchmodat2
// fchmodat2(2) arrived in Linux 6.6; Debian 12's kernel headers predate it.
// New system calls share one number on every architecture but alpha.
constexpr long SYS_fchmodat2 = 452;
#endif

std::error_code last_error() noexcept { return {errno, std::generic_category()}; }

FileType type_of(mode_t mode) noexcept {
  if (S_ISREG(mode)) return FileType::regular;
  if (S_ISDIR(mode)) return FileType::directory;
  if (S_ISLNK(mode)) return FileType::symlink;
  return FileType::other;
}

FileInfo info_from(const struct stat& st, std::string name) {
  FileInfo info;
  info.name = std::move(name);
  info.type = type_of(st.st_mode);
  info.size = st.st_size > 0 ? static_cast<std::uint64_t>(st.st_size) : 0;
  info.mtime = st.st_mtime;
  info.mode = static_cast<std::uint32_t>(st.st_mode & 07777);
  info.uid = st.st_uid;
  info.gid = st.st_gid;
  info.nlink = static_cast<std::uint64_t>(st.st_nlink);
  info.device = static_cast<std::uint64_t>(st.st_dev);
  info.inode = static_cast<std::uint64_t>(st.st_ino);
  if (S_ISFIFO(st.st_mode)) info.other_kind = 'p';
  if (S_ISSOCK(st.st_mode)) info.other_kind = 's';
  if (S_ISCHR(st.st_mode)) info.other_kind = 'c';
  if (S_ISBLK(st.st_mode)) info.other_kind = 'b';
  return info;
}

// Where the symlink `name` in `dir_fd` points, as stored. Empty if it cannot
// be read (it was replaced meanwhile): the listing still shows the entry.
std::string read_link(int dir_fd, const char* name) {
  std::array<char, PATH_MAX> buffer{};
  const ssize_t length = ::readlinkat(dir_fd, name, buffer.data(), buffer.size());
  if (length < 0) return {};
  return {buffer.data(), static_cast<std::size_t>(length)};
}

// Opened with O_NONBLOCK so a FIFO (or a device) can never make open() wait;
// once the file is known to be regular, normal blocking semantics come back.
std::error_code clear_nonblock(int fd) noexcept {
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) < 0) return last_error();
  return {};
}

std::error_code require_regular(int fd) noexcept {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return last_error();
  if (S_ISDIR(st.st_mode)) return std::make_error_code(std::errc::is_a_directory);
  if (!S_ISREG(st.st_mode)) return std::make_error_code(std::errc::invalid_argument);
  return {};
}

// Whether a confined lookup was refused for leaving the tree (EXDEV, or a
// loop/magic link, which open_beneath reports as permission_denied). A
// dangling link inside the tree is not an escape.
bool escapes(const Result<sys::UniqueFd>& resolved) noexcept {
  return !resolved && resolved.error() == std::errc::permission_denied;
}

Result<off_t> to_offset(std::uint64_t offset) {
  if (offset > static_cast<std::uint64_t>(std::numeric_limits<off_t>::max())) {
    return std::errc::invalid_argument;
  }
  return static_cast<off_t>(offset);
}

// chmod through an O_PATH descriptor: fchmod() refuses O_PATH, so use
// fchmodat2(fd, "", AT_EMPTY_PATH) where the kernel has it (6.6+), else the
// /proc/self/fd/N link, which names exactly the inode already resolved.
std::error_code chmod_opened(int fd, mode_t mode) noexcept {
  if (::syscall(SYS_fchmodat2, fd, "", mode, AT_EMPTY_PATH) == 0) return {};
  if (errno != ENOSYS && errno != EINVAL) return last_error();
  std::array<char, 32> proc_path{};
  const int length = std::snprintf(proc_path.data(), proc_path.size(), "/proc/self/fd/%d", fd);
  if (length < 0 || static_cast<std::size_t>(length) >= proc_path.size()) {
    return std::make_error_code(std::errc::bad_file_descriptor);
  }
  if (::chmod(proc_path.data(), mode) == 0) return {};
  // Without /proc there is no race-free way left; say so rather than ENOENT,
  // which would read as "no such file".
  if (errno == ENOENT) return std::make_error_code(std::errc::operation_not_supported);
  return last_error();
}

class LocalFileReader final : public FileReader {
 public:
  explicit LocalFileReader(sys::UniqueFd fd) noexcept : fd_(std::move(fd)) {}

  Result<std::size_t> read(std::span<char> buffer) override {
    for (;;) {
      const ssize_t count = ::read(fd_.get(), buffer.data(), buffer.size());
      if (count >= 0) return static_cast<std::size_t>(count);
      if (errno != EINTR) return last_error();
    }
  }

  int native_handle() const noexcept override { return fd_.get(); }

 private:
  sys::UniqueFd fd_;
};

class LocalFileWriter final : public FileWriter {
 public:
  // `append`: opened with O_APPEND, which splice(2) refuses to write to.
  LocalFileWriter(sys::UniqueFd fd, bool append) noexcept : fd_(std::move(fd)), append_(append) {}

  int native_handle() const noexcept override { return append_ ? -1 : fd_.get(); }

  Status write(std::span<const char> data) override {
    if (!fd_) return std::make_error_code(std::errc::bad_file_descriptor);
    while (!data.empty()) {
      const ssize_t count = ::write(fd_.get(), data.data(), data.size());
      if (count < 0) {
        if (errno == EINTR) continue;
        return last_error();
      }
      // A regular file never returns 0 for a non-empty write; guard the loop anyway.
      if (count == 0) return std::make_error_code(std::errc::io_error);
      data = data.subspan(static_cast<std::size_t>(count));
    }
    return {};
  }

  Status close() override {
    if (!fd_) return {};
    // close(2) is where NFS and quota filesystems report a failed write-back;
    // the descriptor is gone afterwards whatever it returns, so no retry.
    if (::close(fd_.release()) != 0) return last_error();
    return {};
  }

 private:
  sys::UniqueFd fd_;
  bool append_;
};

}  // namespace

Result<std::unique_ptr<FileTree>> LocalFilesystem::open_tree(const std::string& home) {
  if (home.find('\0') != std::string::npos) return std::errc::invalid_argument;
  // Each login opens its home; sessions of the same home share the
  // descriptor, so 10,000 sessions of one account hold 10,000 descriptors,
  // not 20,000. A held descriptor is reused only while `home` still names the
  // same directory (same device and inode), so a home renamed or replaced
  // since is opened afresh, as it would be without sharing.
  struct stat named {};
  if (::stat(home.c_str(), &named) != 0) return last_error();
  {
    std::lock_guard lock(mutex_);
    const auto it = homes_.find(home);
    if (it != homes_.end()) {
      if (auto held = it->second.lock()) {
        struct stat st {};
        if (::fstat(held->get(), &st) == 0 && st.st_dev == named.st_dev &&
            st.st_ino == named.st_ino) {
          return std::unique_ptr<FileTree>(std::make_unique<LocalFileTree>(std::move(held)));
        }
      }
    }
  }
  const int fd = ::open(home.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return last_error();
  auto root = std::make_shared<const sys::UniqueFd>(fd);
  {
    std::lock_guard lock(mutex_);
    // Bounded: entries whose trees are all gone are dropped now and then.
    if (homes_.size() >= kPruneHomesAt) {
      std::erase_if(homes_, [](const auto& entry) { return entry.second.expired(); });
    }
    homes_[home] = root;
  }
  return std::unique_ptr<FileTree>(std::make_unique<LocalFileTree>(std::move(root)));
}

std::unique_ptr<Filesystem> make_local_filesystem() { return std::make_unique<LocalFilesystem>(); }

LocalFileTree::LocalFileTree(sys::UniqueFd root)
    : root_(std::make_shared<const sys::UniqueFd>(std::move(root))) {}

LocalFileTree::LocalFileTree(std::shared_ptr<const sys::UniqueFd> root) noexcept
    : root_(std::move(root)) {}

Result<sys::UniqueFd> LocalFileTree::open_path(const VirtualPath& path, int flags,
                                               unsigned mode) const {
  return sys::open_beneath(root_->get(), path.relative(), static_cast<std::uint64_t>(flags), mode);
}

Result<LocalFileTree::ParentAndName> LocalFileTree::open_parent(const VirtualPath& path) const {
  // Callers deal with the root first: it has no parent inside the tree.
  std::string name(path.filename());
  if (name.find('\0') != std::string::npos) return std::errc::invalid_argument;
  auto parent = open_path(path.parent(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (!parent) return parent.error();
  return ParentAndName{std::move(parent).value(), std::move(name)};
}

Result<FileInfo> LocalFileTree::stat(const VirtualPath& path) {
  auto fd = open_path(path, O_PATH | O_CLOEXEC);
  if (!fd) return fd.error();
  struct stat st {};
  if (::fstat(fd->get(), &st) != 0) return last_error();
  return info_from(st, std::string(path.filename()));
}

Status LocalFileTree::enter_directory(const VirtualPath& path) {
  // A directory one may not search (no x for this user) can be stat()ed but
  // not entered: every path inside it would fail. Looking up "." in it is
  // the kernel's own search-permission check (as chdir(2) makes).
  auto fd = open_path(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (!fd) return fd.error();
  const sys::UniqueFd inside(::openat(fd->get(), ".", O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!inside) return last_error();
  return {};
}

Result<FileInfo> LocalFileTree::lstat(const VirtualPath& path) {
  struct stat st {};
  if (path.is_root()) {
    if (::fstat(root_->get(), &st) != 0) return last_error();
    return info_from(st, {});
  }
  auto entry = open_parent(path);
  if (!entry) return entry.error();
  const int parent = entry->parent.get();
  const char* name = entry->name.c_str();
  if (::fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) != 0) return last_error();
  FileInfo info = info_from(st, std::move(entry->name));
  // Where a link points is told only if it stays inside the tree: "-> /etc"
  // in a listing would map the host for the client.
  if (info.type == FileType::symlink && !escapes(open_path(path, O_PATH | O_CLOEXEC))) {
    info.link_target = read_link(parent, info.name.c_str());
  }
  return info;
}

Result<std::optional<FileInfo>> LocalFileTree::describe_entry(int dir_fd,
                                                              const VirtualPath& directory,
                                                              const std::string& name) const {
  struct stat st {};
  if (::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return std::optional<FileInfo>();  // removed since readdir
    return last_error();
  }
  FileInfo info = info_from(st, name);
  if (S_ISLNK(st.st_mode)) {
    std::string target = read_link(dir_fd, name.c_str());
    // Describe what the link leads to, but only if the kernel can reach it
    // from the root: resolved from the root, not from this directory, so a
    // link such as "../x" works wherever it stays inside. Dangling and
    // escaping links keep their own metadata and type symlink, and their
    // target is not told: "-> /etc" would map the host for the client.
    auto resolved = open_path(directory.child(name), O_PATH | O_CLOEXEC);
    struct stat target_st {};
    if (resolved && ::fstat(resolved->get(), &target_st) == 0) {
      info = info_from(target_st, std::move(info.name));
    }
    if (!escapes(resolved)) info.link_target = std::move(target);
  }
  return std::optional<FileInfo>(std::move(info));
}

namespace {

using DirStream = std::unique_ptr<DIR, int (*)(DIR*)>;

// A directory descriptor (O_RDONLY | O_DIRECTORY) as a readdir() stream.
Result<DirStream> open_dir_stream(Result<sys::UniqueFd> fd) {
  if (!fd) return fd.error();
  // fdopendir() takes the descriptor over on success only.
  DIR* raw_dir = ::fdopendir(fd->get());
  if (raw_dir == nullptr) return last_error();
  fd->release();
  return DirStream(raw_dir, &::closedir);
}

// The next name of the stream other than "." and ".."; std::nullopt at the
// end. readdir() is safe on a DIR stream no other thread uses at the same
// time (readdir_r is deprecated).
Result<std::optional<std::string>> next_name(DIR* dir) {
  for (;;) {
    errno = 0;
    const dirent* entry = ::readdir(dir);  // NOLINT(concurrency-mt-unsafe)
    if (entry == nullptr) {
      if (errno != 0) return last_error();
      return std::optional<std::string>();
    }
    const std::string_view name = entry->d_name;
    if (name != "." && name != "..") return std::optional<std::string>(std::string(name));
  }
}

}  // namespace

// A streamed listing of a local directory: the names first (sorted, up to
// limits::kSortedListingEntries), then the rest of the stream as it comes;
// the metadata of each batch is read when the batch is asked for. It holds
// the tree's root, so it stays valid whatever becomes of the tree.
class LocalDirectoryReader final : public DirectoryReader {
 public:
  LocalDirectoryReader(LocalFileTree tree, VirtualPath path, DirStream dir,
                       std::vector<std::string> names, bool stream_done)
      : tree_(std::move(tree)),
        path_(std::move(path)),
        dir_(std::move(dir)),
        names_(std::move(names)),
        stream_done_(stream_done) {}

  Result<std::vector<FileInfo>> next(std::size_t max) override {
    std::vector<FileInfo> batch;
    const int dir_fd = ::dirfd(dir_.get());
    while (batch.size() < max) {
      std::string name;
      if (position_ < names_.size()) {
        name = std::move(names_[position_++]);
        if (position_ == names_.size()) {  // all handed out: free them
          std::vector<std::string>().swap(names_);
          position_ = 0;
        }
      } else if (!stream_done_) {
        auto read = next_name(dir_.get());
        if (!read) return read.error();
        if (!*read) {
          stream_done_ = true;
          break;
        }
        name = std::move(**read);
      } else {
        break;
      }
      auto info = tree_.describe_entry(dir_fd, path_, name);
      if (!info) return info.error();
      if (*info) batch.push_back(std::move(**info));
    }
    return batch;
  }

 private:
  LocalFileTree tree_;
  VirtualPath path_;
  DirStream dir_;
  std::vector<std::string> names_;  // read ahead, not handed out yet
  std::size_t position_ = 0;
  bool stream_done_;
};

Result<std::unique_ptr<DirectoryReader>> LocalFileTree::open_directory(const VirtualPath& path) {
  auto dir = open_dir_stream(open_path(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir) return dir.error();
  std::vector<std::string> names;
  bool stream_done = false;
  while (names.size() < limits::kSortedListingEntries) {
    auto name = next_name(dir->get());
    if (!name) return name.error();
    if (!*name) {
      stream_done = true;
      break;
    }
    names.push_back(std::move(**name));
  }
  // Directory order is the file system's hash order: sort by bytes for
  // stable listings (std::string compares as unsigned char, like memcmp). A
  // directory too big to sort is listed in directory order, the names
  // already read first.
  if (stream_done) std::sort(names.begin(), names.end());
  return std::unique_ptr<DirectoryReader>(std::make_unique<LocalDirectoryReader>(
      LocalFileTree(root_), path, std::move(dir).value(), std::move(names), stream_done));
}

Result<std::vector<FileInfo>> LocalFileTree::list(const VirtualPath& path,
                                                  std::size_t max_entries) {
  auto reader = open_directory(path);
  if (!reader) return reader.error();
  std::vector<FileInfo> entries;
  for (;;) {
    auto batch = (*reader)->next(limits::kListingBatch);
    if (!batch) return batch.error();
    if (batch->empty()) break;
    if (batch->size() > max_entries - entries.size()) return std::errc::value_too_large;
    std::move(batch->begin(), batch->end(), std::back_inserter(entries));
  }
  // Sorted whatever the size (the reader sorts up to kSortedListingEntries).
  std::sort(entries.begin(), entries.end(),
            [](const FileInfo& a, const FileInfo& b) { return a.name < b.name; });
  return entries;
}

Result<std::unique_ptr<FileReader>> LocalFileTree::open_read(const VirtualPath& path,
                                                             std::uint64_t offset) {
  const auto position = to_offset(offset);
  if (!position) return position.error();
  auto fd = open_path(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (!fd) return fd.error();
  if (const auto error = require_regular(fd->get())) return error;
  if (const auto error = clear_nonblock(fd->get())) return error;
  // Seeking past the end is allowed: the reader then sees end of file at once.
  if (::lseek(fd->get(), *position, SEEK_SET) < 0) return last_error();
  return std::unique_ptr<FileReader>(std::make_unique<LocalFileReader>(std::move(fd).value()));
}

Result<std::unique_ptr<FileWriter>> LocalFileTree::open_write(const VirtualPath& path,
                                                              WriteMode mode,
                                                              std::uint64_t offset) {
  const auto position = to_offset(offset);
  if (!position) return position.error();
  int flags = O_WRONLY | O_CREAT | O_CLOEXEC | O_NONBLOCK | O_NOCTTY;
  switch (mode) {
    case WriteMode::truncate:
      // Linux applies O_TRUNC to regular files only, so it cannot damage a
      // FIFO or device that require_regular() then refuses.
      if (offset == 0) flags |= O_TRUNC;
      break;
    case WriteMode::append:
      flags |= O_APPEND;
      break;
    case WriteMode::create_new:
      // O_EXCL also fails on an existing symlink, dangling or not.
      flags |= O_EXCL;
      break;
  }
  // 0666 and the process umask, as any program creating a file.
  auto fd = open_path(path, flags, 0666);
  if (!fd) return fd.error();
  if (const auto error = require_regular(fd->get())) return error;
  if (const auto error = clear_nonblock(fd->get())) return error;
  if (mode == WriteMode::truncate && offset > 0) {
    // REST n + STOR: keep the first n bytes, drop the rest, write from n.
    if (::ftruncate(fd->get(), *position) != 0) return last_error();
    if (::lseek(fd->get(), *position, SEEK_SET) < 0) return last_error();
  }
  return std::unique_ptr<FileWriter>(
      std::make_unique<LocalFileWriter>(std::move(fd).value(), mode == WriteMode::append));
}

Status LocalFileTree::make_directory(const VirtualPath& path) {
  if (path.is_root()) return std::make_error_code(std::errc::file_exists);
  auto entry = open_parent(path);
  if (!entry) return entry.error();
  if (::mkdirat(entry->parent.get(), entry->name.c_str(), 0777) != 0) return last_error();
  return {};
}

Status LocalFileTree::remove_directory(const VirtualPath& path) {
  if (path.is_root()) return std::make_error_code(std::errc::permission_denied);
  auto entry = open_parent(path);
  if (!entry) return entry.error();
  if (::unlinkat(entry->parent.get(), entry->name.c_str(), AT_REMOVEDIR) != 0) return last_error();
  return {};
}

Status LocalFileTree::remove_file(const VirtualPath& path) {
  if (path.is_root()) return std::make_error_code(std::errc::permission_denied);
  auto entry = open_parent(path);
  if (!entry) return entry.error();
  // Without AT_REMOVEDIR Linux refuses a directory with EISDIR; a symlink is
  // removed itself, never its target.
  if (::unlinkat(entry->parent.get(), entry->name.c_str(), 0) != 0) return last_error();
  return {};
}

Status LocalFileTree::rename(const VirtualPath& from, const VirtualPath& to) {
  if (from.is_root() || to.is_root()) return std::make_error_code(std::errc::permission_denied);
  auto source = open_parent(from);
  if (!source) return source.error();
  auto target = open_parent(to);
  if (!target) return target.error();
  if (::renameat(source->parent.get(), source->name.c_str(), target->parent.get(),
                 target->name.c_str()) != 0) {
    return last_error();
  }
  return {};
}

Status LocalFileTree::set_mode(const VirtualPath& path, std::uint32_t mode) {
  if (mode > 07777) return std::make_error_code(std::errc::invalid_argument);
  // Like vsftpd, never set setuid/setgid: a server running with privileges
  // would otherwise let a client publish a setuid program.
  if ((mode & 06000) != 0) return std::make_error_code(std::errc::operation_not_permitted);
  // chmod 000 on the home would lock out everyone who shares it.
  if (path.is_root()) return std::make_error_code(std::errc::permission_denied);
  auto fd = open_path(path, O_PATH | O_CLOEXEC);
  if (!fd) return fd.error();
  return chmod_opened(fd->get(), static_cast<mode_t>(mode));
}

Status LocalFileTree::set_mtime(const VirtualPath& path, std::time_t mtime) {
  std::array<timespec, 2> times{};
  times[0].tv_nsec = UTIME_OMIT;  // access time: unchanged
  times[1].tv_sec = mtime;
  if (path.is_root()) {
    if (::utimensat(root_->get(), ".", times.data(), 0) != 0) return last_error();
    return {};
  }
  auto entry = open_parent(path);
  if (!entry) return entry.error();
  const int result =
      ::utimensat(entry->parent.get(), entry->name.c_str(), times.data(), AT_SYMLINK_NOFOLLOW);
  return result == 0 ? Status{} : last_error();
}

}  // namespace cppftpd
