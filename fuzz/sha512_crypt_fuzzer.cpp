// Differential fuzzing of detail::sha512_crypt (src/auth/sha512_crypt.*)
// against libxcrypt's crypt_rn(), the reference it stands in for.
//
// Input: a setting, a NUL byte, a password (without a NUL byte, the password
// is empty). Properties: whenever sha512_crypt() takes a setting, libxcrypt
// takes it too and returns the very same string; sha512_crypt() never takes a
// setting that is not "$6$...", a password of 512 bytes or more, or one with a
// NUL byte. (When it declines, the server asks libxcrypt: nothing to compare.)

#include "auth/sha512_crypt.hpp"
#include "fuzz_check.hpp"

#include <crypt.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::size_t nul = input.find('\0');
  const std::string setting(input.substr(0, nul));
  const std::string password(nul == std::string_view::npos ? std::string_view()
                                                           : input.substr(nul + 1));
  const auto computed = cppftpd::detail::sha512_crypt(password, setting);
  if (!computed) return 0;
  FUZZ_CHECK(setting.rfind("$6$", 0) == 0);
  FUZZ_CHECK(password.size() < 512);
  FUZZ_CHECK(password.find('\0') == std::string::npos);
  auto scratch = std::make_unique<crypt_data>();
  const char* expected = ::crypt_rn(password.c_str(), setting.c_str(), scratch.get(),
                                    static_cast<int>(sizeof(crypt_data)));
  FUZZ_CHECK(expected != nullptr && expected[0] != '*');
  FUZZ_CHECK(*computed == expected);
  return 0;
}
