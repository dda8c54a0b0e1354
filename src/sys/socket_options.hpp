#pragma once
// Socket options Asio does not name.

namespace cppftpd::sys {

/// SO_OOBINLINE: keep TCP urgent data in the stream. RFC 959 4.1.3 has
/// clients send ABOR as "IAC IP IAC DM ABOR" with the Synch (urgent) mark;
/// Python's ftplib sends the whole line with MSG_OOB, which makes its last
/// byte urgent. Inline, the line arrives whole and the Telnet bytes are
/// stripped by the LineReader.
void set_oob_inline(int fd) noexcept;

/// Whether `fd` is readable right now (for a listener: a connection waits
/// in its accept queue). Never blocks.
bool readable_now(int fd) noexcept;

}  // namespace cppftpd::sys
