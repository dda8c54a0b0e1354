#pragma once
// SHA-512-crypt ("$6$", U. Drepper, "Unix crypt using SHA-256 and SHA-512",
// 2007), the hash /etc/shadow has held by default for years, computed on
// OpenSSL's SHA-512 instead of libxcrypt's portable C: the same algorithm,
// rounds and result, in about 0.6 of the CPU (OpenSSL picks AVX2 or SHA-512
// instructions at run time). Logins are bound by this hash, so it is their
// cost (docs/benchmarks.md, "Logins are the hash").
//
// Only the settings libxcrypt itself writes are taken; anything else is left
// to libxcrypt (the caller falls back to crypt_rn()), so the two can never
// disagree on what a setting means.

#include <optional>
#include <string>
#include <string_view>

namespace cppftpd::detail {

/// The whole crypt(3) string of `password` hashed with the parameters and salt
/// of `setting` (a setting such as "$6$rounds=10000$salt" or a whole hash),
/// byte for byte what libxcrypt's crypt_rn() returns for the same pair; or
/// nullopt when the setting is not a canonical "$6$" one (an optional
/// "rounds=N$" with 1000 <= N <= 999999999 and no leading zero, then 1 to 16
/// salt characters of crypt's base-64 alphabet, then nothing, "$", or "$" and
/// the 86 characters of a hash), or
/// the password is 512 bytes or longer or holds a NUL byte (libxcrypt refuses
/// those). Thread-safe: all its state is on the stack, and wiped at the end.
std::optional<std::string> sha512_crypt(std::string_view password, std::string_view setting);

}  // namespace cppftpd::detail
