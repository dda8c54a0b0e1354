#pragma once
// Event hooks: pyftpdlib's FTPHandler callbacks (on_connect, on_login, ...),
// as std::function fields. Each is optional.

#include <cppftpd/virtual_path.hpp>

#include <cstdint>
#include <functional>
#include <string>

namespace cppftpd {

/// The session an event is about.
struct SessionEvent {
  std::string peer_address;     ///< the client's IP address, e.g. "127.0.0.1" or "::1"
  std::uint16_t peer_port = 0;  ///< the client's port
  std::string user;             ///< the login name; empty before login. For
                                ///< on_login_failed, the name that was tried.
};

/// A file transfer (not listings).
struct TransferEvent {
  SessionEvent session;
  VirtualPath path;         ///< the file as the client sees it ("/" is the home)
  std::uint64_t bytes = 0;  ///< bytes that crossed the data connection
  double seconds = 0;       ///< time the transfer took, from its start (150) to its end
  bool ascii = false;       ///< TYPE A (ASCII) rather than TYPE I (binary)
};

/// Callbacks the server makes as sessions go. They run on the session's
/// event-loop thread, so keep them quick (hand slow work to another thread);
/// an exception thrown by one is logged and otherwise ignored. Each fires
/// exactly once per occurrence.
struct EventHooks {
  std::function<void(const SessionEvent&)> on_connect;     ///< a client connected
  std::function<void(const SessionEvent&)> on_disconnect;  ///< its connection ended
  std::function<void(const SessionEvent&)> on_login;       ///< USER/PASS succeeded
  /// USER/PASS failed. The password is never passed on.
  std::function<void(const SessionEvent&)> on_login_failed;
  /// A logged-in user left: QUIT, REIN, a new USER, or the connection ended.
  std::function<void(const SessionEvent&)> on_logout;
  std::function<void(const TransferEvent&)> on_file_sent;      ///< RETR completed
  std::function<void(const TransferEvent&)> on_file_received;  ///< STOR/APPE/STOU completed
  /// RETR ended early (ABOR, broken connection, error); bytes = what was sent.
  std::function<void(const TransferEvent&)> on_incomplete_file_sent;
  /// STOR/APPE/STOU ended early; the partial file is kept, bytes = what arrived.
  std::function<void(const TransferEvent&)> on_incomplete_file_received;
  /// A reply was queued, with its code (e.g. 226): for counters. It runs for
  /// every reply of every session, so it must be trivial (an atomic
  /// increment); what it throws is ignored without a log line.
  std::function<void(int code)> on_reply;
};

}  // namespace cppftpd
