#include "base/file_io.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
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

TempFile::TempFile(const std::string& suffix, Kind kind) {
  const char* env = std::getenv("TMPDIR");
  const std::string dir = env != nullptr && *env != '\0' ? env : "/tmp";
  // Unnamed where the file system can (tmpfs, ext4, xfs, btrfs): nothing is left behind by a process
  // that is killed, so there is nothing to sweep.
  if (kind == Kind::kUnnamed) unnamed_.reset(::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600));
  if (unnamed_.get() >= 0) {
    path_ = "/proc/self/fd/" + std::to_string(unnamed_.get());
    return;
  }
  path_ = dir + "/oci-distribution-terraform-registry-XXXXXX" + suffix;
  int fd = ::mkostemps(path_.data(), static_cast<int>(suffix.size()), O_CLOEXEC);
  if (fd < 0) throw Error(ErrorKind::kUnreachable, "cannot create a temporary file in " + dir);
  ::close(fd);
}

TempFile::~TempFile() {
  if (unnamed_.get() < 0) ::unlink(path_.c_str());
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
    throw Error(ErrorKind::kUnreachable, path + ": cannot read " + what + ": " + std::strerror(errno));
  }
  std::string out;
  char buffer[8192];
  while (true) {
    ssize_t n = read_retrying(fd.get(), buffer, sizeof buffer);
    if (n < 0) throw Error(ErrorKind::kUnreachable, path + ": cannot read " + what + ": " + std::strerror(errno));
    if (n == 0) return out;
    out.append(buffer, static_cast<std::size_t>(n));
    if (out.size() > limit) throw Error(ErrorKind::kBadResponse, path + ": " + what + " is too large");
  }
}

void mark_descriptors_close_on_exec() {
  DIR* dir = ::opendir("/proc/self/fd");
  if (dir == nullptr) return;
  const int own = ::dirfd(dir);
  while (dirent* entry = ::readdir(dir)) {
    char* end = nullptr;
    long fd = std::strtol(entry->d_name, &end, 10);
    if (end == entry->d_name || *end != '\0' || fd <= 2 || fd == own) continue;
    int flags = ::fcntl(static_cast<int>(fd), F_GETFD);
    if (flags >= 0 && (flags & FD_CLOEXEC) == 0) ::fcntl(static_cast<int>(fd), F_SETFD, flags | FD_CLOEXEC);
  }
  ::closedir(dir);
}

}  // namespace otr
