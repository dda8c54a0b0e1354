#include "config_file.hpp"

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace cppftpd::cli {

namespace {

// Options that only make sense on the command line.
constexpr std::string_view kCommandLineOnly[] = {"config", "check", "help", "version"};

bool command_line_only(std::string_view key) {
  for (const auto name : kCommandLineOnly) {
    if (key == name) return true;
  }
  return false;
}

std::string where_key(const std::string& path, const toml::key& key) {
  const auto& source = key.source();
  if (source.begin.line == 0) return path + ": ";
  return path + ":" + std::to_string(source.begin.line) + ":" +
         std::to_string(source.begin.column) + ": ";
}

// A TOML value as the text CLI11 would have read on the command line.
std::optional<std::string> as_option_text(const toml::node& node, bool flag) {
  if (flag) {
    if (const auto* b = node.as_boolean()) return b->get() ? "true" : "false";
    return std::nullopt;
  }
  if (const auto* s = node.as_string()) return s->get();
  if (const auto* i = node.as_integer()) return std::to_string(i->get());
  return std::nullopt;
}

// The option a key names, and its value as command-line text; throws
// ConfigError for unknown keys and values of the wrong type.
template <typename App>
auto checked_option(const std::string& path, const toml::key& key, const toml::node& node,
                    App& app) {
  const std::string name(key.str());
  const std::string at = where_key(path, key) + "key '" + name + "': ";
  if (command_line_only(name)) throw ConfigError(at + "only allowed on the command line");
  auto* option = app.get_option_no_throw("--" + name);
  if (option == nullptr) throw ConfigError(at + "unknown setting");
  const bool flag = option->get_expected_min() == 0;  // a flag takes no value
  auto text = as_option_text(node, flag);
  if (!text) {
    throw ConfigError(at + (flag ? "expected true or false" : "expected a string or an integer"));
  }
  return std::make_tuple(option, std::move(*text), at);
}

// `text` as a TOML basic string.
std::string toml_string(const std::string& text) {
  std::string out = "\"";
  for (const char c : text) {
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
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
          char escape[8];
          std::snprintf(escape, sizeof escape, "\\u%04X", static_cast<unsigned>(c));
          out += escape;
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

}  // namespace

std::string where(const std::string& path, const toml::node& node) {
  const auto& source = node.source();
  if (source.begin.line == 0) return path + ": ";
  return path + ":" + std::to_string(source.begin.line) + ":" +
         std::to_string(source.begin.column) + ": ";
}

toml::table read_toml_file(const std::string& path) {
  // Opened here first, so a missing or unreadable file gets the system's
  // reason rather than toml++'s generic one.
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    throw ConfigError(path + ": cannot read: is a directory");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(path + ": cannot read: " + std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw ConfigError(path + ": cannot read: " + std::strerror(errno));
  try {
    return toml::parse(text.str(), path);
  } catch (const toml::parse_error& e) {
    const auto& begin = e.source().begin;
    throw ConfigError(path + ":" + std::to_string(begin.line) + ":" + std::to_string(begin.column) +
                      ": " + std::string(e.description()));
  }
}

void check_settings(const toml::table& table, const std::string& path, const CLI::App& app) {
  for (const auto& [key, node] : table) {
    if (key.str() != "users") static_cast<void>(checked_option(path, key, node, app));
  }
}

void apply_settings(const toml::table& table, const std::string& path, CLI::App& app) {
  for (const auto& [key, node] : table) {
    if (key.str() == "users") continue;  // read by read_users()
    auto [option, text, at] = checked_option(path, key, node, app);
    if (option->count() > 0) continue;  // the command line wins
    try {
      option->add_result(text);
      option->run_callback();
    } catch (const CLI::Error& e) {
      throw ConfigError(at + "bad value '" + text + "': " + e.what());
    }
  }
}

std::string settings_as_toml(const CLI::App& app) {
  std::string out = "# cppftpd settings in effect (cppftpd --print-config)\n";
  for (const CLI::Option* option : app.get_options()) {
    const std::string name = option->get_single_name();
    // "users" in a file is its [[users]] tables: --users FILE stays on the
    // command line.
    if (command_line_only(name) || name == "print-config" || name == "users" || name.empty()) {
      continue;
    }
    const bool flag = option->get_expected_min() == 0;
    if (flag) {
      out += name + " = " + (option->count() > 0 && option->as<bool>() ? "true" : "false") + "\n";
      continue;
    }
    std::string value;
    if (option->count() > 0) {
      value = option->results().empty() ? std::string() : option->results().back();
    } else {
      // The bound variable's value, i.e. the default.
      auto* mutable_option = const_cast<CLI::Option*>(option);  // NOLINT: CLI11 API
      mutable_option->capture_default_str();
      value = option->get_default_str();
    }
    if (value.empty()) continue;
    if (name == "password") {
      out += "# password: set on the command line or in the file, not shown\n";
      continue;
    }
    const bool integer = value.find_first_not_of("0123456789") == std::string::npos &&
                         value.size() < 19;  // fits TOML's 64-bit integers
    out += name + " = " + (integer ? value : toml_string(value)) + "\n";
  }
  return out;
}

RateSettings read_rates(const toml::table& table, const std::string& path, RateSettings rates,
                        const std::set<std::string>& keep) {
  const std::pair<const char*, std::uint64_t RateSettings::*> fields[] = {
      {"max-download-rate", &RateSettings::max_download_rate},
      {"max-upload-rate", &RateSettings::max_upload_rate},
      {"max-total-download-rate", &RateSettings::max_total_download_rate},
      {"max-total-upload-rate", &RateSettings::max_total_upload_rate}};
  for (const auto& [name, field] : fields) {
    if (keep.count(name) != 0) continue;
    const toml::node* node = table.get(name);
    if (node == nullptr) {
      rates.*field = 0;  // not in the file (any more): the default, no limit
      continue;
    }
    const std::string at = where(path, *node) + "key '" + name + "': ";
    std::uint64_t value = 0;
    if (const auto* i = node->as_integer()) {
      if (i->get() < 0) throw ConfigError(at + "expected a number of bytes per second >= 0");
      value = static_cast<std::uint64_t>(i->get());
    } else if (const auto* text = node->as_string()) {
      const std::string& str = text->get();
      const auto [end, ec] = std::from_chars(str.data(), str.data() + str.size(), value);
      if (ec != std::errc() || end != str.data() + str.size() || str.empty()) {
        throw ConfigError(at + "expected a number of bytes per second >= 0");
      }
    } else {
      throw ConfigError(at + "expected a string or an integer");
    }
    rates.*field = value;
  }
  return rates;
}

}  // namespace cppftpd::cli
