#include "server/pull_through.h"

#include <algorithm>

#include "base/error.h"
#include "base/log.h"
#include "base/strings.h"
#include "http/responses.h"
#include "oci/layout_writer.h"
#include "oci/origin.h"
#include "oci/push.h"
#include "upstream/release_import.h"

namespace otr {

namespace {

// The server's import lines go to the log.
class LogObserver : public ImportObserver {
 public:
  void line(const std::string& text) override { log_info("pull-through: " + trim(text)); }
};

std::unique_ptr<ArtifactTarget> target_of(const ServiceConfig& service, HttpTransport& transport, const Clock& clock) {
  if (is_layout_origin(service.origin_url))
    return std::make_unique<OciLayoutTarget>(layout_directory(service.origin_url));
  RegistryEndpoint endpoint = endpoint_of(service);
  endpoint.credentials = service.upstream.write_credentials;
  return std::make_unique<RegistryTarget>(std::move(endpoint), transport, clock);
}

bool listed(const std::vector<std::string>& list, const std::string& item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

}  // namespace

struct PullThrough::Job {
  std::mutex mutex;
  std::condition_variable finished;
  bool done = false;
  Outcome outcome = Outcome::kNotUpstream;
  std::exception_ptr error;
  Clock::Steady::time_point done_at;
};

PullThrough::PullThrough(const ServiceConfig& service, const Clock& clock, HttpTransport& transport,
                         UpstreamSlots& slots)
    : service_(service),
      upstream_(service.upstream),
      clock_(clock),
      transport_(transport),
      slots_(slots),
      source_(service.upstream, transport, service.origin.connect_timeout, service.origin.request_timeout,
              service.origin.download_stall_timeout) {}

PullThrough::~PullThrough() {
  cancelled_ = true;
  std::vector<std::pair<std::shared_ptr<Job>, std::thread>> threads;
  {
    std::lock_guard lock(mutex_);
    threads.swap(threads_);
  }
  for (auto& [job, thread] : threads)
    if (thread.joinable()) thread.join();
}

bool PullThrough::serves(const ProviderAddress& address) const {
  if (!listed(upstream_.hostnames, address.hostname)) return false;
  if (!upstream_.namespaces.empty() && !listed(upstream_.namespaces, address.ns)) return false;
  return !listed(upstream_.exclude_namespaces, address.ns);
}

PullThrough::Listing PullThrough::listing(const ProviderAddress& address) {
  const std::string key = address.ns + "/" + address.type;
  std::optional<Listing> expired;
  {
    std::lock_guard lock(mutex_);
    if (auto it = listings_.find(key); it != listings_.end()) {
      std::list<std::string>& order = it->second.found ? found_order_ : missing_order_;
      order.splice(order.begin(), order, it->second.position);
      if (it->second.listing.expires > clock_.steady_now()) return it->second.listing;
      expired = it->second.listing;
    }
  }
  // Fetching (or joining the fetch in flight) waits on the upstream: only with a slot to wait in.
  std::optional<UpstreamSlots::Slot> waiting = slots_.try_wait();
  if (!waiting) {
    log_warning("pull-through: every thread allowed to wait on the upstream is waiting; the versions of " +
                address.to_string() + (expired ? " are answered from the expired listing" : " are not asked for"));
    if (expired) return *expired;
    Listing busy;
    busy.busy = true;
    return busy;
  }
  return listing_calls_.run(key, [&] {
    const auto now = clock_.steady_now();
    Listing fetched;
    try {
      fetched.releases = source_.releases(address.ns, address.type);
      fetched.expires = now + upstream_.versions_ttl;
      if (fetched.releases)
        for (UpstreamRelease& r : *fetched.releases) r.platforms = platforms_to_import(r, upstream_.platforms);
    } catch (const Error& e) {
      log_warning("pull-through: the versions of " + address.to_string() + " cannot be read from the upstream " +
                  upstream_.url + " (answering with what is stored): " + e.what());
      fetched.releases.reset();
      fetched.failed = true;
      fetched.expires = now + upstream_.failure_ttl;
    }
    std::lock_guard lock(mutex_);
    keep_locked(key, fetched);
    return fetched;
  });
}

void PullThrough::keep_locked(const std::string& key, const Listing& listing) {
  if (auto it = listings_.find(key); it != listings_.end()) {
    (it->second.found ? found_order_ : missing_order_).erase(it->second.position);
    listings_.erase(it);
  }
  const bool found = listing.releases.has_value();
  std::list<std::string>& order = found ? found_order_ : missing_order_;
  order.push_front(key);
  listings_[key] = Kept{listing, found, order.begin()};
  const std::size_t bound = found ? kMaxListings : kMaxMissingListings;
  while (order.size() > bound) {
    listings_.erase(order.back());
    order.pop_back();
  }
}

PullThrough::Offer PullThrough::releases(const ProviderAddress& address) {
  Listing l = listing(address);
  return {std::move(l.releases), l.busy};
}

void PullThrough::reap_locked() {
  const auto now = clock_.steady_now();
  for (auto it = jobs_.begin(); it != jobs_.end();) {
    std::unique_lock job_lock(it->second->mutex);
    const bool forget = it->second->done && (it->second->outcome == Outcome::kStored || it->second->error == nullptr ||
                                             now - it->second->done_at >= upstream_.failure_ttl);
    job_lock.unlock();
    it = forget ? jobs_.erase(it) : std::next(it);
  }
  for (auto it = threads_.begin(); it != threads_.end();) {
    bool done;
    {
      std::lock_guard job_lock(it->first->mutex);
      done = it->first->done;
    }
    if (done) {
      it->second.join();
      it = threads_.erase(it);
    } else {
      ++it;
    }
  }
}

PullThrough::Outcome PullThrough::import(const ProviderAddress& address, const std::string& repository,
                                         const UpstreamRelease& release) {
  const Version& version = release.version;
  const std::string key = repository + ":" + version_to_tag(version);
  std::shared_ptr<Job> job;
  {
    std::lock_guard lock(mutex_);
    reap_locked();
    // Only failed imports outlive reap_locked(), for failure_ttl: answered without asking again.
    if (auto it = jobs_.find(key); it != jobs_.end()) job = it->second;
    if (!job) {
      std::optional<UpstreamSlots::Slot> running = slots_.try_import();
      if (!running) {
        log_warning("pull-through: " + std::to_string(UpstreamSlots::kMaxImports) + " imports are running; " +
                    address.to_string() + " " + version.to_string() + " is asked to wait");
        return Outcome::kBusy;
      }
      job = std::make_shared<Job>();
      // May throw: nothing kept, and the slot is given back.
      std::thread thread(&PullThrough::run, this, job, address, repository, release, std::move(*running));
      jobs_[key] = job;
      threads_.emplace_back(job, std::move(thread));
    }
  }
  std::unique_lock job_lock(job->mutex);
  if (!job->done) {
    std::optional<UpstreamSlots::Slot> waiting = slots_.try_wait();
    if (!waiting) return Outcome::kBusy;  // the import goes on; a later request finds it done
    if (!job->finished.wait_for(job_lock, upstream_.import_timeout, [&] { return job->done; }))
      return Outcome::kPending;
  }
  if (job->error) std::rethrow_exception(job->error);
  return job->outcome;
}

PullThrough::Found PullThrough::find_or_import(ReleaseReader& reader, const ProviderAddress& address,
                                               const std::string& repository, const Version& version) {
  Found found;
  Listing offered = listing(address);
  if (offered.busy) {
    found.busy = true;
    return found;
  }
  if (offered.failed)
    throw UpstreamError("the upstream registry cannot be reached now, and " + address.to_string() + " " +
                        version.to_string() + " is not stored; try again later");
  if (!offered.releases) return found;  // no such provider upstream
  auto listed = std::find_if(offered.releases->begin(), offered.releases->end(), [&](const UpstreamRelease& r) {
    return compare_versions(r.version, version) == 0 && !r.platforms.empty();
  });
  if (listed == offered.releases->end()) return found;  // not upstream (or none of its platforms imported)
  switch (import(address, repository, *listed)) {
    case Outcome::kPending: found.pending = true; return found;
    case Outcome::kBusy: found.busy = true; return found;
    case Outcome::kNotUpstream: return found;
    case Outcome::kStored: break;
  }
  try {
    found.release = reader.release(repository, version);
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::kBadResponse && e.kind() != ErrorKind::kUnreachable) throw;
    log_info("pull-through: reading " + address.to_string() + " " + version.to_string() +
             " back failed once, read again: " + e.what());
    found.release = reader.release(repository, version);
  }
  return found;
}

void PullThrough::run(std::shared_ptr<Job> job, ProviderAddress address, std::string repository,
                      UpstreamRelease release, UpstreamSlots::Slot slot) {
  const Version& version = release.version;
  const std::string what = address.to_string() + " " + version.to_string();
  const auto started = std::chrono::steady_clock::now();
  Outcome outcome = Outcome::kNotUpstream;
  std::exception_ptr error;
  try {
    std::unique_ptr<ArtifactTarget> target = target_of(service_, transport_, clock_);
    LogObserver observer;
    ImportResult result = import_provider_release(source_, *target, repository, address, version,
                                                  upstream_.platforms, observer, &cancelled_, {}, &release);
    std::chrono::duration<double> took = std::chrono::steady_clock::now() - started;
    switch (result.outcome) {
      case ImportOutcome::kImported:
        outcome = Outcome::kStored;
        log_info("pull-through: imported " + what + " from " + upstream_.url + " into " + target->location(repository) +
                 " (" + std::to_string(result.platforms.size()) + " platforms, " + std::to_string(result.bytes) +
                 " bytes, " + std::to_string(took.count()) + " s) @" + result.index_digest);
        break;
      case ImportOutcome::kAlreadyStored:
        outcome = Outcome::kStored;
        break;
      case ImportOutcome::kNotUpstream:
        log_info("pull-through: " + what + " is not in the upstream " + upstream_.url);
        break;
    }
  } catch (const Error& e) {
    log_warning("pull-through: the import of " + what + " from " + upstream_.url + " failed; nothing was tagged: " +
                e.what());
    // The registry refusing our write credentials is this server's problem, not the caller's: never
    // a 401 that would send the client looking for credentials of its own.
    error = e.kind() == ErrorKind::kUnauthorized
                ? std::make_exception_ptr(Error(ErrorKind::kUnavailable,
                                                "the registry refused to store an import (check the upstream block's "
                                                "write_credentials, else origin_credentials): " + std::string(e.what())))
                : std::current_exception();
  } catch (const std::exception& e) {
    log_error("pull-through: the import of " + what + " failed: " + e.what());
    error = std::make_exception_ptr(Error(ErrorKind::kInternal, e.what()));
  }
  { UpstreamSlots::Slot finished = std::move(slot); }  // given back as the import ends
  std::lock_guard lock(job->mutex);
  job->done = true;
  job->outcome = outcome;
  job->error = error;
  job->done_at = clock_.steady_now();
  job->finished.notify_all();
}

Response PullThrough::pending_response(const ProviderAddress& address, const Version& version) {
  Response r = json_error(503, address.to_string() + " " + version.to_string() +
                                   " is being imported from the upstream registry; try again shortly");
  r.headers.set("Retry-After", std::to_string(kRetryAfterSeconds));
  return r;
}

Response PullThrough::busy_response() {
  Response r = json_error(503, "this server is busy fetching from its upstream registry; try again shortly");
  r.headers.set("Retry-After", std::to_string(kRetryAfterSeconds));
  return r;
}

std::vector<Version> PullThrough::merged_versions(const std::vector<Version>& stored,
                                                  const std::vector<UpstreamRelease>& upstream) {
  std::vector<Version> out = stored;
  for (const UpstreamRelease& r : upstream)
    if (!r.platforms.empty()) out.push_back(r.version);
  std::sort(out.begin(), out.end(), [](const Version& a, const Version& b) { return compare_versions(a, b) < 0; });
  out.erase(std::unique(out.begin(), out.end(),
                        [](const Version& a, const Version& b) { return compare_versions(a, b) == 0; }),
            out.end());
  return out;
}

std::vector<ReleaseSummary> PullThrough::upstream_only(const std::vector<Version>& stored,
                                                       const std::vector<UpstreamRelease>& upstream) {
  std::vector<ReleaseSummary> out;
  for (const UpstreamRelease& r : upstream) {
    if (r.platforms.empty()) continue;
    const bool is_stored = std::any_of(stored.begin(), stored.end(),
                                       [&](const Version& v) { return compare_versions(v, r.version) == 0; });
    if (!is_stored) out.push_back({r.version, r.platforms, r.protocols});
  }
  return out;
}

}  // namespace otr
