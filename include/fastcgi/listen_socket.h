// The listening socket: inherited from systemd or a web server, or bound from listen_addr.
#pragma once

#include <string>

#include "config/config.h"

namespace otr {

enum class ServeMode {
  kStandalone,  // we bound listen_addr: run the worker pool
  kSystemd,     // socket activation: run the worker pool on the passed socket
  kSpawned,     // a web server spawned us with the socket on fd 0: serve it in this process
};

struct ListenSocket {
  int fd = -1;
  ServeMode mode = ServeMode::kStandalone;
  // For logs: "127.0.0.1:9000", "unix:/run/x.sock (owner root:www-data, mode 0660)",
  // "fd 0 (spawned by a web server)".
  std::string description;
  std::string unix_path;    // a unix socket we created and remove on exit
};

// `fd` is a socket in the listening state (a web server that spawns us gives one on fd 0).
bool is_listening_socket(int fd);

// Looks for a socket handed to us (LISTEN_FDS/LISTEN_PID, or a listening socket on fd 0).
// Returns fd -1 when there is none.
ListenSocket inherited_listen_socket();

// Binds and listens on `server.listen_addr` (backlog 511). A stale unix socket nobody answers on is
// replaced; anything else at that path is refused. Throws std::runtime_error with an actionable
// message.
ListenSocket bind_listen_socket(const ServerConfig& server);

// Makes accept() on the socket non-blocking (workers poll before accepting), and the descriptor
// close-on-exec (a program started by a worker never holds it). Throws std::runtime_error.
void prepare_listener(int fd);

// The socket no longer gives connections: closed, not a listening socket any more, shut down, or
// in error.
bool listener_gone(int fd);

}  // namespace otr
