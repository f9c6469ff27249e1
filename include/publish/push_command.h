// The `push` command: publishes providers and modules into the registry (or OCI image layout
// directory) of a configured service, or into an OCI image layout given with --to.
//
//   push provider [options] ADDRESS VERSION ZIP...
//   push provider [options] --from-mirror DIR
//   push module   [options] NAMESPACE/NAME/SYSTEM VERSION DIR|ZIP
//   push hashes   [options] ADDRESS VERSION      (h1: added to a published release, publish/provider_hashes.h)
//
// Summary lines go to stdout, errors to stderr (progress bars too, on a terminal).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"

namespace otr {


// `args`: everything after "push". `load_config` is called only when a service is named; it
// returns nullopt after printing why there is no usable configuration.
int run_push_command(const std::vector<std::string>& args,
                     const std::function<std::optional<Config>()>& load_config);

}  // namespace otr
