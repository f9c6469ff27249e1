// The request-serving side of one process: server.worker_threads threads accepting FastCGI
// connections through libfcgi and handing each request to the Application (created here, after any
// fork, with the factory).
//
// Every thread poll()s the non-blocking listening socket together with a shared stop event; when
// the socket is readable it calls FCGX_Accept_r, which returns -EAGAIN if another thread or process
// took the connection first. Stopping therefore needs no signal delivery to threads: the stop event
// wakes them all, each finishes its in-flight request and exits.
//
// Stops on SIGTERM, SIGINT or SIGQUIT, or after server.max_requests_per_worker requests
// (recycling); waits up to server.shutdown_timeout for in-flight requests, then exits without them.
#pragma once

#include "config.h"
#include "fcgi_server.h"

namespace otr {

enum class WorkerRole {
  kPoolMember,  // forked by our master, which handles SIGHUP
  kSpawned,     // started by a web server, which is the process manager
};

// Preconditions: FCGX_Init done, `listen_fd` non-blocking, server_signals() blocked in the calling
// thread, SIGPIPE ignored. Handles server_signals() itself (signalfd). Returns the exit code: 0
// after a stop or recycling with every request finished, 1 otherwise.
int serve_requests(int listen_fd, const Config& config, const ApplicationFactory& factory, WorkerRole role);

}  // namespace otr
