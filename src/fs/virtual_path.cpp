#include <cppftpd/virtual_path.hpp>

#include <vector>

namespace cppftpd {

namespace {

// Splits `input` on '/' and applies its components to `parts` lexically.
// ".." at the root stays at the root, as a shell's "cd /.." does: a client can
// never name anything above its home, whatever it sends.
void apply_components(std::vector<std::string_view>& parts, std::string_view input) {
  std::size_t start = 0;
  while (start <= input.size()) {
    std::size_t end = input.find('/', start);
    if (end == std::string_view::npos) end = input.size();
    const std::string_view part = input.substr(start, end - start);
    if (part.empty() || part == ".") {
      // Repeated or trailing slashes, and "." components, name nothing.
    } else if (part == "..") {
      if (!parts.empty()) parts.pop_back();
    } else {
      parts.push_back(part);
    }
    start = end + 1;
  }
}

}  // namespace

VirtualPath VirtualPath::resolve(const VirtualPath& cwd, std::string_view input) {
  std::vector<std::string_view> parts;
  // An absolute input ignores the working directory; a relative one extends
  // it. cwd is already normalised, so splitting it again is only bookkeeping.
  if (input.empty() || input.front() != '/') apply_components(parts, cwd.path_);
  apply_components(parts, input);

  VirtualPath result;
  if (parts.empty()) return result;
  std::size_t length = 0;
  for (const auto part : parts) length += part.size() + 1;
  result.path_.clear();
  result.path_.reserve(length);
  for (const auto part : parts) {
    result.path_ += '/';
    result.path_ += part;
  }
  return result;
}

std::string_view VirtualPath::filename() const noexcept {
  if (is_root()) return {};
  const std::string_view path = path_;
  return path.substr(path.rfind('/') + 1);
}

VirtualPath VirtualPath::parent() const {
  VirtualPath result;
  const std::size_t slash = path_.rfind('/');
  if (slash != 0 && slash != std::string::npos) result.path_ = path_.substr(0, slash);
  return result;
}

VirtualPath VirtualPath::child(std::string_view name) const {
  // A name that is not one plain component ("", ".", "..", or one holding a
  // '/') goes through resolve() so the result keeps the class invariant
  // instead of becoming "/a/../b" or "/a//b".
  if (name.empty() || name == "." || name == ".." || name.find('/') != std::string_view::npos) {
    return resolve(*this, name);
  }
  VirtualPath result = *this;
  if (!is_root()) result.path_ += '/';
  result.path_ += name;
  return result;
}

std::string VirtualPath::relative() const {
  if (is_root()) return ".";
  return path_.substr(1);
}

}  // namespace cppftpd
