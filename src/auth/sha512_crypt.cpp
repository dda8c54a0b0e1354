// SHA-512-crypt on OpenSSL's SHA-512. The step numbers in the comments are
// those of Drepper's specification ("Unix crypt using SHA-256 and SHA-512",
// section "The algorithm", steps 1-22).

// SHA512_Init/Update/Final are deprecated in OpenSSL 3 in favour of EVP, but
// remain part of its API: EVP costs about 150 ns more per digest, and this
// hash is 5000 (or more) one-block digests, so EVP would give back a third of
// the gain.
#define OPENSSL_SUPPRESS_DEPRECATED 1

#include "auth/sha512_crypt.hpp"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <array>
#include <charconv>
#include <cstddef>
#include <cstdint>

namespace cppftpd::detail {

namespace {

constexpr std::string_view kPrefix = "$6$";
constexpr std::string_view kRoundsPrefix = "rounds=";
constexpr std::uint32_t kDefaultRounds = 5000;
constexpr std::uint32_t kMinRounds = 1000;
constexpr std::uint32_t kMaxRounds = 999'999'999;
constexpr std::size_t kMaxSalt = 16;
constexpr std::size_t kHashCharacters = 86;  // 64 bytes in crypt's base 64
// libxcrypt refuses a phrase of CRYPT_MAX_PASSPHRASE_SIZE (512) bytes or more.
constexpr std::size_t kMaxPassword = 511;
constexpr std::string_view kAlphabet =
    "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

using Digest = std::array<unsigned char, SHA512_DIGEST_LENGTH>;

bool in_alphabet(char c) noexcept { return kAlphabet.find(c) != std::string_view::npos; }

struct Setting {
  std::uint32_t rounds = kDefaultRounds;
  bool custom_rounds = false;  // "rounds=N$" was written, so it is written back
  std::string_view salt;
};

// The canonical settings only (see the header); nullopt for anything else.
std::optional<Setting> parse_setting(std::string_view setting) {
  if (!setting.starts_with(kPrefix)) return std::nullopt;
  setting.remove_prefix(kPrefix.size());
  Setting parsed;
  if (setting.starts_with(kRoundsPrefix)) {
    setting.remove_prefix(kRoundsPrefix.size());
    const std::size_t digits = setting.find('$');
    if (digits == std::string_view::npos || digits == 0 || digits > 9 || setting[0] == '0') {
      return std::nullopt;
    }
    const auto [end, error] =
        std::from_chars(setting.data(), setting.data() + digits, parsed.rounds);
    if (error != std::errc() || end != setting.data() + digits || parsed.rounds < kMinRounds ||
        parsed.rounds > kMaxRounds) {
      return std::nullopt;
    }
    parsed.custom_rounds = true;
    setting.remove_prefix(digits + 1);
  }
  std::size_t length = 0;
  while (length < setting.size() && in_alphabet(setting[length])) ++length;
  if (length == 0 || length > kMaxSalt) return std::nullopt;
  parsed.salt = setting.substr(0, length);
  setting.remove_prefix(length);
  // Then nothing, a bare '$', or '$' and a whole hash. libxcrypt ignores what
  // follows the salt but refuses some bytes there (':', '*', '!', blanks, ...):
  // only what it surely accepts is taken.
  if (setting.empty() || setting == "$") return parsed;
  if (setting.size() != 1 + kHashCharacters || setting[0] != '$') return std::nullopt;
  for (const char c : setting.substr(1)) {
    if (!in_alphabet(c)) return std::nullopt;
  }
  return parsed;
}

// One SHA-512 context, wiped when it goes.
class Sha512 {
 public:
  Sha512() { SHA512_Init(&context_); }
  Sha512(const Sha512&) = delete;
  Sha512& operator=(const Sha512&) = delete;
  ~Sha512() { OPENSSL_cleanse(&context_, sizeof context_); }

  void restart() { SHA512_Init(&context_); }
  void add(const void* data, std::size_t size) { SHA512_Update(&context_, data, size); }
  void add(std::string_view text) { add(text.data(), text.size()); }
  void add(const Digest& digest) { add(digest.data(), digest.size()); }
  void finish(Digest& out) { SHA512_Final(out.data(), &context_); }

 private:
  SHA512_CTX context_{};
};

// Step 22's encoding: crypt's base 64, least significant 6 bits first, of the
// digest's bytes taken in threes in this order (the last byte alone).
void encode(const Digest& digest, std::string& out) {
  static constexpr std::array<std::array<unsigned char, 3>, 21> kTriples{{
      {0, 21, 42},  {22, 43, 1},  {44, 2, 23},  {3, 24, 45},  {25, 46, 4},  {47, 5, 26},
      {6, 27, 48},  {28, 49, 7},  {50, 8, 29},  {9, 30, 51},  {31, 52, 10}, {53, 11, 32},
      {12, 33, 54}, {34, 55, 13}, {56, 14, 35}, {15, 36, 57}, {37, 58, 16}, {59, 17, 38},
      {18, 39, 60}, {40, 61, 19}, {62, 20, 41},
  }};
  const auto put = [&out](std::uint32_t bits, int characters) {
    for (int i = 0; i < characters; ++i, bits >>= 6U) out.push_back(kAlphabet[bits & 0x3FU]);
  };
  for (const auto& [first, second, third] : kTriples) {
    put((std::uint32_t{digest[first]} << 16U) | (std::uint32_t{digest[second]} << 8U) |
            digest[third],
        4);
  }
  put(digest[63], 2);
}

}  // namespace

std::optional<std::string> sha512_crypt(std::string_view password, std::string_view setting) {
  if (password.size() > kMaxPassword || password.find('\0') != std::string_view::npos) {
    return std::nullopt;
  }
  const std::optional<Setting> parsed = parse_setting(setting);
  if (!parsed) return std::nullopt;
  const std::string_view salt = parsed->salt;
  const std::size_t length = password.size();

  Sha512 sha;
  Digest a{};
  Digest b{};
  Digest c{};
  Digest dp{};
  Digest ds{};
  // Steps 4-8: digest B = SHA-512(password, salt, password).
  sha.add(password);
  sha.add(salt);
  sha.add(password);
  sha.finish(b);
  // Steps 1-3, 9-12: digest A.
  sha.restart();
  sha.add(password);
  sha.add(salt);
  std::size_t left = length;
  for (; left > b.size(); left -= b.size()) sha.add(b);
  sha.add(b.data(), left);
  for (left = length; left > 0; left >>= 1U) {
    if ((left & 1U) != 0) {
      sha.add(b);
    } else {
      sha.add(password);
    }
  }
  sha.finish(a);
  // Steps 13-16: the P sequence, `length` bytes of SHA-512(password x length).
  sha.restart();
  for (std::size_t i = 0; i < length; ++i) sha.add(password);
  sha.finish(dp);
  std::array<unsigned char, kMaxPassword> p{};
  for (std::size_t i = 0; i < length; ++i) p[i] = dp[i % dp.size()];
  // Steps 17-20: the S sequence, the salt's length of SHA-512(salt x (16 + A[0])).
  sha.restart();
  for (std::size_t i = 0; i < 16U + a[0]; ++i) sha.add(salt);
  sha.finish(ds);
  std::array<unsigned char, kMaxSalt> s{};
  for (std::size_t i = 0; i < salt.size(); ++i) s[i] = ds[i];
  // Step 21: the rounds, each one digest of C and the sequences.
  c = a;
  for (std::uint32_t round = 0; round < parsed->rounds; ++round) {
    const bool odd = (round & 1U) != 0;
    sha.restart();
    if (odd) {
      sha.add(p.data(), length);
    } else {
      sha.add(c);
    }
    if (round % 3 != 0) sha.add(s.data(), salt.size());
    if (round % 7 != 0) sha.add(p.data(), length);
    if (odd) {
      sha.add(c);
    } else {
      sha.add(p.data(), length);
    }
    sha.finish(c);
  }
  // Step 22: "$6$", "rounds=N$" if the setting had one, the salt, '$', C.
  std::string out;
  out.reserve(kPrefix.size() + kRoundsPrefix.size() + 10 + salt.size() + 1 + kHashCharacters);
  out.append(kPrefix);
  if (parsed->custom_rounds) {
    out.append(kRoundsPrefix);
    out.append(std::to_string(parsed->rounds));
    out.push_back('$');
  }
  out.append(salt);
  out.push_back('$');
  encode(c, out);
  for (Digest* digest : {&a, &b, &c, &dp, &ds}) OPENSSL_cleanse(digest->data(), digest->size());
  OPENSSL_cleanse(p.data(), p.size());
  OPENSSL_cleanse(s.data(), s.size());
  return out;
}

}  // namespace cppftpd::detail
