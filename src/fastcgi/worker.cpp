#include "fastcgi/worker.h"

#include <fcgiapp.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstring>
#include <optional>
#include <thread>
#include <vector>

#include "base/error.h"
#include "base/file_io.h"
#include "base/log.h"
#include "fastcgi/cgi_params.h"
#include "http/responses.h"

namespace otr {

namespace {

// RAII for one thread's FCGX_Request.
class FcgiRequest {
 public:
  explicit FcgiRequest(int listen_fd) {
    if (FCGX_InitRequest(&request_, listen_fd, 0) != 0) throw std::runtime_error("FCGX_InitRequest failed");
  }
  ~FcgiRequest() { FCGX_Free(&request_, 1); }
  FcgiRequest(const FcgiRequest&) = delete;
  FcgiRequest& operator=(const FcgiRequest&) = delete;
  FCGX_Request* get() { return &request_; }

 private:
  FCGX_Request request_{};
};

// RAII for the eventfd that wakes every polling thread at once (it stays readable once written).
class WakeEvent {
 public:
  WakeEvent() : fd_(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
    if (fd_ < 0) throw std::runtime_error(std::string("eventfd: ") + std::strerror(errno));
  }
  ~WakeEvent() { close(fd_); }
  WakeEvent(const WakeEvent&) = delete;
  WakeEvent& operator=(const WakeEvent&) = delete;
  void signal() {
    // Without this wake-up, threads blocked in poll() would sit until shutdown_timeout ends them.
    uint64_t one = 1;
    if (!write_all(fd_, std::string_view(reinterpret_cast<const char*>(&one), sizeof one)))
      log_error(std::string("cannot wake the worker threads: ") + std::strerror(errno));
  }
  int fd() const { return fd_; }

 private:
  int fd_;
};

// Writes a CGI response through libfcgi; body bytes of HEAD responses are dropped here.
class FcgiSink : public ResponseSink {
 public:
  FcgiSink(FCGX_Request& request, bool head) : request_(request), head_(head) {}

  void start(int status, const Headers& headers) override {
    started_ = true;
    std::string text = "Status: " + std::to_string(status) + " " + std::string(status_reason(status)) + "\r\n";
    for (const auto& [name, value] : headers.all()) {
      if (value.find_first_of("\r\n") != std::string::npos) continue;  // never split a header
      text += name + ": " + value + "\r\n";
    }
    text += "\r\n";
    put(text);
  }

  bool write(std::string_view data) override {
    if (failed_) return false;
    if (head_) return true;
    return put(data);
  }

  bool started() const override { return started_; }

 private:
  bool put(std::string_view data) {
    while (!data.empty() && !failed_) {
      int n = static_cast<int>(std::min<size_t>(data.size(), INT_MAX / 2));
      if (FCGX_PutStr(data.data(), n, request_.out) < 0) failed_ = true;  // the client went away
      data.remove_prefix(static_cast<size_t>(n));
    }
    return !failed_;
  }

  FCGX_Request& request_;
  bool head_;
  bool started_ = false;
  bool failed_ = false;
};

struct WorkerState {
  int listen_fd;
  Handler& app;
  std::vector<std::string> names;
  long max_requests;
  WakeEvent wake;
  std::atomic<bool> stopping{false};
  std::atomic<bool> listener_failed{false};
  std::atomic<long> served{0};
  std::atomic<int> running{0};

  void stop() {
    if (!stopping.exchange(true)) wake.signal();
  }
};

void handle_one(WorkerState& state, FCGX_Request& fcgi) {
  std::vector<std::string_view> params;
  std::optional<bool> head;  // the first REQUEST_METHOD counts, as in request_from_cgi
  for (char** entry = fcgi.envp; entry != nullptr && *entry != nullptr; ++entry) {
    params.emplace_back(*entry);
    if (!head && params.back().starts_with("REQUEST_METHOD=")) head = params.back() == "REQUEST_METHOD=HEAD";
  }
  FcgiSink sink(fcgi, head.value_or(false));
  Request request;
  try {
    request = request_from_cgi(params, state.names);
    state.app.handle(request, sink);
  } catch (const std::exception& e) {  // a bug of the handler: answered as every error is
    if (sink.started()) log_error(std::string("request handler failed: ") + e.what() + "; the response was cut short");
    else send(sink, error_response(Error(ErrorKind::kInternal, std::string("request handler failed: ") + e.what()), request, ""));
  }
  if (!sink.started())
    send(sink, error_response(Error(ErrorKind::kInternal, "the request handler wrote no response"), request, ""));
}

// The listening socket cannot give connections any more: the worker stops, and says why.
void listener_failed(WorkerState& state, const std::string& why) {
  if (!state.listener_failed.exchange(true)) log_error("the listening socket failed (" + why + "); stopping this worker");
  state.stop();
}

void thread_main(WorkerState& state) {
  FcgiRequest request(state.listen_fd);
  pollfd fds[2] = {{state.listen_fd, POLLIN, 0}, {state.wake.fd(), POLLIN, 0}};
  while (!state.stopping) {
    int n = poll(fds, 2, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      log_error(std::string("poll failed: ") + std::strerror(errno));
      state.stop();
      break;
    }
    if (fds[1].revents != 0) break;
    if (fds[0].revents & (POLLERR | POLLNVAL | POLLHUP)) {
      listener_failed(state, (fds[0].revents & POLLNVAL) ? "not open" : "shut down or in error");
      break;
    }
    if (!(fds[0].revents & POLLIN)) continue;
    int rc = FCGX_Accept_r(request.get());  // non-blocking listener: another thread may have won
    if (rc < 0) {
      if (rc == -EAGAIN || rc == -EWOULDBLOCK || rc == -EINTR || rc == -ECONNABORTED) continue;
      if (rc == -EBADF || rc == -EINVAL || rc == -ENOTSOCK || rc == -EOPNOTSUPP) {
        listener_failed(state, std::string("accept: ") + std::strerror(-rc));
        break;
      }
      log_error(std::string("accepting a FastCGI connection failed: ") + std::strerror(-rc));
      std::this_thread::sleep_for(std::chrono::milliseconds(100));  // e.g. out of file descriptors
      continue;
    }
    // Programs started while this request runs (gpg) must not hold the web server's connection.
    if (::fcntl(request.get()->ipcFd, F_SETFD, FD_CLOEXEC) != 0)
      log_warning(std::string("cannot mark a FastCGI connection close-on-exec: ") + std::strerror(errno));
    handle_one(state, *request.get());
    // One request per connection: a web server that asked to keep it (nginx fastcgi_keep_conn on)
    // gets it closed after the answer, instead of a thread waiting on an idle connection while
    // others queue behind the listening socket.
    request.get()->keepConnection = 0;
    FCGX_Finish_r(request.get());
    long served = ++state.served;
    if (state.max_requests > 0 && served >= state.max_requests) state.stop();
  }
}

}  // namespace

bool fastcgi_global_init() { return FCGX_Init() == 0; }

int serve_requests(int listen_fd, const Config& config, const HandlerFactory& factory, const ProcessHooks& hooks) {
  std::unique_ptr<Handler> app = factory(config);
  WorkerState state{listen_fd, *app, app->top_level_names(), config.server.max_requests_per_worker, {}, {}, {}, {}};
  std::vector<std::thread> threads;
  for (int i = 0; i < config.server.worker_threads; ++i) {
    ++state.running;
    threads.emplace_back([&state] {
      thread_main(state);
      --state.running;
    });
  }

  sigset_t signals;
  sigemptyset(&signals);
  for (int s : {SIGTERM, SIGINT, SIGQUIT, SIGHUP}) sigaddset(&signals, s);
  std::chrono::steady_clock::time_point deadline{};
  while (state.running > 0) {
    timespec tick{0, 100 * 1000 * 1000};
    int sig = sigtimedwait(&signals, nullptr, &tick);
    if (sig == SIGTERM || sig == SIGINT || sig == SIGQUIT) state.stop();
    if (sig == SIGHUP) log_info("SIGHUP: a process started by a web server reloads when the web server restarts it");
    if (!state.stopping) continue;
    auto now = std::chrono::steady_clock::now();
    if (deadline == std::chrono::steady_clock::time_point{}) deadline = now + config.server.shutdown_timeout;
    if (now >= deadline) {
      log_warning("requests still running after shutdown_timeout; exiting without them");
      if (hooks.before_abrupt_exit) hooks.before_abrupt_exit();
      _exit(1);
    }
  }
  for (std::thread& t : threads) t.join();
  if (state.listener_failed) return kExitListenerFailed;
  if (config.server.max_requests_per_worker > 0 && state.served >= config.server.max_requests_per_worker)
    log_info("worker recycled after " + std::to_string(state.served.load()) + " requests");
  return 0;
}

}  // namespace otr
