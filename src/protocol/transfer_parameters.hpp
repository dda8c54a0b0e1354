#pragma once
// The transfer parameter commands' arguments (RFC 959 4.1.2): TYPE, STRU,
// MODE, and REST STREAM's marker (RFC 3659 5). Pure functions.

#include <cppftpd/result.hpp>

#include <cstdint>
#include <string_view>

namespace cppftpd::protocol {

/// The representation types cppftpd transfers in (RFC 959 3.1.1).
enum class TransferType { ascii, image };

/// TYPE's argument, case-insensitive: "A" or "A N" (ASCII, non-print) and
/// "I", "L 8" or "L8" (image). Errors: std::errc::not_supported for a type
/// RFC 959 defines but cppftpd does not implement (E, A T, A C, other byte
/// sizes; the caller answers 504), invalid_argument for anything else (501).
Result<TransferType> parse_type_argument(std::string_view argument);

/// STRU's argument, case-insensitive: "F" (file) is the only one implemented.
/// Errors: not_supported for "R" or "P" (504), invalid_argument otherwise (501).
Status parse_stru_argument(std::string_view argument);

/// MODE's argument, case-insensitive: "S" (stream) is the only one implemented.
/// Errors: not_supported for "B" or "C" (504), invalid_argument otherwise (501).
Status parse_mode_argument(std::string_view argument);

/// REST's marker in stream mode: a decimal byte offset, digits only (RFC 3659
/// 5.2), at most 2^64 - 1. Errors: invalid_argument.
Result<std::uint64_t> parse_rest_argument(std::string_view argument);

}  // namespace cppftpd::protocol
