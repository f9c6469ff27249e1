#include "server/release_reader.h"

#include <algorithm>
#include <tuple>

#include "base/error.h"
#include "base/log.h"
#include "base/names.h"
#include "terraform/module_zip.h"

namespace otr {

ReleaseReader::ReleaseReader(std::unique_ptr<OciReader> origin, MetadataCache& cache, std::string cache_prefix,
                             RequestStats& stats)
    : origin_(std::move(origin)), cache_(cache), prefix_(std::move(cache_prefix)), stats_(stats) {}

namespace {

// A failure of the registry itself, which a stale answer may cover; never a refusal (401, 403) or
// an absence (404), which are answers.
bool is_outage(const Error& e) {
  return e.kind() == ErrorKind::kUnreachable || e.kind() == ErrorKind::kTimeout || e.kind() == ErrorKind::kBadResponse;
}

}  // namespace

// Every lookup below follows one rule for an answer `aged` cached under `key`: fresh, it is used;
// past its TTL it is still used while another request refreshes it (stale_while_revalidate) or while
// the registry has just failed (stale_if_error, the failure remembered for one TTL); otherwise this
// request asks the registry, sharing the call with the requests that need it at the same moment,
// and falls back on it when the registry fails. A 404 drops it.
template <class T>
bool ReleaseReader::usable_now(const MetadataCache::Aged<T>& aged, const std::string& key, bool refreshing) {
  if (!aged.value) return false;
  if (aged.age.fresh) return true;
  return (aged.age.if_error && cache_.recent_failure(key)) || (aged.age.while_revalidating && refreshing);
}

void ReleaseReader::count_cached(const MetadataCache::Age& age, int answers) {
  stats_.cache_hits += answers;
  if (!age.fresh) stats_.stale += answers;
}

std::optional<std::vector<Version>> ReleaseReader::versions(const std::string& repository) {
  std::string key = repo_key(repository);
  MetadataCache::Aged<std::vector<std::string>> cached = cache_.aged_tags(key);
  std::shared_ptr<const std::vector<std::string>> tags;
  if (usable_now(cached, key, cache_.tag_calls().running(key))) {
    count_cached(cached.age);
    tags = cached.value;
  } else {
    try {
      bool joined = false;
      std::optional<std::vector<std::string>> fetched = cache_.tag_calls().run(
          key,
          [&] {
            std::optional<std::vector<std::string>> t = origin_->find_tags(repository);
            if (t) cache_.put_tags(key, *t);
            else cache_.forget_tags(key);
            return t;
          },
          &joined);
      if (joined) ++stats_.shared;
      if (!fetched) return std::nullopt;
      tags = std::make_shared<const std::vector<std::string>>(std::move(*fetched));
    } catch (const Error& e) {
      if (!cached.value || !cached.age.if_error || !is_outage(e)) throw;
      cache_.put_failure(key);
      log_warning("serving the cached tag list of " + repository + " while the registry fails: " + e.what());
      count_cached(cached.age);
      tags = cached.value;
    }
  }
  std::vector<Version> out;
  for (const std::string& tag : *tags)
    if (auto v = version_from_tag(tag)) out.push_back(std::move(*v));
  std::sort(out.begin(), out.end(), [](const Version& a, const Version& b) { return compare_versions(a, b) < 0; });
  out.erase(std::unique(out.begin(), out.end(),
                        [](const Version& a, const Version& b) { return compare_versions(a, b) == 0; }),
            out.end());
  if (out.size() > kMaxListedVersions) {
    log_warning(repository + " has " + std::to_string(out.size()) + " versions; only the newest " +
                std::to_string(kMaxListedVersions) + " are served");
    out.erase(out.begin(), out.end() - static_cast<std::ptrdiff_t>(kMaxListedVersions));
  }
  return out;
}

std::vector<std::shared_ptr<const std::string>> ReleaseReader::manifests(const std::string& repository,
                                                                         const std::vector<std::string>& references) {
  const std::string key = repo_key(repository);
  std::vector<std::shared_ptr<const std::string>> bodies(references.size());
  std::vector<std::shared_ptr<const std::string>> stale(references.size());  // past their TTL
  MetadataCache::Age oldest;  // of the stale ones: what all of them may be used for
  std::vector<std::string> missing;
  std::vector<size_t> missing_at;
  for (size_t i = 0; i < references.size(); ++i) {
    const std::string& ref = references[i];
    if (is_valid_digest(ref)) {
      bodies[i] = cache_.manifest(key + "@" + ref);  // by digest: never stale
    } else if (MetadataCache::Aged<std::string> d = cache_.aged_tag_digest(key + ":" + ref); d.value) {
      std::shared_ptr<const std::string> body = cache_.manifest(key + "@" + *d.value);
      if (d.age.fresh) {
        bodies[i] = body;
      } else if (body) {
        stale[i] = body;
        oldest.fresh = false;
        oldest.while_revalidating = oldest.while_revalidating && d.age.while_revalidating;
        oldest.if_error = oldest.if_error && d.age.if_error;
      }
    }
    if (bodies[i]) {
      ++stats_.cache_hits;
    } else {
      missing.push_back(ref);
      missing_at.push_back(i);
    }
  }
  if (missing.empty()) return bodies;
  // The stale answers stand in for what is missing only when there is one for each of them.
  const bool all_stale = std::all_of(missing_at.begin(), missing_at.end(), [&](size_t i) { return stale[i] != nullptr; });
  std::string batch = key;
  for (const std::string& ref : missing) batch += "\n" + ref;
  const auto use_stale = [&] {
    for (size_t i : missing_at) bodies[i] = stale[i];
    count_cached(oldest, static_cast<int>(missing.size()));
    return bodies;
  };
  if (all_stale && ((oldest.if_error && cache_.recent_failure(batch)) ||
                    (oldest.while_revalidating && cache_.manifest_batches().running(batch))))
    return use_stale();
  std::vector<FetchedManifest> fetched;
  try {
    bool joined = false;
    fetched = cache_.manifest_batches().run(
        batch,
        [&] {
          std::vector<FetchedManifest> got;
          try {
            got = origin_->get_manifests(repository, missing, kReleaseManifestLimit);
          } catch (const Error& e) {
            // A tag that is gone must not come back from the cache in a later outage.
            if (e.kind() == ErrorKind::kNotFound)
              for (const std::string& ref : missing)
                if (!is_valid_digest(ref)) cache_.forget_tag_digest(key + ":" + ref);
            throw;
          }
          for (size_t j = 0; j < got.size(); ++j) {
            // Cached by the digest it was asked by (verified against it), else by its sha256.
            const bool by_digest = is_valid_digest(missing[j]);
            if (!by_digest) cache_.put_tag_digest(key + ":" + missing[j], got[j].digest);
            cache_.put_manifest(key + "@" + (by_digest ? missing[j] : got[j].digest), got[j].body);
          }
          return got;
        },
        &joined);
    if (joined) ++stats_.shared;
  } catch (const Error& e) {
    if (!all_stale || !oldest.if_error || !is_outage(e)) throw;
    cache_.put_failure(batch);
    log_warning("serving cached manifests of " + repository + " while the registry fails: " + e.what());
    return use_stale();
  }
  for (size_t j = 0; j < fetched.size(); ++j)
    bodies[missing_at[j]] = std::make_shared<const std::string>(std::move(fetched[j].body));
  return bodies;
}

std::shared_ptr<const std::string> ReleaseReader::tagged_manifest(const std::string& repository, const std::string& tag,
                                                                  std::string* digest) {
  const std::string key = repo_key(repository);
  const std::string tag_key = key + ":" + tag;
  MetadataCache::Aged<std::string> cached = cache_.aged_tag_digest(tag_key);
  MetadataCache::Aged<std::string> body{cached.value ? cache_.manifest(key + "@" + *cached.value) : nullptr, cached.age};
  const auto serve_cached = [&] {
    count_cached(body.age);
    if (digest != nullptr) *digest = *cached.value;
    return body.value;
  };
  if (usable_now(body, tag_key, cache_.manifest_calls().running(tag_key))) return serve_cached();
  std::optional<FetchedManifest> fetched;
  try {
    bool joined = false;
    fetched = cache_.manifest_calls().run(
        tag_key,
        [&] {
          std::optional<FetchedManifest> f = origin_->find_manifest(repository, tag, kReleaseManifestLimit);
          if (f) {
            cache_.put_tag_digest(tag_key, f->digest);
            cache_.put_manifest(key + "@" + f->digest, f->body);
          } else {
            cache_.forget_tag_digest(tag_key);
          }
          return f;
        },
        &joined);
    if (joined) ++stats_.shared;
  } catch (const Error& e) {
    if (!body.value || !body.age.if_error || !is_outage(e)) throw;
    cache_.put_failure(tag_key);
    log_warning("serving the cached manifest of " + repository + ":" + tag + " while the registry fails: " + e.what());
    return serve_cached();
  }
  if (!fetched) return nullptr;
  if (digest != nullptr) *digest = fetched->digest;
  return std::make_shared<const std::string>(std::move(fetched->body));
}

std::shared_ptr<const std::string> ReleaseReader::manifest_by_digest(const std::string& repository,
                                                                     const std::string& digest) {
  return manifests(repository, {digest})[0];
}

std::string ReleaseReader::small_blob(const std::string& repository, const std::string& digest, std::size_t limit) {
  const std::string key = repo_key(repository) + "@" + digest;
  if (auto hit = cache_.manifest(key)) {
    ++stats_.cache_hits;
    return *hit;
  }
  const auto too_large = [&] { return Error(ErrorKind::kBadResponse, "blob " + digest + " is larger than expected"); };
  std::string out;
  origin_->stream_blob(
      repository, digest,
      [&](const BlobInfo& info) {
        if (info.size > static_cast<std::int64_t>(limit)) throw too_large();
        return true;
      },
      [&](std::string_view chunk) {
        if (out.size() + chunk.size() > limit) throw too_large();
        out.append(chunk);
        return true;
      });
  cache_.put_manifest(key, out);
  return out;
}

namespace {

ReleaseSummary summarize(const Version& version, const std::string& body) {
  ReleaseManifest m = parse_release_manifest(body, "");
  ReleaseSummary s{version, {}, m.protocols};
  for (const auto& p : m.platform_manifests) s.platforms.emplace_back(p.os, p.arch);
  for (const auto& p : m.packages) s.platforms.emplace_back(p.os, p.arch);
  std::sort(s.platforms.begin(), s.platforms.end());
  s.platforms.erase(std::unique(s.platforms.begin(), s.platforms.end()), s.platforms.end());
  return s;
}

// A failure that concerns one version only: the listing goes on without it.
bool skippable(const Error& e) { return e.kind() == ErrorKind::kNotFound || e.kind() == ErrorKind::kBadResponse; }

}  // namespace

std::vector<ReleaseSummary> ReleaseReader::summaries(const std::string& repository,
                                                     const std::vector<Version>& versions) {
  std::vector<ReleaseSummary> out;
  std::vector<std::string> skipped;
  for (size_t start = 0; start < versions.size(); start += kSummaryBatch) {
    size_t end = std::min(versions.size(), start + kSummaryBatch);
    std::vector<std::string> tags;
    for (size_t i = start; i < end; ++i) tags.push_back(version_to_tag(versions[i]));
    std::vector<std::shared_ptr<const std::string>> bodies;
    try {
      bodies = manifests(repository, tags);
    } catch (const Error& e) {
      if (!skippable(e)) throw;
      bodies.clear();  // one of the batch failed: find out which, one at a time
      for (const std::string& tag : tags) {
        try {
          bodies.push_back(manifests(repository, {tag})[0]);
        } catch (const Error& one) {
          if (!skippable(one)) throw;
          bodies.push_back(nullptr);
          skipped.push_back(tag + " (" + one.what() + ")");
        }
      }
    }
    for (size_t i = start; i < end; ++i) {
      const auto& body = bodies[i - start];
      if (!body) continue;
      try {
        out.push_back(summarize(versions[i], *body));
      } catch (const Error& e) {
        skipped.push_back(tags[i - start] + " (" + e.what() + ")");
      }
    }
  }
  if (!skipped.empty()) {
    std::string list;
    for (size_t i = 0; i < skipped.size() && i < 5; ++i) list += (i == 0 ? "" : "; ") + skipped[i];
    log_warning(repository + ": " + std::to_string(skipped.size()) + " version(s) left out of the listing: " + list +
                (skipped.size() > 5 ? "; ..." : ""));
  }
  return out;
}

std::optional<Release> ReleaseReader::release(const std::string& repository, const Version& version) {
  Release out;
  auto top = tagged_manifest(repository, version_to_tag(version), &out.digest);
  if (!top) return std::nullopt;
  ReleaseManifest m = parse_release_manifest(*top, "");
  out.protocols = m.protocols;
  out.shasums_manifest = m.shasums_manifest;
  out.created = m.created;
  out.source = m.source;
  out.packages = std::move(m.packages);
  if (!m.platform_manifests.empty()) {
    std::vector<std::string> digests;
    for (const auto& p : m.platform_manifests) digests.push_back(p.digest);
    auto bodies = manifests(repository, digests);
    for (size_t i = 0; i < bodies.size(); ++i)
      out.packages.push_back(parse_platform_manifest(*bodies[i], m.platform_manifests[i]));
  }
  std::sort(out.packages.begin(), out.packages.end(), [](const PlatformPackage& a, const PlatformPackage& b) {
    return std::tie(a.os, a.arch) < std::tie(b.os, b.arch);
  });
  return out;
}

std::optional<RepositoryPage> ReleaseReader::repositories(const std::string& prefix, const std::string& after,
                                                          std::size_t limit) {
  // Kept as a tag list: "catalog" or "none", the next page's start, then the names.
  const std::string key = prefix_ + "\n_catalog\n" + prefix + "\n" + after + "\n" + std::to_string(limit);
  std::shared_ptr<const std::vector<std::string>> cached = cache_.tags(key);
  if (!cached) {
    std::optional<RepositoryPage> page = origin_->find_repositories(prefix, after, limit);
    std::vector<std::string> entry{page ? "catalog" : "none", page ? page->next : ""};
    if (page) entry.insert(entry.end(), page->names.begin(), page->names.end());
    cache_.put_tags(key, entry);
    cached = std::make_shared<const std::vector<std::string>>(std::move(entry));
  } else {
    count_cached(MetadataCache::Age{});
  }
  if (cached->size() < 2 || (*cached)[0] != "catalog") return std::nullopt;
  RepositoryPage page;
  page.next = (*cached)[1];
  page.names.assign(cached->begin() + 2, cached->end());
  return page;
}

ReleaseReader::Readme ReleaseReader::module_readme(const std::string& repository, const std::string& zip_digest) {
  // Kept as one string: its first byte the state ('N', 'S', 'T' shown truncated, 'L', 'U').
  const std::string key = repo_key(repository) + "@" + zip_digest + "#README.md";
  std::shared_ptr<const std::string> cached = cache_.manifest(key);
  if (!cached) {
    std::string zip;
    bool too_large = false;
    origin_->stream_blob(
        repository, zip_digest,
        [&](const BlobInfo& info) {
          too_large = info.size > static_cast<std::int64_t>(kMaxReadmeZip);
          return !too_large;
        },
        [&](std::string_view data) {
          if (zip.size() + data.size() > kMaxReadmeZip) {
            too_large = true;
            return false;
          }
          zip.append(data);
          return true;
        });
    std::string entry;
    if (too_large) {
      entry = "L";
    } else {
      try {
        std::optional<ZipText> readme = zip_read_entry(zip, "README.md", kMaxReadme);
        entry = !readme ? std::string("N") : (readme->truncated ? "T" : "S") + readme->text;
      } catch (const Error& e) {
        log_warning("README of " + repository + "@" + zip_digest + ": " + e.what());
        entry = "U";
      }
    }
    cache_.put_manifest(key, entry);
    cached = std::make_shared<const std::string>(std::move(entry));
  }
  Readme out;
  switch (cached->empty() ? 'N' : (*cached)[0]) {
    case 'S': out.state = Readme::State::kShown; break;
    case 'T': out.state = Readme::State::kShown; out.truncated = true; break;
    case 'L': out.state = Readme::State::kTooLarge; break;
    case 'U': out.state = Readme::State::kUnreadable; break;
    default: out.state = Readme::State::kNone;
  }
  if (out.state == Readme::State::kShown) out.text = cached->substr(1);
  return out;
}

}  // namespace otr
