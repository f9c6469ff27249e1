// Feeds server/sealed_token TokenSealer::open: the input is a download token as a client puts it
// in a URL, opened for both purposes with the current and a retired key; tokens are never forged,
// so open() must refuse what it did not seal. Then, from the same bytes split at NUL into
// service, repository, digest and authorization, a grant is sealed and must open to itself
// (the plaintext's own framing, with any bytes in the fields).
#include <stdexcept>

#include "base/error.h"
#include "fuzz.h"
#include "server/sealed_token.h"

using namespace otr;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const TokenSealer sealer(std::string(32, 'k'), {std::string(32, 'r')});
  const std::string_view input = fuzz::text(data, size);
  for (TokenPurpose purpose : {TokenPurpose::kPackage, TokenPurpose::kChecksums}) {
    TokenSealer::Opened opened = sealer.open(input, purpose, 1700000000);
    FUZZ_CHECK(!opened.grant || opened.grant->purpose == purpose);
  }
  std::vector<std::string_view> parts = fuzz::split(input, '\0');
  parts.resize(4);
  DownloadGrant grant{size % 2 ? TokenPurpose::kChecksums : TokenPurpose::kPackage,
                      std::string(parts[0]), std::string(parts[1]), std::string(parts[2]),
                      1700000001 + static_cast<std::int64_t>(size), std::string(parts[3])};
  std::string token;
  try {
    token = sealer.seal(grant);
  } catch (const Error& e) {
    FUZZ_CHECK(e.kind() == ErrorKind::kInvalidInput);
    return 0;
  }
  TokenSealer::Opened opened = sealer.open(token, grant.purpose, 1700000000);
  FUZZ_CHECK(opened.grant.has_value());
  FUZZ_CHECK(opened.grant->service == grant.service && opened.grant->repository == grant.repository &&
             opened.grant->digest == grant.digest && opened.grant->authorization == grant.authorization &&
             opened.grant->expires_at == grant.expires_at);
  return 0;
}
