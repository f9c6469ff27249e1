// Credentials towards origin registries: which Authorization header a request carries, and the
// cache of bearer tokens obtained from registries' token services.
//
// Identity rules:
//  - A caller's own Authorization header (Terraform sends "Bearer <token>" when the user has
//    credentials for our host) goes to the registry as is; it is never exchanged or cached.
//  - Otherwise the service's configured origin credentials are used: a configured token as
//    "Bearer <token>"; a username/password as Basic, or exchanged at the registry's token service
//    when it answers with a Bearer challenge (like docker and oras); with no configured
//    credentials, tokens are fetched anonymously (public GHCR repositories need this).
// Tokens are cached per (registry, identity, repository) until shortly before they expire.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "base/clock.h"
#include "base/in_flight.h"

namespace otr {

// Thread-safe: one per worker process, shared by its threads.
class AuthCache {
 public:
  // `clock` must outlive the cache.
  explicit AuthCache(const Clock& clock) : clock_(clock) {}

  // The cached Authorization header value for this key, if still valid.
  std::optional<std::string> get(const std::string& key);
  void put(const std::string& key, std::string authorization, Clock::Steady::duration lifetime);
  // Token requests in flight, by the token service URL asked and the identity: a burst of requests
  // needing the same token sends one request to the token service.
  InFlight<std::string>& token_calls() { return token_calls_; }

 private:
  struct Entry {
    std::string authorization;
    Clock::Steady::time_point expires;
  };
  const Clock& clock_;
  std::mutex mutex_;
  std::map<std::string, Entry> entries_;
  InFlight<std::string> token_calls_;
};

// "Basic base64(user:password)".
std::string basic_authorization(const std::string& username, const std::string& password);

}  // namespace otr
