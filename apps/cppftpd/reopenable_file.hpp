#pragma once
// An append-only log file that can be reopened (after logrotate renamed it),
// shared by threads: every append is one write(2) on an O_APPEND descriptor.

#include <mutex>
#include <string>
#include <string_view>

namespace cppftpd::cli {

class ReopenableFile {
 public:
  /// Opens (creating, mode 0640) `path` for appending; throws
  /// std::runtime_error naming it when it cannot.
  explicit ReopenableFile(std::string path);
  ~ReopenableFile();
  ReopenableFile(const ReopenableFile&) = delete;
  ReopenableFile& operator=(const ReopenableFile&) = delete;

  /// Appends `text` (whole lines). Errors are ignored: a full disk must not
  /// stop the server, and there is nowhere else to report them.
  void append(std::string_view text);
  /// Opens the path again (a new file if it was renamed); on failure keeps
  /// the old descriptor and throws std::runtime_error.
  void reopen();

  const std::string& path() const noexcept { return path_; }

 private:
  static int open_file(const std::string& path);

  std::string path_;
  std::mutex mutex_;  // guards fd_ against a concurrent reopen()
  int fd_ = -1;
};

}  // namespace cppftpd::cli
