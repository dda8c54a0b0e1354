// Fuzzes the data-connection address parsers and formatters (RFC 959 4.1.2,
// RFC 2428): PORT, EPRT and EPSV arguments, and the 227/229 reply texts.
//
// Properties:
// - parse -> format -> parse is stable: an accepted PORT or EPRT argument,
//   formatted again, parses to the same endpoint;
// - PORT yields IPv4, EPRT the family its protocol number names, and neither
//   yields port 0;
// - a 227 or 229 reply text carries exactly the address and port it was made
//   from (a client parsing it with PORT's grammar gets them back);
// - unmap() turns ::ffff:a.b.c.d into a.b.c.d and leaves everything else alone.

#include "fuzz_check.hpp"
#include "protocol/host_port.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace {

using asio::ip::tcp;
namespace protocol = cppftpd::protocol;

// "h1,h2,h3,h4,p1,p2" out of "Entering Passive Mode (h1,h2,h3,h4,p1,p2)."
std::string pasv_numbers(std::string_view reply) {
  constexpr std::string_view kPrefix = "Entering Passive Mode (";
  constexpr std::string_view kSuffix = ").";
  FUZZ_CHECK(reply.starts_with(kPrefix));
  FUZZ_CHECK(reply.ends_with(kSuffix));
  reply.remove_prefix(kPrefix.size());
  reply.remove_suffix(kSuffix.size());
  return std::string(reply);
}

std::string eprt_argument(const tcp::endpoint& endpoint, char delimiter) {
  const auto address = endpoint.address();
  std::string out(1, delimiter);
  out += address.is_v4() ? '1' : '2';
  out += delimiter;
  out += address.to_string();
  out += delimiter;
  out += std::to_string(endpoint.port());
  out += delimiter;
  return out;
}

void check_port(std::string_view input) {
  const auto parsed = protocol::parse_port_argument(input);
  if (!parsed) return;
  FUZZ_CHECK(parsed->address().is_v4());
  FUZZ_CHECK(parsed->port() != 0);
  const std::string again =
      pasv_numbers(protocol::format_pasv_reply(parsed->address().to_v4(), parsed->port()));
  const auto reparsed = protocol::parse_port_argument(again);
  FUZZ_CHECK(reparsed.ok());
  FUZZ_CHECK(*reparsed == *parsed);
}

void check_eprt(std::string_view input) {
  const auto parsed = protocol::parse_eprt_argument(input);
  if (!parsed) return;
  FUZZ_CHECK(parsed->port() != 0);
  // The protocol number sits between the first two delimiters (leading
  // zeros allowed): 1 is IPv4, 2 is IPv6.
  const std::string_view trimmed = input.substr(input.find_first_not_of(' '));
  const char delimiter = trimmed.front();
  const std::string_view number = trimmed.substr(1, trimmed.find(delimiter, 1) - 1);
  FUZZ_CHECK(!number.empty() && number.find_first_not_of('0') == number.size() - 1);
  FUZZ_CHECK(number.back() == '1' || number.back() == '2');
  FUZZ_CHECK(parsed->address().is_v4() == (number.back() == '1'));
  if (parsed->address().is_v6()) FUZZ_CHECK(parsed->address().to_v6().scope_id() == 0);
  for (const char again_delimiter : {'|', delimiter}) {
    const auto reparsed = protocol::parse_eprt_argument(eprt_argument(*parsed, again_delimiter));
    FUZZ_CHECK(reparsed.ok());
    FUZZ_CHECK(*reparsed == *parsed);
  }
}

void check_epsv(std::string_view input) {
  const auto parsed = protocol::parse_epsv_argument(input);
  if (!parsed) {
    FUZZ_CHECK(parsed.error() == std::errc::invalid_argument ||
               parsed.error() == std::errc::address_family_not_supported);
    return;
  }
  if (parsed->kind == protocol::EpsvArgument::Kind::protocol) {
    FUZZ_CHECK(parsed->protocol == 1 || parsed->protocol == 2);
  }
  if (parsed->kind == protocol::EpsvArgument::Kind::any) {
    FUZZ_CHECK(input.find_first_not_of(' ') == std::string_view::npos);
  }
}

// HOST (RFC 7151 3.1): a name is dot-separated labels of letters, digits and
// '-' (not at either end); a literal is an address whose text parses back.
void check_host(std::string_view input) {
  const auto parsed = protocol::parse_host_argument(input);
  if (!parsed) {
    FUZZ_CHECK(parsed.error() == std::errc::invalid_argument);
    return;
  }
  if (parsed->literal) {
    FUZZ_CHECK(parsed->literal->is_v4() || input.front() == '[');
    return;
  }
  FUZZ_CHECK(!input.empty() && input.size() <= 253);
  FUZZ_CHECK(input.front() != '.' && input.back() != '.' && input.front() != '-' &&
             input.back() != '-');
  for (const char c : input) {
    const bool allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                         (c >= '0' && c <= '9') || c == '-' || c == '.';
    FUZZ_CHECK(allowed);
  }
  FUZZ_CHECK(input.find("..") == std::string_view::npos);
}

void check_replies(const std::uint8_t* data, std::size_t size) {
  if (size < 6) return;
  const asio::ip::address_v4 address(
      asio::ip::address_v4::bytes_type{data[0], data[1], data[2], data[3]});
  const auto port = static_cast<std::uint16_t>(data[4] << 8 | data[5]);

  const std::string pasv = protocol::format_pasv_reply(address, port);
  const auto parsed = protocol::parse_port_argument(pasv_numbers(pasv));
  if (port == 0) {
    FUZZ_CHECK(!parsed.ok());
  } else {
    FUZZ_CHECK(parsed.ok());
    FUZZ_CHECK(*parsed == tcp::endpoint(address, port));
  }

  // RFC 2428 3: "(<d><d><d><port><d>)" with '|' as the delimiter.
  const std::string epsv_reply = protocol::format_epsv_reply(port);
  std::string_view epsv = epsv_reply;
  constexpr std::string_view kPrefix = "Entering Extended Passive Mode (|||";
  FUZZ_CHECK(epsv.starts_with(kPrefix) && epsv.ends_with("|)."));
  epsv.remove_prefix(kPrefix.size());
  epsv.remove_suffix(3);
  FUZZ_CHECK(epsv == std::to_string(port));

  const auto mapped = asio::ip::make_address_v6(asio::ip::v4_mapped, address);
  FUZZ_CHECK(protocol::unmap(mapped) == asio::ip::address(address));
  FUZZ_CHECK(protocol::unmap(address) == asio::ip::address(address));
  if (size >= 16) {
    asio::ip::address_v6::bytes_type bytes{};
    for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = data[i];
    const asio::ip::address_v6 v6(bytes);
    const auto unmapped = protocol::unmap(v6);
    FUZZ_CHECK(unmapped.is_v4() == v6.is_v4_mapped());
    if (!v6.is_v4_mapped()) FUZZ_CHECK(unmapped == asio::ip::address(v6));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  check_port(input);
  check_eprt(input);
  check_epsv(input);
  check_host(input);
  check_replies(data, size);
  return 0;
}
