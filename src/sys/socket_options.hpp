#pragma once
// Socket options Asio does not name.

namespace cppftpd::sys {

/// SO_OOBINLINE: keep TCP urgent data in the stream. RFC 959 4.1.3 has
/// clients send ABOR as "IAC IP IAC DM ABOR" with the Synch (urgent) mark;
/// Python's ftplib sends the whole line with MSG_OOB, which makes its last
/// byte urgent. Inline, the line arrives whole and the Telnet bytes are
/// stripped by the LineReader.
void set_oob_inline(int fd) noexcept;

/// TCP_NOTSENT_LOWAT: the socket reports writable, and takes more data, only
/// while less than `bytes` of what it holds is still unsent. Keeps a sender's
/// queue short, so the transmitting is done by the sender's own sendfile
/// calls instead of by whichever context processes the peer's ACKs (on
/// loopback: the receiving client's recv). 0 restores the system's default
/// (net.ipv4.tcp_notsent_lowat: unbounded unless configured). Best effort.
void set_notsent_lowat(int fd, int bytes) noexcept;

/// Whether `fd` is readable right now (for a listener: a connection waits
/// in its accept queue). Never blocks.
bool readable_now(int fd) noexcept;

}  // namespace cppftpd::sys
