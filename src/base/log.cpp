#include "base/log.h"

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <mutex>
#include <string>

#include "base/file_io.h"

namespace otr {

namespace {

std::atomic<LogFormat> g_format{LogFormat::kText};
std::atomic<bool> g_journald{std::getenv("JOURNAL_STREAM") != nullptr};

const char* level_name(LogLevel level) {
  switch (level) {
    case LogLevel::kError: return "error";
    case LogLevel::kWarning: return "warning";
    case LogLevel::kInfo: return "info";
  }
  return "info";
}

const char* journald_prefix(LogLevel level) {
  switch (level) {
    case LogLevel::kError: return "<3>";
    case LogLevel::kWarning: return "<4>";
    case LogLevel::kInfo: return "<6>";
  }
  return "<6>";
}

std::string timestamp() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  tm parts{};
  gmtime_r(&ts.tv_sec, &parts);
  char buf[40];
  size_t n = strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &parts);
  snprintf(buf + n, sizeof buf - n, ".%03ldZ", ts.tv_nsec / 1000000);
  return buf;
}

void append_json_string(std::string& out, std::string_view s) {
  out += '"';
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
}

// Control characters would let a request path forge log lines.
std::string printable(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7f) {
      char buf[8];
      snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

void emit(std::string line) {
  line += '\n';
  // One write per line keeps lines whole across threads and processes sharing stderr. A log that
  // cannot be written has nowhere to say so.
  (void)write_all(STDERR_FILENO, line);
}

std::string text_prefix(LogLevel level) {
  if (g_journald) return journald_prefix(level);
  return timestamp() + " " + level_name(level) + " [" + std::to_string(getpid()) + "] ";
}

}  // namespace

void log_configure(LogFormat format) { g_format = format; }

void log_message(LogLevel level, std::string_view message) {
  if (g_format == LogFormat::kJson) {
    std::string line = "{\"time\":\"" + timestamp() + "\",\"level\":\"" + level_name(level) +
                       "\",\"pid\":" + std::to_string(getpid()) + ",\"message\":";
    append_json_string(line, message);
    line += '}';
    emit(std::move(line));
    return;
  }
  emit(text_prefix(level) + printable(message));
}

void log_access(const AccessLogEntry& e) {
  char duration[32];
  snprintf(duration, sizeof duration, "%.1f", e.duration_ms);
  if (g_format == LogFormat::kJson) {
    std::string line = "{\"time\":\"" + timestamp() + "\",\"level\":\"info\",\"pid\":" +
                       std::to_string(getpid()) + ",\"method\":";
    append_json_string(line, e.method);
    line += ",\"path\":";
    append_json_string(line, e.path);
    line += ",\"status\":" + std::to_string(e.status) + ",\"bytes\":" + std::to_string(e.bytes) +
            ",\"duration_ms\":" + duration + ",\"registry_calls\":" +
            std::to_string(e.registry_calls) + ",\"cache_hits\":" + std::to_string(e.cache_hits);
    if (e.stale != 0) line += ",\"stale\":" + std::to_string(e.stale);
    if (e.shared != 0) line += ",\"shared\":" + std::to_string(e.shared);
    if (!e.request_id.empty()) {
      line += ",\"request_id\":";
      append_json_string(line, e.request_id);
    }
    line += '}';
    emit(std::move(line));
    return;
  }
  std::string line = text_prefix(LogLevel::kInfo) + printable(e.method) + " " + printable(e.path) +
                     " " + std::to_string(e.status) + " " + std::to_string(e.bytes) + "B " +
                     duration + "ms registry=" + std::to_string(e.registry_calls) +
                     " cache_hits=" + std::to_string(e.cache_hits);
  if (e.stale != 0) line += " stale=" + std::to_string(e.stale);
  if (e.shared != 0) line += " shared=" + std::to_string(e.shared);
  if (!e.request_id.empty()) line += " id=" + printable(e.request_id);
  emit(std::move(line));
}

}  // namespace otr
