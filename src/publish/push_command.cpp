#include "publish/push_command.h"

#include <sys/stat.h>

#include <boost/program_options.hpp>
#include <iostream>
#include <iterator>
#include <memory>

#include "base/error.h"
#include "base/exit_status.h"
#include "base/file_io.h"
#include "base/names.h"
#include "base/strings.h"
#include "http/client.h"
#include "oci/layout_writer.h"
#include "oci/origin.h"
#include "oci/push.h"
#include "publish/docker_credentials.h"
#include "publish/mirror_directory.h"
#include "publish/module_publish.h"
#include "publish/provider_hashes.h"
#include "publish/provider_import.h"
#include "publish/provider_publish.h"
#include "publish/publish_service.h"
#include "terraform/module_zip.h"
#include "terraform/naming.h"
#include "terraform/package_hash.h"
#include "terraform/versions.h"

namespace po = boost::program_options;

namespace otr {

namespace {

// The one place a failure becomes push's exit status (base/exit_status.h).
int exit_status_for(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kInvalidInput:
      return kExitUsage;
    case ErrorKind::kBadPackage:
      return kExitData;
    case ErrorKind::kInvalidConfig:
      return kExitConfig;
    default:
      return kExitFailure;
  }
}

const char* kPushUsage =
    "Usage: oci-distribution-terraform-registry [--config FILE] push provider [options] ADDRESS VERSION ZIP...\n"
    "       oci-distribution-terraform-registry [--config FILE] push provider [options] --from-mirror DIR\n"
    "       oci-distribution-terraform-registry [--config FILE] push provider [options] --from-registry "
    "HOST/NAMESPACE/TYPE --version CONSTRAINT\n"
    "       oci-distribution-terraform-registry [--config FILE] push provider [options] --from-lock "
    ".terraform.lock.hcl\n"
    "       oci-distribution-terraform-registry [--config FILE] push module [options] NAMESPACE/NAME/SYSTEM VERSION "
    "DIR|ZIP\n"
    "       oci-distribution-terraform-registry [--config FILE] push hashes [options] ADDRESS VERSION\n";

const char* kPushSummary =
    "Publishes into the registry of service NAME (its origin_url and name_prefix), in OpenTofu's layouts:\n"
    "  provider  ADDRESS (acme/widget = registry.terraform.io/acme/widget) at VERSION, one\n"
    "            terraform-provider-TYPE_VERSION_OS_ARCH.zip per platform; or every version in a directory\n"
    "            written by `terraform providers mirror` / `tofu providers mirror` (--from-mirror); or\n"
    "            imported from its provider registry, verified as clients verify it and with the publisher's\n"
    "            signature kept (--from-registry: the newest version CONSTRAINT allows; --from-lock: every\n"
    "            provider of a lock file at its version, checked against the lock file's hashes)\n"
    "  module    a module package (a directory, zipped deterministically, or a zip) into\n"
    "            <name_prefix>/NAMESPACE/NAME/SYSTEM, tag VERSION\n"
    "  hashes    adds the h1: hash to every platform of the published provider release ADDRESS VERSION\n"
    "            that lacks it (one published by hand with oras): each such zip is downloaded and hashed,\n"
    "            its platform manifest and the index are written again (same zips, platforms and other\n"
    "            annotations); refused when the release changes meanwhile; nothing to do when all have it\n"
    "Blobs already present are not sent again; an identical re-push does nothing; a version that exists with\n"
    "other content is refused unless --force. The version tag is written last.";

struct PushOptions {
  std::string kind;  // "provider", "module" or "hashes"
  std::string service;
  std::string to;
  std::string name_prefix;
  bool name_prefix_given = false;
  bool force = false;
  std::string source;
  std::string username;
  bool password_stdin = false;
  bool allow_http_credentials = false;
  bool quiet = false;
  std::string from_mirror;
  std::string from_registry;
  std::string version_constraint;
  std::string from_lock;
  std::vector<std::string> platforms;
  bool all_versions = false;
  std::string upstream_url;
  std::string upstream_ca_file;
  std::string protocols;
  std::vector<std::string> positional;
};

// A service of the kind that serves what is pushed: providers into a provider_mirror or
// provider_registry, modules into a module_registry (where each is looked for). Throws InputError
// naming the services that fit.
void refuse_wrong_kind(const PushOptions& options, const ServiceConfig& service, const Config& config) {
  const bool module = options.kind == "module";  // "hashes" works on providers
  const auto fits = [&](ServiceKind kind) { return (kind == ServiceKind::kModuleRegistry) == module; };
  if (fits(service.kind)) return;
  std::string fitting;
  for (const ServiceConfig* s : config.services())
    if (fits(s->kind)) fitting += (fitting.empty() ? "" : ", ") + s->name;
  throw InputError(std::string("push ") + options.kind + " --service " + service.name + ": \"" + service.name +
                   "\" is a " + block_name(service.kind) + ", which serves " + (module ? "providers" : "modules") +
                   "; " + (module ? "modules go to a module_registry" : "providers go to a provider_mirror or a "
                                                                        "provider_registry") +
                   (fitting.empty() ? " (this configuration has none)" : " (here: " + fitting + ")"));
}

// Where the artifacts go, and how repositories are named there.
struct Destination {
  std::optional<Config> config;  // the configuration a --service came from
  std::unique_ptr<ArtifactTarget> target;
  RepositoryNaming naming{""};
};

// "5.0,6.0" as given, after checking every item is MAJOR.MINOR.
std::string checked_protocols(const std::string& text) {
  if (text.empty()) return text;
  for (const std::string& item : split(text, ','))
    if (!is_protocol_version(item))
      throw InputError("--protocols \"" + text + "\": expected plugin protocol versions like 6.0 or 5.0,6.0");
  return text;
}

// What every release of one push is published with.
PublishSettings settings_from(const PushOptions& options) {
  PublishSettings settings;
  settings.force = options.force;
  settings.source = options.source;
  settings.protocols = checked_protocols(options.protocols);
  settings.created = created_time(system_clock());
  return settings;
}

std::string read_password_stdin() {
  std::string password((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
  while (!password.empty() && (password.back() == '\n' || password.back() == '\r')) password.pop_back();
  if (password.empty()) throw InputError("--password-stdin: nothing was read from standard input");
  return password;
}

// Whose credentials a push uses: --username with --password-stdin, else the service's
// origin_credentials, else the user's docker configuration for the registry's host (not over plain
// http unless --allow-http-credentials: they were given for somewhere else), else none.
void choose_credentials(const PushOptions& options, const ServiceConfig& service, RegistryEndpoint& endpoint) {
  if (!options.username.empty()) {
    endpoint.credentials.username = options.username;
    endpoint.credentials.password = read_password_stdin();
    return;
  }
  if (!service.credentials.empty()) {
    endpoint.credentials = service.credentials;
    return;
  }
  std::string host = docker_config_host(service.origin_url);
  if (service.origin_url.starts_with("http://") && !options.allow_http_credentials) {
    if (docker_credentials_configured(host))
      std::cerr << "push: not sending the credentials " << docker_config_path() << " has for " << host
                << " over plain http; give --allow-http-credentials to send them\n";
    return;
  }
  std::optional<DockerCredential> docker = docker_credentials_for(host);
  if (!docker) return;
  if (!docker->registry_token.empty()) {
    endpoint.credentials.token = docker->registry_token;
  } else {
    endpoint.credentials.username = docker->username;
    endpoint.credentials.password = docker->password;
    endpoint.identity_token = docker->identity_token;
  }
  std::cerr << "push: using the credentials of " << docker_config_path() << " for " << host << "\n";
}

Destination open_destination(const PushOptions& options,
                             const std::function<std::optional<Config>()>& load_config, bool& config_failed) {
  Destination destination;
  const ServiceConfig* service = nullptr;
  if (!options.service.empty()) {
    destination.config = load_config();
    if (!destination.config) {
      config_failed = true;
      return destination;
    }
    std::optional<PublishService> found = find_publish_service(*destination.config, options.service);
    if (!found)
      throw InputError("--service " + options.service + ": no such service in " + destination.config->path +
                       " (services: " + publish_service_names(*destination.config) + ")");
    service = found->service;
    destination.naming = found->naming;
    refuse_wrong_kind(options, *service, *destination.config);
  }
  if (options.name_prefix_given) {
    std::string p = options.name_prefix;
    while (p.starts_with("/")) p.erase(0, 1);
    while (p.ends_with("/")) p.pop_back();
    if (!p.empty() && !is_valid_repository(p))
      throw InputError("--name-prefix \"" + options.name_prefix + "\" is not a valid OCI repository path");
    destination.naming = destination.naming.with_prefix(p);
  }
  if (!options.to.empty()) {
    if (!options.to.starts_with("oci-layout:") || options.to.size() == std::string("oci-layout:").size())
      throw InputError("--to \"" + options.to + "\": expected oci-layout:DIR");
    destination.target = std::make_unique<OciLayoutTarget>(options.to.substr(std::string("oci-layout:").size()));
    return destination;
  }
  if (!service)
    throw InputError("say where to publish: --service NAME (a service of the configuration) or --to oci-layout:DIR");
  if (is_layout_origin(service->origin_url)) {
    destination.target = std::make_unique<OciLayoutTarget>(layout_directory(service->origin_url));
    return destination;
  }

  RegistryEndpoint endpoint;
  endpoint.base_url = service->origin_url;
  endpoint.settings = service->origin;
  choose_credentials(options, *service, endpoint);
  destination.target = std::make_unique<RegistryTarget>(std::move(endpoint));
  return destination;
}

// Every release of a `providers mirror` directory; a release that fails (a conflict, a registry
// error) is reported and the others still go. Exit status 1 when any failed.
int push_from_mirror(const PushOptions& options, Destination& destination, PushReporter& reporter) {
  if (!options.positional.empty())
    throw InputError("--from-mirror takes no ADDRESS, VERSION or ZIP arguments (it publishes every release it finds)");
  std::vector<std::string> notes;
  std::vector<MirrorRelease> releases = scan_provider_mirror(options.from_mirror, notes);
  for (const std::string& note : notes) std::cerr << "note: " << note << "\n";
  // Every package is read and checked before anything is sent.
  for (MirrorRelease& release : releases) {
    hash_provider_packages(release.packages);
    check_mirror_hashes(release);
  }
  const PublishSettings settings = settings_from(options);
  int failed = 0;
  for (const MirrorRelease& release : releases) {
    std::string repository = destination.naming.provider(release.address);
    try {
      publish_provider_release(*destination.target, repository, release.address, release.version, release.packages,
                               settings, reporter);
    } catch (const PublishConflict& e) {
      std::cerr << "error: " << e.what() << "\n";
      ++failed;
    } catch (const Error& e) {
      std::cerr << "error: " << release.address.to_string() << " " << release.version << ": " << e.what() << "\n";
      ++failed;
    }
  }
  reporter.line(std::to_string(releases.size() - static_cast<size_t>(failed)) + " of " +
                std::to_string(releases.size()) + " releases from " + options.from_mirror + " are published");
  return failed == 0 ? kExitOk : kExitFailure;
}

// --from-registry / --from-lock (publish/provider_import.h).
int push_imported(const PushOptions& options, Destination& destination, PushReporter& reporter) {
  if (!options.positional.empty())
    throw InputError("--from-registry and --from-lock take no ADDRESS, VERSION or ZIP arguments");
  if (!options.from_registry.empty() && !options.from_lock.empty())
    throw InputError("give either --from-registry or --from-lock, not both");
  if (options.force || !options.source.empty() || !options.protocols.empty())
    throw InputError("an imported release keeps the publisher's content: --force, --source and --protocols do not "
                     "apply");
  RegistryImportSettings settings;
  for (const std::string& p : options.platforms) {
    std::string platform = to_lower(p);
    if (platform.find('_') == std::string::npos || platform.front() == '_' || platform.back() == '_')
      throw InputError("--platform \"" + p + "\": expected OS_ARCH, e.g. linux_amd64");
    settings.platforms.push_back(platform);
  }
  settings.upstream_url = options.upstream_url;
  settings.ca_file = options.upstream_ca_file;
  settings.all_versions = options.all_versions;
  if (!options.from_lock.empty()) {
    if (!options.version_constraint.empty()) throw InputError("--from-lock takes the versions of the lock file, not --version");
    return import_from_lock(*destination.target, destination.naming, options.from_lock, settings, reporter);
  }
  if (options.version_constraint.empty())
    throw InputError("--from-registry needs --version CONSTRAINT (e.g. 3.6.0, or \"~> 3.6\")");
  return import_from_registry(*destination.target, destination.naming, options.from_registry,
                              options.version_constraint, settings, reporter);
}

int push_provider(const PushOptions& options, Destination& destination, PushReporter& reporter) {
  if (!options.from_registry.empty() || !options.from_lock.empty()) return push_imported(options, destination, reporter);
  if (!options.platforms.empty() || !options.version_constraint.empty() || options.all_versions ||
      !options.upstream_url.empty() || !options.upstream_ca_file.empty())
    throw InputError("--version, --platform, --all-versions, --upstream-url and --upstream-ca-file go with "
                     "--from-registry or --from-lock");
  if (!options.from_mirror.empty()) return push_from_mirror(options, destination, reporter);
  if (options.positional.size() < 3)
    throw InputError("push provider needs ADDRESS VERSION ZIP... (or --from-mirror DIR)");
  ProviderAddress address = parse_provider_address(options.positional[0]);
  auto version = parse_version(options.positional[1]);
  if (!version) throw InputError("\"" + options.positional[1] + "\" is not a version (semver, like 1.2.0)");
  std::vector<std::string> zips(options.positional.begin() + 2, options.positional.end());
  std::vector<ProviderPackage> packages = check_provider_packages(address, version->to_string(), zips);
  hash_provider_packages(packages);
  std::string repository = destination.naming.provider(address);
  const PublishSettings settings = settings_from(options);
  publish_provider_release(*destination.target, repository, address, version->to_string(), packages, settings,
                           reporter);
  return 0;
}

// Adds h1: to a published release (publish/provider_hashes.h); only the target options apply.
int push_hashes(const PushOptions& options, Destination& destination, PushReporter& reporter) {
  if (options.positional.size() != 2) throw InputError("push hashes needs ADDRESS VERSION");
  if (!options.from_mirror.empty() || options.force || !options.source.empty() || !options.protocols.empty() ||
      !options.from_registry.empty() || !options.from_lock.empty() || !options.version_constraint.empty() ||
      !options.platforms.empty() || options.all_versions || !options.upstream_url.empty() ||
      !options.upstream_ca_file.empty())
    throw InputError("push hashes takes only the target options (--service, --to, --name-prefix, credentials, "
                     "--quiet): it keeps the release as it is and adds h1: hashes only");
  ProviderAddress address = parse_provider_address(options.positional[0]);
  auto version = parse_version(options.positional[1]);
  if (!version) throw InputError("\"" + options.positional[1] + "\" is not a version (semver, like 1.2.0)");
  add_provider_hashes(*destination.target, destination.naming.provider(address), address, version->to_string(),
                      reporter);
  return 0;
}

int push_module(const PushOptions& options, Destination& destination, PushReporter& reporter) {
  if (options.positional.size() != 3) throw InputError("push module needs NAMESPACE/NAME/SYSTEM VERSION DIR|ZIP");
  ModuleAddress address = parse_module_address(options.positional[0]);
  auto version = parse_version(options.positional[1]);
  if (!version) throw InputError("\"" + options.positional[1] + "\" is not a version (semver, like 1.2.0)");
  const std::string& source = options.positional[2];
  struct stat st {};
  if (::stat(source.c_str(), &st) != 0) throw InputError("\"" + source + "\": no such file or directory");
  std::unique_ptr<TempFile> zipped;
  std::string zip_path = source;
  std::string file_name = source.substr(source.rfind('/') == std::string::npos ? 0 : source.rfind('/') + 1);
  if (S_ISDIR(st.st_mode)) {
    zipped = std::make_unique<TempFile>(".zip", TempFile::Kind::kNamed);  // libzip renames its output over it
    int files = zip_module_directory(source, zipped->path());
    if (files == 0) throw InputError("\"" + source + "\" holds no files to publish");
    zip_path = zipped->path();
    file_name = address.name + "-" + address.system + "-" + version->to_string() + ".zip";
  } else if (!S_ISREG(st.st_mode) || !source.ends_with(".zip")) {
    throw InputError("\"" + source + "\" is neither a module directory nor a .zip file");
  }
  const PublishSettings settings = settings_from(options);
  publish_module(*destination.target, destination.naming.module(address), address,
                 version->to_string(), zip_path, file_name, settings, reporter);
  return 0;
}

bool parse_options(const std::vector<std::string>& args, PushOptions& options, int& exit_code) {
  po::options_description visible("Options for 'push'");
  visible.add_options()
      ("help,h", "show this help")
      ("service", po::value<std::string>(&options.service)->value_name("NAME"),
       "the configured service to publish into (its origin_url, name_prefix and origin_credentials)")
      ("to", po::value<std::string>(&options.to)->value_name("oci-layout:DIR"),
       "write into an OCI image layout directory instead of the service's registry (created when missing)")
      ("name-prefix", po::value<std::string>(&options.name_prefix)->value_name("PREFIX"),
       "repository prefix instead of the service's name_prefix")
      ("from-mirror", po::value<std::string>(&options.from_mirror)->value_name("DIR"),
       "push provider: every release in a directory written by `terraform/tofu providers mirror`")
      ("from-registry", po::value<std::string>(&options.from_registry)->value_name("HOST/NS/TYPE"),
       "push provider: import from the provider registry at https://HOST (with --version)")
      ("version", po::value<std::string>(&options.version_constraint)->value_name("CONSTRAINT"),
       "--from-registry: the version, or a constraint such as \"~> 3.6\" (the newest it allows)")
      ("all-versions", po::bool_switch(&options.all_versions),
       "--from-registry: every version the constraint allows, not only the newest")
      ("from-lock", po::value<std::string>(&options.from_lock)->value_name("FILE"),
       "push provider: import every provider of a .terraform.lock.hcl at its locked version")
      ("platform", po::value<std::vector<std::string>>(&options.platforms)->value_name("OS_ARCH"),
       "--from-registry / --from-lock: import this platform (repeatable; default: every platform of the release)")
      ("upstream-url", po::value<std::string>(&options.upstream_url)->value_name("URL"),
       "--from-registry / --from-lock: the registry's base URL instead of https://HOST")
      ("upstream-ca-file", po::value<std::string>(&options.upstream_ca_file)->value_name("FILE"),
       "--from-registry / --from-lock: PEM CAs to trust for the registry instead of the system's")
      ("force", po::bool_switch(&options.force), "replace a version that exists with different content")
      ("source", po::value<std::string>(&options.source)->value_name("URL"),
       "org.opencontainers.image.source annotation (where the code lives)")
      ("protocols", po::value<std::string>(&options.protocols)->value_name("LIST"),
       "push provider: plugin protocol versions, e.g. 6.0 or 5.0,6.0, served by a provider_registry "
       "(default there: 5.0,6.0)")
      ("username", po::value<std::string>(&options.username)->value_name("USER"),
       "registry user name; the password (or token) is read with --password-stdin")
      ("password-stdin", po::bool_switch(&options.password_stdin), "read the password from standard input")
      ("allow-http-credentials", po::bool_switch(&options.allow_http_credentials),
       "send the docker configuration's credentials to a registry reached over plain http:// too")
      ("quiet,q", po::bool_switch(&options.quiet), "no progress bars, summary lines only");
  po::options_description hidden;
  hidden.add_options()("kind", po::value<std::string>(&options.kind))(
      "positional", po::value<std::vector<std::string>>(&options.positional));
  po::options_description all;
  all.add(visible).add(hidden);
  po::positional_options_description positional;
  positional.add("kind", 1).add("positional", -1);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(args).options(all).positional(positional).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "error: " << e.what() << "\n\n" << kPushUsage;
    exit_code = kExitUsage;
    return false;
  }
  if (vm.count("help")) {
    std::cout << kPushUsage << "\n" << kPushSummary << "\n\n" << visible;
    exit_code = 0;
    return false;
  }
  options.name_prefix_given = vm.count("name-prefix") > 0;
  if (options.kind != "provider" && options.kind != "module" && options.kind != "hashes") {
    std::cerr << "error: " << (options.kind.empty() ? "say what to push: provider, module or hashes"
                                                    : "unknown artifact kind \"" + options.kind +
                                                          "\"; expected provider, module or hashes")
              << "\n\n" << kPushUsage;
    exit_code = kExitUsage;
    return false;
  }
  if (options.password_stdin != !options.username.empty()) {
    std::cerr << "error: --username and --password-stdin go together\n";
    exit_code = kExitUsage;
    return false;
  }
  return true;
}

}  // namespace

int run_push_command(const std::vector<std::string>& args,
                     const std::function<std::optional<Config>()>& load_config) {
  PushOptions options;
  int exit_code = 0;
  if (!parse_options(args, options, exit_code)) return exit_code;
  try {
    http_global_init();
    bool config_failed = false;
    Destination destination = open_destination(options, load_config, config_failed);
    if (config_failed) return kExitConfig;
    std::unique_ptr<PushReporter> reporter = make_reporter(std::cout, options.quiet);
    if (options.kind == "provider") return push_provider(options, destination, *reporter);
    if (options.kind == "hashes") return push_hashes(options, destination, *reporter);
    return push_module(options, destination, *reporter);
  } catch (const Error& e) {
    std::string message = e.what();
    if (e.kind() == ErrorKind::kCredentials) message = "credentials: " + message;
    if (e.kind() == ErrorKind::kUnauthorized && message.find("--password-stdin") == std::string::npos)
      message += "; give credentials that may push (docker login, --username with --password-stdin, or the "
                 "service's origin_credentials)";
    std::cerr << "error: " << message << "\n";
    return exit_status_for(e.kind());
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return kExitFailure;
  }
}

}  // namespace otr
