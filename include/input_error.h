// Bad input to a command (a file name that does not parse, a missing file, a platform given twice):
// the CLI prints the message and exits with the usage status, without touching a registry.
#pragma once

#include <stdexcept>

namespace otr {

class InputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace otr
