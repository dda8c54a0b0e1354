// Transfers: RETR, STOR, APPE, STOU, ABOR (RFC 959 4.1.3) and the coroutine
// that runs each one beside the control channel.

#include "session/session.hpp"

#include "protocol/limits.hpp"
#include "protocol/reply.hpp"
#include "tls/handshake.hpp"

#include <spdlog/spdlog.h>
#include <asio/co_spawn.hpp>

// GCC 12 warns that a coroutine frame holding an asio::ssl::stream is freed
// by a "mismatched" operator delete: Asio's awaitable frames pair their own
// operator new and delete, and the warning is a known false positive there
//; the pairing is Asio's, not ours.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace cppftpd {

namespace {

std::string mode_name(bool ascii) { return ascii ? "ASCII" : "BINARY"; }

}  // namespace

void Session::start_transfer(std::unique_ptr<TransferJob> job) {
  job->protect = protect_data_;
  transfer_ = std::make_unique<ActiveTransfer>();
  transfer_->verb = job->verb;
  transfer_->path = job->path;
  transfer_done_.reset();
  asio::co_spawn(
      control_.get_executor(),
      [self = shared_from_this(), job = std::move(job)]() mutable {
        return self->run_transfer(std::move(job));
      },
      [self = shared_from_this()](std::exception_ptr error) {
        if (!error) return;
        self->log_failure("transfer failed", error);
        self->transfer_.reset();
        self->transfer_done_.notify();
        self->close();
      });
}

template <typename Stream>
asio::awaitable<PumpResult> Session::pump(Stream& stream, TransferJob& job,
                                          ActiveTransfer& active) {
  // A per-account rate wins over the server's; 0 is no limit. Every transfer
  // also draws from the server-wide cap of its direction.
  Bandwidth& bandwidth = services_.bandwidth;
  const std::uint64_t own = job.reader ? account_->max_download_rate : account_->max_upload_rate;
  const std::uint64_t rate = own != 0 ? own
                                      : (job.reader ? bandwidth.per_download : bandwidth.per_upload)
                                            .load(std::memory_order_relaxed);
  RateLimit* shared = job.reader ? &bandwidth.all_downloads : &bandwidth.all_uploads;
  std::optional<Throttle> throttle;
  if ((job.reader || job.writer) && Throttle::needed(rate, shared)) throttle.emplace(rate, shared);
  const PumpOptions options{job.ascii, config_.use_sendfile, config_.use_splice,
                            throttle ? &*throttle : nullptr, job.ascii_skip};
  if (job.reader) {
    co_return co_await send_file(stream, *job.reader, options, transfer_buffer_, active.progress);
  }
  if (job.writer) {
    co_return co_await receive_file(stream, *job.writer, options, transfer_buffer_,
                                    active.progress);
  }
  co_return co_await stream_listing(stream, *job.listing, active);
}

asio::awaitable<void> Session::run_transfer(std::unique_ptr<TransferJob> job) {
  ActiveTransfer& active = *transfer_;
  auto socket =
      co_await data_.open(peer_.address(), local_.address(), config_.data_connect_timeout);
  PumpResult result;
  bool connected = false;
  std::string tls_refusal;  // why a PROT P data connection was refused (522)
  // ABOR (or check_deadlines(), or a shutdown) may come while the connection is
  // being made, after the accept or connect completed but before this
  // coroutine resumed: cancelling the listener then reached nothing, so the
  // flag decides. RFC 959 4.1.3: an aborted transfer sends no data.
  if (socket && !active.aborted) {
    connected = true;
    active.socket = &*socket;
    if (!job->protect) {
      result = co_await pump(*socket, *job, active);
    } else {
      // RFC 4217 7: the FTP client is the TLS client, whichever side
      // connected. RFC 4217 10.2: "it is reasonable for the server to insist
      // that the data connection uses a TLS cached session", so nobody
      // else's connection can ride it; but Python's ftplib never resumes. So
      // a fresh session is refused only with require_session_reuse, or once
      // a data connection of this control connection has resumed (a client
      // that can, always does). The data peer's address is checked anyway.
      // Each TLS record is one write of ~16 KiB, less than loopback's MSS:
      // with Nagle on, every record would wait for the ACK of the one before
      // (and the client's delayed ACK), capping throughput far below the
      // cipher's speed.
      std::error_code nodelay_error;
      socket->set_option(asio::ip::tcp::no_delay(true), nodelay_error);
      TlsDataStream stream(std::move(*socket), services_.tls->context());
      active.socket = &stream.next_layer();
      tls_binding_->apply(stream.native_handle());
      tls::prepare_data_connection(stream.native_handle());
      const auto ec = co_await tls::server_handshake(stream, config_.tls.handshake_timeout);
      if (ec) {
        tls_refusal =
            fmt::format("TLS negotiation failed on the data connection: {}.", ec.message());
      } else if (tls::session_resumed(stream.native_handle())) {
        data_tls_resumed_ = true;
      } else if (config_.tls.require_session_reuse || data_tls_resumed_) {
        // Strict by configuration, or because this client has shown it
        // resumes: from then on a fresh session is somebody else's.
        tls_refusal = "TLS session of data connection not resumed from the control connection.";
      }
      if (!tls_refusal.empty()) {
        log_info(tls_refusal);
      } else {
        result = co_await pump(stream, *job, active);
        if (result.ok() && !active.aborted) {
          co_await tls::shutdown(stream, config_.tls.handshake_timeout);
        }
      }
      std::error_code ignored;
      stream.next_layer().close(ignored);
    }
    active.socket = nullptr;
    std::error_code ignored;
    socket->shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    socket->close(ignored);
  }

  // A staged upload (atomic uploads) is published only when all of it came.
  if (connected && job->writer && result.ok() && tls_refusal.empty() && !active.aborted &&
      !active.stalled) {
    if (const Status published = job->writer->commit()) result = PumpResult::storage(published);
  }

  // RFC 959 4.2: 226 when the transfer completed and the data connection is
  // closed; 425 when it could not be opened; 426 when it broke or was
  // aborted; 451 for a local error; 452 when storage ran out.
  bool completed = false;
  if (!tls_refusal.empty() && !active.aborted) {
    // RFC 4217 10.2: after the 150, a TLS negotiation the server does not
    // accept is answered 522.
    reply(522, tls_refusal);
  } else if (!connected) {
    reply(active.aborted ? 426 : 425,
          active.aborted ? "Connection closed; transfer aborted." : "Can't open data connection.");
  } else if (active.aborted || active.stalled) {
    reply(426,
          active.stalled ? "Data connection timed out; transfer aborted." : "Transfer aborted.");
  } else if (result.side == PumpResult::Side::network) {
    reply(426, "Connection closed; transfer aborted.");
  } else if (result.side == PumpResult::Side::storage) {
    if (result.error == std::errc::no_space_on_device) {
      reply(452, "Insufficient storage space.");
    } else {
      reply(451, fmt::format("Local error: {}.", result.error.message()));
    }
  } else {
    completed = true;
    reply(226, "Transfer complete.");
  }

  if (job->reader || job->writer) {  // listings are not file transfers
    const auto seconds = std::chrono::duration<double>(Clock::now() - active.started).count();
    log_info(fmt::format("{} {} completed={} bytes={} seconds={:.3f}", job->verb, job->path.str(),
                         completed ? 1 : 0, active.progress.bytes, seconds));
    const TransferEvent event{session_event(), job->path, active.progress.bytes, seconds,
                              job->ascii};
    const auto& hooks = services_.hooks;
    if (job->reader) {
      fire(completed ? hooks.on_file_sent : hooks.on_incomplete_file_sent, event);
    } else {
      fire(completed ? hooks.on_file_received : hooks.on_incomplete_file_received, event);
      if (!completed && config_.delete_incomplete_uploads && tree_) {
        job->writer.reset();
        (void)tree_->remove_file(job->path);  // gone already: nothing to delete
      }
    }
  }

  transfer_.reset();
  last_command_ = Clock::now();
  transfer_done_.notify();
  if (shutting_down_ && !closed_) {
    reply(421, "Server shutting down.");
    co_await close_after_flush();
  }
}

bool Session::data_connection_prepared() {
  // RFC 4217 10.2: the protection level is checked on the command that opens
  // the data connection (not on PORT/PASV), before any 1xx reply: 521.
  if (config_.tls.data_required && !protect_data_) {
    reply(521, "Data connections must be protected (use PBSZ 0 and PROT P).");
    return false;
  }
  if (data_.prepared()) return true;
  reply(425, "Use PORT or PASV first.");
  return false;
}

void Session::abort_transfer() {
  if (!transfer_) return;
  transfer_->aborted = true;
  data_.cancel();
  if (transfer_->socket != nullptr) {
    std::error_code ignored;
    transfer_->socket->close(ignored);
  }
}

asio::awaitable<void> Session::cmd_abor(const Request&) {
  // RFC 959 4.1.3: with a transfer in progress, it is answered 426, then
  // ABOR 226. With none, "the server closes the data connection (if it is
  // open) and responds with a 226 reply"; with no data connection at all,
  // 225 (what vsftpd and pyftpdlib send; 5.4 lists both for ABOR).
  if (!transfer_) {
    // The transfer this ABOR was queued behind, aborted when it arrived
    // (watch_for_abort): its 426 went out, this is the ABOR's 226.
    if (aborted_ahead_) {
      reply(226, "ABOR command successful.");
      co_return;
    }
    const bool prepared = data_.prepared();
    data_.cancel();
    if (prepared) {
      reply(226, "Data connection closed; no transfer to abort.");
    } else {
      reply(225, "No transfer to abort.");
    }
    co_return;
  }
  abort_transfer();
  co_await transfer_done_.wait();
  reply(226, "ABOR command successful.");
}

asio::awaitable<void> Session::cmd_retr(const Request& request) {
  if (!data_connection_prepared()) co_return;
  // RFC 3659 5.3: a restart marker out of range is reported on the transfer
  // command, which is then rejected (RFC 1123 4.1.3.4: 554), not answered
  // with an empty transfer the client would take for success.
  // In TYPE A the marker counts octets of the converted stream (RFC 3659
  // 5.2, 5.3): the file is read from its start and that many converted
  // octets are not sent.
  const bool ascii_restart = ascii_ && rest_for_command_ != 0;
  if (rest_for_command_ != 0) {
    const auto info = tree_->stat(request.path);
    if (info && info->type == FileType::regular) {
      std::uint64_t size = info->size;
      if (ascii_restart) {
        const auto converted = ascii_size(request.path, *info);
        if (!converted) {
          data_.cancel();
          if (converted.error() == std::errc::file_too_large) {
            reply(554, "REST in ASCII mode not allowed for files this large; use TYPE I.");
          } else {
            reply_error(converted.error());
          }
          co_return;
        }
        size = *converted;
      }
      if (rest_for_command_ > size) {
        data_.cancel();
        reply(554, fmt::format("REST position ({}) > file size ({}).", rest_for_command_, size));
        co_return;
      }
    }
  }
  auto reader = tree_->open_read(request.path, ascii_restart ? 0 : rest_for_command_);
  if (!reader) {
    data_.cancel();
    reply_error(reader.error());
    co_return;
  }
  auto job = std::make_unique<TransferJob>();
  job->verb = "RETR";
  job->path = request.path;
  job->reader = std::move(reader).value();
  job->ascii = ascii_;
  job->ascii_skip = ascii_restart ? rest_for_command_ : 0;
  reply(150, fmt::format("Opening {} mode data connection for {}.", mode_name(ascii_),
                         request.path.str()));
  start_transfer(std::move(job));
}

asio::awaitable<void> Session::store(const Request& request, WriteMode mode) {
  // RFC 3659 5.3: "If APPE (append) is permitted, it MUST act identically to
  // STOR when a restart marker has been set": it is not permitted then (as
  // pyftpdlib), and the client uses REST + STOR.
  if (mode == WriteMode::append && rest_for_command_ != 0) {
    data_.cancel();
    reply(450, "Can't APPE while REST request is pending.");
    co_return;
  }
  // In TYPE A the marker counts octets of the converted stream (RFC 3659
  // 5.3), which names no offset in the stored file without reading all of it
  // back; refused on the transfer command, as 5.3 has it.
  if (ascii_ && rest_for_command_ != 0) {
    data_.cancel();
    reply(554, "Resuming uploads not allowed in ASCII mode; use TYPE I.");
    co_return;
  }
  if (!data_connection_prepared()) co_return;
  const std::uint64_t offset = mode == WriteMode::truncate ? rest_for_command_ : 0;
  auto writer = tree_->open_write(request.path, mode, offset);
  if (!writer) {
    data_.cancel();
    reply_error(writer.error());
    co_return;
  }
  auto job = std::make_unique<TransferJob>();
  job->verb = mode == WriteMode::append ? "APPE" : "STOR";
  job->path = request.path;
  job->writer = std::move(writer).value();
  job->ascii = ascii_;
  reply(150, fmt::format("Opening {} mode data connection for {}.", mode_name(ascii_),
                         request.path.str()));
  start_transfer(std::move(job));
}

asio::awaitable<void> Session::cmd_stor(const Request& request) {
  co_await store(request, WriteMode::truncate);
}

asio::awaitable<void> Session::cmd_appe(const Request& request) {
  co_await store(request, WriteMode::append);
}

asio::awaitable<void> Session::cmd_stou(const Request& request) {
  // RFC 959 4.1.3 / RFC 1123 4.1.2.9: store under a name unique in the
  // directory, and tell it as "150 FILE: name". The name is always made in
  // the resolved (confined) directory.
  if (request.argument.find('\0') != std::string::npos) {
    reply(501, "Invalid path.");
    co_return;
  }
  // A new file has nothing to restart from.
  if (rest_for_command_ != 0) {
    data_.cancel();
    reply(450, "Can't STOU while REST request is pending.");
    co_return;
  }
  const VirtualPath wanted =
      request.argument.empty() ? cwd_.child("ftpd") : resolve(request.argument);
  const VirtualPath directory = wanted.is_root() ? VirtualPath() : wanted.parent();
  const std::string base = wanted.is_root() ? std::string("ftpd") : std::string(wanted.filename());
  if (!allowed('w', directory)) {
    reply(550, "Not enough privileges.");
    co_return;
  }
  if (!data_connection_prepared()) co_return;
  std::unique_ptr<FileWriter> writer;
  VirtualPath target;
  std::error_code last_error;
  for (int attempt = 0; attempt < limits::kStouAttempts && !writer; ++attempt) {
    target = directory.child(attempt == 0 ? base : fmt::format("{}.{}", base, attempt));
    auto opened = tree_->open_write(target, WriteMode::create_new, 0);
    if (opened) {
      writer = std::move(opened).value();
    } else {
      last_error = opened.error();
      if (last_error != std::errc::file_exists) break;
    }
  }
  if (!writer) {
    data_.cancel();
    if (last_error == std::errc::file_exists) {
      reply(450, "No unique file name could be found.");
    } else {
      reply_error(last_error);
    }
    co_return;
  }
  auto job = std::make_unique<TransferJob>();
  job->verb = "STOU";
  job->path = target;
  job->writer = std::move(writer);
  job->ascii = ascii_;
  // "pppp is the unique pathname" (RFC 1123 4.1.2.9): as the client can use
  // it, so with the directory part it wrote ("STOU sub/x": "sub/x.1").
  reply(150,
        fmt::format("FILE: {}{}", protocol::directory_part(request.argument), target.filename()));
  start_transfer(std::move(job));
}

}  // namespace cppftpd
