#pragma once
// VirtualPath: the only path type a session sees (DESIGN.md principle 7).

#include <string>
#include <string_view>

namespace cppftpd {

/// An absolute, normalised path inside a user's tree: starts with '/', has no
/// empty, "." or ".." components, and no trailing '/' (except the root "/").
/// It names a place as the client sees it; "/" is the user's home.
class VirtualPath {
 public:
  /// The root, "/".
  VirtualPath() = default;

  /// Resolves `input` (absolute, or relative to `cwd`) the way a shell would
  /// lexically: "." dropped, ".." pops a component but never above "/",
  /// repeated slashes collapse. Never fails: any input yields a path inside
  /// the root. Symlinks are not the concern here; the kernel confines them.
  static VirtualPath resolve(const VirtualPath& cwd, std::string_view input);

  /// The path as text, e.g. "/pub/file.txt".
  const std::string& str() const noexcept { return path_; }
  bool is_root() const noexcept { return path_.size() == 1; }

  /// The last component ("" for the root).
  std::string_view filename() const noexcept;
  /// The containing directory (the root for the root).
  VirtualPath parent() const;
  /// This path joined with a single component `name` (no '/').
  VirtualPath child(std::string_view name) const;
  /// The path relative to the root, without the leading '/' ("." for the root);
  /// what is handed to openat2() against the root directory fd.
  std::string relative() const;

  friend bool operator==(const VirtualPath&, const VirtualPath&) = default;

 private:
  std::string path_ = "/";
};

}  // namespace cppftpd
