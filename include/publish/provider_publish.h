// Publishing one provider release in OpenTofu's layout (see README "push provider"):
//   blobs: the empty config and one zip per platform (only when missing)
//   one image manifest per platform (by digest), annotated with the package's h1:, file name,
//   version, created time and source
//   the image index, tagged with the version ('+' written '_'), written last.
// Safe to repeat: identical packages already under the tag are a no-op; different ones are
// refused unless `force`.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "base/clock.h"
#include "oci/push.h"
#include "publish/push_report.h"
#include "terraform/naming.h"

namespace otr {

// The version exists with other content and --force was not given.
class PublishConflict : public Error {
 public:
  explicit PublishConflict(const std::string& message) : Error(ErrorKind::kConflict, message) {}
};

struct ProviderPackage {
  std::string path;       // the zip on disk
  std::string file_name;  // terraform-provider-TYPE_VERSION_OS_ARCH.zip
  std::string os;
  std::string arch;
  // Filled by hash_provider_packages:
  std::string digest;     // "sha256:<hex>" (zh:)
  std::int64_t size = 0;
  std::string h1;         // "h1:<base64>"
};

// Checks the zips named on the command line against ADDRESS and VERSION: each file must exist and
// be named terraform-provider-TYPE_VERSION_OS_ARCH.zip with the address's type and this version,
// and no platform may appear twice. Returns them sorted by platform. Throws InputError.
std::vector<ProviderPackage> check_provider_packages(const ProviderAddress& address, const std::string& version,
                                                     const std::vector<std::string>& zip_paths);

// Computes digest, size and h1: of each package (PackageError for a corrupt zip).
void hash_provider_packages(std::vector<ProviderPackage>& packages);

struct PublishSettings {
  bool force = false;      // replace a version that exists with other content
  std::string source;      // org.opencontainers.image.source ("" = none)
  std::string protocols;   // kProtocolsAnnotation on the index, e.g. "6.0" ("" = none: registries assume 5.0,6.0)
  std::string created;     // org.opencontainers.image.created ("" = none; see created_time())
};

// The RFC 3339 time for org.opencontainers.image.created: SOURCE_DATE_EPOCH when it is set (for
// reproducible artifacts), else the clock's.
std::string created_time(const Clock& clock);

enum class PublishOutcome { kPublished, kUnchanged, kReplaced };

// The differences between what a tag holds and `packages`, one line each ("linux_amd64: different
// package (sha256:...)", "darwin_arm64: not in this push"); empty when identical. `existing` maps
// "os_arch" to the zip digest the registry holds.
std::vector<std::string> release_differences(const std::vector<std::pair<std::string, std::string>>& existing,
                                             const std::vector<ProviderPackage>& packages);

// Publishes hashed `packages` of `address` VERSION into `repository` of `target`.
// Throws PublishConflict, Error, PackageError.
PublishOutcome publish_provider_release(ArtifactTarget& target, const std::string& repository,
                                        const ProviderAddress& address, const std::string& version,
                                        const std::vector<ProviderPackage>& packages,
                                        const PublishSettings& settings, PushReporter& reporter);

// Uploads one blob with progress reported under `label`; returns the summary word for it
// ("uploaded", "already present", "mounted from <repo>").
std::string put_blob_reported(ArtifactTarget& target, const std::string& repository, const BlobUpload& blob,
                              const std::string& label, PushReporter& reporter);

}  // namespace otr
