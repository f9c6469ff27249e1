// Where config.hcl is looked for when --config is not given (see config/config_search.h).
#include "config/config_search.h"

#include <sys/stat.h>

#include <climits>
#include <cstdlib>
#include <set>

#include "base/strings.h"

namespace otr {

namespace {

constexpr const char* kAppDir = "oci-distribution-terraform-registry";
constexpr const char* kFileName = "config.hcl";

bool is_regular_file(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

std::string real_path(const std::string& path) {
  char buf[PATH_MAX];
  return realpath(path.c_str(), buf) != nullptr ? std::string(buf) : path;
}

std::string env_or(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::string(v) : fallback;
}

}  // namespace

ConfigSearch search_config_file(const std::string& exe_dir) {
  ConfigSearch search;
  if (const char* named = std::getenv(kConfigEnvVar); named != nullptr && *named != '\0') {
    search.searched.push_back(named);
    search.from_environment = true;
    if (is_regular_file(named)) search.found.push_back(named);
    return search;
  }
  search.config_in_current_directory = is_regular_file(kFileName);
  search.searched.push_back(exe_dir + "/" + kFileName);
  std::string home = env_or("HOME", "");
  std::string config_home = env_or("XDG_CONFIG_HOME", home.empty() ? "" : home + "/.config");
  if (!config_home.empty()) search.searched.push_back(config_home + "/" + kAppDir + "/" + kFileName);
  std::string dirs = env_or("XDG_CONFIG_DIRS", "/etc/xdg");
  for (const std::string& dir : split(dirs, ':'))
    if (!dir.empty()) search.searched.push_back(dir + "/" + kAppDir + "/" + kFileName);
  search.searched.push_back(std::string("/etc/") + kAppDir + "/" + kFileName);

  std::set<std::string> seen;
  for (const std::string& candidate : search.searched) {
    if (!is_regular_file(candidate)) continue;
    if (seen.insert(real_path(candidate)).second) search.found.push_back(candidate);
  }
  return search;
}

}  // namespace otr
