#pragma once
// Where the server's log goes (standard error, a file, syslog) and in which
// format (pyftpdlib's text lines, or JSON lines).

#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace cppftpd::cli {

enum class LogFormat { text, json };

struct LogOptions {
  LogFormat format = LogFormat::text;
  std::string file;     ///< empty: standard error (unless syslog)
  bool syslog = false;  ///< to syslog(3), facility LOG_DAEMON, ident "cppftpd"
  bool debug = false;
};

/// Installs the default spdlog logger for `options`. Returns a function that
/// reopens the log file (for SIGHUP/SIGUSR1 after logrotate; a no-op without
/// --log-file). Throws std::runtime_error when the file cannot be opened.
std::function<void()> install_logger(const LogOptions& options);

/// `text` as the contents of a JSON string (quotes and control characters
/// escaped; invalid UTF-8 bytes become U+FFFD).
std::string json_escape(std::string_view text);

}  // namespace cppftpd::cli
