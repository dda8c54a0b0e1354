#pragma once
// Accounts and permissions (DESIGN.md principle 6): pyftpdlib's authorizers in C++.

#include <cppftpd/virtual_path.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cppftpd {

/// A set of pyftpdlib permission letters:
/// read  e (CWD, CDUP), l (LIST, NLST, STAT path, MLSD, MLST, SIZE, MDTM), r (RETR);
/// write a (APPE), d (DELE, RMD), f (RNFR, RNTO), m (MKD), w (STOR, STOU),
///       M (SITE CHMOD), T (MFMT).
class Permissions {
 public:
  /// Every letter, in canonical order.
  static constexpr std::string_view kLetters = "elradfmwMT";
  /// The read-only letters.
  static constexpr std::string_view kReadLetters = "elr";

  Permissions() = default;
  /// Parses letters such as "elr"; std::nullopt if any letter is unknown.
  static std::optional<Permissions> parse(std::string_view letters);

  /// Whether `letter` is granted.
  bool has(char letter) const noexcept;
  /// Whether any write letter (adfmwMT) is granted.
  bool can_write() const noexcept;
  /// The granted letters in canonical order, e.g. "elr".
  std::string str() const;

  friend bool operator==(Permissions, Permissions) = default;

 private:
  std::uint16_t bits_ = 0;
};

/// A system user's identity, for file access as that user.
struct Credentials {
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;              ///< primary group
  std::vector<std::uint32_t> groups;  ///< supplementary groups (getgrouplist(3))
  bool operator==(const Credentials&) const = default;
};

/// A logged-in user, as the Authorizer describes it to the server.
struct Account {
  std::string name;                             ///< login name
  std::string home;                             ///< real directory that becomes "/"
  bool anonymous = false;                       ///< logged in as anonymous/ftp
  std::string msg_login = "Login successful.";  ///< text of the 230 reply
  std::string msg_quit = "Goodbye.";            ///< text of the 221 reply
  /// Most bytes per second of one download / upload of this account; 0: the
  /// server's ServerConfig::max_download_rate / max_upload_rate.
  std::uint64_t max_download_rate = 0;
  std::uint64_t max_upload_rate = 0;
  /// Set: every file operation of the session runs with these file-system
  /// credentials (per thread: setfsuid/setfsgid and the thread's groups), so
  /// the kernel grants what it would grant that user, and new files belong
  /// to it. The home is opened as that user too. Needs a server running as
  /// root; without the privilege the login fails. Unset: the server's own.
  std::optional<Credentials> credentials;
  bool operator==(const Account&) const = default;
};

/// Decides who may log in and what they may do. Implement it to check logins
/// elsewhere (a database, an HTTP service).
class Authorizer {
 public:
  virtual ~Authorizer() = default;

  /// Checks a login. May block (a database, the network): the server calls it
  /// on a worker thread, never on the event loop, so it must be thread-safe.
  /// Returns the account, or std::nullopt to refuse.
  virtual std::optional<Account> authenticate(std::string_view user, std::string_view password) = 0;

  /// Whether `account` holds `letter` (see Permissions) on `path`. Called on
  /// the event loop for every command: keep it fast and thread-safe.
  virtual bool has_perm(const Account& account, char letter, const VirtualPath& path) const = 0;

  /// The letters `account` holds at `path` (for MLSD's perm fact).
  virtual Permissions perms(const Account& account, const VirtualPath& path) const = 0;
};

/// A password stored as a crypt(3) hash, as /etc/shadow holds them: yescrypt
/// ("$y$..."), gost-yescrypt ("$gy$"), scrypt ("$7$"), bcrypt ("$2b$..."),
/// sha512-crypt ("$6$...") or sha256-crypt ("$5$..."), among the methods
/// libxcrypt implements. Make one with `mkpasswd` (package whois) or
/// crypt_gensalt(3) + crypt_rn(3), so no clear-text password has to sit in a
/// configuration file.
struct HashedPassword {
  std::string hash;  ///< the whole crypt(3) string: method, parameters, salt and hash
};

/// Marks `hash` as a crypt(3) hash for MemoryAuthorizer::add_user().
inline HashedPassword hashed(std::string hash) { return HashedPassword{std::move(hash)}; }

/// Users held in memory, configured before the server starts (pyftpdlib's
/// DummyAuthorizer). Bad arguments (missing home, unknown letter, duplicate
/// user) throw std::invalid_argument: they are start-up errors.
class MemoryAuthorizer final : public Authorizer {
 public:
  /// Adds a user with a clear-text password (kept in memory only, compared in
  /// constant time), a home directory that must exist, and permission letters.
  void add_user(const std::string& name, const std::string& password, const std::string& home,
                std::string_view perms = Permissions::kReadLetters,
                std::string msg_login = "Login successful.", std::string msg_quit = "Goodbye.");

  /// Adds a user whose password is checked against a crypt(3) hash (see
  /// HashedPassword), with libxcrypt's thread-safe crypt_rn() (sha512-crypt,
  /// "$6$", on OpenSSL's SHA-512 instead: the same hash in about 0.6 of the
  /// CPU, checked against libxcrypt here) and a constant-time comparison; the
  /// rest as above. A hash that libxcrypt does
  /// not accept (malformed, or a method it cannot compute) throws
  /// std::invalid_argument, and so do the traditional DES-based hashes (no
  /// leading '$'): they use only the first 8 characters of a password, and a
  /// clear-text password passed here by mistake can look like one. A password
  /// holding a NUL byte never matches a hash (crypt(3) would stop there).
  /// Verifying costs what the method is tuned to cost (yescrypt: tens of
  /// milliseconds), and once any hashed user exists, logins of clear-text
  /// and unknown users pay one such hash too, so the time taken does not
  /// tell them apart.
  void add_user(const std::string& name, HashedPassword password, const std::string& home,
                std::string_view perms = Permissions::kReadLetters,
                std::string msg_login = "Login successful.", std::string msg_quit = "Goodbye.");

  /// Enables anonymous login ("anonymous" or "ftp", any password) into `home`.
  void add_anonymous(const std::string& home, std::string_view perms = Permissions::kReadLetters,
                     std::string msg_login = "Login successful.",
                     std::string msg_quit = "Goodbye.");

  /// Removes a user (or "anonymous"); unknown names are ignored.
  void remove_user(std::string_view name);

  /// Whether `name` can log in ("anonymous" for the anonymous account).
  bool has_user(std::string_view name) const;

  /// Grants `perms` instead of the user's own in `directory` (a virtual path
  /// such as "/upload", or a real path inside the user's home), and below it
  /// too when `recursive`.
  void override_perm(std::string_view user, const std::string& directory, std::string_view perms,
                     bool recursive = false);

  std::optional<Account> authenticate(std::string_view user, std::string_view password) override;
  bool has_perm(const Account& account, char letter, const VirtualPath& path) const override;
  Permissions perms(const Account& account, const VirtualPath& path) const override;

 private:
  struct Override {
    VirtualPath directory;
    Permissions perms;
    bool recursive = false;
  };
  struct User {
    Account account;
    std::string password_digest;  // SHA-256 of a clear-text password; empty with a hash
    std::string password_hash;    // a crypt(3) hash; empty with a clear-text password
    Permissions perms;
    std::vector<Override> overrides;
  };
  const User* find(std::string_view name) const;
  User make_user(const std::string& name, const std::string& home, std::string_view perms,
                 std::string msg_login, std::string msg_quit) const;

  std::map<std::string, User, std::less<>> users_;
  // A dummy password hashed with the parameters of the first hashed user.
  // Logins with no user hash to verify verify against it (and ignore the
  // result), so every login costs about the same once hashes are in use.
  std::string decoy_hash_;
};

}  // namespace cppftpd
