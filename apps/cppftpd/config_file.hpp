#pragma once
// The configuration file (--config FILE): TOML whose top-level keys are the
// long flags (port = 21, write = true, max-cons = 100, ...) plus [[users]]
// tables (see users_file.hpp). Flags given on the command line win.

#include <cppftpd/config.hpp>

#include <toml++/toml.h>
#include <CLI/CLI.hpp>

#include <set>
#include <stdexcept>
#include <string>

namespace cppftpd::cli {

/// A configuration error; what() names the file, the line and the key.
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Reads and parses a TOML file. Throws ConfigError naming the file when it
/// is missing, unreadable or not valid TOML (with line and column).
toml::table read_toml_file(const std::string& path);

/// Applies the settings of `table` (read from `path`) to the options of
/// `app` that the command line did not set. Every key but "users" must be
/// the long name of an option of `app` (without "--"); "config", "check",
/// "help" and "version" are refused. Flags take booleans, other options
/// strings or integers; CLI11's checks apply. Throws ConfigError.
void apply_settings(const toml::table& table, const std::string& path, CLI::App& app);

/// Checks the settings of `table` as apply_settings() does, changing nothing
/// (for a reload, where only [[users]] take effect).
void check_settings(const toml::table& table, const std::string& path, const CLI::App& app);

/// The bandwidth limits of `table` (read from `path`) for a reload: each of
/// max-download-rate, max-upload-rate, max-total-download-rate and
/// max-total-upload-rate named in `keep` (set on the command line) keeps its
/// value in `rates`; the others take the file's value, or 0 (no limit) when
/// the file has none. Throws ConfigError for a value that is not a number of
/// bytes per second >= 0.
RateSettings read_rates(const toml::table& table, const std::string& path, RateSettings rates,
                        const std::set<std::string>& keep);

/// Every setting of `app` in effect (from the command line, a file applied
/// with apply_settings(), or the default) as a TOML file that --config reads
/// back to the same settings: one `key = value` line per long option, except
/// the command-line-only ones, --users (the file's "users" are its [[users]]
/// tables), options with an empty value, and the password (never printed; a
/// comment says that one is set).
std::string settings_as_toml(const CLI::App& app);

/// "FILE:LINE:COLUMN: " for a node, or "FILE: " when it has no position.
std::string where(const std::string& path, const toml::node& node);

}  // namespace cppftpd::cli
