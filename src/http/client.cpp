#include "http/client.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <exception>
#include <memory>
#include <mutex>
#include <stdexcept>

#include "base/file_io.h"
#include "base/version_info.h"

namespace otr {

namespace {

// ---- RAII for libcurl handles ----

struct EasyDeleter {
  void operator()(CURL* h) const { curl_easy_cleanup(h); }
};
using EasyPtr = std::unique_ptr<CURL, EasyDeleter>;

struct MultiDeleter {
  void operator()(CURLM* h) const { curl_multi_cleanup(h); }
};
using MultiPtr = std::unique_ptr<CURLM, MultiDeleter>;

struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
using SlistPtr = std::unique_ptr<curl_slist, SlistDeleter>;

// The process-wide share of DNS answers and TLS sessions, with one mutex per data kind.
// Connections are not shared between threads (libcurl does not support that); each thread keeps
// its own through its reused handles below.
class Share {
 public:
  Share() : handle_(curl_share_init()) {
    if (handle_ == nullptr) throw std::runtime_error("curl_share_init failed");
    // Without its locks the share would be a data race between threads: every option must take.
    if (curl_share_setopt(handle_, CURLSHOPT_LOCKFUNC, &Share::lock) != CURLSHE_OK ||
        curl_share_setopt(handle_, CURLSHOPT_UNLOCKFUNC, &Share::unlock) != CURLSHE_OK ||
        curl_share_setopt(handle_, CURLSHOPT_USERDATA, this) != CURLSHE_OK ||
        curl_share_setopt(handle_, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS) != CURLSHE_OK ||
        curl_share_setopt(handle_, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION) != CURLSHE_OK) {
      curl_share_cleanup(handle_);
      throw std::runtime_error("cannot set up libcurl's shared DNS and TLS session cache");
    }
  }
  ~Share() { curl_share_cleanup(handle_); }
  Share(const Share&) = delete;
  Share& operator=(const Share&) = delete;
  CURLSH* get() const { return handle_; }

 private:
  static void lock(CURL*, curl_lock_data data, curl_lock_access, void* self) {
    static_cast<Share*>(self)->mutexes_[index(data)].lock();
  }
  static void unlock(CURL*, curl_lock_data data, void* self) {
    static_cast<Share*>(self)->mutexes_[index(data)].unlock();
  }
  static size_t index(curl_lock_data data) {
    size_t i = static_cast<size_t>(data);
    return i < kSlots ? i : 0;
  }
  static constexpr size_t kSlots = CURL_LOCK_DATA_LAST;
  CURLSH* handle_;
  std::array<std::mutex, kSlots> mutexes_;
};

Share& share() {
  static Share instance;  // created on first use, i.e. in the worker process after fork
  return instance;
}

// ---- one transfer ----

struct Transfer {
  const OutgoingRequest* request = nullptr;
  IncomingResponse response;
  const HeadersCallback* on_headers = nullptr;  // streaming only
  const DataCallback* on_data = nullptr;        // streaming only
  bool headers_delivered = false;
  std::size_t body_sent = 0;  // of request->body
  bool too_large = false;
  bool aborted = false;
  std::string refused_address;  // an address request->addresses did not allow ("" = none)
  // An exception thrown by a caller's callback: caught inside the libcurl callback (it must never
  // unwind through libcurl), the transfer aborted, and rethrown once libcurl has returned.
  std::exception_ptr failure;
  char error_buffer[CURL_ERROR_SIZE] = {};
  EasyPtr owned;        // concurrent transfers own their handle
  CURL* easy = nullptr;  // the handle in use (owned, or this thread's reusable one)
  SlistPtr header_list;
  long buffer_size = 0;  // CURLOPT_BUFFERSIZE; 0 = libcurl's default

  bool deliver_headers() {
    if (headers_delivered) return true;
    headers_delivered = true;
    if (on_headers == nullptr) return true;
    return (*on_headers)(response.status, response.headers);
  }
};

// Every libcurl callback goes through this: an exception may not unwind through libcurl (the
// handle would be left mid-transfer and unusable), so it is kept in the Transfer, the transfer is
// stopped with `abort_value`, and the exception is rethrown once libcurl has returned.
template <class Body>
size_t guarded(Transfer* t, size_t abort_value, Body&& body) {
  try {
    return body();
  } catch (...) {
    t->failure = std::current_exception();
    t->aborted = true;
    return abort_value;
  }
}

size_t on_header_line(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  return guarded(t, 0, [&]() -> size_t {
    std::string_view line(data, size * count);
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
    if (line.starts_with("HTTP/")) {
      // A new response (after 100-continue or an auth round): start over.
      t->response.headers = Headers();
      size_t sp = line.find(' ');
      t->response.status = sp == std::string_view::npos ? 0 : std::atoi(std::string(line.substr(sp + 1, 3)).c_str());
      return size * count;
    }
    size_t colon = line.find(':');
    if (colon != std::string_view::npos && colon > 0) {
      std::string_view value = line.substr(colon + 1);
      while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
      t->response.headers.add(std::string(line.substr(0, colon)), std::string(value));
    }
    return size * count;
  });
}

size_t on_body(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  return guarded(t, 0, [&]() -> size_t {
    size_t n = size * count;
    if (t->on_data != nullptr) {
      if (!t->deliver_headers() || !(*t->on_data)(std::string_view(data, n))) {
        t->aborted = true;
        return 0;
      }
      return n;
    }
    if (t->response.body.size() + n > t->request->max_body) {
      t->too_large = true;
      return 0;
    }
    t->response.body.append(data, n);
    return n;
  });
}

size_t on_read(char* buffer, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  return guarded(t, CURL_READFUNC_ABORT, [&]() -> size_t {
    const OutgoingRequest& r = *t->request;
    size_t room = size * count;
    if (r.body_source) return r.body_source(buffer, room);
    size_t n = std::min(room, r.body.size() - t->body_sent);
    r.body.copy(buffer, n, t->body_sent);
    t->body_sent += n;
    return n;
  });
}

// This thread's handle for one-at-a-time transfers: reusing it keeps its connections alive, so a
// worker thread talks to a registry over warm connections. A transfer that failed (timeout, abort,
// a callback's exception) gives its handle up instead of returning it: the next transfer starts
// from a fresh handle, so one failure can never spoil the thread's later transfers.
class ThreadHandle {
 public:
  ThreadHandle() {
    if (busy_flag()) {  // a nested transfer (never expected) gets a handle of its own
      own_.reset(curl_easy_init());
      easy_ = own_.get();
    } else {
      EasyPtr& handle = thread_handle();
      if (!handle) {
        handle.reset(curl_easy_init());
        fresh_ = true;
      }
      if (!handle) throw std::runtime_error("curl_easy_init failed");
      curl_easy_reset(handle.get());  // keeps live connections, drops every option
      easy_ = handle.get();
      reused_ = true;
      busy_flag() = true;
    }
    if (easy_ == nullptr) throw std::runtime_error("curl_easy_init failed");
  }
  ~ThreadHandle() {
    if (!reused_) return;
    busy_flag() = false;
    if (failed_) thread_handle().reset();
  }
  ThreadHandle(const ThreadHandle&) = delete;
  ThreadHandle& operator=(const ThreadHandle&) = delete;
  CURL* get() const { return easy_; }
  // A callback of the transfer on this handle threw: do not reuse the handle.
  void discard() { failed_ = true; }
  // The handle was made for this transfer: its first perform opened libcurl's internal socket
  // pair (without close-on-exec), which the caller marks.
  bool fresh() const { return fresh_ || own_ != nullptr; }

 private:
  static EasyPtr& thread_handle() {
    static thread_local EasyPtr handle;
    return handle;
  }
  static bool& busy_flag() {
    static thread_local bool busy = false;
    return busy;
  }
  EasyPtr own_;
  CURL* easy_ = nullptr;
  bool reused_ = false;
  bool failed_ = false;
  bool fresh_ = false;
};

// At most this many connections to one registry per thread: a provider with hundreds of versions
// (registry protocol `versions`) queues its manifest requests instead of opening hundreds at once.
constexpr long kMaxConnectionsPerHost = 8;

MultiPtr& thread_multi_handle() {
  static thread_local MultiPtr multi;
  return multi;
}

void discard_thread_multi() { thread_multi_handle().reset(); }

// This thread's multi handle: concurrent transfers reuse the connections it keeps.
CURLM* thread_multi() {
  MultiPtr& multi = thread_multi_handle();
  if (!multi) {
    multi.reset(curl_multi_init());
    if (!multi) throw std::runtime_error("curl_multi_init failed");
    mark_descriptors_close_on_exec();  // its wake-up socket pair is opened without the flag
    if (curl_multi_setopt(multi.get(), CURLMOPT_MAX_HOST_CONNECTIONS, kMaxConnectionsPerHost) != CURLM_OK)
      throw std::runtime_error("cannot limit libcurl's connections per host");
  }
  return multi.get();
}

// The numeric text of a socket address; "" for a family that is not IP.
std::string numeric_address(const curl_sockaddr& address) {
  char text[INET6_ADDRSTRLEN] = {};
  const void* bytes = nullptr;
  if (address.family == AF_INET && address.addrlen >= sizeof(sockaddr_in))
    bytes = &reinterpret_cast<const sockaddr_in*>(&address.addr)->sin_addr;
  else if (address.family == AF_INET6 && address.addrlen >= sizeof(sockaddr_in6))
    bytes = &reinterpret_cast<const sockaddr_in6*>(&address.addr)->sin6_addr;
  if (bytes == nullptr || inet_ntop(address.family, bytes, text, sizeof text) == nullptr) return "";
  return text;
}

// Whether the transfer's policy lets it connect to `address`; a refusal is kept for finish().
bool allowed(Transfer& t, const std::string& address) {
  if (address_allowed(t.request->addresses, address)) return true;
  t.refused_address = address.empty() ? "a non-IP address" : address;
  return false;
}

// Every socket libcurl opens is close-on-exec from its first instant: a program another thread
// starts meanwhile (gpg) never inherits a connection to a registry. A socket to an address the
// transfer's policy refuses is not opened: libcurl tries the name's next address.
curl_socket_t open_socket(void* user, curlsocktype, curl_sockaddr* address) {
  auto* t = static_cast<Transfer*>(user);
  try {
    if (t->request->addresses != AddressPolicy::kAny && !allowed(*t, numeric_address(*address)))
      return CURL_SOCKET_BAD;
  } catch (...) {  // never through libcurl
    return CURL_SOCKET_BAD;
  }
  return ::socket(address->family, address->socktype | SOCK_CLOEXEC, address->protocol);
}

// Before a request goes on a connection, new or reused (a reused one was opened by an earlier
// transfer, perhaps under another policy): the address it is connected to must be allowed.
int before_request(void* user, char* primary_ip, char*, int, int) {
  auto* t = static_cast<Transfer*>(user);
  try {
    return allowed(*t, primary_ip != nullptr ? primary_ip : "") ? CURL_PREREQFUNC_OK : CURL_PREREQFUNC_ABORT;
  } catch (...) {  // never through libcurl
    return CURL_PREREQFUNC_ABORT;
  }
}

// curl_easy_setopt that must take: a transfer without its timeouts, CA file or headers must not go.
template <class Value>
void set(CURL* h, CURLoption option, Value value) {
  CURLcode rc = curl_easy_setopt(h, option, value);
  if (rc != CURLE_OK)
    throw std::runtime_error(std::string("libcurl refused option ") + std::to_string(option) + ": " +
                             curl_easy_strerror(rc));
}

void prepare(Transfer& t, CURL* easy) {
  const OutgoingRequest& r = *t.request;
  t.easy = easy;
  CURL* h = easy;
  set(h, CURLOPT_URL, r.url.c_str());
  set(h, CURLOPT_SHARE, share().get());
  set(h, CURLOPT_OPENSOCKETFUNCTION, &open_socket);
  set(h, CURLOPT_OPENSOCKETDATA, &t);
  if (r.addresses != AddressPolicy::kAny) {
    set(h, CURLOPT_PREREQFUNCTION, &before_request);
    set(h, CURLOPT_PREREQDATA, &t);
  }
  set(h, CURLOPT_NOSIGNAL, 1L);
  set(h, CURLOPT_PROTOCOLS_STR, "http,https");
  set(h, CURLOPT_FOLLOWLOCATION, 0L);
  set(h, CURLOPT_TCP_KEEPALIVE, 1L);
  set(h, CURLOPT_USERAGENT, kUserAgent);
  set(h, CURLOPT_ERRORBUFFER, t.error_buffer);
  set(h, CURLOPT_CONNECTTIMEOUT, static_cast<long>(r.connect_timeout.count()));
  if (!r.ca_file.empty()) set(h, CURLOPT_CAINFO, r.ca_file.c_str());
  if (r.total_timeout.count() > 0) set(h, CURLOPT_TIMEOUT, static_cast<long>(r.total_timeout.count()));
  if (r.stall_timeout.count() > 0) {
    set(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
    set(h, CURLOPT_LOW_SPEED_TIME, static_cast<long>(r.stall_timeout.count()));
  }
  if (r.method == "HEAD") {
    set(h, CURLOPT_NOBODY, 1L);
  } else if (r.method == "POST" || r.method == "PUT" || r.method == "PATCH") {
    set(h, CURLOPT_UPLOAD, 1L);
    set(h, CURLOPT_CUSTOMREQUEST, r.method.c_str());
    set(h, CURLOPT_READFUNCTION, &on_read);
    set(h, CURLOPT_READDATA, &t);
    curl_off_t size = r.body_source ? static_cast<curl_off_t>(r.body_size) : static_cast<curl_off_t>(r.body.size());
    set(h, CURLOPT_INFILESIZE_LARGE, size);
  } else if (r.method != "GET") {
    set(h, CURLOPT_CUSTOMREQUEST, r.method.c_str());
  }
  for (const std::string& header : r.headers) {
    curl_slist* next = curl_slist_append(t.header_list.get(), header.c_str());
    if (next == nullptr) throw std::bad_alloc();
    t.header_list.release();
    t.header_list.reset(next);
  }
  set(h, CURLOPT_HTTPHEADER, t.header_list.get());
  set(h, CURLOPT_HEADERFUNCTION, &on_header_line);
  set(h, CURLOPT_HEADERDATA, &t);
  set(h, CURLOPT_WRITEFUNCTION, &on_body);
  set(h, CURLOPT_WRITEDATA, &t);
  if (t.buffer_size > 0) set(h, CURLOPT_BUFFERSIZE, t.buffer_size);
}

void finish(Transfer& t, CURLcode code) {
  IncomingResponse& r = t.response;
  if (code == CURLE_OK) {
    long status = 0;
    if (curl_easy_getinfo(t.easy, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK) {
      r.error = TransportError::kOther;
      r.error_message = "libcurl gave no response code";
      return;
    }
    r.status = static_cast<int>(status);
    // A body-less response (HEAD, 304, empty 200) never reached on_body; this runs outside
    // libcurl, so the callback's exceptions may simply propagate.
    if (t.on_headers != nullptr && !t.deliver_headers()) r.error = TransportError::kAborted;
    return;
  }
  r.error_message = t.error_buffer[0] != '\0' ? t.error_buffer : curl_easy_strerror(code);
  if (!t.refused_address.empty() && (code == CURLE_COULDNT_CONNECT || code == CURLE_ABORTED_BY_CALLBACK)) {
    r.error = TransportError::kRefused;
    r.error_message = "no connection to " + t.refused_address + ": the request's address policy refuses it";
  } else if (t.too_large) {
    r.error = TransportError::kTooLarge;
  } else if (t.aborted) {
    r.error = TransportError::kAborted;
  } else {
    switch (code) {
      case CURLE_OPERATION_TIMEDOUT:
        r.error = TransportError::kTimeout;
        break;
      case CURLE_COULDNT_RESOLVE_HOST:
      case CURLE_COULDNT_RESOLVE_PROXY:
      case CURLE_COULDNT_CONNECT:
      case CURLE_SSL_CONNECT_ERROR:
      case CURLE_PEER_FAILED_VERIFICATION:
      case CURLE_SEND_ERROR:
      case CURLE_RECV_ERROR:
      case CURLE_GOT_NOTHING:
        r.error = TransportError::kUnreachable;
        break;
      default:
        r.error = TransportError::kOther;
    }
  }
}

}  // namespace

void http_global_init() {
  if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) throw std::runtime_error("curl_global_init failed");
}

namespace {

// Runs one transfer on this thread's reusable handle; a callback's exception is rethrown here.
IncomingResponse perform_one(Transfer& t) {
  ThreadHandle handle;
  prepare(t, handle.get());
  CURLcode code = curl_easy_perform(t.easy);
  if (handle.fresh()) mark_descriptors_close_on_exec();  // the wake-up pair of its internal multi handle
  // A transfer that failed or was stopped (a 401 answered, a redirect followed, a client gone)
  // leaves a handle libcurl can reuse; one whose callback threw is not trusted again.
  if (t.failure) {
    handle.discard();
    std::rethrow_exception(t.failure);
  }
  finish(t, code);
  return std::move(t.response);
}

IncomingResponse fetch_one(const OutgoingRequest& request) {
  Transfer t;
  t.request = &request;
  return perform_one(t);
}

std::vector<IncomingResponse> fetch_concurrently(const std::vector<OutgoingRequest>& requests) {
  if (requests.size() == 1) return {fetch_one(requests.front())};
  std::vector<Transfer> transfers(requests.size());
  CURLM* multi = thread_multi();
  // Handles leave the multi handle whatever happens, so it can be reused by the next call.
  struct Detach {
    CURLM* multi;
    std::vector<Transfer>& transfers;
    ~Detach() {
      bool clean = true;
      for (Transfer& t : transfers)
        if (t.easy != nullptr && curl_multi_remove_handle(multi, t.easy) != CURLM_OK) clean = false;
      // A handle left inside would be freed with its Transfer: the multi handle must not be reused.
      if (!clean) discard_thread_multi();
    }
  } detach{multi, transfers};
  for (size_t i = 0; i < requests.size(); ++i) {
    Transfer& t = transfers[i];
    t.request = &requests[i];
    t.owned.reset(curl_easy_init());
    if (!t.owned) throw std::runtime_error("curl_easy_init failed");
    prepare(t, t.owned.get());
    if (curl_multi_add_handle(multi, t.easy) != CURLM_OK) throw std::runtime_error("curl_multi_add_handle failed");
  }
  int running = 0;
  do {
    CURLMcode mc = curl_multi_perform(multi, &running);
    if (mc != CURLM_OK) {
      for (Transfer& t : transfers) {
        if (t.response.status != 0 || t.response.error != TransportError::kNone) continue;
        t.response.error = TransportError::kOther;
        t.response.error_message = curl_multi_strerror(mc);
      }
      break;
    }
    int msgs = 0;
    while (CURLMsg* msg = curl_multi_info_read(multi, &msgs)) {
      if (msg->msg != CURLMSG_DONE) continue;
      auto t = std::find_if(transfers.begin(), transfers.end(),
                            [&](const Transfer& x) { return x.easy == msg->easy_handle; });
      if (t != transfers.end()) finish(*t, msg->data.result);
    }
    if (running > 0) {
      CURLMcode pc = curl_multi_poll(multi, nullptr, 0, 1000, nullptr);
      if (pc != CURLM_OK) {
        for (Transfer& t : transfers) {
          if (t.response.status != 0 || t.response.error != TransportError::kNone) continue;
          t.response.error = TransportError::kOther;
          t.response.error_message = curl_multi_strerror(pc);
        }
        break;
      }
    }
  } while (running > 0);
  for (Transfer& t : transfers)
    if (t.failure) std::rethrow_exception(t.failure);  // `detach` takes the handles out of `multi` as this unwinds
  std::vector<IncomingResponse> out;
  out.reserve(transfers.size());
  for (Transfer& t : transfers) out.push_back(std::move(t.response));
  return out;
}

IncomingResponse stream_one(const OutgoingRequest& request, const HeadersCallback& on_headers,
                            const DataCallback& on_data) {
  Transfer t;
  t.request = &request;
  t.on_headers = &on_headers;
  t.on_data = &on_data;
  t.buffer_size = 128L * 1024;
  return perform_one(t);
}

class CurlTransport : public HttpTransport {
 public:
  IncomingResponse fetch(const OutgoingRequest& request) override { return fetch_one(request); }
  std::vector<IncomingResponse> fetch_all(const std::vector<OutgoingRequest>& requests) override {
    return fetch_concurrently(requests);
  }
  IncomingResponse stream(const OutgoingRequest& request, const HeadersCallback& on_headers,
                          const DataCallback& on_data) override {
    return stream_one(request, on_headers, on_data);
  }
};

}  // namespace

HttpTransport& curl_transport() {
  static CurlTransport transport;
  return transport;
}

}  // namespace otr
