// Whether the configured signing keys can sign: a separate step from loading the configuration
// (which never starts GnuPG). `check-config` runs it, and the pool's master before it serves and
// before it takes a reloaded configuration; every serving process then loads the keys itself.
#pragma once

#include <vector>

#include "config/config.h"
#include "config/diagnostics.h"

namespace otr {

// One error per provider_registry whose key GnuPG cannot use (unreadable, no secret key, wrong or
// missing passphrase), at its signing_key_file value. Starts GnuPG in a private home per key and
// stops it again before returning.
std::vector<Diagnostic> check_signing_keys(const Config& config);

}  // namespace otr
