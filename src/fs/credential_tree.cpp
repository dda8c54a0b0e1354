#include "fs/credential_tree.hpp"

#include <utility>

namespace cppftpd {

namespace {

using sys::FsIdentity;
using sys::ScopedFsIdentity;

// Runs `call` as `identity`, or fails with the reason it cannot switch.
template <typename Call>
auto as_user(const FsIdentity& identity, Call&& call) -> decltype(call()) {
  const ScopedFsIdentity scope(identity);
  if (!scope.ok()) return scope.status();
  return std::forward<Call>(call)();
}

class CredentialWriter final : public FileWriter {
 public:
  CredentialWriter(std::shared_ptr<const FsIdentity> identity, std::unique_ptr<FileWriter> inner)
      : identity_(std::move(identity)), inner_(std::move(inner)) {}

  ~CredentialWriter() override {
    // An unfinished atomic upload removes its temporary file here, as the
    // user. (Should the switch fail, which it cannot once it worked for
    // open_write(), the removal runs as the server: still confined to the
    // tree, and only of the temporary name the writer made itself.)
    const ScopedFsIdentity scope(*identity_);
    inner_.reset();
  }

  Status write(std::span<const char> data) override { return inner_->write(data); }
  Status close() override {
    return as_user(*identity_, [&] { return inner_->close(); });
  }
  Status commit() override {
    return as_user(*identity_, [&] { return inner_->commit(); });
  }
  int native_handle() const noexcept override { return inner_->native_handle(); }

 private:
  std::shared_ptr<const FsIdentity> identity_;
  std::unique_ptr<FileWriter> inner_;
};

// Reads the next batch (the stat() of each entry) as the user, too.
class CredentialDirectoryReader final : public DirectoryReader {
 public:
  CredentialDirectoryReader(std::shared_ptr<const FsIdentity> identity,
                            std::unique_ptr<DirectoryReader> inner)
      : identity_(std::move(identity)), inner_(std::move(inner)) {}

  Result<std::vector<FileInfo>> next(std::size_t max) override {
    return as_user(*identity_, [&] { return inner_->next(max); });
  }

 private:
  std::shared_ptr<const FsIdentity> identity_;
  std::unique_ptr<DirectoryReader> inner_;
};

class CredentialTree final : public FileTree {
 public:
  CredentialTree(std::shared_ptr<const FsIdentity> identity, std::unique_ptr<FileTree> inner)
      : identity_(std::move(identity)), inner_(std::move(inner)) {}

  Result<FileInfo> stat(const VirtualPath& path) override {
    return as_user(*identity_, [&] { return inner_->stat(path); });
  }
  Result<FileInfo> lstat(const VirtualPath& path) override {
    return as_user(*identity_, [&] { return inner_->lstat(path); });
  }
  Result<std::vector<FileInfo>> list(const VirtualPath& path, std::size_t max_entries) override {
    return as_user(*identity_, [&] { return inner_->list(path, max_entries); });
  }
  Status enter_directory(const VirtualPath& path) override {
    return as_user(*identity_, [&] { return inner_->enter_directory(path); });
  }
  Result<std::unique_ptr<DirectoryReader>> open_directory(const VirtualPath& path) override {
    return as_user(*identity_, [&]() -> Result<std::unique_ptr<DirectoryReader>> {
      auto opened = inner_->open_directory(path);
      if (!opened) return opened.error();
      return std::unique_ptr<DirectoryReader>(
          std::make_unique<CredentialDirectoryReader>(identity_, std::move(opened).value()));
    });
  }
  Result<std::unique_ptr<FileReader>> open_read(const VirtualPath& path,
                                                std::uint64_t offset) override {
    return as_user(*identity_, [&] { return inner_->open_read(path, offset); });
  }
  Result<std::unique_ptr<FileWriter>> open_write(const VirtualPath& path, WriteMode mode,
                                                 std::uint64_t offset) override {
    return as_user(*identity_, [&]() -> Result<std::unique_ptr<FileWriter>> {
      auto opened = inner_->open_write(path, mode, offset);
      if (!opened) return opened.error();
      return std::unique_ptr<FileWriter>(
          std::make_unique<CredentialWriter>(identity_, std::move(opened).value()));
    });
  }
  Status make_directory(const VirtualPath& path) override {
    return as_user(*identity_, [&] { return inner_->make_directory(path); });
  }
  Status remove_directory(const VirtualPath& path) override {
    return as_user(*identity_, [&] { return inner_->remove_directory(path); });
  }
  Status remove_file(const VirtualPath& path) override {
    return as_user(*identity_, [&] { return inner_->remove_file(path); });
  }
  Status rename(const VirtualPath& from, const VirtualPath& to) override {
    return as_user(*identity_, [&] { return inner_->rename(from, to); });
  }
  Status set_mode(const VirtualPath& path, std::uint32_t mode) override {
    return as_user(*identity_, [&] { return inner_->set_mode(path, mode); });
  }
  Status set_mtime(const VirtualPath& path, std::time_t mtime) override {
    return as_user(*identity_, [&] { return inner_->set_mtime(path, mtime); });
  }

 private:
  std::shared_ptr<const FsIdentity> identity_;
  std::unique_ptr<FileTree> inner_;
};

}  // namespace

sys::FsIdentity fs_identity(const Credentials& credentials) {
  sys::FsIdentity identity;
  identity.uid = static_cast<uid_t>(credentials.uid);
  identity.gid = static_cast<gid_t>(credentials.gid);
  identity.groups.assign(credentials.groups.begin(), credentials.groups.end());
  return identity;
}

Result<std::unique_ptr<FileTree>> open_tree_as(Filesystem& filesystem, const std::string& home,
                                               sys::FsIdentity identity) {
  auto shared = std::make_shared<const FsIdentity>(std::move(identity));
  return as_user(*shared, [&]() -> Result<std::unique_ptr<FileTree>> {
    auto opened = filesystem.open_tree(home);
    if (!opened) return opened.error();
    // Opening a home needs only the right to reach it; working in it needs
    // the right to search it. Looking a name up in it tells (a missing name
    // is fine: only permission_denied means the user cannot use the home),
    // so a home the user cannot enter is a failed login, not a session
    // where every command fails.
    const auto probe = (*opened)->lstat(VirtualPath::resolve({}, "/.cppftpd-home-check"));
    if (!probe && probe.error() == std::errc::permission_denied) return probe.error();
    return std::unique_ptr<FileTree>(
        std::make_unique<CredentialTree>(shared, std::move(opened).value()));
  });
}

}  // namespace cppftpd
