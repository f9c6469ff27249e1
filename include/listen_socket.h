// The listening socket: handed over by systemd or a web server, or bound from server.listen_addr.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

#include "config.h"
#include "unique_fd.h"

namespace otr {

enum class ServeMode {
  kStandalone,  // we bound listen_addr: run the worker pool
  kSystemd,     // socket activation: run the worker pool on the passed socket
  kSpawned,     // a web server spawned us with the socket on fd 0: serve it in this process
};

struct ListenSocket {
  UniqueFd fd;
  ServeMode mode = ServeMode::kStandalone;
  std::string description;  // for logs: "127.0.0.1:9000", "unix:/run/x.sock", "fd 0 from systemd"
  // A unix socket file we created ("" otherwise), and its identity, for remove_socket_file().
  std::string unix_path;
  dev_t unix_dev = 0;
  ino_t unix_ino = 0;

  // Removes the unix socket file we created, unless the path now names another file (a newer
  // server's socket). Never touches sockets systemd or a web server passed in.
  void remove_socket_file() const;
};

// A listening socket handed to us, or nullopt:
//  - LISTEN_FDS/LISTEN_PID naming this process: fd 3 (the variables are then removed, so nothing
//    this process starts mistakes them for its own);
//  - a listening socket on fd 0 whose parent is systemd (StandardInput=socket, which sets no
//    LISTEN_FDS): systemd mode;
//  - any other listening socket on fd 0: a web server spawned us (mod_fcgid, lighttpd bin-path,
//    spawn-fcgi).
std::optional<ListenSocket> inherited_listen_socket();

// Binds and listens on `server.listen_addr` ("host:port", "[v6]:port" or "unix:/path"; backlog 511,
// SO_REUSEADDR). A stale unix socket nobody answers on is replaced; a live one, or anything that is
// not a socket, is refused. The unix socket gets server.socket_mode and never looser permissions
// in between. Throws std::runtime_error with an actionable message.
ListenSocket bind_listen_socket(const ServerConfig& server);

// Makes accept() on the socket non-blocking: workers poll() it and retry when another thread or
// process took the connection first. Throws std::runtime_error.
void set_nonblocking(int fd);

}  // namespace otr
