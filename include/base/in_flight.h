// Calls made once while they are in flight: the first caller for a key makes the call; callers that
// arrive while it runs wait for its outcome (its value, or its exception) instead of making the same
// call again. Nothing is kept once the call returns: caching is the caller's business. Used for
// registry calls that many requests of a worker process need at the same moment (a tag list, a
// token) so that a burst of clients sends one call, not one per client.
//
// Thread-safe. T must be copyable: every caller gets its own copy of the one result.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

namespace otr {

template <class T>
class InFlight {
 public:
  // The outcome of `call` for `key`, made by this caller or by the one already making it. `joined`,
  // when given, says which (true: this caller waited for another's call).
  T run(const std::string& key, const std::function<T()>& call, bool* joined = nullptr) {
    std::shared_ptr<Flight> flight;
    bool leader = false;
    {
      std::lock_guard lock(mutex_);
      auto it = flights_.find(key);
      if (it == flights_.end()) {
        flight = std::make_shared<Flight>();
        flights_.emplace(key, flight);
        leader = true;
      } else {
        flight = it->second;
        ++flight->waiting;
      }
    }
    if (joined != nullptr) *joined = !leader;
    if (!leader) {
      std::unique_lock lock(flight->mutex);
      flight->finished.wait(lock, [&] { return flight->done; });
      if (flight->error) std::rethrow_exception(flight->error);
      return *flight->value;
    }
    std::optional<T> value;
    std::exception_ptr error;
    try {
      value.emplace(call());
    } catch (...) {
      error = std::current_exception();
    }
    {
      std::lock_guard lock(mutex_);
      flights_.erase(key);
    }
    {
      std::lock_guard lock(flight->mutex);
      flight->value = value;
      flight->error = error;
      flight->done = true;
    }
    flight->finished.notify_all();
    if (error) std::rethrow_exception(error);
    return std::move(*value);
  }

  // Whether a call for `key` is being made now.
  bool running(const std::string& key) const {
    std::lock_guard lock(mutex_);
    return flights_.count(key) > 0;
  }

  // How many callers are waiting for the call being made now for `key` (0 when none is): what
  // shows that callers share a call, for tests and diagnostics.
  std::size_t waiting(const std::string& key) const {
    std::lock_guard lock(mutex_);
    auto it = flights_.find(key);
    return it == flights_.end() ? 0 : it->second->waiting;
  }

 private:
  struct Flight {
    std::mutex mutex;
    std::condition_variable finished;
    std::size_t waiting = 0;  // callers that joined; guarded by InFlight::mutex_
    bool done = false;
    std::optional<T> value;
    std::exception_ptr error;
  };
  mutable std::mutex mutex_;
  std::map<std::string, std::shared_ptr<Flight>> flights_;
};

}  // namespace otr
