// Feeds http/authorization check_authorization: the input is a caller's Authorization header value,
// as a client sends it through the web server. It must never throw; it answers 200 (usable), 400
// (malformed) or 401 (another scheme), with a problem exactly when it is not usable. (That the problem
// never quotes the header is a unit test's: a fuzzer soon writes headers that quote the messages.)
#include "fuzz.h"
#include "http/authorization.h"

using namespace otr;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view header = fuzz::text(data, size);
  const AuthorizationCheck check = check_authorization(header);
  FUZZ_CHECK(check.status == 200 || check.status == 400 || check.status == 401);
  FUZZ_CHECK((check.status == 200) == check.problem.empty());
  return 0;
}
