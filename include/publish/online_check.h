// `check-config --online`: reaches every service's origin (README "check-config --online").
//
// For a registry origin: GET /v2/ (resolve, connect, TLS), the auth challenge answered with the
// service's origin_credentials through OciClient (oci/client.h, oci/auth.h), the repositories under
// name_prefix from the registry's _catalog when it answers (and the tags of one of them), and for a
// service that imports (an upstream block) push access with the upstream's write_credentials: a
// blob upload is started (POST /v2/<repo>/blobs/uploads/) and cancelled at once (DELETE of its
// Location), which writes nothing a reader sees and works with every registry, Basic-auth ones
// (Debian's docker-registry with htpasswd, which has no token service to ask) included.
// For a file:// layout: the directory is readable (and writable when importing).
// For an upstream block: its /.well-known/terraform.json answers with providers.v1.
//
// Lines never carry a secret: no credential, token or query string secret is ever part of one.
#pragma once

#include <string>
#include <vector>

#include "base/clock.h"
#include "config/config.h"
#include "http/client.h"

namespace otr {

struct OnlineCheck {
  std::string service;  // the block's name
  bool ok = true;       // everything that was tried works
  std::string line;     // "<name>: registry <url> reachable (TLS ok), credentials accepted, ..."
};

// Checks one service through `transport`, with the timeouts of its configuration.
OnlineCheck check_service_online(const ServiceConfig& service, HttpTransport& transport,
                                 const Clock& clock = system_clock());

// Every service of `config`, in Config::services() order.
std::vector<OnlineCheck> check_config_online(const Config& config, HttpTransport& transport,
                                             const Clock& clock = system_clock());

}  // namespace otr
