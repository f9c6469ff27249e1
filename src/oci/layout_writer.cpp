#include "oci/layout_writer.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

#include "base/error.h"
#include "base/file_io.h"
#include "base/json.h"
#include "base/names.h"
#include "base/sha256.h"

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
    if (fd_ < 0) throw Error(ErrorKind::kUnreachable, temp_ + ": " + std::strerror(errno));
  }
  ~PendingFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!committed_) ::unlink(temp_.c_str());
  }
  PendingFile(const PendingFile&) = delete;
  PendingFile& operator=(const PendingFile&) = delete;

  void write(std::string_view data) {
    if (!write_all(fd_, data)) throw Error(ErrorKind::kUnreachable, temp_ + ": " + std::strerror(errno));
  }
  void commit() {
    if (::fsync(fd_) != 0 || ::close(fd_) != 0) {
      fd_ = -1;
      throw Error(ErrorKind::kUnreachable, temp_ + ": " + std::strerror(errno));
    }
    fd_ = -1;
    if (::rename(temp_.c_str(), final_.c_str()) != 0) throw Error(ErrorKind::kUnreachable, final_ + ": " + std::strerror(errno));
    committed_ = true;
  }

 private:
  std::string final_;
  std::string temp_;
  int fd_ = -1;
  bool committed_ = false;
};

}  // namespace

OciLayoutTarget::OciLayoutTarget(std::string directory)
    : directory_(std::move(directory)), reader_(directory_, 64u << 20) {
  // index.json is in place before blobs/ exists: readers take a directory without blobs/ for an
  // empty layout (oci/layout_reader.h), never for a broken one.
  std::error_code ec;
  fs::create_directories(directory_, ec);
  if (ec) throw Error(ErrorKind::kUnreachable, "oci-layout:" + directory_ + ": cannot create the directory: " + ec.message());
  std::string marker = directory_ + "/oci-layout";
  UniqueFd fd(::open(marker.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
  if (fd.get() < 0) throw Error(ErrorKind::kUnreachable, marker + ": " + std::strerror(errno));
  if (::flock(fd.get(), LOCK_EX) != 0) throw Error(ErrorKind::kUnreachable, marker + ": cannot lock: " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) throw Error(ErrorKind::kUnreachable, marker + ": " + std::strerror(errno));
  if (st.st_size == 0) {
    if (!write_all(fd.get(), kLayoutFile)) throw Error(ErrorKind::kUnreachable, marker + ": " + std::strerror(errno));
  } else {
    std::string text = read_file_limited(marker, 4096, "oci-layout");
    JsonPtr doc = json_parse(text);
    if (!doc || !json_string(doc.get(), "imageLayoutVersion"))
      throw Error(ErrorKind::kBadResponse, directory_ + " is not an OCI image layout (its oci-layout file is not one)");
  }
  std::string index = directory_ + "/index.json";
  if (::access(index.c_str(), F_OK) != 0) {
    if (errno != ENOENT) throw Error(ErrorKind::kUnreachable, index + ": " + std::strerror(errno));  // never replace it then
    PendingFile file(index);
    file.write("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"manifests\":[]}");
    file.commit();
  }
  fs::create_directories(directory_ + "/blobs/sha256", ec);
  if (ec) throw Error(ErrorKind::kUnreachable, "oci-layout:" + directory_ + ": cannot create the directory: " + ec.message());
  lock_.reset(fd.release());
}

std::string OciLayoutTarget::location(const std::string& repository) const {
  return "oci-layout:" + directory_ + " " + repository;
}

std::optional<FetchedManifest> OciLayoutTarget::manifest_by_tag(const std::string& repository, const std::string& tag) {
  return reader_.find_manifest(repository, tag, SIZE_MAX);
}

FetchedManifest OciLayoutTarget::manifest_by_digest(const std::string& repository, const std::string& digest) {
  return reader_.get_manifest(repository, digest, SIZE_MAX);
}

void OciLayoutTarget::stream_blob(const std::string& repository, const std::string& digest,
                                  const std::function<bool(std::string_view)>& on_data) {
  reader_.stream_blob(repository, digest, [](const BlobInfo&) { return true; }, on_data);
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
    if (in.get() < 0) throw Error(ErrorKind::kUnreachable, blob.path + ": " + std::strerror(errno));
    std::vector<char> buffer(kChunk);
    std::int64_t copied = 0;
    while (true) {
      ssize_t n = read_retrying(in.get(), buffer.data(), buffer.size());
      if (n < 0) throw Error(ErrorKind::kUnreachable, blob.path + ": " + std::strerror(errno));
      if (n == 0) break;
      std::string_view chunk(buffer.data(), static_cast<size_t>(n));
      hash.update(chunk);
      out.write(chunk);
      copied += n;
      if (progress) progress(copied);
    }
  }
  if ("sha256:" + hash.hex_digest() != blob.digest)
    throw Error(ErrorKind::kInvalidInput, (blob.path.empty() ? std::string("a blob") : blob.path) +
                                              " changed while it was being copied into the layout");
  out.commit();
  return BlobOutcome::kUploaded;
}

void OciLayoutTarget::put_manifest(const std::string& repository, const std::string& reference,
                                   const std::string& media_type, const std::string& body) {
  std::string digest = "sha256:" + sha256_hex(body);
  put_blob(repository, BlobUpload{digest, static_cast<std::int64_t>(body.size()), "", body}, nullptr);
  if (reference == digest) return;
  if (!is_valid_tag(reference)) throw Error(ErrorKind::kInvalidInput, "\"" + reference + "\" is not a valid tag");

  std::string index_path = directory_ + "/index.json";
  std::string text = read_file_limited(index_path, 64u << 20, "index.json");
  JsonPtr doc = json_parse(text);
  if (!doc || !json_array(doc.get(), "manifests"))
    throw Error(ErrorKind::kBadResponse, index_path + " is not an image index; not touching it");
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
