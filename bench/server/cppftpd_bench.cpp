// cppftpd-bench: the cppftpd library with one user whose password is checked against a
// SHA-512-crypt hash ("$6$..."), as every server of bench/run checks one. For the benchmark
// harness only (bench/harness.py starts it); not installed, not part of the tests.
//
//   cppftpd-bench --port P --root DIR --user NAME --hash '$6$...' --pasv FROM-TO
//                 [--max-cons N] [--tls CERT KEY] [--log-level warn|info]
//   cppftpd-bench --auth-ceiling COUNT --hash '$6$...'
//
// --auth-ceiling is cppftpd's own login ceiling: COUNT wrong-password checks by
// MemoryAuthorizer::authenticate() (what a login costs cppftpd, the hash and all), on one
// thread and then split over two, one JSON line each (as bench/ceiling/crypt_ceiling.c prints
// for libxcrypt's crypt_rn, the check every peer makes).
//
// The settings are those of `cppftpd -i 127.0.0.1 -w --max-cons N --max-cons-per-ip 0
// --timeout 600` (the CLI in apps/cppftpd builds the same ServerConfig), except the user and
// the log level: WARN, as every peer runs with its logging off. It raises RLIMIT_NOFILE to
// its hard limit, as the CLI does.

#include <cppftpd/cppftpd.hpp>

#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <thread>
#include <vector>

#include <sys/resource.h>

namespace {

// Seconds for `count` wrong-password logins of `name` split over `threads` threads.
double time_logins(cppftpd::MemoryAuthorizer& users, const std::string& name, int count,
                   int threads) {
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> workers;
  std::atomic<int> failures = 0;
  for (int t = 0; t < threads; ++t) {
    const int share = count / threads + (t < count % threads ? 1 : 0);
    workers.emplace_back([&users, &name, share, &failures] {
      for (int i = 0; i < share; ++i) {
        if (users.authenticate(name, "not-the-password")) ++failures;  // never: wrong password
      }
    });
  }
  for (auto& worker : workers) worker.join();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (failures != 0) std::exit(1);
  std::printf("{\"threads\": %d, \"hashes\": %d, \"seconds\": %.4f, \"per_second\": %.1f}\n",
              threads, count, seconds, count / seconds);
  return seconds;
}

int auth_ceiling(int count, const std::string& hash) {
  if (count <= 0 || count > 1000000 || hash.empty()) {
    std::fprintf(stderr, "usage: cppftpd-bench --auth-ceiling COUNT (1..1000000) --hash HASH\n");
    return 2;
  }
  cppftpd::MemoryAuthorizer users;
  users.add_user("bench", cppftpd::hashed(hash), "/", "elr");
  const double one = time_logins(users, "bench", count, 1);
  const double two = time_logins(users, "bench", count, 2);
  std::printf("{\"speedup_2_threads\": %.2f}\n", one / two);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string root, user, hash, certfile, keyfile, level = "warn";
  unsigned port = 0, first = 0, last = 0;
  int auth_count = 0;
  std::size_t max_cons = 20000;
  bool tls = false;
  for (int i = 1; i < argc; ++i) {
    const std::string key = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "cppftpd-bench: %s needs a value\n", key.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (key == "--port")
      port = static_cast<unsigned>(std::stoul(value()));
    else if (key == "--root")
      root = value();
    else if (key == "--user")
      user = value();
    else if (key == "--hash")
      hash = value();
    else if (key == "--auth-ceiling")
      auth_count = std::stoi(value());
    else if (key == "--max-cons")
      max_cons = std::stoul(value());
    else if (key == "--log-level")
      level = value();
    else if (key == "--pasv") {
      const std::string range = value();
      const auto dash = range.find('-');
      first = static_cast<unsigned>(std::stoul(range.substr(0, dash)));
      last = static_cast<unsigned>(std::stoul(range.substr(dash + 1)));
    } else if (key == "--tls") {
      tls = true;
      certfile = value();
      keyfile = value();
    } else {
      std::fprintf(stderr, "cppftpd-bench: unknown option %s\n", key.c_str());
      return 2;
    }
  }
  if (auth_count != 0) return auth_ceiling(auth_count, hash);
  if (port == 0 || root.empty() || user.empty() || hash.empty()) {
    std::fprintf(stderr,
                 "usage: cppftpd-bench --port P --root DIR --user NAME --hash HASH "
                 "--pasv FROM-TO [--max-cons N] [--tls CERT KEY] [--log-level L]\n");
    return 2;
  }
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
  }
  spdlog::set_level(spdlog::level::from_str(level));

  cppftpd::ServerConfig config;
  config.listen = {"127.0.0.1", static_cast<std::uint16_t>(port)};
  config.passive_ports = {static_cast<std::uint16_t>(first), static_cast<std::uint16_t>(last)};
  config.idle_timeout = std::chrono::seconds(600);
  config.max_connections = max_cons;
  config.max_connections_per_ip = 0;
  config.tls.enabled = tls;
  config.tls.certificate_file = certfile;
  config.tls.private_key_file = keyfile;
  try {
    cppftpd::MemoryAuthorizer users;
    users.add_user(user, cppftpd::hashed(hash), root, "elradfmwMT");
    cppftpd::Server server(config, users);
    std::printf("cppftpd-bench: listening on 127.0.0.1:%u\n", static_cast<unsigned>(server.port()));
    std::fflush(stdout);
    server.run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "cppftpd-bench: %s\n", e.what());
    return 1;
  }
  return 0;
}
