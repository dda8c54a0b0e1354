#pragma once
// TYPE A conversion (RFC 959 3.1.1.1): the network form ends lines with CRLF.
// Stateful so buffers may split anywhere, even between CR and LF.

#include <string>
#include <string_view>

namespace cppftpd::protocol {

/// Local to network (RETR, LIST in TYPE A): a bare LF becomes CRLF; an
/// existing CRLF is left alone (never "CRCRLF").
class AsciiEncoder {
 public:
  /// Appends the converted form of `input` to `output`.
  void encode(std::string_view input, std::string& output);

 private:
  bool last_was_cr_ = false;
};

/// Network to local (STOR, APPE in TYPE A): CRLF becomes LF; a CR not followed
/// by LF is kept.
class AsciiDecoder {
 public:
  /// Appends the converted form of `input` to `output`.
  void decode(std::string_view input, std::string& output);
  /// At end of stream: appends a CR still held back.
  void finish(std::string& output);

 private:
  bool pending_cr_ = false;
};

}  // namespace cppftpd::protocol
