#include "http/metrics.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>

#include "base/log.h"

namespace otr {

namespace {

constexpr const char* kKindNames[] = {"discovery", "health",   "page",     "provider_index", "provider_version",
                                      "versions",  "download", "checksums", "package",       "module_versions",
                                      "module_download", "metrics", "other"};
constexpr const char* kCallNames[] = {"tags", "manifest", "blob", "upload", "token", "other"};
constexpr const char* kOutcomeNames[] = {"ok", "not_found", "denied", "failed", "timeout", "unreachable"};
constexpr const char* kExitNames[] = {"recycled", "failed", "killed", "drained"};
static_assert(std::size(kKindNames) == static_cast<std::size_t>(RequestKind::kCount));
static_assert(std::size(kCallNames) == static_cast<std::size_t>(RegistryCallKind::kCount));
static_assert(std::size(kOutcomeNames) == static_cast<std::size_t>(CallOutcome::kCount));
static_assert(std::size(kExitNames) == static_cast<std::size_t>(WorkerExit::kCount));

bool ends_with(std::string_view s, std::string_view tail) { return s.size() >= tail.size() && s.ends_with(tail); }

// A label value as the exposition format wants it: \, " and newline escaped.
std::string label_value(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

std::string number(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%.6g", v);
  return text;
}

std::uint64_t load(const std::atomic<std::uint64_t>& a) { return a.load(std::memory_order_relaxed); }

// Where the block lives: a private object, or a shared anonymous mapping.
struct Region {
  PoolMetrics* metrics = nullptr;
  std::unique_ptr<PoolMetrics> own;
  void* mapping = nullptr;
  bool shared = false;
};

Region& region() {
  static Region r;
  if (r.metrics == nullptr) {
    r.own = std::make_unique<PoolMetrics>();
    r.metrics = r.own.get();
  }
  return r;
}

}  // namespace

RequestKind request_kind(std::string_view path) {
  if (path == "/.well-known/terraform.json") return RequestKind::kDiscovery;
  if (path == "/healthz") return RequestKind::kHealth;
  if (path == "/metrics") return RequestKind::kMetrics;
  if (path.find("/_packages/") != std::string_view::npos) return RequestKind::kPackage;
  if (path.ends_with("/")) return RequestKind::kPage;
  if (ends_with(path, "/index.json")) return RequestKind::kProviderIndex;
  if (ends_with(path, ".json")) return RequestKind::kProviderVersion;
  if (ends_with(path, "/SHA256SUMS") || ends_with(path, "/SHA256SUMS.sig")) return RequestKind::kChecksums;
  if (path.find("/download/") != std::string_view::npos) return RequestKind::kDownload;
  if (ends_with(path, "/download")) return RequestKind::kModuleDownload;
  if (ends_with(path, "/versions")) {
    // <svc>/<ns>/<type>/versions (providers) or <svc>/<ns>/<name>/<system>/versions (modules).
    std::size_t slashes = 0;
    for (char c : path) slashes += c == '/';
    return slashes >= 5 ? RequestKind::kModuleVersions : RequestKind::kVersions;
  }
  return RequestKind::kOther;
}

RegistryCallKind registry_call_kind(std::string_view url) {
  std::string_view path = url.substr(0, url.find('?'));
  if (path.find("/v2/") == std::string_view::npos) return url.find("scope=") != std::string_view::npos
                                                               ? RegistryCallKind::kToken
                                                               : RegistryCallKind::kOther;
  if (path.find("/blobs/uploads") != std::string_view::npos) return RegistryCallKind::kUpload;
  if (path.find("/blobs/") != std::string_view::npos) return RegistryCallKind::kBlob;
  if (path.find("/manifests/") != std::string_view::npos) return RegistryCallKind::kManifest;
  if (ends_with(path, "/tags/list")) return RegistryCallKind::kTags;
  return RegistryCallKind::kOther;
}

void PoolMetrics::Histogram::observe(double seconds) {
  for (std::size_t i = 0; i < kBuckets.size(); ++i)
    if (seconds <= kBuckets[i]) {
      buckets[i].fetch_add(1, std::memory_order_relaxed);
      break;
    }
  count.fetch_add(1, std::memory_order_relaxed);
  micros.fetch_add(static_cast<std::uint64_t>(std::llround(std::max(seconds, 0.0) * 1e6)), std::memory_order_relaxed);
}

void PoolMetrics::set_services(const std::vector<std::string>& names) {
  // A name keeps the slot it was given first (a reload that reorders services never relabels what
  // was counted), new names take the next free slot, and a slot is written once, before the count
  // that makes readers look at it is published.
  std::size_t n = service_count_.load(std::memory_order_acquire);
  for (const std::string& name : names) {
    if (n >= kMaxServices) break;
    const std::string stored = name.substr(0, kServiceNameBytes - 1);
    bool known = false;
    for (std::size_t i = 0; i < n && !known; ++i) known = stored == names_[i].data();
    if (known) continue;
    std::array<char, kServiceNameBytes>& slot = names_[n];
    slot.fill('\0');
    std::memcpy(slot.data(), stored.data(), stored.size());
    service_count_.store(static_cast<std::uint32_t>(++n), std::memory_order_release);
  }
}

std::size_t PoolMetrics::service_slot(const std::string& service) const {
  const std::size_t n = service_count_.load(std::memory_order_acquire);
  for (std::size_t i = 0; i < n; ++i)
    if (service == names_[i].data()) return i;
  return kMaxServices;  // "" : not a service (discovery, healthz, an unknown name)
}

void PoolMetrics::request_finished(const std::string& service, RequestKind kind, int status, double seconds,
                                   std::uint64_t bytes) {
  in_flight_.fetch_sub(1, std::memory_order_relaxed);
  const std::size_t s = service_slot(service), k = static_cast<std::size_t>(kind);
  std::size_t code = kCodes.size();
  for (std::size_t i = 0; i < kCodes.size(); ++i)
    if (kCodes[i] == status) code = i;
  requests_[s][k][code].fetch_add(1, std::memory_order_relaxed);
  durations_[s][k].observe(seconds);
  bytes_[s].fetch_add(bytes, std::memory_order_relaxed);
}

void PoolMetrics::registry_call(RegistryCallKind kind, CallOutcome outcome, double seconds) {
  const std::size_t k = static_cast<std::size_t>(kind);
  calls_[k][static_cast<std::size_t>(outcome)].fetch_add(1, std::memory_order_relaxed);
  call_durations_[k].observe(seconds);
}

void PoolMetrics::cache(int hits, int misses, int stale, int shared) {
  if (hits > 0) cache_hits_.fetch_add(static_cast<std::uint64_t>(hits), std::memory_order_relaxed);
  if (misses > 0) cache_misses_.fetch_add(static_cast<std::uint64_t>(misses), std::memory_order_relaxed);
  if (stale > 0) cache_stale_.fetch_add(static_cast<std::uint64_t>(stale), std::memory_order_relaxed);
  if (shared > 0) cache_shared_.fetch_add(static_cast<std::uint64_t>(shared), std::memory_order_relaxed);
}

std::string PoolMetrics::render(pid_t pid) const {
  const std::string pid_label = pid != 0 ? "pid=\"" + std::to_string(pid) + "\"" : "";
  // "{a,b,pid}" from the labels given (each already `name="value"`).
  const auto labels = [&](std::initializer_list<std::string> given) {
    std::string out;
    for (const std::string& l : given)
      if (!l.empty()) out += (out.empty() ? "" : ",") + l;
    if (!pid_label.empty()) out += (out.empty() ? "" : ",") + pid_label;
    return out.empty() ? std::string() : "{" + out + "}";
  };
  std::string out;
  const auto head = [&](const char* name, const char* type, const char* help) {
    out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
  };
  const auto histogram = [&](const std::string& name, const Histogram& h, const std::string& base) {
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < kBuckets.size(); ++i) {
      cumulative += load(h.buckets[i]);
      out += name + "_bucket" + labels({base, "le=\"" + number(kBuckets[i]) + "\""}) + " " +
             std::to_string(cumulative) + "\n";
    }
    out += name + "_bucket" + labels({base, "le=\"+Inf\""}) + " " + std::to_string(load(h.count)) + "\n";
    out += name + "_sum" + labels({base}) + " " + number(static_cast<double>(load(h.micros)) / 1e6) + "\n";
    out += name + "_count" + labels({base}) + " " + std::to_string(load(h.count)) + "\n";
  };
  const std::size_t services = service_count_.load(std::memory_order_acquire);
  const auto service_label = [&](std::size_t s) {
    return "service=\"" + label_value(s < services ? std::string_view(names_[s].data()) : std::string_view()) + "\"";
  };

  head("otr_requests_total", "counter", "Requests answered, by service, kind of request and status code (0: other).");
  for (std::size_t s = 0; s < kServiceSlots; ++s)
    for (std::size_t k = 0; k < kKinds; ++k)
      for (std::size_t c = 0; c <= kCodes.size(); ++c)
        if (std::uint64_t n = load(requests_[s][k][c]); n > 0)
          out += "otr_requests_total" +
                 labels({service_label(s), std::string("kind=\"") + kKindNames[k] + "\"",
                         "code=\"" + std::to_string(c < kCodes.size() ? kCodes[c] : 0) + "\""}) +
                 " " + std::to_string(n) + "\n";
  head("otr_request_duration_seconds", "histogram", "Time from a request's arrival to the end of its answer.");
  for (std::size_t s = 0; s < kServiceSlots; ++s)
    for (std::size_t k = 0; k < kKinds; ++k)
      if (load(durations_[s][k].count) > 0)
        histogram("otr_request_duration_seconds", durations_[s][k],
                  service_label(s) + std::string(",kind=\"") + kKindNames[k] + "\"");
  head("otr_response_bytes_total", "counter", "Body bytes sent (package bytes included), by service.");
  for (std::size_t s = 0; s < kServiceSlots; ++s)
    if (std::uint64_t n = load(bytes_[s]); n > 0)
      out += "otr_response_bytes_total" + labels({service_label(s)}) + " " + std::to_string(n) + "\n";
  head("otr_requests_in_flight", "gauge", "Requests being answered now.");
  out += "otr_requests_in_flight" + labels({}) + " " +
         std::to_string(std::max<std::int64_t>(0, in_flight_.load(std::memory_order_relaxed))) + "\n";
  head("otr_registry_calls_total", "counter", "Calls to origin registries and their token services, by kind and outcome.");
  for (std::size_t k = 0; k < kCalls; ++k)
    for (std::size_t o = 0; o < kOutcomes; ++o)
      if (std::uint64_t n = load(calls_[k][o]); n > 0)
        out += "otr_registry_calls_total" +
               labels({std::string("kind=\"") + kCallNames[k] + "\"", std::string("outcome=\"") + kOutcomeNames[o] + "\""}) +
               " " + std::to_string(n) + "\n";
  head("otr_registry_call_duration_seconds", "histogram", "Duration of calls to origin registries, by kind.");
  for (std::size_t k = 0; k < kCalls; ++k)
    if (load(call_durations_[k].count) > 0)
      histogram("otr_registry_call_duration_seconds", call_durations_[k], std::string("kind=\"") + kCallNames[k] + "\"");
  head("otr_cache_hits_total", "counter", "Metadata answered from a worker's cache.");
  out += "otr_cache_hits_total" + labels({}) + " " + std::to_string(load(cache_hits_)) + "\n";
  head("otr_cache_misses_total", "counter", "Registry calls requests made for what the cache did not have.");
  out += "otr_cache_misses_total" + labels({}) + " " + std::to_string(load(cache_misses_)) + "\n";
  head("otr_cache_stale_total", "counter", "Cached answers served past their TTL (while refreshed, or the registry failing).");
  out += "otr_cache_stale_total" + labels({}) + " " + std::to_string(load(cache_stale_)) + "\n";
  head("otr_cache_shared_total", "counter", "Registry calls a request waited for instead of making them.");
  out += "otr_cache_shared_total" + labels({}) + " " + std::to_string(load(cache_shared_)) + "\n";
  head("otr_worker_starts_total", "counter", "Worker processes started by the pool's master.");
  out += "otr_worker_starts_total" + labels({}) + " " + std::to_string(load(worker_starts_)) + "\n";
  head("otr_worker_exits_total", "counter", "Worker processes that ended, by cause.");
  for (std::size_t c = 0; c < worker_exits_.size(); ++c)
    out += "otr_worker_exits_total" + labels({std::string("cause=\"") + kExitNames[c] + "\""}) + " " +
           std::to_string(load(worker_exits_[c])) + "\n";
  head("otr_reloads_total", "counter", "Configurations reloaded (SIGHUP) and taken.");
  out += "otr_reloads_total" + labels({}) + " " + std::to_string(load(reloads_)) + "\n";
  const auto gauge = [&](const char* name, const char* help, const std::atomic<std::int64_t>& value) {
    head(name, "gauge", help);
    out += name + labels({}) + " " + std::to_string(std::max<std::int64_t>(0, value.load(std::memory_order_relaxed))) +
           "\n";
  };
  gauge("otr_upstream_waiting", "Request threads waiting on an upstream registry now (an import or a listing).",
        upstream_waiting_);
  gauge("otr_imports_running", "Pull-through imports running now.", imports_running_);
  head("otr_upstream_busy_total", "counter",
       "Requests answered 503 at once because every thread allowed to wait on an upstream was waiting.");
  out += "otr_upstream_busy_total" + labels({}) + " " + std::to_string(load(upstream_busy_)) + "\n";
  return out;
}

PoolMetrics& process_metrics() { return *region().metrics; }

bool share_process_metrics() {
  Region& r = region();
  if (r.shared) return true;
  void* mapping = ::mmap(nullptr, sizeof(PoolMetrics), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (mapping == MAP_FAILED) {
    log_warning(std::string("cannot share the metrics between the worker processes (each keeps its own): mmap: ") +
                std::strerror(errno));
    return false;
  }
  // The block lives as long as the process (and its children): the mapping is never unmapped.
  r.metrics = std::construct_at(static_cast<PoolMetrics*>(mapping));
  r.own.reset();
  r.mapping = mapping;
  r.shared = true;
  return true;
}

bool process_metrics_shared() { return region().shared; }

}  // namespace otr
