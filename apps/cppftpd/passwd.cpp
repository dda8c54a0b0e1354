#include "passwd.hpp"

#include <CLI/CLI.hpp>

#include <crypt.h>
#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <memory>
#include <string>

namespace cppftpd::cli {

namespace {

// Longest password read (a typo such as a pasted file should not be hashed).
constexpr std::size_t kMaxPassword = 1024;

// One line from `in`, without its end of line; false at EOF with nothing read.
bool read_line(std::FILE* in, std::string& line) {
  line.clear();
  int c = 0;
  bool any = false;
  while ((c = std::fgetc(in)) != EOF) {
    any = true;
    if (c == '\n') break;
    if (line.size() > kMaxPassword) continue;  // keep reading to the end of the line
    line.push_back(static_cast<char>(c));
  }
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return any;
}

// Prompts on the terminal and reads a line with echo off.
bool read_hidden(std::FILE* tty, const char* prompt, std::string& line) {
  std::fputs(prompt, stderr);
  std::fflush(stderr);
  termios old_mode{};
  const int fd = ::fileno(tty);
  const bool restore = ::tcgetattr(fd, &old_mode) == 0;
  if (restore) {
    termios quiet = old_mode;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    quiet.c_lflag |= ECHONL;
    ::tcsetattr(fd, TCSAFLUSH, &quiet);
  }
  const bool ok = read_line(tty, line);
  if (restore) ::tcsetattr(fd, TCSAFLUSH, &old_mode);
  return ok;
}

}  // namespace

int passwd_main(int argc, char** argv) {
  CLI::App app{
      "print a crypt(3) hash of a password, for password_hash in [[users]]. The password is read "
      "from the terminal without echo (twice), or as one line from standard input when it is "
      "not a terminal",
      "cppftpd passwd"};
  std::string method = "yescrypt";
  app.add_option("-m,--method", method, "yescrypt ($y$, default) or sha512 ($6$, sha512-crypt)")
      ->check(CLI::IsMember({"yescrypt", "sha512"}));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  auto fail = [](const std::string& message) {
    std::fprintf(stderr, "cppftpd passwd: error: %s\n", message.c_str());
    return 1;
  };

  std::string password;
  if (::isatty(STDIN_FILENO) != 0) {
    std::string again;
    if (!read_hidden(stdin, "Password: ", password) ||
        !read_hidden(stdin, "Retype password: ", again)) {
      return fail("no password given");
    }
    if (password != again) return fail("the passwords differ");
  } else if (!read_line(stdin, password)) {
    return fail("no password on standard input");
  }
  if (password.empty()) return fail("the password is empty");
  if (password.size() > kMaxPassword) return fail("the password is longer than 1024 bytes");

  const char* prefix = method == "sha512" ? "$6$" : "$y$";
  char salt[CRYPT_GENSALT_OUTPUT_SIZE];
  if (::crypt_gensalt_rn(prefix, 0, nullptr, 0, salt, sizeof salt) == nullptr) {
    return fail("crypt_gensalt: cannot make a salt for " + method);
  }
  auto data = std::make_unique<crypt_data>();
  const char* hash =
      ::crypt_rn(password.c_str(), salt, data.get(), static_cast<int>(sizeof(crypt_data)));
  if (hash == nullptr || hash[0] == '*') return fail("crypt: cannot hash with " + method);
  std::printf("%s\n", hash);
  return 0;
}

}  // namespace cppftpd::cli
