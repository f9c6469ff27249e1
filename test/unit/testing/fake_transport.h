// A scripted HttpTransport for unit tests: answers requests from a list of rules, in order, and
// records every request it saw. Not thread-safe (tests are single-threaded).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "http/client.h"

namespace otr::testing {

struct ScriptedAnswer {
  ScriptedAnswer(int status = 200, std::vector<std::pair<std::string, std::string>> headers = {},
                 std::string body = "", TransportError error = TransportError::kNone)
      : status(status), headers(std::move(headers)), body(std::move(body)), error(error) {}
  int status;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  TransportError error;
};

class FakeTransport : public HttpTransport {
 public:
  // A rule answers requests whose method and URL it matches (`url_prefix` compared as a prefix),
  // `times` times (0 = forever). Rules are tried in the order they were added.
  void on(std::string method, std::string url_prefix, ScriptedAnswer answer, int times = 0) {
    rules_.push_back({std::move(method), std::move(url_prefix), std::move(answer), times});
  }

  IncomingResponse fetch(const OutgoingRequest& request) override {
    seen.push_back(request);
    const ScriptedAnswer& a = answer_for(request);
    IncomingResponse r;
    r.error = a.error;
    if (a.error != TransportError::kNone) {
      r.error_message = "scripted failure";
      return r;
    }
    r.status = a.status;
    for (const auto& [name, value] : a.headers) r.headers.add(name, value);
    if (request.method != "HEAD") {
      if (a.body.size() > request.max_body) {
        r.error = TransportError::kTooLarge;
        r.error_message = "body over max_body";
        return r;
      }
      r.body = a.body;
    }
    if (request.body_source) {  // drain an upload body as the network would
      char buffer[4096];
      std::int64_t sent = 0;
      while (sent < request.body_size) {
        std::size_t n = request.body_source(buffer, sizeof buffer);
        if (n == 0) break;
        sent += static_cast<std::int64_t>(n);
      }
    }
    return r;
  }

  std::vector<IncomingResponse> fetch_all(const std::vector<OutgoingRequest>& requests) override {
    std::vector<IncomingResponse> out;
    for (const OutgoingRequest& r : requests) out.push_back(fetch(r));
    return out;
  }

  IncomingResponse stream(const OutgoingRequest& request, const HeadersCallback& on_headers,
                          const DataCallback& on_data) override {
    seen.push_back(request);
    const ScriptedAnswer& a = answer_for(request);
    IncomingResponse r;
    r.error = a.error;
    if (a.error != TransportError::kNone) return r;
    r.status = a.status;
    for (const auto& [name, value] : a.headers) r.headers.add(name, value);
    if (!on_headers(r.status, r.headers)) {
      r.error = TransportError::kAborted;
      return r;
    }
    // Delivered in small chunks, as the network would.
    for (std::size_t at = 0; at < a.body.size(); at += 7) {
      if (!on_data(std::string_view(a.body).substr(at, 7))) {
        r.error = TransportError::kAborted;
        return r;
      }
    }
    return r;
  }

  // The Authorization header value of a recorded request, or "" when it had none.
  static std::string authorization(const OutgoingRequest& r) {
    for (const std::string& h : r.headers)
      if (h.rfind("Authorization: ", 0) == 0) return h.substr(15);
    return {};
  }

  std::vector<OutgoingRequest> seen;

 private:
  struct Rule {
    std::string method;
    std::string url_prefix;
    ScriptedAnswer answer;
    int times;
    int used = 0;
  };

  const ScriptedAnswer& answer_for(const OutgoingRequest& request) {
    for (Rule& rule : rules_) {
      if (rule.method != request.method || request.url.rfind(rule.url_prefix, 0) != 0) continue;
      if (rule.times > 0 && rule.used >= rule.times) continue;
      ++rule.used;
      return rule.answer;
    }
    static const ScriptedAnswer not_scripted{599, {}, "no rule for this request", TransportError::kNone};
    return not_scripted;
  }

  std::vector<Rule> rules_;
};

}  // namespace otr::testing
