#pragma once
// Several features (user sessions, xferlog, metrics) listen to the same
// EventHooks: chain() runs a new callback after the ones already set.

#include <cppftpd/events.hpp>

#include <functional>
#include <utility>

namespace cppftpd::cli {

template <typename Event>
void chain(std::function<void(const Event&)>& hook, std::function<void(const Event&)> extra) {
  if (!hook) {
    hook = std::move(extra);
    return;
  }
  hook = [first = std::move(hook), second = std::move(extra)](const Event& event) {
    first(event);
    second(event);
  };
}

}  // namespace cppftpd::cli
