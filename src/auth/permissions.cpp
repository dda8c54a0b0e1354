#include <cppftpd/authorizer.hpp>

namespace cppftpd {

namespace {

// Bit i stands for Permissions::kLetters[i]; kLetters is ten letters, so they
// fit the 16-bit mask with room to spare.
static_assert(Permissions::kLetters.size() <= 16);

constexpr int bit_of(char letter) noexcept {
  const std::size_t index = Permissions::kLetters.find(letter);
  return index == std::string_view::npos ? -1 : static_cast<int>(index);
}

constexpr std::uint16_t mask_of(std::string_view letters) noexcept {
  std::uint16_t mask = 0;
  for (const char letter : letters) {
    const int bit = bit_of(letter);
    if (bit >= 0) mask = static_cast<std::uint16_t>(mask | (1U << bit));
  }
  return mask;
}

// Every letter after the read letters is a write letter (adfmwMT).
constexpr std::uint16_t kWriteMask = static_cast<std::uint16_t>(
    mask_of(Permissions::kLetters) & ~mask_of(Permissions::kReadLetters));

}  // namespace

std::optional<Permissions> Permissions::parse(std::string_view letters) {
  Permissions result;
  for (const char letter : letters) {
    const int bit = bit_of(letter);
    if (bit < 0) return std::nullopt;
    result.bits_ = static_cast<std::uint16_t>(result.bits_ | (1U << bit));
  }
  return result;
}

bool Permissions::has(char letter) const noexcept {
  const int bit = bit_of(letter);
  return bit >= 0 && (bits_ & (1U << bit)) != 0;
}

bool Permissions::can_write() const noexcept { return (bits_ & kWriteMask) != 0; }

std::string Permissions::str() const {
  std::string result;
  for (const char letter : kLetters) {
    if (has(letter)) result += letter;
  }
  return result;
}

}  // namespace cppftpd
