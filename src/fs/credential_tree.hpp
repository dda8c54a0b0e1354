#pragma once
// A FileTree whose every operation runs as one system user (UnixAuthorizer
// sessions; docs/security.md, "System accounts").

#include "sys/thread_credentials.hpp"

#include <cppftpd/authorizer.hpp>
#include <cppftpd/filesystem.hpp>

#include <memory>
#include <string>

namespace cppftpd {

/// The fs identity of `credentials`.
sys::FsIdentity fs_identity(const Credentials& credentials);

/// Opens `home` through `filesystem` as `identity` (the user must be able to
/// reach it), and wraps the tree so that each of its operations, on whichever
/// thread it runs (event loop or blocking pool), switches that thread to
/// `identity` for the call's duration (sys::ScopedFsIdentity) and back.
/// Writers are wrapped too: close(), commit() and their destruction may touch
/// names (atomic uploads rename and remove). Reads and writes of open files
/// go through their descriptors and need no switch, so sendfile(2) and
/// splice(2) stay as fast. If the thread cannot switch (no privilege), the
/// call fails with that error and nothing runs with the wrong identity.
Result<std::unique_ptr<FileTree>> open_tree_as(Filesystem& filesystem, const std::string& home,
                                               sys::FsIdentity identity);

}  // namespace cppftpd
