// send_file over a loopback connection: what arrives, and the socket's
// unsent-bytes bound while sendfile(2) feeds it.

#include "transfer/transfer_pump.hpp"

#include "protocol/limits.hpp"

#include <gtest/gtest.h>

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <asio/read.hpp>

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <thread>

namespace cppftpd {
namespace {

using asio::ip::tcp;

// A FileReader over a descriptor the test owns (sendfile needs a kernel fd).
class FdReader final : public FileReader {
 public:
  explicit FdReader(int fd) : fd_(fd) {}
  Result<std::size_t> read(std::span<char> buffer) override {
    const ssize_t n = ::read(fd_, buffer.data(), buffer.size());
    if (n < 0) return std::error_code(errno, std::generic_category());
    return static_cast<std::size_t>(n);
  }
  int native_handle() const noexcept override { return fd_; }

 private:
  int fd_;
};

// A file of `size` bytes of a pattern, already unlinked; its descriptor.
int pattern_file(std::size_t size, std::string& content) {
  char name[] = "/tmp/cppftpd-pump-XXXXXX";
  const int fd = ::mkstemp(name);
  if (fd < 0) return -1;
  ::unlink(name);
  content.resize(size);
  for (std::size_t i = 0; i < size; ++i) content[i] = static_cast<char>('a' + i % 26);
  if (::write(fd, content.data(), size) != static_cast<ssize_t>(size)) return -1;
  ::lseek(fd, 0, SEEK_SET);
  return fd;
}

TEST(SendFile, SendfileKeepsTheUnsentQueueShortAndSendsEveryByte) {
  std::string content;
  const int fd = pattern_file(8U << 20, content);
  ASSERT_GE(fd, 0);
  FdReader reader(fd);

  asio::io_context context;
  tcp::acceptor acceptor(context, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  tcp::socket client(context);
  client.connect(acceptor.local_endpoint());
  tcp::socket server = acceptor.accept();

  // The client reads on its own thread, so the sender meets back-pressure.
  std::string received;
  std::thread reader_thread([&] {
    std::error_code ec;
    char chunk[65536];
    for (;;) {
      const std::size_t n = client.read_some(asio::buffer(chunk), ec);
      if (ec) break;
      received.append(chunk, n);
    }
  });

  std::vector<char> buffer;
  TransferProgress progress;
  PumpResult result{PumpResult::Side::storage, {}};
  int lowat = -1;
  auto send = [&]() -> asio::awaitable<void> {
    result = co_await send_file(server, reader, PumpOptions{}, buffer, progress);
    socklen_t length = sizeof lowat;
    ::getsockopt(server.native_handle(), IPPROTO_TCP, TCP_NOTSENT_LOWAT, &lowat, &length);
    server.close();
  };
  asio::co_spawn(context, send, [](std::exception_ptr error) {
    if (error) std::rethrow_exception(error);
  });
  context.run();
  reader_thread.join();
  ::close(fd);

  EXPECT_TRUE(result.ok()) << result.error.message();
  EXPECT_EQ(lowat, limits::kNotsentLowat);
  EXPECT_EQ(progress.bytes, content.size());
  EXPECT_EQ(received.size(), content.size());
  EXPECT_TRUE(received == content);
  EXPECT_TRUE(buffer.empty()) << "sendfile needs no buffer";
}

}  // namespace
}  // namespace cppftpd
