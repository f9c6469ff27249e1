#include "terraform/documents.h"

#include <algorithm>
#include <utility>

#include "base/json.h"
#include "base/names.h"
#include "terraform/package_names.h"

namespace otr {

namespace {

JsonPtr string_array(const std::vector<std::string>& items) {
  JsonPtr array = json_new_array();
  for (const std::string& item : items) json_append_string(array.get(), item);
  return array;
}

// OpenTofu's "packages" object of a download document, or nullptr when it must be left out (see
// ProviderDownload::packages).
JsonPtr packages_object(const ProviderDownload& d) {
  JsonPtr out = json_new_object();
  bool has_requested = false;
  for (const PlatformPackage& p : d.packages) {
    const std::string hex = sha256_hex_of(p.digest);
    std::vector<std::string> hashes;
    if (!hex.empty()) hashes.push_back("zh:" + hex);
    if (!p.h1.empty()) hashes.push_back(p.h1);
    const std::string platform = p.os + "_" + p.arch;
    if (hashes.empty() || cJSON_GetObjectItemCaseSensitive(out.get(), platform.c_str()) != nullptr) continue;
    if (p.os == d.os && p.arch == d.arch) {
      if (p.size < 0 || hex != d.shasum) return nullptr;  // OpenTofu would refuse the package
      has_requested = true;
    }
    JsonPtr entry = json_new_object();
    json_add(entry.get(), "hashes", string_array(hashes));
    if (p.size >= 0) json_add(entry.get(), "package_size", JsonPtr(cJSON_CreateNumber(static_cast<double>(p.size))));
    json_add(out.get(), platform.c_str(), std::move(entry));
  }
  if (!has_requested) return nullptr;
  return out;
}

}  // namespace

std::string make_shasums(const std::string& type, const Version& version, const std::vector<PlatformPackage>& packages) {
  std::vector<std::pair<std::string, std::string>> lines;  // (filename, hex)
  for (const PlatformPackage& p : packages) {
    std::string hex = sha256_hex_of(p.digest);
    if (!hex.empty()) lines.emplace_back(package_file_name(type, version.to_string(), p.os, p.arch), hex);
  }
  std::sort(lines.begin(), lines.end());
  lines.erase(std::unique(lines.begin(), lines.end()), lines.end());
  std::string out;
  for (const auto& [filename, hex] : lines) out += hex + "  " + filename + "\n";
  return out;
}

std::string discovery_document(const std::string& providers_url, const std::string& modules_url) {
  JsonPtr doc = json_new_object();
  if (!modules_url.empty()) json_add_string(doc.get(), "modules.v1", modules_url);
  if (!providers_url.empty()) json_add_string(doc.get(), "providers.v1", providers_url);
  return json_print(doc.get()) + "\n";
}

std::string provider_versions_document(const std::vector<ReleaseSummary>& releases) {
  JsonPtr doc = json_new_object();
  cJSON* versions = json_add(doc.get(), "versions", json_new_array());
  for (const ReleaseSummary& r : releases) {
    JsonPtr item = json_new_object();
    json_add_string(item.get(), "version", r.version.to_string());
    json_add(item.get(), "protocols", string_array(r.protocols.empty() ? kDefaultProtocols : r.protocols));
    cJSON* platforms = json_add(item.get(), "platforms", json_new_array());
    for (const auto& [os, arch] : r.platforms) {
      JsonPtr platform = json_new_object();
      json_add_string(platform.get(), "os", os);
      json_add_string(platform.get(), "arch", arch);
      json_append(platforms, std::move(platform));
    }
    json_append(versions, std::move(item));
  }
  return json_print(doc.get()) + "\n";
}

std::string provider_download_document(const ProviderDownload& d) {
  JsonPtr doc = json_new_object();
  json_add(doc.get(), "protocols", string_array(d.protocols.empty() ? kDefaultProtocols : d.protocols));
  json_add_string(doc.get(), "os", d.os);
  json_add_string(doc.get(), "arch", d.arch);
  json_add_string(doc.get(), "filename", d.filename);
  json_add_string(doc.get(), "download_url", d.download_url);
  json_add_string(doc.get(), "shasums_url", d.shasums_url);
  json_add_string(doc.get(), "shasums_signature_url", d.shasums_signature_url);
  json_add_string(doc.get(), "shasum", d.shasum);
  cJSON* keys = json_add(json_add(doc.get(), "signing_keys", json_new_object()), "gpg_public_keys", json_new_array());
  JsonPtr key = json_new_object();
  json_add_string(key.get(), "key_id", d.key_id);
  json_add_string(key.get(), "ascii_armor", d.public_key_armored);
  json_add_string(key.get(), "trust_signature", "");  // must be empty for third-party keys
  json_add_string(key.get(), "source", "");
  json_add(key.get(), "source_url", JsonPtr(cJSON_CreateNull()));
  json_append(keys, std::move(key));
  if (!d.hashes.empty()) json_add(doc.get(), "hashes", string_array(d.hashes));
  if (JsonPtr packages = packages_object(d)) json_add(doc.get(), "packages", std::move(packages));
  return json_print(doc.get()) + "\n";
}

std::string module_versions_document(const std::vector<Version>& versions) {
  JsonPtr doc = json_new_object();
  cJSON* modules = json_add(doc.get(), "modules", json_new_array());
  JsonPtr module = json_new_object();
  cJSON* list = json_add(module.get(), "versions", json_new_array());
  for (const Version& v : versions) {
    JsonPtr item = json_new_object();
    json_add_string(item.get(), "version", v.to_string());
    json_append(list, std::move(item));
  }
  json_append(modules, std::move(module));
  return json_print(doc.get()) + "\n";
}

}  // namespace otr
