// Feeds publish/provider_import read_lock_file, the `push provider --from-lock` parser: the input
// is a .terraform.lock.hcl, written to a temporary file. Only InputError may come out; every
// provider it gives has a version.
#include "base/error.h"
#include "fuzz.h"
#include "publish/provider_import.h"
#include "temp_file.h"

using namespace otr;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static fuzz::TempFile file(".terraform.lock.hcl");
  try {
    for (const LockedProvider& p : read_lock_file(file.write(fuzz::text(data, size))))
      FUZZ_CHECK(!p.address.type.empty());
  } catch (const InputError&) {
  }
  return 0;
}
