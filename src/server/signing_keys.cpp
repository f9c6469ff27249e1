#include "server/signing_keys.h"

#include "openpgp/gnupg.h"

namespace otr {

std::vector<Diagnostic> check_signing_keys(const Config& config) {
  std::vector<Diagnostic> problems;
  for (const ProviderRegistryConfig& registry : config.provider_registries) {
    try {
      OpenPgpSigner probe(registry.signing_key_file, registry.signing_key_passphrase);
    } catch (const SigningError& e) {
      problems.push_back({registry.signing_key_pos, e.what(), false});
    }
  }
  return problems;
}

}  // namespace otr
