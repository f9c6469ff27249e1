// Writing OCI Image Layout directories (see oci/layout_reader.h for the layout): the target of
// `push --to oci-layout:DIR` and of a push into a service whose origin is a file:// directory.
#pragma once

#include <optional>
#include <string>

#include "base/unique_fd.h"
#include "oci/layout_reader.h"
#include "oci/push.h"

namespace otr {

// Writes into a layout, creating it when missing. Holds an exclusive lock on the layout for its
// lifetime (a second push into the same directory waits). Blobs are written to a temporary file,
// checked against their digest and renamed into place; index.json is replaced atomically.
class OciLayoutTarget : public ArtifactTarget {
 public:
  explicit OciLayoutTarget(std::string directory);

  std::string location(const std::string& repository) const override;
  std::optional<FetchedManifest> manifest_by_tag(const std::string& repository, const std::string& tag) override;
  FetchedManifest manifest_by_digest(const std::string& repository, const std::string& digest) override;
  BlobOutcome put_blob(const std::string& repository, const BlobUpload& blob, const ProgressCallback& progress,
                       std::string* mounted_from = nullptr) override;
  void put_manifest(const std::string& repository, const std::string& reference, const std::string& media_type,
                    const std::string& body) override;
  void stream_blob(const std::string& repository, const std::string& digest,
                   const std::function<bool(std::string_view)>& on_data) override;

 private:
  std::string directory_;
  OciLayoutReader reader_;
  UniqueFd lock_;  // the exclusive flock on <directory>/oci-layout, held while this target lives
};

}  // namespace otr
