// Secrets that arrive in environment variables (the query string secret, *_env attributes of the
// configuration): read once, then taken out of the environment, so that no child process (gpg,
// gpg-agent, a docker credential helper) inherits them. Later reads (a configuration reload) get
// the value kept here.
//
// Not thread-safe with respect to other code reading the environment: call it from a single-threaded
// process (the configuration is loaded by the main thread before it starts threads, and reloaded by
// the master, which runs none).
#pragma once

#include <optional>
#include <string>

namespace otr {

// The value of environment variable `name` ("" counts as unset), removed from the environment on
// first read and remembered for the life of the process.
std::optional<std::string> take_secret_env(const std::string& name);

// Forgets what take_secret_env() kept for `name` (for tests that set and unset variables).
void forget_secret_env(const std::string& name);

}  // namespace otr
