// A consumer of the installed cppftpd package (see CMakeLists.txt): two users
// with different permissions, one of them with a per-directory override.
//
//   consumer HOME_ALICE HOME_BOB PORT
//
// alice (password "alice-pw") may only read ("elr") in her home, except in
// /uploads and everything below it, where she has the write letters too
// ("elradfmw"). bob (password "bob-pw") has every permission ("elradfmwMT").
// Prints "listening on port N" once bound; stops on SIGINT/SIGTERM.

#include <cppftpd/cppftpd.hpp>

#include <charconv>
#include <cstdint>
#include <exception>
#include <iostream>
#include <string_view>
#include <system_error>

int main(int argc, char* argv[]) {
  std::uint16_t port = 0;
  const std::string_view port_text = argc == 4 ? argv[3] : "";
  const auto* end = port_text.data() + port_text.size();
  const auto [stop, error] = std::from_chars(port_text.data(), end, port);
  if (port_text.empty() || error != std::errc{} || stop != end) {
    std::cerr << "usage: consumer HOME_ALICE HOME_BOB PORT\n";
    return 2;
  }

  try {
    cppftpd::MemoryAuthorizer users;
    users.add_user("alice", "alice-pw", argv[1], "elr");
    // A virtual path: "/uploads" as alice sees it. recursive: it covers
    // /uploads/deeper and the rest of the subtree, not only its own entries.
    users.override_perm("alice", "/uploads", "elradfmw", /*recursive=*/true);
    users.add_user("bob", "bob-pw", argv[2], "elradfmwMT");

    cppftpd::ServerConfig config;
    config.listen = {"127.0.0.1", port};
    cppftpd::Server server(config, users);
    std::cout << "listening on port " << server.port() << std::endl;
    server.run();
  } catch (const std::exception& e) {
    std::cerr << "consumer: " << e.what() << '\n';
    return 1;
  }
  return 0;
}
