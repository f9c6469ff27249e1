#include "listen_socket.h"

#include <fcntl.h>
#include <netdb.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <stdexcept>

#include "log.h"

namespace otr {

namespace {

constexpr int kBacklog = 511;
constexpr int kSystemdFirstFd = 3;  // SD_LISTEN_FDS_START

std::runtime_error error(const std::string& what, int err) {
  return std::runtime_error(what + ": " + std::strerror(err));
}

bool is_listening_socket(int fd) {
  int accepting = 0;
  socklen_t len = sizeof accepting;
  return getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &accepting, &len) == 0 && accepting != 0;
}

// systemd with StandardInput=socket starts us directly, passes the socket on fd 0 only, and sets
// no LISTEN_FDS; it does set INVOCATION_ID. A web server started by systemd (lighttpd passes its
// whole environment to bin-path programs) is our parent in that case, not systemd.
bool started_by_systemd() {
  if (std::getenv("INVOCATION_ID") == nullptr) return false;
  std::ifstream comm("/proc/" + std::to_string(getppid()) + "/comm");
  std::string name;
  std::getline(comm, name);
  return name == "systemd";
}

std::optional<ListenSocket> systemd_socket() {
  const char* fds = std::getenv("LISTEN_FDS");
  const char* pid = std::getenv("LISTEN_PID");
  if (fds == nullptr || pid == nullptr || std::atol(pid) != static_cast<long>(getpid())) return std::nullopt;
  int count = std::atoi(fds);
  unsetenv("LISTEN_FDS");
  unsetenv("LISTEN_PID");
  unsetenv("LISTEN_FDNAMES");
  if (count < 1) return std::nullopt;
  if (count > 1)
    log_warning("systemd passed " + std::to_string(count) + " sockets; serving only the first (fd 3)");
  if (!is_listening_socket(kSystemdFirstFd)) {
    log_warning("LISTEN_FDS is set but fd 3 is not a listening socket; ignoring it");
    return std::nullopt;
  }
  ListenSocket s;
  s.fd.reset(kSystemdFirstFd);
  s.mode = ServeMode::kSystemd;
  s.description = "fd 3 from systemd (socket activation)";
  return s;
}

// Whether a server answers on the unix socket at `addr`: connected, or its backlog is full.
bool unix_socket_answers(const sockaddr_un& addr, const std::string& path) {
  UniqueFd probe(socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!probe.valid()) throw error("cannot create a socket", errno);
  if (connect(probe.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0) return true;
  if (errno == ECONNREFUSED) return false;
  if (errno == EAGAIN || errno == EINPROGRESS) return true;
  throw error("cannot listen on unix:" + path + ": cannot tell whether the existing socket is in use", errno);
}

ListenSocket bind_unix(const std::string& path, unsigned mode) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof addr.sun_path)
    throw std::runtime_error("cannot listen on unix:" + path + ": the path must have 1 to " +
                             std::to_string(sizeof addr.sun_path - 1) + " bytes");
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  const std::string where = "cannot listen on unix:" + path;

  struct stat st {};
  if (lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode))
      throw std::runtime_error(where + ": the path exists and is not a socket; remove it or choose another listen_addr");
    if (unix_socket_answers(addr, path))
      throw std::runtime_error(where + ": another server is listening there (is this server running already?)");
    if (unlink(path.c_str()) != 0 && errno != ENOENT) throw error(where + ": cannot remove the stale socket", errno);
    log_info("removed the stale socket unix:" + path);
  }

  UniqueFd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) throw error("cannot create a socket", errno);
  // The socket file is created with owner-only permissions, then opened up to `mode`: never looser.
  mode_t old_umask = umask(0177);
  int rc = bind(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
  int bind_errno = errno;
  umask(old_umask);
  if (rc != 0) {
    std::string hint = bind_errno == ENOENT ? " (create the directory first)"
                       : bind_errno == EACCES ? " (the directory is not writable for this user)"
                                              : "";
    throw error(where + hint, bind_errno);
  }
  if (chmod(path.c_str(), mode) != 0 || listen(fd.get(), kBacklog) != 0) {
    int err = errno;
    unlink(path.c_str());
    throw error(where, err);
  }
  if (stat(path.c_str(), &st) != 0) st = {};

  ListenSocket s;
  s.fd = std::move(fd);
  s.mode = ServeMode::kStandalone;
  s.description = "unix:" + path;
  s.unix_path = path;
  s.unix_dev = st.st_dev;
  s.unix_ino = st.st_ino;
  return s;
}

ListenSocket bind_tcp(const std::string& listen_addr) {
  size_t colon = listen_addr.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == listen_addr.size())
    throw std::runtime_error("invalid listen_addr \"" + listen_addr + "\": expected host:port, [v6]:port or unix:/path");
  std::string host = listen_addr.substr(0, colon);
  std::string port = listen_addr.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);

  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  if (int rc = getaddrinfo(host.c_str(), port.c_str(), &hints, &found); rc != 0)
    throw std::runtime_error("cannot resolve listen_addr \"" + listen_addr + "\": " + gai_strerror(rc));
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> owner(found, &freeaddrinfo);

  // One socket only. IPv4 first: "localhost:8080" should be what a web server's 127.0.0.1:8080 reaches.
  int last_errno = EADDRNOTAVAIL;
  for (bool want_v4 : {true, false}) {
    for (addrinfo* ai = found; ai != nullptr; ai = ai->ai_next) {
      if ((ai->ai_family == AF_INET) != want_v4) continue;
      UniqueFd fd(socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol));
      if (!fd.valid()) {
        last_errno = errno;
        continue;
      }
      int one = 1;
      setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
      if (bind(fd.get(), ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd.get(), kBacklog) == 0) {
        ListenSocket s;
        s.fd = std::move(fd);
        s.mode = ServeMode::kStandalone;
        s.description = listen_addr;
        return s;
      }
      last_errno = errno;
    }
  }
  std::string hint = last_errno == EADDRINUSE ? " (another program, or this server, is already listening there)"
                     : last_errno == EACCES   ? " (ports below 1024 need privileges)"
                                              : "";
  throw error("cannot listen on " + listen_addr + hint, last_errno);
}

}  // namespace

void ListenSocket::remove_socket_file() const {
  if (unix_path.empty()) return;
  struct stat st {};
  if (lstat(unix_path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode) && st.st_dev == unix_dev && st.st_ino == unix_ino)
    unlink(unix_path.c_str());
}

std::optional<ListenSocket> inherited_listen_socket() {
  if (auto s = systemd_socket()) return s;
  if (!is_listening_socket(STDIN_FILENO)) return std::nullopt;
  ListenSocket s;
  s.fd.reset(STDIN_FILENO);
  if (started_by_systemd()) {
    s.mode = ServeMode::kSystemd;
    s.description = "fd 0 from systemd (socket activation, StandardInput=socket)";
  } else {
    s.mode = ServeMode::kSpawned;
    s.description = "fd 0 from the web server that started this process";
  }
  return s;
}

ListenSocket bind_listen_socket(const ServerConfig& server) {
  if (server.listen_addr.starts_with("unix:")) return bind_unix(server.listen_addr.substr(5), server.socket_mode);
  return bind_tcp(server.listen_addr);
}

void set_nonblocking(int fd) {
  int flags = fcntl(fd, F_GETFL);
  if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0)
    throw error("cannot make the listening socket non-blocking", errno);
}

}  // namespace otr
