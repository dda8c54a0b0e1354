#pragma once
// Result<T>: a value or a std::error_code. What a client can cause is a value,
// never an exception (DESIGN.md principle 5).

#include <cassert>
#include <system_error>
#include <utility>
#include <variant>

namespace cppftpd {

/// Holds either a T or the std::error_code that explains why there is none.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::move(value)) {}                      // NOLINT: implicit by design
  Result(std::error_code error) : state_(error) { assert(error); }  // NOLINT
  Result(std::errc error) : state_(std::make_error_code(error)) {}   // NOLINT

  /// True when a value is held.
  bool ok() const noexcept { return state_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }

  /// The value; only valid when ok().
  T& value() & { return std::get<0>(state_); }
  const T& value() const& { return std::get<0>(state_); }
  T&& value() && { return std::get<0>(std::move(state_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  /// The error; an empty error_code when ok().
  std::error_code error() const noexcept {
    return ok() ? std::error_code{} : std::get<1>(state_);
  }

 private:
  std::variant<T, std::error_code> state_;
};

/// Success-or-error for operations without a value.
using Status = std::error_code;

}  // namespace cppftpd
