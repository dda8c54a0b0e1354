// Fuzzes the transfer parameter arguments (src/protocol/transfer_parameters.*):
// TYPE, STRU, MODE and REST, against reference models written from RFC 959
// 3.1.1 / 4.1.2 and RFC 3659 5.
//
// Properties: each parser accepts exactly what its reference accepts, with the
// same value, and tells "defined but unsupported" (504) from "invalid" (501)
// the same way; an accepted REST offset, printed in decimal, reads back.

#include "fuzz_check.hpp"
#include "protocol/transfer_parameters.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

namespace {

namespace protocol = cppftpd::protocol;

// Upper-cased, trailing spaces dropped (TYPE, STRU and MODE forgive them).
std::string upper(std::string_view text) {
  const auto end = text.find_last_not_of(' ');
  std::string out(text.substr(0, end == std::string_view::npos ? 0 : end + 1));
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

enum class Verdict { ascii, image, ok, unsupported, invalid };

Verdict reference_type(std::string_view argument) {
  const std::string t = upper(argument);
  if (t == "A" || t == "A N") return Verdict::ascii;
  if (t == "I" || t == "L 8" || t == "L8") return Verdict::image;
  // Defined by RFC 959 but not implemented: EBCDIC, Telnet and ASA format
  // controls, and local byte sizes other than 8.
  if (t == "E" || t == "E N" || t == "A T" || t == "A C") return Verdict::unsupported;
  if (t.size() >= 2 && t[0] == 'L' && t[1] == ' ') return Verdict::unsupported;
  return Verdict::invalid;
}

Verdict reference_one_of(std::string_view argument, char implemented, std::string_view defined) {
  const std::string t = upper(argument);
  if (t.size() != 1) return Verdict::invalid;
  if (t[0] == implemented) return Verdict::ok;
  if (defined.find(t[0]) != std::string_view::npos) return Verdict::unsupported;
  return Verdict::invalid;
}

std::optional<std::uint64_t> reference_rest(std::string_view argument) {
  if (argument.empty()) return std::nullopt;
  unsigned __int128 value = 0;
  for (const char c : argument) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<unsigned>(c - '0');
    if (value > UINT64_MAX) return std::nullopt;
  }
  return static_cast<std::uint64_t>(value);
}

Verdict verdict_of(const std::error_code& error) {
  if (!error) return Verdict::ok;
  if (error == std::errc::not_supported) return Verdict::unsupported;
  FUZZ_CHECK(error == std::errc::invalid_argument);
  return Verdict::invalid;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  const auto type = protocol::parse_type_argument(input);
  Verdict got = verdict_of(type.error());
  if (type) got = *type == protocol::TransferType::ascii ? Verdict::ascii : Verdict::image;
  FUZZ_CHECK(got == reference_type(input));

  FUZZ_CHECK(verdict_of(protocol::parse_stru_argument(input)) ==
             reference_one_of(input, 'F', "RP"));
  FUZZ_CHECK(verdict_of(protocol::parse_mode_argument(input)) ==
             reference_one_of(input, 'S', "BC"));

  const auto rest = protocol::parse_rest_argument(input);
  const auto expected = reference_rest(input);
  FUZZ_CHECK(rest.ok() == expected.has_value());
  if (rest) {
    FUZZ_CHECK(*rest == *expected);
    FUZZ_CHECK(verdict_of(rest.error()) == Verdict::ok);
    const auto again = protocol::parse_rest_argument(std::to_string(*rest));
    FUZZ_CHECK(again.ok() && *again == *rest);
  } else {
    FUZZ_CHECK(rest.error() == std::errc::invalid_argument);
  }
  return 0;
}
