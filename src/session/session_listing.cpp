// Listings: LIST, NLST (RFC 959 4.1.3), MLSD, MLST (RFC 3659 7), STAT.

#include "session/session.hpp"

#include "protocol/host_port.hpp"
#include "protocol/limits.hpp"
#include "protocol/reply.hpp"

#include <spdlog/spdlog.h>
#include <asio/co_spawn.hpp>
#include <asio/thread_pool.hpp>
#include <asio/use_awaitable.hpp>

#include <cstdint>
#include <ctime>
#include <optional>

namespace cppftpd {

namespace {

std::string without_crlf(std::string line) {
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
  return line;
}

// Text of a streamed listing formatted per chunk before it is sent.
constexpr std::size_t kListingChunkBytes = 64 * 1024;

// Runs `work` (reading a directory, formatting entries) on the blocking pool
// and resumes on the session's own thread with its result: a big directory,
// or a slow disk, must not stall the other sessions that share this event
// loop. The session waits meanwhile, so nothing else uses its tree or the
// listing; the Authorizer is thread-safe by contract. (Named tasks, not
// temporaries in co_await: see session_login.cpp.)
template <typename T, typename Work>
asio::awaitable<T> off_the_loop(asio::thread_pool& pool, Work work) {
  auto task = [work = std::move(work)]() mutable -> asio::awaitable<std::optional<T>> {
    co_return work();
  };
  std::optional<T> done = co_await asio::co_spawn(pool, std::move(task), asio::use_awaitable);
  co_return std::move(done).value();
}

}  // namespace

protocol::ListArguments Session::list_arguments(std::string_view argument) const {
  auto parsed = protocol::parse_list_arguments(argument);
  // "LIST -dir" with an entry named "-dir" here: a path, not ls options.
  if (parsed.path.size() != argument.size() && argument.find('\0') == std::string_view::npos &&
      argument.size() <= limits::kMaxPathLength && tree_ && tree_->lstat(resolve(argument))) {
    parsed = {false, std::string(argument)};
  }
  return parsed;
}

Result<std::unique_ptr<Session::ListingStream>> Session::open_listing(const VirtualPath& path,
                                                                      ListingStream::Format format,
                                                                      std::string_view written) {
  auto listing = std::make_unique<ListingStream>();
  // RFC 959 4.1.3: NLST gives "valid pathname strings" that a program can
  // use as they are ("multiple get"): of a file or a pattern with a
  // directory part ("sub/*.txt"), "sub/a.txt", as ls(1) prints them; the
  // entries of a directory ("NLST sub") are bare names, as with ls.
  const std::string_view prefix =
      format == ListingStream::Format::nlst ? protocol::directory_part(written) : "";
  listing->format = format;
  listing->now = std::time(nullptr);
  listing->directory = path;
  auto info = tree_->stat(path);
  if (info && info->type != FileType::directory) {
    if (format == ListingStream::Format::mlsd) return std::errc::not_a_directory;
    // LIST/NLST of a file: its own line (MLSD refused it before).
    FileInfo single = std::move(info).value();
    single.name = std::string(path.filename());
    listing->pending =
        format == ListingStream::Format::nlst
            ? protocol::format_nlst_line(std::string(prefix) + single.name)
            : protocol::format_list_line(single, listing->now, config_.use_localtime);
    return listing;
  }
  if (!info) {
    // "LIST *.txt": a pattern in the last component lists the matching
    // entries of its directory.
    if (path.is_root() || !protocol::has_glob(path.filename())) return info.error();
    listing->glob = std::string(path.filename());
    listing->directory = path.parent();
    listing->name_prefix = prefix;
  }
  if (info && format == ListingStream::Format::mlsd && (mlst_facts_ & protocol::kFactType) != 0) {
    // RFC 3659 7.5.1.2: a "type=cdir" entry names the listed directory, and
    // only when the type fact is on (else it could not be told apart).
    listing->pending =
        protocol::format_mlsx_entry(*info, path.str(), mlst_facts_, mlsx_perm(*info, path), "cdir");
    listing->pending += "\r\n";
  }
  auto entries = tree_->open_directory(listing->directory);
  if (!entries) return entries.error();
  listing->entries = std::move(entries).value();
  // The first chunk now, so that a directory that cannot be read is told
  // before the 150, and a small one needs no second trip to the pool.
  if (const Status status = fill_listing(*listing, SIZE_MAX)) return status;
  return listing;
}

Status Session::fill_listing(ListingStream& listing, std::size_t max_entries) const {
  while (listing.entries && listing.pending.size() < kListingChunkBytes) {
    auto batch = listing.entries->next(limits::kListingBatch);
    if (!batch) return batch.error();
    if (batch->empty()) {
      listing.entries.reset();  // the end: the directory is closed here
      break;
    }
    for (const FileInfo& entry : *batch) {
      if (!listing.glob.empty() && !protocol::glob_match(listing.glob, entry.name)) continue;
      if (++listing.count > max_entries) return std::make_error_code(std::errc::value_too_large);
      switch (listing.format) {
        case ListingStream::Format::nlst:
          listing.pending += listing.name_prefix.empty()
                                 ? protocol::format_nlst_line(entry.name)
                                 : protocol::format_nlst_line(listing.name_prefix + entry.name);
          break;
        case ListingStream::Format::list:
          listing.pending += protocol::format_list_line(entry, listing.now, config_.use_localtime);
          break;
        case ListingStream::Format::mlsd:
          listing.pending +=
              protocol::format_mlsx_entry(entry, entry.name, mlst_facts_,
                                          mlsx_perm(entry, listing.directory.child(entry.name)));
          listing.pending += "\r\n";
          break;
      }
    }
  }
  return {};
}

Result<std::string> Session::collect_listing(const Request& request) {
  auto listing = open_listing(request.path, ListingStream::Format::list);
  if (!listing) return listing.error();
  std::string text;
  for (;;) {
    text += (*listing)->pending;
    (*listing)->pending.clear();
    if ((*listing)->done()) return text;
    if (const Status status = fill_listing(**listing, limits::kMaxListingEntries)) return status;
  }
}

template <typename Stream>
asio::awaitable<PumpResult> Session::stream_listing(Stream& stream, ListingStream& listing,
                                                    ActiveTransfer& active) {
  for (;;) {
    if (!listing.pending.empty()) {
      auto sent = co_await send_bytes(stream, listing.pending, active.progress);
      if (!sent.ok()) co_return sent;
      listing.pending.clear();
    }
    if (listing.done() || active.aborted || closed_) co_return PumpResult{};
    auto next = [this, &listing] { return fill_listing(listing, SIZE_MAX); };
    const Status status = co_await off_the_loop<Status>(services_.blocking_pool, std::move(next));
    if (status) co_return PumpResult::storage(status);
  }
}

template asio::awaitable<PumpResult> Session::stream_listing(asio::ip::tcp::socket&, ListingStream&,
                                                             ActiveTransfer&);
template asio::awaitable<PumpResult> Session::stream_listing(TlsDataStream&, ListingStream&,
                                                             ActiveTransfer&);

std::string Session::mlsx_perm(const FileInfo& info, const VirtualPath& path) const {
  // RFC 3659 7.5.5: what this user may do with the entry.
  const Permissions p = services_.authorizer.perms(*account_, path);
  std::string perm;
  if (info.type == FileType::directory) {
    // The root can be neither deleted nor renamed (RMD and RNFR of "/" are
    // refused whatever the letters), only its entries.
    const bool root = path.is_root();
    if (p.has('w')) perm += 'c';
    if (p.has('d') && !root) perm += 'd';
    if (p.has('e')) perm += 'e';
    if (p.has('f') && !root) perm += 'f';
    if (p.has('l')) perm += 'l';
    if (p.has('m')) perm += 'm';
    if (p.has('d')) perm += 'p';
  } else {
    if (p.has('a')) perm += 'a';
    if (p.has('d')) perm += 'd';
    if (p.has('f')) perm += 'f';
    if (p.has('r')) perm += 'r';
    if (p.has('w')) perm += 'w';
  }
  return perm;
}

asio::awaitable<void> Session::send_listing(const Request& request, ListingStream::Format format) {
  if (!data_connection_prepared()) co_return;
  auto open = [this, &request, format] {
    return open_listing(request.path, format, request.written);
  };
  auto listing = co_await off_the_loop<Result<std::unique_ptr<ListingStream>>>(
      services_.blocking_pool, std::move(open));
  if (closed_) co_return;
  if (!listing) {
    data_.cancel();
    reply_error(listing.error());
    co_return;
  }
  auto job = std::make_unique<TransferJob>();
  job->verb = std::string(request.spec.verb);
  job->path = request.path;
  job->listing = std::move(listing).value();
  reply(150, "Here comes the directory listing.");
  start_transfer(std::move(job));
}

asio::awaitable<void> Session::cmd_list(const Request& request) {
  co_await send_listing(request, ListingStream::Format::list);
}

asio::awaitable<void> Session::cmd_nlst(const Request& request) {
  co_await send_listing(request, ListingStream::Format::nlst);
}

asio::awaitable<void> Session::cmd_mlsd(const Request& request) {
  if (!data_connection_prepared()) co_return;
  auto directory = tree_->stat(request.path);
  if (!directory) {
    data_.cancel();
    reply_error(directory.error());
    co_return;
  }
  if (directory->type != FileType::directory) {
    // RFC 3659 7.1: MLSD of something that is not a directory is 501.
    data_.cancel();
    reply(501, fmt::format("{} is not a directory.", request.path.str()));
    co_return;
  }
  co_await send_listing(request, ListingStream::Format::mlsd);
}

asio::awaitable<void> Session::cmd_mlst(const Request& request) {
  auto info = tree_->stat(request.path);
  if (!info) {
    reply_error(info.error());
    co_return;
  }
  // RFC 3659 7.2: the entry on the control connection, after one space,
  // named by its pathname.
  const std::vector<std::string> body{protocol::format_mlsx_entry(
      *info, request.path.str(), mlst_facts_, mlsx_perm(*info, request.path))};
  reply_lines(250, fmt::format("Listing {}", request.path.str()), body, "End MLST.");
}

asio::awaitable<void> Session::cmd_stat(const Request& request) {
  if (request.argument.empty()) {
    // RFC 959 4.1.3: status of the server, or of the transfer in progress.
    std::vector<std::string> body;
    body.push_back(fmt::format("Connected to: {}:{}", protocol::unmap(local_.address()).to_string(),
                               local_.port()));
    body.push_back(account_ ? fmt::format("Logged in as: {}", account_->name)
                            : std::string("Waiting for login."));
    body.push_back(
        fmt::format("TYPE: {}; STRUcture: File; MODE: Stream", ascii_ ? "ASCII" : "Binary"));
    if (transfer_) {
      body.push_back(fmt::format("Data connection open: {} {} in progress, {} bytes transferred.",
                                 transfer_->verb, transfer_->path.str(),
                                 transfer_->progress.bytes));
    } else {
      body.push_back(data_.prepared() ? "Data connection ready." : "Data connection closed.");
    }
    reply_lines(211, "FTP server status:", body, "End of status.");
    co_return;
  }
  if (!account_) {
    reply(530, "Log in with USER and PASS first.");
    co_return;
  }
  // STAT <path>: the LIST output, on the control connection (213).
  auto parsed = list_arguments(request.argument);
  if (parsed.path.find('\0') != std::string::npos) {
    reply(501, "Invalid path.");
    co_return;
  }
  const VirtualPath path = parsed.path.empty() ? cwd_ : resolve(parsed.path);
  if (!allowed('l', path)) {
    reply(550, "Not enough privileges.");
    co_return;
  }
  Request listing_request{request.spec,         request.argument, path,
                          !parsed.path.empty(), parsed.all,       parsed.path};
  auto collect = [this, &listing_request] { return collect_listing(listing_request); };
  auto listing =
      co_await off_the_loop<Result<std::string>>(services_.blocking_pool, std::move(collect));
  if (closed_) co_return;
  if (!listing) {
    if (listing.error() == std::errc::value_too_large) {
      reply(550, fmt::format("Directory too large for STAT (over {} entries); use LIST.",
                             limits::kMaxListingEntries));
    } else {
      reply_error(listing.error());
    }
    co_return;
  }
  std::vector<std::string> body;
  std::string_view rest = *listing;
  while (!rest.empty()) {
    const auto end = rest.find('\n');
    body.push_back(without_crlf(std::string(rest.substr(0, end))));
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
  }
  reply_lines(213, fmt::format("Status of {}:", path.str()), body, "End of status.");
}

}  // namespace cppftpd
