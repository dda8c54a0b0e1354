// seed: the library example of DESIGN.md and the README, with its settings
// taken from the command line instead of written into the code.
//
//   seed FTP_HOME PUB_HOME PORT
//
// User "user" (password "12345") logs in to FTP_HOME with every permission;
// anyone may log in as "anonymous" (or "ftp") and read PUB_HOME. PORT 0 picks
// a free port. Once the server is bound, "listening on port N" is printed on
// standard output; SIGINT or SIGTERM stops it cleanly (exit status 0).

#include <cppftpd/cppftpd.hpp>  // umbrella header: the whole public API

#include <charconv>
#include <cstdint>
#include <exception>
#include <iostream>
#include <string_view>
#include <system_error>

namespace {

// A TCP port number (0 to 65535), or false when `text` is not one.
bool parse_port(std::string_view text, std::uint16_t& port) {
  const auto* end = text.data() + text.size();
  const auto [stop, error] = std::from_chars(text.data(), end, port);
  return error == std::errc{} && stop == end && !text.empty();
}

}  // namespace

int main(int argc, char* argv[]) {
  std::uint16_t port = 0;
  if (argc != 4 || !parse_port(argv[3], port)) {
    std::cerr << "usage: seed FTP_HOME PUB_HOME PORT\n";
    return 2;
  }
  const std::string ftp_home = argv[1];
  const std::string pub_home = argv[2];

  try {
    // Accounts: a full-access user and a read-only anonymous login. The
    // authorizer checks here, at start-up, that the homes exist; bad
    // arguments throw std::invalid_argument.
    cppftpd::MemoryAuthorizer users;
    users.add_user("user", "12345", ftp_home, "elradfmwMT");
    users.add_anonymous(pub_home);  // read-only ("elr") unless perms say otherwise

    cppftpd::ServerConfig config;
    config.listen = {"0.0.0.0", port};
    // config.handle_signals stays true: SIGINT/SIGTERM make run() return.

    // The constructor binds the socket (std::system_error if it cannot), so
    // the port is known before run(); the authorizer must outlive the server.
    cppftpd::Server server(config, users);
    std::cout << "listening on port " << server.port() << std::endl;  // endl flushes
    server.run();  // until stop() or SIGINT/SIGTERM
  } catch (const std::exception& e) {
    std::cerr << "seed: " << e.what() << '\n';
    return 1;
  }
  return 0;
}
