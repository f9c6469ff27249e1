#include "oci_layout.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <vector>

#include "digest_verifier.h"
#include "json.h"
#include "oci_names.h"
#include "provider_release.h"
#include "registry_error.h"
#include "sha256.h"
#include "unique_fd.h"

namespace fs = std::filesystem;

namespace otr {

namespace {

constexpr size_t kChunk = 128 * 1024;
constexpr const char* kLayoutFile = "{\"imageLayoutVersion\":\"1.0.0\"}";


// A file written beside its final name and renamed into place; removed if never committed.
class PendingFile {
 public:
  explicit PendingFile(std::string final_path)
      : final_(std::move(final_path)), temp_(final_ + ".tmp-" + std::to_string(::getpid())) {
    fd_ = ::open(temp_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd_ < 0) throw std::runtime_error(temp_ + ": " + std::strerror(errno));
  }
  ~PendingFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!committed_) ::unlink(temp_.c_str());
  }
  PendingFile(const PendingFile&) = delete;
  PendingFile& operator=(const PendingFile&) = delete;

  void write(std::string_view data) {
    while (!data.empty()) {
      ssize_t n = ::write(fd_, data.data(), data.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) throw std::runtime_error(temp_ + ": " + std::strerror(errno));
      data.remove_prefix(static_cast<size_t>(n));
    }
  }
  void commit() {
    if (::fsync(fd_) != 0 || ::close(fd_) != 0) {
      fd_ = -1;
      throw std::runtime_error(temp_ + ": " + std::strerror(errno));
    }
    fd_ = -1;
    if (::rename(temp_.c_str(), final_.c_str()) != 0) throw std::runtime_error(final_ + ": " + std::strerror(errno));
    committed_ = true;
  }

 private:
  std::string final_;
  std::string temp_;
  int fd_ = -1;
  bool committed_ = false;
};

[[noreturn]] void layout_error(RegistryFailure failure, const std::string& message) {
  throw RegistryError(failure, "OCI layout " + message);
}

std::string read_small_file(const std::string& path, std::size_t limit, const std::string& what) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno == ENOENT) layout_error(RegistryFailure::kNotFound, path + ": " + what + " not found");
    layout_error(RegistryFailure::kUnreachable, path + ": " + std::strerror(errno));
  }
  std::string out;
  char buffer[8192];
  while (true) {
    ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) layout_error(RegistryFailure::kUnreachable, path + ": " + std::strerror(errno));
    if (n == 0) return out;
    out.append(buffer, static_cast<size_t>(n));
    if (out.size() > limit) layout_error(RegistryFailure::kBadResponse, path + ": " + what + " is too large");
  }
}

std::string media_type_in(const std::string& body) {
  JsonPtr doc = json_parse(body);
  return doc ? json_string(doc.get(), "mediaType").value_or("") : "";
}

}  // namespace

std::string layout_ref_name(const std::string& repository, const std::string& tag) { return repository + ":" + tag; }

OciLayoutReader::OciLayoutReader(std::string directory, std::size_t max_manifest_bytes)
    : directory_(std::move(directory)), max_manifest_bytes_(max_manifest_bytes) {}

std::string OciLayoutReader::blob_path(const std::string& digest) const {
  if (!is_valid_digest(digest)) layout_error(RegistryFailure::kNotFound, directory_ + ": \"" + digest + "\" is not a digest");
  size_t colon = digest.find(':');
  return directory_ + "/blobs/" + digest.substr(0, colon) + "/" + digest.substr(colon + 1);
}

std::vector<OciLayoutReader::Tagged> OciLayoutReader::tags_of(const std::string& repository) {
  std::string path = directory_ + "/index.json";
  std::string text;
  try {
    text = read_small_file(path, 64u << 20, "index.json");
  } catch (const RegistryError& e) {
    // A layout without its index is a broken origin, not an unknown provider.
    if (e.failure() == RegistryFailure::kNotFound) layout_error(RegistryFailure::kUnreachable, path + ": missing");
    throw;
  }
  JsonPtr doc = json_parse(text);
  const cJSON* manifests = doc ? json_array(doc.get(), "manifests") : nullptr;
  if (manifests == nullptr) layout_error(RegistryFailure::kBadResponse, path + ": not an image index");
  std::vector<Tagged> out;
  const std::string prefix = repository + ":";
  const cJSON* d = nullptr;
  cJSON_ArrayForEach(d, manifests) {
    const cJSON* annotations = json_object(d, "annotations");
    std::string ref = annotations ? json_string(annotations, kRefNameAnnotation).value_or("") : "";
    if (!ref.starts_with(prefix)) continue;
    std::string tag = ref.substr(prefix.size());
    std::string digest = json_string(d, "digest").value_or("");
    if (!is_valid_tag(tag) || !is_valid_digest(digest)) continue;
    out.push_back({tag, digest});
  }
  return out;
}

std::vector<std::string> OciLayoutReader::list_tags(const std::string& repository) {
  std::vector<std::string> tags;
  for (const Tagged& t : tags_of(repository)) tags.push_back(t.tag);
  if (tags.empty()) layout_error(RegistryFailure::kNotFound, directory_ + ": no repository " + repository);
  return tags;
}

FetchedManifest OciLayoutReader::get_manifest(const std::string& repository, const std::string& reference,
                                              std::size_t max_bytes) {
  std::string digest = reference;
  if (!reference.starts_with("sha256:") && !reference.starts_with("sha512:")) {
    digest.clear();
    for (const Tagged& t : tags_of(repository))
      if (t.tag == reference) digest = t.digest;  // the last descriptor of a name wins, as in index.json updates
    if (digest.empty())
      layout_error(RegistryFailure::kNotFound, directory_ + ": no tag " + repository + ":" + reference);
  }
  FetchedManifest m;
  m.body = read_small_file(blob_path(digest), std::min(max_bytes, max_manifest_bytes_), "manifest " + digest);
  m.digest = "sha256:" + sha256_hex(m.body);
  if (!digest_matches(digest, m.body))
    layout_error(RegistryFailure::kBadResponse, directory_ + ": manifest " + digest + " does not match its digest");
  m.media_type = media_type_in(m.body);
  return m;
}

std::vector<FetchedManifest> OciLayoutReader::get_manifests(const std::string& repository,
                                                            const std::vector<std::string>& references,
                                                            std::size_t max_bytes) {
  std::vector<FetchedManifest> out;
  for (const std::string& r : references) out.push_back(get_manifest(repository, r, max_bytes));
  return out;
}

BlobInfo OciLayoutReader::head_blob(const std::string&, const std::string& digest) {
  std::string path = blob_path(digest);
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode))
    layout_error(RegistryFailure::kNotFound, directory_ + ": no blob " + digest);
  return BlobInfo{static_cast<std::int64_t>(st.st_size), "application/octet-stream"};
}

void OciLayoutReader::stream_blob(const std::string&, const std::string& digest,
                                  const std::function<bool(const BlobInfo&)>& on_start,
                                  const std::function<bool(std::string_view)>& on_data) {
  std::string path = blob_path(digest);
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno == ENOENT) layout_error(RegistryFailure::kNotFound, directory_ + ": no blob " + digest);
    layout_error(RegistryFailure::kUnreachable, path + ": " + std::strerror(errno));
  }
  struct stat st {};
  ::fstat(fd.get(), &st);
  if (!on_start(BlobInfo{static_cast<std::int64_t>(st.st_size), "application/octet-stream"})) return;
  DigestVerifier hash(digest);
  std::string held;
  std::vector<char> buffer(kChunk);
  while (true) {
    ssize_t n = ::read(fd.get(), buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) layout_error(RegistryFailure::kUnreachable, path + ": " + std::strerror(errno));
    if (n == 0) break;
    std::string_view chunk(buffer.data(), static_cast<size_t>(n));
    hash.update(chunk);
    if (!held.empty() && !on_data(held)) return;
    held.assign(chunk);
  }
  if (!hash.matches())
    layout_error(RegistryFailure::kBadResponse, directory_ + ": blob " + digest + " does not match its digest");
  if (!held.empty()) on_data(held);
}

// ---------------------------------------------------------------- writing

OciLayoutTarget::OciLayoutTarget(std::string directory)
    : directory_(std::move(directory)), reader_(directory_, 64u << 20) {
  std::error_code ec;
  fs::create_directories(directory_ + "/blobs/sha256", ec);
  if (ec) throw std::runtime_error("oci-layout:" + directory_ + ": cannot create the directory: " + ec.message());
  std::string marker = directory_ + "/oci-layout";
  UniqueFd fd(::open(marker.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
  if (fd.get() < 0) throw std::runtime_error(marker + ": " + std::strerror(errno));
  if (::flock(fd.get(), LOCK_EX) != 0) throw std::runtime_error(marker + ": cannot lock: " + std::strerror(errno));
  struct stat st {};
  ::fstat(fd.get(), &st);
  if (st.st_size == 0) {
    std::string text = kLayoutFile;
    if (::write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size()))
      throw std::runtime_error(marker + ": " + std::strerror(errno));
  } else {
    std::string text = read_small_file(marker, 4096, "oci-layout");
    JsonPtr doc = json_parse(text);
    if (!doc || !json_string(doc.get(), "imageLayoutVersion"))
      throw std::runtime_error(directory_ + " is not an OCI image layout (its oci-layout file is not one)");
  }
  std::string index = directory_ + "/index.json";
  if (::access(index.c_str(), F_OK) != 0) {
    PendingFile file(index);
    file.write("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"manifests\":[]}");
    file.commit();
  }
  lock_.reset(fd.release());
}

std::string OciLayoutTarget::location(const std::string& repository) const {
  return "oci-layout:" + directory_ + " " + repository;
}

std::optional<FetchedManifest> OciLayoutTarget::manifest_by_tag(const std::string& repository, const std::string& tag) {
  try {
    return reader_.get_manifest(repository, tag, SIZE_MAX);
  } catch (const RegistryError& e) {
    if (e.failure() == RegistryFailure::kNotFound) return std::nullopt;
    throw;
  }
}

FetchedManifest OciLayoutTarget::manifest_by_digest(const std::string& repository, const std::string& digest) {
  return reader_.get_manifest(repository, digest, SIZE_MAX);
}

BlobOutcome OciLayoutTarget::put_blob(const std::string&, const BlobUpload& blob, const ProgressCallback& progress,
                                      std::string*) {
  std::string path = reader_.blob_path(blob.digest);
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && st.st_size == blob.size) return BlobOutcome::kPresent;
  PendingFile out(path);
  Sha256 hash;
  if (blob.path.empty()) {
    hash.update(blob.data);
    out.write(blob.data);
  } else {
    UniqueFd in(::open(blob.path.c_str(), O_RDONLY | O_CLOEXEC));
    if (in.get() < 0) throw std::runtime_error(blob.path + ": " + std::strerror(errno));
    std::vector<char> buffer(kChunk);
    std::int64_t copied = 0;
    while (true) {
      ssize_t n = ::read(in.get(), buffer.data(), buffer.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) throw std::runtime_error(blob.path + ": " + std::strerror(errno));
      if (n == 0) break;
      std::string_view chunk(buffer.data(), static_cast<size_t>(n));
      hash.update(chunk);
      out.write(chunk);
      copied += n;
      if (progress) progress(copied);
    }
  }
  if ("sha256:" + hash.hex_digest() != blob.digest)
    throw std::runtime_error((blob.path.empty() ? std::string("a blob") : blob.path) +
                             " changed while it was being copied into the layout");
  out.commit();
  return BlobOutcome::kUploaded;
}

void OciLayoutTarget::put_manifest(const std::string& repository, const std::string& reference,
                                   const std::string& media_type, const std::string& body) {
  std::string digest = "sha256:" + sha256_hex(body);
  put_blob(repository, BlobUpload{digest, static_cast<std::int64_t>(body.size()), "", body}, nullptr);
  if (reference == digest) return;
  if (!is_valid_tag(reference)) throw std::runtime_error("\"" + reference + "\" is not a valid tag");

  std::string index_path = directory_ + "/index.json";
  std::string text = read_small_file(index_path, 64u << 20, "index.json");
  JsonPtr doc = json_parse(text);
  if (!doc || !json_array(doc.get(), "manifests"))
    throw std::runtime_error(index_path + " is not an image index; not touching it");
  cJSON* manifests = cJSON_GetObjectItemCaseSensitive(doc.get(), "manifests");
  const std::string ref_name = layout_ref_name(repository, reference);
  for (int i = cJSON_GetArraySize(manifests) - 1; i >= 0; --i) {
    const cJSON* annotations = json_object(cJSON_GetArrayItem(manifests, i), "annotations");
    if (annotations && json_string(annotations, kRefNameAnnotation).value_or("") == ref_name)
      cJSON_DeleteItemFromArray(manifests, i);
  }
  JsonPtr d = json_new_object();
  json_add_string(d.get(), "mediaType", media_type);
  JsonPtr parsed = json_parse(body);
  if (auto artifact_type = parsed ? json_string(parsed.get(), "artifactType") : std::nullopt)
    json_add_string(d.get(), "artifactType", *artifact_type);
  json_add_string(d.get(), "digest", digest);
  json_add(d.get(), "size", JsonPtr(cJSON_CreateNumber(static_cast<double>(body.size()))));
  JsonPtr annotations = json_new_object();
  json_add_string(annotations.get(), kRefNameAnnotation, ref_name);
  json_add(d.get(), "annotations", std::move(annotations));
  json_append(manifests, std::move(d));
  PendingFile file(index_path);
  file.write(json_print(doc.get()));
  file.commit();
}

}  // namespace otr
