#include "pidfile.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace cppftpd::cli {

PidFile::PidFile(std::string path)
    : path_(std::move(path)), contents_(std::to_string(::getpid()) + "\n") {
  const std::string temporary = path_ + ".tmp";
  const auto fail = [&](const char* what) {
    const int error = errno;
    ::unlink(temporary.c_str());
    throw std::runtime_error(std::string(what) + " " + path_ + ": " + std::strerror(error));
  };
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) fail("cannot write");
  const bool written =
      ::write(fd, contents_.data(), contents_.size()) == static_cast<ssize_t>(contents_.size());
  if (::close(fd) != 0 || !written) fail("cannot write");
  if (::rename(temporary.c_str(), path_.c_str()) != 0) fail("cannot create");
}

PidFile::~PidFile() {
  std::ifstream in(path_);
  std::ostringstream text;
  text << in.rdbuf();
  if (text.str() == contents_) ::unlink(path_.c_str());
}

}  // namespace cppftpd::cli
