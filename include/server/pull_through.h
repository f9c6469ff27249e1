// Pull-through for one provider service (provider_mirror or provider_registry with an upstream
// block; README "Pull-through"): what the upstream offers, and imports of what it offers that the
// origin does not hold yet.
//
// - releases(): the upstream's versions of a provider, kept upstream.versions_ttl; when the
//   upstream cannot be asked (unreachable, timeout, an error status), nullopt, remembered for
//   upstream.failure_ttl so that a dead upstream costs one attempt per provider and period, never an
//   error for what is stored. At most kMaxListings providers' listings are kept, the least recently
//   used dropped first; listings of providers the upstream does not have (or could not be asked
//   about) are kept apart, at most kMaxMissingListings of them, so that made-up names never push
//   out the listings of real providers.
// - import(): one import per release and worker process, on a thread of its own; every request for
//   the release waits on the same import, each at most upstream.import_timeout (then kPending: the
//   import goes on, and a later request finds the release stored). A failed import is answered with
//   its error to the requests that wait for it, and to the requests of the next failure_ttl, without
//   asking the upstream again.
// - What the process's pull-through may hold at once is bounded by its UpstreamSlots, shared by
//   every service: imports running (then kBusy for a release not being imported yet), and request
//   threads waiting on an upstream (then kBusy at once, or a listing served past its TTL when there
//   is one).
//
// Thread-safe. The destructor cancels imports in flight (they stop before writing the tag) and
// waits for their threads.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "base/clock.h"
#include "base/in_flight.h"
#include "server/release_reader.h"
#include "server/upstream_slots.h"
#include "config/config.h"
#include "http/client.h"
#include "http/message.h"
#include "terraform/naming.h"
#include "terraform/release.h"
#include "terraform/versions.h"
#include "upstream/provider_source.h"

namespace otr {

class PullThrough {
 public:
  static constexpr int kRetryAfterSeconds = 10;
  // At most this many providers' upstream listings are kept, and at most kMaxMissingListings
  // answers that a provider is not upstream (or that the upstream could not be asked): what a
  // stream of requests for made-up names can cost is bounded.
  static constexpr std::size_t kMaxListings = 4096;
  static constexpr std::size_t kMaxMissingListings = 1024;
  // `service` (whose upstream block is set), `clock`, `transport` and `slots` must outlive this.
  PullThrough(const ServiceConfig& service, const Clock& clock, HttpTransport& transport, UpstreamSlots& slots);
  ~PullThrough();
  PullThrough(const PullThrough&) = delete;
  PullThrough& operator=(const PullThrough&) = delete;

  // Whether the upstream is asked about `address`: its hostname is one of upstream.hostnames, its
  // namespace allowed by upstream.namespaces / exclude_namespaces.
  bool serves(const ProviderAddress& address) const;

  // The upstream's releases of `address` (platforms narrowed to upstream.platforms); `releases`
  // nullopt when it has no such provider or cannot be asked now (logged); `busy` when the listing
  // would have to be waited for and every waiting slot is taken (and no earlier listing is kept).
  struct Offer {
    std::optional<std::vector<UpstreamRelease>> releases;
    bool busy = false;
  };
  Offer releases(const ProviderAddress& address);

  enum class Outcome {
    kStored,       // the release is in the origin now (imported, or it was already)
    kNotUpstream,  // the upstream has no such provider or version
    kPending,      // still importing after import_timeout: ask again later
    kBusy,         // not waited for: every waiting slot, or every import slot, is taken
  };
  // Makes `release` (as the upstream's listing gives it) of ADDRESS present in `repository` of the
  // origin, importing it unless it is there.
  // Throws what the import threw (UpstreamError: it did not verify; Error: a registry failed).
  Outcome import(const ProviderAddress& address, const std::string& repository, const UpstreamRelease& release);

  const UpstreamConfig& config() const { return upstream_; }

  // The answer while an import outlasts import_timeout: 503, Retry-After, a JSON error saying so.
  static Response pending_response(const ProviderAddress& address, const Version& version);
  // The answer when the process has no slot to wait on the upstream: 503, Retry-After.
  static Response busy_response();

  // What a provider service does with a version `reader` did not find: import it (when the
  // upstream's listing, cached, has it: a made-up version costs no import; an upstream that cannot
  // be asked is an UpstreamError), then read it
  // through `reader` (once more if the first read fails: a registry another importer is writing the
  // same release into may answer 5xx for a moment). `pending` when the import outlasts
  // import_timeout, `busy` when not waited for (Outcome::kBusy, or a busy listing); `release` empty
  // when the upstream does not have it either. Throws what import() and the read throw.
  struct Found {
    std::optional<Release> release;
    bool pending = false;
    bool busy = false;
  };
  Found find_or_import(ReleaseReader& reader, const ProviderAddress& address, const std::string& repository,
                       const Version& version);

  // Versions listed by `stored` or by `upstream`, ascending, each once.
  static std::vector<Version> merged_versions(const std::vector<Version>& stored,
                                              const std::vector<UpstreamRelease>& upstream);
  // The summaries of `upstream` releases that `stored` lacks, for the versions document.
  static std::vector<ReleaseSummary> upstream_only(const std::vector<Version>& stored,
                                                   const std::vector<UpstreamRelease>& upstream);

 private:
  struct Job;
  struct Listing {
    Clock::Steady::time_point expires;
    std::optional<std::vector<UpstreamRelease>> releases;
    bool failed = false;  // the upstream could not be asked (else: it has no such provider)
    bool busy = false;    // not asked: no waiting slot (never kept)
  };
  struct Kept {
    Listing listing;
    bool found = false;                          // in found_order_, else in missing_order_
    std::list<std::string>::iterator position;  // in that list
  };
  // The upstream's listing of `address`, cached (one fetch in flight per provider).
  Listing listing(const ProviderAddress& address);
  // Keeps `listing` for `key`, dropping the least recently used beyond the bounds. Needs mutex_.
  void keep_locked(const std::string& key, const Listing& listing);
  void run(std::shared_ptr<Job> job, ProviderAddress address, std::string repository, UpstreamRelease release,
           UpstreamSlots::Slot slot);
  // Joins the threads of finished imports. Needs mutex_.
  void reap_locked();

  const ServiceConfig& service_;
  const UpstreamConfig& upstream_;
  const Clock& clock_;
  HttpTransport& transport_;
  UpstreamSlots& slots_;
  ProviderSource source_;
  std::atomic<bool> cancelled_{false};
  std::mutex mutex_;
  std::map<std::string, Kept> listings_;       // by "ns/type"
  std::list<std::string> found_order_;          // keys of found listings, most recently used first
  std::list<std::string> missing_order_;        // the others
  InFlight<Listing> listing_calls_;
  std::map<std::string, std::shared_ptr<Job>> jobs_;  // by "repository:tag"
  std::vector<std::pair<std::shared_ptr<Job>, std::thread>> threads_;
};

}  // namespace otr
