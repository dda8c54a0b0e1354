#include "transfer/throttle.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <thread>
#include <vector>

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
  EXPECT_EQ(Throttle(0).chunk(4096), 4096U);          // 0: no per-transfer limit
}

TEST(ThrottleTest, ZeroIsNoPerTransferLimit) {
  Throttle throttle(0);
  const auto t0 = Clock::time_point{} + 1h;
  EXPECT_EQ(throttle.charge(1 << 30, t0), Clock::duration::zero());
  EXPECT_FALSE(Throttle::needed(0, nullptr));
  RateLimit none;
  EXPECT_FALSE(Throttle::needed(0, &none));
  EXPECT_TRUE(Throttle::needed(1, &none));
  RateLimit some(1000);
  EXPECT_TRUE(Throttle::needed(0, &some));
}

TEST(RateLimitTest, TransfersSharingALimitTogetherKeepToIt) {
  // Three transfers, each sleeping exactly as told, take turns: together they
  // move at the shared rate, each at about a third of it.
  RateLimit shared(900'000);
  std::vector<Throttle> transfers(3, Throttle(0, &shared));
  std::vector<Clock::time_point> ready(3, Clock::time_point{} + 1h);
  const auto start = ready[0];
  std::vector<std::uint64_t> moved(3, 0);
  for (int step = 0; step < 3000; ++step) {  // bounded
    // The transfer whose pause ends first moves the next chunk.
    const auto next =
        static_cast<std::size_t>(std::min_element(ready.begin(), ready.end()) - ready.begin());
    const std::uint64_t n = transfers[next].chunk(65536);
    moved[next] += n;
    ready[next] += transfers[next].charge(n, ready[next]);
  }
  const auto end = *std::max_element(ready.begin(), ready.end());
  const double seconds = std::chrono::duration<double>(end - start).count();
  const double total = static_cast<double>(moved[0] + moved[1] + moved[2]);
  EXPECT_NEAR(total / seconds, 900'000.0, 900'000.0 * 0.01);
  for (const auto bytes : moved) EXPECT_NEAR(static_cast<double>(bytes) / total, 1.0 / 3, 0.02);
}

TEST(RateLimitTest, TheSlowerOfTheTwoRatesWins) {
  RateLimit shared(1000);
  Throttle fast_own(1'000'000, &shared);
  const auto t0 = Clock::time_point{} + 1h;
  EXPECT_EQ(fast_own.charge(500, t0), 500ms);  // the shared 1000 bytes/s
  RateLimit loose(1'000'000);
  Throttle slow_own(1000, &loose);
  EXPECT_EQ(slow_own.charge(500, t0), 500ms);  // its own 1000 bytes/s
}

TEST(RateLimitTest, ChunkIsAThirtySecondOfTheSharedRate) {
  RateLimit shared(32 * 4096);
  EXPECT_EQ(Throttle(0, &shared).chunk(256 * 1024), 4096U);
  EXPECT_EQ(Throttle(8 * 1024, &shared).chunk(256 * 1024), 1024U);  // its own eighth is less
}

TEST(RateLimitTest, NoLimitAndRateChanges) {
  RateLimit limit;
  const auto t0 = Clock::time_point{} + 1h;
  EXPECT_EQ(limit.charge(1 << 30, t0), Clock::duration::zero());
  limit.set_rate(1000);
  EXPECT_EQ(limit.rate(), 1000U);
  EXPECT_EQ(limit.charge(100, t0), 100ms);
  limit.set_rate(0);
  EXPECT_EQ(limit.charge(1 << 30, t0), Clock::duration::zero());
}

TEST(RateLimitTest, IdleTimeEarnsNoCredit) {
  RateLimit limit(1000);
  const auto t0 = Clock::time_point{} + 1h;
  EXPECT_EQ(limit.charge(100, t0), 100ms);
  EXPECT_EQ(limit.charge(100, t0 + 10s), 100ms);
}

TEST(RateLimitTest, ChargesFromManyThreadsAllCount) {
  RateLimit limit(1'000'000);  // 1 byte: 1 us
  const auto t0 = Clock::time_point{} + 1h;
  constexpr int kThreads = 4;
  constexpr int kCharges = 10'000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kCharges; ++i) limit.charge(10, t0);
    });
  }
  for (auto& thread : threads) thread.join();
  // 4 x 10,000 x 10 bytes = 400,000 bytes = 0.4 s of schedule, none lost.
  EXPECT_EQ(limit.charge(0, t0), 400ms);
}

}  // namespace
}  // namespace cppftpd
