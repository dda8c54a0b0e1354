// DataChannel::listen_passive: the port it picks from the passive range.

#include "transfer/data_channel.hpp"

#include <gtest/gtest.h>

#include <asio/io_context.hpp>

#include <cerrno>
#include <random>
#include <thread>
#include <vector>

namespace cppftpd {
namespace {

using asio::ip::tcp;

const asio::ip::address kLoopback = asio::ip::make_address("127.0.0.1");

// A listening socket on `port` (0: any), as another session's listener.
tcp::acceptor listening_on(asio::io_context& context, std::uint16_t port) {
  tcp::acceptor acceptor(context);
  acceptor.open(tcp::v4());
  acceptor.set_option(tcp::acceptor::reuse_address(true));
  acceptor.bind(tcp::endpoint(kLoopback, port));
  acceptor.listen();
  return acceptor;
}

// `count` consecutive ports that are free now, above the usual ephemeral
// range's start so that no listening service is likely there.
std::uint16_t free_ports(asio::io_context& context, unsigned count) {
  std::mt19937 random(std::random_device{}());
  for (int attempt = 0; attempt < 200; ++attempt) {
    const auto base = static_cast<std::uint16_t>(20000 + random() % 10000);
    std::vector<tcp::acceptor> held;
    for (unsigned i = 0; i < count; ++i) {
      std::error_code ec;
      tcp::acceptor probe(context);
      probe.open(tcp::v4(), ec);
      probe.set_option(tcp::acceptor::reuse_address(true), ec);
      probe.bind(tcp::endpoint(kLoopback, static_cast<std::uint16_t>(base + i)), ec);
      if (ec) break;
      held.push_back(std::move(probe));
    }
    if (held.size() == count) return base;
  }
  ADD_FAILURE() << "no free port range";
  return 0;
}

TEST(DataChannel, PassiveListenerSkipsTakenPortsAndSaysWhenAllAre) {
  asio::io_context context;
  const std::uint16_t base = free_ports(context, 2);
  ASSERT_NE(base, 0);
  tcp::acceptor taken = listening_on(context, base);
  DataChannel channel;
  auto port = channel.listen_passive(context.get_executor(), kLoopback,
                                     PortRange{base, static_cast<std::uint16_t>(base + 1)});
  ASSERT_TRUE(port) << port.error().message();
  EXPECT_EQ(*port, base + 1);
  EXPECT_TRUE(channel.prepared());
  channel.cancel();
  EXPECT_FALSE(channel.prepared());
  // Every port of the range taken: a clear error (the session says 425).
  auto none = channel.listen_passive(context.get_executor(), kLoopback, PortRange{base, base});
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().value(), EADDRINUSE) << none.error().message();
  EXPECT_FALSE(channel.prepared());
}

// Sessions on two threads picking ports from one small range at the same
// time: with SO_REUSEADDR both may bind a port nobody listens on yet, and
// the second listen() then fails. Each thread holds at most one socket, so
// most of the range is always free and every call must succeed (with 8
// ports, running out would take the other thread racing us on 7 of them).
TEST(DataChannel, ConcurrentPassiveListenersNeverCollide) {
  asio::io_context context;
  const std::uint16_t base = free_ports(context, 8);
  ASSERT_NE(base, 0);
  const PortRange range{base, static_cast<std::uint16_t>(base + 7)};
  constexpr int kRounds = 5000;
  std::vector<int> failures(2, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([&, t] {
      asio::io_context own;
      DataChannel channel;
      for (int i = 0; i < kRounds; ++i) {
        auto port = channel.listen_passive(own.get_executor(), kLoopback, range);
        if (!port || *port < range.first || *port > range.last) ++failures[t];
        channel.cancel();
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures[0] + failures[1], 0);
}

}  // namespace
}  // namespace cppftpd
