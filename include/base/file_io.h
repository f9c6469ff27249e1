// File and descriptor helpers written once: reads and writes that retry on EINTR, and whole small
// files read with a size limit.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <string>
#include <string_view>

#include "base/unique_fd.h"

namespace otr {

// read(2), retried while it fails with EINTR.
ssize_t read_retrying(int fd, void* buffer, std::size_t size);

// Writes all of `data` (retrying partial writes and EINTR); false on an error, with errno set.
bool write_all(int fd, std::string_view data);

// The whole file at `path`, at most `limit` bytes. Throws Error: kNotFound when it does not exist,
// kUnreachable when it cannot be read, kBadResponse when it is larger than `limit`; messages start
// with `path` and name it as `what`.
std::string read_file_limited(const std::string& path, std::size_t limit, const std::string& what);

// An empty temporary file (mode 0600) in $TMPDIR, else /tmp, for this process alone. kUnnamed, where the
// file system allows it (O_TMPFILE): the file has no name, it disappears with this object or with the
// process however it ends, and path() is "/proc/self/fd/N", which only this process can open (and
// which cannot be replaced by renaming another file over it). Otherwise, and for kNamed (a writer such
// as libzip that writes a file beside the path and renames it over), it is named
// oci-distribution-terraform-registry-XXXXXX<suffix> and removed when this goes out of scope. Throws
// Error(kUnreachable) when it cannot be created.
class TempFile {
 public:
  enum class Kind { kUnnamed, kNamed };
  explicit TempFile(const std::string& suffix, Kind kind = Kind::kUnnamed);
  ~TempFile();
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  // Open it (and open it again) by this path; never hand it to another program.
  const std::string& path() const { return path_; }

 private:
  UniqueFd unnamed_;  // the O_TMPFILE file, kept open for its life; -1 when the file is named
  std::string path_;
};

// Marks every descriptor of this process above stderr close-on-exec: for descriptors a library
// opens without the flag (libcurl's wake-up socket pairs, made with each new handle), called right
// after the call that opened them. Programs this one starts close every other descriptor anyway
// (base/spawn.h; gpgme does the same for gpg).
void mark_descriptors_close_on_exec();

}  // namespace otr
