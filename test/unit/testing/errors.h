// What an expected exception says.
#pragma once

#include <functional>
#include <string>

namespace otr::testing {

// The message of the `E` that `f` throws, or "no error".
template <class E>
std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace otr::testing
