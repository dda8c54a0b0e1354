// upload_log: event hooks (pyftpdlib's on_file_received and
// on_incomplete_file_received) that log every upload, one line each.
//
//   upload_log HOME PORT
//
// User "user" (password "12345") may read and write in HOME. Every upload
// that ends prints one line on standard output:
//
//   upload complete: user=user peer=127.0.0.1:40312 bytes=102400 path=/a.bin
//   upload incomplete: user=user peer=[::1]:40314 bytes=65536 path=/b.bin
//
// "incomplete" means the transfer ended early (ABOR, a broken connection, a
// full disk); the partial file is kept, bytes is what arrived. The path comes
// last, so a name with spaces does not make the line ambiguous.
//
// Once the server is bound, "listening on port N" is printed on standard
// output; SIGINT or SIGTERM stops it cleanly (exit status 0).

#include <cppftpd/cppftpd.hpp>

#include <charconv>
#include <cstdint>
#include <exception>
#include <iostream>
#include <mutex>
#include <string>
#include <string_view>
#include <system_error>

namespace {

// Hooks run on the event-loop threads, several of them at once: one lock
// keeps each line whole. Printing a line is quick; anything slow (a database,
// a notification) belongs on another thread, not in a hook.
std::mutex output_mutex;

void log_upload(std::string_view outcome, const cppftpd::TransferEvent& event) {
  const auto& session = event.session;
  // An IPv6 address is bracketed so that its port stays readable.
  const bool ipv6 = session.peer_address.find(':') != std::string::npos;
  const std::string peer = (ipv6 ? "[" + session.peer_address + "]" : session.peer_address) + ":" +
                           std::to_string(session.peer_port);
  const std::string line = "upload " + std::string(outcome) + ": user=" + session.user +
                           " peer=" + peer + " bytes=" + std::to_string(event.bytes) +
                           " path=" + event.path.str() + "\n";
  const std::lock_guard lock(output_mutex);
  std::cout << line << std::flush;  // flushed: a pipe would otherwise hold it back
}

// A TCP port number (0 to 65535), or false when `text` is not one.
bool parse_port(std::string_view text, std::uint16_t& port) {
  const auto* end = text.data() + text.size();
  const auto [stop, error] = std::from_chars(text.data(), end, port);
  return error == std::errc{} && stop == end && !text.empty();
}

}  // namespace

int main(int argc, char* argv[]) {
  std::uint16_t port = 0;
  if (argc != 3 || !parse_port(argv[2], port)) {
    std::cerr << "usage: upload_log HOME PORT\n";
    return 2;
  }

  try {
    cppftpd::MemoryAuthorizer users;
    users.add_user("user", "12345", argv[1], "elradfmwMT");

    // Every hook is optional: set only those wanted. Each fires exactly once
    // per transfer, with what crossed the data connection.
    cppftpd::EventHooks hooks;
    hooks.on_file_received = [](const cppftpd::TransferEvent& event) {
      log_upload("complete", event);
    };
    hooks.on_incomplete_file_received = [](const cppftpd::TransferEvent& event) {
      log_upload("incomplete", event);
    };

    cppftpd::ServerConfig config;
    config.listen.port = port;  // host "": every address, IPv6 and IPv4
    cppftpd::Server server(config, users, std::move(hooks));
    // No hook can fire before run(): nothing to lock yet.
    std::cout << "listening on port " << server.port() << std::endl;
    server.run();
  } catch (const std::exception& e) {
    std::cerr << "upload_log: " << e.what() << '\n';
    return 1;
  }
  return 0;
}
