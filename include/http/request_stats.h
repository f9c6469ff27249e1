// Per-request counters for the access log.
#pragma once

namespace otr {

struct RequestStats {
  int registry_calls = 0;  // HTTP round trips to registries and token services
  int cache_hits = 0;      // metadata answered from the in-memory cache
};

}  // namespace otr
