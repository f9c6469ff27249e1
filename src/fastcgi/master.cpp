// run_server: picks the mode, and in pool mode is the master process (see fastcgi/master.h).
#include "fastcgi/master.h"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <map>
#include <memory>

#include "base/exit_status.h"
#include "base/log.h"
#include "fastcgi/listen_socket.h"
#include "fastcgi/worker.h"
#include "http/metrics.h"

namespace otr {

namespace {

// The names of the configuration's services, in order: the metrics' service labels.
std::vector<std::string> service_names(const Config& config) {
  std::vector<std::string> names;
  for (const ServiceConfig* s : config.services()) names.push_back(s->name);
  return names;
}

using SteadyClock = std::chrono::steady_clock;  // the master's own timing, not otr::Clock

sigset_t handled_signals() {
  sigset_t set;
  sigemptyset(&set);
  for (int s : {SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGCHLD}) sigaddset(&set, s);
  return set;
}

std::string describe_status(int status) {
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return std::string("was killed by signal ") + strsignal(WTERMSIG(status));
  return "stopped";
}

// The master of the worker pool: owns the listening socket, forks and watches the workers.
class Master {
 public:
  Master(const ListenSocket& listener, std::string config_path, const Config& config, const HandlerFactory& factory,
         const ProcessHooks& hooks)
      : listen_fd_(listener.fd), listener_(listener.description), config_path_(std::move(config_path)),
        config_(std::make_unique<Config>(config)), factory_(factory), hooks_(hooks) {}
  Master(const Master&) = delete;
  Master& operator=(const Master&) = delete;

  int run() {
    start_generation();
    sigset_t signals = handled_signals();
    while (true) {
      timespec tick{1, 0};
      siginfo_t info;
      int sig = sigtimedwait(&signals, &info, &tick);
      if (sig == SIGCHLD || sig < 0) reap();
      if (listener_lost_) {
        shut_down(0);
        return kExitFailure;
      }
      if (sig == SIGTERM || sig == SIGINT || sig == SIGQUIT) return shut_down(sig);
      if (sig == SIGHUP) reload();
      respawn_missing();
    }
  }

 private:
  struct Worker {
    int generation;
    SteadyClock::time_point started;
  };

  void start_generation() {
    ++generation_;
    for (int i = 0; i < config_->server.worker_processes; ++i) spawn();
  }

  void spawn() {
    pid_t master = getpid();
    pid_t pid = fork();
    if (pid < 0) {
      log_error(std::string("cannot start a worker process: ") + std::strerror(errno));
      return;
    }
    if (pid == 0) {
      if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0)  // never outlive the master
        log_warning(std::string("a worker may outlive its master: prctl: ") + std::strerror(errno));
      if (getppid() != master) _exit(0);
      int code = 1;
      try {
        code = serve_requests(listen_fd_, *config_, factory_, hooks_);
      } catch (const std::exception& e) {
        log_error(std::string("worker failed: ") + e.what());
      }
      _exit(code);
    }
    workers_[pid] = Worker{generation_, SteadyClock::now()};
    process_metrics().worker_started();
  }

  int live_workers_of_current_generation() const {
    int n = 0;
    for (const auto& [pid, w] : workers_) n += w.generation == generation_;
    return n;
  }

  void reap() {
    int status = 0;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
      auto it = workers_.find(pid);
      if (it == workers_.end()) continue;
      if (hooks_.on_worker_gone) hooks_.on_worker_gone(pid);
      Worker w = it->second;
      workers_.erase(it);
      bool recycled = WIFEXITED(status) && WEXITSTATUS(status) == 0;
      process_metrics().worker_exited(w.generation != generation_ ? WorkerExit::kDrained
                                      : recycled                  ? WorkerExit::kRecycled
                                      : WIFSIGNALED(status)       ? WorkerExit::kKilled
                                                                  : WorkerExit::kFailed);
      if (w.generation != generation_) continue;  // an old generation draining after a reload
      if (recycled) continue;  // normal after max_requests_per_worker
      if (WIFEXITED(status) && WEXITSTATUS(status) == kExitListenerFailed && listener_gone(listen_fd_)) {
        log_error("the listening socket " + listener_ + " no longer accepts connections; stopping. Restart the "
                  "server (or its systemd socket unit) to listen again");
        listener_lost_ = true;
        continue;
      }
      // A worker that dies at once is probably going to die again: slow down, more each time.
      if (SteadyClock::now() - w.started < std::chrono::seconds(1)) {
        fast_failures_ = std::min(fast_failures_ + 1, 6);
        hold_off_until_ = SteadyClock::now() + std::chrono::milliseconds(100 << fast_failures_);
      } else {
        fast_failures_ = 0;
      }
      log_error("worker " + std::to_string(pid) + " " + describe_status(status) + "; starting a new one" +
                (fast_failures_ > 0 ? " in " + std::to_string(100 << fast_failures_) + " ms" : ""));
    }
  }

  void respawn_missing() {
    if (SteadyClock::now() < hold_off_until_) return;
    for (int n = live_workers_of_current_generation(); n < config_->server.worker_processes; ++n) spawn();
  }

  void reload() {
    log_info("SIGHUP: reloading " + config_path_);
    std::unique_ptr<Config> fresh;
    try {
      fresh = std::make_unique<Config>(load_config_file(config_path_));
    } catch (const ConfigError& e) {
      for (const Diagnostic& d : e.diagnostics()) log_error(d.to_string());
      log_error("the new configuration is not valid; the running workers keep the old one");
      return;
    }
    if (hooks_.check_config) {
      std::vector<Diagnostic> problems = hooks_.check_config(*fresh);
      if (!problems.empty()) {
        for (const Diagnostic& d : problems) log_error(d.to_string());
        log_error("the new configuration is not valid; the running workers keep the old one");
        return;
      }
    }
    for (const Diagnostic& d : fresh->warnings) log_warning(d.to_string());
    const ServerConfig& now = config_->server;
    const ServerConfig& next = fresh->server;
    if (next.listen_addr != now.listen_addr || next.socket_mode != now.socket_mode ||
        next.socket_uid != now.socket_uid || next.socket_gid != now.socket_gid)
      log_warning("the listening socket's settings changed (listen_addr, socket_mode, socket_owner, socket_group); "
                  "they take effect only after a restart");
    config_ = std::move(fresh);
    log_configure(config_->server.log_format);
    process_metrics().set_services(service_names(*config_));
    process_metrics().reloaded();
    std::vector<pid_t> old;
    for (const auto& [pid, w] : workers_) old.push_back(pid);
    start_generation();  // new workers accept alongside the old ones: no connection is refused
    for (pid_t pid : old) kill(pid, SIGTERM);
    log_info("configuration reloaded; " + std::to_string(old.size()) + " old workers are draining");
  }

  // `sig` 0: the listening socket is gone.
  int shut_down(int sig) {
    log_info(sig == 0 ? std::string("draining in-flight requests")
                      : std::string("received ") + strsignal(sig) + "; draining in-flight requests");
    for (const auto& [pid, w] : workers_) kill(pid, SIGTERM);
    auto deadline = SteadyClock::now() + config_->server.shutdown_timeout + std::chrono::seconds(2);
    while (!workers_.empty() && SteadyClock::now() < deadline) {
      int status = 0;
      pid_t pid = waitpid(-1, &status, WNOHANG);
      if (pid > 0) {
        if (workers_.erase(pid) > 0 && hooks_.on_worker_gone) hooks_.on_worker_gone(pid);
        continue;
      }
      usleep(20 * 1000);
    }
    for (const auto& [pid, w] : workers_) {
      log_warning("worker " + std::to_string(pid) + " did not stop in time; killing it");
      kill(pid, SIGKILL);
      while (waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
      }
      if (hooks_.on_worker_gone) hooks_.on_worker_gone(pid);
    }
    log_info("stopped");
    return 0;
  }

  int listen_fd_;
  std::string listener_;  // its description, for messages
  std::string config_path_;
  std::unique_ptr<Config> config_;
  const HandlerFactory& factory_;
  const ProcessHooks& hooks_;
  std::map<pid_t, Worker> workers_;
  int generation_ = 0;
  int fast_failures_ = 0;
  bool listener_lost_ = false;
  SteadyClock::time_point hold_off_until_{};
};

}  // namespace

int run_server(const std::string& config_path, const Config& config, const HandlerFactory& factory,
               const ProcessHooks& hooks) {
  // Signals are handled synchronously (sigtimedwait) by the master and each worker's main thread;
  // blocked everywhere before any thread exists, so no thread is interrupted mid-write.
  sigset_t signals = handled_signals();
  if (int rc = pthread_sigmask(SIG_BLOCK, &signals, nullptr); rc != 0) {
    log_error(std::string("cannot block the signals the server waits for: ") + std::strerror(rc));
    return kExitFailure;
  }
  if (!fastcgi_global_init()) {
    log_error("cannot initialise libfcgi");
    return kExitFailure;
  }
  if (signal(SIGPIPE, SIG_IGN) == SIG_ERR) {  // after libfcgi's init, which installs its own handler
    log_error(std::string("cannot ignore SIGPIPE: ") + std::strerror(errno));
    return kExitFailure;
  }

  ListenSocket listener = inherited_listen_socket();
  if (listener.fd < 0) {
    try {
      listener = bind_listen_socket(config.server);
    } catch (const std::exception& e) {
      log_error(e.what());
      return kExitFailure;
    }
  }
  try {
    prepare_listener(listener.fd);
  } catch (const std::exception& e) {
    log_error(e.what());
    return kExitFailure;
  }
  if (hooks.on_start) hooks.on_start();
  // Both modes: a web server that spawns us gets the same exit status as a start by hand.
  if (hooks.check_config) {
    std::vector<Diagnostic> problems = hooks.check_config(config);
    for (const Diagnostic& d : problems) log_error(d.to_string());
    if (!problems.empty()) {
      if (!listener.unix_path.empty()) unlink(listener.unix_path.c_str());
      return kExitConfig;
    }
  }

  if (listener.mode == ServeMode::kSpawned) {
    process_metrics().set_services(service_names(config));  // this process's own, labelled with its pid
    log_info("serving " + listener.description + " with " + std::to_string(config.server.worker_threads) +
             " threads");
    int code = kExitFailure;
    try {
      code = serve_requests(listener.fd, config, factory, hooks);
    } catch (const std::exception& e) {
      log_error(std::string("cannot serve: ") + e.what());
    }
    if (code == kExitListenerFailed) {
      log_error("the listening socket " + listener.description + " no longer accepts connections; stopping");
      return kExitFailure;
    }
    return code;
  }
  log_info("serving " + listener.description + " with " + std::to_string(config.server.worker_processes) +
           " worker processes of " + std::to_string(config.server.worker_threads) + " threads");
  // The pool's counters live in memory the workers share, from before the first fork: a worker's
  // recycling or a reload never resets them.
  share_process_metrics();
  process_metrics().set_services(service_names(config));
  int code = Master(listener, config_path, config, factory, hooks).run();
  if (!listener.unix_path.empty()) unlink(listener.unix_path.c_str());
  return code;
}

}  // namespace otr
