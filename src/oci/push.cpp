#include "oci/push.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>

#include "base/error.h"
#include "base/file_io.h"
#include "base/json.h"
#include "base/unique_fd.h"

namespace otr {

namespace {

constexpr const char* kActions = "pull,push";

std::string host_of(const std::string& base_url) {
  size_t start = base_url.find("://");
  return start == std::string::npos ? base_url : base_url.substr(start + 3);
}

// A file read in chunks for an upload body; closed when the upload ends.
class FileSource {
 public:
  FileSource(const std::string& path, std::int64_t size, const ProgressCallback& progress)
      : path_(path), size_(size), progress_(progress), fd_(::open(path.c_str(), O_RDONLY | O_CLOEXEC)) {
    if (fd_.get() < 0) throw Error(ErrorKind::kUnreachable, path + ": " + std::strerror(errno));
  }
  FileSource(const FileSource&) = delete;
  FileSource& operator=(const FileSource&) = delete;

  std::size_t read(char* buffer, std::size_t room) {
    ssize_t n = read_retrying(fd_.get(), buffer, room);
    if (n < 0) throw Error(ErrorKind::kUnreachable, path_ + ": " + std::strerror(errno));
    sent_ += n;
    if (sent_ > size_ || (n == 0 && sent_ < size_))
      throw Error(ErrorKind::kInvalidInput, path_ + ": the file changed while it was being uploaded");
    if (progress_) progress_(sent_);
    return static_cast<std::size_t>(n);
  }

 private:
  std::string path_;
  std::int64_t size_;
  const ProgressCallback& progress_;
  UniqueFd fd_;
  std::int64_t sent_ = 0;
};

// "MANIFEST_INVALID: manifest invalid; ..." from an OCI error body, a short plain-text body's first
// line, or "".
std::string registry_error_text(const std::string& body) {
  JsonPtr doc = json_parse(body);
  const cJSON* errors = doc ? json_array(doc.get(), "errors") : nullptr;
  if (errors == nullptr) {
    // A short plain-text answer ("Method not allowed") says more than nothing.
    std::string text = body.substr(0, body.find('\n'));
    bool printable = !text.empty() && text.size() <= 200 &&
                     std::all_of(text.begin(), text.end(), [](unsigned char c) { return c >= 0x20 && c < 0x7f; });
    return printable && !doc ? text : std::string();
  }
  std::string text;
  const cJSON* e = nullptr;
  cJSON_ArrayForEach(e, errors) {
    std::string code = json_string(e, "code").value_or("");
    std::string message = json_string(e, "message").value_or("");
    if (code.empty() && message.empty()) continue;
    if (!text.empty()) text += "; ";
    text += code.empty() ? message : message.empty() ? code : code + ": " + message;
  }
  return text;
}

[[noreturn]] void refused(const IncomingResponse& r, const std::string& what) {
  if (r.error != TransportError::kNone && r.error != TransportError::kAborted) throw_for_response(r, what);
  std::string detail = registry_error_text(r.body);
  if (r.status == 401 || r.status == 403)
    throw Error(ErrorKind::kUnauthorized,
                what + ": the registry denied push access (" + std::to_string(r.status) + ")" +
                    (detail.empty() ? "" : ": " + detail) +
                    "; give credentials that may push (docker login, --username with --password-stdin, "
                    "or the service's origin_credentials)");
  if (r.error == TransportError::kAborted)
    throw Error(ErrorKind::kBadResponse, what + ": upload stopped: " + r.error_message);
  throw Error(r.status == 404 ? ErrorKind::kNotFound : ErrorKind::kBadResponse,
              what + ": the registry refused it (status " + std::to_string(r.status) + ")" +
                  (detail.empty() ? "" : ": " + detail));
}

}  // namespace

RegistryTarget::RegistryTarget(RegistryEndpoint endpoint, HttpTransport& transport, const Clock& clock)
    : endpoint_(std::move(endpoint)), auth_(clock), client_(endpoint_, auth_, "", stats_, transport) {
  endpoint_.push_access = true;
}

std::string RegistryTarget::location(const std::string& repository) const {
  return host_of(endpoint_.base_url) + "/" + repository;
}

std::optional<FetchedManifest> RegistryTarget::manifest_by_tag(const std::string& repository, const std::string& tag) {
  return client_.find_manifest(repository, tag, endpoint_.settings.max_manifest_bytes);
}

FetchedManifest RegistryTarget::manifest_by_digest(const std::string& repository, const std::string& digest) {
  return client_.get_manifest(repository, digest, endpoint_.settings.max_manifest_bytes);
}

void RegistryTarget::stream_blob(const std::string& repository, const std::string& digest,
                                 const std::function<bool(std::string_view)>& on_data) {
  client_.stream_blob(repository, digest, [](const BlobInfo&) { return true; }, on_data);
}

bool RegistryTarget::blob_exists(const std::string& repository, const std::string& digest) {
  return client_.find_blob(repository, digest).has_value();
}

std::optional<std::string> RegistryTarget::start_upload(const std::string& repository, const std::string& digest,
                                                        const std::string& from) {
  std::string url = "/v2/" + repository + "/blobs/uploads/";
  if (!from.empty()) url += "?mount=" + digest + "&from=" + from;
  OutgoingRequest request = client_.make_request("POST", url);
  request.headers.push_back("Content-Type: application/octet-stream");
  IncomingResponse r = client_.fetch(request, repository, kActions);
  std::string what = "upload to " + location(repository);
  if (r.error == TransportError::kNone && r.status == 201 && !from.empty()) return std::nullopt;
  if (r.error != TransportError::kNone || r.status != 202) refused(r, what);
  std::string upload_url = r.headers.get("Location");
  if (upload_url.empty())
    throw Error(ErrorKind::kBadResponse, what + ": the registry started an upload without a Location");
  return resolve_url(request.url, upload_url);
}

void RegistryTarget::upload(const std::string& repository, const std::string& upload_url, const BlobUpload& blob,
                            const ProgressCallback& progress) {
  // One monolithic PUT (OCI distribution spec: "POST then PUT"), streamed from the file.
  OutgoingRequest request = client_.make_request(
      "PUT", upload_url + (upload_url.find('?') == std::string::npos ? "?" : "&") + "digest=" + blob.digest);
  request.headers.push_back("Content-Type: application/octet-stream");
  std::unique_ptr<FileSource> file;
  if (!blob.path.empty()) {
    file = std::make_unique<FileSource>(blob.path, blob.size, progress);
    request.body_source = [&file](char* buffer, std::size_t room) { return file->read(buffer, room); };
    request.body_size = blob.size;
    request.total_timeout = Seconds(0);
    request.stall_timeout = endpoint_.settings.download_stall_timeout;
  } else {
    request.body = blob.data;
  }
  IncomingResponse r = client_.fetch(request, repository, kActions);
  if (r.error != TransportError::kNone || r.status != 201)
    refused(r, "upload of " + blob.digest + " to " + location(repository));
  if (blob.path.empty() && progress) progress(blob.size);
}

BlobOutcome RegistryTarget::put_blob(const std::string& repository, const BlobUpload& blob,
                                     const ProgressCallback& progress, std::string* mounted_from) {
  if (blob_exists(repository, blob.digest)) {
    seen_in_.emplace(blob.digest, repository);
    return BlobOutcome::kPresent;
  }
  std::string from;
  if (auto it = seen_in_.find(blob.digest); it != seen_in_.end() && it->second != repository) from = it->second;
  std::optional<std::string> upload_url = start_upload(repository, blob.digest, from);
  if (!upload_url) {
    if (mounted_from != nullptr) *mounted_from = from;
    return BlobOutcome::kMounted;
  }
  upload(repository, *upload_url, blob, progress);
  seen_in_.emplace(blob.digest, repository);
  return BlobOutcome::kUploaded;
}

void RegistryTarget::put_manifest(const std::string& repository, const std::string& reference,
                                  const std::string& media_type, const std::string& body) {
  OutgoingRequest request = client_.make_request("PUT", "/v2/" + repository + "/manifests/" + reference);
  request.headers.push_back("Content-Type: " + media_type);
  request.body = body;
  IncomingResponse r = client_.fetch(request, repository, kActions);
  if (r.error != TransportError::kNone || r.status != 201)
    refused(r, "manifest " + location(repository) + (reference.starts_with("sha256:") ? "@" : ":") + reference);
}

}  // namespace otr
