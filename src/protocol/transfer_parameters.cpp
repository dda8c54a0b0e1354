#include "protocol/transfer_parameters.hpp"

#include "protocol/line_reader.hpp"

#include <charconv>
#include <string>
#include <system_error>

namespace cppftpd::protocol {

namespace {

// Upper-cased, trailing spaces dropped (some clients pad "TYPE I ").
std::string upper_trimmed(std::string_view argument) {
  return upper_ascii(trim_trailing_spaces(argument));
}

}  // namespace

Result<TransferType> parse_type_argument(std::string_view argument) {
  // RFC 959 3.1.1: A (ASCII, non-print), I (image), L 8 (bytes of 8 bits).
  const std::string type = upper_trimmed(argument);
  if (type == "A" || type == "A N") return TransferType::ascii;
  if (type == "I" || type == "L 8" || type == "L8") return TransferType::image;
  if (type == "E" || type == "E N" || type == "A T" || type == "A C" || type.starts_with("L ")) {
    return std::errc::not_supported;
  }
  return std::errc::invalid_argument;
}

Status parse_stru_argument(std::string_view argument) {
  const std::string stru = upper_trimmed(argument);
  if (stru == "F") return {};
  if (stru == "R" || stru == "P") return std::make_error_code(std::errc::not_supported);
  return std::make_error_code(std::errc::invalid_argument);
}

Status parse_mode_argument(std::string_view argument) {
  const std::string mode = upper_trimmed(argument);
  if (mode == "S") return {};
  if (mode == "B" || mode == "C") return std::make_error_code(std::errc::not_supported);
  return std::make_error_code(std::errc::invalid_argument);
}

Result<std::uint64_t> parse_rest_argument(std::string_view argument) {
  // RFC 3659 5.2: REST STREAM's marker is a decimal byte offset. from_chars
  // takes no sign, space or base prefix for an unsigned type, and reports
  // overflow as result_out_of_range.
  std::uint64_t offset = 0;
  const char* const end = argument.data() + argument.size();
  const auto [stop, error] = std::from_chars(argument.data(), end, offset);
  if (error != std::errc() || stop != end) return std::errc::invalid_argument;
  return offset;
}

}  // namespace cppftpd::protocol
