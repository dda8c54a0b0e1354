#include "protocol/host_port.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace cppftpd::protocol {
namespace {

using namespace std::literals;
using asio::ip::make_address;
using asio::ip::tcp;

const std::error_code kInvalid = std::make_error_code(std::errc::invalid_argument);
const std::error_code kUnsupported = std::make_error_code(std::errc::address_family_not_supported);

tcp::endpoint endpoint(std::string_view address, std::uint16_t port) {
  return {make_address(std::string(address)), port};
}

// PORT (RFC 959 4.1.2)

TEST(ParsePort, Valid) {
  const auto result = parse_port_argument("127,0,0,1,195,80");
  ASSERT_TRUE(result.ok()) << result.error().message();
  EXPECT_EQ(*result, endpoint("127.0.0.1", 50000));
  EXPECT_TRUE(result->address().is_v4());
}

TEST(ParsePort, PortIsHighTimes256PlusLow) {
  EXPECT_EQ(*parse_port_argument("192,168,1,2,0,21"), endpoint("192.168.1.2", 21));
  EXPECT_EQ(*parse_port_argument("10,0,0,1,1,0"), endpoint("10.0.0.1", 256));
  EXPECT_EQ(*parse_port_argument("10,0,0,1,0,1"), endpoint("10.0.0.1", 1));
  EXPECT_EQ(*parse_port_argument("255,255,255,255,255,255"), endpoint("255.255.255.255", 65535));
  EXPECT_EQ(*parse_port_argument("0,0,0,0,4,1"), endpoint("0.0.0.0", 1025));
}

TEST(ParsePort, SpacesAroundNumbersTolerated) {
  EXPECT_EQ(*parse_port_argument(" 10, 0 ,0,1 , 4,1 "), endpoint("10.0.0.1", 1025));
}

TEST(ParsePort, LeadingZerosAreDecimal) {
  EXPECT_EQ(*parse_port_argument("010,000,000,001,004,001"), endpoint("10.0.0.1", 1025));
}

TEST(ParsePort, Malformed) {
  for (const std::string_view bad : {
           ""sv,
           " "sv,
           "1,2,3,4,5"sv,      // missing field
           "1,2,3,4,5,6,7"sv,  // extra field
           "1,2,3,4,5,6,"sv,   // trailing comma
           ",1,2,3,4,5"sv,     // empty first field
           "1,,3,4,5,6"sv,     // empty middle field
           "1,2,3,4,5, "sv,    // blank field
           "256,0,0,1,1,1"sv,  // byte > 255
           "1,2,3,4,5,256"sv,  // port byte > 255
           "1,2,3,4,256,0"sv,
           "1,2,3,4,5,-1"sv,  // sign
           "+1,2,3,4,5,6"sv,
           "a,2,3,4,5,6"sv,    // not a number
           "0x1,2,3,4,5,6"sv,  // hex
           "1,2,3,4,5,6a"sv,
           "1 2,3,4,5,6,7"sv,  // space inside a number
           "1.2.3.4.5.6"sv,    // wrong separator
           "1;2;3;4;5;6"sv,
           "1,2,3,4,0,0"sv,  // port 0
           "99999999999999999999999,2,3,4,5,6"sv,
           "1,2,3,4,5,\t6"sv,  // only spaces are tolerated
           "1,2,3,4,5,6\r"sv,
           "1,2,3,4,5,6\0"sv,
       }) {
    const auto result = parse_port_argument(bad);
    EXPECT_FALSE(result.ok()) << "\"" << bad << "\"";
    EXPECT_EQ(result.error(), kInvalid) << "\"" << bad << "\"";
  }
}

// EPRT (RFC 2428 2)

TEST(ParseEprt, Rfc2428Examples) {
  const auto v4 = parse_eprt_argument("|1|132.235.1.2|6275|");
  ASSERT_TRUE(v4.ok()) << v4.error().message();
  EXPECT_EQ(*v4, endpoint("132.235.1.2", 6275));
  EXPECT_TRUE(v4->address().is_v4());

  const auto v6 = parse_eprt_argument("|2|1080::8:800:200C:417A|5282|");
  ASSERT_TRUE(v6.ok()) << v6.error().message();
  EXPECT_EQ(*v6, endpoint("1080::8:800:200c:417a", 5282));
  EXPECT_TRUE(v6->address().is_v6());
}

TEST(ParseEprt, AnyDelimiterFrom33To126) {
  EXPECT_EQ(*parse_eprt_argument("!1!10.0.0.1!21!"), endpoint("10.0.0.1", 21));
  EXPECT_EQ(*parse_eprt_argument("~2~::1~21~"), endpoint("::1", 21));
  EXPECT_EQ(*parse_eprt_argument("#1#10.0.0.1#65535#"), endpoint("10.0.0.1", 65535));
  EXPECT_EQ(*parse_eprt_argument("x1x10.0.0.1x1x"), endpoint("10.0.0.1", 1));
}

TEST(ParseEprt, SurroundingSpacesTolerated) {
  EXPECT_EQ(*parse_eprt_argument(" |1|10.0.0.1|21| "), endpoint("10.0.0.1", 21));
}

TEST(ParseEprt, V4MappedStaysIpv6) {
  const auto result = parse_eprt_argument("|2|::ffff:10.0.0.1|21|");
  ASSERT_TRUE(result.ok());
  EXPECT_TRUE(result->address().is_v6());
  EXPECT_EQ(unmap(result->address()), make_address("10.0.0.1"));
}

TEST(ParseEprt, FamilyMismatchIsInvalid) {
  EXPECT_EQ(parse_eprt_argument("|1|::1|21|").error(), kInvalid);
  EXPECT_EQ(parse_eprt_argument("|1|1080::8:800:200C:417A|5282|").error(), kInvalid);
  EXPECT_EQ(parse_eprt_argument("|2|132.235.1.2|6275|").error(), kInvalid);
}

TEST(ParseEprt, OtherProtocolsUnsupported) {
  EXPECT_EQ(parse_eprt_argument("|3|132.235.1.2|6275|").error(), kUnsupported);
  EXPECT_EQ(parse_eprt_argument("|0|132.235.1.2|6275|").error(), kUnsupported);
  EXPECT_EQ(parse_eprt_argument("|12|x|y|").error(), kUnsupported);
  EXPECT_EQ(parse_eprt_argument("|99999999999999999999|1.2.3.4|21|").error(), kUnsupported);
}

TEST(ParseEprt, Malformed) {
  for (const std::string_view bad : {
           ""sv,
           "|"sv,
           "||||"sv,
           "|1|132.235.1.2|6275"sv,     // no final delimiter
           "1|132.235.1.2|6275|"sv,     // no leading delimiter (delimiter '1')
           "|1|132.235.1.2|6275|x|"sv,  // extra field
           "|1|132.235.1.2|"sv,         // missing port
           "|1||6275|"sv,               // empty address
           "||132.235.1.2|6275|"sv,     // empty protocol
           "|1|132.235.1.2||"sv,        // empty port
           "|a|132.235.1.2|6275|"sv,    // protocol not a number
           "|-1|132.235.1.2|6275|"sv,
           "| 1|132.235.1.2|6275|"sv,
           "|1|132.235.1.2|0|"sv,      // port 0
           "|1|132.235.1.2|65536|"sv,  // port too large
           "|1|132.235.1.2|99999999999|"sv,
           "|1|132.235.1.2|-1|"sv,
           "|1|132.235.1.2|62 75|"sv,
           "|1|132.235.1.2|0x10|"sv,
           "|1|132.235.1|6275|"sv,      // short address
           "|1|132.235.1.256|6275|"sv,  // byte > 255
           "|1| 132.235.1.2|6275|"sv,   // space inside a field
           "|1|localhost|6275|"sv,      // names are not addresses
           "|2|fe80::1%eth0|21|"sv,     // no scope ids
           "|2|fe80::1%1|21|"sv,
           "|2|:::1|21|"sv,
           "|2|[::1]|21|"sv,
           " 1 10.0.0.1 21 "sv,  // space cannot be a delimiter
           "\x7f"
           "1\x7f"
           "10.0.0.1\x7f"
           "21\x7f"sv,  // DEL is not allowed either
           "\x1f"
           "1\x1f"
           "10.0.0.1\x1f"
           "21\x1f"sv,
           "\xc2"
           "1\xc2"
           "10.0.0.1\xc2"
           "21\xc2"sv,
           "|1|10.0.0.1\0|21|"sv,
       }) {
    const auto result = parse_eprt_argument(bad);
    EXPECT_FALSE(result.ok()) << "\"" << bad << "\"";
    EXPECT_EQ(result.error(), kInvalid) << "\"" << bad << "\"";
  }
}

// EPSV (RFC 2428 3)

TEST(ParseEpsv, NoArgument) {
  const auto result = parse_epsv_argument("");
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->kind, EpsvArgument::Kind::any);
}

TEST(ParseEpsv, Protocols) {
  const auto one = parse_epsv_argument("1");
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one->kind, EpsvArgument::Kind::protocol);
  EXPECT_EQ(one->protocol, 1);
  const auto two = parse_epsv_argument("2");
  ASSERT_TRUE(two.ok());
  EXPECT_EQ(two->kind, EpsvArgument::Kind::protocol);
  EXPECT_EQ(two->protocol, 2);
}

TEST(ParseEpsv, AllInAnyCase) {
  for (const auto text : {"ALL"sv, "all"sv, "aLl"sv, " ALL "sv}) {
    const auto result = parse_epsv_argument(text);
    ASSERT_TRUE(result.ok()) << text;
    EXPECT_EQ(result->kind, EpsvArgument::Kind::all) << text;
  }
}

TEST(ParseEpsv, OtherNumbersUnsupported) {
  for (const auto text : {"0"sv, "3"sv, "12"sv, "99999999999999999999"sv}) {
    EXPECT_EQ(parse_epsv_argument(text).error(), kUnsupported) << text;
  }
}

TEST(ParseEpsv, Malformed) {
  for (const auto text : {"x"sv, "1x"sv, "ALLX"sv, "AL"sv, "-1"sv, "+1"sv, "1 2"sv, "ALL 1"sv,
                          "|||1|"sv, "\t1"sv, "1\0"sv}) {
    EXPECT_EQ(parse_epsv_argument(text).error(), kInvalid) << text;
  }
}

// PASV and EPSV replies

TEST(FormatPasvReply, Rfc959Form) {
  EXPECT_EQ(format_pasv_reply(asio::ip::make_address_v4("127.0.0.1"), 50000),
            "Entering Passive Mode (127,0,0,1,195,80).");
  EXPECT_EQ(format_pasv_reply(asio::ip::make_address_v4("192.168.255.0"), 21),
            "Entering Passive Mode (192,168,255,0,0,21).");
  EXPECT_EQ(format_pasv_reply(asio::ip::make_address_v4("255.255.255.255"), 65535),
            "Entering Passive Mode (255,255,255,255,255,255).");
}

TEST(FormatPasvReply, RoundTripsThroughPort) {
  const auto address = asio::ip::make_address_v4("10.1.2.3");
  for (unsigned port = 1; port <= 65535; port += 97) {
    const auto text = format_pasv_reply(address, static_cast<std::uint16_t>(port));
    const auto open = text.find('(');
    const auto close = text.find(')');
    ASSERT_NE(open, std::string::npos);
    ASSERT_NE(close, std::string::npos);
    const auto parsed =
        parse_port_argument(std::string_view(text).substr(open + 1, close - open - 1));
    ASSERT_TRUE(parsed.ok()) << text;
    EXPECT_EQ(*parsed, tcp::endpoint(address, static_cast<std::uint16_t>(port))) << text;
  }
}

TEST(FormatEpsvReply, Rfc2428Form) {
  EXPECT_EQ(format_epsv_reply(50000), "Entering Extended Passive Mode (|||50000|).");
  EXPECT_EQ(format_epsv_reply(1), "Entering Extended Passive Mode (|||1|).");
  EXPECT_EQ(format_epsv_reply(65535), "Entering Extended Passive Mode (|||65535|).");
}

// unmap

TEST(Unmap, MappedBecomesIpv4) {
  const auto address = unmap(make_address("::ffff:192.0.2.1"));
  EXPECT_TRUE(address.is_v4());
  EXPECT_EQ(address, make_address("192.0.2.1"));
}

TEST(Unmap, OthersUnchanged) {
  for (const auto text :
       {"::1", "2001:db8::1", "::", "192.0.2.1", "0.0.0.0", "::192.0.2.1", "64:ff9b::192.0.2.1"}) {
    EXPECT_EQ(unmap(make_address(text)), make_address(text)) << text;
  }
}

// HOST (RFC 7151 3.1)

TEST(ParseHostArgument, DomainNames) {
  for (const auto text : {"ftp.example.com"sv, "example"sv, "a"sv, "xn--e1afmkfd.com"sv, "1.2.3"sv,
                          "0ne-two.3com.net"sv, "localhost"sv}) {
    const auto parsed = parse_host_argument(text);
    ASSERT_TRUE(parsed.ok()) << text;
    EXPECT_FALSE(parsed->literal.has_value()) << text;
  }
}

TEST(ParseHostArgument, AddressLiterals) {
  EXPECT_EQ(parse_host_argument("192.0.2.7")->literal, make_address("192.0.2.7"));
  EXPECT_EQ(parse_host_argument("[::1]")->literal, make_address("::1"));
  EXPECT_EQ(parse_host_argument("[2001:db8::7]")->literal, make_address("2001:db8::7"));
}

TEST(ParseHostArgument, InvalidIs501) {
  for (const auto text : {""sv, " "sv, "-a.com"sv, "a-.com"sv, "a..com"sv, "a.com."sv, ".a.com"sv,
                          "a_b.com"sv, "a b"sv, "host:21"sv, "[::1"sv, "::1"sv, "[]"sv,
                          "[192.0.2.1]"sv, "[fe80::1%eth0]"sv, "caf\xc3\xa9.com"sv, "a.com/x"sv}) {
    EXPECT_EQ(parse_host_argument(text).error(), std::errc::invalid_argument) << text;
  }
  EXPECT_EQ(parse_host_argument(std::string(64, 'a') + ".com").error(),
            std::errc::invalid_argument);  // a label over 63
  EXPECT_TRUE(parse_host_argument(std::string(63, 'a') + ".com").ok());
}

}  // namespace
}  // namespace cppftpd::protocol
