#pragma once
// The transfer log in wu-ftpd's xferlog(5) format, one line per file
// transfer (complete or not), as ProFTPD, vsftpd and Pure-FTPd write it and
// log analysers read it:
//
//   current-time transfer-time remote-host file-size filename transfer-type
//   special-action-flag direction access-mode username service-name
//   authentication-method authenticated-user-id completion-status
//
// e.g. "Fri Dec  4 02:18:00 2026 1 127.0.0.1 4096 /pub/a.txt b _ o a anonymous ftp 0 * c"

#include "reopenable_file.hpp"

#include <cppftpd/events.hpp>

#include <ctime>
#include <memory>
#include <string>

namespace cppftpd::cli {

/// Direction of a transfer, from the server's side.
enum class Direction { outgoing, incoming };

/// One xferlog(5) line (with its '\n') for `event` ending at `now`.
/// current-time is ctime(3) in local time; transfer-time is whole seconds,
/// rounded, at least 1 (as wu-ftpd); file-size is the bytes that crossed the
/// data connection; the filename is the path as the client sees it, with
/// spaces and control characters replaced by '_' so the line keeps its 14
/// fields; access-mode is 'a' for anonymous, 'r' for real users; the user's
/// login name; service "ftp"; authentication-method 0 and user id "*" (no
/// RFC 1413 ident); completion 'c' or 'i'.
std::string xferlog_line(const TransferEvent& event, Direction direction, bool complete,
                         std::time_t now);

/// Appends xferlog lines to a file; thread-safe (hooks run on every worker).
class TransferLog {
 public:
  explicit TransferLog(std::string path) : file_(std::move(path)) {}
  void record(const TransferEvent& event, Direction direction, bool complete);
  void reopen() { file_.reopen(); }

 private:
  ReopenableFile file_;
};

/// Adds hooks writing to `log` to `hooks`, after any hooks already there.
void add_transfer_log_hooks(EventHooks& hooks, std::shared_ptr<TransferLog> log);

}  // namespace cppftpd::cli
