#include "reopenable_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace cppftpd::cli {

int ReopenableFile::open_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  if (fd < 0) throw std::runtime_error("cannot open " + path + ": " + std::strerror(errno));
  return fd;
}

ReopenableFile::ReopenableFile(std::string path) : path_(std::move(path)), fd_(open_file(path_)) {}

ReopenableFile::~ReopenableFile() {
  if (fd_ >= 0) ::close(fd_);
}

void ReopenableFile::append(std::string_view text) {
  const std::lock_guard lock(mutex_);
  // Bounded: each round writes at least one byte or stops.
  while (!text.empty()) {
    const ssize_t n = ::write(fd_, text.data(), text.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    text.remove_prefix(static_cast<std::size_t>(n));
  }
}

void ReopenableFile::reopen() {
  const int fd = open_file(path_);
  const std::lock_guard lock(mutex_);
  ::close(fd_);
  fd_ = fd;
}

}  // namespace cppftpd::cli
