#include "server/connection_limiter.hpp"

#include <utility>

namespace cppftpd {

ConnectionLimiter::Ticket& ConnectionLimiter::Ticket::operator=(Ticket&& other) noexcept {
  if (this != &other) {
    if (owner_ != nullptr) owner_->release(address_);
    owner_ = std::exchange(other.owner_, nullptr);
    address_ = other.address_;
  }
  return *this;
}

ConnectionLimiter::Ticket::~Ticket() {
  if (owner_ != nullptr) owner_->release(address_);
}

ConnectionLimiter::Verdict ConnectionLimiter::acquire(const asio::ip::address& address,
                                                      Ticket& ticket) {
  std::lock_guard lock(mutex_);
  if (total_ >= max_total_) return Verdict::too_many;
  auto& from_address = per_address_[address];
  if (max_per_address_ != 0 && from_address >= max_per_address_) {
    if (from_address == 0) per_address_.erase(address);
    return Verdict::too_many_from_address;
  }
  ++from_address;
  ++total_;
  ticket = Ticket(this, address);
  return Verdict::admitted;
}

std::size_t ConnectionLimiter::active() const {
  std::lock_guard lock(mutex_);
  return total_;
}

void ConnectionLimiter::release(const asio::ip::address& address) {
  std::lock_guard lock(mutex_);
  --total_;
  auto it = per_address_.find(address);
  if (it != per_address_.end() && --it->second == 0) per_address_.erase(it);
}

}  // namespace cppftpd
