#include "config/secret_env.h"

#include <cstdlib>
#include <map>
#include <mutex>

namespace otr {

namespace {

std::mutex mutex;
std::map<std::string, std::string> taken;

}  // namespace

std::optional<std::string> take_secret_env(const std::string& name) {
  std::lock_guard lock(mutex);
  if (auto it = taken.find(name); it != taken.end()) return it->second;
  // unsetenv() refuses such names: a secret under one could not be taken out of the environment.
  if (name.empty() || name.find('=') != std::string::npos) return std::nullopt;
  const char* value = std::getenv(name.c_str());
  if (value == nullptr || *value == '\0') return std::nullopt;
  std::string kept(value);
  if (::unsetenv(name.c_str()) != 0) return std::nullopt;
  taken.emplace(name, kept);
  return kept;
}

void forget_secret_env(const std::string& name) {
  std::lock_guard lock(mutex);
  taken.erase(name);
}

}  // namespace otr
