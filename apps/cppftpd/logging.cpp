#include "logging.hpp"

#include "reopenable_file.hpp"

#include <spdlog/details/log_msg.h>
#include <spdlog/formatter.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/sinks/syslog_sink.h>
#include <spdlog/spdlog.h>

#include <syslog.h>

#include <chrono>
#include <ctime>
#include <mutex>

namespace cppftpd::cli {

namespace {

constexpr const char* kTextPattern = "[%L %Y-%m-%d %H:%M:%S] %v";

// The length of the UTF-8 sequence starting at s[i], or 0 if it is not a
// valid one.
std::size_t utf8_length(std::string_view s, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = byte(i);
  std::size_t n = 0;
  if (c >= 0xc2 && c <= 0xdf) {
    n = 2;
  } else if (c >= 0xe0 && c <= 0xef) {
    n = 3;
  } else if (c >= 0xf0 && c <= 0xf4) {
    n = 4;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (std::size_t k = 1; k < n; ++k) {
    if ((byte(i + k) & 0xc0) != 0x80) return 0;
  }
  // Overlong 3- and 4-byte forms, surrogates, and code points past U+10FFFF.
  if (c == 0xe0 && byte(i + 1) < 0xa0) return 0;
  if (c == 0xed && byte(i + 1) >= 0xa0) return 0;
  if (c == 0xf0 && byte(i + 1) < 0x90) return 0;
  if (c == 0xf4 && byte(i + 1) >= 0x90) return 0;
  return n;
}

// {"time":"2026-12-04T02:18:00.123Z","level":"info","message":"..."}
class JsonFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    const auto since_epoch = msg.time.time_since_epoch();
    const std::time_t seconds =
        std::chrono::duration_cast<std::chrono::seconds>(since_epoch).count();
    const auto millis =
        std::chrono::duration_cast<std::chrono::milliseconds>(since_epoch).count() % 1000;
    std::tm utc{};
    ::gmtime_r(&seconds, &utc);
    char when[32];
    std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &utc);
    const auto level = spdlog::level::to_string_view(msg.level);
    fmt::format_to(std::back_inserter(dest), "{{\"time\":\"{}.{:03d}Z\",\"level\":\"{}\",", when,
                   static_cast<int>(millis), std::string_view(level.data(), level.size()));
    fmt::format_to(std::back_inserter(dest), "\"message\":\"{}\"}}\n",
                   json_escape(std::string_view(msg.payload.data(), msg.payload.size())));
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonFormatter>();
  }
};

// A file sink that logrotate can rotate: reopen() opens the path anew.
class ReopenableFileSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit ReopenableFileSink(std::string path) : file_(std::move(path)) {}
  void reopen() { file_.reopen(); }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t formatted;
    formatter_->format(msg, formatted);
    file_.append(std::string_view(formatted.data(), formatted.size()));
  }
  void flush_() override {}  // every line is written at once

 private:
  ReopenableFile file_;
};

}  // namespace

std::string json_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 8);
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x80) {
      const std::size_t n = utf8_length(text, i);
      if (n == 0) {
        out += "\\ufffd";
        ++i;
      } else {
        out.append(text.substr(i, n));
        i += n;
      }
      continue;
    }
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          out += fmt::format("\\u{:04x}", c);
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
    ++i;
  }
  return out;
}

std::function<void()> install_logger(const LogOptions& options) {
  spdlog::sink_ptr sink;
  std::function<void()> reopen = [] {};
  if (options.syslog) {
    // syslog adds the time, the host and the level itself.
    sink = std::make_shared<spdlog::sinks::syslog_sink_mt>("cppftpd", LOG_PID, LOG_DAEMON, true);
  } else if (!options.file.empty()) {
    auto file = std::make_shared<ReopenableFileSink>(options.file);
    reopen = [file] { file->reopen(); };
    sink = file;
  } else {
    sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
  }
  auto logger = std::make_shared<spdlog::logger>("cppftpd", sink);
  if (options.format == LogFormat::json) {
    logger->set_formatter(std::make_unique<JsonFormatter>());
  } else if (options.syslog) {
    logger->set_pattern("%v");
  } else {
    logger->set_pattern(kTextPattern);
  }
  logger->set_level(options.debug ? spdlog::level::debug : spdlog::level::info);
  logger->flush_on(spdlog::level::trace);
  spdlog::set_default_logger(logger);
  return reopen;
}

}  // namespace cppftpd::cli
