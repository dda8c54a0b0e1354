#pragma once
// AddressBan: the per-address ban after repeated failed logins, across all
// sessions and workers (docs/security.md, "Brute force"). One small table
// behind a mutex, taken once per connect and once per failed login: nothing
// hot. Its size is bounded (limits::kMaxBanTableEntries), so an attacker with
// many addresses cannot make it grow without end.

#include <asio/ip/address.hpp>

#include <chrono>
#include <cstddef>
#include <mutex>
#include <unordered_map>

namespace cppftpd {

class AddressBan {
 public:
  using Clock = std::chrono::steady_clock;

  /// `threshold` failures within `window` ban the address for `duration`;
  /// a threshold of 0 turns the ban off (nothing is ever recorded).
  AddressBan(unsigned threshold, std::chrono::seconds window, std::chrono::seconds duration,
             std::size_t max_entries);

  /// Whether `address` is banned at `now`.
  bool banned(const asio::ip::address& address, Clock::time_point now = Clock::now());

  /// Records one failed login from `address`; true if this failure starts
  /// a ban (the caller logs it and disconnects).
  bool record_failure(const asio::ip::address& address, Clock::time_point now = Clock::now());

  /// A successful login from `address` forgives its failures so far (as
  /// Windows' account lockout resets its count at a good logon): a user who
  /// mistypes now and then, or a test suite that checks refusals between
  /// its logins, is not banned; a guesser still is, after `threshold`
  /// failures in a row. A ban in force stays.
  void record_success(const asio::ip::address& address, Clock::time_point now = Clock::now());

  /// Entries held (for tests).
  std::size_t size() const;

  /// What an address is counted under: an IPv4 address (or an IPv4-mapped
  /// IPv6 one) as itself; any other IPv6 address by its /64 prefix, since
  /// one host commonly holds a whole /64 and could otherwise rotate through
  /// it to dodge the ban.
  static asio::ip::address key_of(const asio::ip::address& address);

 private:
  struct Entry {
    Clock::time_point window_start;
    unsigned failures = 0;
    Clock::time_point banned_until;  // epoch: not banned
  };
  bool expired(const Entry& entry, Clock::time_point now) const;
  void make_room(Clock::time_point now);

  const unsigned threshold_;
  const std::chrono::seconds window_;
  const std::chrono::seconds duration_;
  const std::size_t max_entries_;
  mutable std::mutex mutex_;
  std::unordered_map<asio::ip::address, Entry> entries_;
};

}  // namespace cppftpd
