#include "server/address_ban.hpp"

#include <algorithm>

namespace cppftpd {

AddressBan::AddressBan(unsigned threshold, std::chrono::seconds window,
                       std::chrono::seconds duration, std::size_t max_entries)
    : threshold_(threshold),
      window_(window),
      duration_(duration),
      max_entries_(std::max<std::size_t>(1, max_entries)) {}

bool AddressBan::expired(const Entry& entry, Clock::time_point now) const {
  return now >= entry.banned_until && now - entry.window_start >= window_;
}

asio::ip::address AddressBan::key_of(const asio::ip::address& address) {
  if (!address.is_v6()) return address;
  const auto v6 = address.to_v6();
  if (v6.is_v4_mapped()) return asio::ip::make_address_v4(asio::ip::v4_mapped, v6);
  auto bytes = v6.to_bytes();
  for (std::size_t i = 8; i < bytes.size(); ++i) bytes[i] = 0;
  return asio::ip::address_v6(bytes);
}

bool AddressBan::banned(const asio::ip::address& address, Clock::time_point now) {
  if (threshold_ == 0) return false;
  std::lock_guard lock(mutex_);
  const auto it = entries_.find(key_of(address));
  if (it == entries_.end()) return false;
  if (now < it->second.banned_until) return true;
  if (expired(it->second, now)) entries_.erase(it);
  return false;
}

bool AddressBan::record_failure(const asio::ip::address& address, Clock::time_point now) {
  if (threshold_ == 0) return false;
  const auto key = key_of(address);
  std::lock_guard lock(mutex_);
  auto it = entries_.find(key);
  if (it == entries_.end()) {
    if (entries_.size() >= max_entries_) make_room(now);
    it = entries_.emplace(key, Entry{now, 0, {}}).first;
  }
  Entry& entry = it->second;
  if (now < entry.banned_until) return false;  // already banned
  if (now - entry.window_start >= window_) entry = Entry{now, 0, {}};
  if (++entry.failures < threshold_) return false;
  entry.banned_until = now + duration_;
  entry.failures = 0;
  entry.window_start = now;
  return true;
}

void AddressBan::record_success(const asio::ip::address& address, Clock::time_point now) {
  if (threshold_ == 0) return;
  std::lock_guard lock(mutex_);
  const auto it = entries_.find(key_of(address));
  if (it != entries_.end() && now >= it->second.banned_until) entries_.erase(it);
}

void AddressBan::make_room(Clock::time_point now) {
  // First whatever has expired; if the table is still full, the entry that
  // matters least: not banned, oldest window (a ban in force is kept as long
  // as any unbanned entry can go instead).
  std::erase_if(entries_, [&](const auto& item) { return expired(item.second, now); });
  if (entries_.size() < max_entries_) return;
  auto victim = entries_.end();
  for (auto it = entries_.begin(); it != entries_.end(); ++it) {
    const bool is_banned = now < it->second.banned_until;
    if (victim == entries_.end()) {
      victim = it;
      continue;
    }
    const bool victim_banned = now < victim->second.banned_until;
    if (victim_banned != is_banned) {
      if (victim_banned) victim = it;
      continue;
    }
    const auto key = is_banned ? it->second.banned_until : it->second.window_start;
    const auto victim_key = is_banned ? victim->second.banned_until : victim->second.window_start;
    if (key < victim_key) victim = it;
  }
  entries_.erase(victim);
}

std::size_t AddressBan::size() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

}  // namespace cppftpd
