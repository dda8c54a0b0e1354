#include "metrics.hpp"

#include "hook_chain.hpp"

#include <fmt/format.h>

namespace cppftpd::cli {

void Metrics::add_hooks(EventHooks& hooks) {
  chain<SessionEvent>(hooks.on_connect, [this](const SessionEvent&) { bump(connections_); });
  chain<SessionEvent>(hooks.on_disconnect, [this](const SessionEvent&) { bump(disconnections_); });
  chain<SessionEvent>(hooks.on_login, [this](const SessionEvent&) { bump(logins_ok_); });
  chain<SessionEvent>(hooks.on_login_failed, [this](const SessionEvent&) { bump(logins_failed_); });
  const auto transfer = [this](int direction, int result) {
    return std::function<void(const TransferEvent&)>(
        [this, direction, result](const TransferEvent& e) {
          bump(direction == 0 ? bytes_out_ : bytes_in_, e.bytes);
          bump(transfers_[direction][result]);
        });
  };
  chain(hooks.on_file_sent, transfer(0, 0));
  chain(hooks.on_incomplete_file_sent, transfer(0, 1));
  chain(hooks.on_file_received, transfer(1, 0));
  chain(hooks.on_incomplete_file_received, transfer(1, 1));
  auto previous = std::move(hooks.on_reply);
  hooks.on_reply = [this, previous = std::move(previous)](int code) {
    if (previous) previous(code);
    bump(replies_[code >= 100 && code < 600 ? static_cast<std::size_t>(code) : 0]);
  };
}

void Metrics::count_reload(bool ok) noexcept { bump(ok ? reloads_ok_ : reloads_failed_); }

std::string Metrics::render() const {
  const auto get = [](const Counter& c) { return c.load(std::memory_order_relaxed); };
  std::string out;
  const auto header = [&](std::string_view name, std::string_view type, std::string_view help) {
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
  };
  header("cppftpd_build_info", "gauge", "Version of the running cppftpd.");
  out += fmt::format("cppftpd_build_info{{version=\"{}\"}} 1\n", CPPFTPD_VERSION);

  const auto connects = get(connections_);
  const auto disconnects = get(disconnections_);
  header("cppftpd_sessions_open", "gauge", "Control connections open now.");
  out += fmt::format("cppftpd_sessions_open {}\n",
                     connects >= disconnects ? connects - disconnects : 0);
  header("cppftpd_connections_total", "counter", "Control connections accepted.");
  out += fmt::format("cppftpd_connections_total {}\n", connects);

  header("cppftpd_logins_total", "counter", "Logins, by result.");
  out += fmt::format("cppftpd_logins_total{{result=\"ok\"}} {}\n", get(logins_ok_));
  out += fmt::format("cppftpd_logins_total{{result=\"failed\"}} {}\n", get(logins_failed_));

  header("cppftpd_transfer_bytes_total", "counter",
         "File bytes over data connections, by direction (in: uploads).");
  out += fmt::format("cppftpd_transfer_bytes_total{{direction=\"in\"}} {}\n", get(bytes_in_));
  out += fmt::format("cppftpd_transfer_bytes_total{{direction=\"out\"}} {}\n", get(bytes_out_));

  header("cppftpd_transfers_total", "counter", "File transfers, by direction and result.");
  constexpr std::string_view kDirections[] = {"out", "in"};
  constexpr std::string_view kResults[] = {"complete", "incomplete"};
  for (std::size_t d = 0; d < 2; ++d) {
    for (std::size_t r = 0; r < 2; ++r) {
      out += fmt::format("cppftpd_transfers_total{{direction=\"{}\",result=\"{}\"}} {}\n",
                         kDirections[d], kResults[r], get(transfers_[d][r]));
    }
  }

  header("cppftpd_replies_total", "counter", "Replies sent, by code (codes seen so far).");
  for (std::size_t code = 100; code < replies_.size(); ++code) {
    if (const auto n = get(replies_[code]); n != 0) {
      out += fmt::format("cppftpd_replies_total{{code=\"{}\"}} {}\n", code, n);
    }
  }
  header("cppftpd_reply_classes_total", "counter", "Replies sent, by class (2xx, 4xx, ...).");
  for (std::size_t cls = 1; cls <= 5; ++cls) {
    std::uint64_t sum = 0;
    for (std::size_t code = cls * 100; code < cls * 100 + 100; ++code) sum += get(replies_[code]);
    out += fmt::format("cppftpd_reply_classes_total{{class=\"{}xx\"}} {}\n", cls, sum);
  }

  header("cppftpd_reloads_total", "counter", "Reloads of the users (SIGHUP), by result.");
  out += fmt::format("cppftpd_reloads_total{{result=\"ok\"}} {}\n", get(reloads_ok_));
  out += fmt::format("cppftpd_reloads_total{{result=\"failed\"}} {}\n", get(reloads_failed_));
  return out;
}

}  // namespace cppftpd::cli
