// Reading a zip that came from someone else (an upstream registry, a registry's blob, a file given to
// `push`) at a bounded cost (README "Limits of an import").
//
// A zip's central directory can promise far more than its bytes: one deflated entry of zeros expands
// about a thousand times, a name may be listed many times over the same data, and entries may share
// (overlap) their compressed bytes. Opening checks the directory before anything is inflated:
//  - at most `max_entries` entries;
//  - every name listed once (a repeated name is refused: Terraform's h1: would read one of them, an
//    unzip tool another);
//  - no overlapping entries: the entries' compressed bytes and their local headers (30 bytes and the
//    name at least) must fit in the archive side by side;
//  - the sizes the directory declares add up to at most `max_expanded_bytes`.
// Reading then counts the bytes actually inflated against the same bound (a directory that lies about
// sizes gains nothing) and checks `cancelled` before every chunk.
//
// A ZipReader is used by one thread at a time; entries() lives as long as it does.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "base/zip_handle.h"

namespace otr {

// A package that cannot be read or hashed: missing, not a zip, corrupt, beyond its bounds, an entry
// name with a newline.
class PackageError : public Error {
 public:
  explicit PackageError(const std::string& message) : Error(ErrorKind::kBadPackage, message) {}
};

struct ZipBounds {
  // Far above any real provider or module (a few entries for a provider, hundreds for a large module).
  static constexpr std::uint64_t kMaxEntries = 65536;
  // The default of an upstream block's max_package_size: a package and its expanded contents must
  // each fit in it.
  static constexpr std::uint64_t kDefaultMaxExpandedBytes = 2ull << 30;

  std::uint64_t max_entries = kMaxEntries;
  std::uint64_t max_expanded_bytes = kDefaultMaxExpandedBytes;  // all entries' contents together
};

class ZipReader {
 public:
  struct Entry {
    std::string name;         // raw bytes, as the directory has it
    std::uint64_t index = 0;  // libzip's
    std::uint64_t size = 0;   // uncompressed, as declared
  };

  // The zip at `path`, named `label` in messages. Throws PackageError when it cannot be read, is not a
  // zip, or breaks `bounds` (the message says which).
  static ZipReader open_file(const std::string& path, const ZipBounds& bounds);
  // A zip held in memory; `data` must outlive the reader. Messages name it `label`.
  static ZipReader open_memory(std::string_view data, const std::string& label, const ZipBounds& bounds);

  ZipReader(ZipReader&&) = default;
  ZipReader& operator=(ZipReader&&) = default;

  // In directory order.
  const std::vector<Entry>& entries() const { return entries_; }
  // The entry named `name` (ASCII case ignored when `ignore_case`), or null.
  const Entry* find(const std::string& name, bool ignore_case) const;

  // Inflates `entry` (its CRC checked by libzip), handing its bytes to `chunk` in pieces of at most
  // 64 KiB until `chunk` returns false or the entry ends. Throws PackageError when the entry is corrupt
  // or the bytes inflated by this reader pass max_expanded_bytes, Error(kUnavailable) when `cancelled`
  // is set before a piece.
  void read(const Entry& entry, const std::function<bool(std::string_view)>& chunk,
            const std::atomic<bool>* cancelled = nullptr);

 private:
  ZipReader(ZipPtr archive, std::string label, std::uint64_t archive_size, const ZipBounds& bounds);

  ZipPtr archive_;
  std::string label_;
  ZipBounds bounds_;
  std::vector<Entry> entries_;
  std::uint64_t expanded_ = 0;  // bytes inflated so far
};

}  // namespace otr
