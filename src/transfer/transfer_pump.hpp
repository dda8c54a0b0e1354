#pragma once
// The loops that move a file's bytes over a data connection.

#include <cppftpd/filesystem.hpp>

#include "transfer/throttle.hpp"

#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/ssl/stream.hpp>

#include <chrono>
#include <cstdint>
#include <string_view>
#include <vector>

namespace cppftpd {

/// Bytes moved so far and when the last ones moved: read by STAT during a
/// transfer and by the session's stall deadline (Session::check_deadlines).
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
  bool ascii = false;    ///< TYPE A: convert line endings (RFC 959 3.1.1.1)
  bool sendfile = true;  ///< allow sendfile(2) when the reader has a kernel fd
  bool splice = true;    ///< allow splice(2) when the writer has a kernel fd
  Throttle* throttle =
      nullptr;  ///< paces the copy (then without sendfile/splice); null: full speed
  std::uint64_t ascii_skip = 0;  ///< TYPE A restart: converted octets not sent (RFC 3659 5.3)
};

/// A data connection protected with TLS (PROT P, RFC 4217 9).
using TlsDataStream = asio::ssl::stream<asio::ip::tcp::socket>;

// Every pump works on a plain data connection (asio::ip::tcp::socket) and on
// a protected one (TlsDataStream); both are instantiated in transfer_pump.cpp.

/// Sends a file (RETR): sendfile(2) for binary local files on a plain
/// connection, else a buffered copy through `buffer` (converted in TYPE A).
template <typename Stream>
asio::awaitable<PumpResult> send_file(Stream& stream, FileReader& reader, PumpOptions options,
                                      std::vector<char>& buffer, TransferProgress& progress);

/// Sends bytes already in memory (listings).
template <typename Stream>
asio::awaitable<PumpResult> send_bytes(Stream& stream, std::string_view data,
                                       TransferProgress& progress);

/// Receives a file (STOR, APPE, STOU) until the client closes the connection,
/// then closes the writer: splice(2) socket -> pipe -> file for binary
/// uploads to local files on a plain connection, else through `buffer`. Whatever arrived is kept,
/// even on failure, so the client can resume with REST.
template <typename Stream>
asio::awaitable<PumpResult> receive_file(Stream& stream, FileWriter& writer, PumpOptions options,
                                         std::vector<char>& buffer, TransferProgress& progress);

}  // namespace cppftpd
