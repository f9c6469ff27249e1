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

// `ec` of a directory iteration is the iteration's own: an entry whose status cannot be read (a
// symbolic link to nothing) has an error of its own, never reported as the directory's.
std::vector<fs::path> subdirectories(const fs::path& dir) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (const fs::directory_entry& e : fs::directory_iterator(dir, ec)) {
    std::error_code entry_error;
    if (e.is_directory(entry_error)) out.push_back(e.path());
  }
  if (ec) throw InputError(dir.string() + ": " + ec.message());
  std::sort(out.begin(), out.end());
  return out;
}

bool holds_packages(const fs::path& dir) {
  std::error_code ec;
  for (const fs::directory_entry& e : fs::directory_iterator(dir, ec))
    if (e.path().filename().string().starts_with("terraform-provider-") && e.path().extension() == ".zip") return true;
  return false;
}

// Why a directory holds no releases, and which directory was probably meant.
std::string no_packages_message(const std::string& directory) {
  const std::string expected = "; expected the directory `terraform providers mirror DIR` wrote: "
                               "DIR/<hostname>/<namespace>/<type>/terraform-provider-<type>_<version>_<os>_<arch>.zip";
  const fs::path dir = fs::path(directory).lexically_normal();
  // Packages found one, two or three levels too high in the layout: the user gave a subdirectory.
  for (int depth = 0; depth < 3; ++depth) {
    std::vector<fs::path> level{dir};
    for (int d = 0; d < depth; ++d) {
      std::vector<fs::path> next;
      for (const fs::path& p : level)
        for (const fs::path& sub : subdirectories(p)) next.push_back(sub);
      level = next;
    }
    if (std::none_of(level.begin(), level.end(), holds_packages)) continue;
    fs::path meant = fs::absolute(dir).lexically_normal();
    if (meant.filename().empty()) meant = meant.parent_path();  // "dir/" names the same directory as "dir"
    for (int up = depth; up < 3; ++up) meant = meant.parent_path();
    const char* what = depth == 2 ? "one hostname's directory" : depth == 1 ? "one namespace's directory"
                                                                            : "one provider's directory";
    return "--from-mirror \"" + directory + "\" is " + what + " of a mirror, not the mirror itself: give \"" +
           meant.string() + "\"" + expected;
  }
  return "--from-mirror \"" + directory + "\" holds no provider packages" + expected;
}

// Why `path` is no file to read: "missing", "a symbolic link to \"X\", which does not exist", ...
std::string not_a_file(const fs::path& path) {
  std::error_code ec;
  if (fs::exists(path, ec)) return "not a regular file";
  if (fs::is_symlink(fs::symlink_status(path, ec))) {
    std::error_code unreadable;
    const fs::path target = fs::read_symlink(path, unreadable);
    return "missing: a symbolic link to " + (unreadable ? std::string("a file") : "\"" + target.string() + "\"") +
           ", which does not exist";
  }
  return "missing";
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
        ProviderAddress address;
        try {
          address = parse_provider_address(where);
        } catch (const InputError& e) {
          if (!holds_packages(type_dir)) continue;  // not a provider's directory, and nothing to publish in it
          throw InputError(type_dir.string() + " holds provider packages but is not <hostname>/<namespace>/<type> "
                           "below --from-mirror: " + e.what());
        }
        for (const fs::directory_entry& e : fs::directory_iterator(type_dir, ec)) {
          std::string name = e.path().filename().string();
          std::error_code entry_error;  // this entry's (see subdirectories)
          if (e.is_directory(entry_error)) {
            notes.push_back(where + "/" + name + ": an unpacked provider directory, skipped (only packed .zip "
                                                 "packages are published; write the mirror without -unpacked)");
            continue;
          }
          if (!name.ends_with(".zip")) continue;  // index.json, <version>.json (checked below)
          if (entry_error) throw InputError(e.path().string() + ": " + not_a_file(e.path()));
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
          release.version_document = (type_dir / (package.version + ".json")).string();
        }
        if (ec) throw InputError(type_dir.string() + ": " + ec.message());
      }
    }
  }
  std::vector<MirrorRelease> releases;
  for (auto& [key, release] : found) {
    std::error_code missing;
    if (!fs::is_regular_file(release.version_document, missing))
      throw InputError(release.version_document + ": " + not_a_file(release.version_document) +
                       "; `terraform providers mirror` writes one per release, with the hashes of its packages, "
                       "which push checks them against");
    std::sort(release.packages.begin(), release.packages.end(), [](const ProviderPackage& a, const ProviderPackage& b) {
      return std::tie(a.os, a.arch) < std::tie(b.os, b.arch);
    });
    releases.push_back(std::move(release));
  }
  std::sort(releases.begin(), releases.end(), [](const MirrorRelease& a, const MirrorRelease& b) {
    if (a.address.to_string() != b.address.to_string()) return a.address.to_string() < b.address.to_string();
    return compare_versions(*parse_version(a.version), *parse_version(b.version)) < 0;
  });
  if (releases.empty()) throw InputError(no_packages_message(directory));
  return releases;
}

void check_mirror_hashes(const MirrorRelease& release) {
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
