// The write side of OCI: where `push` puts artifacts. Two targets share one interface:
//  - RegistryTarget: an OCI Distribution registry, through OciClient's credentials and challenge
//    flow (a push asks for "repository:<name>:pull,push");
//  - OciLayoutTarget (oci/layout_writer.h): an OCI Image Layout directory.
// Blobs are put by digest and only when missing; manifests by digest or tag. Callers write a tag
// last, so that a failure never leaves a tag naming something incomplete.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "oci/client.h"

namespace otr {

struct BlobUpload {
  std::string digest;     // "sha256:<hex>" of the content
  std::int64_t size = 0;  // bytes
  std::string path;       // a file streamed from disk, or "" to send `data`
  std::string data;       // small content held in memory
};

enum class BlobOutcome {
  kPresent,   // already there: nothing sent
  kMounted,   // linked from another repository of the same registry: nothing sent
  kUploaded,  // bytes sent
};

// Bytes of a blob sent so far (cumulative); called as an upload proceeds.
using ProgressCallback = std::function<void(std::int64_t sent)>;

class ArtifactTarget {
 public:
  virtual ~ArtifactTarget() = default;
  // Where `repository` is, for messages ("127.0.0.1:5000/prefix/repo", "oci-layout:/dir prefix/repo").
  virtual std::string location(const std::string& repository) const = 0;
  // The manifest a tag names; nullopt when the tag or the repository does not exist.
  virtual std::optional<FetchedManifest> manifest_by_tag(const std::string& repository, const std::string& tag) = 0;
  // A manifest by digest (content checked against the digest).
  virtual FetchedManifest manifest_by_digest(const std::string& repository, const std::string& digest) = 0;
  // Makes the blob present in `repository`. `from` is the repository it came from (or was found
  // in) when the caller knows one; the registry then mounts it instead of receiving it again.
  virtual BlobOutcome put_blob(const std::string& repository, const BlobUpload& blob, const ProgressCallback& progress,
                               std::string* mounted_from = nullptr) = 0;
  // `reference`: a tag, or the digest of `body`.
  virtual void put_manifest(const std::string& repository, const std::string& reference,
                            const std::string& media_type, const std::string& body) = 0;
  // Reads a blob back, as OciReader::stream_blob: `on_data` per chunk (false stops quietly), the
  // last chunk held back until the digest matched (kBadResponse otherwise); kNotFound when missing.
  virtual void stream_blob(const std::string& repository, const std::string& digest,
                           const std::function<bool(std::string_view)>& on_data) = 0;
};

class RegistryTarget : public ArtifactTarget {
 public:
  // `transport` and `clock` must outlive the target. Not copyable: its client refers to its members.
  explicit RegistryTarget(RegistryEndpoint endpoint, HttpTransport& transport = curl_transport(),
                          const Clock& clock = system_clock());
  RegistryTarget(const RegistryTarget&) = delete;
  RegistryTarget& operator=(const RegistryTarget&) = delete;

  std::string location(const std::string& repository) const override;
  std::optional<FetchedManifest> manifest_by_tag(const std::string& repository, const std::string& tag) override;
  FetchedManifest manifest_by_digest(const std::string& repository, const std::string& digest) override;
  // Registry failures throw Error with the registry's own error code and message.
  // A blob this target has seen in another repository of the registry (in this run) is mounted
  // from there (POST ...?mount=&from=); a registry that cannot mount gets the bytes instead.
  BlobOutcome put_blob(const std::string& repository, const BlobUpload& blob, const ProgressCallback& progress,
                       std::string* mounted_from = nullptr) override;
  void put_manifest(const std::string& repository, const std::string& reference, const std::string& media_type,
                    const std::string& body) override;
  void stream_blob(const std::string& repository, const std::string& digest,
                   const std::function<bool(std::string_view)>& on_data) override;

 private:
  bool blob_exists(const std::string& repository, const std::string& digest);
  // POST .../blobs/uploads/ (optionally a mount): 201 = mounted, else the upload URL.
  std::optional<std::string> start_upload(const std::string& repository, const std::string& digest,
                                          const std::string& from);
  void upload(const std::string& repository, const std::string& upload_url, const BlobUpload& blob,
              const ProgressCallback& progress);

  RegistryEndpoint endpoint_;
  AuthCache auth_;
  RequestStats stats_;
  OciClient client_;
  std::map<std::string, std::string> seen_in_;  // blob digest -> a repository holding it
};

}  // namespace otr
