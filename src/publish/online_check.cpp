#include "publish/online_check.h"

#include <strings.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <optional>
#include <set>

#include "base/error.h"
#include "base/file_io.h"
#include "base/json.h"
#include "http/request_stats.h"
#include "oci/auth.h"
#include "oci/client.h"
#include "oci/layout_reader.h"
#include "oci/origin.h"
#include "upstream/provider_source.h"

namespace otr {

namespace {

// The repository asked about when none is known: under the prefix, never written (an upload is
// only started and cancelled there, which leaves no repository a catalog lists).
constexpr const char* kProbeRepository = "oci-distribution-terraform-registry-check";
constexpr int kMaxCatalogPages = 100;
constexpr std::size_t kMaxIndexBytes = 64u << 20;

std::string under_prefix(const std::string& prefix, const std::string& name) {
  return prefix.empty() ? name : prefix + "/" + name;
}

bool in_prefix(const std::string& prefix, const std::string& repository) {
  return prefix.empty() || repository.starts_with(prefix + "/");
}

std::string where(const std::string& prefix) { return prefix.empty() ? "" : " under " + prefix; }

std::string plural(std::size_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

// What a transport failure or an unexpected status says, without any URL query or credential.
std::string failure_of(const IncomingResponse& r) {
  switch (r.error) {
    case TransportError::kNone:
    case TransportError::kAborted:
      break;
    case TransportError::kTimeout:
      return "timed out (" + r.error_message + ")";
    case TransportError::kUnreachable:
    case TransportError::kRefused:
    case TransportError::kOther:
      return "unreachable (" + r.error_message + ")";
    case TransportError::kTooLarge:
      return "answered more than the configured size limit";
  }
  return "answered status " + std::to_string(r.status);
}

// Accumulates one service's line.
struct Line {
  OnlineCheck check;
  std::vector<std::string> parts;
  void add(std::string part) { parts.push_back(std::move(part)); }
  void fail(std::string part) {
    check.ok = false;
    parts.push_back(std::move(part));
  }
  OnlineCheck done() {
    check.line = check.service + ":";
    for (size_t i = 0; i < parts.size(); ++i) check.line += (i == 0 ? " " : ", ") + parts[i];
    return std::move(check);
  }
};

// The repositories under the prefix from _catalog; nullopt (with `why`) when it cannot be asked.
std::optional<std::vector<std::string>> catalog_repositories(OciClient& client, const ServiceConfig& service,
                                                             std::string& why, bool& partial) {
  std::vector<std::string> found;
  std::string url = service.origin_url + "/v2/_catalog?n=1000";
  std::size_t budget = service.origin.max_tag_list_bytes;
  partial = false;
  for (int page = 0; !url.empty(); ++page) {
    if (page == kMaxCatalogPages || budget == 0) {
      partial = true;
      break;
    }
    OutgoingRequest request = client.make_request("GET", url);
    request.max_body = budget;
    IncomingResponse r;
    try {
      // Registries with a token service name the scope (registry:catalog:*) in their challenge.
      r = client.fetch(request, "");
    } catch (const Error& e) {
      why = std::string("the token service would not grant catalog access: ") + e.what();
      return std::nullopt;
    }
    if (r.error == TransportError::kTooLarge && page > 0) {
      partial = true;
      break;
    }
    if (r.error != TransportError::kNone) {
      why = "the catalog request " + failure_of(r);
      return std::nullopt;
    }
    if (r.status == 404 || r.status == 405 || r.status == 501) {
      why = "the registry offers no _catalog API (" + std::to_string(r.status) + ")";
      return std::nullopt;
    }
    if (r.status == 401 || r.status == 403) {
      why = "_catalog is not open to these credentials (" + std::to_string(r.status) + ")";
      return std::nullopt;
    }
    if (r.status != 200) {
      why = "_catalog answered status " + std::to_string(r.status);
      return std::nullopt;
    }
    budget -= std::min(budget, r.body.size());
    JsonPtr doc = json_parse(r.body);
    const cJSON* list = doc ? json_array(doc.get(), "repositories") : nullptr;
    if (!list) {
      why = "_catalog answered without a repositories list";
      return std::nullopt;
    }
    const cJSON* item = nullptr;
    cJSON_ArrayForEach(item, list) {
      if (cJSON_IsString(item) && in_prefix(service.name_prefix, item->valuestring)) found.emplace_back(item->valuestring);
    }
    std::string next;
    for (const auto& [name, value] : r.headers.all()) {
      if (name.size() != 4 || strncasecmp(name.c_str(), "link", 4) != 0) continue;
      size_t open = value.find('<'), close = value.find('>');
      if (open != std::string::npos && close != std::string::npos && close > open &&
          value.find("next", close) != std::string::npos)
        next = value.substr(open + 1, close - open - 1);
    }
    url = next.empty() ? std::string() : resolve_url(url, next);
    if (!url.empty() && !url.starts_with(service.origin_url + "/")) break;  // never off the registry
  }
  return found;
}

// Starts a blob upload with the write credentials and cancels it; "" when push works, else why not.
std::string check_push(const ServiceConfig& service, const std::string& repository, HttpTransport& transport,
                       const Clock& clock, std::string& note) {
  RegistryEndpoint endpoint = endpoint_of(service);
  endpoint.credentials = service.upstream.write_credentials;
  endpoint.push_access = true;
  AuthCache auth(clock);
  RequestStats stats;
  OciClient client(endpoint, auth, "", stats, transport);
  OutgoingRequest start = client.make_request("POST", "/v2/" + repository + "/blobs/uploads/");
  start.headers.push_back("Content-Type: application/octet-stream");
  IncomingResponse r;
  try {
    r = client.fetch(start, repository, "pull,push");
  } catch (const Error& e) {
    return e.kind() == ErrorKind::kUnauthorized ? "the token service refused the write credentials"
                                                : std::string("the token service failed: ") + e.what();
  }
  if (r.error != TransportError::kNone) return "starting an upload " + failure_of(r);
  if (r.status == 401) return "the write credentials were refused (401)";
  if (r.status == 403) return "refused (403)";
  if (r.status != 202) return "starting an upload answered status " + std::to_string(r.status);
  std::string location = r.headers.get("Location");
  if (location.empty()) {
    note = " (the registry gave no upload URL to cancel)";
    return {};
  }
  IncomingResponse cancel =
      client.fetch(client.make_request("DELETE", resolve_url(start.url, location)), repository, "pull,push");
  if (cancel.error != TransportError::kNone || (cancel.status != 204 && cancel.status != 200 && cancel.status != 202))
    note = " (the test upload could not be cancelled: " + failure_of(cancel) + "; the registry expires it)";
  return {};
}

void check_upstream(const ServiceConfig& service, HttpTransport& transport, Line& line) {
  if (!service.upstream.enabled()) return;
  const std::string& url = service.upstream.url;
  try {
    ProviderSource source(service.upstream, transport, service.origin.connect_timeout, service.origin.request_timeout,
                          service.origin.download_stall_timeout);
    std::string body = source.small_file(url + "/.well-known/terraform.json", kMaxUpstreamDocument,
                                         "discovery document (/.well-known/terraform.json)");
    JsonPtr doc = json_parse(body);
    std::optional<std::string> providers = doc ? json_string(doc.get(), "providers.v1") : std::nullopt;
    if (!providers || providers->empty())
      line.fail("upstream " + url + " reachable but its discovery document names no providers.v1");
    else
      line.add("upstream " + url + " reachable (providers.v1 " + *providers + ")");
  } catch (const Error& e) {
    line.fail("upstream " + url + ": " + e.what());
  }
}

void check_registry(const ServiceConfig& service, HttpTransport& transport, const Clock& clock, Line& line) {
  RegistryEndpoint endpoint = endpoint_of(service);
  AuthCache auth(clock);
  RequestStats stats;
  OciClient client(endpoint, auth, "", stats, transport);
  const std::string probe = under_prefix(service.name_prefix, kProbeRepository);
  const std::string registry = "registry " + service.origin_url;
  const bool configured = !service.credentials.empty();

  IncomingResponse r;
  try {
    r = client.fetch(client.make_request("GET", "/v2/"), probe);
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::kUnauthorized)
      line.fail(registry + " reachable, credentials refused by its token service");
    else if (e.kind() == ErrorKind::kUnreachable || e.kind() == ErrorKind::kTimeout)
      line.fail(registry + " reachable, its token service " +
                (e.kind() == ErrorKind::kTimeout ? "timed out" : "is unreachable") + " (" + e.what() + ")");
    else
      line.fail(registry + " reachable, its token service failed: " + e.what());
    return;
  }
  if (r.error != TransportError::kNone) {
    line.fail(registry + " " + failure_of(r));
    return;
  }
  std::string reached = registry + " reachable" + (service.origin_url.starts_with("https://") ? " (TLS ok)" : "");
  if (r.status == 401) {
    line.fail(reached + (configured ? ", credentials refused (401)"
                                    : ", it requires credentials and origin_credentials are not configured (401)"));
    return;
  }
  if (r.status == 403) {
    line.fail(reached + ", access denied (403)");
    return;
  }
  if (r.status != 200) {
    line.fail(reached + ", but GET /v2/ answered status " + std::to_string(r.status) + " (not an OCI registry root?)");
    return;
  }
  line.add(reached);
  line.add(configured ? "credentials accepted" : "anonymous access");

  std::string why;
  bool partial = false;
  std::optional<std::vector<std::string>> repositories = catalog_repositories(client, service, why, partial);
  std::string sample;
  if (!repositories) {
    line.add("cannot list repositories: " + why);
  } else {
    line.add((partial ? "at least " : "") + plural(repositories->size(), "repository", "repositories") +
             where(service.name_prefix));
    if (!repositories->empty()) {
      sample = repositories->front();
      try {
        std::optional<std::vector<std::string>> tags = client.find_tags(sample);
        line.add("tags of " + sample + ": " + std::to_string(tags ? tags->size() : 0));
      } catch (const Error& e) {
        line.fail(std::string("tags of ") + sample + " cannot be read: " + e.what());
      }
    }
  }

  if (service.upstream.enabled()) {
    std::string note;
    std::string refused = check_push(service, sample.empty() ? probe : sample, transport, clock, note);
    if (refused.empty())
      line.add("push: yes" + note);
    else
      line.fail("push: no, " + refused);
  }
}

void check_layout(const ServiceConfig& service, Line& line) {
  namespace fs = std::filesystem;
  const std::string dir = layout_directory(service.origin_url);
  const std::string layout = "layout " + dir;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    line.fail(layout + " is not a directory" + (ec ? " (" + ec.message() + ")" : ""));
    return;
  }
  if (access(dir.c_str(), R_OK | X_OK) != 0) {
    line.fail(layout + " is not readable by this user");
    return;
  }
  const std::string index = dir + "/index.json";
  if (!fs::exists(dir + "/blobs", ec)) {
    line.add(layout + " readable (an empty layout)");
  } else {
    try {
      std::string text = read_file_limited(index, kMaxIndexBytes, "index.json");
      JsonPtr doc = json_parse(text);
      const cJSON* manifests = doc ? json_array(doc.get(), "manifests") : nullptr;
      if (!manifests) {
        line.fail(layout + ": index.json is not an image index");
        return;
      }
      std::set<std::string> repositories;
      const cJSON* m = nullptr;
      cJSON_ArrayForEach(m, manifests) {
        const cJSON* annotations = json_object(m, "annotations");
        std::optional<std::string> ref = annotations ? json_string(annotations, kRefNameAnnotation) : std::nullopt;
        if (!ref) continue;
        size_t colon = ref->rfind(':');
        if (colon == std::string::npos || colon == 0) continue;
        std::string repository = ref->substr(0, colon);
        if (in_prefix(service.name_prefix, repository)) repositories.insert(repository);
      }
      line.add(layout + " readable, " + plural(repositories.size(), "repository", "repositories") +
               where(service.name_prefix));
    } catch (const Error& e) {
      line.fail(layout + ": " + e.what());
      return;
    }
  }
  if (service.upstream.enabled()) {
    bool writable = access(dir.c_str(), W_OK | X_OK) == 0;
    for (const char* inside : {"/blobs", "/blobs/sha256", "/index.json"}) {
      std::string path = dir + inside;
      if (fs::exists(path, ec) && access(path.c_str(), W_OK) != 0) writable = false;
    }
    if (writable)
      line.add("writable: yes");
    else
      line.fail("writable: no (imports write into it; this user cannot)");
  }
}

}  // namespace

OnlineCheck check_service_online(const ServiceConfig& service, HttpTransport& transport, const Clock& clock) {
  Line line;
  line.check.service = service.name;
  if (is_layout_origin(service.origin_url))
    check_layout(service, line);
  else
    check_registry(service, transport, clock, line);
  check_upstream(service, transport, line);
  return line.done();
}

std::vector<OnlineCheck> check_config_online(const Config& config, HttpTransport& transport, const Clock& clock) {
  std::vector<OnlineCheck> out;
  for (const ServiceConfig* service : config.services()) out.push_back(check_service_online(*service, transport, clock));
  return out;
}

}  // namespace otr
