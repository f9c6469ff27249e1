#include "config/web_exposure.h"

#include <filesystem>
#include <optional>
#include <system_error>

namespace otr {

namespace fs = std::filesystem;

namespace {

fs::path resolved(const std::string& path) {
  std::error_code ec;
  fs::path p = fs::weakly_canonical(fs::absolute(path, ec), ec);
  return ec ? fs::absolute(path).lexically_normal() : p;
}

bool is_under(const fs::path& path, fs::path root) {
  if (!root.has_filename() && root != root.root_path()) root = root.parent_path();  // "/srv/www/"
  const fs::path rel = path.lexically_relative(root);
  return !rel.empty() && *rel.begin() != "..";
}

// The nearest directory at or above `directory` holding an .htaccess file.
std::optional<fs::path> served_by_htaccess(fs::path directory) {
  for (;;) {
    std::error_code ec;
    if (fs::exists(directory / ".htaccess", ec)) return directory;
    if (directory == directory.root_path() || !directory.has_parent_path()) return std::nullopt;
    directory = directory.parent_path();
  }
}

}  // namespace

std::vector<Diagnostic> exposed_secret_files(const Config& config, const std::string& document_root) {
  std::vector<Diagnostic> out;
  const std::optional<fs::path> root =
      document_root.empty() ? std::nullopt : std::optional<fs::path>(resolved(document_root));
  for (const SecretFile& secret : config.secret_files) {
    const fs::path file = resolved(secret.path);
    std::string why;
    if (root && is_under(file, *root))
      why = "under DOCUMENT_ROOT (" + root->string() + ")";
    else if (std::optional<fs::path> served = served_by_htaccess(file.parent_path()))
      why = "in " + served->string() + ", which has an .htaccess file: a web server serves that directory";
    if (why.empty()) continue;
    out.push_back({secret.pos,
                   "the secret file \"" + file.string() + "\" named by \"" + secret.attribute + "\" is " + why +
                       ", and a web server that serves it as it is gives it to anyone: keep secrets outside the "
                       "web directory and name them by absolute paths (README \"Web servers\", shared hosting)",
                   true});
  }
  return out;
}

}  // namespace otr
