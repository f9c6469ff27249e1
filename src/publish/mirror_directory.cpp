#include "publish/mirror_directory.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <tuple>

#include "base/error.h"
#include "base/file_io.h"
#include "base/json.h"
#include "base/strings.h"
#include "terraform/package_hash.h"
#include "terraform/package_names.h"
#include "terraform/versions.h"

namespace fs = std::filesystem;

namespace otr {

namespace {

std::vector<fs::path> subdirectories(const fs::path& dir) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (const fs::directory_entry& e : fs::directory_iterator(dir, ec))
    if (e.is_directory(ec)) out.push_back(e.path());
  if (ec) throw InputError(dir.string() + ": " + ec.message());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

std::vector<MirrorRelease> scan_provider_mirror(const std::string& directory, std::vector<std::string>& notes) {
  std::error_code ec;
  if (!fs::is_directory(directory, ec))
    throw InputError("--from-mirror \"" + directory + "\" is not a directory");
  std::map<std::tuple<std::string, std::string>, MirrorRelease> found;  // (address, version)
  for (const fs::path& host_dir : subdirectories(directory)) {
    for (const fs::path& ns_dir : subdirectories(host_dir)) {
      for (const fs::path& type_dir : subdirectories(ns_dir)) {
        std::string where = type_dir.lexically_relative(directory).generic_string();
        ProviderAddress address = parse_provider_address(where);
        for (const fs::directory_entry& e : fs::directory_iterator(type_dir, ec)) {
          std::string name = e.path().filename().string();
          if (e.is_directory(ec)) {
            notes.push_back(where + "/" + name + ": an unpacked provider directory, skipped (only packed .zip "
                                                 "packages are published; write the mirror without -unpacked)");
            continue;
          }
          if (!name.ends_with(".zip")) continue;  // index.json, <version>.json
          PackageFileName package = parse_package_file_name(name);
          std::string type = to_lower(package.type);
          if (type != address.type)
            throw InputError(e.path().string() + ": a package of provider type \"" + package.type + "\" in the "
                             "directory of " + address.to_string());
          MirrorRelease& release = found[{address.to_string(), package.version}];
          release.address = address;
          release.version = package.version;
          for (const ProviderPackage& p : release.packages)
            if (p.os == package.os && p.arch == package.arch)
              throw InputError(e.path().string() + ": platform " + package.platform() + " appears twice");
          ProviderPackage p;
          p.path = e.path().string();
          p.file_name = name;
          p.os = package.os;
          p.arch = package.arch;
          release.packages.push_back(std::move(p));
          fs::path document = type_dir / (package.version + ".json");
          if (fs::is_regular_file(document, ec)) release.version_document = document.string();
        }
        if (ec) throw InputError(type_dir.string() + ": " + ec.message());
      }
    }
  }
  std::vector<MirrorRelease> releases;
  for (auto& [key, release] : found) {
    std::sort(release.packages.begin(), release.packages.end(), [](const ProviderPackage& a, const ProviderPackage& b) {
      return std::tie(a.os, a.arch) < std::tie(b.os, b.arch);
    });
    releases.push_back(std::move(release));
  }
  std::sort(releases.begin(), releases.end(), [](const MirrorRelease& a, const MirrorRelease& b) {
    if (a.address.to_string() != b.address.to_string()) return a.address.to_string() < b.address.to_string();
    return compare_versions(*parse_version(a.version), *parse_version(b.version)) < 0;
  });
  return releases;
}

void check_mirror_hashes(const MirrorRelease& release) {
  if (release.version_document.empty()) return;
  std::string text;
  try {
    text = read_file_limited(release.version_document, 16u << 20, "the version document");
  } catch (const Error& e) {
    throw InputError(e.what());
  }
  JsonPtr doc = json_parse(text);
  const cJSON* archives = doc ? json_object(doc.get(), "archives") : nullptr;
  if (archives == nullptr) throw PackageError(release.version_document + ": not a provider mirror version document");
  for (const ProviderPackage& p : release.packages) {
    const cJSON* archive = json_object(archives, (p.os + "_" + p.arch).c_str());
    const cJSON* hashes = archive ? json_array(archive, "hashes") : nullptr;
    if (hashes == nullptr || cJSON_GetArraySize(hashes) == 0) continue;
    bool listed = false;
    const cJSON* h = nullptr;
    cJSON_ArrayForEach(h, hashes) {
      if (!cJSON_IsString(h)) continue;
      std::string value = h->valuestring;
      if (value == p.h1 || value == "zh:" + p.digest.substr(7)) listed = true;
    }
    if (!listed)
      throw PackageError(p.path + ": its hash " + p.h1 + " is not among those " + release.version_document +
                         " lists for " + p.os + "_" + p.arch + ": the mirror directory is damaged");
  }
}

}  // namespace otr
