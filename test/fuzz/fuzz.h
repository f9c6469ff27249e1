// What the fuzz targets share (test/fuzz/README: `make fuzz`): the input as text, split into parts.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace otr::fuzz {

inline std::string_view text(const std::uint8_t* data, std::size_t size) {
  return std::string_view(reinterpret_cast<const char*>(data), size);
}

// The parts of `input` between `separator`s (an input without one is one part).
inline std::vector<std::string_view> split(std::string_view input, char separator) {
  std::vector<std::string_view> parts;
  for (;;) {
    std::size_t at = input.find(separator);
    parts.push_back(input.substr(0, at));
    if (at == std::string_view::npos) return parts;
    input.remove_prefix(at + 1);
  }
}

// A contract the parser states, checked: a broken one aborts, and libFuzzer keeps the input.
#define FUZZ_CHECK(condition) \
  do {                        \
    if (!(condition)) __builtin_trap(); \
  } while (0)

}  // namespace otr::fuzz
