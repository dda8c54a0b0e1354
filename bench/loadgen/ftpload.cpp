// ftpload: the load generator of cppftpd's benchmark harness (bench/run). Not part of the tests.
//
// Every mode prints one JSON line per result on standard output; every loop is bounded in
// count and in time; all traffic goes to the --host given (the harness: 127.0.0.1).
//
//   ftpload get   --port P --user U --pass W --path FILE --expect BYTES [--tls]
//       one session, one RETR of FILE, read into a 1 MiB buffer and dropped (as curl -o
//       /dev/null does). Reports MiB/s from the RETR command to the 226, and the client's own
//       CPU seconds (to show whether the client was the bottleneck).
//   ftpload put   --port P --user U --pass W --path NAME --source FILE --bytes N [--tls]
//       one session, one STOR of N bytes of FILE (plain: sendfile(2) from the page cache, so
//       the client copies nothing; TLS: SSL_write from a 1 MiB buffer). MiB/s to the 226.
//   ftpload swarm --port P --user U --pass W --clients N [--inflight K] [--phase-limit S]
//                 [--login-limit S]
//       N sessions, connected and logged in at once (at most K connecting at a time; default
//       all), within --login-limit seconds (default: the phase limit); then reads commands from standard input, one a line, each run by every live
//       session at once, and prints one JSON line per command:
//         retr FILE BYTES        PASV + RETR FILE, read to EOF, 226
//         stor PREFIX BYTES SRC  PASV + STOR PREFIX-<i> with BYTES of SRC (sendfile), 226
//         noop                   NOOP: how many sessions are still alive
//         login1 K               K new clients one after another: connect, USER/PASS, 230,
//                                QUIT (the time to the 230 of each: is the server still
//                                serving promptly while it holds the swarm?)
//         quit                   QUIT, 221 and the server's close, all at once
//         exit                   close everything and exit
//       A session that fails in a phase is closed and left out of later phases.
//   ftpload probe
//       no server: what this machine charges for fork()+exit+waitpid() and a first-touch page
//       fault, the two costs that separate forking servers from event-loop ones.
//
// The TLS modes speak explicit FTPS (AUTH TLS, PBSZ 0, PROT P) and resume the control
// connection's TLS session on the data connection, as servers that check session reuse
// (cppftpd, vsftpd's require_ssl_reuse) demand.

#include <asio.hpp>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <csignal>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

namespace {

using asio::awaitable;
using asio::use_awaitable;
using asio::ip::tcp;
using Clock = std::chrono::steady_clock;

struct Options {
  std::string mode;
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
  std::string user = "anonymous";
  std::string pass = "bench@example.com";
  std::string path;
  std::string source;
  std::size_t bytes = 0;
  std::size_t expect = 0;
  bool tls = false;
  int clients = 1;
  int inflight = 0;  // 0: all at once
  double phase_limit = 120.0;
  double login_limit = 0;  // 0: the phase limit
  double io_timeout = 60.0;
};

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

double cpu_seconds() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

std::string json_escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) < 0x20) continue;
    out += c;
  }
  return out;
}

std::optional<std::uint16_t> parse_pasv_port(const std::string& text) {
  const auto open = text.find('(');
  std::size_t start = open != std::string::npos ? open + 1 : text.find_first_of("0123456789", 4);
  if (start == std::string::npos) return std::nullopt;
  unsigned numbers[6];
  int found = 0;
  const char* p = text.data() + start;
  const char* end = text.data() + text.size();
  while (found < 6 && p < end) {
    auto [next, ec] = std::from_chars(p, end, numbers[found]);
    if (ec != std::errc()) return std::nullopt;
    ++found;
    p = next;
    if (p < end && *p == ',') ++p;
  }
  if (found != 6 || numbers[4] > 255 || numbers[5] > 255) return std::nullopt;
  return static_cast<std::uint16_t>(numbers[4] * 256 + numbers[5]);
}

bool is_code(std::string_view line) {
  return line.size() >= 3 && line[0] >= '1' && line[0] <= '5' && line[1] >= '0' &&
         line[1] <= '9' && line[2] >= '0' && line[2] <= '9';
}

struct Failure {
  std::string kind;
};

// ============================================================================================
// Single stream (get, put): blocking sockets, optionally TLS. One session: nothing to gain
// from an event loop, and the data path is as short as it can be.
// ============================================================================================

class BlockingFtp {
 public:
  explicit BlockingFtp(const Options& o) : o_(o) {}
  ~BlockingFtp() {
    if (data_ssl_) SSL_free(data_ssl_);
    if (ssl_) SSL_free(ssl_);
    if (session_) SSL_SESSION_free(session_);
    if (ctx_) SSL_CTX_free(ctx_);
    if (data_ >= 0) ::close(data_);
    if (control_ >= 0) ::close(control_);
  }

  void open() {
    control_ = connect_to(o_.port);
    expect(read_reply(), 220, "greeting");
    if (o_.tls) {
      ctx_ = SSL_CTX_new(TLS_client_method());
      SSL_CTX_set_session_cache_mode(ctx_, SSL_SESS_CACHE_CLIENT);
      send("AUTH TLS");
      expect(read_reply(), 234, "AUTH TLS");
      ssl_ = SSL_new(ctx_);
      SSL_set_fd(ssl_, control_);
      if (SSL_connect(ssl_) != 1) throw Failure{"control TLS handshake: " + ssl_error()};
    }
    send("USER " + o_.user);
    Reply r = read_reply();
    if (r.code == 331) {
      send("PASS " + o_.pass);
      r = read_reply();
    }
    expect(r, 230, "login");
    if (o_.tls) {
      send("PBSZ 0");
      expect(read_reply(), 200, "PBSZ");
      send("PROT P");
      expect(read_reply(), 200, "PROT");
      // TLS 1.3 tickets arrive after the handshake; they have been read with the replies.
      session_ = SSL_get1_session(ssl_);
    }
    send("TYPE I");
    expect(read_reply(), 200, "TYPE");
  }

  // Opens the data connection and sends `command`; returns once the data channel is ready.
  void start_transfer(const std::string& command) {
    send("PASV");
    Reply pasv = read_reply();
    expect(pasv, 227, "PASV");
    auto port = parse_pasv_port(pasv.text);
    if (!port) throw Failure{"malformed 227"};
    data_ = connect_to(*port);
    send(command);
    if (o_.tls) {
      // The handshake may come before or after the 150: start it now, read the 150 after.
      data_ssl_ = SSL_new(ctx_);
      SSL_set_fd(data_ssl_, data_);
      if (session_) SSL_set_session(data_ssl_, session_);
      if (SSL_connect(data_ssl_) != 1) throw Failure{"data TLS handshake: " + ssl_error()};
    }
    Reply mark = read_reply();
    if (mark.text[0] != '1') throw Failure{"reply " + std::to_string(mark.code) + " to " + command.substr(0, 4)};
  }

  std::size_t retr(const std::string& path) {
    start_transfer("RETR " + path);
    static std::vector<char> sink(1 << 20);
    std::size_t total = 0;
    for (;;) {
      ssize_t n;
      if (data_ssl_) {
        n = SSL_read(data_ssl_, sink.data(), static_cast<int>(sink.size()));
        if (n <= 0) break;  // close_notify or EOF
      } else {
        n = ::recv(data_, sink.data(), sink.size(), 0);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw Failure{std::string("data recv: ") + std::strerror(errno)};
        if (n == 0) break;
      }
      total += static_cast<std::size_t>(n);
    }
    close_data();
    Reply done = read_reply();
    if (done.text[0] != '2') throw Failure{"reply " + std::to_string(done.code) + " after RETR"};
    return total;
  }

  void stor(const std::string& path, const std::string& source, std::size_t bytes) {
    const int fd = ::open(source.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw Failure{"cannot open " + source};
    start_transfer("STOR " + path);
    off_t offset = 0;
    std::size_t left = bytes;
    if (data_ssl_) {
      static std::vector<char> buffer(1 << 20);
      while (left > 0) {
        const ssize_t n = ::pread(fd, buffer.data(), std::min(left, buffer.size()), offset);
        if (n <= 0) throw Failure{"short source file"};
        int sent = SSL_write(data_ssl_, buffer.data(), static_cast<int>(n));
        if (sent != n) throw Failure{"data SSL_write: " + ssl_error()};
        offset += n;
        left -= static_cast<std::size_t>(n);
      }
    } else {
      while (left > 0) {
        const ssize_t n = ::sendfile(data_, fd, &offset, std::min<std::size_t>(left, 1 << 30));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) throw Failure{std::string("data sendfile: ") + std::strerror(errno)};
        left -= static_cast<std::size_t>(n);
      }
    }
    ::close(fd);
    close_data();
    Reply done = read_reply();
    if (done.text[0] != '2') throw Failure{"reply " + std::to_string(done.code) + " after STOR"};
  }

  void quit() {
    send("QUIT");
    read_reply();
  }

 private:
  struct Reply {
    int code = 0;
    std::string text;
  };

  static std::string ssl_error() {
    char buffer[256];
    ERR_error_string_n(ERR_get_error(), buffer, sizeof buffer);
    return buffer;
  }

  int connect_to(std::uint16_t port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    ::inet_pton(AF_INET, o_.host.c_str(), &addr.sin_addr);
    timeval tv{static_cast<time_t>(o_.io_timeout), 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      const std::string why = std::strerror(errno);
      ::close(fd);
      throw Failure{"connect: " + why};
    }
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
  }

  void close_data() {
    if (data_ssl_) {
      // Our close_notify, then whatever the server still sends up to its own close (session
      // tickets, its close_notify): closing with unread data would turn the close into a
      // reset, which servers report as a failed transfer (vsftpd: 426).
      SSL_shutdown(data_ssl_);
      char sink[16384];
      for (int i = 0; i < 1000 && SSL_read(data_ssl_, sink, sizeof sink) > 0; ++i) {
      }
      SSL_free(data_ssl_);
      data_ssl_ = nullptr;
    }
    ::close(data_);
    data_ = -1;
  }

  void send(const std::string& line) {
    const std::string out = line + "\r\n";
    if (ssl_) {
      if (SSL_write(ssl_, out.data(), static_cast<int>(out.size())) <= 0) throw Failure{"control SSL_write"};
    } else if (::send(control_, out.data(), out.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(out.size())) {
      throw Failure{"control send"};
    }
  }

  std::string read_line() {
    for (;;) {
      const auto nl = pending_.find('\n');
      if (nl != std::string::npos) {
        std::string line = pending_.substr(0, nl);
        pending_.erase(0, nl + 1);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        return line;
      }
      if (pending_.size() > 65536) throw Failure{"reply line too long"};
      char chunk[4096];
      ssize_t n = ssl_ ? SSL_read(ssl_, chunk, sizeof chunk) : ::recv(control_, chunk, sizeof chunk, 0);
      if (n <= 0) throw Failure{"control closed or timed out"};
      pending_.append(chunk, static_cast<std::size_t>(n));
    }
  }

  Reply read_reply() {
    std::string first = read_line();
    if (!is_code(first)) throw Failure{"malformed reply: " + first.substr(0, 40)};
    Reply r{std::stoi(first.substr(0, 3)), first};
    if (first.size() > 3 && first[3] == '-') {
      const std::string end = first.substr(0, 3) + " ";
      for (int i = 0; i < 10000; ++i) {
        if (read_line().compare(0, 4, end) == 0) return r;
      }
      throw Failure{"reply too long"};
    }
    return r;
  }

  static void expect(const Reply& r, int code, const char* what) {
    if (r.code != code) throw Failure{"reply " + std::to_string(r.code) + " to " + what};
  }

  const Options& o_;
  int control_ = -1;
  int data_ = -1;
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  SSL* data_ssl_ = nullptr;
  SSL_SESSION* session_ = nullptr;
  std::string pending_;
};

int single_stream(const Options& o) {
  const double cpu0 = cpu_seconds();
  std::string error;
  double seconds = 0;
  std::size_t bytes = 0;
  try {
    BlockingFtp ftp(o);
    ftp.open();
    const auto start = Clock::now();
    if (o.mode == "get") {
      bytes = ftp.retr(o.path);
      seconds = seconds_since(start);
      if (o.expect && bytes != o.expect) error = "short RETR (" + std::to_string(bytes) + " bytes)";
    } else {
      ftp.stor(o.path, o.source, o.bytes);
      seconds = seconds_since(start);
      bytes = o.bytes;
    }
    ftp.quit();
  } catch (const Failure& f) {
    error = f.kind;
  }
  const double cpu = cpu_seconds() - cpu0;
  std::printf("{\"mode\":\"%s\",\"tls\":%s,\"ok\":%s,\"bytes\":%zu,\"seconds\":%.4f,\"mib_s\":%.1f,"
              "\"client_cpu_s\":%.3f,\"error\":\"%s\"}\n",
              o.mode.c_str(), o.tls ? "true" : "false", error.empty() ? "true" : "false", bytes,
              seconds, seconds > 0 ? static_cast<double>(bytes) / (1 << 20) / seconds : 0.0, cpu,
              json_escape(error).c_str());
  return 0;
}

// ============================================================================================
// Swarm: many sessions on one thread, one coroutine each.
// ============================================================================================

// Shared by every data read of the swarm: one thread, the data is dropped.
char g_sink[1 << 20];

struct Session {
  explicit Session(asio::io_context& io) : control(io), data(io) {}
  tcp::socket control;
  tcp::socket data;
  std::string pending;
  bool alive = false;
};

class SwarmClient {
 public:
  SwarmClient(Session& s, const Options& o) : s_(s), o_(o) {}

  awaitable<std::string> read_line() {
    for (;;) {
      const auto nl = s_.pending.find('\n');
      if (nl != std::string::npos) {
        std::string line = s_.pending.substr(0, nl);
        s_.pending.erase(0, nl + 1);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        co_return line;
      }
      if (s_.pending.size() > 65536) throw Failure{"reply line too long"};
      char chunk[1024];
      asio::error_code ec;
      const std::size_t n = co_await s_.control.async_read_some(
          asio::buffer(chunk), asio::redirect_error(use_awaitable, ec));
      if (ec == asio::error::eof) throw Failure{"control closed by server"};
      if (ec) throw Failure{"control read: " + ec.message()};
      s_.pending.append(chunk, n);
    }
  }

  awaitable<int> read_reply(std::string* text = nullptr) {
    std::string first = co_await read_line();
    if (!is_code(first)) throw Failure{"malformed reply"};
    const int code = std::stoi(first.substr(0, 3));
    if (first.size() > 3 && first[3] == '-') {
      const std::string end = first.substr(0, 3) + " ";
      for (int i = 0;; ++i) {
        if (i > 10000) throw Failure{"reply too long"};
        std::string line = co_await read_line();
        if (line.compare(0, 4, end) == 0) break;
      }
    }
    if (text) *text = std::move(first);
    co_return code;
  }

  awaitable<void> send(std::string line) {
    line += "\r\n";
    co_await asio::async_write(s_.control, asio::buffer(line), use_awaitable);
  }

  awaitable<void> expect(std::string line, const char* what, int want) {
    co_await send(std::move(line));
    const int code = co_await read_reply();
    if (code != want) throw Failure{"reply " + std::to_string(code) + " to " + what};
  }

  awaitable<void> connect_login() {
    tcp::endpoint endpoint(asio::ip::make_address(o_.host), o_.port);
    try {
      co_await s_.control.async_connect(endpoint, use_awaitable);
    } catch (const asio::system_error& e) {
      throw Failure{"connect: " + e.code().message()};
    }
    s_.control.set_option(tcp::no_delay(true));
    int code = co_await read_reply();
    if (code != 220) throw Failure{"reply " + std::to_string(code) + " to greeting"};
    co_await send("USER " + o_.user);
    code = co_await read_reply();
    if (code == 331) {
      co_await send("PASS " + o_.pass);
      code = co_await read_reply();
    }
    if (code != 230) throw Failure{"reply " + std::to_string(code) + " to login"};
  }

  // TYPE I, PASV, data connect (the session's data socket), command, 1xx.
  awaitable<void> open_data(const std::string& command) {
    co_await expect("TYPE I", "TYPE", 200);
    co_await send("PASV");
    std::string text;
    const int code = co_await read_reply(&text);
    if (code != 227) throw Failure{"reply " + std::to_string(code) + " to PASV"};
    const auto port = parse_pasv_port(text);
    if (!port) throw Failure{"malformed 227"};
    tcp::socket& data = s_.data;
    asio::error_code ignored;
    data.close(ignored);
    try {
      co_await data.async_connect(tcp::endpoint(asio::ip::make_address(o_.host), *port),
                                  use_awaitable);
    } catch (const asio::system_error& e) {
      throw Failure{"data connect: " + e.code().message()};
    }
    co_await send(command);
    const int mark = co_await read_reply();
    if (mark / 100 != 1) throw Failure{"reply " + std::to_string(mark) + " to " + command.substr(0, 4)};
  }

  awaitable<void> retr(const std::string& path, std::size_t expect_bytes) {
    co_await open_data("RETR " + path);
    tcp::socket& data = s_.data;
    std::size_t total = 0;
    for (;;) {
      asio::error_code ec;
      const std::size_t n = co_await data.async_read_some(asio::buffer(g_sink),
                                                          asio::redirect_error(use_awaitable, ec));
      total += n;
      if (ec == asio::error::eof) break;
      if (ec) throw Failure{"data read: " + ec.message()};
    }
    data.close();
    const int code = co_await read_reply();
    if (code / 100 != 2) throw Failure{"reply " + std::to_string(code) + " after RETR"};
    if (expect_bytes && total != expect_bytes) throw Failure{"short RETR"};
  }

  awaitable<void> stor(const std::string& name, std::size_t bytes, int source_fd) {
    co_await open_data("STOR " + name);
    tcp::socket& data = s_.data;
    data.non_blocking(true);
    off_t offset = 0;
    std::size_t left = bytes;
    while (left > 0) {
      const ssize_t n = ::sendfile(data.native_handle(), source_fd, &offset, left);
      if (n > 0) {
        left -= static_cast<std::size_t>(n);
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        co_await data.async_wait(tcp::socket::wait_write, use_awaitable);
        continue;
      }
      throw Failure{std::string("data sendfile: ") + (n == 0 ? "short source" : std::strerror(errno))};
    }
    data.close();
    const int code = co_await read_reply();
    if (code / 100 != 2) throw Failure{"reply " + std::to_string(code) + " after STOR"};
  }

  awaitable<void> quit() {
    co_await expect("QUIT", "QUIT", 221);
    // The server's close ends the session: wait for it.
    for (;;) {
      asio::error_code ec;
      char sink[256];
      co_await s_.control.async_read_some(asio::buffer(sink), asio::redirect_error(use_awaitable, ec));
      if (ec) break;
    }
  }

 private:
  Session& s_;
  const Options& o_;
};

struct PhaseStats {
  long ok = 0;
  long failed = 0;
  std::map<std::string, long> errors;
  std::vector<double> latencies_ms;
  void fail(const std::string& kind) {
    ++failed;
    ++errors[kind];
  }
};

std::string errors_json(const PhaseStats& st) {
  std::string out;
  for (const auto& [kind, n] : st.errors) {
    if (!out.empty()) out += ",";
    out += "\"" + json_escape(kind) + "\":" + std::to_string(n);
  }
  return "{" + out + "}";
}

class Swarm {
 public:
  explicit Swarm(const Options& o) : o_(o) {
    sessions_.reserve(static_cast<std::size_t>(o.clients));
    for (int i = 0; i < o.clients; ++i) sessions_.push_back(std::make_unique<Session>(io_));
  }

  // Runs `body(i)` for every session selected, at most `inflight` at a time, within the phase
  // limit; a session whose body fails (or that the limit cuts) is closed and marked dead.
  template <typename Body>
  PhaseStats run_phase(const std::vector<std::size_t>& who, int inflight, Body body,
                       double seconds = 0) {
    PhaseStats st;
    std::size_t next = 0;
    std::size_t running = 0;
    bool expired = false;
    // Sessions of this phase still in their body: the only ones the limit cuts.
    std::vector<char> busy(sessions_.size(), 0);
    asio::steady_timer limit(io_);
    limit.expires_after(std::chrono::milliseconds(
        static_cast<long>((seconds > 0 ? seconds : o_.phase_limit) * 1000)));
    limit.async_wait([&](const asio::error_code& ec) {
      if (ec) return;
      expired = true;
      for (std::size_t i : who) {
        if (!busy[i]) continue;
        asio::error_code ignored;
        sessions_[i]->control.close(ignored);
        sessions_[i]->data.close(ignored);
      }
    });
    auto worker = [&]() -> awaitable<void> {
      while (next < who.size()) {
        const std::size_t i = who[next++];
        if (expired) {  // never started: the phase is over
          st.fail("not started (phase limit)");
          sessions_[i]->alive = false;
          continue;
        }
        busy[i] = 1;
        Session& s = *sessions_[i];
        const auto start = Clock::now();
        std::string error;
        try {
          co_await body(i, s);
        } catch (const Failure& f) {
          error = f.kind;
        } catch (const asio::system_error& e) {
          error = e.code().message();
        } catch (const std::exception& e) {
          error = e.what();
        }
        busy[i] = 0;
        if (expired && !error.empty()) error = "timeout (phase limit)";
        if (error.empty()) {
          ++st.ok;
          st.latencies_ms.push_back(seconds_since(start) * 1000);
        } else {
          st.fail(error);
          s.alive = false;
          asio::error_code ignored;
          s.control.close(ignored);
          s.data.close(ignored);
        }
      }
    };
    const std::size_t workers = inflight > 0 ? std::min<std::size_t>(inflight, who.size()) : who.size();
    for (std::size_t w = 0; w < workers; ++w) {
      ++running;
      asio::co_spawn(io_, worker(), [&](std::exception_ptr) {
        if (--running == 0) limit.cancel();
      });
    }
    if (workers == 0) limit.cancel();
    io_.restart();
    io_.run();
    return st;
  }

  std::vector<std::size_t> alive() const {
    std::vector<std::size_t> out;
    for (std::size_t i = 0; i < sessions_.size(); ++i) {
      if (sessions_[i]->alive) out.push_back(i);
    }
    return out;
  }

  void report(const std::string& phase, const PhaseStats& st, double seconds, double cpu,
              const std::string& extra = "") {
    std::vector<double> lat = st.latencies_ms;
    std::sort(lat.begin(), lat.end());
    auto pct = [&](double p) {
      return lat.empty() ? 0.0 : lat[std::min(lat.size() - 1, static_cast<std::size_t>(p * (lat.size() - 1) + 0.5))];
    };
    std::printf("{\"phase\":\"%s\",\"ok\":%ld,\"failed\":%ld,\"seconds\":%.4f,\"p50_ms\":%.2f,"
                "\"max_ms\":%.2f,\"client_cpu_s\":%.3f,\"alive\":%zu,\"errors\":%s%s}\n",
                phase.c_str(), st.ok, st.failed, seconds, pct(0.5), lat.empty() ? 0.0 : lat.back(), cpu,
                alive().size(), errors_json(st).c_str(), extra.c_str());
    std::fflush(stdout);
  }

  int run() {
    {
      std::vector<std::size_t> everyone(sessions_.size());
      for (std::size_t i = 0; i < everyone.size(); ++i) everyone[i] = i;
      const double cpu0 = cpu_seconds();
      const auto start = Clock::now();
      auto st = run_phase(everyone, o_.inflight, [&](std::size_t, Session& s) -> awaitable<void> {
        SwarmClient c(s, o_);
        co_await c.connect_login();
        s.alive = true;
      }, o_.login_limit);
      report("login", st, seconds_since(start), cpu_seconds() - cpu0);
    }
    std::string line;
    while (std::getline(std::cin, line)) {
      std::vector<std::string> w;
      for (std::size_t p = 0; p < line.size();) {
        const auto q = line.find(' ', p);
        w.push_back(line.substr(p, q == std::string::npos ? std::string::npos : q - p));
        if (q == std::string::npos) break;
        p = q + 1;
      }
      if (w.empty()) continue;
      const std::string& cmd = w[0];
      const double cpu0 = cpu_seconds();
      const auto start = Clock::now();
      if (cmd == "exit") break;
      if (cmd == "retr" && w.size() == 3) {
        const std::string path = w[1];
        const std::size_t bytes = std::stoull(w[2]);
        auto st = run_phase(alive(), 0, [&](std::size_t, Session& s) -> awaitable<void> {
          SwarmClient c(s, o_);
          co_await c.retr(path, bytes);
        });
        report("retr", st, seconds_since(start), cpu_seconds() - cpu0);
      } else if (cmd == "stor" && w.size() == 4) {
        const std::string prefix = w[1];
        const std::size_t bytes = std::stoull(w[2]);
        const int fd = ::open(w[3].c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
          std::printf("{\"phase\":\"stor\",\"error\":\"cannot open source\"}\n");
          std::fflush(stdout);
          continue;
        }
        auto st = run_phase(alive(), 0, [&](std::size_t i, Session& s) -> awaitable<void> {
          SwarmClient c(s, o_);
          co_await c.stor(prefix + "-" + std::to_string(i), bytes, fd);
        });
        ::close(fd);
        report("stor", st, seconds_since(start), cpu_seconds() - cpu0);
      } else if (cmd == "noop") {
        auto st = run_phase(alive(), 0, [&](std::size_t, Session& s) -> awaitable<void> {
          SwarmClient c(s, o_);
          co_await c.expect("NOOP", "NOOP", 200);
        });
        report("noop", st, seconds_since(start), cpu_seconds() - cpu0);
      } else if (cmd == "quit") {
        auto st = run_phase(alive(), 0, [&](std::size_t, Session& s) -> awaitable<void> {
          SwarmClient c(s, o_);
          co_await c.quit();
          s.alive = false;
          asio::error_code ignored;
          s.control.close(ignored);
        });
        report("quit", st, seconds_since(start), cpu_seconds() - cpu0);
      } else if (cmd == "login1" && w.size() == 2) {
        const int k = std::clamp(std::stoi(w[1]), 1, 100);
        PhaseStats st;
        for (int n = 0; n < k; ++n) {
          auto one = std::make_unique<Session>(io_);
          Session* s = one.get();
          const auto t0 = Clock::now();
          std::string error;
          double login_ms = 0;
          asio::steady_timer limit(io_);
          limit.expires_after(std::chrono::seconds(30));
          limit.async_wait([&](const asio::error_code& ec) {
            if (ec) return;
            error = "timeout (30 s)";
            asio::error_code ignored;
            s->control.close(ignored);
          });
          asio::co_spawn(io_, [&]() -> awaitable<void> {
            SwarmClient c(*s, o_);
            try {
              co_await c.connect_login();
              login_ms = seconds_since(t0) * 1000;
              co_await c.quit();
            } catch (const Failure& f) {
              if (error.empty()) error = f.kind;
            } catch (const std::exception& e) {
              if (error.empty()) error = e.what();
            }
            limit.cancel();
          }, asio::detached);
          io_.restart();
          io_.run();
          if (error.empty() || login_ms > 0) {
            ++st.ok;
            st.latencies_ms.push_back(login_ms);
          } else {
            st.fail(error);
          }
        }
        std::string list;
        for (double v : st.latencies_ms) list += (list.empty() ? "" : ",") + std::to_string(v);
        report("login1", st, seconds_since(start), cpu_seconds() - cpu0, ",\"login_ms\":[" + list + "]");
      } else {
        std::printf("{\"phase\":\"%s\",\"error\":\"unknown command\"}\n", json_escape(cmd).c_str());
        std::fflush(stdout);
      }
    }
    return 0;
  }

 private:
  const Options& o_;
  asio::io_context io_{1};
  std::vector<std::unique_ptr<Session>> sessions_;
};

// fork()+_exit()+waitpid() and first-touch page faults, averaged.
int probe() {
  constexpr int kForks = 200;
  auto start = Clock::now();
  for (int i = 0; i < kForks; ++i) {
    const pid_t pid = ::fork();
    if (pid < 0) return 1;
    if (pid == 0) ::_exit(0);
    ::waitpid(pid, nullptr, 0);
  }
  const double fork_ms = seconds_since(start) * 1000 / kForks;
  constexpr std::size_t kBytes = 64u << 20;
  const long page = ::sysconf(_SC_PAGESIZE);
  start = Clock::now();
  void* map = ::mmap(nullptr, kBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (map == MAP_FAILED) return 1;
  auto* bytes = static_cast<volatile char*>(map);
  for (std::size_t i = 0; i < kBytes; i += static_cast<std::size_t>(page)) bytes[i] = 1;
  const double fault_us = seconds_since(start) * 1e6 / static_cast<double>(kBytes / page);
  ::munmap(map, kBytes);
  std::printf("{\"mode\":\"probe\",\"fork_exit_wait_ms\":%.3f,\"page_fault_us\":%.3f}\n", fork_ms,
              fault_us);
  return 0;
}

[[noreturn]] void usage(const std::string& message) {
  std::fprintf(stderr, "ftpload: %s\n(see the comment at the top of bench/loadgen/ftpload.cpp)\n",
               message.c_str());
  std::exit(2);
}

Options parse(int argc, char** argv) {
  if (argc < 2) usage("missing mode");
  Options o;
  o.mode = argv[1];
  for (int i = 2; i < argc; ++i) {
    const std::string key = argv[i];
    if (key == "--tls") {
      o.tls = true;
      continue;
    }
    if (i + 1 >= argc) usage("missing value of " + key);
    const std::string value = argv[++i];
    if (key == "--host") o.host = value;
    else if (key == "--port") o.port = static_cast<std::uint16_t>(std::stoi(value));
    else if (key == "--user") o.user = value;
    else if (key == "--pass") o.pass = value;
    else if (key == "--path") o.path = value;
    else if (key == "--source") o.source = value;
    else if (key == "--bytes") o.bytes = std::stoull(value);
    else if (key == "--expect") o.expect = std::stoull(value);
    else if (key == "--clients") o.clients = std::stoi(value);
    else if (key == "--inflight") o.inflight = std::stoi(value);
    else if (key == "--phase-limit") o.phase_limit = std::stod(value);
    else if (key == "--login-limit") o.login_limit = std::stod(value);
    else if (key == "--io-timeout") o.io_timeout = std::stod(value);
    else usage("unknown option " + key);
  }
  if (o.mode == "probe") return o;
  if (o.port == 0) usage("--port is required");
  if (o.mode == "get" && o.path.empty()) usage("get needs --path");
  if (o.mode == "put" && (o.path.empty() || o.source.empty() || o.bytes == 0)) {
    usage("put needs --path, --source and --bytes");
  }
  if (o.mode != "get" && o.mode != "put" && o.mode != "swarm") usage("unknown mode " + o.mode);
  if (o.clients < 1 || o.clients > 20000) usage("--clients must be 1..20000");
  if (o.phase_limit <= 0 || o.phase_limit > 600) usage("--phase-limit must be in (0, 600]");
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  // sendfile(2) to a data socket the server has closed raises SIGPIPE: an error, not a death.
  std::signal(SIGPIPE, SIG_IGN);
  const Options options = parse(argc, argv);
  if (options.mode == "probe") return probe();
  if (options.mode == "get" || options.mode == "put") return single_stream(options);
  Swarm swarm(options);
  const int status = swarm.run();
  std::fflush(stdout);
  // Thousands of sessions may still be open: exit without closing them one by one.
  std::_Exit(status);
}
