// run_server: signals, libfcgi, the listening socket and the mode; then the pool's master or, when
// a web server spawned us, the worker threads in this process.
#include "fcgi_server.h"

#include <fcgiapp.h>
#include <unistd.h>

#include <csignal>
#include <optional>

#include "fcgi_master.h"
#include "fcgi_worker.h"
#include "listen_socket.h"
#include "log.h"
#include "server_signals.h"

namespace otr {

namespace {

const char* mode_name(ServeMode mode) {
  switch (mode) {
    case ServeMode::kStandalone: return "standalone";
    case ServeMode::kSystemd: return "systemd";
    case ServeMode::kSpawned: return "spawned";
  }
  return "?";
}

}  // namespace

int run_server(const std::string& config_path, const Config& config, const ApplicationFactory& factory) {
  // Before FCGX_Init and before any thread or process exists: see server_signals.h.
  block_server_signals();
  std::signal(SIGPIPE, SIG_IGN);  // a client that went away is an EPIPE from FCGX_PutStr
  if (FCGX_Init() != 0) {
    log_error("cannot initialise libfcgi");
    return 1;
  }

  ListenSocket listener;
  try {
    std::optional<ListenSocket> inherited = inherited_listen_socket();
    listener = inherited ? std::move(*inherited) : bind_listen_socket(config.server);
    set_nonblocking(listener.fd.get());
  } catch (const std::exception& e) {
    log_error(e.what());
    return 1;
  }

  const ServerConfig& s = config.server;
  if (listener.mode == ServeMode::kSpawned) {
    log_info(std::string("starting: mode=spawned, listening on ") + listener.description + ", 1 process x " +
             std::to_string(s.worker_threads) + " threads (the web server manages the processes)");
    try {
      return serve_requests(listener.fd.get(), config, factory, WorkerRole::kSpawned);
    } catch (const std::exception& e) {
      log_error(std::string("cannot serve requests: ") + e.what());
      return 1;
    }
  }

  log_info(std::string("starting: mode=") + mode_name(listener.mode) + ", listening on " + listener.description +
           ", " + std::to_string(s.worker_processes) + " worker processes x " + std::to_string(s.worker_threads) +
           " threads");
  int code = 1;
  try {
    code = run_master(listener, config_path, config, factory);
  } catch (const std::exception& e) {
    log_error(std::string("the worker pool failed: ") + e.what());
  }
  listener.remove_socket_file();
  return code;
}

}  // namespace otr
