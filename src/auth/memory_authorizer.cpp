#include <cppftpd/authorizer.hpp>

#include "auth/sha512_crypt.hpp"

#include <crypt.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <array>
#include <cstdlib>
#include <filesystem>
#include <memory>
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

// The crypt(3) hash of `password` with the method, parameters and salt of
// `setting` (a whole hash will do), or "" if libxcrypt refuses. crypt_rn()
// keeps all its state in the crypt_data it is given, so concurrent logins on
// several worker threads are safe (crypt() would share one static buffer).
std::string libxcrypt_with(std::string_view password, const std::string& setting) {
  // crypt(3) reads a C string: "secret\0anything" would verify as "secret".
  if (password.find('\0') != std::string_view::npos) return {};
  std::string phrase(password);
  // About 32 KiB of scratch: on the heap rather than a worker thread's stack,
  // zeroed first as crypt_rn() requires, wiped afterwards with the phrase.
  auto data = std::make_unique<crypt_data>();
  const char* output =
      ::crypt_rn(phrase.c_str(), setting.c_str(), data.get(), static_cast<int>(sizeof(crypt_data)));
  // crypt_rn() returns null on failure; '*' starts libxcrypt's failure tokens.
  std::string result = output != nullptr && output[0] != '*' ? std::string(output) : std::string();
  OPENSSL_cleanse(data.get(), sizeof(crypt_data));
  OPENSSL_cleanse(phrase.data(), phrase.size());
  return result;
}

// As libxcrypt_with(), but "$6$" settings are computed on OpenSSL's SHA-512
// (detail::sha512_crypt: the same result in about 0.6 of the CPU; logins are
// bound by it). check_crypt_hash() makes sure, for every configured hash,
// that both give the same.
std::string crypt_with(std::string_view password, const std::string& setting) {
  if (auto fast = detail::sha512_crypt(password, setting)) return std::move(*fast);
  return libxcrypt_with(password, setting);
}

// Whether `password` hashes to `hash`. The length of a hash is fixed by its
// method and public anyway; the bytes are compared in constant time.
bool crypt_matches(std::string_view password, const std::string& hash) {
  const std::string computed = crypt_with(password, hash);
  return computed.size() == hash.size() &&
         CRYPTO_memcmp(computed.data(), hash.data(), hash.size()) == 0;
}

// Checks that `hash` is a whole crypt(3) hash libxcrypt can verify, and
// returns the hash of a dummy password with the same method and parameters.
// The messages never quote the hash: it is still secret material.
std::string check_crypt_hash(const std::string& name, const std::string& hash) {
  const auto refuse = [&](std::string_view why) {
    throw std::invalid_argument("password hash of user \"" + name + "\" " + std::string(why));
  };
  if (hash.empty()) refuse("is empty");
  if (hash.find('\0') != std::string::npos) refuse("holds a NUL byte");
  // The traditional DES-based formats have no '$' prefix: they cut passwords
  // to 8 characters, and almost any clear text passes for one of them.
  if (hash.front() != '$') refuse("is not a \"$id$...\" crypt(3) hash (DES hashes are refused)");
  // Legacy methods (sha256-crypt, md5-crypt, ...) are still computed and so
  // accepted: choosing a stronger one is the administrator's call.
  const int verdict = ::crypt_checksalt(hash.c_str());
  if (verdict != CRYPT_SALT_OK && verdict != CRYPT_SALT_METHOD_LEGACY) {
    refuse("uses a method or parameters libxcrypt does not support");
  }
  constexpr std::string_view kDummy = "\x01 dummy password \x01";
  std::string dummy = libxcrypt_with(kDummy, hash);
  if (dummy.empty()) refuse("is malformed: libxcrypt cannot compute it");
  // The "$6$" fast path must agree with libxcrypt on every hash it takes: a
  // disagreement would be a bug of ours that locks the user out, so it is
  // said at configuration time rather than found at login.
  if (const auto fast = detail::sha512_crypt(kDummy, hash); fast && *fast != dummy) {
    throw std::logic_error(
        "cppftpd's SHA-512-crypt disagrees with libxcrypt on the hash of user \"" + name +
        "\" (a bug: please report it)");
  }
  // A bare setting ("$6$salt") or a damaged hash is accepted by crypt_rn()
  // but could never match: whatever it makes must have the hash's length and
  // keep everything up to the last '$' (method, parameters, salt) unchanged.
  const std::size_t salt_end = hash.rfind('$');
  if (dummy.size() != hash.size() || dummy.compare(0, salt_end, hash, 0, salt_end) != 0) {
    refuse("is incomplete or damaged: libxcrypt makes hashes of another shape with it");
  }
  return dummy;
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

MemoryAuthorizer::User MemoryAuthorizer::make_user(const std::string& name, const std::string& home,
                                                   std::string_view perms, std::string msg_login,
                                                   std::string msg_quit) const {
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
  return user;
}

void MemoryAuthorizer::add_user(const std::string& name, const std::string& password,
                                const std::string& home, std::string_view perms,
                                std::string msg_login, std::string msg_quit) {
  User user = make_user(name, home, perms, std::move(msg_login), std::move(msg_quit));
  // Only the digest is kept: it is all that authenticate() compares.
  user.password_digest = digest_string(password);
  users_.emplace(name, std::move(user));
}

void MemoryAuthorizer::add_user(const std::string& name, HashedPassword password,
                                const std::string& home, std::string_view perms,
                                std::string msg_login, std::string msg_quit) {
  User user = make_user(name, home, perms, std::move(msg_login), std::move(msg_quit));
  std::string dummy = check_crypt_hash(name, password.hash);
  user.password_hash = std::move(password.hash);
  if (decoy_hash_.empty()) decoy_hash_ = std::move(dummy);
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
  bool match = false;
  if (user != nullptr && !user->password_hash.empty()) {
    match = crypt_matches(password, user->password_hash);
  } else {
    // An unknown user still costs one digest and one comparison, so the reply
    // time does not tell which user names exist.
    static const std::string kNoUserDigest = digest_string("\x01no such user\x01");
    const std::string& expected = user != nullptr ? user->password_digest : kNoUserDigest;
    match = CRYPTO_memcmp(offered.data(), expected.data(), offered.size()) == 0;
    // With hashed users around, a login that hashes nothing would be quick
    // enough to tell clear-text and unknown names from theirs: hash once too,
    // against the decoy, whose result has no say.
    if (!decoy_hash_.empty()) static_cast<void>(crypt_matches(password, decoy_hash_));
  }
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
