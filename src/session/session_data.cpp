// Data-connection set-up and transfer parameters: PORT, PASV (RFC 959
// 4.1.2), EPRT, EPSV (RFC 2428), TYPE, STRU, MODE, REST (RFC 3659 5), ALLO.

#include "session/session.hpp"

#include "protocol/line_reader.hpp"

#include "protocol/host_port.hpp"
#include "protocol/transfer_parameters.hpp"

#include <spdlog/spdlog.h>

namespace cppftpd {

void Session::prepare_active(const asio::ip::tcp::endpoint& target, std::string_view verb) {
  // RFC 2577 4 / sec-consider: no bounce. The data connection may only go
  // back to the client's own address, and not to a privileged port.
  const auto peer = protocol::unmap(peer_.address());
  auto wanted = protocol::unmap(target.address());
  // An unspecified address (EPRT |2|::|port|, PORT 0,0,0,0,...) means "where
  // I am": lftp sends it for loopback peers. Connect back to the client.
  if (wanted.is_unspecified()) wanted = peer;
  if (!config_.permit_foreign_addresses && wanted != peer) {
    log_info(fmt::format("Rejected {} to foreign address {}.", verb, wanted.to_string()));
    const std::string shown = wanted.is_v6() ? "[" + wanted.to_string() + "]" : wanted.to_string();
    reply(501,
          fmt::format("Rejected data connection to foreign address {}:{}.", shown, target.port()));
    return;
  }
  if (!config_.permit_privileged_ports && target.port() < 1024) {
    reply(501, fmt::format("Rejected data connection to privileged port {}.", target.port()));
    return;
  }
  data_.set_active(asio::ip::tcp::endpoint(wanted, target.port()));
  reply(200, fmt::format("Active data connection established."));
}

std::optional<std::uint16_t> Session::prepare_passive() {
  auto port =
      data_.listen_passive(control_.get_executor(), local_.address(), config_.passive_ports);
  if (!port) {
    spdlog::warn("{} cannot open passive listener: {}", log_prefix(), port.error().message());
    reply(425, "Can't open passive data connection.");
    return std::nullopt;
  }
  return *port;
}

asio::awaitable<void> Session::cmd_port(const Request& request) {
  if (epsv_all_) {
    reply(503, "PORT not allowed after EPSV ALL.");  // RFC 2428 4
    co_return;
  }
  auto target = protocol::parse_port_argument(request.argument);
  if (!target) {
    reply(501, "Invalid PORT format.");
    co_return;
  }
  prepare_active(*target, "PORT");
}

asio::awaitable<void> Session::cmd_eprt(const Request& request) {
  if (epsv_all_) {
    reply(503, "EPRT not allowed after EPSV ALL.");  // RFC 2428 4
    co_return;
  }
  auto target = protocol::parse_eprt_argument(request.argument);
  if (!target) {
    if (target.error() == std::errc::address_family_not_supported) {
      reply(522, "Network protocol not supported, use (1,2).");  // RFC 2428 2
    } else {
      reply(501, "Invalid EPRT format.");
    }
    co_return;
  }
  prepare_active(*target, "EPRT");
}

asio::awaitable<void> Session::cmd_pasv(const Request&) {
  if (epsv_all_) {
    reply(503, "PASV not allowed after EPSV ALL.");  // RFC 2428 4
    co_return;
  }
  // PASV can only name an IPv4 address (RFC 2428 1); IPv6 clients use EPSV.
  const auto local = protocol::unmap(local_.address());
  if (!local.is_v4() && config_.nat_address.empty()) {
    reply(425, "PASV is IPv4 only; use EPSV.");
    co_return;
  }
  auto port = prepare_passive();
  if (!port) co_return;
  asio::ip::address_v4 shown = local.is_v4() ? local.to_v4() : asio::ip::address_v4::any();
  if (!config_.nat_address.empty()) {
    std::error_code ec;
    shown = asio::ip::make_address_v4(config_.nat_address, ec);
  }
  reply(227, protocol::format_pasv_reply(shown, *port));
}

asio::awaitable<void> Session::cmd_epsv(const Request& request) {
  auto argument = protocol::parse_epsv_argument(request.argument);
  if (!argument) {
    if (argument.error() == std::errc::address_family_not_supported) {
      reply(522, fmt::format("Network protocol not supported, use ({}).",
                             protocol::unmap(local_.address()).is_v4() ? 1 : 2));
    } else {
      reply(501, "Invalid EPSV argument.");
    }
    co_return;
  }
  if (argument->kind == protocol::EpsvArgument::Kind::all) {
    // RFC 2428 4: from now on only EPSV sets up data connections.
    epsv_all_ = true;
    reply(200, "EPSV ALL command successful.");
    co_return;
  }
  const int family = protocol::unmap(local_.address()).is_v4() ? 1 : 2;
  if (argument->kind == protocol::EpsvArgument::Kind::protocol && argument->protocol != family) {
    reply(522, fmt::format("Network protocol not supported, use ({}).", family));
    co_return;
  }
  auto port = prepare_passive();
  if (!port) co_return;
  reply(229, protocol::format_epsv_reply(*port));
}

asio::awaitable<void> Session::cmd_type(const Request& request) {
  const auto type = protocol::parse_type_argument(request.argument);
  if (type) {
    ascii_ = *type == protocol::TransferType::ascii;
    reply(200, ascii_ ? "Type set to: ASCII." : "Type set to: Binary.");
  } else if (type.error() == std::errc::not_supported) {
    reply(504, fmt::format("Unsupported type \"{}\".", request.argument));
  } else {
    reply(501, fmt::format("Invalid type \"{}\".", request.argument));
  }
  co_return;
}

asio::awaitable<void> Session::cmd_stru(const Request& request) {
  const auto status = protocol::parse_stru_argument(request.argument);
  if (!status) {
    reply(200, "File transfer structure set to: F.");
  } else if (status == std::errc::not_supported) {
    reply(504, "Unimplemented STRU type.");
  } else {
    reply(501, "Invalid STRU type.");
  }
  co_return;
}

asio::awaitable<void> Session::cmd_mode(const Request& request) {
  const auto status = protocol::parse_mode_argument(request.argument);
  if (!status) {
    reply(200, "Transfer mode set to: S.");
  } else if (status == std::errc::not_supported) {
    reply(504, "Unimplemented MODE type.");
  } else {
    reply(501, "Invalid MODE type.");
  }
  co_return;
}

asio::awaitable<void> Session::cmd_rest(const Request& request) {
  const auto offset = protocol::parse_rest_argument(request.argument);
  if (!offset) {
    reply(501, "Invalid REST parameter.");
    co_return;
  }
  // RFC 3659 5.3: "An error response will follow a REST command only when
  // the server does not implement the command, or when the restart marker
  // value is syntactically invalid"; anything else is reported on the
  // transfer command. So in TYPE A too (the default type) the marker is kept;
  // it counts octets of the converted stream (RETR and STOR check it).
  rest_offset_ = *offset;
  reply(350,
        fmt::format("Restarting at {}. Send STORE or RETRIEVE to initiate transfer.", *offset));
}

asio::awaitable<void> Session::cmd_allo(const Request&) {
  reply(202, "No storage allocation necessary.");
  co_return;
}

}  // namespace cppftpd
