// memory_content: serving generated content from memory instead of the disk,
// by handing the Server a cppftpd::MemoryFilesystem.
//
//   memory_content PORT
//
// Anonymous users (any password) see a read-only tree built here:
//
//   /README.txt          a short text
//   /data/numbers.csv    a generated table
//   /stats.txt           how many downloads have completed, updated live
//
// Once the server is bound, "listening on port N" is printed on standard
// output; SIGINT or SIGTERM stops it cleanly (exit status 0).

#include <cppftpd/cppftpd.hpp>

#include <charconv>
#include <cstdint>
#include <exception>
#include <iostream>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <system_error>

namespace {

// The library reports what a client can cause as error codes, never
// exceptions; at start-up a failure is fatal, so turn it into one.
void check(cppftpd::Status status, std::string_view what) {
  if (status) throw std::system_error(status, std::string(what));
}

std::string numbers_csv() {
  std::string csv = "n,square,cube\n";
  for (std::uint64_t n = 1; n <= 100; ++n) {
    csv += std::to_string(n) + ',' + std::to_string(n * n) + ',' + std::to_string(n * n * n) + '\n';
  }
  return csv;
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
  if (argc != 2 || !parse_port(argv[1], port)) {
    std::cerr << "usage: memory_content PORT\n";
    return 2;
  }

  try {
    // A MemoryFilesystem is a handle: copies share one tree. `files` stays
    // here to update the content while a copy is handed to the server.
    cppftpd::MemoryFilesystem files;
    check(files.add_file("/README.txt",
                         "This tree lives in memory: nothing here is read from the disk.\n"),
          "/README.txt");
    check(files.add_file("/data/numbers.csv", numbers_csv()), "/data/numbers.csv");
    check(files.add_file("/stats.txt", "downloads: 0\n"), "/stats.txt");
    // Clients cannot change anything (every change through a session fails
    // with "read-only file system"), but add_file() still works for us.
    files.set_read_only(true);

    // Read-only anonymous access ("elr") to the root of the memory tree.
    // The home is a path in that tree, but MemoryAuthorizer checks homes on
    // the real disk: "/" exists there, so it passes. (A home such as "/pub"
    // would have to exist on the disk too; a custom Authorizer has no such
    // check.)
    cppftpd::MemoryAuthorizer users;
    users.add_anonymous("/");

    // Event hooks run on the event-loop threads, possibly several at once;
    // MemoryFilesystem's methods are thread-safe, and the lock keeps the
    // count and the file in step (a later count never lands before an
    // earlier one).
    struct Stats {
      std::mutex mutex;
      std::uint64_t downloads = 0;
    };
    auto stats = std::make_shared<Stats>();
    cppftpd::EventHooks hooks;
    hooks.on_file_sent = [files, stats](const cppftpd::TransferEvent&) mutable {
      const std::lock_guard lock(stats->mutex);
      ++stats->downloads;
      // A failure (capacity) only leaves the old count in place.
      static_cast<void>(
          files.add_file("/stats.txt", "downloads: " + std::to_string(stats->downloads) + "\n"));
    };

    cppftpd::ServerConfig config;
    config.listen.port = port;  // host "": every address, IPv6 and IPv4
    cppftpd::Server server(config, users, std::make_unique<cppftpd::MemoryFilesystem>(files),
                           std::move(hooks));
    std::cout << "listening on port " << server.port() << std::endl;
    server.run();
  } catch (const std::exception& e) {
    std::cerr << "memory_content: " << e.what() << '\n';
    return 1;
  }
  return 0;
}
