#include "fcgi_worker.h"

#include <fcgiapp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <climits>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include "cgi_request.h"
#include "log.h"
#include "server_signals.h"
#include "unique_fd.h"

namespace otr {

namespace {

using Clock = std::chrono::steady_clock;

// One thread's libfcgi request: the connection it holds, its parameters and streams.
class FcgiRequest {
 public:
  explicit FcgiRequest(int listen_fd) { FCGX_InitRequest(&request_, listen_fd, 0); }
  ~FcgiRequest() { FCGX_Free(&request_, 1); }
  FcgiRequest(const FcgiRequest&) = delete;
  FcgiRequest& operator=(const FcgiRequest&) = delete;

  FCGX_Request& get() { return request_; }
  // The connection the web server keeps open for its next request (FCGI_KEEP_CONN), or -1.
  int kept_connection() const { return request_.ipcFd; }

 private:
  FCGX_Request request_{};
};

// An eventfd that, once signalled, stays readable: it wakes every thread polling it, for good.
class StopEvent {
 public:
  StopEvent() : fd_(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
    if (!fd_.valid()) throw std::runtime_error(std::string("cannot create an eventfd: ") + std::strerror(errno));
  }
  void signal() {
    std::uint64_t one = 1;
    [[maybe_unused]] ssize_t n = ::write(fd_.get(), &one, sizeof one);
  }
  int fd() const { return fd_.get(); }

 private:
  UniqueFd fd_;
};

// Writes a CGI response ("Status: ..." and header lines, blank line, body) through libfcgi.
// Body bytes of HEAD responses are dropped here.
class FcgiSink : public ResponseSink {
 public:
  explicit FcgiSink(FCGX_Request& request) : request_(request) {}
  void set_head(bool head) { head_ = head; }

  void start(int status, const Headers& headers) override {
    if (started_) {
      log_error("response started twice; the second start is ignored");
      return;
    }
    started_ = true;
    std::string reason(status_reason(status));
    std::string text = "Status: " + std::to_string(status) + (reason.empty() ? "" : " " + reason) + "\r\n";
    for (const auto& [name, value] : headers.all()) {
      // Never let a value (or name) split into a second header line.
      if (name.empty() || name.find_first_of(":\r\n") != std::string::npos ||
          value.find_first_of("\r\n") != std::string::npos) {
        log_error("dropped a malformed response header: " + name);
        continue;
      }
      text += name + ": " + value + "\r\n";
    }
    text += "\r\n";
    put(text);
  }

  bool write(std::string_view data) override {
    if (head_ || failed_) return !failed_;
    return put(data);
  }

  bool started() const override { return started_; }

 private:
  // False once the web server's connection failed (the client went away).
  bool put(std::string_view data) {
    while (!data.empty() && !failed_) {
      int n = static_cast<int>(std::min<std::size_t>(data.size(), INT_MAX / 2));
      if (FCGX_PutStr(data.data(), n, request_.out) < 0) failed_ = true;
      data.remove_prefix(static_cast<std::size_t>(n));
    }
    return !failed_;
  }

  FCGX_Request& request_;
  bool head_ = false;
  bool started_ = false;
  bool failed_ = false;
};

void answer_internal_error(ResponseSink& sink) {
  Response r;
  r.status = 500;
  r.headers.set("Content-Type", "application/json");
  r.headers.set("Cache-Control", "no-store");
  r.body = "{\"errors\":[\"internal error\"]}\n";
  send(sink, r);
}

enum class Ready { kInput, kStop, kFailed };

// Waits until `fd` is readable or the stop event fires. Input wins over stop, so a thread woken for
// a connection does not leave it to nobody.
Ready wait_for(int fd, int stop_fd) {
  pollfd fds[2] = {{fd, POLLIN, 0}, {stop_fd, POLLIN, 0}};
  while (true) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      log_error(std::string("poll failed: ") + std::strerror(errno));
      return Ready::kFailed;
    }
    if (fds[0].revents & POLLNVAL) return Ready::kFailed;
    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) return Ready::kInput;
    if (fds[1].revents != 0) return Ready::kStop;
  }
}

// accept() errors that do not mean the listening socket is unusable.
bool transient_accept_error(int err) {
  switch (err) {
    case EAGAIN:
    case EINTR:
    case ECONNABORTED:
    case EPROTO:
    case ECONNRESET:
    case EMFILE:
    case ENFILE:
    case ENOBUFS:
    case ENOMEM:
      return true;
    default:
      return false;
  }
}

class ThreadPool {
 public:
  ThreadPool(int listen_fd, Application& app, long max_requests)
      : listen_fd_(listen_fd), app_(app), names_(app.top_level_names()), max_requests_(max_requests) {}

  ~ThreadPool() {
    stop();
    for (std::thread& t : threads_)
      if (t.joinable()) t.join();
  }

  void start(int count) {
    for (int i = 0; i < count; ++i) {
      {
        std::lock_guard lock(mutex_);
        ++running_;
      }
      threads_.emplace_back([this] { thread_main(); });
    }
  }

  // Idempotent: wakes every thread; each finishes its in-flight request and exits.
  void stop() {
    if (!stopping_.exchange(true)) stop_event_.signal();
  }
  int stop_fd() const { return stop_event_.fd(); }
  bool stopping() const { return stopping_; }
  bool failed() const { return failed_; }
  long served() const { return served_; }
  int in_flight() const { return in_flight_; }

  // True when every thread has finished before `deadline` (they are joined then).
  bool wait_until_finished(Clock::time_point deadline) {
    std::unique_lock lock(mutex_);
    if (!finished_.wait_until(lock, deadline, [this] { return running_ == 0; })) return false;
    lock.unlock();
    for (std::thread& t : threads_) t.join();
    threads_.clear();
    return true;
  }

 private:
  void thread_main() {
    try {
      accept_loop();
    } catch (const std::exception& e) {
      log_error(std::string("worker thread failed: ") + e.what());
      failed_ = true;
      stop();
    }
    std::lock_guard lock(mutex_);
    if (--running_ == 0) finished_.notify_all();
  }

  void accept_loop() {
    FcgiRequest request(listen_fd_);
    while (!stopping_) {
      // A connection kept open by the web server brings its next request on that connection.
      int fd = request.kept_connection() >= 0 ? request.kept_connection() : listen_fd_;
      Ready ready = wait_for(fd, stop_event_.fd());
      if (ready == Ready::kStop) break;
      if (ready == Ready::kFailed) {
        if (fd != listen_fd_) {
          FCGX_Free(&request.get(), 1);  // drop the broken connection, keep serving
          continue;
        }
        log_error("the listening socket failed; this worker stops");
        failed_ = true;
        stop();
        break;
      }
      int rc = FCGX_Accept_r(&request.get());
      if (rc < 0) {
        if (!transient_accept_error(-rc)) {
          log_error(std::string("cannot accept FastCGI connections: ") + std::strerror(-rc) + "; this worker stops");
          failed_ = true;
          stop();
          break;
        }
        if (-rc != EAGAIN && -rc != EINTR) throttled_accept_error(-rc);
        continue;
      }
      ++in_flight_;
      serve(request.get());
      FCGX_Finish_r(&request.get());
      --in_flight_;
      long served = ++served_;
      if (max_requests_ > 0 && served == max_requests_) {
        log_info("recycling this worker after " + std::to_string(served) + " requests");
        stop();
      }
    }
  }

  // Out of file descriptors and the like: log at most once a second, and give it time.
  void throttled_accept_error(int err) {
    auto now = Clock::now().time_since_epoch().count();
    auto last = last_accept_error_.load();
    if (now - last > std::chrono::duration_cast<Clock::duration>(std::chrono::seconds(1)).count() &&
        last_accept_error_.compare_exchange_strong(last, now))
      log_error(std::string("accepting a FastCGI connection failed: ") + std::strerror(err));
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }

  void serve(FCGX_Request& fcgi) {
    FcgiSink sink(fcgi);
    Request request;
    try {
      std::vector<std::string_view> params;
      for (char** entry = fcgi.envp; entry != nullptr && *entry != nullptr; ++entry) params.emplace_back(*entry);
      request = request_from_cgi(params, names_);
      sink.set_head(request.method == "HEAD");
      app_.handle(request, sink);
      if (!sink.started()) {
        log_error(describe(request) + ": the handler returned without a response; answered 500");
        answer_internal_error(sink);
      }
    } catch (const std::exception& e) {
      handler_failed(request, sink, e.what());
    } catch (...) {
      handler_failed(request, sink, "unknown exception");
    }
  }

  static void handler_failed(const Request& request, FcgiSink& sink, const std::string& what) {
    log_error(describe(request) + ": request failed: " + what);
    if (!sink.started()) answer_internal_error(sink);
  }

  // "GET /path (request id X)": never the query string, never headers.
  static std::string describe(const Request& request) {
    std::string text = (request.method.empty() ? "?" : request.method) + " " + request.mount + request.path;
    if (!request.request_id.empty()) text += " (request id " + request.request_id + ")";
    return text;
  }

  const int listen_fd_;
  Application& app_;
  const std::vector<std::string> names_;
  const long max_requests_;
  StopEvent stop_event_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> failed_{false};
  std::atomic<long> served_{0};
  std::atomic<int> in_flight_{0};
  std::atomic<Clock::rep> last_accept_error_{0};
  std::mutex mutex_;
  std::condition_variable finished_;
  int running_ = 0;  // guarded by mutex_
  std::vector<std::thread> threads_;
};

// Waits for a stop: a signal, recycling, or a failed thread.
void wait_for_stop(ThreadPool& pool, int signal_fd, WorkerRole role) {
  pollfd fds[2] = {{signal_fd, POLLIN, 0}, {pool.stop_fd(), POLLIN, 0}};
  while (!pool.stopping()) {
    if (poll(fds, 2, -1) < 0 && errno != EINTR) throw std::runtime_error(std::string("poll: ") + std::strerror(errno));
    while (int sig = read_signal(signal_fd)) {
      switch (sig) {
        case SIGTERM:
        case SIGINT:
        case SIGQUIT:
          log_info(signal_name(sig) + ": finishing in-flight requests, then exiting");
          pool.stop();
          break;
        case SIGHUP:
          if (role == WorkerRole::kSpawned)
            log_info("SIGHUP ignored: a process started by a web server picks up a new configuration when the web "
                     "server restarts it");
          break;
        default:  // SIGUSR1: logs go to stderr, nothing to reopen; SIGCHLD: not ours
          break;
      }
    }
  }
}

}  // namespace

int serve_requests(int listen_fd, const Config& config, const ApplicationFactory& factory, WorkerRole role) {
  UniqueFd signal_fd = open_signal_fd();
  std::unique_ptr<Application> app = factory(config);
  ThreadPool pool(listen_fd, *app, config.server.max_requests_per_worker);
  pool.start(config.server.worker_threads);
  wait_for_stop(pool, signal_fd.get(), role);

  if (int busy = pool.in_flight(); busy > 0)
    log_info("waiting for " + std::to_string(busy) + " in-flight request" + (busy == 1 ? "" : "s") + " (up to " +
             std::to_string(config.server.shutdown_timeout.count()) + "s)");
  if (!pool.wait_until_finished(Clock::now() + config.server.shutdown_timeout)) {
    log_warning(std::to_string(pool.in_flight()) + " request(s) still running after shutdown_timeout (" +
                std::to_string(config.server.shutdown_timeout.count()) + "s); exiting without them");
    _exit(1);  // threads are still inside handlers: no destructor may run under them
  }
  return pool.failed() ? 1 : 0;
}

}  // namespace otr
