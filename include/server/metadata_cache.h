// The per-process, in-memory cache of registry metadata, shared by the process's threads.
//
// Keys of what was read from an origin include the service and the caller's identity (see
// service_cache_prefix()), so an answer fetched with one caller's credentials is never given to
// another; what is the same for every caller (a signature over a checksums file, a public key's id)
// is kept under keys of its own without them. Tag lists and tag -> digest answers live for a short
// TTL (tags move); manifests and small blobs are stored by digest and kept until evicted
// (immutable). Every entry counts against one byte budget; the least recently used entries go first.
//
// Past its TTL a tag list or tag -> digest answer is not gone: the aged_*() lookups still return it,
// saying what it may still be used for (while one refresh runs: within stale_while_revalidate after
// the TTL; while the registry fails: within stale_if_error), until neither holds. The calls in
// flight (tag_calls(), manifest_calls(), manifest_batches()) let requests of the process that need
// the same answers at the same moment share one registry call.
#pragma once

#include <chrono>
#include <cstddef>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/clock.h"
#include "base/in_flight.h"
#include "oci/reader.h"

namespace otr {

// How old an answer past its TTL may be and still be served (ServerConfig's settings).
struct Staleness {
  std::chrono::seconds while_revalidate{0};
  std::chrono::seconds if_error{0};
};

class MetadataCache {
 public:
  // `clock` must outlive the cache.
  MetadataCache(std::chrono::seconds tag_ttl, std::size_t max_bytes, const Clock& clock,
                Staleness staleness = Staleness());

  // What an answer may be used for, by its age.
  struct Age {
    bool fresh = true;               // within the TTL
    bool while_revalidating = true;  // fresh, or past the TTL by less than stale_while_revalidate
    bool if_error = true;            // fresh, or past the TTL by less than stale_if_error
  };
  template <class T>
  struct Aged {
    std::shared_ptr<const T> value;  // null: nothing cached (or older than any use)
    Age age;
  };

  // Fresh answers only.
  std::shared_ptr<const std::vector<std::string>> tags(const std::string& key);
  // Fresh or stale, saying which.
  Aged<std::vector<std::string>> aged_tags(const std::string& key);
  void put_tags(const std::string& key, std::vector<std::string> tags);

  std::optional<std::string> tag_digest(const std::string& key);
  Aged<std::string> aged_tag_digest(const std::string& key);
  void put_tag_digest(const std::string& key, std::string digest);

  // The registry said there is no such repository or tag: what was cached for it is dropped, so
  // that no later outage brings it back.
  void forget_tags(const std::string& key);
  void forget_tag_digest(const std::string& key);

  // A registry failure for `key`, remembered for the TTL: while it is, stale answers are served
  // without asking the registry again (a dead registry costs one timeout per TTL, not one per request).
  void put_failure(const std::string& key);
  bool recent_failure(const std::string& key);

  // Registry calls in flight, by the same keys as the answers they fetch.
  InFlight<std::optional<std::vector<std::string>>>& tag_calls() { return tag_calls_; }
  InFlight<std::optional<FetchedManifest>>& manifest_calls() { return manifest_calls_; }
  // Batches of manifests (a versions listing's), by repository and references.
  InFlight<std::vector<FetchedManifest>>& manifest_batches() { return manifest_batches_; }

  // Manifest bodies (and small blobs) by "<service>\n<identity>\n<repository>@<digest>"; never expire.
  std::shared_ptr<const std::string> manifest(const std::string& key);
  void put_manifest(const std::string& key, std::string body);

  std::size_t bytes_used();

 private:
  struct Entry {
    std::string key;
    std::shared_ptr<const void> value;
    std::size_t bytes = 0;
    std::optional<Clock::Steady::time_point> fresh_until;  // none: immutable
  };
  struct Found {
    std::shared_ptr<const void> value;
    Age age;
  };
  Found lookup(const std::string& key);
  void forget(const std::string& key);
  void store(const std::string& key, std::shared_ptr<const void> value, std::size_t bytes, bool expires);

  std::chrono::seconds tag_ttl_;
  Staleness staleness_;
  InFlight<std::optional<std::vector<std::string>>> tag_calls_;
  InFlight<std::optional<FetchedManifest>> manifest_calls_;
  InFlight<std::vector<FetchedManifest>> manifest_batches_;
  std::size_t max_bytes_;
  const Clock& clock_;
  std::mutex mutex_;
  std::list<Entry> lru_;  // most recently used first
  std::unordered_map<std::string, std::list<Entry>::iterator> index_;
  std::size_t bytes_ = 0;
};

// A short, non-reversible name for whoever is asking: "-" without an Authorization header, else a
// hash of it. Cache keys and nothing else use it.
std::string identity_key(const std::string& authorization);

// Where a service's cache keys start for a caller: the service name and identity_key(authorization)
// (services differ in origin_credentials even when they share a registry).
std::string service_cache_prefix(const std::string& service, const std::string& authorization);

}  // namespace otr
