// Pull-through for one provider service (provider_mirror or provider_registry with an upstream
// block; README "Pull-through"): what the upstream offers, and imports of what it offers that the
// origin does not hold yet.
//
// - releases(): the upstream's versions of a provider, kept upstream.versions_ttl; when the
//   upstream cannot be asked (unreachable, timeout, an error status), nullopt, remembered for
//   upstream.failure_ttl so that a dead upstream costs one attempt per provider and period, never an
//   error for what is stored.
// - import(): one import per release and worker process, on a thread of its own; every request for
//   the release waits on the same import, each at most upstream.import_timeout (then kPending: the
//   import goes on, and a later request finds the release stored). A failed import is answered with
//   its error to the requests that wait for it, and to the requests of the next failure_ttl, without
//   asking the upstream again. At most kMaxImports run at once; a request for another release then
//   gets kPending.
//
// Thread-safe. The destructor cancels imports in flight (they stop before writing the tag) and
// waits for their threads.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <exception>
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
  // At most this many imports run at once in a process (more are answered kPending), and at most
  // this many providers' upstream listings are kept: what a stream of requests for made-up names
  // or many releases can cost is bounded.
  static constexpr std::size_t kMaxImports = 4;
  static constexpr std::size_t kMaxListings = 4096;
  // `service` (whose upstream block is set), `clock` and `transport` must outlive this.
  PullThrough(const ServiceConfig& service, const Clock& clock, HttpTransport& transport);
  ~PullThrough();
  PullThrough(const PullThrough&) = delete;
  PullThrough& operator=(const PullThrough&) = delete;

  // Whether the upstream is asked about `address`: its hostname is one of upstream.hostnames, its
  // namespace allowed by upstream.namespaces / exclude_namespaces.
  bool serves(const ProviderAddress& address) const;

  // The upstream's releases of `address` (platforms narrowed to upstream.platforms); nullopt when it
  // has no such provider or cannot be asked now (logged).
  std::optional<std::vector<UpstreamRelease>> releases(const ProviderAddress& address);

  enum class Outcome {
    kStored,       // the release is in the origin now (imported, or it was already)
    kNotUpstream,  // the upstream has no such provider or version
    kPending,      // still importing after import_timeout: ask again later
  };
  // Makes `release` (as the upstream's listing gives it) of ADDRESS present in `repository` of the
  // origin, importing it unless it is there.
  // Throws what the import threw (UpstreamError: it did not verify; Error: a registry failed).
  Outcome import(const ProviderAddress& address, const std::string& repository, const UpstreamRelease& release);

  const UpstreamConfig& config() const { return upstream_; }

  // The answer while an import outlasts import_timeout: 503, Retry-After, a JSON error saying so.
  static Response pending_response(const ProviderAddress& address, const Version& version);

  // What a provider service does with a version `reader` did not find: import it (when the
  // upstream's listing, cached, has it: a made-up version costs no import; an upstream that cannot
  // be asked is an UpstreamError), then read it
  // through `reader` (once more if the first read fails: a registry another importer is writing the
  // same release into may answer 5xx for a moment). `pending` when the import outlasts
  // import_timeout; `release` empty when the upstream does not have it either. Throws what import()
  // and the read throw.
  struct Found {
    std::optional<Release> release;
    bool pending = false;
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
  };
  // The upstream's listing of `address`, cached (one fetch in flight per provider).
  Listing listing(const ProviderAddress& address);
  void run(std::shared_ptr<Job> job, ProviderAddress address, std::string repository, UpstreamRelease release);
  // Joins the threads of finished imports. Needs mutex_.
  void reap_locked();

  const ServiceConfig& service_;
  const UpstreamConfig& upstream_;
  const Clock& clock_;
  HttpTransport& transport_;
  ProviderSource source_;
  std::atomic<bool> cancelled_{false};
  std::mutex mutex_;
  std::map<std::string, Listing> listings_;           // by "ns/type"
  InFlight<Listing> listing_calls_;
  std::map<std::string, std::shared_ptr<Job>> jobs_;  // by "repository:tag"
  std::vector<std::pair<std::shared_ptr<Job>, std::thread>> threads_;
};

}  // namespace otr
