#pragma once
// AccountCache: the sessions of one account share one immutable Account.
//
// An Authorizer returns an Account by value at every login: its strings (home,
// login and quit messages) and credentials, about 250 bytes a session held for
// the session's life. A thousand sessions of one account need one copy.

#include <cppftpd/authorizer.hpp>

#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

namespace cppftpd {

class AccountCache {
 public:
  /// The shared Account equal to `account` if a live session holds one, else
  /// `account` itself, now shared. Thread-safe (called once per login, on the
  /// session's worker).
  std::shared_ptr<const Account> share(Account account);

  /// Names with an entry, live or not (for tests).
  std::size_t size() const;

 private:
  void sweep();  // drops the entries no session holds any more

  mutable std::mutex mutex_;
  // By login name; the last Account shared for that name. An Authorizer may
  // return another Account for the same name later (a reloaded users file):
  // it then replaces the entry, and the sessions holding the old one keep it.
  std::unordered_map<std::string, std::weak_ptr<const Account>> accounts_;
  std::size_t sweep_at_ = 64;  // the next sweep when the table reaches this size
};

}  // namespace cppftpd
