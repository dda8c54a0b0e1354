#pragma once
// Data-connection addresses: PORT/EPRT arguments and PASV/EPSV replies
// (RFC 959 4.1.2, RFC 2428). Pure functions on Asio's address value types.

#include <cppftpd/result.hpp>

#include <asio/ip/address.hpp>
#include <asio/ip/tcp.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace cppftpd::protocol {

/// Parses PORT's "h1,h2,h3,h4,p1,p2" (each 0-255, decimal, spaces around
/// numbers tolerated). Errors: std::errc::invalid_argument.
Result<asio::ip::tcp::endpoint> parse_port_argument(std::string_view argument);

/// Parses EPRT's "<d><proto><d><address><d><port><d>" (RFC 2428 2): any
/// delimiter 33-126, proto 1 (IPv4) or 2 (IPv6), port 1-65535.
/// Errors: invalid_argument for bad syntax; address_family_not_supported for a
/// protocol other than 1 or 2 (the caller answers 522).
Result<asio::ip::tcp::endpoint> parse_eprt_argument(std::string_view argument);

/// EPSV's argument (RFC 2428 3): none, "1", "2" or "ALL" (case-insensitive).
struct EpsvArgument {
  enum class Kind { any, protocol, all } kind = Kind::any;
  int protocol = 0;  ///< 1 or 2 when kind == protocol
};
/// Errors: invalid_argument for bad syntax, address_family_not_supported for
/// another number (the caller answers 522).
Result<EpsvArgument> parse_epsv_argument(std::string_view argument);

/// HOST's argument (RFC 7151 3.1): a domain name (letters, digits and '-'
/// in dot-separated labels, none starting or ending with '-'), an IPv4
/// literal, or an IPv6 literal in brackets. A name: nullopt address; a
/// literal: its address; invalid_argument for anything else (501).
struct HostArgument {
  std::optional<asio::ip::address> literal;
};
Result<HostArgument> parse_host_argument(std::string_view argument);

/// The text of a 227 reply: "Entering Passive Mode (h1,h2,h3,h4,p1,p2)."
std::string format_pasv_reply(const asio::ip::address_v4& address, std::uint16_t port);
/// The text of a 229 reply: "Entering Extended Passive Mode (|||port|)."
std::string format_epsv_reply(std::uint16_t port);

/// An IPv4-mapped IPv6 address (::ffff:a.b.c.d) as plain IPv4; others unchanged.
/// Dual-stack sockets report IPv4 peers this way; compare only unmapped addresses.
asio::ip::address unmap(const asio::ip::address& address);

}  // namespace cppftpd::protocol
