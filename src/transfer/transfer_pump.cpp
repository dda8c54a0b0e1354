#include "transfer/transfer_pump.hpp"

#include "protocol/ascii.hpp"
#include "protocol/limits.hpp"
#include "sys/sendfile.hpp"
#include "sys/socket_options.hpp"
#include "sys/splice.hpp"

#include <asio/post.hpp>
#include <asio/read.hpp>
#include <asio/redirect_error.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

#include <algorithm>
#include <atomic>
#include <optional>
#include <string>
#include <type_traits>

namespace cppftpd {

namespace {

using asio::ip::tcp;
constexpr auto kAwait = asio::use_awaitable;

// sendfile never waits while the socket has room, so a fast client could
// keep the event loop to itself; yield to other sessions after this much.
constexpr std::uint64_t kYieldEvery = 4 << 20;

template <typename Stream>
asio::awaitable<PumpResult> write_all(Stream& stream, std::string_view data,
                                      TransferProgress& progress) {
  std::error_code ec;
  const std::size_t written =
      co_await asio::async_write(stream, asio::buffer(data), asio::redirect_error(kAwait, ec));
  progress.add(written);
  co_return ec ? PumpResult::network(ec) : PumpResult{};
}

// Whether an error of sendfile/splice, which do not say which side failed,
// is the socket's (a client that went away is by far the likelier).
bool network_side(const std::error_code& error) {
  return error == std::errc::broken_pipe || error == std::errc::connection_reset ||
         error == std::errc::not_connected || error == std::errc::connection_aborted;
}

// The sendfile downloads in progress in this process, and whether a data
// socket should bound its unsent bytes because of them. With many downloads,
// a short unsent queue makes each sendfile call transmit on the server's
// thread, where an unbounded one leaves the transmitting to whatever
// processes the clients' ACKs (on loopback, the clients' own recv calls),
// which then fall behind. A lone download is faster unbounded: the client's
// core does that work beside the server's (limits::kConcurrentSendsForLowat).
class SendfileDownloads {
 public:
  SendfileDownloads() { count_.fetch_add(1, std::memory_order_relaxed); }
  ~SendfileDownloads() { count_.fetch_sub(1, std::memory_order_relaxed); }
  SendfileDownloads(const SendfileDownloads&) = delete;
  SendfileDownloads& operator=(const SendfileDownloads&) = delete;

  // Sets or clears the socket's bound (TCP_NOTSENT_LOWAT; 0 is the system's
  // default, unbounded) as the number of downloads now asks; cheap to call
  // often: the option is only set when the answer changes.
  void adjust(int fd) {
    const bool want = count_.load(std::memory_order_relaxed) >= limits::kConcurrentSendsForLowat;
    if (want == bounded_) return;
    bounded_ = want;
    sys::set_notsent_lowat(fd, want ? limits::kNotsentLowat : 0);
  }

 private:
  static inline std::atomic<int> count_{0};
  bool bounded_ = false;
};

// Binary download of a kernel file: no copy through user space.
asio::awaitable<PumpResult> send_with_sendfile(tcp::socket& socket, int file_fd,
                                               TransferProgress& progress) {
  std::error_code ec;
  socket.non_blocking(true, ec);
  if (ec) co_return PumpResult::network(ec);
  SendfileDownloads downloads;
  downloads.adjust(socket.native_handle());
  std::uint64_t since_yield = 0;
  for (;;) {
    auto sent = sys::send_file_chunk(socket.native_handle(), file_fd, limits::kSendfileChunk);
    if (sent) {
      if (*sent == 0) co_return PumpResult{};
      progress.add(*sent);
      since_yield += *sent;
      if (since_yield >= kYieldEvery) {
        since_yield = 0;
        co_await asio::post(co_await asio::this_coro::executor, kAwait);
        downloads.adjust(socket.native_handle());
      }
      continue;
    }
    if (sent.error() == std::errc::resource_unavailable_try_again) {
      downloads.adjust(socket.native_handle());
      co_await socket.async_wait(tcp::socket::wait_write, asio::redirect_error(kAwait, ec));
      if (ec) co_return PumpResult::network(ec);
      continue;
    }
    // The socket side (EPIPE, ECONNRESET) or the file side (EIO): sendfile
    // does not say which; a closed socket is by far the likelier.
    const auto error = sent.error();
    co_return network_side(error) ? PumpResult::network(error) : PumpResult::storage(error);
  }
}

// A splice(2) call moves at most this much; the pipe is asked for as much.
constexpr std::size_t kSpliceChunk = 1 << 20;

// The pipe every splice upload of this thread goes through. The pipe is
// empty whenever an upload's coroutine is suspended (receive_with_splice
// drains what splice_in moved before it awaits anything), so uploads never
// see each other's bytes, and a thread needs one pipe however many uploads it
// runs: a server with 1000 uploads holds 2 descriptors per thread instead of
// 2 per upload, and stays inside the kernel's pipe budget per user
// (fs.pipe-user-pages-soft, 64 MiB: past 64 pipes of 1 MiB, an unprivileged
// user's new pipes get 8 KiB, and each splice would move that little).
class ThreadPipe {
 public:
  // This thread's pipe, made on first use; null if no pipe can be made (out
  // of descriptors): the upload then takes the copying path.
  static sys::SplicePipe* get() {
    auto& slot = instance();
    if (!slot) {
      auto made = sys::SplicePipe::make(kSpliceChunk);
      if (!made) return nullptr;
      slot.emplace(std::move(*made));
    }
    return &*slot;
  }
  // Drops this thread's pipe, which may still hold bytes after a failed
  // splice_out: the next upload gets a new, empty one.
  static void discard() { instance().reset(); }

 private:
  static std::optional<sys::SplicePipe>& instance() {
    thread_local std::optional<sys::SplicePipe> pipe;
    return pipe;
  }
};

// Binary upload to a kernel file: socket -> pipe -> file, no copy through user
// space. The pipe is the thread's (ThreadPipe): it is empty at every await,
// so it is looked up again after each one (the coroutine may resume on
// another thread), and splice_in never waits on it.
asio::awaitable<PumpResult> receive_with_splice(tcp::socket& socket, int file_fd,
                                                TransferProgress& progress) {
  std::error_code ec;
  socket.non_blocking(true, ec);
  if (ec) co_return PumpResult::network(ec);
  std::uint64_t since_yield = 0;
  for (;;) {
    sys::SplicePipe* pipe = ThreadPipe::get();
    if (pipe == nullptr) {
      co_return PumpResult::storage(std::make_error_code(std::errc::too_many_files_open));
    }
    auto moved = pipe->splice_in(socket.native_handle(), pipe->capacity());
    if (moved) {
      if (*moved == 0) co_return PumpResult{};  // the client closed: end of file
      progress.add(*moved);
      if (auto error = pipe->splice_out(file_fd, *moved)) {
        ThreadPipe::discard();
        co_return PumpResult::storage(error);
      }
      since_yield += *moved;
      if (since_yield >= kYieldEvery) {
        since_yield = 0;
        co_await asio::post(co_await asio::this_coro::executor, kAwait);
      }
      continue;
    }
    if (moved.error() == std::errc::resource_unavailable_try_again) {
      co_await socket.async_wait(tcp::socket::wait_read, asio::redirect_error(kAwait, ec));
      if (ec) co_return PumpResult::network(ec);
      continue;
    }
    co_return PumpResult::network(moved.error());
  }
}

}  // namespace

template <typename Stream>
asio::awaitable<PumpResult> send_file(Stream& stream, FileReader& reader, PumpOptions options,
                                      std::vector<char>& buffer, TransferProgress& progress) {
  // sendfile(2) only where the bytes go out as they are on disk: not through
  // TLS (the kernel would bypass the encryption), not in TYPE A, not paced.
  if constexpr (std::is_same_v<Stream, tcp::socket>) {
    if (options.sendfile && !options.ascii && !options.throttle && reader.native_handle() >= 0) {
      co_return co_await send_with_sendfile(stream, reader.native_handle(), progress);
    }
  }
  buffer.resize(limits::kTransferBuffer);
  protocol::AsciiEncoder encoder;
  std::string converted;
  std::uint64_t skip = options.ascii_skip;
  const std::size_t window =
      options.throttle ? options.throttle->chunk(buffer.size()) : buffer.size();
  for (;;) {
    auto got = reader.read({buffer.data(), window});
    if (!got) co_return PumpResult::storage(got.error());
    if (*got == 0) co_return PumpResult{};
    std::string_view chunk(buffer.data(), *got);
    if (options.ascii) {
      converted.clear();
      encoder.encode(chunk, converted);
      chunk = converted;
      const auto skipped = std::min<std::uint64_t>(skip, chunk.size());
      chunk.remove_prefix(skipped);
      skip -= skipped;
      if (chunk.empty()) continue;
    }
    auto result = co_await write_all(stream, chunk, progress);
    if (!result.ok()) co_return result;
    if (options.throttle) co_await options.throttle->pace(chunk.size());
  }
}

template <typename Stream>
asio::awaitable<PumpResult> send_bytes(Stream& stream, std::string_view data,
                                       TransferProgress& progress) {
  co_return co_await write_all(stream, data, progress);
}

template <typename Stream>
asio::awaitable<PumpResult> receive_file(Stream& stream, FileWriter& writer, PumpOptions options,
                                         std::vector<char>& buffer, TransferProgress& progress) {
  if constexpr (std::is_same_v<Stream, tcp::socket>) {
    if (options.splice && !options.ascii && !options.throttle && writer.native_handle() >= 0) {
      if (ThreadPipe::get() != nullptr) {
        PumpResult result = co_await receive_with_splice(stream, writer.native_handle(), progress);
        // Close even after a failure: what arrived stays on disk for a resume.
        if (auto status = writer.close(); status && result.ok()) {
          result = PumpResult::storage(status);
        }
        co_return result;
      }
      // No pipe (out of descriptors): the copy below still works.
    }
  }
  buffer.resize(limits::kTransferBuffer);
  protocol::AsciiDecoder decoder;
  std::string converted;
  PumpResult result;
  const std::size_t window =
      options.throttle ? options.throttle->chunk(buffer.size()) : buffer.size();
  for (;;) {
    std::error_code ec;
    const std::size_t got = co_await stream.async_read_some(asio::buffer(buffer.data(), window),
                                                            asio::redirect_error(kAwait, ec));
    if (got > 0) {
      progress.add(got);
      if (options.throttle) co_await options.throttle->pace(got);
      std::string_view chunk(buffer.data(), got);
      if (options.ascii) {
        converted.clear();
        decoder.decode(chunk, converted);
        chunk = converted;
      }
      if (auto status = writer.write({chunk.data(), chunk.size()})) {
        result = PumpResult::storage(status);
        break;
      }
    }
    // The end of the upload: the client closed the connection (with a TLS
    // close_notify, or, as many FTPS clients do, without one: vsftpd's
    // strict_ssl_read_eof=NO behaviour).
    if (ec == asio::error::eof || ec == asio::ssl::error::stream_truncated) break;
    if (ec) {
      result = PumpResult::network(ec);
      break;
    }
  }
  if (result.ok() && options.ascii) {
    converted.clear();
    decoder.finish(converted);
    if (auto status = writer.write({converted.data(), converted.size()})) {
      result = PumpResult::storage(status);
    }
  }
  // Close even after a failure: what arrived stays on disk for a resume.
  if (auto status = writer.close(); status && result.ok()) result = PumpResult::storage(status);
  co_return result;
}

#define CPPFTPD_INSTANTIATE_PUMPS(Stream)                                                        \
  template asio::awaitable<PumpResult> send_file(Stream&, FileReader&, PumpOptions,              \
                                                 std::vector<char>&, TransferProgress&);         \
  template asio::awaitable<PumpResult> send_bytes(Stream&, std::string_view, TransferProgress&); \
  template asio::awaitable<PumpResult> receive_file(Stream&, FileWriter&, PumpOptions,           \
                                                    std::vector<char>&, TransferProgress&);
CPPFTPD_INSTANTIATE_PUMPS(tcp::socket)
CPPFTPD_INSTANTIATE_PUMPS(TlsDataStream)
#undef CPPFTPD_INSTANTIATE_PUMPS

}  // namespace cppftpd
