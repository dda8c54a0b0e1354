#pragma once
// The loops that move a file's bytes over a data connection.

#include <cppftpd/filesystem.hpp>

#include "transfer/throttle.hpp"

#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>

#include <chrono>
#include <cstdint>
#include <string_view>
#include <vector>

namespace cppftpd {

/// Bytes moved so far and when the last ones moved: read by STAT during a
/// transfer and by the session's stall watchdog.
struct TransferProgress {
  std::uint64_t bytes = 0;
  std::chrono::steady_clock::time_point last_activity = std::chrono::steady_clock::now();

  void add(std::size_t count) {
    bytes += count;
    last_activity = std::chrono::steady_clock::now();
  }
};

/// Why a transfer ended early: which side failed decides the reply
/// (network: 426; storage: 451, or 452 when out of space).
struct PumpResult {
  enum class Side { none, network, storage };
  Side side = Side::none;
  std::error_code error;

  bool ok() const noexcept { return side == Side::none; }
  static PumpResult network(std::error_code ec) { return {Side::network, ec}; }
  static PumpResult storage(std::error_code ec) { return {Side::storage, ec}; }
};

/// How send_file/receive_file move bytes.
struct PumpOptions {
  bool ascii = false;     ///< TYPE A: convert line endings (RFC 959 3.1.1.1)
  bool sendfile = true;   ///< allow sendfile(2) when the reader has a kernel fd
  Throttle* throttle = nullptr;  ///< paces the copy (then without sendfile); null: full speed
};

/// Sends a file (RETR): sendfile(2) for binary local files, else a buffered
/// copy through `buffer` (converted in TYPE A).
asio::awaitable<PumpResult> send_file(asio::ip::tcp::socket& socket, FileReader& reader,
                                      PumpOptions options, std::vector<char>& buffer,
                                      TransferProgress& progress);

/// Sends bytes already in memory (listings).
asio::awaitable<PumpResult> send_bytes(asio::ip::tcp::socket& socket, std::string_view data,
                                       TransferProgress& progress);

/// Receives a file (STOR, APPE, STOU) until the client closes the connection,
/// then closes the writer. Whatever arrived is kept, even on failure, so the
/// client can resume with REST.
asio::awaitable<PumpResult> receive_file(asio::ip::tcp::socket& socket, FileWriter& writer,
                                         PumpOptions options, std::vector<char>& buffer,
                                         TransferProgress& progress);

}  // namespace cppftpd
