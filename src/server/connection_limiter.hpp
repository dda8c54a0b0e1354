#pragma once
// ConnectionLimiter: --max-cons and --max-cons-per-ip. Sessions live on
// several threads, so the counts are behind a mutex (taken once per connect
// and once per disconnect: nothing hot).

#include <asio/ip/address.hpp>

#include <cstddef>
#include <map>
#include <mutex>

namespace cppftpd {

class ConnectionLimiter {
 public:
  /// 0 for max_per_address means no per-address limit.
  ConnectionLimiter(std::size_t max_total, std::size_t max_per_address)
      : max_total_(max_total), max_per_address_(max_per_address) {}

  /// A counted connection; the count drops when the ticket is destroyed.
  class Ticket {
   public:
    Ticket() = default;
    Ticket(Ticket&& other) noexcept { *this = std::move(other); }
    Ticket& operator=(Ticket&& other) noexcept;
    ~Ticket();
    Ticket(const Ticket&) = delete;
    Ticket& operator=(const Ticket&) = delete;
    explicit operator bool() const noexcept { return owner_ != nullptr; }

   private:
    friend class ConnectionLimiter;
    Ticket(ConnectionLimiter* owner, asio::ip::address address)
        : owner_(owner), address_(std::move(address)) {}
    ConnectionLimiter* owner_ = nullptr;
    asio::ip::address address_;
  };

  enum class Verdict { admitted, too_many, too_many_from_address };

  /// Counts a new connection from `address` if the limits allow it.
  Verdict acquire(const asio::ip::address& address, Ticket& ticket);

  std::size_t active() const;

 private:
  void release(const asio::ip::address& address);

  const std::size_t max_total_;
  const std::size_t max_per_address_;
  mutable std::mutex mutex_;
  std::size_t total_ = 0;
  std::map<asio::ip::address, std::size_t> per_address_;
};

}  // namespace cppftpd
