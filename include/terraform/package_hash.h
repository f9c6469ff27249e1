// Terraform's hashes of a package (a provider or module zip), computed from a file on disk in
// constant memory:
//  - "zh:<hex>"   the sha256 of the zip file itself (also its OCI blob digest);
//  - "h1:<b64>"   golang.org/x/mod/sumdb/dirhash Hash1 over the zip's entries (HashZip), which is
//                 what Terraform and OpenTofu compute for a package archive: for every entry,
//                 sorted by its raw name bytes, the line "<sha256 hex of its contents>  <name>\n";
//                 the sha256 of all lines, in standard padded base64. Directory entries count (with
//                 empty contents), like in Go.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "terraform/zip_reader.h"

namespace otr {

struct FileDigest {
  std::string digest;      // "sha256:<hex>"
  std::int64_t size = 0;   // bytes
};

// The sha256 digest and size of a file, streamed. Throws PackageError when it cannot be read.
FileDigest file_sha256(const std::string& path);

// "h1:..." of the zip at `path`, read within `bounds` (terraform/zip_reader.h: a repeated name,
// overlapping entries or contents beyond the bounds are refused). Every entry is decompressed (and
// its CRC checked by libzip). Throws PackageError naming the file and the problem, Error(kUnavailable)
// when `cancelled` is set while it reads.
std::string package_h1(const std::string& zip_path, const ZipBounds& bounds = {},
                       const std::atomic<bool>* cancelled = nullptr);

}  // namespace otr
