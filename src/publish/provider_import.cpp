#include "publish/provider_import.h"

#include <iostream>

#include "base/error.h"
#include "base/file_io.h"
#include "base/strings.h"
#include "config/hcl.h"
#include "http/client.h"
#include "terraform/version_constraints.h"
#include "upstream/release_import.h"

namespace otr {

namespace {

constexpr std::size_t kMaxLockFile = 4u << 20;

// Import progress drawn by push's reporter: a bar per download and upload.
class ReporterObserver : public ImportObserver {
 public:
  explicit ReporterObserver(PushReporter& reporter) : reporter_(reporter) {}
  void line(const std::string& text) override { reporter_.line(text); }
  void transfer_started(const std::string& label, std::int64_t size) override { reporter_.upload_started(label, size); }
  void transfer_progress(std::int64_t done) override { reporter_.upload_progress(done); }
  void transfer_finished() override { reporter_.upload_finished(); }

 private:
  PushReporter& reporter_;
};

ProviderSource source_for(const std::string& host, const RegistryImportSettings& settings) {
  UpstreamConfig up;
  up.url = settings.upstream_url.empty() ? "https://" + host : settings.upstream_url;
  while (up.url.ends_with("/")) up.url.pop_back();
  up.hostnames = {host};
  up.platforms = settings.platforms;
  up.ca_file = settings.ca_file;
  return ProviderSource(up, curl_transport(), Seconds(10), Seconds(60), Seconds(60));
}

// Imports one release and says what happened; true when it is stored now.
bool import_one(ProviderSource& source, ArtifactTarget& target, const RepositoryNaming& naming,
                const ProviderAddress& address, const Version& version, const RegistryImportSettings& settings,
                PushReporter& reporter, const std::vector<std::string>& known_hashes = {},
                const UpstreamRelease* listed = nullptr) {
  const std::string repository = naming.provider(address);
  const std::string what = address.to_string() + " " + version.to_string();
  ReporterObserver observer(reporter);
  ImportResult result = import_provider_release(source, target, repository, address, version, settings.platforms,
                                                observer, nullptr, known_hashes, listed);
  switch (result.outcome) {
    case ImportOutcome::kAlreadyStored:
      reporter.line(what + " is already at " + target.location(repository) + "; nothing to do");
      return true;
    case ImportOutcome::kNotUpstream:
      std::cerr << "error: " << source.config().url << " has no " << what << "\n";
      return false;
    case ImportOutcome::kImported: break;
  }
  std::string platforms;
  for (const auto& [os, arch] : result.platforms) platforms += (platforms.empty() ? "" : ", ") + os + "_" + arch;
  reporter.line("imported " + what + " (" + platforms + ") from " + source.config().url + " into " +
                target.location(repository) + ":" + version_to_tag(version) + " @" + result.index_digest);
  return true;
}

}  // namespace

std::vector<LockedProvider> read_lock_file(const std::string& path) {
  std::string text;
  try {
    text = read_file_limited(path, kMaxLockFile, "the lock file");
  } catch (const Error& e) {
    throw InputError(std::string("--from-lock: ") + e.what());
  }
  hcl::Body body;
  try {
    body = hcl::parse(text, path);
  } catch (const Error& e) {  // the parser's syntax error names the file, line and column
    throw InputError(std::string("--from-lock: ") + e.what());
  }
  std::vector<LockedProvider> out;
  for (const hcl::Block& block : body.blocks) {
    if (block.type != "provider") continue;
    const std::string where = path + ":" + std::to_string(block.pos.line);
    if (block.labels.size() != 1) throw InputError(where + ": a provider block takes one label, its address");
    LockedProvider p;
    try {
      p.address = parse_provider_address(block.labels[0]);
    } catch (const Error& e) {
      throw InputError(where + ": " + e.what());
    }
    const hcl::Attribute* version = nullptr;
    for (const hcl::Attribute& a : block.body.attributes) {
      if (a.name == "version") version = &a;
      if (a.name == "hashes" && a.value.kind == hcl::Value::Kind::kTuple)
        for (const hcl::Value& item : a.value.items)
          if (item.kind == hcl::Value::Kind::kString) p.hashes.push_back(item.string);
    }
    std::optional<Version> v =
        version && version->value.kind == hcl::Value::Kind::kString ? parse_version(version->value.string) : std::nullopt;
    if (!v) throw InputError(where + ": the provider block of " + block.labels[0] + " has no version = \"X.Y.Z\"");
    p.version = *v;
    out.push_back(std::move(p));
  }
  if (out.empty()) throw InputError("--from-lock " + path + ": the file has no provider blocks");
  return out;
}

int import_from_registry(ArtifactTarget& target, const RepositoryNaming& naming, const std::string& address_text,
                         const std::string& constraint, const RegistryImportSettings& settings,
                         PushReporter& reporter) {
  if (std::count(address_text.begin(), address_text.end(), '/') != 2)
    throw InputError("--from-registry \"" + address_text + "\": expected HOST/NAMESPACE/TYPE, e.g. "
                     "registry.terraform.io/hashicorp/random");
  ProviderAddress address = parse_provider_address(address_text);
  VersionConstraints constraints = VersionConstraints::parse(constraint);
  ProviderSource source = source_for(address.hostname, settings);
  std::optional<std::vector<UpstreamRelease>> releases = source.releases(address.ns, address.type);
  if (!releases) throw InputError(source.config().url + " has no provider " + address.ns + "/" + address.type);
  std::vector<const UpstreamRelease*> chosen;  // the releases the constraint allows, oldest first
  for (const UpstreamRelease& r : *releases)
    if (constraints.allows(r.version)) chosen.push_back(&r);
  std::sort(chosen.begin(), chosen.end(), [](const UpstreamRelease* a, const UpstreamRelease* b) {
    return compare_versions(a->version, b->version) < 0;
  });
  if (chosen.empty())
    throw InputError(source.config().url + " has no version of " + address.ns + "/" + address.type + " that \"" +
                     constraint + "\" allows");
  if (!settings.all_versions) chosen.erase(chosen.begin(), chosen.end() - 1);
  int failed = 0;
  for (const UpstreamRelease* r : chosen) {
    try {
      if (!import_one(source, target, naming, address, r->version, settings, reporter, {}, r)) ++failed;
    } catch (const Error& e) {
      if (chosen.size() == 1) throw;
      std::cerr << "error: " << address.to_string() << " " << r->version.to_string() << ": " << e.what() << "\n";
      ++failed;
    }
  }
  return failed == 0 ? 0 : 1;
}

int import_from_lock(ArtifactTarget& target, const RepositoryNaming& naming, const std::string& lock_path,
                     const RegistryImportSettings& settings, PushReporter& reporter) {
  std::vector<LockedProvider> providers = read_lock_file(lock_path);
  int failed = 0;
  for (const LockedProvider& p : providers) {
    try {
      ProviderSource source = source_for(p.address.hostname, settings);
      if (!import_one(source, target, naming, p.address, p.version, settings, reporter, p.hashes)) ++failed;
    } catch (const Error& e) {
      std::cerr << "error: " << p.address.to_string() << " " << p.version.to_string() << ": " << e.what() << "\n";
      ++failed;
    }
  }
  reporter.line(std::to_string(providers.size() - static_cast<std::size_t>(failed)) + " of " +
                std::to_string(providers.size()) + " providers of " + lock_path + " are stored");
  return failed == 0 ? 0 : 1;
}

}  // namespace otr
