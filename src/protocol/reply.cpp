#include "protocol/reply.hpp"

namespace cppftpd::protocol {
namespace {

// Appends `text` as the control connection's Telnet NVT carries it (RFC 959
// 4: the control connection is a Telnet one), so that no text a client chose
// (a path) can end a reply line early or read as a Telnet command:
// - CR goes out as CR NUL: RFC 2640 3.1, "When a <CR> character is
//   encountered as part of a pathname it MUST be padded with a <NUL>";
// - 0xFF (IAC) goes out doubled (RFC 854: "IAC IAC" is the data byte 255);
// - NUL becomes a space (NUL ends a C string in clients that use them), and
//   LF is dropped: the callers split on LF first, so one left here is inside
//   a line.
void append_clean(std::string& out, std::string_view text) {
  for (const char c : text) {
    switch (c) {
      case '\n':
        break;
      case '\r':
        out += std::string_view("\r\0", 2);
        break;
      case '\0':
        out.push_back(' ');
        break;
      case '\xff':
        out += "\xff\xff";
        break;
      default:
        out.push_back(c);
    }
  }
}

void append_code(std::string& out, int code, char separator) {
  out += std::to_string(code);
  out.push_back(separator);
}

}  // namespace

std::string format_reply(int code, std::string_view text) {
  std::string out;
  out.reserve(text.size() + 8);
  auto newline = text.find('\n');
  if (newline == std::string_view::npos) {
    append_code(out, code, ' ');
    append_clean(out, text);
    out += "\r\n";
    return out;
  }

  // RFC 959 4.2: "123-First line", then the text, then "123 Last line". A
  // middle line that began with "123 " would end the reply early, so each
  // middle line gets one leading space (the form RFC 2389 uses for FEAT).
  append_code(out, code, '-');
  append_clean(out, text.substr(0, newline));
  out += "\r\n";
  text.remove_prefix(newline + 1);
  while ((newline = text.find('\n')) != std::string_view::npos) {
    out.push_back(' ');
    append_clean(out, text.substr(0, newline));
    out += "\r\n";
    text.remove_prefix(newline + 1);
  }
  append_code(out, code, ' ');
  append_clean(out, text);
  out += "\r\n";
  return out;
}

std::string format_multiline(int code, std::string_view first, std::span<const std::string> body,
                             std::string_view last) {
  std::string out;
  append_code(out, code, '-');
  append_clean(out, first);
  out += "\r\n";
  for (const auto& line : body) {
    out.push_back(' ');
    append_clean(out, line);
    out += "\r\n";
  }
  append_code(out, code, ' ');
  append_clean(out, last);
  out += "\r\n";
  return out;
}

std::string quote_path(std::string_view path) {
  // RFC 959 Appendix II: the name is enclosed in quotes and an embedded quote
  // is doubled ("257 "/usr/dm/foo""bar" directory created"). A LF cannot
  // travel inside a reply line, so it is sent as NUL (a byte no path holds).
  std::string out;
  out.reserve(path.size() + 2);
  out.push_back('"');
  for (const char c : path) {
    if (c == '"') {
      out += "\"\"";
    } else if (c == '\n') {
      out.push_back('\0');
    } else {
      out.push_back(c);
    }
  }
  out.push_back('"');
  return out;
}

}  // namespace cppftpd::protocol
