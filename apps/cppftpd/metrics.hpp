#pragma once
// Counters of the running server, rendered in Prometheus' text exposition
// format (version 0.0.4). Every counter is a relaxed atomic incremented from
// the sessions' hooks: no lock on the FTP path.

#include <cppftpd/events.hpp>

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

namespace cppftpd::cli {

class Metrics {
 public:
  /// Adds hooks that count sessions, logins, transfers, bytes and replies
  /// to `hooks`, after those already there. The Metrics must outlive them.
  void add_hooks(EventHooks& hooks);

  /// A reload of the users succeeded or failed.
  void count_reload(bool ok) noexcept;

  /// Every metric, with HELP and TYPE lines.
  std::string render() const;

 private:
  using Counter = std::atomic<std::uint64_t>;
  static void bump(Counter& counter, std::uint64_t by = 1) noexcept {
    counter.fetch_add(by, std::memory_order_relaxed);
  }

  Counter connections_{0};
  Counter disconnections_{0};
  Counter logins_ok_{0};
  Counter logins_failed_{0};
  Counter bytes_in_{0};
  Counter bytes_out_{0};
  // [direction: 0 out, 1 in][result: 0 complete, 1 incomplete]
  std::array<std::array<Counter, 2>, 2> transfers_{};
  std::array<Counter, 600> replies_{};  // by code 100..599 (others: index 0)
  Counter reloads_ok_{0};
  Counter reloads_failed_{0};
};

}  // namespace cppftpd::cli
