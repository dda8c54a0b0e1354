#include "transfer/throttle.hpp"

#include <gtest/gtest.h>

namespace cppftpd {
namespace {

using namespace std::chrono_literals;
using Clock = Throttle::Clock;

TEST(ThrottleTest, WaitsUntilTheBytesWereDue) {
  Throttle throttle(1000);  // bytes per second
  const auto t0 = Clock::time_point{} + 1h;
  EXPECT_EQ(throttle.charge(500, t0), 500ms);
  EXPECT_EQ(throttle.charge(500, t0 + 500ms), 500ms);  // 1000 bytes due at t0 + 1 s
  EXPECT_EQ(throttle.charge(1, t0 + 1s), 1ms);
}

TEST(ThrottleTest, TimeLostToTheNetworkEarnsNoCredit) {
  Throttle throttle(1000);
  const auto t0 = Clock::time_point{} + 1h;
  EXPECT_EQ(throttle.charge(100, t0), 100ms);
  // The next bytes came 5 s later: they wait their own 100 ms, not less.
  EXPECT_EQ(throttle.charge(100, t0 + 5s), 100ms);
}

TEST(ThrottleTest, LongRunRateIsExact) {
  Throttle throttle(3 * 1024 * 1024 + 7);  // an awkward rate
  auto now = Clock::time_point{} + 1h;
  const auto start = now;
  std::uint64_t total = 0;
  for (int i = 0; i < 1000; ++i) {  // bounded
    const std::uint64_t n = 65536 + static_cast<std::uint64_t>(i % 7) * 1000;
    total += n;
    now += throttle.charge(n, now);  // the sender sleeps exactly as told
  }
  const double seconds = std::chrono::duration<double>(now - start).count();
  EXPECT_NEAR(static_cast<double>(total) / seconds, 3.0 * 1024 * 1024 + 7, 1.0);
}

TEST(ThrottleTest, ChunkIsAnEighthOfASecondWithinBounds) {
  EXPECT_EQ(Throttle(8 * 1024 * 1024).chunk(256 * 1024), 256U * 1024);  // capped
  EXPECT_EQ(Throttle(80 * 1024).chunk(256 * 1024), 10U * 1024);
  EXPECT_EQ(Throttle(100).chunk(256 * 1024), 1024U);  // at least 1 KiB
  EXPECT_EQ(Throttle(100).chunk(512), 512U);          // never above the buffer
  EXPECT_GT(Throttle(0).chunk(4096), 0U);             // 0 is treated as 1 byte/s
}

}  // namespace
}  // namespace cppftpd
