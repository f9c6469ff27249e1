#include "server/upstream_slots.h"

#include <algorithm>

namespace otr {

std::size_t UpstreamSlots::waiting_for(int worker_threads) {
  return static_cast<std::size_t>(std::max(1, worker_threads / 2));
}

UpstreamSlots::UpstreamSlots(std::size_t max_waiting, std::size_t max_imports, PoolMetrics& metrics)
    : max_waiting_(max_waiting), max_imports_(max_imports), metrics_(metrics) {}

UpstreamSlots::Slot::~Slot() {
  if (owner_ != nullptr) owner_->give_back(import_);
}

std::optional<UpstreamSlots::Slot> UpstreamSlots::try_wait() {
  {
    std::lock_guard lock(mutex_);
    if (waiting_ < max_waiting_) {
      ++waiting_;
      metrics_.upstream_waiting(1);
      return Slot(this, false);
    }
  }
  metrics_.upstream_busy();
  return std::nullopt;
}

std::optional<UpstreamSlots::Slot> UpstreamSlots::try_import() {
  std::lock_guard lock(mutex_);
  if (importing_ >= max_imports_) return std::nullopt;
  ++importing_;
  metrics_.imports_running(1);
  return Slot(this, true);
}

void UpstreamSlots::give_back(bool import) {
  std::lock_guard lock(mutex_);
  if (import) {
    --importing_;
    metrics_.imports_running(-1);
  } else {
    --waiting_;
    metrics_.upstream_waiting(-1);
  }
}

}  // namespace otr
