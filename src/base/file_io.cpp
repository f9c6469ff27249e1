#include "base/file_io.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/error.h"
#include "base/unique_fd.h"

namespace otr {

ssize_t read_retrying(int fd, void* buffer, std::size_t size) {
  while (true) {
    ssize_t n = ::read(fd, buffer, size);
    if (n >= 0 || errno != EINTR) return n;
  }
}

bool write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

std::string read_file_limited(const std::string& path, std::size_t limit, const std::string& what) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno == ENOENT) throw Error(ErrorKind::kNotFound, path + ": " + what + " not found");
    throw Error(ErrorKind::kUnreachable, path + ": " + std::strerror(errno));
  }
  std::string out;
  char buffer[8192];
  while (true) {
    ssize_t n = read_retrying(fd.get(), buffer, sizeof buffer);
    if (n < 0) throw Error(ErrorKind::kUnreachable, path + ": " + std::strerror(errno));
    if (n == 0) return out;
    out.append(buffer, static_cast<std::size_t>(n));
    if (out.size() > limit) throw Error(ErrorKind::kBadResponse, path + ": " + what + " is too large");
  }
}

}  // namespace otr
