#include "protocol/reply.hpp"

namespace cppftpd::protocol {
namespace {

// Appends `text` with CR removed and NUL mapped to a space. A CR could end a
// line early for a client that splits on CR, and NUL ends a C string in
// clients that use them: neither may come from text a client chose.
// The callers split on LF first, so a LF left here is dropped the same way.
void append_clean(std::string& out, std::string_view text) {
  for (const char c : text) {
    if (c == '\r' || c == '\n') continue;
    out.push_back(c == '\0' ? ' ' : c);
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
