// The counters behind GET /metrics (README "Metrics"), for the whole worker pool: one block of
// lock-free atomics that the master maps shared before it forks its workers, so that a worker's
// recycling or a reload never resets them; a process a web server spawned (mod_fcgid, lighttpd)
// keeps a block of its own and labels what it reports with its pid.
//
// Label sets are fixed-size tables (services by their index in the configuration, kinds of
// request, status codes, kinds and outcomes of registry calls), so recording is a few atomic adds
// and never allocates. Thread-safe and fork-safe.
#pragma once

#include <sys/types.h>

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace otr {

enum class RequestKind : std::size_t {
  kDiscovery, kHealth, kPage, kProviderIndex, kProviderVersion, kVersions, kDownload, kChecksums,
  kPackage, kModuleVersions, kModuleDownload, kMetrics, kOther, kCount
};
enum class RegistryCallKind : std::size_t { kTags, kManifest, kBlob, kUpload, kToken, kOther, kCount };
enum class CallOutcome : std::size_t { kOk, kNotFound, kDenied, kFailed, kTimeout, kUnreachable, kCount };
enum class WorkerExit : std::size_t { kRecycled, kFailed, kKilled, kDrained, kCount };

// The kind of a request by its path below the mount ("/mirror/registry.terraform.io/a/b/index.json").
RequestKind request_kind(std::string_view path);
// The kind of a registry call by its URL.
RegistryCallKind registry_call_kind(std::string_view url);

class PoolMetrics {
 public:
  static constexpr std::size_t kMaxServices = 16;  // services beyond are counted as ""
  static constexpr std::size_t kServiceNameBytes = 64;
  static constexpr std::array<int, 15> kCodes = {200, 204, 206, 301, 304, 400, 401, 403,
                                                  404, 405, 409, 416, 500, 502, 503};  // others: 0 ("other")
  static constexpr std::array<double, 11> kBuckets = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                       0.1,   0.25,   1,     5,    30};  // seconds

  // The services counted by name (the master sets them at start and on reload): a name keeps its
  // slot across reloads; names beyond kMaxServices are counted as "".
  void set_services(const std::vector<std::string>& names);

  void request_started() { in_flight_.fetch_add(1, std::memory_order_relaxed); }
  void request_finished(const std::string& service, RequestKind kind, int status, double seconds,
                        std::uint64_t bytes);
  void registry_call(RegistryCallKind kind, CallOutcome outcome, double seconds);
  void cache(int hits, int misses, int stale, int shared);
  void worker_started() { worker_starts_.fetch_add(1, std::memory_order_relaxed); }
  void worker_exited(WorkerExit cause) {
    worker_exits_[static_cast<std::size_t>(cause)].fetch_add(1, std::memory_order_relaxed);
  }
  void reloaded() { reloads_.fetch_add(1, std::memory_order_relaxed); }
  // Pull-through (server/upstream_slots.h): request threads waiting on an upstream, imports running,
  // and requests turned away at once because every waiting slot was taken.
  void upstream_waiting(int delta) { upstream_waiting_.fetch_add(delta, std::memory_order_relaxed); }
  void imports_running(int delta) { imports_running_.fetch_add(delta, std::memory_order_relaxed); }
  void upstream_busy() { upstream_busy_.fetch_add(1, std::memory_order_relaxed); }

  // The Prometheus text exposition (version 0.0.4). `pid`, when not 0, labels every series.
  std::string render(pid_t pid) const;

 private:
  struct Histogram {
    std::array<std::atomic<std::uint64_t>, kBuckets.size()> buckets{};  // cumulative at render time
    std::atomic<std::uint64_t> count{0};
    std::atomic<std::uint64_t> micros{0};  // the sum, in microseconds
    void observe(double seconds);
  };
  static constexpr std::size_t kKinds = static_cast<std::size_t>(RequestKind::kCount);
  static constexpr std::size_t kCalls = static_cast<std::size_t>(RegistryCallKind::kCount);
  static constexpr std::size_t kOutcomes = static_cast<std::size_t>(CallOutcome::kCount);
  static constexpr std::size_t kServiceSlots = kMaxServices + 1;  // the last: unknown services

  std::size_t service_slot(const std::string& service) const;

  std::array<std::array<char, kServiceNameBytes>, kMaxServices> names_{};
  std::atomic<std::uint32_t> service_count_{0};
  std::array<std::array<std::array<std::atomic<std::uint64_t>, kCodes.size() + 1>, kKinds>, kServiceSlots> requests_{};
  std::array<std::array<Histogram, kKinds>, kServiceSlots> durations_{};
  std::array<std::atomic<std::uint64_t>, kServiceSlots> bytes_{};
  std::array<std::array<std::atomic<std::uint64_t>, kOutcomes>, kCalls> calls_{};
  std::array<Histogram, kCalls> call_durations_{};
  std::atomic<std::uint64_t> cache_hits_{0}, cache_misses_{0}, cache_stale_{0}, cache_shared_{0};
  std::atomic<std::int64_t> in_flight_{0};
  std::atomic<std::uint64_t> worker_starts_{0};
  std::array<std::atomic<std::uint64_t>, static_cast<std::size_t>(WorkerExit::kCount)> worker_exits_{};
  std::atomic<std::uint64_t> reloads_{0};
  std::atomic<std::int64_t> upstream_waiting_{0}, imports_running_{0};
  std::atomic<std::uint64_t> upstream_busy_{0};
};

// This process's metrics: a private block until share_process_metrics() is called.
PoolMetrics& process_metrics();
// Moves this process's metrics into shared memory, for the children it forks afterwards (call in
// the master before the first fork, before any thread exists). False (logged) when it cannot.
bool share_process_metrics();
// Whether the block is shared by a pool (else it is this process's own, and carries its pid).
bool process_metrics_shared();

}  // namespace otr
