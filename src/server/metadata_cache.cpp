#include "server/metadata_cache.h"

#include "base/sha256.h"

namespace otr {

namespace {
// Bookkeeping per entry beyond its payload (key copies, list and map nodes).
constexpr std::size_t kOverhead = 128;
// Tag keys and manifest keys cannot collide: they get different prefixes.
const std::string kTagsPrefix = "t\n";
const std::string kDigestPrefix = "d\n";
const std::string kManifestPrefix = "m\n";
const std::string kFailurePrefix = "f\n";
}  // namespace

MetadataCache::MetadataCache(std::chrono::seconds tag_ttl, std::size_t max_bytes, const Clock& clock,
                             Staleness staleness)
    : tag_ttl_(tag_ttl), staleness_(staleness), max_bytes_(max_bytes), clock_(clock) {}

MetadataCache::Found MetadataCache::lookup(const std::string& key) {
  std::lock_guard lock(mutex_);
  auto it = index_.find(key);
  if (it == index_.end()) return {};
  auto entry = it->second;
  Age age;
  if (entry->fresh_until) {
    const auto now = clock_.steady_now();
    const auto past = now - *entry->fresh_until;
    age.fresh = now < *entry->fresh_until;
    age.while_revalidating = age.fresh || past < staleness_.while_revalidate;
    age.if_error = age.fresh || past < staleness_.if_error;
    if (!age.while_revalidating && !age.if_error) {
      bytes_ -= entry->bytes;
      lru_.erase(entry);
      index_.erase(it);
      return {};
    }
  }
  lru_.splice(lru_.begin(), lru_, entry);
  return {entry->value, age};
}

void MetadataCache::forget(const std::string& key) {
  std::lock_guard lock(mutex_);
  auto it = index_.find(key);
  if (it == index_.end()) return;
  bytes_ -= it->second->bytes;
  lru_.erase(it->second);
  index_.erase(it);
}

void MetadataCache::store(const std::string& key, std::shared_ptr<const void> value, std::size_t bytes,
                          bool expires) {
  bytes += key.size() + kOverhead;
  if (bytes > max_bytes_ / 4) return;  // one huge answer must not flush everything else
  if (expires && tag_ttl_.count() <= 0 && staleness_.while_revalidate.count() <= 0 &&
      staleness_.if_error.count() <= 0)
    return;
  std::lock_guard lock(mutex_);
  if (auto it = index_.find(key); it != index_.end()) {
    bytes_ -= it->second->bytes;
    lru_.erase(it->second);
    index_.erase(it);
  }
  std::optional<Clock::Steady::time_point> deadline;
  if (expires) deadline = clock_.steady_now() + tag_ttl_;
  lru_.push_front(Entry{key, std::move(value), bytes, deadline});
  index_[key] = lru_.begin();
  bytes_ += bytes;
  while (bytes_ > max_bytes_ && !lru_.empty()) {
    bytes_ -= lru_.back().bytes;
    index_.erase(lru_.back().key);
    lru_.pop_back();
  }
}

std::shared_ptr<const std::vector<std::string>> MetadataCache::tags(const std::string& key) {
  Aged<std::vector<std::string>> aged = aged_tags(key);
  return aged.age.fresh ? aged.value : nullptr;
}

MetadataCache::Aged<std::vector<std::string>> MetadataCache::aged_tags(const std::string& key) {
  Found found = lookup(kTagsPrefix + key);
  return {std::static_pointer_cast<const std::vector<std::string>>(found.value), found.age};
}

void MetadataCache::put_tags(const std::string& key, std::vector<std::string> tags) {
  std::size_t bytes = 0;
  for (const auto& t : tags) bytes += t.size() + sizeof(std::string);
  store(kTagsPrefix + key, std::make_shared<const std::vector<std::string>>(std::move(tags)), bytes, true);
}

std::optional<std::string> MetadataCache::tag_digest(const std::string& key) {
  Aged<std::string> aged = aged_tag_digest(key);
  if (!aged.value || !aged.age.fresh) return std::nullopt;
  return *aged.value;
}

MetadataCache::Aged<std::string> MetadataCache::aged_tag_digest(const std::string& key) {
  Found found = lookup(kDigestPrefix + key);
  return {std::static_pointer_cast<const std::string>(found.value), found.age};
}

void MetadataCache::put_tag_digest(const std::string& key, std::string digest) {
  std::size_t bytes = digest.size();
  store(kDigestPrefix + key, std::make_shared<const std::string>(std::move(digest)), bytes, true);
}

void MetadataCache::forget_tags(const std::string& key) { forget(kTagsPrefix + key); }

void MetadataCache::forget_tag_digest(const std::string& key) { forget(kDigestPrefix + key); }

void MetadataCache::put_failure(const std::string& key) {
  store(kFailurePrefix + key, std::make_shared<const std::string>(), 0, true);
}

bool MetadataCache::recent_failure(const std::string& key) {
  Found found = lookup(kFailurePrefix + key);
  return found.value && found.age.fresh;
}

std::shared_ptr<const std::string> MetadataCache::manifest(const std::string& key) {
  return std::static_pointer_cast<const std::string>(lookup(kManifestPrefix + key).value);
}

void MetadataCache::put_manifest(const std::string& key, std::string body) {
  std::size_t bytes = body.size();
  store(kManifestPrefix + key, std::make_shared<const std::string>(std::move(body)), bytes, false);
}

std::size_t MetadataCache::bytes_used() {
  std::lock_guard lock(mutex_);
  return bytes_;
}

std::string identity_key(const std::string& authorization) {
  if (authorization.empty()) return "-";
  return sha256_hex(authorization).substr(0, 32);
}

std::string service_cache_prefix(const std::string& service, const std::string& authorization) {
  return service + "\n" + identity_key(authorization) + "\n";
}

}  // namespace otr
