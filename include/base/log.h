// One line per event on stderr. Under journald (JOURNAL_STREAM set) lines carry a <N> priority
// prefix and no timestamp; otherwise an ISO-8601 time, the level and the pid. With
// LogFormat::kJson every line is a JSON object.
//
// Never pass credentials, tokens or query strings to these functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>


namespace otr {

enum class LogFormat { kText, kJson };

enum class LogLevel { kError, kWarning, kInfo };

// Call once at start-up (and again after a reload changes the format). Thread-safe afterwards.
void log_configure(LogFormat format);

void log_message(LogLevel level, std::string_view message);
inline void log_error(std::string_view m) { log_message(LogLevel::kError, m); }
inline void log_warning(std::string_view m) { log_message(LogLevel::kWarning, m); }
inline void log_info(std::string_view m) { log_message(LogLevel::kInfo, m); }

struct AccessLogEntry {
  std::string_view method;
  std::string_view path;        // without the query string
  int status = 0;
  std::uint64_t bytes = 0;      // body bytes sent
  double duration_ms = 0;
  int registry_calls = 0;       // round trips to the origin registry
  int cache_hits = 0;
  int stale = 0;                // cached answers served past their TTL (shown when not 0)
  int shared = 0;               // registry calls waited for instead of made (shown when not 0)
  std::string_view request_id;  // may be empty
};
void log_access(const AccessLogEntry& entry);

}  // namespace otr
