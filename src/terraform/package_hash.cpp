#include "terraform/package_hash.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <vector>

#include "base/base64.h"
#include "base/sha256.h"
#include "base/unique_fd.h"
#include "base/zip_handle.h"
#include "base/file_io.h"

namespace otr {

namespace {

constexpr size_t kChunk = 64 * 1024;


std::string zip_open_error(int code) {
  zip_error_t error;
  zip_error_init_with_code(&error, code);
  std::string message = zip_error_strerror(&error);
  zip_error_fini(&error);
  return message;
}

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

std::string package_h1(const std::string& zip_path) {
  int code = 0;
  ZipPtr archive(zip_open(zip_path.c_str(), ZIP_RDONLY, &code));
  if (!archive) {
    if (code == ZIP_ER_OPEN || code == ZIP_ER_NOENT || code == ZIP_ER_READ)
      throw PackageError(zip_path + ": cannot read the file (" + zip_open_error(code) + ")");
    throw PackageError(zip_path + ": not a valid zip archive (" + zip_open_error(code) + ")");
  }
  zip_int64_t count = zip_get_num_entries(archive.get(), 0);
  if (count < 0) throw PackageError(zip_path + ": cannot list the zip's entries");
  // Like Go's HashZip: every entry's name is listed, and a repeated name reads its last entry.
  std::vector<std::string> names;
  std::map<std::string, zip_uint64_t> entry_of;
  for (zip_int64_t i = 0; i < count; ++i) {
    const char* name = zip_get_name(archive.get(), static_cast<zip_uint64_t>(i), ZIP_FL_ENC_RAW);
    if (name == nullptr) throw PackageError(zip_path + ": cannot read the name of entry " + std::to_string(i));
    if (std::strchr(name, '\n') != nullptr)
      throw PackageError(zip_path + ": an entry name contains a newline, which Terraform's h1: hash does not allow");
    names.emplace_back(name);
    entry_of[name] = static_cast<zip_uint64_t>(i);
  }
  std::sort(names.begin(), names.end());
  Sha256 summary;
  std::vector<char> buffer(kChunk);
  for (const std::string& name : names) {
    ZipFilePtr file(zip_fopen_index(archive.get(), entry_of[name], 0));
    if (!file)
      throw PackageError(zip_path + ": cannot open entry \"" + name + "\" (" + zip_strerror(archive.get()) + ")");
    Sha256 content;
    while (true) {
      zip_int64_t n = zip_fread(file.get(), buffer.data(), buffer.size());
      if (n < 0)
        throw PackageError(zip_path + ": entry \"" + name + "\" is corrupt (" + zip_file_strerror(file.get()) + ")");
      if (n == 0) break;
      content.update(std::string_view(buffer.data(), static_cast<size_t>(n)));
    }
    summary.update(content.hex_digest() + "  " + name + "\n");
  }
  return "h1:" + base64_encode(summary.raw_digest());
}

}  // namespace otr
