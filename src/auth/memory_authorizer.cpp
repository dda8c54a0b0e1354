#include <cppftpd/authorizer.hpp>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <array>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>

namespace cppftpd {

namespace {

constexpr std::string_view kAnonymousName = "anonymous";

using Digest = std::array<unsigned char, 32>;

// Passwords are compared as SHA-256 digests with CRYPTO_memcmp: the time taken
// depends on neither the content nor the length of what the client sent, and
// the clear text need not stay in memory after add_user().
Digest sha256(std::string_view data) {
  Digest digest{};
  unsigned int length = 0;
  if (EVP_Digest(data.data(), data.size(), digest.data(), &length, EVP_sha256(), nullptr) != 1 ||
      length != digest.size()) {
    std::abort();  // a broken crypto library is not something to carry on with
  }
  return digest;
}

std::string digest_string(std::string_view password) {
  const Digest digest = sha256(password);
  return {reinterpret_cast<const char*>(digest.data()), digest.size()};
}

bool equals_ignoring_ascii_case(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

// The login names that mean "anonymous" (RFC 1635 uses "anonymous"; "ftp" is
// the traditional alias). They are reserved so a named account can never be
// shadowed by, or mistaken for, the anonymous one.
bool is_anonymous_name(std::string_view name) noexcept {
  return equals_ignoring_ascii_case(name, kAnonymousName) ||
         equals_ignoring_ascii_case(name, "ftp");
}

Permissions parse_or_throw(std::string_view letters) {
  auto parsed = Permissions::parse(letters);
  if (!parsed) {
    throw std::invalid_argument("unknown permission letter in \"" + std::string(letters) +
                                "\" (valid: " + std::string(Permissions::kLetters) + ")");
  }
  return *parsed;
}

// The real directory behind `home`: the session opens it as the user's "/",
// so symlinks in the configured path are resolved once, here.
std::string canonical_home(const std::string& home) {
  std::error_code error;
  if (home.empty() || !std::filesystem::is_directory(home, error)) {
    throw std::invalid_argument("home directory \"" + home + "\" is not an existing directory");
  }
  auto canonical = std::filesystem::canonical(home, error);
  if (error) {
    throw std::invalid_argument("home directory \"" + home + "\": " + error.message());
  }
  return canonical.string();
}

// `path` (absolute, lexically normalised) as a path below `home`, if it is one.
std::optional<VirtualPath> strip_home(const std::string& home, const std::string& path) {
  if (home == "/") return VirtualPath::resolve({}, path);
  if (path == home) return VirtualPath{};
  if (path.size() > home.size() && path.compare(0, home.size(), home) == 0 &&
      path[home.size()] == '/') {
    return VirtualPath::resolve({}, std::string_view(path).substr(home.size()));
  }
  return std::nullopt;
}

// override_perm() takes a virtual path ("/upload") or, as pyftpdlib does, a
// real path inside the home ("/srv/ftp/upload"). An absolute path that lies
// inside the home, lexically or once its symlinks are resolved, is the real
// kind; anything else is virtual. Matching stays lexical afterwards, like the
// paths a session resolves.
VirtualPath override_directory(const std::string& home, const std::string& directory) {
  if (directory.empty() || directory.front() != '/') return VirtualPath::resolve({}, directory);
  const std::string lexical = VirtualPath::resolve({}, directory).str();
  if (auto inside = strip_home(home, lexical)) return *inside;
  std::error_code error;
  const auto resolved = std::filesystem::weakly_canonical(directory, error);
  if (!error) {
    if (auto inside = strip_home(home, resolved.lexically_normal().string())) return *inside;
  }
  return VirtualPath::resolve({}, directory);
}

bool is_below(const VirtualPath& path, const VirtualPath& directory) {
  if (directory.is_root()) return true;
  const std::string& p = path.str();
  const std::string& d = directory.str();
  return p.size() > d.size() && p.compare(0, d.size(), d) == 0 && p[d.size()] == '/';
}

}  // namespace

void MemoryAuthorizer::add_user(const std::string& name, const std::string& password,
                                const std::string& home, std::string_view perms,
                                std::string msg_login, std::string msg_quit) {
  if (name.empty()) throw std::invalid_argument("user name is empty");
  if (is_anonymous_name(name)) {
    throw std::invalid_argument("user name \"" + name + "\" is reserved: use add_anonymous()");
  }
  if (users_.contains(name)) throw std::invalid_argument("user \"" + name + "\" already exists");
  User user;
  user.perms = parse_or_throw(perms);
  user.account.name = name;
  user.account.home = canonical_home(home);
  user.account.msg_login = std::move(msg_login);
  user.account.msg_quit = std::move(msg_quit);
  // Only the digest is kept: it is all that authenticate() compares.
  user.password = digest_string(password);
  users_.emplace(name, std::move(user));
}

void MemoryAuthorizer::add_anonymous(const std::string& home, std::string_view perms,
                                     std::string msg_login, std::string msg_quit) {
  if (users_.contains(kAnonymousName)) {
    throw std::invalid_argument("the anonymous user already exists");
  }
  User user;
  // Write letters are accepted on purpose: the CLI's -w grants them to the
  // anonymous share. Whoever configures it so has chosen a public upload area.
  user.perms = parse_or_throw(perms);
  user.account.name = std::string(kAnonymousName);
  user.account.home = canonical_home(home);
  user.account.anonymous = true;
  user.account.msg_login = std::move(msg_login);
  user.account.msg_quit = std::move(msg_quit);
  users_.emplace(std::string(kAnonymousName), std::move(user));
}

void MemoryAuthorizer::remove_user(std::string_view name) {
  if (const auto it = users_.find(name); it != users_.end()) users_.erase(it);
}

bool MemoryAuthorizer::has_user(std::string_view name) const { return find(name) != nullptr; }

void MemoryAuthorizer::override_perm(std::string_view user_name, const std::string& directory,
                                     std::string_view perms, bool recursive) {
  const auto it = users_.find(user_name);
  if (it == users_.end()) {
    throw std::invalid_argument("no such user \"" + std::string(user_name) + "\"");
  }
  User& user = it->second;
  Override entry{override_directory(user.account.home, directory), parse_or_throw(perms),
                 recursive};
  // A second override of the same directory replaces the first, so the most
  // specific match in perms() is never a tie.
  for (auto& existing : user.overrides) {
    if (existing.directory == entry.directory) {
      existing = std::move(entry);
      return;
    }
  }
  user.overrides.push_back(std::move(entry));
}

std::optional<Account> MemoryAuthorizer::authenticate(std::string_view user_name,
                                                      std::string_view password) {
  if (is_anonymous_name(user_name)) {
    // Any password: by convention (RFC 1635) it is the client's e-mail address.
    const User* anonymous = find(kAnonymousName);
    if (anonymous == nullptr) return std::nullopt;
    return anonymous->account;
  }
  const Digest offered = sha256(password);
  const User* user = find(user_name);
  // An unknown user still costs one digest and one comparison, so the reply
  // time does not tell which user names exist.
  static const std::string kNoUserDigest = digest_string("\x01no such user\x01");
  const std::string& expected = user != nullptr ? user->password : kNoUserDigest;
  const bool match = CRYPTO_memcmp(offered.data(), expected.data(), offered.size()) == 0;
  if (user == nullptr || !match) return std::nullopt;
  return user->account;
}

bool MemoryAuthorizer::has_perm(const Account& account, char letter,
                                const VirtualPath& path) const {
  return perms(account, path).has(letter);
}

Permissions MemoryAuthorizer::perms(const Account& account, const VirtualPath& path) const {
  const User* user = find(account.anonymous ? kAnonymousName : std::string_view(account.name));
  if (user == nullptr) return {};  // not one of ours (or removed since login): nothing
  // pyftpdlib's override semantics: an override on D covers D itself and the
  // entries directly in it, and everything below it when recursive. The
  // longest matching D wins, so /pub/incoming can refine /pub.
  const VirtualPath parent = path.parent();
  const Override* best = nullptr;
  for (const auto& entry : user->overrides) {
    const bool applies = path == entry.directory || parent == entry.directory ||
                         (entry.recursive && is_below(path, entry.directory));
    if (applies &&
        (best == nullptr || entry.directory.str().size() > best->directory.str().size())) {
      best = &entry;
    }
  }
  return best != nullptr ? best->perms : user->perms;
}

const MemoryAuthorizer::User* MemoryAuthorizer::find(std::string_view name) const {
  const auto it = users_.find(name);
  return it == users_.end() ? nullptr : &it->second;
}

}  // namespace cppftpd
