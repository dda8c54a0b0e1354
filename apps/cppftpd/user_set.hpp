#pragma once
// The accounts the daemon serves, replaceable while it runs (SIGHUP):
// a MemoryAuthorizer plus the per-user limits it does not know about.

#include <cppftpd/authorizer.hpp>

#include <atomic>
#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace cppftpd::cli {

/// Limits of one user beyond its password and permissions.
struct UserLimits {
  unsigned max_sessions = 0;            ///< logged-in sessions at once; 0: no limit
  bool enabled = true;                  ///< false: the user cannot log in
  std::uint64_t max_download_rate = 0;  ///< bytes/s of one download; 0: the server's
  std::uint64_t max_upload_rate = 0;    ///< bytes/s of one upload; 0: the server's
};

/// One generation of accounts; never modified once published (the
/// pointer is not to const only because Authorizer::authenticate() is not).
struct UserSet {
  MemoryAuthorizer authorizer;
  std::map<std::string, UserLimits, std::less<>> limits;
};

/// An Authorizer over a UserSet that replace() swaps atomically: logins
/// after the swap see the new users; sessions already logged in keep their
/// connection, and their permissions follow the new set (a removed user's
/// sessions lose every permission). Counts logged-in sessions per user
/// (session_started/ended, called from the login/logout hooks) to enforce
/// max_sessions: a successful authentication reserves a slot, which the
/// login then takes, so two logins racing for the last slot cannot both get
/// in. A reservation that no login takes (the client left in between)
/// lapses after kReservation.
class ReloadableAuthorizer final : public Authorizer {
 public:
  explicit ReloadableAuthorizer(std::shared_ptr<UserSet> users);

  /// Publishes a new set of users. Thread-safe.
  void replace(std::shared_ptr<UserSet> users);

  /// A session of `user` logged in / logged out (thread-safe).
  void session_started(std::string_view user);
  void session_ended(std::string_view user);

  /// Whether the current set holds `user` ("anonymous" for the anonymous
  /// account). Thread-safe.
  bool has_user(std::string_view user) const;

  std::optional<Account> authenticate(std::string_view user, std::string_view password) override;
  bool has_perm(const Account& account, char letter, const VirtualPath& path) const override;
  Permissions perms(const Account& account, const VirtualPath& path) const override;

 private:
  std::shared_ptr<UserSet> current() const;

  // Read on every command of every session: a lock-free load, no mutex.
  std::atomic<std::shared_ptr<UserSet>> users_;
  /// How long an authentication holds a slot for its login.
  static constexpr std::chrono::seconds kReservation{30};
  struct Slots {
    unsigned active = 0;                                         // logged in
    std::deque<std::chrono::steady_clock::time_point> reserved;  // authenticated, not yet in
  };
  std::mutex mutex_;  // guards sessions_
  std::map<std::string, Slots, std::less<>> sessions_;
};

}  // namespace cppftpd::cli
