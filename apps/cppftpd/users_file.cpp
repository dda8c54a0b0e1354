#include "users_file.hpp"

#include "config_file.hpp"

#include <filesystem>
#include <limits>

namespace cppftpd::cli {

namespace {

constexpr std::string_view kUserKeys[] = {
    "name",         "password_hash",     "home",           "perms",
    "max_sessions", "enabled",           "msg_login",      "msg_quit",
    "overrides",    "max_download_rate", "max_upload_rate"};
constexpr std::string_view kOverrideKeys[] = {"directory", "perms", "recursive"};

template <std::size_t N>
bool known(std::string_view key, const std::string_view (&keys)[N]) {
  for (const auto k : keys) {
    if (key == k) return true;
  }
  return false;
}

class EntryReader {
 public:
  EntryReader(const std::string& path, const toml::table& entry, std::string what)
      : path_(path), entry_(entry), what_(std::move(what)) {}

  [[noreturn]] void fail(const toml::node& node, const std::string& key,
                         const std::string& message) const {
    throw ConfigError(where(path_, node) + what_ + "key '" + key + "': " + message);
  }

  std::string string(const std::string& key, bool required, std::string fallback = {}) const {
    const toml::node* node = entry_.get(key);
    if (node == nullptr) {
      if (required) {
        throw ConfigError(where(path_, entry_) + what_ + "key '" + key + "' is missing");
      }
      return fallback;
    }
    const auto* s = node->as_string();
    if (s == nullptr) fail(*node, key, "expected a string");
    return s->get();
  }

  bool boolean(const std::string& key, bool fallback) const {
    const toml::node* node = entry_.get(key);
    if (node == nullptr) return fallback;
    const auto* b = node->as_boolean();
    if (b == nullptr) fail(*node, key, "expected true or false");
    return b->get();
  }

  unsigned count(const std::string& key) const {
    const toml::node* node = entry_.get(key);
    if (node == nullptr) return 0;
    const auto* i = node->as_integer();
    if (i == nullptr || i->get() < 0 || i->get() > 100000) {
      fail(*node, key, "expected an integer from 0 to 100000");
    }
    return static_cast<unsigned>(i->get());
  }

  std::uint64_t rate(const std::string& key) const {
    const toml::node* node = entry_.get(key);
    if (node == nullptr) return 0;
    const auto* i = node->as_integer();
    if (i == nullptr || i->get() < 0) fail(*node, key, "expected bytes per second (0: no limit)");
    return static_cast<std::uint64_t>(i->get());
  }

 private:
  const std::string& path_;
  const toml::table& entry_;
  std::string what_;
};

std::vector<DirectoryOverride> read_overrides(const std::string& path, const toml::node& node,
                                              const std::string& user) {
  const auto* array = node.as_array();
  if (array == nullptr) {
    throw ConfigError(where(path, node) + "user '" + user +
                      "': key 'overrides': expected an array of tables");
  }
  std::vector<DirectoryOverride> result;
  for (const auto& item : *array) {
    const auto* table = item.as_table();
    if (table == nullptr) {
      throw ConfigError(where(path, item) + "user '" + user +
                        "': key 'overrides': expected an array of tables");
    }
    const std::string what = "user '" + user + "' override: ";
    for (const auto& [key, value] : *table) {
      if (!known(key.str(), kOverrideKeys)) {
        throw ConfigError(where(path, value) + what + "key '" + std::string(key.str()) +
                          "': unknown (expected directory, perms, recursive)");
      }
    }
    const EntryReader reader(path, *table, what);
    result.push_back({reader.string("directory", true), reader.string("perms", true),
                      reader.boolean("recursive", false)});
  }
  return result;
}

}  // namespace

std::vector<UserSpec> read_users(const toml::table& table, const std::string& path) {
  std::vector<UserSpec> result;
  const toml::node* users = table.get("users");
  if (users == nullptr) return result;
  const auto* array = users->as_array();
  if (array == nullptr || !array->is_array_of_tables()) {
    throw ConfigError(where(path, *users) +
                      "key 'users': expected [[users]] tables (an array of tables)");
  }
  const auto base = std::filesystem::absolute(path).parent_path();
  for (const auto& item : *array) {
    const auto& entry = *item.as_table();
    const EntryReader first(path, entry, "[[users]]: ");
    UserSpec spec;
    spec.origin = where(path, entry);
    spec.name = first.string("name", true);
    if (spec.name.empty()) first.fail(*entry.get("name"), "name", "must not be empty");
    const std::string what = "user '" + spec.name + "': ";
    for (const auto& [key, value] : entry) {
      const std::string name(key.str());
      if (name == "password") {
        throw ConfigError(where(path, value) + what +
                          "key 'password': clear-text passwords are not accepted; put a crypt(3) "
                          "hash in password_hash (make one with `cppftpd passwd`)");
      }
      if (!known(name, kUserKeys)) {
        throw ConfigError(where(path, value) + what + "key '" + name + "': unknown setting");
      }
    }
    const EntryReader reader(path, entry, what);
    const bool anonymous = spec.name == "anonymous";
    spec.password_hash = reader.string("password_hash", !anonymous);
    if (anonymous && !spec.password_hash.empty()) {
      reader.fail(*entry.get("password_hash"), "password_hash",
                  "the anonymous user takes any password: remove password_hash");
    }
    spec.home = reader.string("home", true);
    if (!spec.home.empty() && spec.home.front() != '/') spec.home = (base / spec.home).string();
    spec.perms = reader.string("perms", false, spec.perms);
    spec.max_sessions = reader.count("max_sessions");
    spec.enabled = reader.boolean("enabled", true);
    spec.max_download_rate = reader.rate("max_download_rate");
    spec.max_upload_rate = reader.rate("max_upload_rate");
    spec.msg_login = reader.string("msg_login", false, spec.msg_login);
    spec.msg_quit = reader.string("msg_quit", false, spec.msg_quit);
    if (const toml::node* overrides = entry.get("overrides")) {
      spec.overrides = read_overrides(path, *overrides, spec.name);
    }
    result.push_back(std::move(spec));
  }
  return result;
}

void add_to(UserSet& users, const UserSpec& spec) {
  try {
    if (spec.name == "anonymous") {
      users.authorizer.add_anonymous(spec.home, spec.perms, spec.msg_login, spec.msg_quit);
    } else {
      users.authorizer.add_user(spec.name, hashed(spec.password_hash), spec.home, spec.perms,
                                spec.msg_login, spec.msg_quit);
    }
    for (const auto& entry : spec.overrides) {
      users.authorizer.override_perm(spec.name, entry.directory, entry.perms, entry.recursive);
    }
  } catch (const std::invalid_argument& e) {
    throw ConfigError(spec.origin + "user '" + spec.name + "': " + e.what());
  }
  users.limits[spec.name] =
      UserLimits{spec.max_sessions, spec.enabled, spec.max_download_rate, spec.max_upload_rate};
}

}  // namespace cppftpd::cli
