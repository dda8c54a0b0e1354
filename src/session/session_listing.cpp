// Listings: LIST, NLST (RFC 959 4.1.3), MLSD, MLST (RFC 3659 7), STAT.

#include "session/session.hpp"

#include "protocol/host_port.hpp"
#include "protocol/limits.hpp"
#include "protocol/reply.hpp"

#include <spdlog/spdlog.h>
#include <asio/co_spawn.hpp>
#include <asio/thread_pool.hpp>
#include <asio/use_awaitable.hpp>

#include <ctime>
#include <optional>

namespace cppftpd {

namespace {

std::string without_crlf(std::string line) {
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
  return line;
}

// Runs `work` (reading a directory and formatting it) on the blocking pool
// and resumes on the session's own thread with its result: a directory of up
// to kMaxListingEntries entries, or a slow disk, must not stall the other
// sessions that share this event loop. The session waits meanwhile, so
// nothing else uses its tree; the Authorizer is thread-safe by contract.
// (Named tasks, not temporaries in co_await: see session_login.cpp.)
template <typename Work>
asio::awaitable<Result<std::string>> off_the_loop(asio::thread_pool& pool, Work work) {
  auto task =
      [work = std::move(work)]() mutable -> asio::awaitable<std::optional<Result<std::string>>> {
    co_return work();
  };
  std::optional<Result<std::string>> done =
      co_await asio::co_spawn(pool, std::move(task), asio::use_awaitable);
  co_return std::move(done).value();
}

}  // namespace

Result<std::vector<FileInfo>> Session::entries_for(const VirtualPath& path, bool& is_directory,
                                                   std::string& glob) {
  is_directory = false;
  glob.clear();
  auto info = tree_->stat(path);
  if (info) {
    if (info->type == FileType::directory) {
      is_directory = true;
      return tree_->list(path, limits::kMaxListingEntries);
    }
    FileInfo single = std::move(info).value();
    single.name = std::string(path.filename());
    return std::vector<FileInfo>{std::move(single)};
  }
  // "LIST *.txt": a pattern in the last component lists the matching
  // entries of its directory.
  if (!path.is_root() && protocol::has_glob(path.filename())) {
    glob = std::string(path.filename());
    auto entries = tree_->list(path.parent(), limits::kMaxListingEntries);
    if (!entries) return entries.error();
    std::vector<FileInfo> matching;
    for (auto& entry : *entries) {
      if (protocol::glob_match(glob, entry.name)) matching.push_back(std::move(entry));
    }
    is_directory = true;
    return matching;
  }
  return info.error();
}

Result<std::string> Session::build_listing(const Request& request, bool names_only) {
  bool is_directory = false;
  std::string glob;
  auto entries = entries_for(request.path, is_directory, glob);
  if (!entries) return entries.error();
  const std::time_t now = std::time(nullptr);
  std::string listing;
  for (const auto& entry : *entries) {
    if (names_only) {
      listing += protocol::format_nlst_line(entry.name);
    } else {
      listing += protocol::format_list_line(entry, now, config_.use_localtime);
    }
  }
  return listing;
}

std::string Session::mlsx_perm(const FileInfo& info, const VirtualPath& path) const {
  // RFC 3659 7.5.5: what this user may do with the entry.
  const Permissions p = services_.authorizer.perms(*account_, path);
  std::string perm;
  if (info.type == FileType::directory) {
    if (p.has('w')) perm += 'c';
    if (p.has('d')) perm += 'd';
    if (p.has('e')) perm += 'e';
    if (p.has('f')) perm += 'f';
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

asio::awaitable<void> Session::send_listing(const Request& request, bool names_only) {
  if (!data_connection_prepared()) co_return;
  auto build = [this, &request, names_only] { return build_listing(request, names_only); };
  auto listing = co_await off_the_loop(services_.blocking_pool, std::move(build));
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
  co_await send_listing(request, false);
}

asio::awaitable<void> Session::cmd_nlst(const Request& request) {
  co_await send_listing(request, true);
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
  auto build = [this, &request, &directory]() -> Result<std::string> {
    auto entries = tree_->list(request.path, limits::kMaxListingEntries);
    if (!entries) return entries.error();
    std::string listing;
    // RFC 3659 7.5.1.2: a "type=cdir" entry names the listed directory, and
    // only when the type fact is on (else it could not be told apart).
    if ((mlst_facts_ & protocol::kFactType) != 0) {
      listing += protocol::format_mlsx_entry(*directory, request.path.str(), mlst_facts_,
                                             mlsx_perm(*directory, request.path), "cdir");
      listing += "\r\n";
    }
    for (const auto& entry : *entries) {
      const VirtualPath entry_path = request.path.child(entry.name);
      listing +=
          protocol::format_mlsx_entry(entry, entry.name, mlst_facts_, mlsx_perm(entry, entry_path));
      listing += "\r\n";
    }
    return listing;
  };
  auto listing = co_await off_the_loop(services_.blocking_pool, std::move(build));
  if (closed_) co_return;
  if (!listing) {
    data_.cancel();
    reply_error(listing.error());
    co_return;
  }
  auto job = std::make_unique<TransferJob>();
  job->verb = "MLSD";
  job->path = request.path;
  job->listing = std::move(listing).value();
  reply(150, "Here comes the directory listing.");
  start_transfer(std::move(job));
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
  auto parsed = protocol::parse_list_arguments(request.argument);
  if (parsed.path.find('\0') != std::string::npos) {
    reply(501, "Invalid path.");
    co_return;
  }
  const VirtualPath path = parsed.path.empty() ? cwd_ : resolve(parsed.path);
  if (!allowed('l', path)) {
    reply(550, "Not enough privileges.");
    co_return;
  }
  Request listing_request{request.spec, request.argument, path, !parsed.path.empty(), parsed.all};
  auto build = [this, &listing_request] { return build_listing(listing_request, false); };
  auto listing = co_await off_the_loop(services_.blocking_pool, std::move(build));
  if (closed_) co_return;
  if (!listing) {
    reply_error(listing.error());
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
