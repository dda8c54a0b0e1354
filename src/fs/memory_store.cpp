#include "fs/memory_store.hpp"

#include <cppftpd/memory_filesystem.hpp>

#include <algorithm>
#include <limits>
#include <utility>

namespace cppftpd::detail {

namespace {

constexpr std::uint32_t kFileMode = 0644;
constexpr std::uint32_t kDirectoryMode = 0755;

std::time_t now() noexcept { return std::time(nullptr); }

std::error_code errc(std::errc value) noexcept { return std::make_error_code(value); }

// A NUL cannot be part of a name on a disk; refusing it here too keeps the two
// filesystems interchangeable (LocalFileTree says invalid_argument as well).
bool has_nul(std::string_view path) noexcept { return path.find('\0') != std::string_view::npos; }

Result<VirtualPath> store_path(std::string_view path) {
  if (has_nul(path)) return std::errc::invalid_argument;
  return VirtualPath::resolve({}, path);
}

// Calls visit(name) for each component of a VirtualPath, first to last, until
// it returns an error.
template <typename Visit>
std::error_code for_each_component(const VirtualPath& path, Visit&& visit) {
  const std::string_view text = path.str();
  std::size_t start = 1;  // past the leading '/'; the root has no components
  while (start < text.size()) {
    std::size_t end = text.find('/', start);
    if (end == std::string_view::npos) end = text.size();
    if (const std::error_code error = visit(text.substr(start, end - start))) return error;
    start = end + 1;
  }
  return {};
}

// Whether `path` lies strictly below `directory`. Lexical comparison is exact
// here: a memory tree has no symlinks, so one path names one node.
bool is_below(const VirtualPath& path, const VirtualPath& directory) {
  const std::string& p = path.str();
  const std::string& d = directory.str();
  if (directory.is_root()) return !path.is_root();
  return p.size() > d.size() && p.compare(0, d.size(), d) == 0 && p[d.size()] == '/';
}

FileInfo info_of(const MemoryNode& node, std::string name) {
  FileInfo info;
  info.name = std::move(name);
  info.type = node.type;
  info.mtime = node.mtime;
  info.mode = node.mode;
  info.inode = node.inode;
  if (node.type == FileType::directory) {
    info.nlink = 2 + node.subdirectories;  // its own "." and its parent's entry, plus ".."s
  } else {
    info.size = node.content->size();
    info.nlink = 1;
  }
  return info;
}

// What a writer's data makes of `base`: WriteMode::truncate cuts at `offset`
// (filling a gap with NUL bytes, as a sparse file reads) and writes there;
// append writes at the end; create_new writes from the start like truncate 0.
std::string build_content(const std::string& base, WriteMode mode, std::uint64_t offset,
                          const std::string& data) {
  std::string result;
  if (mode == WriteMode::append) {
    result.reserve(base.size() + data.size());
    result = base;
  } else if (mode == WriteMode::truncate) {
    // offset fits in size_t: open_write() refused anything above INT64_MAX.
    const auto cut = static_cast<std::size_t>(offset);
    result.reserve(cut + data.size());
    result.assign(base, 0, std::min(cut, base.size()));
    result.resize(cut, '\0');
  }
  result += data;
  return result;
}

}  // namespace

MemoryStore::MemoryStore() : capacity_(MemoryFilesystem::kDefaultCapacity) {
  root_ = make_node(FileType::directory, now());
}

// --- helpers (the mutex is held) ---------------------------------------------

MemoryNodePtr MemoryStore::make_node(FileType type, std::time_t mtime) {
  auto node = std::make_shared<MemoryNode>();
  node->type = type;
  node->inode = next_inode_++;
  node->mtime = mtime;
  if (type == FileType::directory) {
    node->mode = kDirectoryMode;
  } else {
    node->mode = kFileMode;
    node->content = std::make_shared<const std::string>();
  }
  return node;
}

void MemoryStore::attach(MemoryNode& directory, std::string_view name, MemoryNodePtr node) {
  if (node->type == FileType::directory) ++directory.subdirectories;
  if (node->type == FileType::regular) used_ += node->content->size();
  directory.children.emplace(std::string(name), std::move(node));
  directory.mtime = now();  // a directory changes when its entries do (POSIX)
}

MemoryNodePtr MemoryStore::detach(MemoryNode& directory, std::string_view name) {
  const auto it = directory.children.find(name);
  MemoryNodePtr node = std::move(it->second);
  directory.children.erase(it);
  if (node->type == FileType::directory) --directory.subdirectories;
  if (node->type == FileType::regular) used_ -= node->content->size();
  directory.mtime = now();
  return node;
}

void MemoryStore::unlink(MemoryNode& node) { node.linked = false; }

bool MemoryStore::fits(std::uint64_t old_size, std::uint64_t new_size) const noexcept {
  if (new_size <= old_size) return true;
  const std::uint64_t taken = used_ > std::numeric_limits<std::uint64_t>::max() - reserved_
                                  ? std::numeric_limits<std::uint64_t>::max()
                                  : used_ + reserved_;
  return taken <= capacity_ && new_size - old_size <= capacity_ - taken;
}

Status MemoryStore::check_writable() const noexcept {
  return read_only_ ? errc(std::errc::read_only_file_system) : Status{};
}

Result<MemoryNodePtr> MemoryStore::walk(const MemoryNodePtr& from, const VirtualPath& path) const {
  const MemoryNodePtr* node = &from;
  const auto error = for_each_component(path, [&](std::string_view name) -> std::error_code {
    // As path resolution on a disk: a file on the way is ENOTDIR, a missing
    // entry ENOENT. Only ever downwards from `from`: VirtualPath has no "..".
    if ((*node)->type != FileType::directory) return errc(std::errc::not_a_directory);
    const auto it = (*node)->children.find(name);
    if (it == (*node)->children.end()) return errc(std::errc::no_such_file_or_directory);
    node = &it->second;
    return {};
  });
  if (error) return error;
  return *node;
}

Result<MemoryStore::Parent> MemoryStore::walk_parent(const MemoryNodePtr& from,
                                                     const VirtualPath& path) const {
  // Callers deal with the root first: it has no parent inside the tree.
  auto parent = walk(from, path.parent());
  if (!parent) return parent.error();
  if ((*parent)->type != FileType::directory) return std::errc::not_a_directory;
  return Parent{parent->get(), path.filename()};
}

Result<MemoryNode*> MemoryStore::make_directories(const VirtualPath& path) {
  MemoryNode* node = root_.get();
  // Fails only at an existing file, so it never leaves half a chain behind:
  // everything before that file existed already.
  const auto error = for_each_component(path, [&](std::string_view name) -> std::error_code {
    if (node->type != FileType::directory) return errc(std::errc::not_a_directory);
    auto it = node->children.find(name);
    if (it == node->children.end()) {
      attach(*node, name, make_node(FileType::directory, now()));
      it = node->children.find(name);
    }
    node = it->second.get();
    return {};
  });
  if (error) return error;
  return node;
}

// --- the embedder's side -------------------------------------------------------

Status MemoryStore::add_directory(std::string_view path) {
  const auto resolved = store_path(path);
  if (!resolved) return resolved.error();
  const std::lock_guard lock(mutex_);
  auto directory = make_directories(*resolved);
  if (!directory) return directory.error();
  if ((*directory)->type != FileType::directory) return errc(std::errc::file_exists);
  return {};
}

Status MemoryStore::add_file(std::string_view path, std::string content, std::time_t mtime) {
  const auto resolved = store_path(path);
  if (!resolved) return resolved.error();
  if (resolved->is_root()) return errc(std::errc::is_a_directory);
  const std::lock_guard lock(mutex_);
  // Check the room before creating any parent, so a refusal changes nothing.
  std::uint64_t old_size = 0;
  if (const auto existing = walk(root_, *resolved)) {
    if ((*existing)->type == FileType::directory) return errc(std::errc::is_a_directory);
    old_size = (*existing)->content->size();
  }
  if (!fits(old_size, content.size())) return errc(std::errc::no_space_on_device);

  auto parent = make_directories(resolved->parent());
  if (!parent) return parent.error();
  MemoryNode& directory = **parent;
  if (directory.type != FileType::directory) return errc(std::errc::not_a_directory);
  const std::string_view name = resolved->filename();
  if (const auto it = directory.children.find(name); it != directory.children.end()) {
    MemoryNode& file = *it->second;
    used_ = used_ - file.content->size() + content.size();
    file.content = std::make_shared<const std::string>(std::move(content));
    file.mtime = mtime;
    return {};
  }
  auto file = make_node(FileType::regular, mtime);
  file->content = std::make_shared<const std::string>(std::move(content));
  attach(directory, name, std::move(file));
  return {};
}

Result<std::string> MemoryStore::read_file(std::string_view path) const {
  const auto resolved = store_path(path);
  if (!resolved) return resolved.error();
  const std::lock_guard lock(mutex_);
  const auto file = walk(root_, *resolved);
  if (!file) return file.error();
  if ((*file)->type == FileType::directory) return std::errc::is_a_directory;
  return std::string(*(*file)->content);
}

void MemoryStore::set_read_only(bool read_only) {
  const std::lock_guard lock(mutex_);
  read_only_ = read_only;
}

void MemoryStore::set_capacity(std::uint64_t bytes) {
  const std::lock_guard lock(mutex_);
  capacity_ = bytes;
}

Result<MemoryNodePtr> MemoryStore::find_directory(std::string_view path) const {
  // As open("") does.
  if (path.empty()) return std::errc::no_such_file_or_directory;
  const auto resolved = store_path(path);
  if (!resolved) return resolved.error();
  const std::lock_guard lock(mutex_);
  auto directory = walk(root_, *resolved);
  if (!directory) return directory.error();
  if ((*directory)->type != FileType::directory) return std::errc::not_a_directory;
  return directory;
}

// --- FileTree operations -------------------------------------------------------

Result<FileInfo> MemoryStore::stat(const MemoryNodePtr& home, const VirtualPath& path) const {
  if (has_nul(path.str())) return std::errc::invalid_argument;
  const std::lock_guard lock(mutex_);
  const auto node = walk(home, path);
  if (!node) return node.error();
  return info_of(**node, std::string(path.filename()));
}

Result<std::vector<FileInfo>> MemoryStore::list(const MemoryNodePtr& home, const VirtualPath& path,
                                                std::size_t max_entries) const {
  if (has_nul(path.str())) return std::errc::invalid_argument;
  const std::lock_guard lock(mutex_);
  const auto node = walk(home, path);
  if (!node) return node.error();
  const MemoryNode& directory = **node;
  if (directory.type != FileType::directory) return std::errc::not_a_directory;
  if (directory.children.size() > max_entries) return std::errc::value_too_large;
  // std::map keeps the names sorted by bytes, as LocalFileTree sorts them.
  std::vector<FileInfo> entries;
  entries.reserve(directory.children.size());
  for (const auto& [name, child] : directory.children) entries.push_back(info_of(*child, name));
  return entries;
}

Result<MemoryContent> MemoryStore::open_read(const MemoryNodePtr& home,
                                             const VirtualPath& path) const {
  if (has_nul(path.str())) return std::errc::invalid_argument;
  const std::lock_guard lock(mutex_);
  const auto node = walk(home, path);
  if (!node) return node.error();
  if ((*node)->type == FileType::directory) return std::errc::is_a_directory;
  return (*node)->content;
}

Result<MemoryNodePtr> MemoryStore::open_write(const MemoryNodePtr& home, const VirtualPath& path,
                                              WriteMode mode, std::uint64_t offset,
                                              std::uint64_t& reserved) {
  reserved = 0;
  const std::lock_guard lock(mutex_);
  if (const auto error = check_writable()) return error;
  if (has_nul(path.str())) return std::errc::invalid_argument;
  // Offsets the local disk refuses (beyond off_t) are refused here too.
  if (offset > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    return std::errc::invalid_argument;
  }
  if (path.is_root()) {
    return mode == WriteMode::create_new ? std::errc::file_exists : std::errc::is_a_directory;
  }
  auto parent = walk_parent(home, path);
  if (!parent) return parent.error();
  MemoryNode& directory = *parent->directory;
  MemoryNodePtr file;
  if (const auto it = directory.children.find(parent->name); it != directory.children.end()) {
    // O_EXCL: any existing name, directory or not, is EEXIST.
    if (mode == WriteMode::create_new) return std::errc::file_exists;
    if (it->second->type == FileType::directory) return std::errc::is_a_directory;
    file = it->second;
  } else if (!directory.linked) {
    return std::errc::no_such_file_or_directory;  // as creating in a removed directory does
  }
  // REST past the end: the gap becomes NUL bytes at commit. Claim that room
  // now, which also keeps an absurd offset from allocating anything.
  const std::uint64_t size = file ? file->content->size() : 0;
  if (mode == WriteMode::truncate && offset > size) {
    if (!fits(0, offset - size)) return std::errc::no_space_on_device;
    reserved = offset - size;
    reserved_ += reserved;
  }
  if (!file) {
    // Created now, empty, so the name is taken (STOU) and listed at once.
    file = make_node(FileType::regular, now());
    attach(directory, parent->name, file);
  }
  return file;
}

Status MemoryStore::make_directory(const MemoryNodePtr& home, const VirtualPath& path) {
  const std::lock_guard lock(mutex_);
  if (const auto error = check_writable()) return error;
  if (has_nul(path.str())) return errc(std::errc::invalid_argument);
  if (path.is_root()) return errc(std::errc::file_exists);
  auto parent = walk_parent(home, path);
  if (!parent) return parent.error();
  MemoryNode& directory = *parent->directory;
  if (directory.children.contains(parent->name)) return errc(std::errc::file_exists);
  if (!directory.linked) return errc(std::errc::no_such_file_or_directory);
  attach(directory, parent->name, make_node(FileType::directory, now()));
  return {};
}

Status MemoryStore::remove_directory(const MemoryNodePtr& home, const VirtualPath& path) {
  const std::lock_guard lock(mutex_);
  if (const auto error = check_writable()) return error;
  if (has_nul(path.str())) return errc(std::errc::invalid_argument);
  if (path.is_root()) return errc(std::errc::permission_denied);
  auto parent = walk_parent(home, path);
  if (!parent) return parent.error();
  MemoryNode& directory = *parent->directory;
  const auto it = directory.children.find(parent->name);
  if (it == directory.children.end()) return errc(std::errc::no_such_file_or_directory);
  if (it->second->type != FileType::directory) return errc(std::errc::not_a_directory);
  if (!it->second->children.empty()) return errc(std::errc::directory_not_empty);
  unlink(*detach(directory, parent->name));
  return {};
}

Status MemoryStore::remove_file(const MemoryNodePtr& home, const VirtualPath& path) {
  const std::lock_guard lock(mutex_);
  if (const auto error = check_writable()) return error;
  if (has_nul(path.str())) return errc(std::errc::invalid_argument);
  if (path.is_root()) return errc(std::errc::permission_denied);
  auto parent = walk_parent(home, path);
  if (!parent) return parent.error();
  MemoryNode& directory = *parent->directory;
  const auto it = directory.children.find(parent->name);
  if (it == directory.children.end()) return errc(std::errc::no_such_file_or_directory);
  if (it->second->type == FileType::directory) return errc(std::errc::is_a_directory);
  unlink(*detach(directory, parent->name));
  return {};
}

Status MemoryStore::rename(const MemoryNodePtr& home, const VirtualPath& from,
                           const VirtualPath& to) {
  const std::lock_guard lock(mutex_);
  if (const auto error = check_writable()) return error;
  if (has_nul(from.str()) || has_nul(to.str())) return errc(std::errc::invalid_argument);
  if (from.is_root() || to.is_root()) return errc(std::errc::permission_denied);
  auto source = walk_parent(home, from);
  if (!source) return source.error();
  const auto source_it = source->directory->children.find(source->name);
  if (source_it == source->directory->children.end()) {
    return errc(std::errc::no_such_file_or_directory);
  }
  auto target = walk_parent(home, to);
  if (!target) return target.error();
  if (from == to) return {};  // rename(2): the same entry, nothing to do
  const bool moving_directory = source_it->second->type == FileType::directory;
  // A directory cannot become its own descendant (rename(2) says EINVAL).
  if (moving_directory && is_below(to, from)) return errc(std::errc::invalid_argument);

  MemoryNode& target_directory = *target->directory;
  if (const auto it = target_directory.children.find(target->name);
      it != target_directory.children.end()) {
    const MemoryNode& existing = *it->second;
    if (moving_directory && existing.type != FileType::directory) {
      return errc(std::errc::not_a_directory);
    }
    if (!moving_directory && existing.type == FileType::directory) {
      return errc(std::errc::is_a_directory);
    }
    if (!existing.children.empty()) return errc(std::errc::directory_not_empty);
    unlink(*detach(target_directory, target->name));  // replaced, as rename(2) does
  } else if (!target_directory.linked) {
    return errc(std::errc::no_such_file_or_directory);
  }
  // The node itself moves: same inode and mtime, and open readers, writers and
  // trees holding it follow it to its new name.
  attach(target_directory, target->name, detach(*source->directory, source->name));
  return {};
}

Status MemoryStore::set_mode(const MemoryNodePtr& home, const VirtualPath& path,
                             std::uint32_t mode) {
  const std::lock_guard lock(mutex_);
  if (const auto error = check_writable()) return error;
  // The same rules as LocalFileTree::set_mode: no setuid/setgid (vsftpd's
  // rule; a file served from memory may still be downloaded and installed),
  // no bits beyond 07777, and the home keeps its mode.
  if (mode > 07777) return errc(std::errc::invalid_argument);
  if ((mode & 06000) != 0) return errc(std::errc::operation_not_permitted);
  if (path.is_root()) return errc(std::errc::permission_denied);
  if (has_nul(path.str())) return errc(std::errc::invalid_argument);
  const auto node = walk(home, path);
  if (!node) return node.error();
  (*node)->mode = mode;
  return {};
}

Status MemoryStore::set_mtime(const MemoryNodePtr& home, const VirtualPath& path,
                              std::time_t mtime) {
  const std::lock_guard lock(mutex_);
  if (const auto error = check_writable()) return error;
  if (has_nul(path.str())) return errc(std::errc::invalid_argument);
  const auto node = walk(home, path);
  if (!node) return node.error();
  (*node)->mtime = mtime;
  return {};
}

// --- writers -------------------------------------------------------------------

Status MemoryStore::reserve(std::uint64_t bytes) {
  const std::lock_guard lock(mutex_);
  if (const auto error = check_writable()) return error;
  if (!fits(0, bytes)) return errc(std::errc::no_space_on_device);
  reserved_ += bytes;
  return {};
}

Status MemoryStore::commit(const MemoryNodePtr& file, WriteMode mode, std::uint64_t offset,
                           std::string data, std::uint64_t reserved) {
  MemoryContent next;
  std::unique_lock lock(mutex_);
  if (mode == WriteMode::create_new || (mode == WriteMode::truncate && offset == 0)) {
    // The old content has no part in the result: no copy at all.
    next = std::make_shared<const std::string>(std::move(data));
  } else {
    for (;;) {
      const MemoryContent base = file->content;
      lock.unlock();
      auto built = std::make_shared<const std::string>(build_content(*base, mode, offset, data));
      lock.lock();
      if (file->content == base) {
        next = std::move(built);
        break;
      }
      // Another writer committed meanwhile: build on its result instead.
    }
  }
  reserved_ -= reserved;
  if (const auto error = check_writable()) return error;
  if (file->linked) {
    // A detached file (removed or replaced while being written) counts for
    // nothing: it goes away with the writer.
    const std::uint64_t old_size = file->content->size();
    if (!fits(old_size, next->size())) return errc(std::errc::no_space_on_device);
    used_ = used_ - old_size + next->size();
  }
  file->content = std::move(next);
  file->mtime = now();
  return {};
}

}  // namespace cppftpd::detail
