// What pull-through may hold of a worker process at once, for all its services together (README
// "Pull-through"): at most `max_imports` imports running (each on a thread of its own), and at most
// `max_waiting` request threads waiting on an upstream (for an import, or for a listing being
// fetched), so that the process's other threads go on answering /healthz, /metrics and what is
// stored however slow or hostile an upstream is. Taking a slot never blocks: a request that finds
// none is answered 503 with Retry-After at once.
//
// One per RegistryApp (owned by it, shared through ServiceContext). Thread-safe; the slots in use are
// reported in PoolMetrics, which must outlive this.
#pragma once

#include <cstddef>
#include <mutex>
#include <optional>

#include "http/metrics.h"

namespace otr {

class UpstreamSlots {
 public:
  static constexpr std::size_t kMaxImports = 4;
  // The waiting threads allowed to a process of `worker_threads` threads: half of them, at least one.
  static std::size_t waiting_for(int worker_threads);

  UpstreamSlots(std::size_t max_waiting, std::size_t max_imports, PoolMetrics& metrics);
  UpstreamSlots(const UpstreamSlots&) = delete;
  UpstreamSlots& operator=(const UpstreamSlots&) = delete;

  // A slot taken; given back when it goes out of scope. Must not outlive its UpstreamSlots.
  class Slot {
   public:
    Slot(Slot&& other) noexcept : owner_(other.owner_), import_(other.import_) { other.owner_ = nullptr; }
    Slot& operator=(Slot&&) = delete;
    Slot(const Slot&) = delete;
    ~Slot();

   private:
    friend class UpstreamSlots;
    Slot(UpstreamSlots* owner, bool import) : owner_(owner), import_(import) {}
    UpstreamSlots* owner_;
    bool import_;
  };

  // A request thread about to wait on an upstream; nullopt (counted as busy) when max_waiting wait.
  std::optional<Slot> try_wait();
  // An import about to start; nullopt when max_imports run.
  std::optional<Slot> try_import();

 private:
  void give_back(bool import);

  const std::size_t max_waiting_, max_imports_;
  PoolMetrics& metrics_;
  std::mutex mutex_;
  std::size_t waiting_ = 0, importing_ = 0;
};

}  // namespace otr
