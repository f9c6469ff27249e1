#include "server/metered_transport.h"

#include <chrono>

namespace otr {

namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

CallOutcome outcome_of(const IncomingResponse& r) {
  switch (r.error) {
    case TransportError::kNone: break;
    case TransportError::kTimeout: return CallOutcome::kTimeout;
    case TransportError::kUnreachable: return CallOutcome::kUnreachable;
    case TransportError::kAborted:  // stopped by us after the headers: judged by the status
      if (r.status != 0) break;
      return CallOutcome::kFailed;
    default: return CallOutcome::kFailed;
  }
  if (r.status == 404) return CallOutcome::kNotFound;
  if (r.status == 401 || r.status == 403) return CallOutcome::kDenied;
  if (r.status >= 200 && r.status < 400) return CallOutcome::kOk;
  return CallOutcome::kFailed;
}

}  // namespace

void MeteredTransport::count(const OutgoingRequest& request, const IncomingResponse& response, double seconds) {
  metrics_.registry_call(registry_call_kind(request.url), outcome_of(response), seconds);
}

IncomingResponse MeteredTransport::fetch(const OutgoingRequest& request) {
  const auto start = std::chrono::steady_clock::now();
  IncomingResponse r = inner_.fetch(request);
  count(request, r, seconds_since(start));
  return r;
}

std::vector<IncomingResponse> MeteredTransport::fetch_all(const std::vector<OutgoingRequest>& requests) {
  const auto start = std::chrono::steady_clock::now();
  std::vector<IncomingResponse> all = inner_.fetch_all(requests);
  const double seconds = seconds_since(start);  // concurrent: each took at most this long
  for (std::size_t i = 0; i < all.size() && i < requests.size(); ++i) count(requests[i], all[i], seconds);
  return all;
}

IncomingResponse MeteredTransport::stream(const OutgoingRequest& request, const HeadersCallback& on_headers,
                                          const DataCallback& on_data) {
  const auto start = std::chrono::steady_clock::now();
  try {
    IncomingResponse r = inner_.stream(request, on_headers, on_data);
    count(request, r, seconds_since(start));
    return r;
  } catch (...) {  // a callback threw (a digest mismatch, a client gone): the call failed
    IncomingResponse failed;
    failed.error = TransportError::kOther;
    count(request, failed, seconds_since(start));
    throw;
  }
}

}  // namespace otr
