// Fuzzes VirtualPath, the only path type a session sees (DESIGN.md principle
// 7), DIFFERENTIALLY against a reference model written here from the spec:
// split on '/', drop "" and ".", ".." pops but never above the root.
//
// Input: "<cwd>\0<path>\0<name>" (missing parts are empty).
// Properties:
// - resolve(cwd, path) equals the reference, and is absolute, with no empty,
//   "." or ".." component and no trailing '/', so never above the root;
// - resolving is idempotent, and ".." from a path is its parent();
// - parent().child(filename()) gives the path back; child(name) equals
//   resolve(path, name) for any name; relative() is str() without its '/'.

#include "fuzz_check.hpp"

#include <cppftpd/virtual_path.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace {

using cppftpd::VirtualPath;

// Calls `visit` with each '/'-separated component of `text`, empty ones too.
template <typename Visit>
void for_each_component(std::string_view text, Visit visit) {
  while (true) {
    const auto slash = text.find('/');
    visit(text.substr(0, slash));
    if (slash == std::string_view::npos) return;
    text.remove_prefix(slash + 1);
  }
}

void apply(std::vector<std::string_view>& stack, std::string_view text) {
  for_each_component(text, [&](std::string_view part) {
    if (part.empty() || part == ".") return;
    if (part == "..") {
      if (!stack.empty()) stack.pop_back();
      return;
    }
    stack.push_back(part);
  });
}

std::string reference_resolve(std::string_view cwd, std::string_view input) {
  std::vector<std::string_view> stack;
  if (!input.starts_with('/')) apply(stack, cwd);
  apply(stack, input);
  if (stack.empty()) return "/";
  std::string out;
  for (const auto part : stack) {
    out += '/';
    out += part;
  }
  return out;
}

void check_invariant(const VirtualPath& path) {
  const std::string& text = path.str();
  FUZZ_CHECK(text.starts_with('/'));
  if (text.size() == 1) return;
  FUZZ_CHECK(!text.ends_with('/'));
  for_each_component(std::string_view(text).substr(1), [](std::string_view part) {
    FUZZ_CHECK(!part.empty());
    FUZZ_CHECK(part != ".");
    FUZZ_CHECK(part != "..");
  });
}

std::string_view take_part(std::string_view& input) {
  const auto nul = input.find('\0');
  const std::string_view part = input.substr(0, nul);
  input.remove_prefix(nul == std::string_view::npos ? input.size() : nul + 1);
  return part;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::string_view cwd_text = take_part(input);
  const std::string_view path_text = take_part(input);
  const std::string_view name = take_part(input);

  const VirtualPath root;
  FUZZ_CHECK(root.str() == "/" && root.is_root());

  const VirtualPath cwd = VirtualPath::resolve(root, cwd_text);
  check_invariant(cwd);
  FUZZ_CHECK(cwd.str() == reference_resolve("/", cwd_text));

  const VirtualPath path = VirtualPath::resolve(cwd, path_text);
  check_invariant(path);
  FUZZ_CHECK(path.str() == reference_resolve(cwd.str(), path_text));

  // Idempotent, from any working directory for an absolute path.
  FUZZ_CHECK(VirtualPath::resolve(root, path.str()) == path);
  FUZZ_CHECK(VirtualPath::resolve(cwd, path.str()) == path);
  FUZZ_CHECK(VirtualPath::resolve(path, ".") == path);
  FUZZ_CHECK(VirtualPath::resolve(path, "") == path);
  FUZZ_CHECK(VirtualPath::resolve(path, "..") == path.parent());

  const VirtualPath parent = path.parent();
  check_invariant(parent);
  FUZZ_CHECK(path.is_root() == (path.str() == "/"));
  FUZZ_CHECK(path.relative() == (path.is_root() ? "." : path.str().substr(1)));
  if (path.is_root()) {
    FUZZ_CHECK(parent.is_root());
    FUZZ_CHECK(path.filename().empty());
  } else {
    FUZZ_CHECK(!path.filename().empty());
    FUZZ_CHECK(path.filename().find('/') == std::string_view::npos);
    FUZZ_CHECK(parent.child(path.filename()) == path);
    FUZZ_CHECK(parent.str().size() < path.str().size());
  }

  const VirtualPath child = path.child(name);
  check_invariant(child);
  FUZZ_CHECK(child == VirtualPath::resolve(path, name));
  FUZZ_CHECK(child.str() == reference_resolve(path.str(), name));
  return 0;
}
