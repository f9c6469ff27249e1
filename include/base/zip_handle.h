// RAII for libzip handles.
//
// A ZipPtr is discarded (zip_discard: nothing written) when it goes out of scope. An archive being
// written is closed explicitly, `zip_close(p.get())`, and released only once that succeeded, so
// that write errors are reported; if an exception unwinds first, the half-written archive is
// discarded.
#pragma once

#include <zip.h>

#include <memory>

namespace otr {

struct ZipDiscard {
  void operator()(zip_t* z) const { zip_discard(z); }
};
using ZipPtr = std::unique_ptr<zip_t, ZipDiscard>;

struct ZipFileClose {
  void operator()(zip_file_t* f) const { zip_fclose(f); }
};
using ZipFilePtr = std::unique_ptr<zip_file_t, ZipFileClose>;

struct ZipSourceFree {
  void operator()(zip_source_t* s) const { zip_source_free(s); }
};
using ZipSourcePtr = std::unique_ptr<zip_source_t, ZipSourceFree>;

}  // namespace otr
