// The FastCGI front end's process model and signals (the libfcgi adapter itself is the worker,
// fastcgi/worker.h).
//
// Modes (decided by what the process was given, never by flags):
//  - systemd socket activation (LISTEN_FDS/LISTEN_PID): listener is fd 3 (or fd 0 with
//    StandardInput=socket); run the worker pool on it.
//  - spawned by a web server (fd 0 is a listening socket: Apache mod_fcgid, lighttpd bin-path,
//    spawn-fcgi): the web server is the process manager, so serve fd 0 in this process with
//    server.worker_threads threads (mod_fcgid: set threads to 1 is fine, it sends one request at a
//    time).
//  - otherwise: bind server.listen_addr and run the pool.
//
// Pool: a master process owns the listening socket, forks server.worker_processes workers of
// server.worker_threads threads each, restarts a worker that dies (later each time, while they die
// at once), recycles a worker after server.max_requests_per_worker requests. A worker that stops
// because the listening socket no longer gives connections makes the master check the socket:
// when it is gone, the pool stops (exit 1) with a message. SIGTERM/SIGINT: stop accepting, drain
// in-flight requests (up to server.shutdown_timeout), exit 0. SIGHUP: re-read the configuration
// file; if it is valid (hooks.check_config included), start a new generation of workers and drain
// the old one (the listening socket never closes, so no connection is refused); if not, log every
// problem and keep the old workers.
#pragma once

#include <sys/types.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "http/handler.h"

namespace otr {

// Makes the handler of the process that serves: a worker, after fork (so each process has its
// own caches, connections and signer), or the process itself when a web server spawned it.
using HandlerFactory = std::function<std::unique_ptr<Handler>(const Config&)>;

// What the application hears of the process model, for what it keeps outside the process (the
// signer's private GnuPG homes) and must not leave behind when a process ends without running its
// destructors. Each hook may be empty.
struct ProcessHooks {
  // Once, before serving, in the process that owns the listening socket (the master, or a process
  // a web server spawned): clean up after processes of an earlier run.
  std::function<void()> on_start;
  // In the master, after it has reaped the worker `pid` (however it ended).
  std::function<void(pid_t pid)> on_worker_gone;
  // In a worker about to _exit() with requests still running (past shutdown_timeout).
  std::function<void()> before_abrupt_exit;
  // Checks of a configuration that loading it does not make (they may start programs: the signing
  // keys), run at start in both modes (a problem: logged, exit kExitConfig) and by the master on
  // each reloaded configuration (a problem refuses it).
  std::function<std::vector<Diagnostic>(const Config&)> check_config;
};

// Runs until told to stop. `config_path` is re-read on SIGHUP. Returns the process exit code.
int run_server(const std::string& config_path, const Config& config, const HandlerFactory& factory,
               const ProcessHooks& hooks = {});

}  // namespace otr
