// The application's configuration: what an HCL file (see hcl.h and README "Configuration") means.
//
// The original Go tool's files (provider_mirror + server blocks) load unchanged. Unknown blocks and
// attributes are errors. Problems are reported with file:line:column where they have a place;
// loading collects every problem of the schema before failing (a syntax error stops the parser at
// the first). Relative paths resolve against the file's directory and are absolute once loaded.
// Loading never starts a program (the signing keys are tried by server/signing_keys.h).
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/log.h"
#include "config/diagnostics.h"

namespace otr {


// The environment variable that may hold server.query_string_secret.
inline constexpr const char* kSecretEnvVar = "OCI_DISTRIBUTION_TERRAFORM_REGISTRY_QUERY_STRING_SECRET";

// Credentials this server uses towards an origin registry (never the end user's).
// At most one of (username+password) and token is set; all empty = anonymous.
struct OriginCredentials {
  std::string username;
  std::string password;
  std::string token;  // sent as "Authorization: Bearer <token>"
  bool empty() const { return username.empty() && password.empty() && token.empty(); }
};

// Settings for talking to an origin registry; the server block sets defaults, a service may
// override them.
struct OriginSettings {
  Seconds connect_timeout{5};
  Seconds request_timeout{30};       // total time for one metadata request (tags, manifests)
  Seconds download_stall_timeout{60};  // a blob download is cut if no byte moves for this long
  std::size_t max_manifest_bytes = 4u << 20;
  std::size_t max_tag_list_bytes = 8u << 20;  // all pages of one tag list together
  // PEM bundle of the CAs trusted for HTTPS to the origin (and to blob storage it redirects to),
  // instead of the system's bundle; "" = the system's. Absolute once loaded.
  std::string ca_file;
};

// upstream { ... } in a provider_mirror or provider_registry: a provider registry (Provider Registry
// Protocol) that releases not stored yet are imported from (pull-through; README "Pull-through").
struct UpstreamConfig {
  std::string url;  // "https://host[:port][/path]" without trailing '/'; discovery at <url>/.well-known/terraform.json;
                    // "" = no upstream
  std::vector<std::string> hostnames;           // provider hostnames it serves, lower-case; default: the url's host
  std::vector<std::string> namespaces;          // lower-case; empty = every namespace
  std::vector<std::string> exclude_namespaces;  // lower-case
  std::vector<std::string> platforms;           // "os_arch" to import; empty = every platform of the release
  Seconds versions_ttl{300};                    // how long the upstream's version lists are kept
  Seconds failure_ttl{30};                      // how long an unreachable upstream is not asked again for lists
  Seconds import_timeout{8};                    // how long a request waits for an import it started or joined:
                                                // below the clients' 10 s metadata timeout (they retry a 503)
  std::size_t max_package_bytes = 2ull << 30;   // a larger package from the upstream is refused
  std::string ca_file;                          // PEM CAs for the upstream and its download hosts; "" = system's
  bool allow_private_addresses = false;         // false: what the upstream leads to must be public (README)
  OriginCredentials write_credentials;          // for writing into the origin; default: the service's credentials
  SourcePos pos;                                // of the block
  bool enabled() const { return !url.empty(); }
};

enum class ServiceKind { kProviderMirror, kProviderRegistry, kModuleRegistry };

// Who sends the bytes of a proxied download (README "Download offload").
enum class DownloadOffload {
  kNone,            // this program streams them, digest-checked
  kAccelRedirect,   // nginx, told with X-Accel-Redirect: an internal location streams from the registry
                    // (with the registry credentials this program gives it) or the layout's blob file
  kSendfile,        // lighttpd or Apache (mod_xsendfile), told with X-Sendfile: the layout's blob file
};

// "provider_mirror", "provider_registry", "module_registry": the block that configures the kind.
const char* block_name(ServiceKind kind);

// What every service block has: the part `server` and `push --service` read alike.
struct ServiceConfig {
  ServiceKind kind = ServiceKind::kProviderMirror;
  std::string name;          // its URLs are /<name>/...
  std::string origin_url;    // "http[s]://host[:port]" without trailing '/', or "file:///path"
  std::string name_prefix;   // repository prefix, without leading/trailing '/'; may be empty
  bool proxy_packages = false;
  DownloadOffload download_offload = DownloadOffload::kNone;
  std::string offload_location = "/_oci_offload";  // kAccelRedirect: the internal location's prefix
  OriginCredentials credentials;
  OriginSettings origin;
  UpstreamConfig upstream;  // provider_mirror and provider_registry only
  SourcePos pos;  // of the block
};

// provider_mirror "NAME" { ... }: a Provider Network Mirror Protocol service under /NAME/.
struct ProviderMirrorConfig : ServiceConfig {
  // Requested hostname -> hostname the packages are stored under, e.g.
  // "registry.opentofu.org" -> "registry.terraform.io" so one copy serves both clients.
  std::map<std::string, std::string> host_aliases;
};

// provider_registry "NAME" { ... }: the Provider Registry Protocol under /NAME/, named in
// /.well-known/terraform.json as providers.v1. At most one per configuration.
struct ProviderRegistryConfig : ServiceConfig {
  ProviderRegistryConfig() { kind = ServiceKind::kProviderRegistry; }
  // Hostname component of repository names: <name_prefix>/<hostname>/<namespace>/<type>, the
  // naming provider_mirror uses, so one stored copy serves both; "" = <name_prefix>/<namespace>/<type>.
  std::string hostname = "registry.terraform.io";
  std::string signing_key_file;        // absolute path of an OpenPGP secret key (not yet tried: see
                                       // check_signing_keys() in server/signing_keys.h)
  SourcePos signing_key_pos;           // of the signing_key_file value, for messages about the key
  std::string signing_key_passphrase;  // "" = unprotected key
};

// module_registry "NAME" { ... }: the Module Registry Protocol under /NAME/, named in
// /.well-known/terraform.json as modules.v1. Modules live in <name_prefix>/<namespace>/<name>/<system>.
// At most one per configuration.
struct ModuleRegistryConfig : ServiceConfig {
  ModuleRegistryConfig() { kind = ServiceKind::kModuleRegistry; }
};

struct ServerConfig {
  // "host:port", "[v6]:port" or "unix:/path". Ignored when a web server or systemd hands us the
  // listening socket.
  std::string listen_addr = "127.0.0.1:8080";
  unsigned socket_mode = 0660;         // for unix sockets
  // Who owns a unix socket we create (php-fpm's listen.owner / listen.group): the web server's
  // user must be able to connect. -1 = the process's own user / group.
  long socket_uid = -1;
  long socket_gid = -1;
  // 32 raw bytes once loaded (given as 64 hex digits): seals download URLs (server/sealed_token.h);
  // "" = none.
  std::string query_string_secret;
  // Earlier secrets (the lines after the first of query_string_secret_file): they still open the
  // tokens they sealed, until those expire, so that the secret can be rotated.
  std::vector<std::string> retired_query_string_secrets;
  int worker_processes = 2;
  int worker_threads = 8;
  long max_requests_per_worker = 0;    // 0 = never recycle
  Seconds shutdown_timeout{30};        // drain time for in-flight requests
  Seconds package_url_ttl{3600};       // lifetime of sealed download URLs
  Seconds tags_cache_ttl{30};          // tag lists and tag -> digest
  // Past tags_cache_ttl, a cached answer is still served for this long while one request refreshes
  // it (stale-while-revalidate)...
  Seconds stale_while_revalidate{30};
  // ...and for this long when the registry fails (unreachable, timeout, 5xx; never for 401, 403 or
  // 404): stale-if-error. 0 turns each off.
  Seconds stale_if_error{3600};
  std::size_t manifest_cache_bytes = 32u << 20;  // per worker process
  LogFormat log_format = LogFormat::kText;
  // GET /metrics (README "Metrics"): off unless metrics = true; then answered to the addresses in
  // metrics_allow (CIDR ranges, IPv4 or IPv6) and to requests with "Authorization: Bearer
  // <metrics_token>" when a token is configured. No address is allowed unless listed, loopback
  // included: REMOTE_ADDR is what the web server saw, and behind a TLS terminator or tunnel on the
  // same host that is loopback for every client.
  bool metrics = false;
  std::vector<std::string> metrics_allow;
  std::string metrics_token;  // "" = none
  OriginSettings origin;               // defaults for every service
};

// A file the configuration reads a secret from (query_string_secret_file, signing_key_file, a
// password, token, passphrase or metrics token file): where it is and what named it.
struct SecretFile {
  std::string path;       // as read: absolute, or relative to the working directory
  std::string attribute;  // "query_string_secret_file", ...
  SourcePos pos;          // of the attribute's value
};

struct Config {
  std::string path;  // the file it was loaded from ("" for text parsed from memory)
  std::vector<SecretFile> secret_files;  // every one read (config/web_exposure.h)
  ServerConfig server;
  std::vector<ProviderMirrorConfig> provider_mirrors;
  std::vector<ProviderRegistryConfig> provider_registries;  // at most one
  std::vector<ModuleRegistryConfig> module_registries;      // at most one
  std::vector<Diagnostic> warnings;  // problems that do not stop the server

  // Every service block, in the order of the vectors above; the pointers live as long as this.
  std::vector<const ServiceConfig*> services() const;
  // The service named `name`, or null.
  const ServiceConfig* find_service(const std::string& name) const;
};

// Parses configuration text. `filename` is used in messages and to resolve relative *_file paths
// (relative to the file's directory). Secrets named by *_file / *_env attributes, and the
// kSecretEnvVar variable, are read here. Throws ConfigError listing every problem.
Config parse_config(const std::string& text, const std::string& filename);

// Reads and parses a file. Throws ConfigError (also for an unreadable file).
Config load_config_file(const std::string& path);

// The longest duration and the largest size a configuration may give: far beyond any sensible
// value, and small enough that deadlines computed from them never overflow a clock.
inline constexpr Seconds kMaxDuration{366LL * 24 * 3600};
inline constexpr unsigned long long kMaxByteSize = 1ULL << 40;

// Parses "90", "90s", "1m30s", "2h", "500ms"-style durations (whole seconds result; ms rounds up),
// at most kMaxDuration. Throws std::invalid_argument with a message naming the expected form.
Seconds parse_duration(const std::string& text);

}  // namespace otr
