// One worker: serves FastCGI requests on a listening socket with server.worker_threads threads in
// this process, through libfcgi, until told to stop.
//
// Stops on SIGTERM, SIGINT or SIGQUIT (finishing in-flight requests, up to
// server.shutdown_timeout), or after server.max_requests_per_worker requests (recycling). The
// caller must have blocked SIGTERM, SIGINT, SIGQUIT and SIGHUP in every thread; this function
// waits for them with sigtimedwait. Returns the process exit code.
#pragma once

#include "config/config.h"
#include "fastcgi/master.h"

namespace otr {

// hooks.before_abrupt_exit runs before an _exit() past shutdown_timeout.
int serve_requests(int listen_fd, const Config& config, const HandlerFactory& factory, const ProcessHooks& hooks);

}  // namespace otr
