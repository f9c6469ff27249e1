// Terraform's hashes of a package (a provider or module zip), computed from a file on disk in
// constant memory:
//  - "zh:<hex>"   the sha256 of the zip file itself (also its OCI blob digest);
//  - "h1:<b64>"   golang.org/x/mod/sumdb/dirhash Hash1 over the zip's entries (HashZip), which is
//                 what Terraform and OpenTofu compute for a package archive: for every entry,
//                 sorted by its raw name bytes, the line "<sha256 hex of its contents>  <name>\n";
//                 the sha256 of all lines, in standard padded base64. Directory entries count (with
//                 empty contents), like in Go.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

#include "base/error.h"

namespace otr {

// A package that cannot be read or hashed: missing, not a zip, corrupt, an entry name with a newline.
class PackageError : public Error {
 public:
  explicit PackageError(const std::string& message) : Error(ErrorKind::kBadPackage, message) {}
};

struct FileDigest {
  std::string digest;      // "sha256:<hex>"
  std::int64_t size = 0;   // bytes
};

// The sha256 digest and size of a file, streamed. Throws PackageError when it cannot be read.
FileDigest file_sha256(const std::string& path);

// "h1:..." of the zip at `path`. Every entry is decompressed (and its CRC checked by libzip).
// Throws PackageError naming the file and the problem.
std::string package_h1(const std::string& zip_path);

}  // namespace otr
