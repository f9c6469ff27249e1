#include "oci/reader.h"

#include "base/error.h"

namespace otr {

FetchedManifest OciReader::get_manifest(const std::string& repository, const std::string& reference,
                                        std::size_t max_bytes) {
  std::optional<FetchedManifest> found = find_manifest(repository, reference, max_bytes);
  if (!found) throw Error(ErrorKind::kNotFound, "manifest " + repository + (reference.find(':') != std::string::npos ? "@" : ":") +
                                                    reference + ": not found");
  return std::move(*found);
}

}  // namespace otr
