// ftpload: the load generator of cppftpd's benchmark harness (bench/run). Not part of the tests.
//
// One thread, one Asio io_context, one C++20 coroutine per FTP session, speaking raw FTP over
// loopback. Three modes, each bounded in count and in time, each printing one JSON line:
//
//   ftpload sessions   --port P --concurrency N --per-worker R --retr FILE --expect BYTES
//       N workers at once; each runs R sessions back to back:
//       connect, 220, USER/PASS, TYPE I, PASV + LIST, PASV + RETR FILE, QUIT.
//       Reports sessions/s, errors, and the latency of a whole session (p50/p99/max).
//   ftpload smallfiles --port P --count C --retr FILE --expect BYTES
//       one session, C times PASV + RETR FILE. Reports files/s.
//   ftpload connect    --port P --parallel K --duration S
//       K connectors, each looping connect, 220, QUIT, 221, close for S seconds.
//       Reports connections/s.
//   ftpload probe
//       no server: measures what this machine charges for fork()+exit+waitpid() and for a
//       page fault on fresh anonymous memory, the two costs that separate forking servers
//       from event-loop ones.
//
// Every session has a deadline (--session-timeout, 30 s); no session starts after
// --start-window seconds; the whole run has a hard limit (--time-limit, 120 s) after which the
// sessions still running are abandoned and counted as unfinished.

#include <asio.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <sys/mman.h>
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
  int concurrency = 50;
  int per_worker = 4;
  int count = 1000;
  int parallel = 32;
  double duration = 10.0;
  double session_timeout = 30.0;
  double time_limit = 120.0;
  double start_window = 0.0;  // 0: the time limit
  std::string retr;
  std::string list = "";  // LIST argument; empty lists the current directory
  std::size_t expect = 0;
};

// An error a session met, with a short kind for the summary ("reply 421 to USER", "timeout").
struct SessionError {
  std::string kind;
};

struct Reply {
  int code = 0;
  std::string text;
};

// The control and data sockets of one session, so the deadline can close them.
struct SessionSockets {
  explicit SessionSockets(asio::any_io_executor ex) : control(ex), data(ex), deadline(ex) {}
  tcp::socket control;
  tcp::socket data;
  asio::steady_timer deadline;
  bool expired = false;

  void arm(double seconds) {
    deadline.expires_after(std::chrono::duration_cast<Clock::duration>(
        std::chrono::duration<double>(seconds)));
    deadline.async_wait([this](const asio::error_code& ec) {
      if (ec) return;  // cancelled: the session ended in time
      expired = true;
      asio::error_code ignored;
      control.close(ignored);
      data.close(ignored);
    });
  }
  void disarm() { deadline.cancel(); }
};

class FtpClient {
 public:
  FtpClient(SessionSockets& sockets, const Options& options)
      : s_(sockets), options_(options) {}

  awaitable<void> connect() {
    tcp::endpoint endpoint(asio::ip::make_address(options_.host), options_.port);
    co_await s_.control.async_connect(endpoint, use_awaitable);
    s_.control.set_option(tcp::no_delay(true));
  }

  // Reads one reply, multi-line replies included (RFC 959 4.2).
  awaitable<Reply> read_reply() {
    std::string first = co_await read_line();
    if (first.size() < 3 || !is_code(first)) throw SessionError{"malformed reply"};
    Reply reply;
    reply.code = (first[0] - '0') * 100 + (first[1] - '0') * 10 + (first[2] - '0');
    reply.text = first;
    if (first.size() > 3 && first[3] == '-') {
      std::string end(first, 0, 3);
      end.push_back(' ');
      for (int lines = 0;; ++lines) {
        if (lines > 10000) throw SessionError{"reply too long"};
        std::string line = co_await read_line();
        if (line.compare(0, 4, end) == 0) break;
      }
    }
    co_return reply;
  }

  awaitable<void> send(std::string_view line) {
    std::string out(line);
    out += "\r\n";
    co_await asio::async_write(s_.control, asio::buffer(out), use_awaitable);
  }

  // Sends a command and checks the first digit of the reply.
  awaitable<Reply> command(std::string_view line, std::string_view verb, char want) {
    co_await send(line);
    Reply reply = co_await read_reply();
    if (reply.text[0] != want) throw unexpected(reply, verb);
    co_return reply;
  }

  awaitable<void> greet() {
    Reply reply = co_await read_reply();
    if (reply.code != 220) throw unexpected(reply, "greeting");
  }

  awaitable<void> login() {
    const std::string user_line = "USER " + options_.user;
    const std::string pass_line = "PASS " + options_.pass;
    co_await send(user_line);
    Reply reply = co_await read_reply();
    if (reply.code == 331) {
      co_await send(pass_line);
      reply = co_await read_reply();
    }
    if (reply.code != 230) throw unexpected(reply, "login");
    co_await command("TYPE I", "TYPE", '2');
  }

  // PASV, connect the data socket, send the command, read to EOF; returns the bytes read.
  awaitable<std::size_t> transfer(const std::string& line, std::string_view verb) {
    co_await send("PASV");
    Reply pasv = co_await read_reply();
    if (pasv.code != 227) throw unexpected(pasv, "PASV");
    const auto port = parse_pasv_port(pasv.text);
    if (!port) throw SessionError{"malformed 227"};
    // The address in the reply is the control address on every server here; connecting to
    // the control host keeps the data traffic on loopback whatever the reply says.
    tcp::endpoint endpoint(asio::ip::make_address(options_.host), *port);
    try {
      co_await s_.data.async_connect(endpoint, use_awaitable);
    } catch (const asio::system_error& e) {
      throw SessionError{std::string("data connect: ") + e.code().message()};
    }
    co_await send(line);
    Reply mark = co_await read_reply();
    if (mark.text[0] != '1') {
      s_.data.close();
      throw unexpected(mark, verb);
    }
    std::size_t total = 0;
    for (;;) {
      asio::error_code ec;
      const std::size_t n = co_await s_.data.async_read_some(
          asio::buffer(data_buffer_), asio::redirect_error(use_awaitable, ec));
      total += n;
      if (ec == asio::error::eof) break;
      if (ec) throw SessionError{std::string("data read: ") + ec.message()};
    }
    s_.data.close();
    Reply done = co_await read_reply();
    if (done.text[0] != '2') throw unexpected(done, verb);
    co_return total;
  }

  awaitable<void> quit() {
    co_await command("QUIT", "QUIT", '2');
  }

  // After 221 the server closes; waiting for its FIN leaves TIME_WAIT on the server's side,
  // as with a real client, and keeps the client's ephemeral ports free.
  awaitable<void> drain() {
    for (;;) {
      asio::error_code ec;
      char sink[512];
      co_await s_.control.async_read_some(asio::buffer(sink),
                                          asio::redirect_error(use_awaitable, ec));
      if (ec) break;
    }
    asio::error_code ignored;
    s_.control.close(ignored);
  }

 private:
  static bool is_code(std::string_view line) {
    return line[0] >= '1' && line[0] <= '5' && std::isdigit(static_cast<unsigned char>(line[1])) &&
           std::isdigit(static_cast<unsigned char>(line[2]));
  }

  static SessionError unexpected(const Reply& reply, std::string_view verb) {
    return SessionError{"reply " + std::to_string(reply.code) + " to " + std::string(verb)};
  }

  static std::optional<std::uint16_t> parse_pasv_port(const std::string& text) {
    const auto open = text.find('(');
    const auto close = text.find(')', open == std::string::npos ? 0 : open);
    std::string_view fields;
    if (open != std::string::npos && close != std::string::npos) {
      fields = std::string_view(text).substr(open + 1, close - open - 1);
    } else {
      // RFC 959 leaves the parentheses optional: take the text after the code.
      const auto start = text.find_first_of("0123456789", 4);
      if (start == std::string::npos) return std::nullopt;
      fields = std::string_view(text).substr(start);
    }
    unsigned numbers[6];
    int found = 0;
    const char* p = fields.data();
    const char* end = fields.data() + fields.size();
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

  awaitable<std::string> read_line() {
    for (;;) {
      const auto newline = pending_.find('\n');
      if (newline != std::string::npos) {
        std::string line = pending_.substr(0, newline);
        pending_.erase(0, newline + 1);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        co_return line;
      }
      if (pending_.size() > 64 * 1024) throw SessionError{"reply line too long"};
      char chunk[4096];
      asio::error_code ec;
      const std::size_t n = co_await s_.control.async_read_some(
          asio::buffer(chunk), asio::redirect_error(use_awaitable, ec));
      if (ec == asio::error::eof) throw SessionError{"control closed by server"};
      if (ec) throw SessionError{std::string("control read: ") + ec.message()};
      pending_.append(chunk, n);
    }
  }

  SessionSockets& s_;
  const Options& options_;
  std::string pending_;
  std::array<char, 64 * 1024> data_buffer_{};
};

struct Stats {
  long attempted = 0;
  long completed = 0;
  long failed = 0;
  std::vector<double> latencies_ms;
  std::map<std::string, long> error_kinds;
  Clock::time_point last_done{};  // when the last session completed (sessions mode)

  void fail(const std::string& kind) {
    ++failed;
    ++error_kinds[kind];
  }
};

// Runs body() with a deadline; returns true if it completed, else records the error.
template <typename Body>
awaitable<bool> guarded(SessionSockets& sockets, double seconds, Stats& stats, Body body) {
  sockets.arm(seconds);
  std::string error;
  try {
    co_await body();
  } catch (const SessionError& e) {
    error = e.kind;
  } catch (const asio::system_error& e) {
    error = e.code().message();
  } catch (const std::exception& e) {
    error = e.what();
  }
  sockets.disarm();
  if (sockets.expired) error = "timeout (session deadline)";
  if (!error.empty()) {
    stats.fail(error);
    co_return false;
  }
  co_return true;
}

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

awaitable<void> session_worker(const Options& options, Stats& stats, Clock::time_point stop_at) {
  auto ex = co_await asio::this_coro::executor;
  for (int i = 0; i < options.per_worker && Clock::now() < stop_at; ++i) {
    ++stats.attempted;
    SessionSockets sockets(ex);
    FtpClient ftp(sockets, options);
    const auto start = Clock::now();
    bool ok = co_await guarded(sockets, options.session_timeout, stats, [&]() -> awaitable<void> {
      try {
        co_await ftp.connect();
      } catch (const asio::system_error& e) {
        throw SessionError{std::string("connect: ") + e.code().message()};
      }
      co_await ftp.greet();
      co_await ftp.login();
      // Named, not temporaries: GCC 12 mishandles temporaries inside co_await expressions.
      const std::string list_line = options.list.empty() ? std::string("LIST") : "LIST " + options.list;
      const std::string retr_line = "RETR " + options.retr;
      co_await ftp.transfer(list_line, "LIST");
      const std::size_t got = co_await ftp.transfer(retr_line, "RETR");
      if (options.expect != 0 && got != options.expect) {
        throw SessionError{"short RETR (" + std::to_string(got) + " bytes)"};
      }
      co_await ftp.quit();
    });
    if (ok) {
      stats.latencies_ms.push_back(ms_since(start));
      ++stats.completed;
      stats.last_done = Clock::now();
      // Not part of the latency: wait (briefly) for the server to close.
      sockets.arm(2.0);
      co_await ftp.drain();
      sockets.disarm();
    }
  }
}

awaitable<void> smallfiles(const Options& options, Stats& stats, Clock::time_point stop_at,
                           double& loop_seconds) {
  auto ex = co_await asio::this_coro::executor;
  SessionSockets sockets(ex);
  FtpClient ftp(sockets, options);
  bool ok = co_await guarded(sockets, options.session_timeout, stats, [&]() -> awaitable<void> {
    co_await ftp.connect();
    co_await ftp.greet();
    co_await ftp.login();
  });
  if (!ok) co_return;
  const std::string retr_line = "RETR " + options.retr;
  const auto start = Clock::now();
  for (int i = 0; i < options.count && Clock::now() < stop_at; ++i) {
    ++stats.attempted;
    const auto one = Clock::now();
    ok = co_await guarded(sockets, options.session_timeout, stats, [&]() -> awaitable<void> {
      const std::size_t got = co_await ftp.transfer(retr_line, "RETR");
      if (options.expect != 0 && got != options.expect) {
        throw SessionError{"short RETR (" + std::to_string(got) + " bytes)"};
      }
    });
    if (!ok) break;  // the session is gone
    stats.latencies_ms.push_back(ms_since(one));
    ++stats.completed;
  }
  loop_seconds = ms_since(start) / 1000.0;
  co_await guarded(sockets, 5.0, stats, [&]() -> awaitable<void> { co_await ftp.quit(); });
}

awaitable<void> connector(const Options& options, Stats& stats, Clock::time_point stop_at) {
  auto ex = co_await asio::this_coro::executor;
  while (Clock::now() < stop_at) {
    ++stats.attempted;
    SessionSockets sockets(ex);
    FtpClient ftp(sockets, options);
    const auto start = Clock::now();
    bool ok = co_await guarded(sockets, 5.0, stats, [&]() -> awaitable<void> {
      try {
        co_await ftp.connect();
      } catch (const asio::system_error& e) {
        throw SessionError{std::string("connect: ") + e.code().message()};
      }
      co_await ftp.greet();
      co_await ftp.quit();
    });
    if (!ok) {
      // Do not spin on a refusing server: a failed attempt costs at least 1 ms.
      asio::steady_timer pause(ex, std::chrono::milliseconds(1));
      co_await pause.async_wait(use_awaitable);
      continue;
    }
    stats.latencies_ms.push_back(ms_since(start));
    ++stats.completed;
    sockets.arm(2.0);
    co_await ftp.drain();
    sockets.disarm();
  }
}

double percentile(std::vector<double>& values, double p) {
  if (values.empty()) return 0.0;
  std::sort(values.begin(), values.end());
  const auto index = static_cast<std::size_t>(p * static_cast<double>(values.size() - 1) + 0.5);
  return values[std::min(index, values.size() - 1)];
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

[[noreturn]] void usage(const char* message) {
  std::fprintf(stderr, "ftpload: %s\n", message);
  std::fprintf(stderr,
               "usage: ftpload sessions|smallfiles|connect --port P [--host H] [--user U --pass P]\n"
               "  sessions:   --concurrency N --per-worker R --retr FILE [--expect BYTES] [--list ARG]\n"
               "  smallfiles: --count C --retr FILE [--expect BYTES]\n"
               "  connect:    --parallel K --duration SECONDS\n"
               "  all:        [--session-timeout S] [--time-limit S]\n");
  std::exit(2);
}

Options parse(int argc, char** argv) {
  if (argc < 2) usage("missing mode");
  Options o;
  o.mode = argv[1];
  for (int i = 2; i < argc; i += 2) {
    const std::string key = argv[i];
    if (i + 1 >= argc) usage(("missing value of " + key).c_str());
    const std::string value = argv[i + 1];
    if (key == "--host") o.host = value;
    else if (key == "--port") o.port = static_cast<std::uint16_t>(std::stoi(value));
    else if (key == "--user") o.user = value;
    else if (key == "--pass") o.pass = value;
    else if (key == "--concurrency") o.concurrency = std::stoi(value);
    else if (key == "--per-worker") o.per_worker = std::stoi(value);
    else if (key == "--count") o.count = std::stoi(value);
    else if (key == "--parallel") o.parallel = std::stoi(value);
    else if (key == "--duration") o.duration = std::stod(value);
    else if (key == "--session-timeout") o.session_timeout = std::stod(value);
    else if (key == "--time-limit") o.time_limit = std::stod(value);
    else if (key == "--start-window") o.start_window = std::stod(value);
    else if (key == "--retr") o.retr = value;
    else if (key == "--list") o.list = value;
    else if (key == "--expect") o.expect = static_cast<std::size_t>(std::stoull(value));
    else usage(("unknown option " + key).c_str());
  }
  if (o.mode == "probe") return o;
  if (o.port == 0) usage("--port is required");
  if (o.mode != "sessions" && o.mode != "smallfiles" && o.mode != "connect") usage("unknown mode");
  if ((o.mode == "sessions" || o.mode == "smallfiles") && o.retr.empty()) usage("--retr is required");
  if (o.concurrency < 1 || o.concurrency > 5000) usage("--concurrency must be 1..5000");
  if (o.per_worker < 1 || o.per_worker > 1000) usage("--per-worker must be 1..1000");
  if (o.count < 1 || o.count > 1000000) usage("--count must be 1..1000000");
  if (o.parallel < 1 || o.parallel > 1000) usage("--parallel must be 1..1000");
  if (o.duration <= 0 || o.duration > 600) usage("--duration must be in (0, 600]");
  if (o.time_limit <= 0 || o.time_limit > 900) usage("--time-limit must be in (0, 900]");
  if (o.start_window <= 0 || o.start_window > o.time_limit) o.start_window = o.time_limit;
  return o;
}

}  // namespace

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
  const double fork_ms = ms_since(start) / kForks;
  constexpr std::size_t kBytes = 64u << 20;
  const long page = ::sysconf(_SC_PAGESIZE);
  start = Clock::now();
  void* map = ::mmap(nullptr, kBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (map == MAP_FAILED) return 1;
  auto* bytes = static_cast<volatile char*>(map);
  for (std::size_t i = 0; i < kBytes; i += static_cast<std::size_t>(page)) bytes[i] = 1;
  const double fault_us = ms_since(start) * 1000.0 / static_cast<double>(kBytes / page);
  ::munmap(map, kBytes);
  std::printf("{\"mode\":\"probe\",\"fork_exit_wait_ms\":%.3f,\"page_fault_us\":%.3f}\n", fork_ms,
              fault_us);
  return 0;
}

int main(int argc, char** argv) {
  const Options options = parse(argc, argv);
  if (options.mode == "probe") return probe();
  asio::io_context io(1);
  Stats stats;
  const auto start = Clock::now();
  const auto hard_stop = start + std::chrono::duration_cast<Clock::duration>(
                                     std::chrono::duration<double>(options.time_limit));
  const auto start_deadline = start + std::chrono::duration_cast<Clock::duration>(
                                          std::chrono::duration<double>(options.start_window));
  double loop_seconds = 0.0;
  long planned = 0;

  // The hard limit: whatever is still running then is abandoned and counted as unfinished.
  // In connect mode the connectors stop by themselves at --duration; the limit is a backstop.
  asio::steady_timer limit(io);
  limit.expires_at(hard_stop + std::chrono::seconds(options.mode == "connect" ? 8 : 0));
  bool hit_limit = false;
  limit.async_wait([&](const asio::error_code& ec) {
    if (!ec) {
      hit_limit = true;
      io.stop();
    }
  });
  // When the last coroutine ends, cancel the limit so that run() returns at once.
  int running = 0;
  auto on_done = [&](std::exception_ptr e) {
    if (e) std::rethrow_exception(e);
    if (--running == 0) limit.cancel();
  };
  if (options.mode == "sessions") {
    planned = static_cast<long>(options.concurrency) * options.per_worker;
    for (int i = 0; i < options.concurrency; ++i) {
      ++running;
      asio::co_spawn(io, session_worker(options, stats, start_deadline), on_done);
    }
  } else if (options.mode == "smallfiles") {
    planned = options.count;
    ++running;
    asio::co_spawn(io, smallfiles(options, stats, start_deadline, loop_seconds), on_done);
  } else {
    const auto stop_at = start + std::chrono::duration_cast<Clock::duration>(
                                     std::chrono::duration<double>(options.duration));
    for (int i = 0; i < options.parallel; ++i) {
      ++running;
      asio::co_spawn(io, connector(options, stats, std::min(stop_at, hard_stop)), on_done);
    }
  }
  io.run();
  const double elapsed = ms_since(start) / 1000.0;
  // unfinished: started but abandoned at the hard limit; not_started: never begun because the
  // start window closed (sessions, smallfiles) or a failure ended the session (smallfiles).
  const long unfinished = std::max(0L, stats.attempted - stats.completed - stats.failed);
  const long not_started = planned > 0 ? planned - stats.attempted : 0;

  std::vector<double> lat = stats.latencies_ms;
  const double p50 = percentile(lat, 0.50);
  const double p99 = percentile(lat, 0.99);
  const double max = lat.empty() ? 0.0 : lat.back();
  double rate = 0.0;
  if (options.mode == "smallfiles") {
    rate = loop_seconds > 0 ? static_cast<double>(stats.completed) / loop_seconds : 0.0;
  } else if (options.mode == "connect") {
    const double window = std::min(options.duration, elapsed);
    rate = window > 0 ? static_cast<double>(stats.completed) / window : 0.0;
  } else {
    // From the first connect to the last 221, not to the end of the last drain.
    const double busy = stats.completed > 0
                            ? std::chrono::duration<double>(stats.last_done - start).count()
                            : elapsed;
    rate = busy > 0 ? static_cast<double>(stats.completed) / busy : 0.0;
  }

  std::string kinds;
  for (const auto& [kind, n] : stats.error_kinds) {
    if (!kinds.empty()) kinds += ",";
    kinds += "\"" + json_escape(kind) + "\":" + std::to_string(n);
  }
  std::printf(
      "{\"mode\":\"%s\",\"attempted\":%ld,\"completed\":%ld,\"failed\":%ld,\"unfinished\":%ld,"
      "\"not_started\":%ld,"
      "\"hit_time_limit\":%s,\"elapsed_s\":%.3f,\"rate\":%.1f,\"p50_ms\":%.2f,\"p99_ms\":%.2f,"
      "\"max_ms\":%.2f,\"errors\":{%s}}\n",
      options.mode.c_str(), stats.attempted, stats.completed, stats.failed, unfinished, not_started,
      hit_limit ? "true" : "false", elapsed, rate, p50, p99, max, kinds.c_str());
  std::fflush(stdout);
  // Abandoned coroutines (time limit) hold sockets: exit without unwinding them.
  std::_Exit(0);
}
