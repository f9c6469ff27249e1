// Feeds the catalogue's module page (server/catalogue catalogue_entry) and with it the README
// reading behind it (ReleaseReader::module_readme, zip_read_entry) and the HTML escaping: module
// acme/net/aws 1.0.0 of a module_registry, whose package is the input when it starts like a zip
// ("PK\3\4"), else a zip holding the input as README.md. The page must be 200 and hold no raw
// '<' of the README.
#include <algorithm>
#include <stdexcept>

#include "base/clock.h"
#include "base/sha256.h"
#include "fuzz.h"
#include "oci/manifests.h"
#include "server/catalogue.h"
#include "server/metadata_cache.h"
#include "terraform/release.h"

using namespace otr;

namespace {

const std::string kRepository = "terraform-modules/acme/net/aws";

std::uint32_t crc32(std::string_view data) {
  std::uint32_t crc = 0xffffffffu;
  for (unsigned char c : data) {
    crc ^= c;
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

void put(std::string& out, std::uint32_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

// A zip with one stored entry README.md holding `text`.
std::string readme_zip(std::string_view text) {
  const std::string name = "README.md";
  const std::uint32_t crc = crc32(text), n = static_cast<std::uint32_t>(text.size());
  std::string zip;
  put(zip, 0x04034b50, 4), put(zip, 20, 2), put(zip, 0, 2), put(zip, 0, 2), put(zip, 0, 4);
  put(zip, crc, 4), put(zip, n, 4), put(zip, n, 4), put(zip, name.size(), 2), put(zip, 0, 2);
  zip += name;
  zip += text;
  const std::uint32_t central = static_cast<std::uint32_t>(zip.size());
  put(zip, 0x02014b50, 4), put(zip, 20, 2), put(zip, 20, 2), put(zip, 0, 2), put(zip, 0, 2), put(zip, 0, 4);
  put(zip, crc, 4), put(zip, n, 4), put(zip, n, 4), put(zip, name.size(), 2), put(zip, 0, 2), put(zip, 0, 2);
  put(zip, 0, 2), put(zip, 0, 2), put(zip, 0, 4), put(zip, 0, 4);
  zip += name;
  const std::uint32_t central_size = static_cast<std::uint32_t>(zip.size()) - central;
  put(zip, 0x06054b50, 4), put(zip, 0, 2), put(zip, 0, 2), put(zip, 1, 2), put(zip, 1, 2);
  put(zip, central_size, 4), put(zip, central, 4), put(zip, 0, 2);
  return zip;
}

// One module version whose package is `zip`.
class OneModule : public OciReader {
 public:
  explicit OneModule(std::string zip) : zip_(std::move(zip)), zip_digest_("sha256:" + sha256_hex(zip_)) {
    manifest_ = zip_artifact_manifest(kModuleArtifactType, {kZipLayerMediaType, zip_digest_, std::int64_t(zip_.size())},
                                      {}, {{kCreatedAnnotation, "2024-02-02T00:00:00Z"}});
  }
  std::optional<RepositoryPage> find_repositories(const std::string&, const std::string&, std::size_t) override {
    return RepositoryPage{{kRepository}, ""};
  }
  std::optional<std::vector<std::string>> find_tags(const std::string& repository) override {
    if (repository != kRepository) return std::nullopt;
    return std::vector<std::string>{"1.0.0"};
  }
  std::optional<FetchedManifest> find_manifest(const std::string& repository, const std::string& reference,
                                               std::size_t) override {
    if (repository != kRepository || reference != "1.0.0") return std::nullopt;
    return FetchedManifest{"sha256:" + sha256_hex(manifest_), kManifestMediaType, manifest_};
  }
  std::vector<FetchedManifest> get_manifests(const std::string& repository, const std::vector<std::string>& references,
                                             std::size_t max_bytes) override {
    std::vector<FetchedManifest> out;
    for (const std::string& r : references) out.push_back(get_manifest(repository, r, max_bytes));
    return out;
  }
  std::optional<BlobInfo> find_blob(const std::string&, const std::string& digest) override {
    if (digest != zip_digest_) return std::nullopt;
    return BlobInfo{std::int64_t(zip_.size()), "application/octet-stream"};
  }
  void stream_blob(const std::string&, const std::string& digest, const std::function<bool(const BlobInfo&)>& on_start,
                   const std::function<bool(std::string_view)>& on_data) override {
    if (digest != zip_digest_) throw std::logic_error("the page asked for a blob the manifest does not name");
    if (!on_start(BlobInfo{std::int64_t(zip_.size()), "application/octet-stream"})) return;
    for (std::size_t at = 0; at < zip_.size(); at += 4096)
      if (!on_data(std::string_view(zip_).substr(at, 4096))) return;
  }
  std::string blob_url(const std::string&, const std::string&) const override { return ""; }
  BlobSource blob_source(const std::string&, const std::string&) override { return {}; }

 private:
  std::string zip_, zip_digest_, manifest_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const ServiceConfig config = [] {
    ServiceConfig c;
    c.kind = ServiceKind::kModuleRegistry;
    c.name = "modules";
    c.name_prefix = "terraform-modules";
    c.origin_url = "https://registry.example.com";
    return c;
  }();
  static const RepositoryNaming naming("terraform-modules");
  const std::string_view input = fuzz::text(data, size);
  const bool is_zip = input.starts_with("PK\3\4");
  Request request;
  request.method = "GET";
  request.path = "/modules/_catalog/acme/net/aws/";
  request.scheme = "https";
  request.host = "tf.example.com";
  MetadataCache cache(std::chrono::seconds(30), 1u << 20, system_clock());
  RequestStats stats;
  ReleaseReader reader(std::make_unique<OneModule>(is_zip ? std::string(input) : readme_zip(input)), cache,
                       service_cache_prefix("modules", ""), stats);
  Response page = catalogue_entry({request, config, naming, reader, std::chrono::seconds(30)}, {"acme", "net", "aws"});
  FUZZ_CHECK(page.status == 200);
  if (!is_zip) {
    const std::size_t at = page.body.find("<pre class=\"readme\">");
    const std::size_t end = page.body.find("</pre>", at);
    FUZZ_CHECK(at != std::string::npos && end != std::string::npos);
    const std::string_view shown = std::string_view(page.body).substr(at + 20, end - at - 20);
    FUZZ_CHECK(shown.find('<') == std::string_view::npos);
  }
  return 0;
}
