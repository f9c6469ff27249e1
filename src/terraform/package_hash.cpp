#include "terraform/package_hash.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "base/base64.h"
#include "base/sha256.h"
#include "base/unique_fd.h"
#include "base/file_io.h"

namespace otr {

namespace {

constexpr size_t kChunk = 64 * 1024;

}  // namespace

FileDigest file_sha256(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) throw PackageError(path + ": " + std::strerror(errno));
  Sha256 hash;
  FileDigest result;
  std::vector<char> buffer(kChunk);
  while (true) {
    ssize_t n = read_retrying(fd.get(), buffer.data(), buffer.size());
    if (n < 0) throw PackageError(path + ": " + std::strerror(errno));
    if (n == 0) break;
    hash.update(std::string_view(buffer.data(), static_cast<size_t>(n)));
    result.size += n;
  }
  result.digest = "sha256:" + hash.hex_digest();
  return result;
}

std::string package_h1(const std::string& zip_path, const ZipBounds& bounds, const std::atomic<bool>* cancelled) {
  ZipReader zip = ZipReader::open_file(zip_path, bounds);
  std::vector<const ZipReader::Entry*> entries;
  for (const ZipReader::Entry& e : zip.entries()) {
    if (e.name.find('\n') != std::string::npos)
      throw PackageError(zip_path + ": an entry name contains a newline, which Terraform's h1: hash does not allow");
    entries.push_back(&e);
  }
  // Like Go's HashZip: sorted by the names' bytes.
  std::sort(entries.begin(), entries.end(),
            [](const ZipReader::Entry* a, const ZipReader::Entry* b) { return a->name < b->name; });
  Sha256 summary;
  for (const ZipReader::Entry* e : entries) {
    Sha256 content;
    zip.read(*e, [&](std::string_view data) {
      content.update(data);
      return true;
    }, cancelled);
    summary.update(content.hex_digest() + "  " + e->name + "\n");
  }
  return "h1:" + base64_encode(summary.raw_digest());
}

}  // namespace otr
