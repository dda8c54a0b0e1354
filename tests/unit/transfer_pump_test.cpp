// send_file and receive_file over loopback connections: what arrives, the
// socket's unsent-bytes bound while sendfile(2) feeds it, and the one splice
// pipe per thread that every upload shares.

#include "transfer/transfer_pump.hpp"

#include "protocol/limits.hpp"

#include <gtest/gtest.h>

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <asio/read.hpp>

#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

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

int notsent_lowat(int fd) {
  int lowat = -1;
  socklen_t length = sizeof lowat;
  ::getsockopt(fd, IPPROTO_TCP, TCP_NOTSENT_LOWAT, &lowat, &length);
  return lowat;
}

// A loopback connection: the client end, and the server end the acceptor took.
struct Connection {
  tcp::socket client;
  tcp::socket server;

  Connection(asio::io_context& context, tcp::acceptor& acceptor)
      : client(context), server(context) {
    client.connect(acceptor.local_endpoint());
    server = acceptor.accept();
  }
};

// Everything the peer sends until it closes (a client reading a download).
std::string drain(tcp::socket& client) {
  std::string received;
  std::error_code ec;
  char chunk[65536];
  for (;;) {
    const std::size_t n = client.read_some(asio::buffer(chunk), ec);
    if (ec) break;
    received.append(chunk, n);
  }
  return received;
}

TEST(SendFile, ALoneDownloadSendsEveryByteWithItsUnsentQueueUnbounded) {
  std::string content;
  const int fd = pattern_file(8U << 20, content);
  ASSERT_GE(fd, 0);
  FdReader reader(fd);

  asio::io_context context;
  tcp::acceptor acceptor(context, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  Connection connection(context, acceptor);
  tcp::socket& server = connection.server;

  // The client reads on its own thread, so the sender meets back-pressure.
  std::string received;
  std::thread reader_thread([&] { received = drain(connection.client); });

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
  EXPECT_EQ(lowat, 0) << "alone, a download leaves TCP_NOTSENT_LOWAT at the system's default";
  EXPECT_EQ(progress.bytes, content.size());
  EXPECT_EQ(received.size(), content.size());
  EXPECT_TRUE(received == content);
  EXPECT_TRUE(buffer.empty()) << "sendfile needs no buffer";
}

TEST(SendFile, ConcurrentDownloadsBoundTheirUnsentQueues) {
  // Two downloads at once, each of more than the socket buffers hold: while
  // both run, each bounds its unsent bytes; the first to finish still has
  // the bound when it ends (the last may have dropped it once alone).
  constexpr std::size_t kSize = 32U << 20;
  std::string content;
  const int fd_a = pattern_file(kSize, content);
  ASSERT_GE(fd_a, 0);
  const int fd_b = ::open(("/proc/self/fd/" + std::to_string(fd_a)).c_str(), O_RDONLY);
  ASSERT_GE(fd_b, 0);
  FdReader reader_a(fd_a);
  FdReader reader_b(fd_b);

  asio::io_context context;
  tcp::acceptor acceptor(context, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  Connection a(context, acceptor);
  Connection b(context, acceptor);

  std::vector<char> buffer_a;
  std::vector<char> buffer_b;
  TransferProgress progress_a;
  TransferProgress progress_b;
  PumpResult result_a{PumpResult::Side::storage, {}};
  PumpResult result_b{PumpResult::Side::storage, {}};
  std::vector<int> lowat_when_done;  // in the order the downloads finished
  auto send = [&lowat_when_done](tcp::socket& socket, FileReader& reader, std::vector<char>& buffer,
                                 TransferProgress& progress,
                                 PumpResult& result) -> asio::awaitable<void> {
    result = co_await send_file(socket, reader, PumpOptions{}, buffer, progress);
    // The closure outlives the coroutines: context.run() returns first.
    lowat_when_done.push_back(notsent_lowat(socket.native_handle()));
    socket.close();
  };
  auto rethrow = [](std::exception_ptr error) {
    if (error) std::rethrow_exception(error);
  };
  asio::co_spawn(context, send(a.server, reader_a, buffer_a, progress_a, result_a), rethrow);
  asio::co_spawn(context, send(b.server, reader_b, buffer_b, progress_b, result_b), rethrow);

  std::string received_a;
  std::string received_b;
  std::thread reader_a_thread([&] { received_a = drain(a.client); });
  std::thread reader_b_thread([&] { received_b = drain(b.client); });
  context.run();
  reader_a_thread.join();
  reader_b_thread.join();
  ::close(fd_a);
  ::close(fd_b);

  EXPECT_TRUE(result_a.ok()) << result_a.error.message();
  EXPECT_TRUE(result_b.ok()) << result_b.error.message();
  ASSERT_EQ(lowat_when_done.size(), 2U);
  EXPECT_EQ(lowat_when_done[0], limits::kNotsentLowat);
  EXPECT_EQ(received_a.size(), content.size());
  EXPECT_EQ(received_b.size(), content.size());
  EXPECT_TRUE(received_a == content);
  EXPECT_TRUE(received_b == content);
}

// A FileWriter over a descriptor the test owns (splice needs a kernel fd).
class FdWriter final : public FileWriter {
 public:
  explicit FdWriter(int fd) : fd_(fd) {}
  Status write(std::span<const char> data) override {
    if (::write(fd_, data.data(), data.size()) != static_cast<ssize_t>(data.size())) {
      return std::error_code(errno, std::generic_category());
    }
    return {};
  }
  Status close() override { return {}; }
  int native_handle() const noexcept override { return fd_; }

 private:
  int fd_;
};

// The pipes this process holds open.
int open_pipes() {
  int count = 0;
  DIR* dir = ::opendir("/proc/self/fd");
  if (dir == nullptr) return -1;
  while (const dirent* entry = ::readdir(dir)) {
    char target[64] = {};
    const std::string path = std::string("/proc/self/fd/") + entry->d_name;
    if (::readlink(path.c_str(), target, sizeof target - 1) > 0 &&
        std::string_view(target).starts_with("pipe:")) {
      ++count;
    }
  }
  ::closedir(dir);
  return count;
}

// An empty, unlinked temporary file open for reading and writing.
int temporary_file() {
  char name[] = "/tmp/cppftpd-pump-XXXXXX";
  const int fd = ::mkstemp(name);
  if (fd >= 0) ::unlink(name);
  return fd;
}

std::string file_content(int fd) {
  std::string content;
  char chunk[65536];
  ::lseek(fd, 0, SEEK_SET);
  for (ssize_t n; (n = ::read(fd, chunk, sizeof chunk)) > 0;) content.append(chunk, n);
  return content;
}

// One upload: a connection whose server end receives into `file_fd`.
struct Upload : Connection {
  std::string sent;
  int file_fd = -1;
  std::unique_ptr<FdWriter> writer;
  std::vector<char> buffer;
  TransferProgress progress;
  PumpResult result{PumpResult::Side::storage, {}};
  bool done = false;

  using Connection::Connection;
};

void start_receiving(asio::io_context& context, Upload& upload) {
  auto receive = [&upload]() -> asio::awaitable<void> {
    upload.result = co_await receive_file(upload.server, *upload.writer, PumpOptions{},
                                          upload.buffer, upload.progress);
    upload.done = true;
  };
  asio::co_spawn(context, receive, [](std::exception_ptr error) {
    if (error) std::rethrow_exception(error);
  });
}

TEST(ReceiveFile, ConcurrentSpliceUploadsShareTheThreadsPipeAndKeepTheirOwnBytes) {
  constexpr int kUploads = 8;
  constexpr std::size_t kChunk = 64 * 1024;
  constexpr int kChunks = 48;  // 3 MiB an upload, more than one pipe's worth
  asio::io_context context;
  tcp::acceptor acceptor(context, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  std::vector<std::unique_ptr<Upload>> uploads;
  const int pipes_before = open_pipes();
  ASSERT_GE(pipes_before, 0);
  for (int i = 0; i < kUploads; ++i) {
    auto upload = std::make_unique<Upload>(context, acceptor);
    upload->file_fd = temporary_file();
    ASSERT_GE(upload->file_fd, 0);
    upload->writer = std::make_unique<FdWriter>(upload->file_fd);
    start_receiving(context, *upload);
    uploads.push_back(std::move(upload));
  }

  // The clients send in turns, chunk by chunk, so the receivers interleave
  // on the one thread that runs the context; each upload's bytes differ.
  int pipes_during = -1;
  std::thread sender([&] {
    for (int c = 0; c < kChunks; ++c) {
      for (int i = 0; i < kUploads; ++i) {
        std::string chunk(kChunk, static_cast<char>('A' + i));
        chunk[0] = static_cast<char>('0' + c % 10);
        asio::write(uploads[i]->client, asio::buffer(chunk));
        uploads[i]->sent += chunk;
      }
      if (c == kChunks / 2) pipes_during = open_pipes();
    }
    for (auto& upload : uploads) upload->client.shutdown(tcp::socket::shutdown_send);
  });
  context.run();
  sender.join();

  // One pipe (two descriptors) for the thread, not one per upload.
  EXPECT_LE(pipes_during - pipes_before, 2);
  for (int i = 0; i < kUploads; ++i) {
    Upload& upload = *uploads[i];
    EXPECT_TRUE(upload.done);
    EXPECT_TRUE(upload.result.ok()) << i << ": " << upload.result.error.message();
    EXPECT_EQ(upload.progress.bytes, upload.sent.size()) << i;
    EXPECT_TRUE(file_content(upload.file_fd) == upload.sent) << "upload " << i;
    EXPECT_TRUE(upload.buffer.empty()) << "splice needs no buffer";
    ::close(upload.file_fd);
  }
}

TEST(ReceiveFile, AFailedSpliceLeavesNoBytesInThePipeForTheNextUpload) {
  asio::io_context context;
  tcp::acceptor acceptor(context, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));

  // The first upload's file refuses the bytes (opened read-only): splice
  // fails with the bytes already in the thread's pipe.
  Upload failing(context, acceptor);
  const int scratch = temporary_file();
  ASSERT_GE(scratch, 0);
  const int read_only = ::open(("/proc/self/fd/" + std::to_string(scratch)).c_str(), O_RDONLY);
  ASSERT_GE(read_only, 0);
  failing.writer = std::make_unique<FdWriter>(read_only);
  start_receiving(context, failing);
  asio::write(failing.client, asio::buffer(std::string(100000, 'x')));
  failing.client.shutdown(tcp::socket::shutdown_send);
  context.run();
  EXPECT_TRUE(failing.done);
  EXPECT_EQ(failing.result.side, PumpResult::Side::storage);

  // The next upload on this thread gets its own bytes and nothing else.
  context.restart();
  Upload next(context, acceptor);
  next.file_fd = temporary_file();
  ASSERT_GE(next.file_fd, 0);
  next.writer = std::make_unique<FdWriter>(next.file_fd);
  start_receiving(context, next);
  next.sent = std::string(5000, 'y');
  asio::write(next.client, asio::buffer(next.sent));
  next.client.shutdown(tcp::socket::shutdown_send);
  context.run();
  EXPECT_TRUE(next.done);
  EXPECT_TRUE(next.result.ok()) << next.result.error.message();
  const std::string stored = file_content(next.file_fd);
  EXPECT_EQ(stored.size(), next.sent.size());
  EXPECT_TRUE(stored == next.sent) << "the failed upload's bytes came through";
  ::close(next.file_fd);
  ::close(read_only);
  ::close(scratch);
}

}  // namespace
}  // namespace cppftpd
