#include "config_file.hpp"

#include <cerrno>
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

}  // namespace cppftpd::cli
