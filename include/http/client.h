// Outgoing HTTP: one-shot requests with bodies held in memory up to a limit, several requests at
// once, streamed downloads, and uploads (a small body in memory, or a body streamed from a
// callback, e.g. a file read in chunks).
//
// HttpTransport is the seam: the OCI client talks to it, libcurl implements it (curl_transport(),
// the only code that touches libcurl), unit tests give a fake.
//
// libcurl: DNS answers and TLS sessions are shared by every thread of the process, connections by
// each thread's reused handles, so a worker reuses its connections to a registry. Redirects are
// never followed here: callers decide whether credentials may go to the next host. Every transfer
// has a connect timeout and either a total or a stall timeout. Callbacks may throw: the exception
// never crosses libcurl; the transfer is stopped and the exception rethrown to the caller of
// fetch/fetch_all/stream, and a transfer that failed never leaves a handle behind for reuse.
//
// A request's `addresses` policy is checked against the address each connection actually goes to:
// a new connection to an address the policy refuses is never opened (the next address of the name
// is tried), and a reused one is checked again before the request is sent on it; a transfer that
// found no allowed address fails with kRefused. Behind a proxy (libcurl's *_proxy environment
// variables) the address checked is the proxy's.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "http/address_policy.h"
#include "http/message.h"

namespace otr {

// Call once in main(), before any thread exists.
void http_global_init();

struct OutgoingRequest {
  std::string method = "GET";  // "GET", "HEAD", or with a request body "POST", "PUT", "PATCH"
  std::string url;
  std::vector<std::string> headers;  // "Name: value"
  Seconds connect_timeout{5};
  Seconds total_timeout{30};   // 0 = no total limit (streams)
  Seconds stall_timeout{0};    // cut when under 1 byte/s for this long; 0 = off
  std::size_t max_body = 4u << 20;  // one-shot requests only
  std::string ca_file;              // PEM CA bundle instead of the system's; "" = the system's
  AddressPolicy addresses = AddressPolicy::kAny;  // which addresses the connection may go to
  // Request body of POST/PUT/PATCH, sent with its Content-Length: `body`, or else `body_source`,
  // called for the next bytes into `buffer` (at most `size`), returning how many it wrote; it must
  // deliver exactly `body_size` bytes. A source that throws stops the transfer and its exception
  // reaches the caller. Streamed bodies cannot be replayed: the caller retries with a fresh source.
  std::string body;
  std::function<std::size_t(char* buffer, std::size_t size)> body_source;
  std::int64_t body_size = 0;
};

enum class TransportError {
  kNone,
  kTimeout,      // connect or total or stall timeout
  kUnreachable,  // DNS failure, connection refused, TLS handshake failure
  kTooLarge,     // body over max_body
  kAborted,      // a callback asked to stop
  kRefused,      // the request's address policy refused the address connected to (error_message names it)
  kOther,
};

struct IncomingResponse {
  TransportError error = TransportError::kNone;
  std::string error_message;  // for logs; never contains credentials
  int status = 0;             // 0 when no response arrived
  Headers headers;            // of the last response received
  std::string body;           // one-shot requests only
};

// Called once status and headers are in; return false to stop before the body.
using HeadersCallback = std::function<bool(int status, const Headers& headers)>;
// Called for every body chunk; return false to abort the transfer.
using DataCallback = std::function<bool(std::string_view chunk)>;

// Where outgoing requests go. Implementations are thread-safe: one serves every thread.
class HttpTransport {
 public:
  virtual ~HttpTransport() = default;
  // One request; the body is held in memory up to request.max_body.
  virtual IncomingResponse fetch(const OutgoingRequest& request) = 0;
  // Several requests at once; results come back in the same order.
  virtual std::vector<IncomingResponse> fetch_all(const std::vector<OutgoingRequest>& requests) = 0;
  // Streams the body to `on_data` without holding it. The result's body stays empty.
  virtual IncomingResponse stream(const OutgoingRequest& request, const HeadersCallback& on_headers,
                                  const DataCallback& on_data) = 0;
};

// The process's libcurl transport (fetch_all: at most 8 connections per host per thread, the rest
// wait their turn). Valid for the life of the process, after http_global_init().
HttpTransport& curl_transport();

}  // namespace otr
