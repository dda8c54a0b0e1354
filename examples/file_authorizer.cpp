// file_authorizer: a custom cppftpd::Authorizer that reads its users from a
// text file, so no clear-text password sits in a configuration file.
//
//   file_authorizer USERS_FILE PORT
//
// USERS_FILE holds one user per line; '#' starts a comment line and blank
// lines are skipped:
//
//   # name:crypt-hash:home:perms
//   alice:$y$j9T$...:/srv/ftp/alice:elr
//   bob:$6$salt$...:/srv/ftp/bob:elradfmw
//
// The hash is a crypt(3) string as /etc/shadow holds them (make one with
// `mkpasswd -m yescrypt` from package whois, or `openssl passwd -6`); the
// home must be an existing directory (it may contain ':'); perms are
// pyftpdlib's letters (see cppftpd::Permissions). The file is read once, at
// start-up: any mistake in it is reported with its line number, exit status 1.
//
// Once the server is bound, "listening on port N" is printed on standard
// output; SIGINT or SIGTERM stops it cleanly (exit status 0).

#include <cppftpd/cppftpd.hpp>

#include <crypt.h>           // libxcrypt: crypt_rn, crypt_checksalt
#include <openssl/crypto.h>  // CRYPTO_memcmp, OPENSSL_cleanse

#include <charconv>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>

namespace {

// The crypt(3) hash of `password` with the method, parameters and salt of
// `setting` (a whole hash will do), or "" when libxcrypt refuses.
//
// crypt_rn() keeps all its state in the crypt_data it is given, so logins
// checked at once on several worker threads do not share anything (plain
// crypt() would use one static buffer). crypt_data is about 32 KiB: it goes
// on the heap rather than on a worker thread's stack.
std::string crypt_with(std::string_view password, const std::string& setting) {
  // crypt(3) reads a C string: "secret\0anything" would verify as "secret".
  if (password.find('\0') != std::string_view::npos) return {};
  std::string phrase(password);
  auto data = std::make_unique<crypt_data>();  // value-initialised: zeroed, as crypt_rn wants
  const char* output =
      ::crypt_rn(phrase.c_str(), setting.c_str(), data.get(), static_cast<int>(sizeof(crypt_data)));
  // Failure is a null pointer or one of libxcrypt's tokens starting with '*'.
  std::string result = output != nullptr && output[0] != '*' ? std::string(output) : std::string();
  // Neither the password nor the intermediate state should linger in memory.
  OPENSSL_cleanse(data.get(), sizeof(crypt_data));
  OPENSSL_cleanse(phrase.data(), phrase.size());
  return result;
}

// Whether `password` hashes to `hash`. The length of a hash is fixed by its
// method, so comparing lengths first tells an attacker nothing; the bytes
// are compared in constant time, so the time taken does not reveal how many
// leading characters were right.
bool password_matches(std::string_view password, const std::string& hash) {
  const std::string computed = crypt_with(password, hash);
  return computed.size() == hash.size() &&
         CRYPTO_memcmp(computed.data(), hash.data(), hash.size()) == 0;
}

// The text of a field with surrounding blanks removed.
std::string_view trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t\r");
  return text.substr(first, last - first + 1);
}

// Users from a file, fixed after construction. Nothing changes once the
// server runs, so the const lookups below need no lock to be thread-safe.
class FileAuthorizer final : public cppftpd::Authorizer {
 public:
  // Reads `path`; throws std::runtime_error naming the line of any mistake.
  explicit FileAuthorizer(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw std::runtime_error("cannot open users file \"" + path + "\"");
    std::string line;
    for (unsigned number = 1; std::getline(in, line); ++number) {
      const std::string_view text = trim(line);
      if (text.empty() || text.front() == '#') continue;
      try {
        add(text);
      } catch (const std::exception& e) {
        throw std::runtime_error(path + ":" + std::to_string(number) + ": " + e.what());
      }
    }
    if (in.bad()) throw std::runtime_error("cannot read users file \"" + path + "\"");
    if (users_.empty()) throw std::runtime_error(path + ": no users");
  }

  std::size_t size() const noexcept { return users_.size(); }

  // Runs on a worker thread (it is slow on purpose: yescrypt takes tens of
  // milliseconds), never on the event loop.
  std::optional<cppftpd::Account> authenticate(std::string_view name,
                                               std::string_view password) override {
    const auto it = users_.find(name);
    if (it == users_.end()) {
      // Hash anyway, and ignore the result: an unknown name then takes as
      // long as a known one, so the reply time does not tell which exist.
      static_cast<void>(password_matches(password, decoy_hash_));
      return std::nullopt;
    }
    if (!password_matches(password, it->second.hash)) return std::nullopt;
    return it->second.account;
  }

  // Runs on the event loop for every command: a map lookup and a bit test.
  bool has_perm(const cppftpd::Account& account, char letter,
                const cppftpd::VirtualPath& path) const override {
    return perms(account, path).has(letter);
  }

  // The same letters everywhere in the user's tree: this file format has no
  // per-directory overrides (MemoryAuthorizer::override_perm shows how they
  // could work).
  cppftpd::Permissions perms(const cppftpd::Account& account,
                             const cppftpd::VirtualPath& /*path*/) const override {
    const auto it = users_.find(account.name);
    return it != users_.end() ? it->second.perms : cppftpd::Permissions{};
  }

 private:
  struct User {
    cppftpd::Account account;
    std::string hash;
    cppftpd::Permissions perms;
  };

  // One "name:hash:home:perms" line. The hash holds no ':' (crypt(3) uses
  // only [a-zA-Z0-9./$]), the home may: it is everything between the second
  // ':' and the last one.
  void add(std::string_view text) {
    const auto first = text.find(':');
    const auto second = first == std::string_view::npos ? first : text.find(':', first + 1);
    const auto last = text.rfind(':');
    if (second == std::string_view::npos || last == second) {
      throw std::runtime_error("expected name:crypt-hash:home:perms");
    }
    const std::string name(trim(text.substr(0, first)));
    std::string hash(trim(text.substr(first + 1, second - first - 1)));
    const std::string home(trim(text.substr(second + 1, last - second - 1)));
    const std::string_view letters = trim(text.substr(last + 1));

    if (name.empty()) throw std::runtime_error("empty user name");
    if (users_.contains(name)) throw std::runtime_error("user \"" + name + "\" is listed twice");
    check_hash(name, hash);
    const auto perms = cppftpd::Permissions::parse(letters);
    if (!perms) {
      throw std::runtime_error("unknown permission letter in \"" + std::string(letters) +
                               "\" (valid: " + std::string(cppftpd::Permissions::kLetters) + ")");
    }
    // The server opens the home as the user's "/" at login: check it now, and
    // resolve its symlinks once, so a typo is a start-up error, not a 530
    // later. (The session confines every path below it with the kernel.)
    std::error_code error;
    if (home.empty() || !std::filesystem::is_directory(home, error)) {
      throw std::runtime_error("home \"" + home + "\" is not an existing directory");
    }
    const auto canonical = std::filesystem::canonical(home, error);
    if (error) throw std::runtime_error("home \"" + home + "\": " + error.message());

    User user;
    user.account.name = name;
    user.account.home = canonical.string();
    user.perms = *perms;
    // The first hash also serves as the decoy for unknown names: same method,
    // same cost.
    if (decoy_hash_.empty()) decoy_hash_ = hash;
    user.hash = std::move(hash);
    users_.emplace(name, std::move(user));
  }

  // A hash that could never match is a configuration mistake: say so at
  // start-up rather than refusing every login of that user. Error messages
  // never quote the hash: it is still secret material.
  static void check_hash(const std::string& name, const std::string& hash) {
    const auto refuse = [&](const std::string& why) {
      throw std::runtime_error("password hash of \"" + name + "\" " + why);
    };
    // The traditional DES format has no "$id$" prefix; it uses only the first
    // 8 characters of a password, and almost any clear text passes for one.
    if (hash.empty() || hash.front() != '$') refuse("is not a \"$id$...\" crypt(3) hash");
    const int verdict = ::crypt_checksalt(hash.c_str());
    if (verdict != CRYPT_SALT_OK && verdict != CRYPT_SALT_METHOD_LEGACY) {
      refuse("uses a method or parameters libxcrypt does not support");
    }
    // A bare setting ("$6$salt") is accepted by crypt_rn() but never matches:
    // what it makes must have the shape of the hash given.
    const std::string sample = crypt_with("sample password", hash);
    const std::size_t salt_end = hash.rfind('$');
    if (sample.size() != hash.size() || sample.compare(0, salt_end, hash, 0, salt_end) != 0) {
      refuse("is incomplete or damaged");
    }
  }

  std::map<std::string, User, std::less<>> users_;  // less<>: find() by string_view
  std::string decoy_hash_;
};

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
    std::cerr << "usage: file_authorizer USERS_FILE PORT\n";
    return 2;
  }

  try {
    FileAuthorizer users(argv[1]);
    std::cout << "loaded " << users.size() << " user(s) from " << argv[1] << '\n';

    cppftpd::ServerConfig config;
    config.listen.port = port;  // host "": every address, IPv6 and IPv4
    // The server only holds a reference: `users` must (and does) outlive it.
    cppftpd::Server server(config, users);
    std::cout << "listening on port " << server.port() << std::endl;
    server.run();
  } catch (const std::exception& e) {
    std::cerr << "file_authorizer: " << e.what() << '\n';
    return 1;
  }
  return 0;
}
