#include "protocol/ascii.hpp"

namespace cppftpd::protocol {

void AsciiEncoder::encode(std::string_view input, std::string& output) {
  // RFC 959 3.1.1.1: in TYPE A the end of a line is CRLF on the wire. Runs
  // without a LF are copied whole; only a LF not already after a CR grows.
  output.reserve(output.size() + input.size());
  while (!input.empty()) {
    const auto newline = input.find('\n');
    if (newline == std::string_view::npos) {
      output.append(input);
      last_was_cr_ = input.back() == '\r';
      return;
    }
    const bool after_cr = newline == 0 ? last_was_cr_ : input[newline - 1] == '\r';
    output.append(input.substr(0, newline));
    if (!after_cr) output.push_back('\r');
    output.push_back('\n');
    last_was_cr_ = false;
    input.remove_prefix(newline + 1);
  }
}

void AsciiDecoder::decode(std::string_view input, std::string& output) {
  // RFC 959 3.1.1.1: CRLF on the wire is the local end of line. A CR is held
  // back until the next byte shows whether it starts a CRLF.
  output.reserve(output.size() + input.size() + 1);
  while (!input.empty()) {
    if (pending_cr_) {
      pending_cr_ = false;
      if (input.front() == '\n') {
        output.push_back('\n');
        input.remove_prefix(1);
        continue;
      }
      output.push_back('\r');  // a lone CR is data
    }
    const auto cr = input.find('\r');
    if (cr == std::string_view::npos) {
      output.append(input);
      return;
    }
    output.append(input.substr(0, cr));
    pending_cr_ = true;
    input.remove_prefix(cr + 1);
  }
}

void AsciiDecoder::finish(std::string& output) {
  if (pending_cr_) output.push_back('\r');
  pending_cr_ = false;
}

}  // namespace cppftpd::protocol
