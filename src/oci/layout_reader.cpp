#include "oci/layout_reader.h"

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

#include "base/error.h"
#include "base/file_io.h"
#include "base/json.h"
#include "base/names.h"
#include "base/sha256.h"
#include "base/unique_fd.h"
#include "oci/digest_verifier.h"

namespace fs = std::filesystem;

namespace otr {

namespace {

constexpr size_t kChunk = 128 * 1024;


[[noreturn]] void layout_error(ErrorKind failure, const std::string& message) {
  throw Error(failure, "OCI layout " + message);
}

std::string read_small_file(const std::string& path, std::size_t limit, const std::string& what) {
  try {
    return read_file_limited(path, limit, what);
  } catch (const Error& e) {
    layout_error(e.kind(), e.what());
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
  if (!is_valid_digest(digest)) layout_error(ErrorKind::kNotFound, directory_ + ": \"" + digest + "\" is not a digest");
  size_t colon = digest.find(':');
  return directory_ + "/blobs/" + digest.substr(0, colon) + "/" + digest.substr(colon + 1);
}

std::vector<OciLayoutReader::Ref> OciLayoutReader::refs() {
  std::string path = directory_ + "/index.json";
  std::string text;
  // A layout without its index is a broken origin, not an unknown provider; but a directory without
  // blobs is an empty layout, or one being created (the writer puts index.json in place before any
  // blob): pull-through and push fill it on first use. blobs/ may appear between the two looks, and
  // then index.json is there too: it is read once more.
  for (int attempt = 1;; ++attempt) {
    try {
      text = read_small_file(path, 64u << 20, "index.json");
      break;
    } catch (const Error& e) {
      if (e.kind() != ErrorKind::kNotFound) throw;
      std::error_code ec;
      if (!std::filesystem::is_directory(directory_, ec) || attempt == 2)
        layout_error(ErrorKind::kUnreachable, path + ": missing");
      if (!std::filesystem::exists(directory_ + "/blobs", ec)) return {};
    }
  }
  JsonPtr doc = json_parse(text);
  const cJSON* manifests = doc ? json_array(doc.get(), "manifests") : nullptr;
  if (manifests == nullptr) layout_error(ErrorKind::kBadResponse, path + ": not an image index");
  std::vector<Ref> out;
  const cJSON* d = nullptr;
  cJSON_ArrayForEach(d, manifests) {
    const cJSON* annotations = json_object(d, "annotations");
    std::string ref = annotations ? json_string(annotations, kRefNameAnnotation).value_or("") : "";
    std::size_t colon = ref.rfind(':');
    if (colon == std::string::npos || colon == 0) continue;
    std::string tag = ref.substr(colon + 1);
    std::string digest = json_string(d, "digest").value_or("");
    if (!is_valid_tag(tag) || !is_valid_digest(digest)) continue;
    out.push_back({ref.substr(0, colon), {tag, digest}});
  }
  return out;
}

std::vector<OciLayoutReader::Tagged> OciLayoutReader::tags_of(const std::string& repository) {
  std::vector<Tagged> out;
  for (Ref& r : refs())
    if (r.repository == repository) out.push_back(std::move(r.tagged));
  return out;
}

std::optional<RepositoryPage> OciLayoutReader::find_repositories(const std::string& prefix, const std::string& after,
                                                                 std::size_t limit) {
  std::vector<std::string> names;
  for (const Ref& r : refs())
    if (r.repository.starts_with(prefix) && r.repository > after) names.push_back(r.repository);
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  RepositoryPage page;
  if (names.size() > limit) {
    names.resize(limit);
    page.next = names.back();
  }
  page.names = std::move(names);
  return page;
}

std::optional<std::vector<std::string>> OciLayoutReader::find_tags(const std::string& repository) {
  std::vector<std::string> tags;
  for (const Tagged& t : tags_of(repository)) tags.push_back(t.tag);
  if (tags.empty()) return std::nullopt;  // a layout holds a repository only through its tags
  return tags;
}

std::string OciLayoutReader::digest_of(const std::vector<Tagged>& tags, const std::string& reference) {
  if (is_valid_digest(reference)) return reference;
  std::string digest;
  for (const Tagged& t : tags)
    if (t.tag == reference) digest = t.digest;  // the last descriptor of a name wins, as in index.json updates
  return digest;
}

std::optional<FetchedManifest> OciLayoutReader::manifest_at(const std::string& digest, std::size_t max_bytes) {
  if (digest.empty()) return std::nullopt;
  std::string path = blob_path(digest);
  if (::access(path.c_str(), F_OK) != 0 && errno == ENOENT) return std::nullopt;
  FetchedManifest m;
  m.body = read_small_file(path, std::min(max_bytes, max_manifest_bytes_), "manifest " + digest);
  m.digest = "sha256:" + sha256_hex(m.body);
  if (!digest_matches(digest, m.body, m.digest))
    layout_error(ErrorKind::kBadResponse, directory_ + ": manifest " + digest + " does not match its digest");
  m.media_type = media_type_in(m.body);
  return m;
}

std::optional<FetchedManifest> OciLayoutReader::find_manifest(const std::string& repository,
                                                              const std::string& reference, std::size_t max_bytes) {
  std::vector<Tagged> tags;
  if (!is_valid_digest(reference)) tags = tags_of(repository);
  return manifest_at(digest_of(tags, reference), max_bytes);
}

std::vector<FetchedManifest> OciLayoutReader::get_manifests(const std::string& repository,
                                                            const std::vector<std::string>& references,
                                                            std::size_t max_bytes) {
  // index.json read once for the whole batch (a provider's versions ask for every tag).
  std::vector<Tagged> tags;
  if (!std::all_of(references.begin(), references.end(), [](const std::string& r) { return is_valid_digest(r); }))
    tags = tags_of(repository);
  std::vector<FetchedManifest> out;
  out.reserve(references.size());
  for (const std::string& r : references) {
    std::optional<FetchedManifest> m = manifest_at(digest_of(tags, r), max_bytes);
    if (!m) layout_error(ErrorKind::kNotFound, directory_ + ": no manifest " + repository + ":" + r);
    out.push_back(std::move(*m));
  }
  return out;
}

std::optional<BlobInfo> OciLayoutReader::find_blob(const std::string&, const std::string& digest) {
  if (!is_valid_digest(digest)) return std::nullopt;
  std::string path = blob_path(digest);
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
  return BlobInfo{static_cast<std::int64_t>(st.st_size), "application/octet-stream"};
}

void OciLayoutReader::stream_blob(const std::string&, const std::string& digest,
                                  const std::function<bool(const BlobInfo&)>& on_start,
                                  const std::function<bool(std::string_view)>& on_data) {
  std::string path = blob_path(digest);
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno == ENOENT) layout_error(ErrorKind::kNotFound, directory_ + ": no blob " + digest);
    layout_error(ErrorKind::kUnreachable, path + ": " + std::strerror(errno));
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) layout_error(ErrorKind::kUnreachable, path + ": " + std::strerror(errno));
  if (!on_start(BlobInfo{static_cast<std::int64_t>(st.st_size), "application/octet-stream"})) return;
  VerifiedStream stream(digest, on_data);
  std::vector<char> buffer(kChunk);
  while (true) {
    ssize_t n = read_retrying(fd.get(), buffer.data(), buffer.size());
    if (n < 0) layout_error(ErrorKind::kUnreachable, path + ": " + std::strerror(errno));
    if (n == 0) break;
    if (!stream.feed(std::string_view(buffer.data(), static_cast<size_t>(n)))) return;
  }
  if (!stream.finish())
    layout_error(ErrorKind::kBadResponse, directory_ + ": blob " + digest + " does not match its digest");
}

}  // namespace otr
