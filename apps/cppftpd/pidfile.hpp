#pragma once
// --pidfile FILE: the process id, written once the server listens and
// removed when it stops.

#include <string>

namespace cppftpd::cli {

class PidFile {
 public:
  /// Writes getpid() and a newline to `path` (through a temporary file and
  /// rename(2), so a reader never sees it half-written). Throws
  /// std::runtime_error naming the path.
  explicit PidFile(std::string path);
  /// Removes the file if it still holds our pid.
  ~PidFile();
  PidFile(const PidFile&) = delete;
  PidFile& operator=(const PidFile&) = delete;

 private:
  std::string path_;
  std::string contents_;
};

}  // namespace cppftpd::cli
