#include <cppftpd/virtual_path.hpp>

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace cppftpd {
namespace {

VirtualPath at(std::string_view path) { return VirtualPath::resolve({}, path); }

// The class invariant: absolute, no empty, "." or ".." component, no trailing
// slash except for the root.
void expect_normalised(const VirtualPath& path) {
  const std::string& s = path.str();
  ASSERT_FALSE(s.empty());
  EXPECT_EQ(s.front(), '/') << s;
  if (s.size() > 1) {
    EXPECT_NE(s.back(), '/') << s;
  }
  EXPECT_EQ(s.find("//"), std::string::npos) << s;
  const std::string framed = s + "/";
  EXPECT_EQ(framed.find("/./"), std::string::npos) << s;
  EXPECT_EQ(framed.find("/../"), std::string::npos) << s;
}

TEST(VirtualPathTest, DefaultIsRoot) {
  const VirtualPath root;
  EXPECT_EQ(root.str(), "/");
  EXPECT_TRUE(root.is_root());
  EXPECT_EQ(root.filename(), "");
  EXPECT_EQ(root.parent(), root);
  EXPECT_EQ(root.relative(), ".");
}

struct ResolveCase {
  const char* cwd;
  const char* input;
  const char* expected;
};

class VirtualPathResolveTest : public ::testing::TestWithParam<ResolveCase> {};

TEST_P(VirtualPathResolveTest, Resolves) {
  const auto& param = GetParam();
  const VirtualPath cwd = at(param.cwd);
  const VirtualPath result = VirtualPath::resolve(cwd, param.input);
  EXPECT_EQ(result.str(), param.expected) << "cwd=" << param.cwd << " input=" << param.input;
  expect_normalised(result);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, VirtualPathResolveTest,
    ::testing::Values(
        // Absolute input ignores the working directory.
        ResolveCase{"/pub", "/etc/passwd", "/etc/passwd"}, ResolveCase{"/pub", "/", "/"},
        // Relative input joins it.
        ResolveCase{"/pub", "file.txt", "/pub/file.txt"}, ResolveCase{"/", "a/b", "/a/b"},
        ResolveCase{"/a/b", "c/d", "/a/b/c/d"},
        // Empty input and "." name the working directory.
        ResolveCase{"/pub", "", "/pub"}, ResolveCase{"/pub", ".", "/pub"},
        ResolveCase{"/pub", "./", "/pub"}, ResolveCase{"/pub", "./x/./y/.", "/pub/x/y"},
        // ".." pops one component.
        ResolveCase{"/a/b", "..", "/a"}, ResolveCase{"/a/b", "../c", "/a/c"},
        ResolveCase{"/a/b/c", "../../d", "/a/d"}, ResolveCase{"/", "a/b/../c", "/a/c"},
        // ... but never above the root.
        ResolveCase{"/", "..", "/"}, ResolveCase{"/", "../../..", "/"},
        ResolveCase{"/pub", "../../../etc/passwd", "/etc/passwd"},
        ResolveCase{"/pub", "/../etc", "/etc"}, ResolveCase{"/", "/..", "/"},
        ResolveCase{"/a", "../../a/../../b", "/b"},
        // Repeated slashes collapse; a trailing slash goes.
        ResolveCase{"/", "//a///b//", "/a/b"}, ResolveCase{"/x", "a//b/", "/x/a/b"},
        ResolveCase{"/", "////", "/"}, ResolveCase{"/pub", "sub/", "/pub/sub"},
        // Names that merely look special are ordinary components.
        ResolveCase{"/", "...", "/..."}, ResolveCase{"/", "..a/.b/a..", "/..a/.b/a.."},
        ResolveCase{"/", " /~", "/ /~"}, ResolveCase{"/", "a\\..\\b", "/a\\..\\b"}));

TEST(VirtualPathTest, EmbeddedNulStaysOneComponent) {
  // The filesystem refuses such paths; resolve() must only keep the invariant.
  const VirtualPath path = at(std::string_view("/a\0b/../c", 9));
  EXPECT_EQ(path.str(), "/c");
  const VirtualPath kept = at(std::string_view("/a\0b", 4));
  EXPECT_EQ(kept.str(), std::string("/a\0b", 4));
}

TEST(VirtualPathTest, FilenameParentRelative) {
  const VirtualPath path = at("/pub/docs/readme.txt");
  EXPECT_FALSE(path.is_root());
  EXPECT_EQ(path.filename(), "readme.txt");
  EXPECT_EQ(path.parent().str(), "/pub/docs");
  EXPECT_EQ(path.parent().parent().str(), "/pub");
  EXPECT_EQ(path.parent().parent().parent().str(), "/");
  EXPECT_EQ(path.relative(), "pub/docs/readme.txt");

  const VirtualPath top = at("/pub");
  EXPECT_EQ(top.filename(), "pub");
  EXPECT_TRUE(top.parent().is_root());
  EXPECT_EQ(top.relative(), "pub");
}

TEST(VirtualPathTest, ChildAppendsOneComponent) {
  EXPECT_EQ(VirtualPath().child("pub").str(), "/pub");
  EXPECT_EQ(at("/pub").child("file").str(), "/pub/file");
  EXPECT_EQ(at("/pub").child("file").parent(), at("/pub"));
  EXPECT_EQ(at("/pub").child("file").filename(), "file");
  EXPECT_EQ(at("/pub").child("...").str(), "/pub/...");
}

TEST(VirtualPathTest, ChildOfOddNamesKeepsTheInvariant) {
  const VirtualPath pub = at("/pub");
  EXPECT_EQ(pub.child("").str(), "/pub");
  EXPECT_EQ(pub.child(".").str(), "/pub");
  EXPECT_EQ(pub.child("..").str(), "/");
  EXPECT_EQ(VirtualPath().child("..").str(), "/");
  EXPECT_EQ(pub.child("a/b").str(), "/pub/a/b");
  EXPECT_EQ(pub.child("/etc").str(), "/etc");
  EXPECT_EQ(pub.child("../../x").str(), "/x");
  for (const char* name : {"", ".", "..", "a/", "//", "../..", "x/../.."}) {
    expect_normalised(pub.child(name));
  }
}

TEST(VirtualPathTest, Equality) {
  EXPECT_EQ(at("/a/b"), at("/a//b/"));
  EXPECT_EQ(at("/a/b"), VirtualPath::resolve(at("/a"), "b"));
  EXPECT_NE(at("/a/b"), at("/a/B"));
  EXPECT_NE(at("/a"), VirtualPath());
}

TEST(VirtualPathTest, RandomInputsStayNormalisedAndIdempotent) {
  // Inputs built from the pieces that matter: separators, dots, names.
  const char* pieces[] = {"/", "//", ".", "..", "a", "bb", "...", "./", "../", "c.d"};
  std::mt19937 random(12345);
  std::uniform_int_distribution<std::size_t> pick(0, std::size(pieces) - 1);
  std::uniform_int_distribution<int> length(0, 12);
  for (int round = 0; round < 5000; ++round) {
    std::string cwd_text, input;
    for (int i = length(random); i > 0; --i) cwd_text += pieces[pick(random)];
    for (int i = length(random); i > 0; --i) input += pieces[pick(random)];
    const VirtualPath cwd = at(cwd_text);
    const VirtualPath path = VirtualPath::resolve(cwd, input);
    expect_normalised(cwd);
    expect_normalised(path);
    // Resolving a normalised path again, from anywhere, changes nothing.
    EXPECT_EQ(VirtualPath::resolve(cwd, path.str()), path) << input;
    EXPECT_EQ(at(path.relative()), path) << input;
    if (!path.is_root()) {
      EXPECT_EQ(path.parent().child(path.filename()), path) << input;
    }
    if (HasFailure()) return;
  }
}

}  // namespace
}  // namespace cppftpd
