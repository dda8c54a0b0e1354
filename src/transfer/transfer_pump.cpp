#include "transfer/transfer_pump.hpp"

#include "protocol/ascii.hpp"
#include "protocol/limits.hpp"
#include "sys/sendfile.hpp"

#include <asio/post.hpp>
#include <asio/read.hpp>
#include <asio/redirect_error.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

#include <string>

namespace cppftpd {

namespace {

using asio::ip::tcp;
constexpr auto kAwait = asio::use_awaitable;

// sendfile never waits while the socket has room, so a fast client could
// keep the event loop to itself; yield to other sessions after this much.
constexpr std::uint64_t kYieldEvery = 4 * limits::kSendfileChunk;

asio::awaitable<PumpResult> write_all(tcp::socket& socket, std::string_view data,
                                      TransferProgress& progress) {
  std::error_code ec;
  const std::size_t written =
      co_await asio::async_write(socket, asio::buffer(data), asio::redirect_error(kAwait, ec));
  progress.add(written);
  co_return ec ? PumpResult::network(ec) : PumpResult{};
}

// Binary download of a kernel file: no copy through user space.
asio::awaitable<PumpResult> send_with_sendfile(tcp::socket& socket, int file_fd,
                                               TransferProgress& progress) {
  std::error_code ec;
  socket.non_blocking(true, ec);
  if (ec) co_return PumpResult::network(ec);
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
      }
      continue;
    }
    if (sent.error() == std::errc::resource_unavailable_try_again) {
      co_await socket.async_wait(tcp::socket::wait_write, asio::redirect_error(kAwait, ec));
      if (ec) co_return PumpResult::network(ec);
      continue;
    }
    // The socket side (EPIPE, ECONNRESET) or the file side (EIO): sendfile
    // does not say which; a closed socket is by far the likelier.
    const auto error = sent.error();
    if (error == std::errc::broken_pipe || error == std::errc::connection_reset ||
        error == std::errc::not_connected) {
      co_return PumpResult::network(error);
    }
    co_return PumpResult::storage(error);
  }
}

}  // namespace

asio::awaitable<PumpResult> send_file(tcp::socket& socket, FileReader& reader, PumpOptions options,
                                      std::vector<char>& buffer, TransferProgress& progress) {
  if (options.sendfile && !options.ascii && !options.throttle && reader.native_handle() >= 0) {
    co_return co_await send_with_sendfile(socket, reader.native_handle(), progress);
  }
  buffer.resize(limits::kTransferBuffer);
  protocol::AsciiEncoder encoder;
  std::string converted;
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
    }
    auto result = co_await write_all(socket, chunk, progress);
    if (!result.ok()) co_return result;
    if (options.throttle) co_await options.throttle->pace(chunk.size());
  }
}

asio::awaitable<PumpResult> send_bytes(tcp::socket& socket, std::string_view data,
                                       TransferProgress& progress) {
  co_return co_await write_all(socket, data, progress);
}

asio::awaitable<PumpResult> receive_file(tcp::socket& socket, FileWriter& writer,
                                         PumpOptions options, std::vector<char>& buffer,
                                         TransferProgress& progress) {
  buffer.resize(limits::kTransferBuffer);
  protocol::AsciiDecoder decoder;
  std::string converted;
  PumpResult result;
  const std::size_t window =
      options.throttle ? options.throttle->chunk(buffer.size()) : buffer.size();
  for (;;) {
    std::error_code ec;
    const std::size_t got = co_await socket.async_read_some(asio::buffer(buffer.data(), window),
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
    if (ec == asio::error::eof) break;
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

}  // namespace cppftpd
