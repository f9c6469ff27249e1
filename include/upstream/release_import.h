// Importing one provider release from an upstream provider registry into OCI, in OpenTofu's layout
// (README "Pull-through"), verified the way Terraform and OpenTofu verify a registry's answer:
//
//   1. the upstream's versions document must list the version; the platforms to import are its
//      platforms that the configuration names (all of them when it names none);
//   2. one download document per platform; they must share one SHA256SUMS and signature;
//   3. the detached signature must verify over the exact SHA256SUMS bytes with one of the signing
//      keys the upstream gives (openpgp/gnupg.h);
//   4. SHA256SUMS must have the line "<shasum>  <filename>" for every platform, the filename must be
//      terraform-provider-TYPE_VERSION_OS_ARCH.zip, and each zip (streamed to a temporary file, never
//      held in memory, at most upstream.max_package_size) must have that sha256; its h1: is computed
//      from it within the zip bounds (terraform/zip_reader.h: contents at most max_package_size too);
//      then its blob is stored and the file dropped before the next platform is downloaded, so one
//      package at a time is on disk, whatever the number of platforms;
//   5. then, and only then, the rest: the publisher's checksums blobs, the platform manifests, the
//      checksums manifest (SHA256SUMS, signature, the key that verified it), the index, the tag last.
//
// No manifest or tag is written before every check has passed, so a refused import leaves no release
// in the registry; the blobs of packages that verified before the refusal (or before a failing
// registry cut the import short) may remain, unreferenced and named by their digest. The documents do
// not depend on the time, the host or who imports: imports of
// the same release by several processes or hosts write the same bytes, and the last tag written
// names the same index as the first. Importers racing each other step aside: a manifest already
// present is not written again, a tag another importer wrote meanwhile is taken as the result
// (kAlreadyStored when it names another index, e.g. other platforms), and a write the registry
// fails while another importer writes the same manifests is tried once more.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "oci/manifests.h"
#include "oci/push.h"
#include "terraform/naming.h"
#include "terraform/versions.h"
#include "upstream/provider_source.h"

namespace otr {

// Told what an import is doing: `push` draws progress bars from it, the server logs its lines.
// Called on the importing thread.
class ImportObserver {
 public:
  virtual ~ImportObserver() = default;
  virtual void line(const std::string& text) { (void)text; }
  // A download from the upstream or an upload into OCI of one file of `size` bytes (-1: unknown).
  virtual void transfer_started(const std::string& label, std::int64_t size) { (void)label, (void)size; }
  virtual void transfer_progress(std::int64_t done) { (void)done; }
  virtual void transfer_finished() {}
};

// The platforms of `release` to import: those `wanted` names ("os_arch"; every one when empty),
// sorted.
std::vector<std::pair<std::string, std::string>> platforms_to_import(const UpstreamRelease& release,
                                                                     const std::vector<std::string>& wanted);

// Checks SHA256SUMS against the download documents (step 4 without the zips). Throws UpstreamError.
void check_shasums_lines(std::string_view shasums, const std::vector<UpstreamPackage>& packages);

// A package that passed every check.
struct VerifiedPackage {
  std::string os, arch, filename;
  std::string digest;  // "sha256:<hex>"
  std::int64_t size = 0;
  std::string h1;      // "h1:<base64>"
  std::string path;    // the zip on disk while it is being stored ("" after)
};

// The publisher's signed checksums, verified.
struct SignedChecksums {
  std::string shasums;     // SHA256SUMS, byte for byte as the upstream served it
  std::string signature;   // its detached signature
  std::string public_key;  // the armored key that verified it
};

// What a release is stored as.
struct ReleaseDocuments {
  struct Manifest {
    Descriptor descriptor;
    std::string body;
  };
  std::vector<Manifest> platforms;  // in the order of the packages
  Manifest checksums;               // artifactType kShasumsArtifactType
  std::string index;                // the platforms in order, then the checksums manifest
};

// The manifests that store `packages` (sorted by platform) with `checksums` for VERSION; the same
// input always gives the same bytes.
ReleaseDocuments release_documents(const std::string& type, const Version& version,
                                   const std::vector<VerifiedPackage>& packages, const SignedChecksums& checksums,
                                   const std::vector<std::string>& protocols);

enum class ImportOutcome {
  kImported,       // written now
  kAlreadyStored,  // the tag exists: nothing was asked of the upstream
  kNotUpstream,    // the upstream has no such provider or version: nothing written
};

struct ImportResult {
  ImportOutcome outcome = ImportOutcome::kNotUpstream;
  std::string index_digest;                                    // kImported: of the index tagged
  std::vector<std::pair<std::string, std::string>> platforms;  // kImported: what was written
  std::int64_t bytes = 0;                                      // package bytes downloaded
};

// Imports ADDRESS VERSION from `source` into `repository` of `target`, as the header describes.
// `platforms` is the configuration's list ("os_arch"; empty = all). `cancelled`, when given, is
// checked between steps and while downloading: set, the import stops with Error(kUnavailable)
// before writing. `known_hashes` ("zh:..."/"h1:...", a lock file's), when not empty, are checked
// before writing: with zh: hashes among them (a signed SHA256SUMS covers every platform) every
// package's zh: or h1: must be there; with h1: only (a lock made through a mirror) at least one
// package must match. `listed`, when given, is the release as the caller already read it from the
// upstream's versions document (its version must be `version`): it is not asked for again. Throws
// UpstreamError (does not verify, or the upstream misbehaves), Error (the upstream or the registry
// could not be reached, the registry refused).
ImportResult import_provider_release(ProviderSource& source, ArtifactTarget& target, const std::string& repository,
                                     const ProviderAddress& address, const Version& version,
                                     const std::vector<std::string>& platforms, ImportObserver& observer,
                                     const std::atomic<bool>* cancelled = nullptr,
                                     const std::vector<std::string>& known_hashes = {},
                                     const UpstreamRelease* listed = nullptr);

}  // namespace otr
