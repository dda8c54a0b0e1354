#include "xferlog.hpp"

#include "hook_chain.hpp"

#include <fmt/format.h>

#include <cmath>

namespace cppftpd::cli {

namespace {

std::string field(std::string_view text) {
  std::string out(text.empty() ? std::string_view("-") : text);
  for (char& c : out) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f) c = '_';
  }
  return out;
}

}  // namespace

std::string xferlog_line(const TransferEvent& event, Direction direction, bool complete,
                         std::time_t now) {
  std::tm local{};
  ::localtime_r(&now, &local);
  char when[64];
  // ctime(3)'s layout without its newline: "Fri Dec  4 02:18:00 2026".
  std::strftime(when, sizeof when, "%a %b %e %H:%M:%S %Y", &local);
  const double rounded = std::floor(event.seconds + 0.5);
  const long long seconds = rounded < 1 ? 1 : static_cast<long long>(rounded);
  const bool anonymous = event.session.user == "anonymous";
  return fmt::format("{} {} {} {} {} {} _ {} {} {} ftp 0 * {}\n", when, seconds,
                     field(event.session.peer_address), event.bytes, field(event.path.str()),
                     event.ascii ? 'a' : 'b', direction == Direction::outgoing ? 'o' : 'i',
                     anonymous ? 'a' : 'r', field(event.session.user), complete ? 'c' : 'i');
}

void TransferLog::record(const TransferEvent& event, Direction direction, bool complete) {
  file_.append(xferlog_line(event, direction, complete, std::time(nullptr)));
}

void add_transfer_log_hooks(EventHooks& hooks, std::shared_ptr<TransferLog> log) {
  const auto hook = [log](Direction direction, bool complete) {
    return std::function<void(const TransferEvent&)>(
        [log, direction, complete](const TransferEvent& e) {
          log->record(e, direction, complete);
        });
  };
  chain(hooks.on_file_sent, hook(Direction::outgoing, true));
  chain(hooks.on_incomplete_file_sent, hook(Direction::outgoing, false));
  chain(hooks.on_file_received, hook(Direction::incoming, true));
  chain(hooks.on_incomplete_file_received, hook(Direction::incoming, false));
}

}  // namespace cppftpd::cli
