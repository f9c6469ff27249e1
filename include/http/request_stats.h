// Per-request counters for the access log.
#pragma once

namespace otr {

struct RequestStats {
  int registry_calls = 0;  // HTTP round trips to registries and token services
  int cache_hits = 0;      // metadata answered from the in-memory cache
  int stale = 0;           // of those, answers past their TTL (while a refresh runs, or the registry fails)
  int shared = 0;          // registry calls this request waited for instead of making them (in flight)
};

}  // namespace otr
