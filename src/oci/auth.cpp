#include "oci/auth.h"

#include "base/base64.h"

namespace otr {

std::optional<std::string> AuthCache::get(const std::string& key) {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return std::nullopt;
  if (clock_.steady_now() >= it->second.expires) {
    entries_.erase(it);
    return std::nullopt;
  }
  return it->second.authorization;
}

void AuthCache::put(const std::string& key, std::string authorization, Clock::Steady::duration lifetime) {
  std::lock_guard lock(mutex_);
  // Bounded: a worker talks to a handful of registries, but repositories are unbounded.
  if (entries_.size() > 4096) {
    auto now = clock_.steady_now();
    std::erase_if(entries_, [&](const auto& e) { return now >= e.second.expires; });
    if (entries_.size() > 4096) entries_.clear();
  }
  entries_[key] = Entry{std::move(authorization), clock_.steady_now() + lifetime};
}

std::string basic_authorization(const std::string& username, const std::string& password) {
  return "Basic " + base64_encode(username + ":" + password);
}

}  // namespace otr
