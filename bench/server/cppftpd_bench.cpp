// cppftpd-bench: the cppftpd library with one user whose password is checked against a
// SHA-512-crypt hash ("$6$..."), as every server of bench/run checks one. For the benchmark
// harness only (bench/harness.py starts it); not installed, not part of the tests.
//
//   cppftpd-bench --port P --root DIR --user NAME --hash '$6$...' --pasv FROM-TO
//                 [--max-cons N] [--tls CERT KEY] [--log-level warn|info]
//
// The settings are those of `cppftpd -i 127.0.0.1 -w --max-cons N --max-cons-per-ip 0
// --timeout 600` (the CLI in apps/cppftpd builds the same ServerConfig), except the user and
// the log level: WARN, as every peer runs with its logging off. It raises RLIMIT_NOFILE to
// its hard limit, as the CLI does.

#include <cppftpd/cppftpd.hpp>

#include <spdlog/spdlog.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

#include <sys/resource.h>

int main(int argc, char** argv) {
  std::string root, user, hash, certfile, keyfile, level = "warn";
  unsigned port = 0, first = 0, last = 0;
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
    if (key == "--port") port = static_cast<unsigned>(std::stoul(value()));
    else if (key == "--root") root = value();
    else if (key == "--user") user = value();
    else if (key == "--hash") hash = value();
    else if (key == "--max-cons") max_cons = std::stoul(value());
    else if (key == "--log-level") level = value();
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
  if (port == 0 || root.empty() || user.empty() || hash.empty()) {
    std::fprintf(stderr, "usage: cppftpd-bench --port P --root DIR --user NAME --hash HASH "
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
