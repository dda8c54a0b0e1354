// AddressBan: threshold within a window, ban duration, off switch, bounded
// table (src/server/address_ban.hpp).

#include "server/address_ban.hpp"

#include <gtest/gtest.h>

#include <string>

namespace cppftpd {
namespace {

using namespace std::chrono_literals;
using Clock = AddressBan::Clock;

asio::ip::address ip(const std::string& text) { return asio::ip::make_address(text); }

TEST(AddressBan, ThresholdWithinTheWindowBansForTheDuration) {
  AddressBan ban(3, 600s, 900s, 100);
  const auto t0 = Clock::now();
  const auto a = ip("192.0.2.1");
  EXPECT_FALSE(ban.record_failure(a, t0));
  EXPECT_FALSE(ban.record_failure(a, t0 + 1s));
  EXPECT_FALSE(ban.banned(a, t0 + 2s));
  EXPECT_TRUE(ban.record_failure(a, t0 + 2s));  // the third starts the ban
  EXPECT_TRUE(ban.banned(a, t0 + 3s));
  EXPECT_FALSE(ban.record_failure(a, t0 + 4s));  // already banned: not a new ban
  EXPECT_TRUE(ban.banned(a, t0 + 2s + 899s));
  EXPECT_FALSE(ban.banned(a, t0 + 2s + 900s));
  EXPECT_FALSE(ban.banned(ip("192.0.2.2"), t0 + 3s));
}

TEST(AddressBan, FailuresOutsideTheWindowDoNotAddUp) {
  AddressBan ban(3, 60s, 900s, 100);
  const auto t0 = Clock::now();
  const auto a = ip("2001:db8::1");
  EXPECT_FALSE(ban.record_failure(a, t0));
  EXPECT_FALSE(ban.record_failure(a, t0 + 30s));
  EXPECT_FALSE(ban.record_failure(a, t0 + 61s));  // a new window starts
  EXPECT_FALSE(ban.record_failure(a, t0 + 62s));
  EXPECT_FALSE(ban.banned(a, t0 + 63s));
  EXPECT_TRUE(ban.record_failure(a, t0 + 63s));
}

TEST(AddressBan, ASuccessForgivesTheFailuresButNotABanInForce) {
  AddressBan ban(3, 600s, 900s, 100);
  const auto t0 = Clock::now();
  const auto a = ip("192.0.2.1");
  EXPECT_FALSE(ban.record_failure(a, t0));
  EXPECT_FALSE(ban.record_failure(a, t0 + 1s));
  ban.record_success(a, t0 + 2s);
  EXPECT_EQ(ban.size(), 0U);
  EXPECT_FALSE(ban.record_failure(a, t0 + 3s));  // counted from 1 again
  EXPECT_FALSE(ban.record_failure(a, t0 + 4s));
  EXPECT_TRUE(ban.record_failure(a, t0 + 5s));
  ban.record_success(a, t0 + 6s);  // a session that was in before the ban
  EXPECT_TRUE(ban.banned(a, t0 + 7s));
  ban.record_success(ip("192.0.2.9"), t0 + 7s);  // unknown: nothing to forgive
  EXPECT_EQ(ban.size(), 1U);
}

TEST(AddressBan, ZeroThresholdIsOff) {
  AddressBan ban(0, 600s, 900s, 100);
  const auto a = ip("192.0.2.1");
  for (int i = 0; i < 100; ++i) EXPECT_FALSE(ban.record_failure(a));
  EXPECT_FALSE(ban.banned(a));
  EXPECT_EQ(ban.size(), 0U);
}

TEST(AddressBan, TableIsBoundedAndKeepsBansInForce) {
  AddressBan ban(2, 600s, 900s, 16);
  const auto t0 = Clock::now();
  const auto attacker = ip("198.51.100.1");
  ban.record_failure(attacker, t0);
  EXPECT_TRUE(ban.record_failure(attacker, t0));
  // Many addresses with one failure each: the table stays at its bound and
  // the ban in force survives.
  for (int i = 0; i < 1000; ++i) {
    const auto address = asio::ip::address_v4(0x0A000000U + static_cast<unsigned>(i));
    ban.record_failure(address, t0 + std::chrono::seconds(i % 100));
    EXPECT_LE(ban.size(), 16U);
  }
  EXPECT_TRUE(ban.banned(attacker, t0 + 200s));
}

TEST(AddressBan, ExpiredEntriesAreForgotten) {
  AddressBan ban(2, 60s, 120s, 100);
  const auto t0 = Clock::now();
  const auto a = ip("192.0.2.9");
  ban.record_failure(a, t0);
  EXPECT_TRUE(ban.record_failure(a, t0));
  EXPECT_FALSE(ban.banned(a, t0 + 121s));
  EXPECT_EQ(ban.size(), 0U);
}

TEST(AddressBan, Ipv6CountsByItsSlash64AndMappedIpv4AsIpv4) {
  EXPECT_EQ(AddressBan::key_of(ip("2001:db8:1:2:aaaa::1")), ip("2001:db8:1:2::"));
  EXPECT_EQ(AddressBan::key_of(ip("::ffff:192.0.2.7")), ip("192.0.2.7"));
  EXPECT_EQ(AddressBan::key_of(ip("192.0.2.7")), ip("192.0.2.7"));
  AddressBan ban(2, 600s, 900s, 100);
  const auto t0 = Clock::now();
  ban.record_failure(ip("2001:db8:1:2::1"), t0);
  EXPECT_TRUE(ban.record_failure(ip("2001:db8:1:2::ffff"), t0));  // same /64
  EXPECT_TRUE(ban.banned(ip("2001:db8:1:2:1234::9"), t0 + 1s));
  EXPECT_FALSE(ban.banned(ip("2001:db8:1:3::1"), t0 + 1s));  // the next /64
  ban.record_failure(ip("::ffff:192.0.2.7"), t0);
  EXPECT_TRUE(ban.record_failure(ip("192.0.2.7"), t0));
}

}  // namespace
}  // namespace cppftpd
