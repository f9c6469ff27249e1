// An HttpTransport that times every call it passes on and counts it in the pool's metrics by kind
// (tags, manifest, blob, upload, token, other: by the URL) and outcome (by the status or the
// transport error). The application puts it between its services and the real transport.
// Thread-safe as the transport it wraps.
#pragma once

#include "http/client.h"
#include "http/metrics.h"

namespace otr {

class MeteredTransport : public HttpTransport {
 public:
  // `inner` and `metrics` must outlive this.
  MeteredTransport(HttpTransport& inner, PoolMetrics& metrics) : inner_(inner), metrics_(metrics) {}
  IncomingResponse fetch(const OutgoingRequest& request) override;
  std::vector<IncomingResponse> fetch_all(const std::vector<OutgoingRequest>& requests) override;
  IncomingResponse stream(const OutgoingRequest& request, const HeadersCallback& on_headers,
                          const DataCallback& on_data) override;

 private:
  void count(const OutgoingRequest& request, const IncomingResponse& response, double seconds);
  HttpTransport& inner_;
  PoolMetrics& metrics_;
};

}  // namespace otr
