// Confinement proven (docs/security.md, "Path escape"): every path command
// is refused through a symlink that leaves the root, a directory swapped for
// such a symlink while a client hammers it never yields outside content,
// and listings do not tell where escaping links lead.

#include "ftp_test_client.hpp"

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/syscall.h>

#include <atomic>

namespace ftptest {
namespace {

class SecurityConfinement : public FtpTest {
 protected:
  void SetUp() override {
    FtpTest::SetUp();
    write_file(path("file.txt"), "inside");
    std::filesystem::create_directory(path("sub"));
    write_file(server().outside() + "/f", "OUTSIDE-SECRET");
    std::filesystem::create_directory(server().outside() + "/dir");
    std::filesystem::create_directory_symlink(server().outside(), path("to_outside"));
    std::filesystem::create_directory_symlink("/etc", path("to_etc"));
    std::filesystem::create_symlink("../outside/f", path("relative_escape"));
    std::filesystem::create_symlink("file.txt", path("inside_link"));
  }

  // Names and contents of the outside directory: must never change.
  std::string outside_state() {
    std::string state;
    std::vector<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(server().outside())) {
      names.push_back(entry.path().filename().string());
    }
    std::sort(names.begin(), names.end());
    for (const auto& name : names) {
      struct stat st {};
      ::lstat((server().outside() + "/" + name).c_str(), &st);
      state += name + ":" + std::to_string(st.st_mode) + ":" + std::to_string(st.st_mtime) + ":" +
               std::to_string(st.st_size) + ";";
    }
    return state;
  }
};

TEST_F(SecurityConfinement, EveryPathCommandIsConfined) {
  const std::string before = outside_state();
  ControlClient client = user_session();
  ASSERT_EQ(client.cmd("TYPE I").code, 200);
  // Commands on the control connection.
  for (const char* line :
       {"CWD to_outside", "CWD to_outside/dir", "SIZE to_outside/f", "MDTM to_outside/f",
        "MLST to_outside/f", "STAT to_outside", "STAT to_outside/f", "MKD to_outside/new",
        "RMD to_outside/dir", "DELE to_outside/f", "DELE relative_escape/x",
        "SITE CHMOD 777 to_outside/f", "SITE CHMOD 777 relative_escape",
        "MFMT 20000101000000 to_outside/f", "RNFR to_outside/f", "SIZE to_etc/passwd",
        "MLST to_etc/passwd", "SIZE relative_escape"}) {
    const Reply refused = client.cmd(line);
    EXPECT_GE(refused.code, 450) << line << ": " << refused;
    EXPECT_FALSE(refused.contains("OUTSIDE")) << line << ": " << refused;
  }
  // RNTO: both ends are confined; the file stays where it was.
  EXPECT_EQ(client.cmd("RNFR file.txt").code, 350);
  EXPECT_EQ(client.cmd("RNTO to_outside/moved.txt").code, 550);
  EXPECT_EQ(read_file(path("file.txt")), "inside");
  // Transfers and listings over a data connection.
  for (const char* line :
       {"RETR to_outside/f", "RETR relative_escape", "RETR to_etc/passwd", "LIST to_outside",
        "NLST to_outside", "MLSD to_outside", "LIST to_outside/dir", "MLSD to_etc"}) {
    const Transfer t = download(client, line);
    EXPECT_EQ(t.preliminary.code, 550) << line << ": " << t;
    EXPECT_EQ(t.data, "") << line;
  }
  for (const char* line : {"STOR to_outside/planted", "APPE to_outside/f", "STOU to_outside/x",
                           "STOR to_outside/dir/planted", "APPE relative_escape"}) {
    const Transfer t = upload(client, line, "planted");
    EXPECT_EQ(t.preliminary.code, 550) << line << ": " << t;
  }
  EXPECT_EQ(outside_state(), before);
  EXPECT_EQ(read_file(server().outside() + "/f"), "OUTSIDE-SECRET");
  // And the session works normally inside.
  EXPECT_EQ(download(client, "RETR inside_link").data, "inside");
  EXPECT_EQ(upload(client, "STOU sub/x", "in").completion.code, 226);
}

TEST_F(SecurityConfinement, ListingsDoNotTellWhereEscapingLinksLead) {
  ControlClient client = user_session();
  const Transfer list = download(client, "LIST");
  ASSERT_EQ(list.completion.code, 226) << list;
  bool saw_etc = false;
  bool saw_inside = false;
  for (const auto& line : split_lines(list.data)) {
    if (line.find("to_etc") != std::string::npos) {
      saw_etc = true;
      EXPECT_EQ(line[0], 'l') << line;
      EXPECT_EQ(line.find("->"), std::string::npos) << line;
      EXPECT_EQ(line.find("/etc"), std::string::npos) << line;
    }
    if (line.find("to_outside") != std::string::npos ||
        line.find("relative_escape") != std::string::npos) {
      EXPECT_EQ(line.find("->"), std::string::npos) << line;
      EXPECT_EQ(line.find("outside/"), std::string::npos) << line;
      EXPECT_EQ(line.find(server().outside()), std::string::npos) << line;
    }
    if (line.find("inside_link") != std::string::npos) {
      saw_inside = true;
      EXPECT_NE(line.find("inside_link -> file.txt"), std::string::npos) << line;
    }
  }
  EXPECT_TRUE(saw_etc) << list.data;
  EXPECT_TRUE(saw_inside) << list.data;
  // STAT (the listing on the control connection) and LIST of the link itself.
  const Reply stat = client.cmd("STAT /");
  EXPECT_EQ(stat.code, 213) << stat;
  EXPECT_FALSE(stat.contains("/etc")) << stat;
  EXPECT_FALSE(stat.contains("to_outside ->")) << stat;
  EXPECT_FALSE(stat.contains(server().outside())) << stat;
  EXPECT_TRUE(stat.contains("inside_link -> file.txt")) << stat;
  const Transfer mlsd = download(client, "MLSD");
  EXPECT_EQ(mlsd.data.find("/etc"), std::string::npos) << mlsd.data;
}

// renameat2(RENAME_EXCHANGE): swaps two names atomically, so "swap" is a real
// directory one instant and a symlink to the outside the next.
int exchange(int dir_fd, const char* a, const char* b) {
  return static_cast<int>(::syscall(SYS_renameat2, dir_fd, a, dir_fd, b, RENAME_EXCHANGE));
}

TEST_F(SecurityConfinement, SwappingADirectoryForAnEscapingSymlinkNeverLeaks) {
  std::filesystem::create_directory(path("swap"));
  write_file(path("swap/f"), "inside");
  std::filesystem::create_directory_symlink(server().outside(), path("spare"));
  const int root_fd = ::open(server().root().c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  ASSERT_GE(root_fd, 0);
  if (exchange(root_fd, "swap", "spare") != 0) {
    ::close(root_fd);
    GTEST_SKIP() << "renameat2(RENAME_EXCHANGE) unavailable: " << std::strerror(errno);
  }
  exchange(root_fd, "swap", "spare");  // back: swap is the directory again
  const std::string before = outside_state();

  std::atomic<bool> stop{false};
  std::atomic<int> swaps{0};
  std::thread swapper([&] {
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (!stop && swaps < 200'000 && std::chrono::steady_clock::now() < deadline) {
      if (exchange(root_fd, "swap", "spare") == 0) ++swaps;
    }
  });

  ControlClient client = user_session();
  ASSERT_EQ(client.cmd("TYPE I").code, 200);
  int inside_seen = 0;
  int refused = 0;
  const auto deadline = std::chrono::steady_clock::now() + 8s;
  for (int i = 0; i < 2000 && std::chrono::steady_clock::now() < deadline; ++i) {
    switch (i % 5) {
      case 0: {
        const Transfer t = download(client, "RETR swap/f");
        EXPECT_EQ(t.data.find("OUTSIDE"), std::string::npos) << "leaked: " << t;
        if (t.data == "inside")
          ++inside_seen;
        else
          ++refused;
        break;
      }
      case 1: {
        const Reply size = client.cmd("SIZE swap/f");
        // "inside" is 6 bytes, the outside f is 14.
        EXPECT_TRUE(size.code == 550 || size.text() == "6") << size;
        break;
      }
      case 2: {
        const Transfer t = download(client, "LIST swap");
        EXPECT_EQ(t.data.find(" dir"), std::string::npos) << "outside listed: " << t.data;
        break;
      }
      case 3: {
        const Reply mlst = client.cmd("MLST swap/f");
        EXPECT_FALSE(mlst.contains("size=14")) << mlst;
        break;
      }
      default: {
        const Transfer t = upload(client, "STOR swap/planted", "x");
        if (t.completion.code == 226) std::filesystem::remove(path("swap/planted"));
        break;
      }
    }
    if (::testing::Test::HasFailure()) break;
  }
  stop = true;
  swapper.join();
  ::close(root_fd);
  EXPECT_GT(swaps.load(), 100);
  EXPECT_GT(inside_seen + refused, 0);
  EXPECT_EQ(outside_state(), before) << "something was written outside the root";
  EXPECT_EQ(read_file(server().outside() + "/f"), "OUTSIDE-SECRET");
  // Served normally once the swapping stops.
  EXPECT_EQ(download(client, "RETR file.txt").data, "inside");
}

}  // namespace
}  // namespace ftptest
