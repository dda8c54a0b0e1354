#pragma once
// Shared helpers of the protocol tests (DESIGN.md principle 12): an
// in-process server over a fresh temporary directory, and raw-socket clients
// for the control and data connections. Every client socket has receive and
// send timeouts, so a broken server fails a test instead of hanging the run.
// Only loopback addresses are ever used.

#include <cppftpd/cppftpd.hpp>

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <memory>
#include <optional>
#include <ostream>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace ftptest {

using namespace std::chrono_literals;

/// How long any single read or write on a test socket may block.
inline constexpr int kIoTimeoutSeconds = 10;
/// Upper bound on any polling loop in the tests.
inline constexpr auto kPollLimit = std::chrono::seconds(10);

inline constexpr std::string_view kUser = "user";
inline constexpr std::string_view kPassword = "12345";

// ---------------------------------------------------------------------------
// Files

inline void write_file(const std::string& path, std::string_view content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
}

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline bool file_exists(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

/// A sparse file of `size` zero bytes: large without costing disk.
inline bool make_sparse_file(const std::string& path, std::size_t size) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return false;
  const bool ok = ::ftruncate(fd, static_cast<off_t>(size)) == 0;
  ::close(fd);
  return ok;
}

/// Every byte value, `repeat` times over: binary data that any conversion
/// (line ends, NUL, 0xFF) would change.
inline std::string all_bytes(std::size_t repeat = 4) {
  std::string out;
  for (std::size_t r = 0; r < repeat; ++r) {
    for (int b = 0; b < 256; ++b) out.push_back(static_cast<char>(b));
  }
  return out;
}

/// Entries of /proc/self/fd (the server runs in this process).
inline int count_open_fds() {
  DIR* dir = ::opendir("/proc/self/fd");
  if (dir == nullptr) return -1;
  int count = 0;
  while (::readdir(dir) != nullptr) ++count;
  ::closedir(dir);
  return count;
}

/// A fresh directory under /tmp, removed recursively on destruction.
class TempDir {
 public:
  TempDir() {
    std::string pattern = "/tmp/cppftpd-ptest-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// ---------------------------------------------------------------------------
// Sockets

/// An owned file descriptor.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() { reset(); }
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) {
      reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  explicit operator bool() const { return valid(); }
  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

inline void set_timeouts(int fd, int seconds = kIoTimeoutSeconds) {
  timeval tv{};
  tv.tv_sec = seconds;
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

inline sockaddr_in ipv4_address(const char* host, std::uint16_t port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  ::inet_pton(AF_INET, host, &address.sin_addr);
  return address;
}

/// A numeric IPv4 or IPv6 address and a port.
inline sockaddr_storage socket_address(const char* host, std::uint16_t port, socklen_t& length) {
  sockaddr_storage storage{};
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&storage);
  if (::inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    length = sizeof(sockaddr_in6);
    return storage;
  }
  const sockaddr_in v4 = ipv4_address(host, port);
  std::memcpy(&storage, &v4, sizeof v4);
  length = sizeof(sockaddr_in);
  return storage;
}

/// A TCP connection to host:port (loopback only: "127.0.0.1", "::1"),
/// optionally from a given local address (e.g. "127.0.0.2" to look like
/// another host). Invalid on failure.
inline Fd connect_tcp(std::uint16_t port, const char* host = "127.0.0.1",
                      const char* source = nullptr) {
  socklen_t remote_length = 0;
  const sockaddr_storage remote = socket_address(host, port, remote_length);
  Fd fd(::socket(remote.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return {};
  set_timeouts(fd.get());
  const int on = 1;
  ::setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
  if (source != nullptr) {
    socklen_t local_length = 0;
    const sockaddr_storage local = socket_address(source, 0, local_length);
    if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&local), local_length) != 0) return {};
  }
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&remote), remote_length) != 0) {
    return {};
  }
  return fd;
}

/// A listening socket on `host` (127.0.0.1 by default) and a kernel-chosen
/// port (for PORT/EPRT).
inline Fd listen_tcp(std::uint16_t& port, const char* host = "127.0.0.1") {
  socklen_t length = 0;
  sockaddr_storage local = socket_address(host, 0, length);
  Fd fd(::socket(local.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return {};
  set_timeouts(fd.get());
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&local), length) != 0) return {};
  if (::listen(fd.get(), 4) != 0) return {};
  ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&local), &length);
  port = local.ss_family == AF_INET6 ? ntohs(reinterpret_cast<sockaddr_in6*>(&local)->sin6_port)
                                     : ntohs(reinterpret_cast<sockaddr_in*>(&local)->sin_port);
  return fd;
}

/// Accepts one connection, waiting at most the I/O timeout.
inline Fd accept_tcp(int listener) {
  pollfd p{listener, POLLIN, 0};
  if (::poll(&p, 1, kIoTimeoutSeconds * 1000) != 1) return {};
  Fd fd(::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC));
  if (fd) set_timeouts(fd.get());
  return fd;
}

inline bool send_all(int fd, std::string_view data, int flags = 0) {
  while (!data.empty()) {
    const ssize_t sent = ::send(fd, data.data(), data.size(), flags | MSG_NOSIGNAL);
    if (sent < 0 && errno == EINTR) continue;
    if (sent <= 0) return false;
    data.remove_prefix(static_cast<std::size_t>(sent));
  }
  return true;
}

/// Everything until the peer closes. `clean_eof` tells whether it ended with
/// an orderly close (not a timeout or a reset).
inline std::string recv_all(int fd, bool* clean_eof = nullptr) {
  std::string out;
  std::vector<char> buffer(1 << 16);
  for (;;) {
    const ssize_t got = ::recv(fd, buffer.data(), buffer.size(), 0);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) {
      if (clean_eof != nullptr) *clean_eof = got == 0;
      return out;
    }
    out.append(buffer.data(), static_cast<std::size_t>(got));
  }
}

/// Waits for the peer to close `fd` (EOF or reset) within the I/O timeout;
/// bytes that arrive first are appended to `before` if given.
inline bool wait_closed(int fd, std::string* before = nullptr) {
  std::vector<char> buffer(1 << 16);
  for (;;) {
    const ssize_t got = ::recv(fd, buffer.data(), buffer.size(), 0);
    if (got < 0 && errno == EINTR) continue;
    if (got == 0) return true;
    if (got < 0) return errno == ECONNRESET || errno == EPIPE;
    if (before != nullptr) before->append(buffer.data(), static_cast<std::size_t>(got));
  }
}

/// Whether bytes (or a close) are waiting on `fd` right now.
inline bool readable_now(int fd) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, 0) == 1;
}

/// Polls `condition` every few milliseconds until it holds or kPollLimit
/// (or `limit`) passes. Returns its last value.
inline bool poll_until(const std::function<bool()>& condition,
                       std::chrono::milliseconds limit = kPollLimit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  for (;;) {
    if (condition()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(5ms);
  }
}

// ---------------------------------------------------------------------------
// Replies

/// One reply (RFC 959 4.2). code 0: the connection closed or timed out
/// before a whole reply came; -1: the first line was not "ddd " / "ddd-".
struct Reply {
  int code = 0;
  std::vector<std::string> lines;  ///< each line without its CRLF
  std::string raw;                 ///< the exact bytes received
  bool crlf = true;                ///< every line ended in CRLF

  /// Text of the first line after "ddd " or "ddd-".
  std::string text() const { return lines.empty() || lines[0].size() < 4 ? "" : lines[0].substr(4); }
  /// Lines between the first and the last (multi-line replies).
  std::vector<std::string> body() const {
    if (lines.size() < 3) return {};
    return {lines.begin() + 1, lines.end() - 1};
  }
  bool contains(std::string_view needle) const { return raw.find(needle) != std::string::npos; }
};

inline std::ostream& operator<<(std::ostream& out, const Reply& reply) {
  return out << "Reply{" << reply.code << ", \"" << reply.raw << "\"}";
}

inline int reply_code_of(std::string_view line, char& separator) {
  if (line.size() < 4) return -1;
  int code = 0;
  for (std::size_t i = 0; i < 3; ++i) {
    if (line[i] < '0' || line[i] > '9') return -1;
    code = code * 10 + (line[i] - '0');
  }
  separator = line[3];
  if (separator != ' ' && separator != '-') return -1;
  return code;
}

/// The port of "227 Entering Passive Mode (h1,h2,h3,h4,p1,p2)." (RFC 959
/// 4.1.2), and the address in `host`; 0 if it does not parse.
inline std::uint16_t parse_pasv(const Reply& reply, std::string* host = nullptr) {
  const auto text = reply.text();
  const auto open = text.find('(');
  const auto close = text.find(')', open);
  if (open == std::string::npos || close == std::string::npos) return 0;
  std::vector<unsigned> fields;
  std::string_view rest(text.data() + open + 1, close - open - 1);
  while (!rest.empty()) {
    const auto comma = rest.find(',');
    const auto field = rest.substr(0, comma);
    unsigned value = 0;
    const auto [end, error] = std::from_chars(field.data(), field.data() + field.size(), value);
    if (error != std::errc() || end != field.data() + field.size() || value > 255) return 0;
    fields.push_back(value);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
  }
  if (fields.size() != 6) return 0;
  if (host != nullptr) {
    *host = std::to_string(fields[0]) + "." + std::to_string(fields[1]) + "." +
            std::to_string(fields[2]) + "." + std::to_string(fields[3]);
  }
  return static_cast<std::uint16_t>(fields[4] * 256 + fields[5]);
}

/// The port of "229 Entering Extended Passive Mode (|||port|)" (RFC 2428 3);
/// 0 if it does not parse.
inline std::uint16_t parse_epsv(const Reply& reply) {
  const auto text = reply.text();
  const auto open = text.find("(|||");
  const auto close = text.find("|)", open);
  if (open == std::string::npos || close == std::string::npos) return 0;
  const std::string_view digits(text.data() + open + 4, close - open - 4);
  unsigned value = 0;
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (error != std::errc() || end != digits.data() + digits.size() || value == 0 || value > 65535) {
    return 0;
  }
  return static_cast<std::uint16_t>(value);
}

// ---------------------------------------------------------------------------
// The control connection

class ControlClient {
 public:
  /// Connects to `host` (optionally from `source`) and reads the greeting.
  explicit ControlClient(std::uint16_t port, const char* source = nullptr,
                         const char* host = "127.0.0.1")
      : port_(port), host_(host), fd_(connect_tcp(port, host, source)) {
    if (fd_) greeting_ = read_reply();
  }

  bool connected() const { return fd_.valid(); }
  int fd() const { return fd_.get(); }
  const Reply& greeting() const { return greeting_; }
  std::uint16_t server_port() const { return port_; }

  /// Sends bytes as they are (no CRLF added).
  bool send_raw(std::string_view bytes, int flags = 0) { return send_all(fd_.get(), bytes, flags); }
  /// Sends one command line, CRLF added.
  bool send(std::string_view line) {
    std::string out(line);
    out += "\r\n";
    return send_raw(out);
  }
  /// Sends a command and reads its reply.
  Reply cmd(std::string_view line) {
    send(line);
    return read_reply();
  }

  /// Reads one reply, multi-line ones included (RFC 959 4.2: "ddd-" starts
  /// it and the first line beginning "ddd " with the same code ends it).
  Reply read_reply() {
    Reply reply;
    std::string line;
    bool crlf = true;
    if (!read_line(line, crlf, reply.raw)) return reply;
    reply.crlf = crlf;
    reply.lines.push_back(line);
    char separator = 0;
    const int code = reply_code_of(line, separator);
    if (code < 0) {
      reply.code = -1;
      return reply;
    }
    if (separator == '-') {
      const std::string end = line.substr(0, 3) + " ";
      for (;;) {
        if (!read_line(line, crlf, reply.raw)) return reply;  // code stays 0
        reply.crlf = reply.crlf && crlf;
        reply.lines.push_back(line);
        if (line.compare(0, 4, end) == 0) break;
      }
    }
    reply.code = code;
    return reply;
  }

  /// USER + PASS; true if the server answered 331 and 230.
  bool login(std::string_view user = kUser, std::string_view password = kPassword) {
    const Reply user_reply = cmd("USER " + std::string(user));
    const Reply pass_reply = cmd("PASS " + std::string(password));
    EXPECT_EQ(user_reply.code, 331) << user_reply;
    EXPECT_EQ(pass_reply.code, 230) << pass_reply;
    return user_reply.code == 331 && pass_reply.code == 230;
  }

  /// PASV and a connection to the port it names. Invalid on failure.
  Fd open_pasv() {
    last_ = cmd("PASV");
    EXPECT_EQ(last_.code, 227) << last_;
    std::string host;
    const auto port = parse_pasv(last_, &host);
    if (last_.code != 227 || port == 0) return {};
    EXPECT_EQ(host, host_);
    return connect_tcp(port, host_.c_str());
  }

  /// EPSV and a connection to the port it names. Invalid on failure.
  Fd open_epsv() {
    last_ = cmd("EPSV");
    EXPECT_EQ(last_.code, 229) << last_;
    const auto port = parse_epsv(last_);
    if (last_.code != 229 || port == 0) return {};
    return connect_tcp(port, host_.c_str());
  }

  /// The reply to the last PASV/EPSV of open_pasv()/open_epsv().
  const Reply& last_passive_reply() const { return last_; }

  /// Waits for the server to close the control connection; replies that
  /// arrive first go to `before`.
  bool wait_closed(std::string* before = nullptr) {
    std::string rest = std::exchange(buffer_, {});
    const bool closed = ftptest::wait_closed(fd_.get(), &rest);
    if (before != nullptr) *before = rest;
    return closed;
  }

  /// Whether reply bytes are waiting (already buffered or on the socket).
  bool reply_pending() const { return !buffer_.empty() || readable_now(fd_.get()); }

  void close() { fd_.reset(); }

 private:
  bool read_line(std::string& line, bool& crlf, std::string& raw) {
    for (;;) {
      const auto newline = buffer_.find('\n');
      if (newline != std::string::npos) {
        raw.append(buffer_, 0, newline + 1);
        line = buffer_.substr(0, newline);
        buffer_.erase(0, newline + 1);
        crlf = !line.empty() && line.back() == '\r';
        if (crlf) line.pop_back();
        return true;
      }
      if (buffer_.size() > (1U << 20)) return false;  // no line end in 1 MiB: give up
      char chunk[4096];
      const ssize_t got = ::recv(fd_.get(), chunk, sizeof chunk, 0);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) return false;
      buffer_.append(chunk, static_cast<std::size_t>(got));
    }
  }

  std::uint16_t port_;
  std::string host_;
  Fd fd_;
  Reply greeting_;
  Reply last_;
  std::string buffer_;
};

// ---------------------------------------------------------------------------
// Transfers over a passive data connection

struct Transfer {
  Reply preliminary;   ///< 150 (or the error that replaced it)
  std::string data;    ///< what came over the data connection
  bool clean_eof = false;
  Reply completion;    ///< 226 (or 4xx/5xx)
};

inline std::ostream& operator<<(std::ostream& out, const Transfer& t) {
  return out << "Transfer{" << t.preliminary << ", " << t.data.size() << " bytes, " << t.completion
             << "}";
}

/// PASV (or EPSV), connect, send `command`, read all data, read the final reply.
inline Transfer download(ControlClient& client, std::string_view command, bool extended = false) {
  Transfer result;
  Fd data = extended ? client.open_epsv() : client.open_pasv();
  if (!data) return result;
  result.preliminary = client.cmd(command);
  if (result.preliminary.code < 100 || result.preliminary.code >= 200) return result;
  result.data = recv_all(data.get(), &result.clean_eof);
  result.completion = client.read_reply();
  return result;
}

/// PASV, connect, send `command`, send `content` and close, read the final reply.
inline Transfer upload(ControlClient& client, std::string_view command, std::string_view content) {
  Transfer result;
  Fd data = client.open_pasv();
  if (!data) return result;
  result.preliminary = client.cmd(command);
  if (result.preliminary.code < 100 || result.preliminary.code >= 200) return result;
  EXPECT_TRUE(send_all(data.get(), content));
  data.reset();
  result.completion = client.read_reply();
  return result;
}

/// Splits a data-connection listing into its CRLF-terminated lines; a line
/// not ending in CRLF fails the current test.
inline std::vector<std::string> split_lines(std::string_view text) {
  std::vector<std::string> lines;
  while (!text.empty()) {
    const auto end = text.find("\r\n");
    if (end == std::string_view::npos) {
      ADD_FAILURE() << "listing line without CRLF: \"" << text << "\"";
      lines.emplace_back(text);
      break;
    }
    lines.emplace_back(text.substr(0, end));
    text.remove_prefix(end + 2);
  }
  return lines;
}

// ---------------------------------------------------------------------------
// The server

using Configure = std::function<void(cppftpd::ServerConfig&)>;
/// Adds accounts before the server starts; gets the authorizer and root().
using AddUsers = std::function<void(cppftpd::MemoryAuthorizer&, const std::string&)>;

/// A running in-process server. Layout of its temporary directory:
///   <tmp>/home      the users' "/" (root())
///   <tmp>/outside   next to it, never reachable from a session
/// Accounts: "user"/"12345" with every permission; anonymous read-only
/// ("elr"), both with home root().
class TestServer {
 public:
  explicit TestServer(const Configure& configure = {}, const AddUsers& add_users = {},
                      cppftpd::EventHooks hooks = {}) {
    home_ = tmp_.path() + "/home";
    outside_ = tmp_.path() + "/outside";
    std::filesystem::create_directories(home_);
    std::filesystem::create_directories(outside_);
    write_file(outside_ + "/secret.txt", "secret outside the root\n");
    authorizer_.add_user(std::string(kUser), std::string(kPassword), home_, "elradfmwMT");
    authorizer_.add_anonymous(home_);
    if (add_users) add_users(authorizer_, home_);

    cppftpd::ServerConfig config;
    config.listen = {"127.0.0.1", 0};
    config.handle_signals = false;
    config.threads = 2;
    config.failed_login_delay = 200ms;
    config.idle_timeout = 60s;
    config.data_timeout = 30s;
    config.data_connect_timeout = 10s;
    config.shutdown_grace = 2s;
    if (configure) configure(config);
    server_ = std::make_unique<cppftpd::Server>(config, authorizer_, std::move(hooks));
    server_->start();
  }
  ~TestServer() { stop(); }
  TestServer(const TestServer&) = delete;
  TestServer& operator=(const TestServer&) = delete;

  /// Stops the server and waits for its threads (idempotent).
  void stop() {
    if (stopped_) return;
    stopped_ = true;
    server_->stop();
    server_->wait();
  }

  std::uint16_t port() const { return server_->port(); }
  const std::string& root() const { return home_; }
  const std::string& outside() const { return outside_; }
  /// The real path of `relative` under the root.
  std::string path(std::string_view relative) const { return home_ + "/" + std::string(relative); }
  cppftpd::MemoryAuthorizer& authorizer() { return authorizer_; }

  ControlClient connect(const char* source = nullptr, const char* host = "127.0.0.1") const {
    return ControlClient(port(), source, host);
  }

 private:
  TempDir tmp_;
  std::string home_;
  std::string outside_;
  cppftpd::MemoryAuthorizer authorizer_;
  std::unique_ptr<cppftpd::Server> server_;
  bool stopped_ = false;
};

/// The fixture of most tests: a default server, and sessions on it.
class FtpTest : public ::testing::Test {
 protected:
  void SetUp() override { server_ = std::make_unique<TestServer>(); }
  void TearDown() override { server_.reset(); }

  TestServer& server() { return *server_; }
  std::string path(std::string_view relative) const { return server_->path(relative); }

  /// A session logged in as "user" (every permission).
  ControlClient user_session() {
    ControlClient client = server_->connect();
    EXPECT_EQ(client.greeting().code, 220) << client.greeting();
    client.login();
    return client;
  }
  /// A session logged in anonymously (read-only).
  ControlClient anonymous_session() {
    ControlClient client = server_->connect();
    EXPECT_EQ(client.greeting().code, 220) << client.greeting();
    client.login("anonymous", "guest@example.com");
    return client;
  }

  std::unique_ptr<TestServer> server_;
};

}  // namespace ftptest
