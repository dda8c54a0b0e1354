// Server: the listening sockets, one io_context per core with its sessions,
// connection limits, signals and clean shutdown.

#include <cppftpd/server.hpp>

#include "protocol/host_port.hpp"
#include "protocol/limits.hpp"
#include "protocol/reply.hpp"
#include "server/address_ban.hpp"
#include "server/connection_limiter.hpp"
#include "session/session.hpp"
#include "sys/descriptor_reserve.hpp"
#include "sys/inherited_socket.hpp"
#include "sys/privileges.hpp"
#include "tls/tls_context.hpp"

#include <spdlog/spdlog.h>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/ip/v6_only.hpp>
#include <asio/post.hpp>
#include <asio/redirect_error.hpp>
#include <asio/signal_set.hpp>
#include <asio/steady_timer.hpp>
#include <asio/thread_pool.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <thread>
#include <unordered_map>
#include <vector>

namespace cppftpd {

namespace {

using asio::ip::tcp;

// One event loop and the sessions it runs (DESIGN.md principle 10: each
// io_context owns its sessions and shares nothing hot with the others).
struct Worker {
  asio::io_context context{1};
  asio::executor_work_guard<asio::io_context::executor_type> guard{context.get_executor()};
  // Touched on this worker's thread only. A session's entry holds it and its
  // ConnectionLimiter ticket; the session's end callback erases it.
  struct Entry {
    std::shared_ptr<Session> session;
    ConnectionLimiter::Ticket ticket;
  };
  std::unordered_map<Session*, Entry> sessions;
  std::vector<std::shared_ptr<Session>> snapshot() const {
    std::vector<std::shared_ptr<Session>> all;
    all.reserve(sessions.size());
    for (const auto& [key, entry] : sessions) all.push_back(entry.session);
    return all;
  }
  std::optional<asio::steady_timer> grace;
  bool stopping = false;
  // One timer per event loop checks the deadlines of all its sessions
  // (Session::check_deadlines), instead of a timer wait and a coroutine per
  // session: an idle session holds none. Armed while there are sessions.
  asio::steady_timer sweep{context};
  bool sweeping = false;
};

// Every limits::kDeadlineSweep, each session of the worker checks its
// deadlines. A session that acts on one (421, a cut transfer) replies,
// cancels and starts coroutines, but leaves the set only at the end of
// wind_down(), which starts from a completion handler of its own and never
// inside check_deadlines(): the set is not changed under the loop.
void sweep_deadlines(Worker& worker) {
  worker.sweeping = !worker.sessions.empty() && !worker.stopping;
  if (!worker.sweeping) return;
  worker.sweep.expires_after(limits::kDeadlineSweep);
  worker.sweep.async_wait([&worker](const std::error_code& ec) {
    if (ec) {
      worker.sweeping = false;
      return;
    }
    const auto now = Session::Clock::now();
    for (const auto& [key, entry] : worker.sessions) entry.session->check_deadlines(now);
    sweep_deadlines(worker);
  });
}

// The listening address(es): dual stack when no host is given.
std::vector<tcp::endpoint> listen_endpoints(const ListenAddress& listen) {
  if (listen.host.empty()) return {tcp::endpoint(asio::ip::address_v6::any(), listen.port)};
  std::error_code ec;
  const auto address = asio::ip::make_address(listen.host, ec);
  if (!ec) return {tcp::endpoint(address, listen.port)};
  // A host name: resolve it once at start-up.
  asio::io_context resolver_context;
  tcp::resolver resolver(resolver_context);
  const auto results = resolver.resolve(listen.host, std::to_string(listen.port), ec);
  if (ec || results.empty()) {
    throw std::system_error(ec ? ec : std::make_error_code(std::errc::invalid_argument),
                            "cannot resolve listen address '" + listen.host + "'");
  }
  return {results.begin()->endpoint()};
}

// sendfile(2) has no MSG_NOSIGNAL: sending on a data connection the client
// has reset raises SIGPIPE, whose default action kills the whole process.
// Ignored (unless the application installed its own handler), the call
// fails with EPIPE instead and the transfer ends with 426.
void ignore_sigpipe() {
  struct sigaction current {};
  if (::sigaction(SIGPIPE, nullptr, &current) == 0 && current.sa_handler == SIG_DFL) {
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    ::sigemptyset(&ignore.sa_mask);
    ::sigaction(SIGPIPE, &ignore, nullptr);
  }
}

// The TLS context when FTPS is configured; a self-signed certificate is
// announced with its fingerprint, so a client can pin it.
std::unique_ptr<tls::TlsContext> make_tls(const TlsConfig& config) {
  if (!config.enabled) {
    if (config.implicit_port) {
      throw std::runtime_error("TLS: an implicit FTPS port needs TLS enabled");
    }
    return nullptr;
  }
  auto context = std::make_unique<tls::TlsContext>(config);
  if (context->self_signed()) {
    spdlog::info(
        "TLS: using a self-signed certificate generated at start-up, SHA-256 "
        "fingerprint {}",
        context->fingerprint());
  } else {
    spdlog::info("TLS: certificate {}, SHA-256 fingerprint {}", config.certificate_file,
                 context->fingerprint());
  }
  return context;
}

}  // namespace

class Server::Impl {
 public:
  Impl(ServerConfig config, Authorizer& authorizer, std::unique_ptr<Filesystem> filesystem,
       EventHooks hooks)
      : config_(std::move(config)),
        filesystem_(filesystem ? std::move(filesystem) : make_local_filesystem()),
        hooks_(std::move(hooks)),
        tls_(make_tls(config_.tls)),
        services_{
            .config = config_,
            .authorizer = authorizer,
            .filesystem = *filesystem_,
            .blocking_pool = blocking_pool_,
            .hooks = hooks_,
            .login_failed = [this](const asio::ip::address& peer) { return login_failed(peer); },
            .login_succeeded =
                [this](const asio::ip::address& peer) {
                  ban_.record_success(protocol::unmap(peer));
                },
            .tls = tls_.get(),
            .bandwidth = bandwidth_,
            .accounts = accounts_},
        limiter_(config_.max_connections, config_.max_connections_per_ip),
        ban_(config_.ban_after_failures, config_.ban_window, config_.ban_duration,
             limits::kMaxBanTableEntries) {
    set_rates({config_.max_download_rate, config_.max_upload_rate, config_.max_total_download_rate,
               config_.max_total_upload_rate});
    const unsigned threads =
        config_.threads != 0 ? config_.threads : std::max(1U, std::thread::hardware_concurrency());
    for (unsigned i = 0; i < threads; ++i) workers_.push_back(std::make_unique<Worker>());
    if (config_.listen_fd >= 0) {
      adopt_acceptor(config_.listen_fd);
    } else {
      open_acceptors(config_.listen, false);
    }
    if (config_.tls.implicit_port) {
      open_acceptors({config_.listen.host, *config_.tls.implicit_port}, true);
    }
    if (config_.handle_signals) {
      // Installed now, before anyone can announce the server as started: a
      // signal that arrives before run() still stops it cleanly.
      signals_.emplace(workers_[0]->context, SIGINT, SIGTERM);
      signals_->async_wait([this](const std::error_code& ec, int signal) {
        if (ec) return;
        spdlog::info(">>> shutting down FTP server (signal {}) <<<", signal);
        stop();
      });
    }
  }

  ~Impl() {
    stop();
    wait();
    blocking_pool_.join();
  }

  void start() {
    if (started_.exchange(true)) return;
    ignore_sigpipe();
    if (!config_.run_as_user.empty()) {
      // The ports are bound (in the constructor); no client has been
      // accepted yet and no worker thread runs: switch user now.
      if (const auto error = sys::drop_privileges(config_.run_as_user)) {
        throw std::system_error(error, "cannot switch to user '" + config_.run_as_user + "'");
      }
      spdlog::info("running as user {} (uid {}, gid {})", config_.run_as_user, ::getuid(),
                   ::getgid());
    }
    for (auto& listener : listeners_) {
      asio::co_spawn(workers_[0]->context, accept_loop(listener), asio::detached);
    }
    for (auto& worker : workers_) {
      threads_.emplace_back([&context = worker->context] {
        for (;;) {
          try {
            context.run();
            return;
          } catch (const std::exception& e) {
            // Broken invariants abort; anything else that escapes a session
            // must not take the server down.
            spdlog::error("event loop: {}", e.what());
          }
        }
      });
    }
  }

  void run() {
    start();
    wait();
  }

  void wait() {
    for (auto& thread : threads_) {
      if (thread.joinable()) thread.join();
    }
    threads_.clear();
  }

  void stop() {
    if (stopping_.exchange(true)) return;
    asio::post(workers_[0]->context, [this] {
      std::error_code ignored;
      for (auto& listener : listeners_) listener.acceptor.close(ignored);
      if (signals_) signals_->cancel(ignored);
    });
    for (auto& worker : workers_) {
      asio::post(worker->context, [this, w = worker.get()] {
        w->stopping = true;
        w->sweep.cancel();  // the grace timer ends what is left
        // Idle sessions get 421 at once; transfers may run for the grace
        // period, after which every remaining session is closed.
        for (const auto& session : w->snapshot()) session->request_shutdown();
        w->grace.emplace(w->context, config_.shutdown_grace);
        w->grace->async_wait([w](const std::error_code& ec) {
          if (ec) return;
          for (const auto& session : w->snapshot()) session->close();
        });
        if (w->sessions.empty()) w->grace->cancel();
        w->guard.reset();
      });
    }
    if (!started_) {
      // Never started: let the loops drain what was posted.
      for (auto& worker : workers_) worker->context.run();
    }
  }

  std::uint16_t port() const noexcept { return port_; }
  std::uint16_t implicit_tls_port() const noexcept { return implicit_tls_port_; }

  void set_rates(const RateSettings& rates) noexcept {
    bandwidth_.per_download.store(rates.max_download_rate, std::memory_order_relaxed);
    bandwidth_.per_upload.store(rates.max_upload_rate, std::memory_order_relaxed);
    bandwidth_.all_downloads.set_rate(rates.max_total_download_rate);
    bandwidth_.all_uploads.set_rate(rates.max_total_upload_rate);
  }

 private:
  // A listening socket; connections to an implicit one start with TLS.
  struct Listener {
    tcp::acceptor acceptor;
    bool implicit_tls = false;
  };

  void open_acceptors(const ListenAddress& listen, bool implicit_tls) {
    for (const auto& endpoint : listen_endpoints(listen)) {
      tcp::acceptor acceptor(workers_[0]->context);
      std::error_code ec;
      acceptor.open(endpoint.protocol(), ec);
      if (!ec && endpoint.address().is_v6() && listen.host.empty()) {
        // Dual stack: IPv4 clients arrive as ::ffff:a.b.c.d.
        acceptor.set_option(asio::ip::v6_only(false), ec);
      }
      tcp::endpoint bound = endpoint;
      if (ec && listen.host.empty()) {
        // No IPv6 on this host: IPv4 only.
        bound = tcp::endpoint(asio::ip::address_v4::any(), endpoint.port());
        acceptor = tcp::acceptor(workers_[0]->context);
        ec.clear();
        acceptor.open(bound.protocol(), ec);
      }
      if (!ec) acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
      if (!ec) acceptor.bind(bound, ec);
      if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
      if (ec) {
        throw std::system_error(
            ec, fmt::format("cannot listen on {}:{}", bound.address().to_string(), bound.port()));
      }
      (implicit_tls ? implicit_tls_port_ : port_) = acceptor.local_endpoint().port();
      listeners_.push_back({std::move(acceptor), implicit_tls});
    }
  }

  // Socket activation: accept on a listening socket someone else bound.
  void adopt_acceptor(int fd) {
    std::error_code ec;
    const int family = sys::listening_tcp_family(fd, ec);
    tcp::acceptor acceptor(workers_[0]->context);
    if (!ec) acceptor.assign(family == AF_INET6 ? tcp::v6() : tcp::v4(), fd, ec);
    if (ec) {
      throw std::system_error(
          ec, fmt::format("descriptor {} is not a listening TCP socket to accept on", fd));
    }
    port_ = acceptor.local_endpoint().port();
    listeners_.push_back({std::move(acceptor), false});
  }

  Worker& next_worker() {
    return *workers_[next_worker_.fetch_add(1, std::memory_order_relaxed) % workers_.size()];
  }

  asio::awaitable<void> accept_loop(Listener& listener) {
    tcp::acceptor& acceptor = listener.acceptor;
    while (acceptor.is_open()) {
      Worker& worker = next_worker();
      std::error_code ec;
      tcp::socket socket = co_await acceptor.async_accept(
          worker.context, asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
        if (ec == asio::error::no_descriptors || ec == std::errc::too_many_files_open_in_system) {
          // Out of descriptors: the reserve lets the clients already waiting
          // hear 421 and be closed, instead of hanging in the accept queue
          // (RFC 959 4.2: 421 Service not available, closing control
          // connection).
          const std::size_t refused = reserve_.refuse_waiting(
              acceptor.native_handle(),
              protocol::format_reply(421, "Server out of resources; try again later."),
              limits::kMaxRefusedPerAcceptRound);
          spdlog::warn("accept failed: {}; refused {} waiting connection(s)", ec.message(),
                       refused);
        } else {
          spdlog::warn("accept failed: {}", ec.message());
        }
        // Wait a little instead of spinning on a listener that stays readable.
        asio::steady_timer pause(acceptor.get_executor(), limits::kAcceptRetryDelay);
        co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        continue;
      }
      admit(worker, std::move(socket), listener.implicit_tls);
    }
  }

  void admit(Worker& worker, tcp::socket socket, bool implicit_tls) {
    std::error_code ec;
    const auto peer = socket.remote_endpoint(ec);
    if (ec) return;  // already gone
    if (ban_.banned(protocol::unmap(peer.address()))) {
      refuse(socket, peer, "Too many failed logins from your address; try again later.");
      return;
    }
    ConnectionLimiter::Ticket ticket;
    const auto verdict = limiter_.acquire(protocol::unmap(peer.address()), ticket);
    if (verdict != ConnectionLimiter::Verdict::admitted) {
      refuse(socket, peer,
             verdict == ConnectionLimiter::Verdict::too_many
                 ? "Too many connections. Service temporarily unavailable."
                 : "Too many connections from the same IP address.");
      return;
    }
    auto session = std::make_shared<Session>(std::move(socket), services_, implicit_tls);
    // Onto the session's own event loop: its set, its deadline sweep, then
    // start(): the session runs by itself from there and, once it has fully
    // ended, leaves the set (which drops it and its ticket).
    asio::post(worker.context, [&worker, session, ticket = std::move(ticket)]() mutable {
      Session* const key = session.get();
      worker.sessions.emplace(key, Worker::Entry{session, std::move(ticket)});
      if (!worker.sweeping) sweep_deadlines(worker);
      if (worker.stopping) session->request_shutdown();
      session->start([&worker, key] {
        worker.sessions.erase(key);
        if (worker.stopping && worker.sessions.empty() && worker.grace) worker.grace->cancel();
      });
    });
  }

  // RFC 959 4.2: 421, service not available, closing control connection.
  static void refuse(tcp::socket& socket, const tcp::endpoint& peer, std::string_view text) {
    spdlog::info("{}:{} refused: {}", protocol::unmap(peer.address()).to_string(), peer.port(),
                 text);
    const std::string refusal = protocol::format_reply(421, text);
    std::error_code ec;
    // A fresh socket's send buffer is empty: this small write cannot block.
    asio::write(socket, asio::buffer(refusal), ec);
    socket.shutdown(tcp::socket::shutdown_both, ec);
    socket.close(ec);
  }

  // A session's failed login (any worker thread): true when it starts a ban
  // of that address, and the session then disconnects.
  bool login_failed(const asio::ip::address& peer) {
    const auto address = protocol::unmap(peer);
    if (!ban_.record_failure(address)) return false;
    spdlog::warn("{} banned for {} s after {} failed logins within {} s", address.to_string(),
                 config_.ban_duration.count(), config_.ban_after_failures,
                 config_.ban_window.count());
    return true;
  }

  ServerConfig config_;
  std::unique_ptr<Filesystem> filesystem_;
  EventHooks hooks_;
  std::unique_ptr<tls::TlsContext> tls_;
  asio::thread_pool blocking_pool_{2};
  Bandwidth bandwidth_;
  AccountCache accounts_;
  SessionServices services_;
  ConnectionLimiter limiter_;
  AddressBan ban_;
  sys::DescriptorReserve reserve_;  // used by the accept loops (worker 0) only
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<Listener> listeners_;
  std::optional<asio::signal_set> signals_;
  std::vector<std::thread> threads_;
  std::atomic<std::size_t> next_worker_{0};
  std::atomic<bool> started_{false};
  std::atomic<bool> stopping_{false};
  std::uint16_t port_ = 0;
  std::uint16_t implicit_tls_port_ = 0;
};

Server::Server(ServerConfig config, Authorizer& authorizer)
    : Server(std::move(config), authorizer, nullptr, EventHooks{}) {}

Server::Server(ServerConfig config, Authorizer& authorizer, EventHooks hooks)
    : Server(std::move(config), authorizer, nullptr, std::move(hooks)) {}

Server::Server(ServerConfig config, Authorizer& authorizer, std::unique_ptr<Filesystem> filesystem,
               EventHooks hooks)
    : impl_(std::make_unique<Impl>(std::move(config), authorizer, std::move(filesystem),
                                   std::move(hooks))) {}

Server::~Server() = default;

void Server::run() { impl_->run(); }
void Server::start() { impl_->start(); }
void Server::wait() { impl_->wait(); }
void Server::stop() { impl_->stop(); }
std::uint16_t Server::port() const noexcept { return impl_->port(); }
std::uint16_t Server::implicit_tls_port() const noexcept { return impl_->implicit_tls_port(); }
void Server::set_rates(const RateSettings& rates) noexcept { impl_->set_rates(rates); }

}  // namespace cppftpd
