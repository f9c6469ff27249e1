#include "fastcgi/listen_socket.h"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <stdexcept>

namespace otr {

bool is_listening_socket(int fd) {
  int accepting = 0;
  socklen_t len = sizeof accepting;
  return getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &accepting, &len) == 0 && accepting != 0;
}

namespace {

constexpr int kBacklog = 511;

[[noreturn]] void fail(const std::string& what) {
  throw std::runtime_error(what + ": " + std::strerror(errno));
}

// "owner www-data:www-data, mode 0660" of what is at `path`.
std::string ownership(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return "ownership unknown";
  const passwd* user = ::getpwuid(st.st_uid);
  const group* g = ::getgrgid(st.st_gid);
  char mode[8];
  std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
  return std::string("owner ") + (user ? user->pw_name : std::to_string(st.st_uid)) + ":" +
         (g ? g->gr_name : std::to_string(st.st_gid)) + ", mode " + mode;
}

ListenSocket bind_unix(const std::string& path, unsigned mode, long uid, long gid) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) throw std::runtime_error("unix socket path too long: " + path);
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);

  struct stat st {};
  if (lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode))
      throw std::runtime_error("cannot listen on unix:" + path + ": the path exists and is not a socket");
    int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    bool alive = probe >= 0 && connect(probe, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    if (probe >= 0) close(probe);
    if (alive) throw std::runtime_error("cannot listen on unix:" + path + ": another server is answering there");
    if (unlink(path.c_str()) != 0 && errno != ENOENT)  // a stale socket from a previous run
      fail("cannot listen on unix:" + path + ": cannot remove the stale socket there");
  }
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) fail("socket");
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    int saved = errno;
    close(fd);
    errno = saved;
    fail("cannot listen on unix:" + path);
  }
  if ((uid >= 0 || gid >= 0) &&
      ::chown(path.c_str(), static_cast<uid_t>(uid), static_cast<gid_t>(gid)) != 0) {
    int saved = errno;
    close(fd);
    unlink(path.c_str());
    errno = saved;
    fail("cannot give unix:" + path + " to socket_owner/socket_group (changing a socket's owner needs root; its "
         "group needs the group to be one of this user's)");
  }
  if (chmod(path.c_str(), mode) != 0 || listen(fd, kBacklog) != 0) {
    int saved = errno;
    close(fd);
    unlink(path.c_str());
    errno = saved;
    fail("cannot listen on unix:" + path);
  }
  return ListenSocket{fd, ServeMode::kStandalone, "unix:" + path + " (" + ownership(path) + ")", path};
}

ListenSocket bind_tcp(const std::string& listen_addr) {
  size_t colon = listen_addr.rfind(':');
  std::string host = listen_addr.substr(0, colon);
  std::string port = listen_addr.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* found = nullptr;
  if (int rc = getaddrinfo(host.c_str(), port.c_str(), &hints, &found); rc != 0)
    throw std::runtime_error("cannot resolve listen_addr \"" + listen_addr + "\": " + gai_strerror(rc));
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> owner(found, &freeaddrinfo);
  // Prefer IPv4: "localhost:8080" should mean what a web server's "127.0.0.1:8080" reaches.
  int last_errno = 0;
  for (int pass = 0; pass < 2; ++pass) {
    for (addrinfo* ai = found; ai != nullptr; ai = ai->ai_next) {
      if ((pass == 0) != (ai->ai_family == AF_INET)) continue;
      int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
      if (fd < 0) continue;
      int one = 1;
      if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0) {
        last_errno = errno;
        close(fd);
        continue;
      }
      if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, kBacklog) == 0)
        return ListenSocket{fd, ServeMode::kStandalone, listen_addr, ""};
      last_errno = errno;
      close(fd);
    }
  }
  errno = last_errno;
  fail("cannot listen on " + listen_addr);
}

}  // namespace

ListenSocket inherited_listen_socket() {
  const char* fds = std::getenv("LISTEN_FDS");
  const char* pid = std::getenv("LISTEN_PID");
  if (fds != nullptr && pid != nullptr && std::atoi(pid) == getpid() && std::atoi(fds) >= 1 && is_listening_socket(3)) {
    unsetenv("LISTEN_FDS");
    unsetenv("LISTEN_PID");
    unsetenv("LISTEN_FDNAMES");
    return ListenSocket{3, ServeMode::kSystemd, "fd 3 (systemd socket activation)", ""};
  }
  if (is_listening_socket(0)) {
    // systemd with StandardInput=socket also puts the listener on fd 0; it sets INVOCATION_ID.
    if (std::getenv("INVOCATION_ID") != nullptr)
      return ListenSocket{0, ServeMode::kSystemd, "fd 0 (systemd socket activation)", ""};
    return ListenSocket{0, ServeMode::kSpawned, "fd 0 (spawned by a web server)", ""};
  }
  return ListenSocket{};
}

ListenSocket bind_listen_socket(const ServerConfig& server) {
  if (server.listen_addr.starts_with("unix:"))
    return bind_unix(server.listen_addr.substr(5), server.socket_mode, server.socket_uid, server.socket_gid);
  return bind_tcp(server.listen_addr);
}

void prepare_listener(int fd) {
  int flags = fcntl(fd, F_GETFL);
  if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) fail("cannot make the listening socket non-blocking");
  int fd_flags = fcntl(fd, F_GETFD);
  if (fd_flags < 0 || fcntl(fd, F_SETFD, fd_flags | FD_CLOEXEC) != 0)
    fail("cannot make the listening socket close-on-exec");
}

bool listener_gone(int fd) {
  if (!is_listening_socket(fd)) return true;
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, 0) < 0 || (p.revents & (POLLHUP | POLLERR | POLLNVAL)) != 0;
}

}  // namespace otr
