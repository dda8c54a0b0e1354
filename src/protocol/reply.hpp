#pragma once
// Reply formatting (RFC 959 4.2). Pure functions.

#include <span>
#include <string>
#include <string_view>

namespace cppftpd::protocol {

/// "code text\r\n". If `text` holds '\n', a multi-line reply:
/// "code-first\r\n", then each middle line prefixed by one space (so no line
/// can start with digits and end the reply early, RFC 959 4.2), then
/// "code last\r\n". Inside `text`, CR goes out as CR NUL (RFC 2640 3.1),
/// 0xFF doubled (Telnet IAC IAC), NUL as a space: a reply can never be split
/// or injected by text a client chose.
std::string format_reply(int code, std::string_view text);

/// A multi-line reply with an explicit body: "code-first\r\n", each body line
/// as " line\r\n" (encoded as format_reply's text), "code last\r\n".
std::string format_multiline(int code, std::string_view first, std::span<const std::string> body,
                             std::string_view last);

/// RFC 959 Appendix II: a path in a 257 reply is quoted and each '"' doubled.
/// A LF inside the name becomes NUL, which format_reply() then sends as a
/// space: a name can never end the reply line early.
std::string quote_path(std::string_view path);

}  // namespace cppftpd::protocol
