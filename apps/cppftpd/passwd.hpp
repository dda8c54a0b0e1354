#pragma once
// `cppftpd passwd`: prints a crypt(3) hash for the password_hash of a
// [[users]] entry.

namespace cppftpd::cli {

/// Runs the subcommand with its own arguments (argv[0] is "passwd").
/// Returns the exit status.
int passwd_main(int argc, char** argv);

}  // namespace cppftpd::cli
