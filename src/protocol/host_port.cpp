#include "protocol/host_port.hpp"

#include "protocol/line_reader.hpp"

#include <array>
#include <system_error>

namespace cppftpd::protocol {
namespace {

std::string_view trim_spaces(std::string_view text) noexcept {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  return trim_trailing_spaces(text);
}

// Parses a non-empty run of ASCII digits no greater than `max`. Leading zeros
// are allowed; the value is capped while parsing so no length can overflow.
std::optional<unsigned> parse_decimal(std::string_view text, unsigned max) noexcept {
  if (text.empty()) return std::nullopt;
  unsigned value = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<unsigned>(c - '0');
    if (value > max) return std::nullopt;
  }
  return value;
}

bool all_digits(std::string_view text) noexcept {
  if (text.empty()) return false;
  for (const char c : text) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i];
    char y = b[i];
    if (x >= 'a' && x <= 'z') x = static_cast<char>(x - 'a' + 'A');
    if (y >= 'a' && y <= 'z') y = static_cast<char>(y - 'a' + 'A');
    if (x != y) return false;
  }
  return true;
}

constexpr unsigned kMaxPort = 65535;

}  // namespace

Result<asio::ip::tcp::endpoint> parse_port_argument(std::string_view argument) {
  // RFC 959 4.1.2: "PORT h1,h2,h3,h4,p1,p2", six decimal bytes.
  std::array<unsigned, 6> fields{};
  std::size_t count = 0;
  while (true) {
    const auto comma = argument.find(',');
    if (count == fields.size()) return std::errc::invalid_argument;  // a seventh field
    const auto field = parse_decimal(trim_spaces(argument.substr(0, comma)), 255);
    if (!field) return std::errc::invalid_argument;
    fields[count++] = *field;
    if (comma == std::string_view::npos) break;
    argument.remove_prefix(comma + 1);
  }
  if (count != fields.size()) return std::errc::invalid_argument;

  const asio::ip::address_v4 address(asio::ip::address_v4::bytes_type{
      static_cast<unsigned char>(fields[0]), static_cast<unsigned char>(fields[1]),
      static_cast<unsigned char>(fields[2]), static_cast<unsigned char>(fields[3])});
  const auto port = static_cast<std::uint16_t>(fields[4] * 256 + fields[5]);
  // Nothing listens on port 0: a connect there can only fail.
  if (port == 0) return std::errc::invalid_argument;
  return asio::ip::tcp::endpoint(address, port);
}

Result<asio::ip::tcp::endpoint> parse_eprt_argument(std::string_view argument) {
  // RFC 2428 2: EPRT<space><d><net-prt><d><net-addr><d><tcp-port><d>, the
  // delimiter being any of ASCII 33-126.
  argument = trim_spaces(argument);
  if (argument.size() < 4) return std::errc::invalid_argument;
  const char delimiter = argument.front();
  if (delimiter < 33 || delimiter > 126) return std::errc::invalid_argument;
  if (argument.back() != delimiter) return std::errc::invalid_argument;
  argument = argument.substr(1, argument.size() - 2);

  const auto first = argument.find(delimiter);
  if (first == std::string_view::npos) return std::errc::invalid_argument;
  const auto second = argument.find(delimiter, first + 1);
  if (second == std::string_view::npos) return std::errc::invalid_argument;
  if (argument.find(delimiter, second + 1) != std::string_view::npos) {
    return std::errc::invalid_argument;  // more than three fields
  }
  const auto protocol_text = argument.substr(0, first);
  const auto address_text = argument.substr(first + 1, second - first - 1);
  const auto port_text = argument.substr(second + 1);

  // RFC 2428 2: net-prt is an address family number, 1 for IPv4 and 2 for
  // IPv6; another number is a family the server does not support (522).
  if (!all_digits(protocol_text)) return std::errc::invalid_argument;
  const auto protocol = parse_decimal(protocol_text, 1000);
  if (!protocol || (*protocol != 1 && *protocol != 2)) {
    return std::errc::address_family_not_supported;
  }

  const auto port = parse_decimal(port_text, kMaxPort);
  if (!port || *port == 0) return std::errc::invalid_argument;

  // Numeric forms only, checked before Asio sees them: a NUL would cut the C
  // string inet_pton reads, and a scope id ("%eth0") would make Asio look up
  // an interface name, a link the client has no business choosing.
  if (address_text.empty() ||
      address_text.find_first_not_of("0123456789abcdefABCDEF:.") != std::string_view::npos) {
    return std::errc::invalid_argument;
  }
  const std::string address_string(address_text);
  std::error_code error;
  asio::ip::address address;
  if (*protocol == 1) {
    address = asio::ip::make_address_v4(address_string, error);
  } else {
    address = asio::ip::make_address_v6(address_string, error);
  }
  if (error) return std::errc::invalid_argument;
  return asio::ip::tcp::endpoint(address, static_cast<std::uint16_t>(*port));
}

Result<EpsvArgument> parse_epsv_argument(std::string_view argument) {
  // RFC 2428 3: "EPSV<space><net-prt>" or "EPSV<space>ALL".
  argument = trim_spaces(argument);
  EpsvArgument result;
  if (argument.empty()) return result;
  if (iequals(argument, "ALL")) {
    result.kind = EpsvArgument::Kind::all;
    return result;
  }
  if (!all_digits(argument)) return std::errc::invalid_argument;
  const auto protocol = parse_decimal(argument, 1000);
  if (!protocol || (*protocol != 1 && *protocol != 2)) {
    return std::errc::address_family_not_supported;
  }
  result.kind = EpsvArgument::Kind::protocol;
  result.protocol = static_cast<int>(*protocol);
  return result;
}

namespace {

// RFC 7151 3.1: sub-domain = let-dig [ldh-str]; ldh-str = *( ALPHA / DIGIT
// / "-" ) let-dig: letters, digits and '-', neither first nor last.
bool valid_label(std::string_view label) noexcept {
  if (label.empty() || label.size() > 63) return false;
  if (label.front() == '-' || label.back() == '-') return false;
  for (const char c : label) {
    const bool let_dig = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (!let_dig && c != '-') return false;
  }
  return true;
}

}  // namespace

Result<HostArgument> parse_host_argument(std::string_view argument) {
  // RFC 7151 3.1: hostname = domain / IP-literal, IP-literal = "[" IPv6address
  // "]" / IPv4address (RFC 3986 3.2.2: no zone identifier, no port).
  if (argument.empty() || argument.size() > 253 + 2) return std::errc::invalid_argument;
  std::error_code ec;
  if (argument.front() == '[') {
    if (argument.size() < 3 || argument.back() != ']') return std::errc::invalid_argument;
    const std::string inner(argument.substr(1, argument.size() - 2));
    if (inner.find('%') != std::string::npos) return std::errc::invalid_argument;
    const auto v6 = asio::ip::make_address_v6(inner, ec);
    if (ec) return std::errc::invalid_argument;
    return HostArgument{asio::ip::address(v6)};
  }
  // Dotted decimal that is an IPv4 address is one (inet_pton: four parts,
  // each 0-255, no leading zeros); anything else must be a domain name.
  const auto v4 = asio::ip::make_address_v4(std::string(argument), ec);
  if (!ec) return HostArgument{asio::ip::address(v4)};
  if (argument.size() > 253) return std::errc::invalid_argument;
  std::string_view rest = argument;
  for (;;) {
    const auto dot = rest.find('.');
    if (!valid_label(rest.substr(0, dot))) return std::errc::invalid_argument;
    if (dot == std::string_view::npos) break;
    rest.remove_prefix(dot + 1);
  }
  return HostArgument{};
}

std::string format_pasv_reply(const asio::ip::address_v4& address, std::uint16_t port) {
  // RFC 959 4.1.2 and 4.2: "227 Entering Passive Mode (h1,h2,h3,h4,p1,p2)."
  const auto bytes = address.to_bytes();
  std::string text = "Entering Passive Mode (";
  for (const auto byte : bytes) {
    text += std::to_string(byte);
    text.push_back(',');
  }
  text += std::to_string(port >> 8);
  text.push_back(',');
  text += std::to_string(port & 0xFF);
  text += ").";
  return text;
}

std::string format_epsv_reply(std::uint16_t port) {
  // RFC 2428 3: "229 Entering Extended Passive Mode (|||6446|)".
  return "Entering Extended Passive Mode (|||" + std::to_string(port) + "|).";
}

asio::ip::address unmap(const asio::ip::address& address) {
  if (address.is_v6()) {
    const auto v6 = address.to_v6();
    if (v6.is_v4_mapped()) return asio::ip::make_address_v4(asio::ip::v4_mapped, v6);
  }
  return address;
}

}  // namespace cppftpd::protocol
