// Feeds http/www_authenticate parse_www_authenticate: the input is one WWW-Authenticate header
// value, as a registry sends it. It must never throw, and every scheme it returns is lower case.
#include "fuzz.h"
#include "http/www_authenticate.h"

using namespace otr;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  for (const AuthChallenge& c : parse_www_authenticate(fuzz::text(data, size))) {
    FUZZ_CHECK(!c.scheme.empty());
    for (char ch : c.scheme) FUZZ_CHECK(!(ch >= 'A' && ch <= 'Z'));
  }
  return 0;
}
