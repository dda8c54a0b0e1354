// The library seen by an embedder: every event hook fires exactly once with
// the right arguments (incomplete transfers included), a throwing hook does
// not hurt the session, and a slow Authorizer does not stall other sessions.

#include "ftp_test_client.hpp"

#include <algorithm>
#include <condition_variable>
#include <functional>
#include <mutex>

namespace ftptest {
namespace {

// Collects hook calls from the server's threads as "name user path bytes".
class Recorder {
 public:
  void add(std::string event) {
    std::lock_guard lock(mutex_);
    events_.push_back(std::move(event));
  }
  std::vector<std::string> events() const {
    std::lock_guard lock(mutex_);
    return events_;
  }
  std::size_t count(std::string_view prefix) const {
    std::lock_guard lock(mutex_);
    return static_cast<std::size_t>(
        std::count_if(events_.begin(), events_.end(),
                      [&](const std::string& e) { return e.starts_with(prefix); }));
  }
  bool wait_for(std::string_view prefix, std::size_t n = 1) const {
    return poll_until([&] { return count(prefix) >= n; });
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::string> events_;
};

cppftpd::EventHooks recording_hooks(Recorder& r) {
  using cppftpd::SessionEvent;
  using cppftpd::TransferEvent;
  auto session = [&r](std::string name) {
    return [&r, name](const SessionEvent& e) {
      r.add(name + " " + e.user + " " + e.peer_address + (e.peer_port != 0 ? "" : " no-port"));
    };
  };
  auto transfer = [&r](std::string name) {
    return [&r, name](const TransferEvent& e) {
      r.add(name + " " + e.session.user + " " + e.path.str() + " " + std::to_string(e.bytes));
    };
  };
  cppftpd::EventHooks hooks;
  hooks.on_connect = session("connect");
  hooks.on_disconnect = session("disconnect");
  hooks.on_login = session("login");
  hooks.on_login_failed = session("login_failed");
  hooks.on_logout = session("logout");
  hooks.on_file_sent = transfer("file_sent");
  hooks.on_file_received = transfer("file_received");
  hooks.on_incomplete_file_sent = transfer("incomplete_file_sent");
  hooks.on_incomplete_file_received = transfer("incomplete_file_received");
  return hooks;
}

class HooksTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<TestServer>(Configure{}, AddUsers{}, recording_hooks(recorder_));
  }
  void TearDown() override { server_.reset(); }

  ControlClient logged_in() {
    ControlClient client = server_->connect();
    EXPECT_TRUE(client.login());
    return client;
  }

  Recorder recorder_;
  std::unique_ptr<TestServer> server_;
};

TEST_F(HooksTest, SessionLifecycleFiresEachHookOnceInOrder) {
  {
    ControlClient client = logged_in();
    EXPECT_EQ(client.cmd("QUIT").code, 221);
    EXPECT_TRUE(client.wait_closed());
  }
  ASSERT_TRUE(recorder_.wait_for("disconnect"));
  const std::vector<std::string> expected{"connect  127.0.0.1", "login user 127.0.0.1",
                                          "logout user 127.0.0.1", "disconnect  127.0.0.1"};
  EXPECT_EQ(recorder_.events(), expected);
}

TEST_F(HooksTest, FailedLoginCarriesTheTriedNameAndNoLogin) {
  ControlClient client = server_->connect();
  EXPECT_EQ(client.cmd("USER user").code, 331);
  EXPECT_EQ(client.cmd("PASS wrong").code, 530);
  EXPECT_EQ(recorder_.count("login_failed user 127.0.0.1"), 1U);
  EXPECT_EQ(recorder_.count("login "), 0U);
  EXPECT_EQ(recorder_.count("logout"), 0U);
}

TEST_F(HooksTest, CompletedTransfersReportPathAndBytes) {
  ControlClient client = logged_in();
  EXPECT_EQ(client.cmd("TYPE I").code, 200);
  const Transfer up = upload(client, "STOR up.txt", "hello world");
  EXPECT_EQ(up.completion.code, 226) << up;
  const Transfer down = download(client, "RETR up.txt");
  EXPECT_EQ(down.completion.code, 226) << down;
  const Transfer listing = download(client, "LIST");
  EXPECT_EQ(listing.completion.code, 226) << listing;
  EXPECT_EQ(recorder_.count("file_received user /up.txt 11"), 1U);
  EXPECT_EQ(recorder_.count("file_sent user /up.txt 11"), 1U);
  // Listings are not file transfers; nothing was incomplete.
  EXPECT_EQ(recorder_.count("file_"), 2U);
  EXPECT_EQ(recorder_.count("incomplete"), 0U);
}

TEST_F(HooksTest, AbortedDownloadIsAnIncompleteFileSent) {
  constexpr std::size_t kBig = 64 << 20;
  ASSERT_TRUE(make_sparse_file(server_->path("big"), kBig));
  ControlClient client = logged_in();
  EXPECT_EQ(client.cmd("TYPE I").code, 200);
  Fd data = client.open_pasv();
  ASSERT_TRUE(data.valid());
  EXPECT_EQ(client.cmd("RETR big").code, 150);
  char some[4096];
  EXPECT_GT(::recv(data.get(), some, sizeof some, 0), 0);
  ASSERT_TRUE(client.send("ABOR"));
  EXPECT_EQ(client.read_reply().code, 426);
  EXPECT_EQ(client.read_reply().code, 226);
  ASSERT_TRUE(recorder_.wait_for("incomplete_file_sent user /big "));
  EXPECT_EQ(recorder_.count("incomplete_file_sent"), 1U);
  EXPECT_EQ(recorder_.count("file_sent"), 0U);
  const auto events = recorder_.events();
  const auto it = std::find_if(events.begin(), events.end(), [](const std::string& e) {
    return e.starts_with("incomplete_file_sent");
  });
  ASSERT_NE(it, events.end());
  const std::uint64_t bytes = std::stoull(it->substr(it->rfind(' ') + 1));
  EXPECT_GT(bytes, 0U);
  EXPECT_LT(bytes, kBig);
}

TEST_F(HooksTest, AbortedUploadIsAnIncompleteFileReceivedAndKept) {
  ControlClient client = logged_in();
  EXPECT_EQ(client.cmd("TYPE I").code, 200);
  Fd data = client.open_pasv();
  ASSERT_TRUE(data.valid());
  EXPECT_EQ(client.cmd("STOR partial.bin").code, 150);
  ASSERT_TRUE(send_all(data.get(), "12345"));
  // The server writes what arrives as it arrives: wait until the file holds
  // the 5 bytes, then cut the upload.
  ASSERT_TRUE(poll_until([&] { return read_file(server_->path("partial.bin")).size() == 5; }));
  ASSERT_TRUE(client.send("ABOR"));
  EXPECT_EQ(client.read_reply().code, 426);
  EXPECT_EQ(client.read_reply().code, 226);
  ASSERT_TRUE(recorder_.wait_for("incomplete_file_received user /partial.bin "));
  EXPECT_EQ(recorder_.count("incomplete_file_received user /partial.bin 5"), 1U);
  EXPECT_EQ(recorder_.count("file_received"), 0U);
  EXPECT_TRUE(file_exists(server_->path("partial.bin")));  // partial data is kept
}

TEST_F(HooksTest, ReinNewUserAndDisconnectEachEndTheLoginOnce) {
  {
    ControlClient client = logged_in();
    EXPECT_EQ(client.cmd("REIN").code, 220);
    EXPECT_TRUE(client.login());
    EXPECT_EQ(client.cmd("USER anonymous").code, 331);  // flushes the login (RFC 959 4.1.1)
    EXPECT_EQ(client.cmd("PASS guest").code, 230);
  }  // the client goes away while logged in
  ASSERT_TRUE(recorder_.wait_for("disconnect"));
  EXPECT_EQ(recorder_.count("login user"), 2U);
  EXPECT_EQ(recorder_.count("logout user"), 2U);
  EXPECT_EQ(recorder_.count("login anonymous"), 1U);
  EXPECT_EQ(recorder_.count("logout anonymous"), 1U);
  EXPECT_EQ(recorder_.count("connect"), 1U);
  EXPECT_EQ(recorder_.count("disconnect"), 1U);
}

TEST(HooksThrowing, AThrowingHookDoesNotHurtTheSession) {
  cppftpd::EventHooks hooks;
  hooks.on_login = [](const cppftpd::SessionEvent&) { throw std::runtime_error("hook bug"); };
  hooks.on_connect = [](const cppftpd::SessionEvent&) { throw 42; };
  TestServer server(Configure{}, AddUsers{}, std::move(hooks));
  ControlClient client = server.connect();
  EXPECT_EQ(client.greeting().code, 220);
  EXPECT_TRUE(client.login());
  EXPECT_EQ(client.cmd("PWD").code, 257);
}

// An Authorizer that blocks on "slow" until released: a database that hangs.
class SlowAuthorizer final : public cppftpd::Authorizer {
 public:
  explicit SlowAuthorizer(std::string home) : home_(std::move(home)) {}
  std::optional<cppftpd::Account> authenticate(std::string_view user, std::string_view) override {
    if (user == "slow") {
      std::unique_lock lock(mutex_);
      entered_ = true;
      changed_.notify_all();
      changed_.wait(lock, [&] { return released_; });
    }
    cppftpd::Account account;
    account.name = std::string(user);
    account.home = home_;
    return account;
  }
  bool has_perm(const cppftpd::Account&, char letter, const cppftpd::VirtualPath&) const override {
    return cppftpd::Permissions::kReadLetters.find(letter) != std::string_view::npos;
  }
  cppftpd::Permissions perms(const cppftpd::Account&, const cppftpd::VirtualPath&) const override {
    return *cppftpd::Permissions::parse("elr");
  }
  bool wait_entered() {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, kPollLimit, [&] { return entered_; });
  }
  void release() {
    std::lock_guard lock(mutex_);
    released_ = true;
    changed_.notify_all();
  }

 private:
  std::string home_;
  std::mutex mutex_;
  std::condition_variable changed_;
  bool entered_ = false;
  bool released_ = false;
};

TEST(SlowAuthorizer, OtherSessionsAreServedWhileALoginHangs) {
  TempDir dir;
  SlowAuthorizer authorizer(dir.path());
  cppftpd::ServerConfig config;
  config.listen = {"127.0.0.1", 0};
  config.handle_signals = false;
  config.threads = 1;  // one event loop: a blocking check would freeze everyone
  cppftpd::Server server(config, authorizer);
  server.start();

  ControlClient slow(server.port());
  EXPECT_EQ(slow.cmd("USER slow").code, 331);
  ASSERT_TRUE(slow.send("PASS x"));
  ASSERT_TRUE(authorizer.wait_entered());

  ControlClient fast(server.port());
  EXPECT_EQ(fast.greeting().code, 220);
  EXPECT_EQ(fast.cmd("USER fast").code, 331);
  EXPECT_EQ(fast.cmd("PASS y").code, 230);
  EXPECT_EQ(fast.cmd("NOOP").code, 200);
  EXPECT_FALSE(readable_now(slow.fd()));  // still waiting for its authorizer

  authorizer.release();
  EXPECT_EQ(slow.read_reply().code, 230);
  server.stop();
  server.wait();
}

// A local filesystem whose directory listings block until released: a big
// directory on a slow disk.
class Gate {
 public:
  void enter_and_wait() {
    std::unique_lock lock(mutex_);
    entered_ = true;
    changed_.notify_all();
    changed_.wait(lock, [&] { return released_; });
  }
  bool wait_entered() {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, kPollLimit, [&] { return entered_; });
  }
  void release() {
    std::lock_guard lock(mutex_);
    released_ = true;
    changed_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  bool entered_ = false;
  bool released_ = false;
};

// A tree that hands every call to another: the base of the trees below.
class ForwardingTree : public cppftpd::FileTree {
 public:
  explicit ForwardingTree(std::unique_ptr<cppftpd::FileTree> inner) : inner_(std::move(inner)) {}
  cppftpd::Result<cppftpd::FileInfo> stat(const cppftpd::VirtualPath& p) override {
    return inner_->stat(p);
  }
  cppftpd::Result<cppftpd::FileInfo> lstat(const cppftpd::VirtualPath& p) override {
    return inner_->lstat(p);
  }
  cppftpd::Result<std::vector<cppftpd::FileInfo>> list(const cppftpd::VirtualPath& p,
                                                       std::size_t max) override {
    return inner_->list(p, max);
  }
  cppftpd::Result<std::unique_ptr<cppftpd::FileReader>> open_read(const cppftpd::VirtualPath& p,
                                                                  std::uint64_t offset) override {
    return inner_->open_read(p, offset);
  }
  cppftpd::Result<std::unique_ptr<cppftpd::FileWriter>> open_write(const cppftpd::VirtualPath& p,
                                                                   cppftpd::WriteMode mode,
                                                                   std::uint64_t offset) override {
    return inner_->open_write(p, mode, offset);
  }
  cppftpd::Status make_directory(const cppftpd::VirtualPath& p) override {
    return inner_->make_directory(p);
  }
  cppftpd::Status remove_directory(const cppftpd::VirtualPath& p) override {
    return inner_->remove_directory(p);
  }
  cppftpd::Status remove_file(const cppftpd::VirtualPath& p) override {
    return inner_->remove_file(p);
  }
  cppftpd::Status rename(const cppftpd::VirtualPath& from,
                         const cppftpd::VirtualPath& to) override {
    return inner_->rename(from, to);
  }
  cppftpd::Status set_mode(const cppftpd::VirtualPath& p, std::uint32_t mode) override {
    return inner_->set_mode(p, mode);
  }
  cppftpd::Status set_mtime(const cppftpd::VirtualPath& p, std::time_t mtime) override {
    return inner_->set_mtime(p, mtime);
  }

 protected:
  std::unique_ptr<cppftpd::FileTree> inner_;
};

// The local disk, each tree wrapped by `wrap`.
class WrappingFilesystem final : public cppftpd::Filesystem {
 public:
  using Wrap =
      std::function<std::unique_ptr<cppftpd::FileTree>(std::unique_ptr<cppftpd::FileTree>)>;
  explicit WrappingFilesystem(Wrap wrap) : wrap_(std::move(wrap)) {}
  cppftpd::Result<std::unique_ptr<cppftpd::FileTree>> open_tree(const std::string& home) override {
    auto tree = inner_->open_tree(home);
    if (!tree) return tree.error();
    return wrap_(std::move(tree).value());
  }

 private:
  std::unique_ptr<cppftpd::Filesystem> inner_ = cppftpd::make_local_filesystem();
  Wrap wrap_;
};

// Listings block until released (FileTree::open_directory's default calls
// list()): a big directory on a slow disk.
class SlowListTree final : public ForwardingTree {
 public:
  SlowListTree(std::unique_ptr<cppftpd::FileTree> inner, Gate& gate)
      : ForwardingTree(std::move(inner)), gate_(gate) {}
  cppftpd::Result<std::vector<cppftpd::FileInfo>> list(const cppftpd::VirtualPath& p,
                                                       std::size_t max) override {
    gate_.enter_and_wait();
    return inner_->list(p, max);
  }

 private:
  Gate& gate_;
};

// Greeted and logged in as anonymous.
void log_in_anonymously(ControlClient& client, const char* password = "x") {
  ASSERT_EQ(client.greeting().code, 220);
  ASSERT_EQ(client.cmd("USER anonymous").code, 331);
  ASSERT_EQ(client.cmd(std::string("PASS ") + password).code, 230);
}

std::unique_ptr<cppftpd::Filesystem> slow_list_filesystem(Gate& gate) {
  return std::make_unique<WrappingFilesystem>([&gate](std::unique_ptr<cppftpd::FileTree> tree) {
    return std::make_unique<SlowListTree>(std::move(tree), gate);
  });
}

TEST(SlowListing, OtherSessionsAreServedWhileADirectoryIsRead) {
  TempDir dir;
  write_file(dir.path() + "/a.txt", "a");
  Gate gate;
  cppftpd::MemoryAuthorizer authorizer;
  authorizer.add_anonymous(dir.path());
  cppftpd::ServerConfig config;
  config.listen = {"127.0.0.1", 0};
  config.handle_signals = false;
  config.threads = 1;  // one event loop: a listing read on it would freeze everyone
  cppftpd::Server server(config, authorizer, slow_list_filesystem(gate), cppftpd::EventHooks{});
  server.start();

  ControlClient slow(server.port());
  ASSERT_NO_FATAL_FAILURE(log_in_anonymously(slow));
  Fd data = slow.open_pasv();
  ASSERT_TRUE(data);
  ASSERT_TRUE(slow.send("MLSD"));
  ASSERT_TRUE(gate.wait_entered());
  // Released on every path out, so a failure below cannot hang the server.
  struct Release {
    Gate& gate;
    ~Release() { gate.release(); }
  } release{gate};

  ControlClient fast(server.port());
  EXPECT_NO_FATAL_FAILURE(log_in_anonymously(fast, "y"));
  EXPECT_EQ(fast.cmd("NOOP").code, 200);
  EXPECT_EQ(fast.cmd("SIZE a.txt").code, 213);
  EXPECT_FALSE(readable_now(slow.fd()));  // still reading its directory

  gate.release();
  EXPECT_EQ(slow.read_reply().code, 150);
  bool clean = false;
  EXPECT_NE(recv_all(data.get(), &clean).find("a.txt"), std::string::npos);
  EXPECT_EQ(slow.read_reply().code, 226);
  server.stop();
  server.wait();
}

// A directory of `count` generated entries at "/huge", read on demand. Once
// `hold_at` entries were handed out, the next batch waits (at most
// kPollLimit, once) until the client has received part of the listing: a
// server that read the whole directory before sending would make it wait in
// vain.
class GeneratedDirectoryTree final : public ForwardingTree {
 public:
  struct Shared {
    std::size_t count = 0;
    std::size_t hold_at = 0;
    std::size_t largest_batch = 0;
    bool waited_in_vain = false;
    bool client_has_data = false;
    std::mutex mutex;
    std::condition_variable changed;
  };
  GeneratedDirectoryTree(std::unique_ptr<cppftpd::FileTree> inner, Shared& shared)
      : ForwardingTree(std::move(inner)), shared_(shared) {}

  cppftpd::Result<cppftpd::FileInfo> stat(const cppftpd::VirtualPath& p) override {
    if (p.str() != "/huge") return inner_->stat(p);
    cppftpd::FileInfo info;
    info.name = "huge";
    info.type = cppftpd::FileType::directory;
    return info;
  }
  cppftpd::Result<std::unique_ptr<cppftpd::DirectoryReader>> open_directory(
      const cppftpd::VirtualPath& p) override {
    if (p.str() != "/huge") return inner_->open_directory(p);
    return std::unique_ptr<cppftpd::DirectoryReader>(std::make_unique<Reader>(shared_));
  }

 private:
  class Reader final : public cppftpd::DirectoryReader {
   public:
    explicit Reader(Shared& shared) : shared_(shared) {}
    cppftpd::Result<std::vector<cppftpd::FileInfo>> next(std::size_t max) override {
      std::unique_lock lock(shared_.mutex);
      shared_.largest_batch = std::max(shared_.largest_batch, max);
      if (handed_out_ >= shared_.hold_at && !shared_.client_has_data && !shared_.waited_in_vain) {
        shared_.waited_in_vain =
            !shared_.changed.wait_for(lock, kPollLimit, [&] { return shared_.client_has_data; });
      }
      std::vector<cppftpd::FileInfo> batch;
      while (batch.size() < max && handed_out_ < shared_.count) {
        cppftpd::FileInfo info;
        info.name = "n" + std::to_string(handed_out_++);
        info.type = cppftpd::FileType::regular;
        batch.push_back(std::move(info));
      }
      return batch;
    }

   private:
    Shared& shared_;
    std::size_t handed_out_ = 0;
  };
  Shared& shared_;
};

TEST(StreamedListing, ABigDirectoryIsSentWhileItIsRead) {
  TempDir dir;
  GeneratedDirectoryTree::Shared shared;
  shared.count = 300'000;  // more than one listing was allowed to hold before
  shared.hold_at = 200'000;
  cppftpd::MemoryAuthorizer authorizer;
  authorizer.add_anonymous(dir.path());
  cppftpd::ServerConfig config;
  config.listen = {"127.0.0.1", 0};
  config.handle_signals = false;
  cppftpd::Server server(
      config, authorizer,
      std::make_unique<WrappingFilesystem>([&shared](std::unique_ptr<cppftpd::FileTree> tree) {
        return std::make_unique<GeneratedDirectoryTree>(std::move(tree), shared);
      }),
      cppftpd::EventHooks{});
  server.start();

  ControlClient client(server.port());
  ASSERT_NO_FATAL_FAILURE(log_in_anonymously(client));
  Fd data = client.open_pasv();
  ASSERT_TRUE(data);
  ASSERT_TRUE(client.send("NLST huge"));
  EXPECT_EQ(client.read_reply().code, 150);
  std::string listing(4096, '\0');
  const ssize_t first = ::recv(data.get(), listing.data(), listing.size(), 0);
  ASSERT_GT(first, 0);
  listing.resize(static_cast<std::size_t>(first));
  {
    const std::lock_guard lock(shared.mutex);
    shared.client_has_data = true;
  }
  shared.changed.notify_all();
  bool clean = false;
  listing += recv_all(data.get(), &clean);
  EXPECT_TRUE(clean);
  EXPECT_EQ(client.read_reply().code, 226);

  EXPECT_FALSE(shared.waited_in_vain) << "nothing was sent before the directory was read";
  EXPECT_LE(shared.largest_batch, 4096U);
  const auto names = split_lines(listing);
  ASSERT_EQ(names.size(), shared.count);
  EXPECT_EQ(names.front(), "n0");
  EXPECT_EQ(names.back(), "n299999");
  server.stop();
  server.wait();
}

// STAT <path> answers on the control connection, so its listing has a bound
// (kMaxListingEntries, 100,000); past it, a clear 550 and the session goes
// on.
TEST(StatListing, ADirectoryOverTheBoundIsAClear550) {
  cppftpd::MemoryFilesystem files;
  for (int i = 0; i <= 100'000; ++i) {
    ASSERT_FALSE(files.add_file("/big/f" + std::to_string(i), ""));
  }
  ASSERT_FALSE(files.add_file("/small/one", "1"));
  cppftpd::MemoryAuthorizer authorizer;
  authorizer.add_anonymous("/");
  cppftpd::ServerConfig config;
  config.listen = {"127.0.0.1", 0};
  config.handle_signals = false;
  cppftpd::Server server(config, authorizer, std::make_unique<cppftpd::MemoryFilesystem>(files),
                         cppftpd::EventHooks{});
  server.start();
  ControlClient client(server.port());
  ASSERT_NO_FATAL_FAILURE(log_in_anonymously(client));
  const Reply big = client.cmd("STAT big");
  EXPECT_EQ(big.code, 550);
  EXPECT_NE(big.text().find("use LIST"), std::string::npos) << big.text();
  const Reply small = client.cmd("STAT small");
  EXPECT_EQ(small.code, 213);
  EXPECT_TRUE(small.contains(" one\r\n")) << small.raw;
  EXPECT_EQ(client.cmd("NOOP").code, 200);
  server.stop();
  server.wait();
}

}  // namespace
}  // namespace ftptest
