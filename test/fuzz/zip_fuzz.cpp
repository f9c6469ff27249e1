// Feeds the zip readers: terraform/package_hash package_h1 (the input written to a temporary file,
// as an imported or pushed package is) and terraform/module_zip zip_read_entry (the input as a
// module package held in memory, as the catalogue reads its README.md). Only the program's Error
// family may come out (PackageError, or the error of a bound); an h1 is "h1:" and 44 base64
// characters. A seed lists one 64 KiB entry eight times in the central directory (issue 18, finding 1).
#include "base/error.h"
#include "fuzz.h"
#include "temp_file.h"
#include "terraform/module_zip.h"
#include "terraform/package_hash.h"

using namespace otr;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static fuzz::TempFile file(".zip");
  const std::string_view zip = fuzz::text(data, size);
  try {
    std::string h1 = package_h1(file.write(zip));
    FUZZ_CHECK(h1.size() == 47 && h1.starts_with("h1:"));
  } catch (const Error&) {
  }
  try {
    if (std::optional<ZipText> readme = zip_read_entry(zip, "README.md", 4096)) FUZZ_CHECK(readme->text.size() <= 4096);
  } catch (const Error&) {
  }
  return 0;
}
