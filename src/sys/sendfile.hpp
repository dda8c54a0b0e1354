#pragma once
// sendfile(2): file-to-socket copies inside the kernel (DESIGN.md principle 9).

#include <cppftpd/result.hpp>

#include <cstddef>

namespace cppftpd::sys {

/// Sends up to `count` bytes from `in_fd` (at its offset, which advances) to
/// `out_fd`. Returns the bytes sent, 0 at end of file, or an error;
/// resource_unavailable_try_again when a non-blocking socket is full.
/// EINTR is retried.
Result<std::size_t> send_file_chunk(int out_fd, int in_fd, std::size_t count);

}  // namespace cppftpd::sys
