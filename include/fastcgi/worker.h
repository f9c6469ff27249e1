// One worker: serves FastCGI requests on a listening socket with server.worker_threads threads in
// this process, through libfcgi (the only code that touches it), until told to stop. One request per
// connection: a connection the web server asked to keep (FCGI_KEEP_CONN) is closed after its answer.
//
// Stops on SIGTERM, SIGINT or SIGQUIT (finishing in-flight requests, up to
// server.shutdown_timeout), or after server.max_requests_per_worker requests (recycling). The
// caller must have blocked SIGTERM, SIGINT, SIGQUIT and SIGHUP in every thread; this function
// waits for them with sigtimedwait. Returns the process exit code.
#pragma once

#include "config/config.h"
#include "fastcgi/master.h"

namespace otr {

// The exit code of a worker whose listening socket stopped giving connections (shut down, closed,
// in error): the master then checks the socket itself, backs off, and gives up if it is gone.
inline constexpr int kExitListenerFailed = 71;  // EX_OSERR

// libfcgi's process-wide setup (FCGX_Init), once, before any thread exists; false when it fails.
// It installs a SIGPIPE handler: ignore SIGPIPE afterwards.
bool fastcgi_global_init();

// hooks.before_abrupt_exit runs before an _exit() past shutdown_timeout.
int serve_requests(int listen_fd, const Config& config, const HandlerFactory& factory, const ProcessHooks& hooks);

}  // namespace otr
